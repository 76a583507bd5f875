// Money parsing (core/domain/Money): what a person types, and the wire's yuan strings.
// Invariants: a parsed amount is within [0 or 1, channel maximum]; formatting it and parsing
// the text again gives the same amount; minorToPlain never breaks on any qint64.

#include "FuzzSupport.h"

#include "channels/AlipayProtocol.h"
#include "domain/Money.h"

#include <QLocale>

#include <array>
#include <cstring>

using namespace paydesk;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::Input in(data, size);
    const quint8 selector = in.byte();
    static const char *const kCodes[] = {"CNY", "USD", "HKD", "JPY", "EUR"};
    const Currency currency = *Currency::fromCode(QString::fromLatin1(kCodes[selector % 5]));
    const AmountUse use = std::array{AmountUse::OrderTotal, AmountUse::Payment, AmountUse::Refund}[(selector / 5) % 3];
    const QByteArray raw = in.rest();
    const QString text = QString::fromUtf8(raw);

    if (auto m = Money::parse(text, currency, use)) {
        const qint64 minor = m->minor();
        if (minor < 0 || minor > Money::maxMinor(currency) || (minor == 0 && use != AmountUse::OrderTotal))
            fuzz::fail("Money::parse accepted an amount outside the rules", text);
        const QString plain = m->toPlainString();
        auto again = Money::parse(plain, currency, use);
        if (!again || again->minor() != minor)
            fuzz::fail("Money::parse(toPlainString()) differs", text + u" -> " + plain);
        if (!Money::validate(minor, currency, use))
            fuzz::fail("validate() refuses what parse() accepted", text);
        (void)m->toDisplayString(QLocale::c());
        (void)m->toDisplayString(QLocale(QLocale::Chinese, QLocale::China));
        if (auto sum = m->checkedAdd(*m); sum && sum->minor() != 2 * minor)
            fuzz::fail("checkedAdd", text);
        if (auto diff = m->checkedSub(*m); !diff || diff->minor() != 0)
            fuzz::fail("checkedSub", text);
    } else if (m.error().code.isEmpty() || m.error().message.isEmpty()) {
        fuzz::fail("a refusal without code or message", text);
    }

    // The wire's yuan strings (Alipay) follow the same grammar as an order total in CNY.
    if (auto y = alipay::parseYuan(text)) {
        if (*y < 0 || alipay::parseYuan(alipay::yuan(*y)) != y)
            fuzz::fail("parseYuan(yuan(x)) differs", text);
    }

    // Any 8 bytes as a qint64: formatting must not overflow (INT64_MIN included).
    if (raw.size() >= 8) {
        qint64 v = 0;
        std::memcpy(&v, raw.constData(), sizeof v);
        for (int digits : {0, 2, 3}) {
            const QString s = minorToPlain(v, digits);
            if (s.isEmpty() || (v < 0) != s.startsWith(u'-'))
                fuzz::fail("minorToPlain", s);
        }
        const Money big(v, currency);
        (void)big.toDisplayString(QLocale::c());
        (void)big.checkedAdd(Money(v, currency));
        (void)big.checkedSub(Money(-(v / 2), currency));
        (void)Money::validate(v, currency, use);
    }
    return 0;
}
