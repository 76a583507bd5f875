#include "domain/Domain.h"

#include <array>
#include <utility>

namespace paydesk {

namespace {

template <typename E, std::size_t N>
QString nameOf(const std::array<std::pair<E, const char16_t *>, N> &table, E value)
{
    for (const auto &[e, name] : table)
        if (e == value)
            return QString::fromUtf16(name);
    Q_UNREACHABLE();
    return {};
}

template <typename E, std::size_t N>
std::optional<E> valueOf(const std::array<std::pair<E, const char16_t *>, N> &table, QStringView text)
{
    for (const auto &[e, name] : table)
        if (text.compare(QStringView(name), Qt::CaseInsensitive) == 0)
            return e;
    return std::nullopt;
}

using OS = OrderState;
constexpr std::array<std::pair<OS, const char16_t *>, 5> kOrderStates{{
    {OS::Pending, u"PENDING"}, {OS::Paid, u"PAID"}, {OS::PartiallyRefunded, u"PARTIALLY_REFUNDED"},
    {OS::Refunded, u"REFUNDED"}, {OS::Closed, u"CLOSED"}}};
constexpr std::array<std::pair<CloseReason, const char16_t *>, 3> kCloseReasons{{
    {CloseReason::None, u""}, {CloseReason::Expired, u"EXPIRED"}, {CloseReason::Manual, u"MANUAL"}}};
using AS = AttemptState;
constexpr std::array<std::pair<AS, const char16_t *>, 5> kAttemptStates{{
    {AS::Created, u"CREATED"}, {AS::Paying, u"PAYING"}, {AS::Succeeded, u"SUCCEEDED"},
    {AS::Failed, u"FAILED"}, {AS::Closed, u"CLOSED"}}};
using RS = RefundState;
constexpr std::array<std::pair<RS, const char16_t *>, 7> kRefundStates{{
    {RS::Requested, u"REQUESTED"}, {RS::Approved, u"APPROVED"}, {RS::Rejected, u"REJECTED"},
    {RS::Processing, u"PROCESSING"}, {RS::Succeeded, u"SUCCEEDED"}, {RS::Failed, u"FAILED"},
    {RS::Closed, u"CLOSED"}}};
constexpr std::array<std::pair<AnomalyKind, const char16_t *>, 7> kAnomalyKinds{{
    {AnomalyKind::PaidAfterClose, u"PAID_AFTER_CLOSE"}, {AnomalyKind::DuplicatePayment, u"DUPLICATE_PAYMENT"},
    {AnomalyKind::AmountMismatch, u"AMOUNT_MISMATCH"}, {AnomalyKind::RefundAbnormal, u"REFUND_ABNORMAL"},
    {AnomalyKind::RefundUnconfirmed, u"REFUND_UNCONFIRMED"},
    {AnomalyKind::RefundClosed, u"REFUND_CLOSED"},
    {AnomalyKind::ReconDifference, u"RECON_DIFFERENCE"}}};
constexpr std::array<std::pair<AnomalyState, const char16_t *>, 2> kAnomalyStates{{
    {AnomalyState::Open, u"OPEN"}, {AnomalyState::Resolved, u"RESOLVED"}}};
constexpr std::array<std::pair<Role, const char16_t *>, 3> kRoles{{
    {Role::Clerk, u"CLERK"}, {Role::Finance, u"FINANCE"}, {Role::Admin, u"ADMIN"}}};
constexpr std::array<std::pair<ChannelKind, const char16_t *>, 3> kChannels{{
    {ChannelKind::Sim, u"sim"}, {ChannelKind::WeChat, u"wechat"}, {ChannelKind::Alipay, u"alipay"}}};

} // namespace

QString toString(OrderState s) { return nameOf(kOrderStates, s); }
QString toString(CloseReason r) { return nameOf(kCloseReasons, r); }
QString toString(AttemptState s) { return nameOf(kAttemptStates, s); }
QString toString(RefundState s) { return nameOf(kRefundStates, s); }
QString toString(AnomalyKind k) { return nameOf(kAnomalyKinds, k); }
QString toString(AnomalyState s) { return nameOf(kAnomalyStates, s); }
QString toString(Role r) { return nameOf(kRoles, r); }
QString toString(ChannelKind c) { return nameOf(kChannels, c); }

template <> std::optional<OrderState> fromString<OrderState>(QStringView t) { return valueOf(kOrderStates, t); }
template <> std::optional<CloseReason> fromString<CloseReason>(QStringView t) { return valueOf(kCloseReasons, t); }
template <> std::optional<AttemptState> fromString<AttemptState>(QStringView t) { return valueOf(kAttemptStates, t); }
template <> std::optional<RefundState> fromString<RefundState>(QStringView t) { return valueOf(kRefundStates, t); }
template <> std::optional<AnomalyKind> fromString<AnomalyKind>(QStringView t) { return valueOf(kAnomalyKinds, t); }
template <> std::optional<AnomalyState> fromString<AnomalyState>(QStringView t) { return valueOf(kAnomalyStates, t); }
template <> std::optional<Role> fromString<Role>(QStringView t) { return valueOf(kRoles, t); }
template <> std::optional<ChannelKind> fromString<ChannelKind>(QStringView t) { return valueOf(kChannels, t); }

namespace {
template <typename S, std::size_t N>
bool inTable(const std::array<std::pair<S, S>, N> &table, S from, S to)
{
    for (const auto &[f, t] : table)
        if (f == from && t == to)
            return true;
    return false;
}

constexpr std::array<std::pair<OS, OS>, 5> kOrderEdges{{
    {OS::Pending, OS::Paid},
    {OS::Pending, OS::Closed},
    {OS::Paid, OS::PartiallyRefunded},
    {OS::Paid, OS::Refunded},
    {OS::PartiallyRefunded, OS::Refunded},
    // Nothing leaves CLOSED: money that arrives after close opens an Anomaly instead.
}};

constexpr std::array<std::pair<AS, AS>, 9> kAttemptEdges{{
    {AS::Created, AS::Paying},
    {AS::Created, AS::Failed},    // the channel refused to create it
    {AS::Created, AS::Closed},
    {AS::Created, AS::Succeeded}, // paid before we saw the QR accepted (query answered SUCCESS)
    {AS::Paying, AS::Succeeded},
    {AS::Paying, AS::Failed},
    {AS::Paying, AS::Closed},
    // The one late truth: the channel reports money on an attempt we had closed (the
    // customer paid in the instant before the close landed). The order stays CLOSED and an
    // Anomaly opens; the attempt records what really happened.
    {AS::Closed, AS::Succeeded},
    {AS::Failed, AS::Succeeded},
}};

constexpr std::array<std::pair<RS, RS>, 10> kRefundEdges{{
    {RS::Requested, RS::Approved},
    {RS::Requested, RS::Rejected},
    {RS::Approved, RS::Processing},
    {RS::Approved, RS::Succeeded}, // the channel answered SUCCESS at once
    {RS::Approved, RS::Failed},    // the channel refused it in a verified answer (e.g. NOT_ENOUGH)
    {RS::Failed, RS::Approved},    // FINANCE retries it with the same out_refund_no (four eyes)
    {RS::Processing, RS::Succeeded},
    // No PROCESSING -> FAILED: once the channel took a refund only SUCCESS or CLOSED end it
    // (ABNORMAL is not final), so its amount stays held until then.
    {RS::Processing, RS::Closed},
    {RS::Approved, RS::Closed},
}};
} // namespace

bool Transitions::allowed(OrderState from, OrderState to)
{
    return from != to && inTable(kOrderEdges, from, to);
}
bool Transitions::allowed(AttemptState from, AttemptState to)
{
    return from != to && inTable(kAttemptEdges, from, to);
}
bool Transitions::allowed(RefundState from, RefundState to)
{
    return from != to && inTable(kRefundEdges, from, to);
}
bool Transitions::allowed(AnomalyState from, AnomalyState to)
{
    return from == AnomalyState::Open && to == AnomalyState::Resolved;
}

} // namespace paydesk
