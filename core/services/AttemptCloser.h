#pragma once

#include "channels/ChannelRegistry.h"

#include <functional>

namespace paydesk {

/// What happened to one open payment attempt when we tried to close it at its channel.
struct AttemptOutcome
{
    enum class Kind {
        Closed,  ///< closed at the channel (or the channel never saw it): safe to close locally
        Paid,    ///< the customer paid after all (`status` says how much, when)
        Failed,  ///< the channel could not be reached or refused: try again later (`error`)
    };
    PaymentAttempt attempt;
    Kind kind = Kind::Failed;
    PaymentStatus status;  ///< for Paid and Closed: what to apply through the Reconciler
    ChannelError error;    ///< for Failed
};

/// Closes open attempts at their channels, one after another, and reports every outcome at
/// once. With `queryFirst` (the timer's expiry job) each attempt is queried first, so money
/// that arrived is recognised before anything is closed; "already paid" from close
/// (WeChat ORDERPAID) is answered by a query for the payment's details either way.
void closeAttemptsAtChannels(ChannelRegistry &channels, const QList<PaymentAttempt> &attempts, bool queryFirst,
                             QObject *context, std::function<void(const QList<AttemptOutcome> &)> done);

} // namespace paydesk
