#pragma once

#include "domain/Domain.h"

#include <QCoreApplication>
#include <QString>

namespace paydesk {

/// Whether a counter action may be offered on an order to a user, and if not, why. The GUI
/// enables buttons from this and shows `reason` as the tooltip; core still enforces every rule
/// (this only avoids offering what would be refused).
struct ActionVerdict
{
    bool allowed = false;
    QString reason; ///< why not (translated); empty when allowed
};

class ActionPolicy final
{
    Q_DECLARE_TR_FUNCTIONS(ActionPolicy)
public:
    enum class Action { Repay, Close, Refund, Refresh, NewOrder, ReviewRefund, ResolveAnomaly, ManageSettings, Reconcile, Receipt, MarkPaid };

    /// `refundableMinor` is what is still refundable on the order (only used for Refund; pass
    /// -1 when unknown).
    static ActionVerdict check(Action action, Role role, const Order *order, qint64 nowMs, qint64 refundableMinor = -1);
};

} // namespace paydesk
