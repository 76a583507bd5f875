#include "ActionPolicy.h"

#include "Labels.h"

namespace paydesk {

namespace {
ActionVerdict yes() { return {true, {}}; }
ActionVerdict no(QString why) { return {false, std::move(why)}; }
bool atCounter(Role r) { return r == Role::Clerk || r == Role::Admin; }
} // namespace

ActionVerdict ActionPolicy::check(Action action, Role role, const Order *order, qint64 nowMs, qint64 refundableMinor)
{
    switch (action) {
    case Action::NewOrder:
        return atCounter(role) ? yes() : no(tr("Taking payments is a counter action for CLERK or ADMIN users."));
    case Action::ReviewRefund:
        return role == Role::Finance ? yes() : no(tr("Only a FINANCE user can review refunds."));
    case Action::ResolveAnomaly:
        return role == Role::Finance || role == Role::Admin ? yes() : no(tr("Only FINANCE or ADMIN users can resolve anomalies."));
    case Action::Reconcile:
        return role == Role::Finance || role == Role::Admin ? yes() : no(tr("Only FINANCE or ADMIN users can reconcile the channels' bills."));
    case Action::ManageSettings:
        return role == Role::Admin ? yes() : no(tr("Only an ADMIN can change settings."));
    default:
        break;
    }
    if (!order)
        return no(tr("Select an order first."));
    switch (action) {
    case Action::Repay:
        if (!atCounter(role))
            return no(tr("Repay is a counter action for CLERK or ADMIN users."));
        if (order->state != OrderState::Pending)
            return no(tr("Only a pending order can be paid again; this one is %1.").arg(Labels::of(order->state)));
        if (order->amountMinor == 0)
            return no(tr("A free order needs no payment."));
        if (order->expiresAt <= nowMs)
            return no(tr("The order's time is up; it is being closed."));
        return yes();
    case Action::Close:
        if (!atCounter(role))
            return no(tr("Closing an order is a counter action for CLERK or ADMIN users."));
        if (order->state != OrderState::Pending)
            return no(tr("Only a pending order can be closed; this one is %1.").arg(Labels::of(order->state)));
        return yes();
    case Action::Refund:
        if (role == Role::Admin)
            return no(tr("Refunds are requested by CLERK or FINANCE users."));
        if (order->state != OrderState::Paid && order->state != OrderState::PartiallyRefunded)
            return no(tr("Only a paid order can be refunded; this one is %1.").arg(Labels::of(order->state)));
        if (refundableMinor == 0)
            return no(tr("Nothing is left to refund on this order."));
        return yes();
    case Action::Refresh:
        return yes();
    case Action::MarkPaid:
        // Money that came without an answer: asked for by the counter or finance, approved by
        // another FINANCE user.
        if (role != Role::Clerk && role != Role::Finance)
            return no(tr("Marking an order paid is asked for by CLERK or FINANCE users."));
        if (order->state != OrderState::Pending && order->state != OrderState::Closed)
            return no(tr("Only an unpaid order can be marked paid; this one is %1.").arg(Labels::of(order->state)));
        if (order->amountMinor == 0)
            return no(tr("A free order needs no payment."));
        return yes();
    case Action::Receipt:
        // Anyone signed in may hand a customer the receipt of money that moved.
        if (order->state == OrderState::Pending || (order->state == OrderState::Closed && order->paidAt == 0))
            return no(tr("A receipt is for a paid order; this one is %1.").arg(Labels::of(order->state)));
        return yes();
    default:
        return yes();
    }
}

} // namespace paydesk
