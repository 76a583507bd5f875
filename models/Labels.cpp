#include "Labels.h"

#include "storage/UserDirectory.h"
#include "domain/SystemText.h"

#include <QDateTime>
#include <QJsonDocument>
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
        {u"payment.amount_mismatch", QT_TR_NOOP("Payment amount differs")},
        {u"refund.approve.refused", QT_TR_NOOP("Approval refused")},
        {u"refund.reject.refused", QT_TR_NOOP("Rejection refused")},
        {u"refund.retry", QT_TR_NOOP("Refund sent again")},
        {u"refund.retry.refused", QT_TR_NOOP("Retry refused")},
        {u"refund.abnormal", QT_TR_NOOP("Refund abnormal")},
        {u"refund.unconfirmed", QT_TR_NOOP("Refund unconfirmed")},
        {u"refund.amount_mismatch", QT_TR_NOOP("Refund amount differs")},
        {u"recon.run", QT_TR_NOOP("Bill reconciled")},
        {u"recon.no_bill", QT_TR_NOOP("No bill from the channel")},
        {u"session.lock", QT_TR_NOOP("Session locked")},
        {u"session.sign_out", QT_TR_NOOP("Signed out")},
        {u"user.role", QT_TR_NOOP("Role changed")},
        {u"settings.change", QT_TR_NOOP("Setting changed")},
        {u"settings.refused", QT_TR_NOOP("Setting change refused")},
        {u"notify.refused", QT_TR_NOOP("Notification refused")},
        {u"channel.answer.refused", QT_TR_NOOP("Channel answer refused")},
        {u"shift.close", QT_TR_NOOP("Shift closed")},
        {u"shift.close.refused", QT_TR_NOOP("Shift close refused")},
        {u"day.close", QT_TR_NOOP("Day closed")},
        {u"day.close.refused", QT_TR_NOOP("Day close refused")},
        {u"fixup.request", QT_TR_NOOP("Mark paid asked for")},
        {u"fixup.request.refused", QT_TR_NOOP("Mark paid refused")},
        {u"fixup.approve", QT_TR_NOOP("Mark paid approved")},
        {u"fixup.approve.refused", QT_TR_NOOP("Mark paid approval refused")},
        {u"fixup.reject", QT_TR_NOOP("Mark paid rejected")},
        {u"fixup.reject.refused", QT_TR_NOOP("Mark paid rejection refused")},
    };
    for (const auto &entry : kActions)
        if (a == QStringView(entry.key))
            return tr(entry.text);
    return a;
}

QString Labels::actor(const QString &login)
{
    if (login == QStringLiteral("system"))
        return tr("PayDesk");
    if (login == QStringLiteral("timer"))
        return tr("Timer");
    if (login == QStringLiteral("auto"))
        return tr("Auto-approval");
    if (login == QStringLiteral("(setup)"))
        return tr("Setup");
    if (login == QStringLiteral("notify"))
        return tr("Channel notification");
    if (login == QLatin1String(UserDirectory::kDemoCounterLogin))
        return tr("Counter simulator");
    return login;
}

QString Labels::systemText(const QString &stored)
{
    return SystemText::render(stored);
}

QString Labels::channelAnswer(const QString &lastError)
{
    static const struct { const char16_t *key; const char *text; } kAnswers[] = {
        {u"ABNORMAL", QT_TR_NOOP("abnormal at the channel")},
        {u"AMOUNT_MISMATCH", QT_TR_NOOP("the channel named another amount")},
        {u"NOT_EXIST", QT_TR_NOOP("unknown to the channel")},
        {u"NOTPAY", QT_TR_NOOP("not paid")},
        {u"CLOSED", QT_TR_NOOP("closed")},
        {u"PAYERROR", QT_TR_NOOP("payment failed")},
        {u"REVOKED", QT_TR_NOOP("revoked")},
        {u"REFUND", QT_TR_NOOP("refunded")},
        {u"SUCCESS", QT_TR_NOOP("succeeded")},
        {u"PROCESSING", QT_TR_NOOP("processing")},
        {u"TRADE_CLOSED", QT_TR_NOOP("closed")},
        {u"TRADE_NOT_EXIST", QT_TR_NOOP("unknown to the channel")},
    };
    for (const auto &entry : kAnswers)
        if (lastError == QStringView(entry.key))
            return tr(entry.text);
    return lastError;
}

namespace {

QString afterPrefix(const QString &object, QStringView prefix)
{
    return object.startsWith(prefix) ? object.mid(prefix.size()) : QString();
}

/// "order PD1", "refund RF1", "the WeChat Pay bill of 2026-01-05", ... for an audit object.
QString objectWords(const QString &object)
{
    const int colon = int(object.indexOf(u':'));
    if (colon < 0)
        return object == QStringLiteral("database") ? Labels::tr("the database") : object;
    const QString kind = object.left(colon), rest = object.mid(colon + 1);
    if (rest == QStringLiteral("-"))
        return Labels::tr("a new order");
    if (kind == QStringLiteral("order")) return Labels::tr("order %1").arg(rest);
    if (kind == QStringLiteral("refund")) return Labels::tr("refund %1").arg(rest);
    if (kind == QStringLiteral("payment")) return Labels::tr("payment %1").arg(rest);
    if (kind == QStringLiteral("user")) return Labels::tr("user %1").arg(rest);
    if (kind == QStringLiteral("anomaly")) return Labels::tr("anomaly %1").arg(rest);
    if (kind == QStringLiteral("setting")) return Labels::tr("setting %1").arg(rest);
    if (kind == QStringLiteral("channel")) {
        if (auto c = fromString<ChannelKind>(rest))
            return Labels::tr("the %1 channel").arg(Labels::of(*c));
    }
    if (kind == QStringLiteral("recon") || kind == QStringLiteral("bill")) {
        const int second = int(rest.indexOf(u':'));
        const auto c = fromString<ChannelKind>(second < 0 ? QStringView(rest) : QStringView(rest).left(second));
        const QDate d = QDate::fromString(second < 0 ? QString() : rest.mid(second + 1), Qt::ISODate);
        if (c && d.isValid())
            return Labels::tr("the %1 bill of %2").arg(Labels::of(*c), QLocale().toString(d, QLocale::ShortFormat));
    }
    return object;
}

} // namespace

QString Labels::object(const QString &object)
{
    return objectWords(object);
}

namespace {

struct Sentence { const char16_t *action; const char *text; };
// {who} is the actor; the other {names} are the entry's facts (see Labels::sentence).
constexpr Sentence kSentences[] = {
    {u"order.create", QT_TRANSLATE_NOOP("Labels", "{who} created order {order} of {amount} ({title})")},
    {u"order.create.refused", QT_TRANSLATE_NOOP("Labels", "{who} was refused a new order of {amount}")},
    {u"order.repay", QT_TRANSLATE_NOOP("Labels", "{who} re-issued order {order} as payment {payment} on {channel}, valid until {expires}")},
    {u"order.repay.refused", QT_TRANSLATE_NOOP("Labels", "{who} was refused a repay of order {order}")},
    {u"order.close", QT_TRANSLATE_NOOP("Labels", "{who} closed order {order} ({reason})")},
    {u"order.close.refused", QT_TRANSLATE_NOOP("Labels", "{who} was refused closing order {order}")},
    {u"order.paid", QT_TRANSLATE_NOOP("Labels", "{who} recorded order {order} as paid (payment {payment})")},
    {u"payment.create", QT_TRANSLATE_NOOP("Labels", "{who} issued payment {payment} on {channel}, valid until {expires}")},
    {u"payment.create_failed", QT_TRANSLATE_NOOP("Labels", "Payment {payment} could not be issued")},
    {u"payment.closed", QT_TRANSLATE_NOOP("Labels", "{who} closed payment {payment} at the channel")},
    {u"payment.failed", QT_TRANSLATE_NOOP("Labels", "{who} recorded payment {payment} as failed at the channel")},
    {u"payment.late", QT_TRANSLATE_NOOP("Labels", "{who} recorded payment {payment} arriving late for {object}")},
    {u"payment.amount_mismatch",
     QT_TRANSLATE_NOOP("Labels", "{who}: the channel named {stated_amount} for payment {payment}, which was for {expected_amount}")},
    {u"refund.request", QT_TRANSLATE_NOOP("Labels", "{who} requested refund {refund} of {amount} on order {order}: {reason}")},
    {u"refund.request.refused", QT_TRANSLATE_NOOP("Labels", "{who} was refused a refund of {amount} on {object}")},
    {u"refund.auto_approve", QT_TRANSLATE_NOOP("Labels", "{who} approved refund {refund} (within the limit of {threshold})")},
    {u"refund.approve", QT_TRANSLATE_NOOP("Labels", "{who} approved refund {refund} of {amount}")},
    {u"refund.approve.refused", QT_TRANSLATE_NOOP("Labels", "{who} was refused approving refund {refund}")},
    {u"refund.reject", QT_TRANSLATE_NOOP("Labels", "{who} rejected refund {refund} of {amount}")},
    {u"refund.reject.refused", QT_TRANSLATE_NOOP("Labels", "{who} was refused rejecting refund {refund}")},
    {u"refund.retry", QT_TRANSLATE_NOOP("Labels", "{who} sent refund {refund} of {amount} again")},
    {u"shift.close", QT_TRANSLATE_NOOP("Labels", "{who} closed their shift: paid {paid}, refunded {refunded}, net {net}")},
    {u"day.close", QT_TRANSLATE_NOOP("Labels", "{who} closed the day {date}: paid {paid}, refunded {refunded}, net {net}")},
    {u"fixup.request", QT_TRANSLATE_NOOP("Labels", "{who} asked to mark payment {payment} of order {order} paid with transaction {txn} ({amount}): {reason}")},
    {u"fixup.request.refused", QT_TRANSLATE_NOOP("Labels", "{who} was refused marking an order paid")},
    {u"fixup.approve", QT_TRANSLATE_NOOP("Labels", "{who} approved marking order {order} paid with transaction {txn}")},
    {u"fixup.approve.refused", QT_TRANSLATE_NOOP("Labels", "{who} was refused approving {object}")},
    {u"fixup.reject", QT_TRANSLATE_NOOP("Labels", "{who} rejected marking order {order} paid")},
    {u"fixup.reject.refused", QT_TRANSLATE_NOOP("Labels", "{who} was refused rejecting {object}")},
    {u"refund.retry.refused", QT_TRANSLATE_NOOP("Labels", "{who} was refused retrying refund {refund}")},
    {u"refund.processing", QT_TRANSLATE_NOOP("Labels", "{who} sent refund {refund} to the channel")},
    {u"refund.succeeded", QT_TRANSLATE_NOOP("Labels", "{who} recorded refund {refund} as paid out")},
    {u"refund.failed", QT_TRANSLATE_NOOP("Labels", "{who} recorded refund {refund} as refused by the channel")},
    {u"refund.closed", QT_TRANSLATE_NOOP("Labels", "{who} recorded refund {refund} as closed by the channel")},
    {u"refund.abnormal", QT_TRANSLATE_NOOP("Labels", "{who} recorded refund {refund} as abnormal at the channel")},
    {u"refund.unconfirmed", QT_TRANSLATE_NOOP("Labels", "{who} got no verifiable answer about refund {refund}")},
    {u"refund.amount_mismatch", QT_TRANSLATE_NOOP("Labels", "{who}: the channel named {stated_amount} for refund {refund}, which was for {expected_amount}")},
    {u"anomaly.open", QT_TRANSLATE_NOOP("Labels", "{who} opened an anomaly ({kind}) for {object}")},
    {u"anomaly.resolve", QT_TRANSLATE_NOOP("Labels", "{who} resolved {object}")},
    {u"anomaly.resolve.refused", QT_TRANSLATE_NOOP("Labels", "{who} was refused resolving {object}")},
    {u"login", QT_TRANSLATE_NOOP("Labels", "{who} signed in")},
    {u"login.failed", QT_TRANSLATE_NOOP("Labels", "Sign-in failed for {object}")},
    {u"login.throttled", QT_TRANSLATE_NOOP("Labels", "Sign-ins for {object} slowed down")},
    {u"session.lock", QT_TRANSLATE_NOOP("Labels", "{who}'s session was locked")},
    {u"session.sign_out", QT_TRANSLATE_NOOP("Labels", "{who} signed out")},
    {u"user.add", QT_TRANSLATE_NOOP("Labels", "{who} added {object} ({role})")},
    {u"user.enable", QT_TRANSLATE_NOOP("Labels", "{who} enabled {object}")},
    {u"user.disable", QT_TRANSLATE_NOOP("Labels", "{who} disabled {object}")},
    {u"user.passwd", QT_TRANSLATE_NOOP("Labels", "{who} changed the password of {object}")},
    {u"user.role", QT_TRANSLATE_NOOP("Labels", "{who} made {object} {role}")},
    {u"settings.change", QT_TRANSLATE_NOOP("Labels", "{who} changed {object} from {before} to {after}")},
    {u"settings.refused", QT_TRANSLATE_NOOP("Labels", "{who} was refused changing {object}")},
    {u"recon.run", QT_TRANSLATE_NOOP("Labels", "{who} reconciled {object}: {matched} matched, {differences} differences")},
    {u"recon.no_bill", QT_TRANSLATE_NOOP("Labels", "{who} found no bill for {object}")},
    {u"demo.seed", QT_TRANSLATE_NOOP("Labels", "{who} created the demo's history ({orders} orders)")},
};

} // namespace

QString Labels::rawDetails(const AuditEntry &e)
{
    return QString::fromUtf8(QJsonDocument(e.details).toJson(QJsonDocument::Compact));
}

QString Labels::sentence(const AuditEntry &e)
{
    const QJsonObject &d = e.details;
    auto str = [&d](const char *key) { return d.value(QLatin1String(key)).toString(); };
    QString text;
    for (const Sentence &s : kSentences)
        if (e.action == QStringView(s.action))
            text = tr(s.text);
    if (text.isEmpty()) // an action without a sentence of its own: its name and object
        text = tr("{who}: %1 ({object})").arg(action(e.action));

    QString order = str("order");
    if (order.isEmpty())
        order = afterPrefix(e.object, u"order:");
    QString payment = str("out_trade_no");
    if (payment.isEmpty())
        payment = afterPrefix(e.object, u"payment:");
    QString reason = str("reason");
    if (auto r = fromString<CloseReason>(reason); r && *r != CloseReason::None)
        reason = SystemText::of(*r);
    else
        reason = SystemText::render(reason);
    QString role = str(e.action == QStringLiteral("user.role") ? "after" : "role");
    if (auto r = fromString<Role>(role))
        role = of(*r);
    QString kind = str("kind");
    if (auto k = fromString<AnomalyKind>(kind))
        kind = of(*k);
    QString channel = str("channel");
    if (auto c = fromString<ChannelKind>(channel))
        channel = of(*c);
    auto number = [&d](const char *key) { return QLocale().toString(d.value(QLatin1String(key)).toInteger()); };
    auto valueText = [&d](const char *key) {
        const QJsonValue v = d.value(QLatin1String(key));
        return v.isNull() || v.isUndefined() ? tr("(unset)") : v.isDouble() ? QLocale().toString(v.toInteger()) : v.toString();
    };
    const std::pair<QString, QString> facts[] = {
        {QStringLiteral("{who}"), actor(e.user)},
        {QStringLiteral("{object}"), objectWords(e.object)},
        {QStringLiteral("{order}"), order},
        {QStringLiteral("{refund}"), afterPrefix(e.object, u"refund:")},
        {QStringLiteral("{payment}"), payment},
        {QStringLiteral("{txn}"), str("channel_txn_id")},
        {QStringLiteral("{paid}"), SystemText::plainMoney(str("paid"))},
        {QStringLiteral("{refunded}"), SystemText::plainMoney(str("refunded"))},
        {QStringLiteral("{net}"), SystemText::plainMoney(str("net"))},
        {QStringLiteral("{date}"), str("date")},
        {QStringLiteral("{amount}"), SystemText::plainMoney(str("amount"))},
        {QStringLiteral("{stated_amount}"), SystemText::plainMoney(str("stated_amount"), str("stated_currency").isEmpty() ? QStringLiteral("CNY") : str("stated_currency"))},
        {QStringLiteral("{expected_amount}"), SystemText::plainMoney(str("expected_amount"), str("expected_currency").isEmpty() ? QStringLiteral("CNY") : str("expected_currency"))},
        {QStringLiteral("{threshold}"), SystemText::plainMoney(str("threshold"))},
        {QStringLiteral("{title}"), str("title")},
        {QStringLiteral("{reason}"), reason},
        {QStringLiteral("{role}"), role},
        {QStringLiteral("{kind}"), kind},
        {QStringLiteral("{channel}"), channel},
        {QStringLiteral("{expires}"), time(d.value(QStringLiteral("expires_at")).toInteger())},
        {QStringLiteral("{before}"), valueText("before")},
        {QStringLiteral("{after}"), valueText("after")},
        {QStringLiteral("{matched}"), number("matched")},
        {QStringLiteral("{differences}"), number("differences")},
        {QStringLiteral("{orders}"), number("orders")},
    };
    for (const auto &[key, value] : facts)
        text.replace(key, value);
    // What a person wrote, and what a refusal said, follow the sentence.
    const QString note = str("note").trimmed();
    if (!note.isEmpty())
        text = tr("%1: “%2”").arg(text, note);
    const QString message = str("message");
    if (e.action.endsWith(QStringLiteral(".refused")) && !message.isEmpty())
        text = tr("%1 (%2)").arg(text, message);
    return text;
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
