#pragma once

#include "domain/Money.h"
#include "util/Result.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QString>
#include <QtGlobal>

#include <optional>

namespace paydesk {

// ---- states ------------------------------------------------------------------------------

enum class OrderState { Pending, Paid, PartiallyRefunded, Refunded, Closed };
enum class CloseReason { None, Expired, Manual };
enum class AttemptState { Created, Paying, Succeeded, Failed, Closed };
enum class RefundState { Requested, Approved, Rejected, Processing, Succeeded, Failed, Closed };
enum class AnomalyKind { PaidAfterClose, DuplicatePayment, AmountMismatch, RefundAbnormal, RefundClosed,
                         RefundUnconfirmed /* no verifiable answer about a refund after many tries */,
                         ReconDifference /* a daily bill differs from our books */ };
enum class AnomalyState { Open, Resolved };
enum class Role { Clerk, Finance, Admin };
enum class ChannelKind { Sim, WeChat, Alipay };

// Stable wire/database names ("PENDING", "wechat", ...). fromString returns nullopt for
// anything unknown, so a bad --state on the command line is an error, not a default.
QString toString(OrderState s);
QString toString(CloseReason r);
QString toString(AttemptState s);
QString toString(RefundState s);
QString toString(AnomalyKind k);
QString toString(AnomalyState s);
QString toString(Role r);
QString toString(ChannelKind c);
template <typename E> std::optional<E> fromString(QStringView text);
template <> std::optional<OrderState> fromString<OrderState>(QStringView);
template <> std::optional<CloseReason> fromString<CloseReason>(QStringView);
template <> std::optional<AttemptState> fromString<AttemptState>(QStringView);
template <> std::optional<RefundState> fromString<RefundState>(QStringView);
template <> std::optional<AnomalyKind> fromString<AnomalyKind>(QStringView);
template <> std::optional<AnomalyState> fromString<AnomalyState>(QStringView);
template <> std::optional<Role> fromString<Role>(QStringView);
template <> std::optional<ChannelKind> fromString<ChannelKind>(QStringView);

/// The state machines as explicit transition tables. A transition not in the table is an
/// error, never a silent change; staying in the same state is not a transition.
struct Transitions
{
    Q_DECLARE_TR_FUNCTIONS(Transitions)
public:
    static bool allowed(OrderState from, OrderState to);
    static bool allowed(AttemptState from, AttemptState to);
    static bool allowed(RefundState from, RefundState to);
    static bool allowed(AnomalyState from, AnomalyState to);

    template <typename S>
    static Status check(S from, S to)
    {
        if (allowed(from, to))
            return {};
        return Error::conflict(QStringLiteral("state.illegal_transition"),
                               tr("Cannot go from %1 to %2.").arg(toString(from), toString(to)));
    }

    static bool isFinal(AttemptState s) { return s == AttemptState::Succeeded || s == AttemptState::Failed || s == AttemptState::Closed; }
    static bool isOpen(AttemptState s) { return s == AttemptState::Created || s == AttemptState::Paying; }
    /// Refunds whose amount counts against what is still refundable.
    static bool holdsAmount(RefundState s)
    {
        return s == RefundState::Requested || s == RefundState::Approved || s == RefundState::Processing
            || s == RefundState::Succeeded;
    }
};

// ---- entities (plain value types) -------------------------------------------------------

struct Order
{
    qint64 id = 0;
    QString orderNo;
    QString title;
    QString buyer;
    qint64 amountMinor = 0;
    QString currency = QStringLiteral("CNY");
    OrderState state = OrderState::Pending;
    CloseReason closeReason = CloseReason::None;
    std::optional<ChannelKind> channel;
    qint64 refundedMinor = 0;
    qint64 createdAt = 0;  ///< ms since epoch, UTC
    qint64 expiresAt = 0;
    qint64 paidAt = 0;     ///< 0 when not paid
    qint64 closedAt = 0;   ///< 0 when not closed
    QString createdBy;

    Money amount() const { return Money(amountMinor, Currency::fromCode(currency).value_or(Currency::cny())); }
};

struct PaymentAttempt
{
    qint64 id = 0;
    qint64 orderId = 0;
    QString outTradeNo;
    ChannelKind channel = ChannelKind::Sim;
    qint64 amountMinor = 0;
    QString currency = QStringLiteral("CNY");
    AttemptState state = AttemptState::Created;
    qint64 createdAt = 0;
    qint64 expiresAt = 0;
    QString codeUrl;
    QString channelTxnId;
    qint64 paidAt = 0;
    qint64 nextQueryAt = 0; ///< 0: nothing scheduled
    int queryCount = 0;
    QString lastError;
};

struct Refund
{
    qint64 id = 0;
    QString outRefundNo;
    qint64 orderId = 0;
    qint64 attemptId = 0;
    qint64 amountMinor = 0;
    QString currency = QStringLiteral("CNY");
    RefundState state = RefundState::Requested;
    QString reason;
    QString requestedBy;
    QString reviewedBy;
    QString reviewNote;
    qint64 requestedAt = 0;
    qint64 reviewedAt = 0;
    qint64 completedAt = 0;
    qint64 nextActionAt = 0;
    int attemptCount = 0;
    QString channelRefundId;
    QString lastError;
};

struct Anomaly
{
    qint64 id = 0;
    AnomalyKind kind = AnomalyKind::PaidAfterClose;
    qint64 orderId = 0;
    qint64 attemptId = 0;
    qint64 refundId = 0; ///< the refund it proposed, if any
    AnomalyState state = AnomalyState::Open;
    QString details;
    QString resolution;
    QString resolvedBy;
    qint64 createdAt = 0;
    qint64 resolvedAt = 0;
    /// The channel's facts, for an anomaly found in a channel's bill. A payment or refund our
    /// books never saw has no order (orderId 0) and is known only by these.
    std::optional<ChannelKind> channel;
    QString outTradeNo;
    QString outRefundNo;
    QString channelTxnId;
    std::optional<qint64> amountMinor;
    QString currency;
};

struct AuditEntry
{
    qint64 seq = 0;
    qint64 at = 0;
    QString user;
    QString action;
    QString object;
    QJsonObject details;
    QString prevHash;
    QString hash;
};

struct User
{
    qint64 id = 0;
    QString login;
    QString displayName;
    Role role = Role::Clerk;
    bool active = true;
    QString passwordHash; ///< encoded with its parameters (PHC string)
    int failedLogins = 0;
    qint64 lockedUntil = 0;
    qint64 createdAt = 0;
};

} // namespace paydesk
