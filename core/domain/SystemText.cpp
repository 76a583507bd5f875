#include "domain/SystemText.h"

#include "domain/Money.h"

#include <QDate>
#include <QJsonDocument>
#include <QLocale>

namespace paydesk {

namespace {

const QString kText = QStringLiteral("text");
const QString kArgs = QStringLiteral("args");

struct Template { const char16_t *code; const char *text; };
// Placeholders are {names} of the stored facts; translations keep them as they are.
constexpr Template kTemplates[] = {
    {u"payment.paid_after_close", QT_TRANSLATE_NOOP("SystemText", "Payment {payment} arrived after order {order} was closed.")},
    {u"payment.duplicate", QT_TRANSLATE_NOOP("SystemText", "Payment {payment} is a second payment for order {order}.")},
    {u"payment.amount_mismatch",
     QT_TRANSLATE_NOOP("SystemText", "The channel reports {stated} paid on {payment}, which was for {expected}; the order was left as it was.")},
    {u"refund.amount_mismatch",
     QT_TRANSLATE_NOOP("SystemText", "The channel reports refund {refund} succeeded with {stated}, but it was for {expected}; it stays in progress.")},
    {u"refund.abnormal",
     QT_TRANSLATE_NOOP("SystemText", "Refund {refund} went abnormal at the channel (e.g. the buyer's account is closed); have it paid out "
                                     "at the merchant platform or settle it with the customer another way. Its amount stays held.")},
    {u"refund.closed", QT_TRANSLATE_NOOP("SystemText", "Refund {refund} was closed by the channel without paying out.")},
    {u"refund.refused",
     QT_TRANSLATE_NOOP("SystemText", "The channel refused refund {refund} ({error}); nothing was paid out. Finance can retry it with the same number.")},
    {u"refund.unconfirmed",
     QT_TRANSLATE_NOOP("SystemText", "No verifiable answer about refund {refund} after {tries} tries (last: {error}); it stays in progress and "
                                     "its amount held. Check it at the merchant platform.")},
    {u"bill.refund_unknown",
     QT_TRANSLATE_NOOP("SystemText", "The {channel} bill of {date} shows a refund our books never saw: {refund} of {amount} (payment {payment}, line {line}).")},
    {u"bill.payment_unknown",
     QT_TRANSLATE_NOOP("SystemText", "The {channel} bill of {date} shows a payment our books never saw: {payment}, {amount} (channel transaction {txn}, line {line}).")},
    {u"bill.differs",
     QT_TRANSLATE_NOOP("SystemText", "The {channel} bill of {date} differs from our books: {difference} of {ref} (ours {ours}, bill {bill}).")},
};

QJsonObject money(const QString &key, qint64 minor, const QString &currency, QJsonObject o)
{
    o.insert(key, minorToPlain(minor, 2));
    o.insert(key + QStringLiteral("_currency"), currency);
    return o;
}

QString fact(const QJsonObject &args, const QString &key)
{
    const QJsonValue v = args.value(key);
    if (args.contains(key + QStringLiteral("_currency")))
        return SystemText::plainMoney(v.toString(), args.value(key + QStringLiteral("_currency")).toString());
    if (key == QStringLiteral("channel")) {
        if (auto c = fromString<ChannelKind>(v.toString()))
            return SystemText::of(*c);
    }
    if (key == QStringLiteral("difference"))
        return SystemText::differenceKind(v.toString());
    if (key == QStringLiteral("date")) {
        const QDate d = QDate::fromString(v.toString(), Qt::ISODate);
        return d.isValid() ? QLocale().toString(d, QLocale::ShortFormat) : v.toString();
    }
    if (v.isDouble())
        return QLocale().toString(v.toInteger());
    return v.toString();
}

} // namespace

QString SystemText::make(const QString &code, const QJsonObject &args)
{
    return QString::fromUtf8(QJsonDocument(QJsonObject{{kText, code}, {kArgs, args}}).toJson(QJsonDocument::Compact));
}

bool SystemText::isCoded(const QString &stored)
{
    return !code(stored).isEmpty();
}

QString SystemText::code(const QString &stored)
{
    if (!stored.startsWith(QStringLiteral("{\"")))
        return {};
    const QJsonDocument doc = QJsonDocument::fromJson(stored.toUtf8());
    return doc.isObject() ? doc.object().value(kText).toString() : QString();
}

QString SystemText::render(const QString &stored)
{
    const QString c = code(stored);
    if (c.isEmpty())
        return stored;
    const QJsonObject args = QJsonDocument::fromJson(stored.toUtf8()).object().value(kArgs).toObject();
    for (const Template &t : kTemplates) {
        if (c != QStringView(t.code))
            continue;
        QString out = QCoreApplication::translate("SystemText", t.text);
        for (auto it = args.begin(); it != args.end(); ++it)
            out.replace(u'{' + it.key() + u'}', fact(args, it.key()));
        return out;
    }
    // A code from a newer PayDesk: its facts, so nothing is hidden.
    QStringList facts;
    for (auto it = args.begin(); it != args.end(); ++it)
        facts << it.key() + u'=' + fact(args, it.key());
    return c + QStringLiteral(" (") + facts.join(QStringLiteral(", ")) + u')';
}

QString SystemText::paidAfterClose(const QString &outTradeNo, const QString &orderNo)
{
    return make(QStringLiteral("payment.paid_after_close"), {{QStringLiteral("payment"), outTradeNo}, {QStringLiteral("order"), orderNo}});
}

QString SystemText::duplicatePayment(const QString &outTradeNo, const QString &orderNo)
{
    return make(QStringLiteral("payment.duplicate"), {{QStringLiteral("payment"), outTradeNo}, {QStringLiteral("order"), orderNo}});
}

QString SystemText::paymentAmountMismatch(const QString &outTradeNo, qint64 statedMinor, const QString &statedCurrency,
                                          qint64 expectedMinor, const QString &expectedCurrency)
{
    QJsonObject a{{QStringLiteral("payment"), outTradeNo}};
    a = money(QStringLiteral("stated"), statedMinor, statedCurrency.isEmpty() ? expectedCurrency : statedCurrency, a);
    a = money(QStringLiteral("expected"), expectedMinor, expectedCurrency, a);
    return make(QStringLiteral("payment.amount_mismatch"), a);
}

QString SystemText::refundAmountMismatch(const QString &outRefundNo, qint64 statedMinor, const QString &statedCurrency,
                                         qint64 expectedMinor, const QString &expectedCurrency)
{
    QJsonObject a{{QStringLiteral("refund"), outRefundNo}};
    a = money(QStringLiteral("stated"), statedMinor, statedCurrency.isEmpty() ? expectedCurrency : statedCurrency, a);
    a = money(QStringLiteral("expected"), expectedMinor, expectedCurrency, a);
    return make(QStringLiteral("refund.amount_mismatch"), a);
}

QString SystemText::refundAbnormal(const QString &outRefundNo)
{
    return make(QStringLiteral("refund.abnormal"), {{QStringLiteral("refund"), outRefundNo}});
}

QString SystemText::refundClosed(const QString &outRefundNo)
{
    return make(QStringLiteral("refund.closed"), {{QStringLiteral("refund"), outRefundNo}});
}

QString SystemText::refundRefused(const QString &outRefundNo, const QString &channelError)
{
    return make(QStringLiteral("refund.refused"), {{QStringLiteral("refund"), outRefundNo}, {QStringLiteral("error"), channelError}});
}

QString SystemText::refundUnconfirmed(const QString &outRefundNo, int tries, const QString &channelError)
{
    return make(QStringLiteral("refund.unconfirmed"),
                {{QStringLiteral("refund"), outRefundNo}, {QStringLiteral("tries"), tries}, {QStringLiteral("error"), channelError}});
}

QString SystemText::billRefundUnknown(ChannelKind channel, const QString &date, const QString &outRefundNo, qint64 minor,
                                      const QString &currency, const QString &outTradeNo, int line)
{
    return make(QStringLiteral("bill.refund_unknown"),
                money(QStringLiteral("amount"), minor, currency,
                      {{QStringLiteral("channel"), toString(channel)}, {QStringLiteral("date"), date},
                       {QStringLiteral("refund"), outRefundNo}, {QStringLiteral("payment"), outTradeNo}, {QStringLiteral("line"), line}}));
}

QString SystemText::billPaymentUnknown(ChannelKind channel, const QString &date, const QString &outTradeNo, qint64 minor,
                                       const QString &currency, const QString &channelTxnId, int line)
{
    return make(QStringLiteral("bill.payment_unknown"),
                money(QStringLiteral("amount"), minor, currency,
                      {{QStringLiteral("channel"), toString(channel)}, {QStringLiteral("date"), date},
                       {QStringLiteral("payment"), outTradeNo}, {QStringLiteral("txn"), channelTxnId}, {QStringLiteral("line"), line}}));
}

QString SystemText::billDiffers(ChannelKind channel, const QString &date, const QString &kind, const QString &ref, qint64 oursMinor,
                                qint64 billMinor)
{
    QJsonObject a{{QStringLiteral("channel"), toString(channel)}, {QStringLiteral("date"), date},
                  {QStringLiteral("difference"), kind}, {QStringLiteral("ref"), ref}};
    a = money(QStringLiteral("ours"), oursMinor, QStringLiteral("CNY"), a);
    a = money(QStringLiteral("bill"), billMinor, QStringLiteral("CNY"), a);
    return make(QStringLiteral("bill.differs"), a);
}

QString SystemText::of(OrderState s)
{
    switch (s) {
    case OrderState::Pending: return tr("pending");
    case OrderState::Paid: return tr("paid");
    case OrderState::PartiallyRefunded: return tr("partly refunded");
    case OrderState::Refunded: return tr("refunded");
    case OrderState::Closed: return tr("closed");
    }
    return {};
}

QString SystemText::of(CloseReason r)
{
    switch (r) {
    case CloseReason::None: return QString();
    case CloseReason::Expired: return tr("time ran out");
    case CloseReason::Manual: return tr("closed by hand");
    }
    return {};
}

QString SystemText::of(AttemptState s)
{
    switch (s) {
    case AttemptState::Created: return tr("created");
    case AttemptState::Paying: return tr("waiting for payment");
    case AttemptState::Succeeded: return tr("paid");
    case AttemptState::Failed: return tr("failed");
    case AttemptState::Closed: return tr("closed");
    }
    return {};
}

QString SystemText::of(RefundState s)
{
    switch (s) {
    case RefundState::Requested: return tr("requested");
    case RefundState::Approved: return tr("approved");
    case RefundState::Rejected: return tr("rejected");
    case RefundState::Processing: return tr("processing");
    case RefundState::Succeeded: return tr("refunded");
    case RefundState::Failed: return tr("failed");
    case RefundState::Closed: return tr("closed");
    }
    return {};
}

QString SystemText::of(Role r)
{
    switch (r) {
    case Role::Clerk: return tr("a clerk");
    case Role::Finance: return tr("a finance user");
    case Role::Admin: return tr("an administrator");
    }
    return {};
}

QString SystemText::of(ChannelKind c)
{
    switch (c) {
    case ChannelKind::Sim: return tr("Simulator");
    case ChannelKind::WeChat: return tr("WeChat Pay");
    case ChannelKind::Alipay: return tr("Alipay");
    }
    return {};
}

QString SystemText::differenceKind(const QString &kind)
{
    if (kind == QStringLiteral("LONG")) return tr("a payment at the channel only");
    if (kind == QStringLiteral("SHORT")) return tr("a payment in our books only");
    if (kind == QStringLiteral("AMOUNT")) return tr("the payment amount");
    if (kind == QStringLiteral("CURRENCY")) return tr("the payment currency");
    if (kind == QStringLiteral("STATE")) return tr("the payment state");
    if (kind == QStringLiteral("REFUND_LONG")) return tr("a refund at the channel only");
    if (kind == QStringLiteral("REFUND_SHORT")) return tr("a refund in our books only");
    if (kind == QStringLiteral("REFUND_AMOUNT")) return tr("the refund amount");
    if (kind == QStringLiteral("REFUND_STATE")) return tr("the refund state");
    return kind;
}

QString SystemText::expiredClose(const QString &orderNo, qint64 lateMs)
{
    const QLocale loc;
    const QString late = lateMs < 1000 ? tr("%1 ms").arg(loc.toString(lateMs))
                                       : tr("%1 s").arg(loc.toString(double(lateMs) / 1000.0, 'f', 1));
    return tr("closed %1 (time ran out, %2 after its deadline)").arg(orderNo, late);
}

QString SystemText::plainMoney(const QString &plain, const QString &currency)
{
    if (plain.isEmpty())
        return plain;
    const Currency cur = Currency::fromCode(currency).value_or(Currency::cny());
    auto parsed = Money::parse(plain.startsWith(u'-') ? plain.mid(1) : plain, cur, AmountUse::OrderTotal);
    if (!parsed)
        return plain + u' ' + currency;
    const QString shown = parsed->toDisplayString(QLocale());
    return plain.startsWith(u'-') ? QLocale().negativeSign() + shown : shown;
}

} // namespace paydesk
