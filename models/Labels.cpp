#include "Labels.h"

#include <QDateTime>
#include <QLocale>

namespace paydesk {

QString Labels::of(OrderState s)
{
    switch (s) {
    case OrderState::Pending: return tr("Pending");
    case OrderState::Paid: return tr("Paid");
    case OrderState::PartiallyRefunded: return tr("Partly refunded");
    case OrderState::Refunded: return tr("Refunded");
    case OrderState::Closed: return tr("Closed");
    }
    return {};
}

QString Labels::of(AttemptState s)
{
    switch (s) {
    case AttemptState::Created: return tr("Created");
    case AttemptState::Paying: return tr("Waiting for payment");
    case AttemptState::Succeeded: return tr("Paid");
    case AttemptState::Failed: return tr("Failed");
    case AttemptState::Closed: return tr("Closed");
    }
    return {};
}

QString Labels::of(RefundState s)
{
    switch (s) {
    case RefundState::Requested: return tr("Requested");
    case RefundState::Approved: return tr("Approved");
    case RefundState::Rejected: return tr("Rejected");
    case RefundState::Processing: return tr("Processing");
    case RefundState::Succeeded: return tr("Refunded");
    case RefundState::Failed: return tr("Failed");
    case RefundState::Closed: return tr("Closed");
    }
    return {};
}

QString Labels::of(AnomalyKind k)
{
    switch (k) {
    case AnomalyKind::PaidAfterClose: return tr("Paid after close");
    case AnomalyKind::DuplicatePayment: return tr("Duplicate payment");
    case AnomalyKind::AmountMismatch: return tr("Amount mismatch");
    case AnomalyKind::RefundAbnormal: return tr("Refund abnormal");
    case AnomalyKind::RefundClosed: return tr("Refund closed by channel");
    case AnomalyKind::RefundUnconfirmed: return tr("Refund unconfirmed");
    case AnomalyKind::ReconDifference: return tr("Differs from the channel's bill");
    }
    return {};
}

QString Labels::of(AnomalyState s)
{
    return s == AnomalyState::Open ? tr("Open") : tr("Resolved");
}

QString Labels::of(Role r)
{
    switch (r) {
    case Role::Clerk: return tr("Clerk");
    case Role::Finance: return tr("Finance");
    case Role::Admin: return tr("Administrator");
    }
    return {};
}

QString Labels::of(ChannelKind c)
{
    switch (c) {
    case ChannelKind::Sim: return tr("Simulator");
    case ChannelKind::WeChat: return tr("WeChat Pay");
    case ChannelKind::Alipay: return tr("Alipay");
    }
    return {};
}

QString Labels::of(CloseReason r)
{
    switch (r) {
    case CloseReason::None: return QString();
    case CloseReason::Expired: return tr("time ran out");
    case CloseReason::Manual: return tr("closed by hand");
    }
    return {};
}

QString Labels::time(qint64 ms)
{
    if (ms <= 0)
        return QString();
    return QDateTime::fromMSecsSinceEpoch(ms).toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString Labels::age(qint64 ms)
{
    const qint64 s = qMax<qint64>(0, ms) / 1000;
    if (s < 60)
        return tr("just now");
    if (s < 3600)
        return tr("%n min ago", nullptr, int(s / 60));
    if (s < 86'400)
        return tr("%n h ago", nullptr, int(s / 3600));
    return tr("%n d ago", nullptr, int(s / 86'400));
}

QString Labels::action(const QString &a)
{
    static const struct { const char16_t *key; const char *text; } kActions[] = {
        {u"order.create", QT_TR_NOOP("Order created")},
        {u"order.create.refused", QT_TR_NOOP("Order refused")},
        {u"order.repay", QT_TR_NOOP("Payment re-issued")},
        {u"order.repay.refused", QT_TR_NOOP("Repay refused")},
        {u"order.close", QT_TR_NOOP("Order closed")},
        {u"order.close.refused", QT_TR_NOOP("Close refused")},
        {u"order.paid", QT_TR_NOOP("Order paid")},
        {u"payment.create", QT_TR_NOOP("Payment issued")},
        {u"payment.create_failed", QT_TR_NOOP("Payment could not be issued")},
        {u"payment.closed", QT_TR_NOOP("Payment closed")},
        {u"payment.failed", QT_TR_NOOP("Payment failed")},
        {u"payment.late", QT_TR_NOOP("Late payment")},
        {u"refund.request", QT_TR_NOOP("Refund requested")},
        {u"refund.request.refused", QT_TR_NOOP("Refund refused")},
        {u"refund.auto_approve", QT_TR_NOOP("Refund approved automatically")},
        {u"refund.approve", QT_TR_NOOP("Refund approved")},
        {u"refund.reject", QT_TR_NOOP("Refund rejected")},
        {u"refund.processing", QT_TR_NOOP("Refund sent")},
        {u"refund.succeeded", QT_TR_NOOP("Refund completed")},
        {u"refund.failed", QT_TR_NOOP("Refund failed")},
        {u"refund.closed", QT_TR_NOOP("Refund closed")},
        {u"anomaly.open", QT_TR_NOOP("Anomaly opened")},
        {u"anomaly.resolve", QT_TR_NOOP("Anomaly resolved")},
        {u"anomaly.resolve.refused", QT_TR_NOOP("Anomaly resolution refused")},
        {u"login", QT_TR_NOOP("Signed in")},
        {u"login.failed", QT_TR_NOOP("Sign-in failed")},
        {u"login.throttled", QT_TR_NOOP("Sign-in slowed down")},
        {u"user.add", QT_TR_NOOP("User added")},
        {u"user.enable", QT_TR_NOOP("User enabled")},
        {u"user.disable", QT_TR_NOOP("User disabled")},
        {u"user.passwd", QT_TR_NOOP("Password changed")},
        {u"channel.configure", QT_TR_NOOP("Channel configured")},
        {u"channel.remove", QT_TR_NOOP("Channel removed")},
        {u"channel.profile_change", QT_TR_NOOP("Channel profile changed")},
        {u"channel.profile_refused", QT_TR_NOOP("Channel change refused")},
        {u"channel.profile_distrusted", QT_TR_NOOP("Channel profile not trusted")},
        {u"demo.seed", QT_TR_NOOP("Demo data created")},
    };
    for (const auto &entry : kActions)
        if (a == QStringView(entry.key))
            return tr(entry.text);
    return a;
}

QColor Labels::colour(OrderState s)
{
    switch (s) {
    case OrderState::Pending: return QColor(0xF5, 0xA6, 0x23);
    case OrderState::Paid: return QColor(0x2E, 0xA0, 0x4F);
    case OrderState::PartiallyRefunded: return QColor(0x3B, 0x82, 0xC4);
    case OrderState::Refunded: return QColor(0x6B, 0x5B, 0xB5);
    case OrderState::Closed: return QColor(0x8A, 0x8F, 0x98);
    }
    return Qt::gray;
}

QColor Labels::colour(RefundState s)
{
    switch (s) {
    case RefundState::Requested: return QColor(0xF5, 0xA6, 0x23);
    case RefundState::Approved: return QColor(0x3B, 0x82, 0xC4);
    case RefundState::Rejected: return QColor(0x8A, 0x8F, 0x98);
    case RefundState::Processing: return QColor(0x17, 0xA2, 0xB8);
    case RefundState::Succeeded: return QColor(0x2E, 0xA0, 0x4F);
    case RefundState::Failed: return QColor(0xD9, 0x3B, 0x3B);
    case RefundState::Closed: return QColor(0x5F, 0x63, 0x68);
    }
    return Qt::gray;
}

QColor Labels::colour(ChannelKind c)
{
    switch (c) {
    case ChannelKind::Sim: return QColor(0x8A, 0x8F, 0x98);
    case ChannelKind::WeChat: return QColor(0x07, 0xC1, 0x60);
    case ChannelKind::Alipay: return QColor(0x16, 0x77, 0xFF);
    }
    return Qt::gray;
}

} // namespace paydesk
