#include "ListModels.h"

#include "Labels.h"
#include "storage/AnomalyRepository.h"

#include <QJsonDocument>
#include <QLocale>

#include <algorithm>

namespace paydesk {

namespace {

QString money(qint64 minor, const QString &currency)
{
    return Money(minor, Currency::fromCode(currency).value_or(Currency::cny())).toDisplayString(QLocale());
}

QVariant rightAligned() { return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter); }

} // namespace

// ---- attempts -------------------------------------------------------------------------------

Status AttemptModel::load(OrderRepository &orders, qint64 orderId)
{
    auto rows = orders.attemptsOf(orderId);
    if (!rows)
        return rows.error();
    setRows(rows.value());
    return {};
}

QVariant AttemptModel::header(int column) const
{
    switch (column) {
    case OutTradeNo: return tr("Payment no");
    case Channel: return tr("Channel");
    case Amount: return tr("Amount");
    case State: return tr("State");
    case Created: return tr("Created");
    case Expires: return tr("Expires");
    case Paid: return tr("Paid at");
    case LastError: return tr("Channel's answer");
    }
    return {};
}

QVariant AttemptModel::cell(const PaymentAttempt &a, int column, int role) const
{
    if (role == RawRole)
        return a.outTradeNo;
    if (role == MinorRole && column == Amount)
        return a.amountMinor;
    if (role == Qt::TextAlignmentRole && column == Amount)
        return rightAligned();
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (column) {
    case OutTradeNo: return a.outTradeNo;
    case Channel: return Labels::of(a.channel);
    case Amount: return money(a.amountMinor, a.currency);
    case State: return Labels::of(a.state);
    case Created: return Labels::time(a.createdAt);
    case Expires: return Labels::time(a.expiresAt);
    case Paid: return Labels::time(a.paidAt);
    case LastError: return role == Qt::ToolTipRole ? a.lastError : Labels::channelAnswer(a.lastError);
    }
    return {};
}

// ---- refunds --------------------------------------------------------------------------------

Status RefundModel::load(RefundService &refunds, const RefundService::Filter &filter)
{
    auto rows = refunds.list(filter);
    if (!rows)
        return rows.error();
    setRows(rows.value());
    return {};
}

QVariant RefundModel::header(int column) const
{
    switch (column) {
    case RefundNo: return tr("Refund no");
    case OrderNo: return tr("Order no");
    case Payment: return tr("Payment no");
    case Amount: return tr("Amount");
    case State: return tr("State");
    case RequestedBy: return tr("Requested by");
    case Reason: return tr("Reason");
    case Requested: return tr("Requested");
    case ReviewedBy: return tr("Reviewed by");
    case Note: return tr("Review note");
    }
    return {};
}

QVariant RefundModel::cell(const RefundService::Row &r, int column, int role) const
{
    const Refund &f = r.refund;
    if (role == RawRole)
        return f.outRefundNo;
    if (role == MinorRole && column == Amount)
        return f.amountMinor;
    if (role == StateColourRole && column == State)
        return Labels::colour(f.state);
    if (role == Qt::TextAlignmentRole && column == Amount)
        return rightAligned();
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (column) {
    case RefundNo: return f.outRefundNo;
    case OrderNo: return r.orderNo;
    case Payment: return r.outTradeNo;
    case Amount: return money(f.amountMinor, f.currency);
    case State: return Labels::of(f.state);
    case RequestedBy: return Labels::actor(f.requestedBy);
    case Reason: return Labels::systemText(f.reason);
    case Requested: return Labels::time(f.requestedAt);
    case ReviewedBy: return Labels::actor(f.reviewedBy);
    case Note: return f.reviewNote;
    }
    return {};
}

// ---- review queue ---------------------------------------------------------------------------

Status ReviewQueueModel::reload()
{
    RefundService::Filter f;
    f.states = {m_state};
    f.limit = 1000;
    auto rows = m_refunds.list(f);
    if (!rows)
        return rows.error();
    QList<RefundService::Row> list = rows.value();
    std::stable_sort(list.begin(), list.end(), [](const RefundService::Row &a, const RefundService::Row &b) {
        return a.refund.requestedAt < b.refund.requestedAt;
    });
    setRows(std::move(list));
    return {};
}

QVariant ReviewQueueModel::header(int column) const
{
    switch (column) {
    case RefundNo: return tr("Refund no");
    case OrderNo: return tr("Order");
    case Payment: return tr("Payment");
    case Amount: return tr("Amount");
    case RequestedBy: return tr("Requested by");
    case Reason: return tr("Reason");
    case Age: return tr("Waiting");
    case ChannelSaid: return tr("Channel said");
    }
    return {};
}

QVariant ReviewQueueModel::cell(const RefundService::Row &r, int column, int role) const
{
    const Refund &f = r.refund;
    if (role == RawRole)
        return f.outRefundNo;
    if (role == MinorRole && column == Amount)
        return f.amountMinor;
    if (role == Qt::TextAlignmentRole && column == Amount)
        return rightAligned();
    if (role == Qt::ToolTipRole && column == OrderNo)
        return r.orderTitle;
    if (role == Qt::ToolTipRole && column == Age)
        return Labels::time(f.requestedAt);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (column) {
    case RefundNo: return f.outRefundNo;
    case OrderNo: return r.orderNo;
    case Payment: return r.outTradeNo;
    case Amount: return money(f.amountMinor, f.currency);
    case RequestedBy: return Labels::actor(f.requestedBy);
    case Reason: return Labels::systemText(f.reason);
    case Age: return Labels::age(m_clock.nowMs() - f.requestedAt);
    case ChannelSaid: return role == Qt::ToolTipRole ? f.lastError : Labels::channelAnswer(f.lastError);
    }
    return {};
}

// ---- timeline -------------------------------------------------------------------------------

Status TimelineModel::load(AuditLog &audit, const QStringList &objects)
{
    QList<AuditEntry> all;
    for (const QString &object : objects) {
        AuditLog::Filter f;
        f.object = object;
        f.limit = 500;
        auto rows = audit.list(f);
        if (!rows)
            return rows.error();
        all += rows.value();
    }
    std::sort(all.begin(), all.end(), [](const AuditEntry &a, const AuditEntry &b) { return a.seq < b.seq; });
    setRows(std::move(all));
    return {};
}

QVariant TimelineModel::header(int column) const
{
    switch (column) {
    case Time: return tr("Time");
    case Entry: return tr("What happened");
    }
    return {};
}

void TimelineModel::setShowRaw(bool raw)
{
    if (raw == m_showRaw)
        return;
    m_showRaw = raw;
    if (rowCount() > 0)
        emit dataChanged(index(0, Entry), index(rowCount() - 1, Entry), {Qt::DisplayRole});
}

QVariant TimelineModel::cell(const AuditEntry &e, int column, int role) const
{
    if (role == RawRole)
        return e.seq;
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    // A sentence in the reader's language; the raw entry (what it was made from) in the tooltip
    // and with "Show raw details".
    const QString raw = e.user + u' ' + e.action + u' ' + e.object + u' ' + Labels::rawDetails(e);
    switch (column) {
    case Time: return Labels::time(e.at);
    case Entry: return role == Qt::ToolTipRole || m_showRaw ? raw : Labels::sentence(e);
    }
    return {};
}

// ---- anomalies ------------------------------------------------------------------------------

Status AnomalyModel::reload(std::optional<AnomalyState> state, int limit)
{
    auto rows = m_anomalies.listWithOrders(state, limit);
    if (!rows)
        return rows.error();
    setRows(rows.value());
    return {};
}

QVariant AnomalyModel::header(int column) const
{
    switch (column) {
    case Id: return tr("No");
    case Kind: return tr("Kind");
    case OrderNo: return tr("Order");
    case State: return tr("State");
    case Details: return tr("Details");
    case Created: return tr("Opened");
    case Resolution: return tr("Resolution");
    case ResolvedBy: return tr("Resolved by");
    }
    return {};
}

QVariant AnomalyModel::cell(const AnomalyRow &r, int column, int role) const
{
    const Anomaly &a = r.anomaly;
    if (role == RawRole)
        return a.id;
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (column) {
    case Id: return a.id;
    case Kind: return Labels::of(a.kind);
    case OrderNo:
        // No order of ours (money the channel's bill shows that our books never saw): the
        // channel's key, marked so it is not taken for an order number.
        if (r.orderNo.isEmpty() && !a.outTradeNo.isEmpty())
            return role == Qt::ToolTipRole ? tr("No order of ours; the channel's out_trade_no is %1.").arg(a.outTradeNo)
                                           : tr("(none) %1").arg(a.outTradeNo);
        return r.orderNo;
    case State: return Labels::of(a.state);
    case Details: return Labels::systemText(a.details);
    case Created: return Labels::time(a.createdAt);
    case Resolution: return a.resolution;
    case ResolvedBy: return Labels::actor(a.resolvedBy);
    }
    return {};
}

// ---- fix-ups --------------------------------------------------------------------------------

Status FixupModel::reload(std::optional<FixupState> state)
{
    auto rows = m_fixups.list(state);
    if (!rows)
        return rows.error();
    setRows(rows.value());
    return {};
}

QVariant FixupModel::header(int column) const
{
    switch (column) {
    case Id: return tr("No");
    case OrderNo: return tr("Order");
    case Payment: return tr("Payment");
    case Transaction: return tr("Channel transaction");
    case Amount: return tr("Amount");
    case RequestedBy: return tr("Asked by");
    case Requested: return tr("Asked");
    case Reason: return tr("Reason");
    case State: return tr("State");
    }
    return {};
}

QVariant FixupModel::cell(const Fixup &f, int column, int role) const
{
    if (role == RawRole)
        return f.id;
    if (role == MinorRole && column == Amount)
        return f.amountMinor;
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (column) {
    case Id: return f.id;
    case OrderNo: return f.orderNo;
    case Payment: return tr("%1 (%2)").arg(f.outTradeNo, Labels::of(f.channel));
    case Transaction: return f.channelTxnId;
    case Amount: return Money(f.amountMinor, Currency::fromCode(f.currency).value_or(Currency::cny())).toDisplayString();
    case RequestedBy: return Labels::actor(f.requestedBy);
    case Requested: return Labels::time(f.requestedAt);
    case Reason: return f.reason;
    case State:
        switch (f.state) {
        case FixupState::Requested: return tr("Waiting for review");
        case FixupState::Rejected: return tr("Rejected by %1").arg(f.reviewedBy);
        case FixupState::Applied:
            return f.verification == FixupVerification::Confirmed ? tr("Applied by %1, confirmed by the channel").arg(f.reviewedBy)
                                                                  : tr("Applied by %1, channel not reached").arg(f.reviewedBy);
        }
    }
    return {};
}

// ---- users ----------------------------------------------------------------------------------

Status UserModel::reload()
{
    auto rows = m_users.list();
    if (!rows)
        return rows.error();
    setRows(rows.value());
    return {};
}

QVariant UserModel::header(int column) const
{
    switch (column) {
    case Login: return tr("Login");
    case Name: return tr("Name");
    case Role_: return tr("Role");
    case Active: return tr("Status");
    }
    return {};
}

QVariant UserModel::cell(const User &u, int column, int role) const
{
    if (role == RawRole)
        return u.login;
    if (role != Qt::DisplayRole)
        return {};
    switch (column) {
    case Login: return u.login;
    case Name: return Labels::actor(u.login) != u.login ? Labels::actor(u.login) : u.displayName; // PayDesk's own, in words
    case Role_: return Labels::of(u.role);
    case Active: return u.active ? tr("Active") : tr("Disabled");
    }
    return {};
}

} // namespace paydesk
