#pragma once

#include "util/Result.h"

#include <QCoreApplication>
#include <QLocale>
#include <QString>

#include <optional>

namespace paydesk {

/// An ISO 4217 currency with its real number of minor-unit digits.
class Currency
{
public:
    static std::optional<Currency> fromCode(QStringView code);
    static Currency cny() { return Currency(u"CNY", 2, u"¥"); }

    QString code() const { return m_code; }
    int minorDigits() const { return m_digits; }
    QString symbol() const { return m_symbol; }
    /// 10^minorDigits.
    qint64 minorPerMajor() const;

    friend bool operator==(const Currency &a, const Currency &b) { return a.m_code == b.m_code; }

private:
    Currency(QStringView code, int digits, QStringView symbol)
        : m_code(code.toString()), m_digits(digits), m_symbol(symbol.toString()) {}
    QString m_code;
    int m_digits;
    QString m_symbol;
};

/// What an amount is for; decides whether zero is acceptable.
enum class AmountUse {
    OrderTotal, ///< zero allowed (such an order is paid at creation)
    Payment,    ///< at least one minor unit (0.01 CNY)
    Refund,     ///< at least one minor unit (0.01 CNY)
};

/// Exact money: integer minor units plus a currency. Never a double.
class Money
{
    Q_DECLARE_TR_FUNCTIONS(Money)
public:
    /// The channels' maximum for one payment, in major units (100,000,000.00).
    static constexpr qint64 kMaxMajorUnits = 100'000'000;

    Money() : m_minor(0), m_currency(Currency::cny()) {}
    Money(qint64 minor, Currency currency) : m_minor(minor), m_currency(std::move(currency)) {}
    static Money cny(qint64 minor) { return Money(minor, Currency::cny()); }

    /// Parses what a person typed ("12.3", "12.30", "0.01") exactly. Refuses empty,
    /// non-numeric, negative, too many decimals, zero where not allowed, and anything above
    /// the channel maximum, each with a message that names the rule.
    static Result<Money> parse(QStringView text, const Currency &currency, AmountUse use);
    /// Checks an amount already in minor units against the same rules as parse().
    static Status validate(qint64 minor, const Currency &currency, AmountUse use);
    static qint64 maxMinor(const Currency &currency) { return kMaxMajorUnits * currency.minorPerMajor(); }

    qint64 minor() const { return m_minor; }
    const Currency &currency() const { return m_currency; }
    bool isZero() const { return m_minor == 0; }

    /// "12.30", "-5.00", "100" (JPY). Always '.' and no grouping: for files and the wire.
    QString toPlainString() const;
    /// "¥1,234.50" in the given locale's digit grouping and decimal mark.
    QString toDisplayString(const QLocale &locale = QLocale()) const;

    /// Overflow-checked arithmetic; nullopt on overflow or mixed currencies.
    std::optional<Money> checkedAdd(const Money &other) const;
    std::optional<Money> checkedSub(const Money &other) const;

    friend bool operator==(const Money &a, const Money &b)
    {
        return a.m_minor == b.m_minor && a.m_currency == b.m_currency;
    }

private:
    qint64 m_minor;
    Currency m_currency;
};

/// Exact "yuan string" <-> minor units helpers used on the wire (Alipay sends "12.30").
QString minorToPlain(qint64 minor, int digits);

} // namespace paydesk
