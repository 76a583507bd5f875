#include "domain/Json.h"

#include <QDateTime>

namespace paydesk {

QString isoTime(qint64 ms)
{
    if (ms <= 0)
        return {};
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

namespace {
QJsonValue timeOrNull(qint64 ms)
{
    return ms > 0 ? QJsonValue(isoTime(ms)) : QJsonValue();
}
QString plain(qint64 minor, const QString &currency)
{
    return minorToPlain(minor, Currency::fromCode(currency).value_or(Currency::cny()).minorDigits());
}
} // namespace

QJsonObject toJson(const Order &o)
{
    return {
        {QStringLiteral("order_no"), o.orderNo},
        {QStringLiteral("title"), o.title},
        {QStringLiteral("buyer"), o.buyer},
        {QStringLiteral("amount"), plain(o.amountMinor, o.currency)},
        {QStringLiteral("amount_minor"), o.amountMinor},
        {QStringLiteral("currency"), o.currency},
        {QStringLiteral("state"), toString(o.state)},
        {QStringLiteral("close_reason"), o.closeReason == CloseReason::None ? QJsonValue() : QJsonValue(toString(o.closeReason))},
        {QStringLiteral("channel"), o.channel ? QJsonValue(toString(*o.channel)) : QJsonValue()},
        {QStringLiteral("refunded"), plain(o.refundedMinor, o.currency)},
        {QStringLiteral("refunded_minor"), o.refundedMinor},
        {QStringLiteral("created_at"), isoTime(o.createdAt)},
        {QStringLiteral("expires_at"), isoTime(o.expiresAt)},
        {QStringLiteral("paid_at"), timeOrNull(o.paidAt)},
        {QStringLiteral("closed_at"), timeOrNull(o.closedAt)},
        {QStringLiteral("created_by"), o.createdBy},
    };
}

QJsonObject toJson(const PaymentAttempt &a)
{
    return {
        {QStringLiteral("out_trade_no"), a.outTradeNo},
        {QStringLiteral("channel"), toString(a.channel)},
        {QStringLiteral("amount"), plain(a.amountMinor, a.currency)},
        {QStringLiteral("amount_minor"), a.amountMinor},
        {QStringLiteral("currency"), a.currency},
        {QStringLiteral("state"), toString(a.state)},
        {QStringLiteral("created_at"), isoTime(a.createdAt)},
        {QStringLiteral("expires_at"), isoTime(a.expiresAt)},
        {QStringLiteral("code_url"), a.codeUrl},
        {QStringLiteral("channel_txn_id"), a.channelTxnId},
        {QStringLiteral("paid_at"), timeOrNull(a.paidAt)},
        {QStringLiteral("next_query_at"), timeOrNull(a.nextQueryAt)},
        {QStringLiteral("query_count"), a.queryCount},
        {QStringLiteral("last_error"), a.lastError},
    };
}

QJsonObject toJson(const Refund &r)
{
    return {
        {QStringLiteral("out_refund_no"), r.outRefundNo},
        {QStringLiteral("amount"), plain(r.amountMinor, r.currency)},
        {QStringLiteral("amount_minor"), r.amountMinor},
        {QStringLiteral("currency"), r.currency},
        {QStringLiteral("state"), toString(r.state)},
        {QStringLiteral("reason"), r.reason},
        {QStringLiteral("requested_by"), r.requestedBy},
        {QStringLiteral("reviewed_by"), r.reviewedBy},
        {QStringLiteral("review_note"), r.reviewNote},
        {QStringLiteral("requested_at"), isoTime(r.requestedAt)},
        {QStringLiteral("reviewed_at"), timeOrNull(r.reviewedAt)},
        {QStringLiteral("completed_at"), timeOrNull(r.completedAt)},
        {QStringLiteral("last_error"), r.lastError},
    };
}

QJsonObject toJson(const Anomaly &a)
{
    QJsonObject o{
        {QStringLiteral("id"), a.id},
        {QStringLiteral("kind"), toString(a.kind)},
        {QStringLiteral("state"), toString(a.state)},
        {QStringLiteral("details"), a.details},
        {QStringLiteral("resolution"), a.resolution},
        {QStringLiteral("resolved_by"), a.resolvedBy},
        {QStringLiteral("created_at"), isoTime(a.createdAt)},
        {QStringLiteral("resolved_at"), timeOrNull(a.resolvedAt)},
    };
    // The channel's facts, present for an anomaly found in a bill (the only key of one that
    // has no order of ours).
    if (a.channel)
        o.insert(QStringLiteral("channel"), toString(*a.channel));
    if (!a.outTradeNo.isEmpty())
        o.insert(QStringLiteral("out_trade_no"), a.outTradeNo);
    if (!a.outRefundNo.isEmpty())
        o.insert(QStringLiteral("out_refund_no"), a.outRefundNo);
    if (!a.channelTxnId.isEmpty())
        o.insert(QStringLiteral("channel_txn_id"), a.channelTxnId);
    if (a.amountMinor) {
        o.insert(QStringLiteral("amount"), plain(*a.amountMinor, a.currency));
        o.insert(QStringLiteral("amount_minor"), *a.amountMinor);
        o.insert(QStringLiteral("currency"), a.currency);
    }
    return o;
}

QJsonObject toJson(const AuditEntry &e)
{
    return {
        {QStringLiteral("seq"), e.seq},
        {QStringLiteral("at"), isoTime(e.at)},
        {QStringLiteral("user"), e.user},
        {QStringLiteral("action"), e.action},
        {QStringLiteral("object"), e.object},
        {QStringLiteral("details"), e.details},
        {QStringLiteral("hash"), e.hash},
    };
}

QJsonObject toJson(const User &u)
{
    return {
        {QStringLiteral("login"), u.login},
        {QStringLiteral("name"), u.displayName},
        {QStringLiteral("role"), toString(u.role)},
        {QStringLiteral("active"), u.active},
        {QStringLiteral("created_at"), isoTime(u.createdAt)},
    };
}

QJsonObject toJson(const Error &e)
{
    return {{QStringLiteral("error"), QJsonObject{{QStringLiteral("code"), e.code}, {QStringLiteral("message"), e.message}}}};
}

} // namespace paydesk
