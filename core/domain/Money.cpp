#include "domain/Money.h"

#include <array>

namespace paydesk {

namespace {
struct CurrencyRow { const char16_t *code; int digits; const char16_t *symbol; };
constexpr std::array kCurrencies{
    CurrencyRow{u"CNY", 2, u"¥"},
    CurrencyRow{u"USD", 2, u"US$"},
    CurrencyRow{u"HKD", 2, u"HK$"},
    CurrencyRow{u"JPY", 0, u"JP¥"},
    CurrencyRow{u"EUR", 2, u"€"},
};
} // namespace

std::optional<Currency> Currency::fromCode(QStringView code)
{
    for (const auto &row : kCurrencies) {
        if (code.compare(QStringView(row.code), Qt::CaseInsensitive) == 0)
            return Currency(row.code, row.digits, row.symbol);
    }
    return std::nullopt;
}

qint64 Currency::minorPerMajor() const
{
    qint64 f = 1;
    for (int i = 0; i < m_digits; ++i)
        f *= 10;
    return f;
}

Status Money::validate(qint64 minor, const Currency &currency, AmountUse use)
{
    if (minor < 0)
        return Error::invalid(QStringLiteral("money.negative"),
                              tr("The amount cannot be negative."));
    if (minor == 0 && use != AmountUse::OrderTotal)
        return Error::invalid(QStringLiteral("money.zero"),
                              use == AmountUse::Refund
                                  ? tr("A refund must be at least %1.").arg(Money(1, currency).toPlainString())
                                  : tr("A payment must be at least %1; zero is only allowed as an order total.")
                                        .arg(Money(1, currency).toPlainString()));
    if (minor > maxMinor(currency))
        return Error::invalid(QStringLiteral("money.above_maximum"),
                              tr("The amount is above the channel maximum of %1 %2.")
                                  .arg(Money(maxMinor(currency), currency).toPlainString(), currency.code()));
    return {};
}

Result<Money> Money::parse(QStringView input, const Currency &currency, AmountUse use)
{
    const QStringView text = input.trimmed();
    if (text.isEmpty())
        return Error::invalid(QStringLiteral("money.empty"), tr("Enter an amount."));
    if (text.startsWith(u'-')) {
        // Still say "negative" only for something that is otherwise a number.
        const QStringView rest = text.mid(1);
        bool digits = !rest.isEmpty();
        for (QChar c : rest)
            digits = digits && (c.isDigit() || c == u'.');
        if (digits)
            return Error::invalid(QStringLiteral("money.negative"), tr("The amount cannot be negative."));
    }

    // Grammar: DIGITS [ '.' DIGITS ] — ASCII digits only, no sign, exponent or grouping.
    qsizetype dot = -1;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (c >= u'0' && c <= u'9')
            continue;
        if (c == u'.' && dot < 0 && i > 0 && i + 1 < text.size()) {
            dot = i;
            continue;
        }
        return Error::invalid(QStringLiteral("money.not_a_number"),
                              tr("\"%1\" is not an amount: use digits and at most one decimal point, like 12.30.")
                                  .arg(text.toString()));
    }
    const QStringView whole = dot < 0 ? text : text.left(dot);
    const QStringView frac = dot < 0 ? QStringView() : text.mid(dot + 1);
    if (frac.size() > currency.minorDigits()) {
        return Error::invalid(QStringLiteral("money.too_many_decimals"),
                              currency.minorDigits() == 0
                                  ? tr("%1 amounts have no decimals.").arg(currency.code())
                                  : tr("%1 amounts have at most %2 decimal places.").arg(currency.code()).arg(currency.minorDigits()));
    }
    // Strip leading zeros and bound the length before converting, so nothing can overflow.
    qsizetype firstNonZero = 0;
    while (firstNonZero < whole.size() - 1 && whole[firstNonZero] == u'0')
        ++firstNonZero;
    const QStringView significant = whole.mid(firstNonZero);
    if (significant.size() > 12)
        return Error::invalid(QStringLiteral("money.above_maximum"),
                              tr("The amount is above the channel maximum of %1 %2.")
                                  .arg(Money(maxMinor(currency), currency).toPlainString(), currency.code()));
    qint64 minor = 0;
    for (QChar c : significant)
        minor = minor * 10 + (c.unicode() - u'0');
    for (int i = 0; i < currency.minorDigits(); ++i)
        minor = minor * 10 + (i < frac.size() ? frac[i].unicode() - u'0' : 0);

    if (Status s = validate(minor, currency, use); !s)
        return s.error();
    return Money(minor, currency);
}

QString minorToPlain(qint64 minor, int digits)
{
    const bool negative = minor < 0;
    // Work in unsigned so that the most negative value still formats.
    const quint64 abs = negative ? quint64(0) - quint64(minor) : quint64(minor);
    quint64 factor = 1;
    for (int i = 0; i < digits; ++i)
        factor *= 10;
    QString out = negative ? QStringLiteral("-") : QString();
    out += QString::number(abs / factor);
    if (digits > 0)
        out += u'.' + QString::number(abs % factor).rightJustified(digits, u'0');
    return out;
}

QString Money::toPlainString() const
{
    return minorToPlain(m_minor, m_currency.minorDigits());
}

QString Money::toDisplayString(const QLocale &locale) const
{
    const bool negative = m_minor < 0;
    const quint64 abs = negative ? quint64(0) - quint64(m_minor) : quint64(m_minor);
    const quint64 factor = quint64(m_currency.minorPerMajor());
    QString out = locale.toString(qulonglong(abs / factor));
    if (m_currency.minorDigits() > 0)
        out += locale.decimalPoint()
            + QString::number(abs % factor).rightJustified(m_currency.minorDigits(), u'0');
    return (negative ? locale.negativeSign() : QString()) + m_currency.symbol() + out;
}

std::optional<Money> Money::checkedAdd(const Money &other) const
{
    qint64 r = 0;
    if (!(m_currency == other.m_currency) || qAddOverflow(m_minor, other.m_minor, &r))
        return std::nullopt;
    return Money(r, m_currency);
}

std::optional<Money> Money::checkedSub(const Money &other) const
{
    qint64 r = 0;
    if (!(m_currency == other.m_currency) || qSubOverflow(m_minor, other.m_minor, &r))
        return std::nullopt;
    return Money(r, m_currency);
}

} // namespace paydesk
