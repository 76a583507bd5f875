#pragma once

#include "domain/Domain.h"
#include "storage/Database.h"
#include "storage/ReconRepository.h"

#include <QDate>
#include <QHash>
#include <QStringList>

namespace paydesk {

/// The set-based SQL of a reconciliation run, inside its transaction: our side of a day read
/// in one statement (plus IN lists for the bill's keys outside it) into hashes, so that each
/// bill row is a lookup in memory and not a SELECT; and the day's differences read, moved and
/// inserted as sets. (ReconRepository::attempt / refund are the row-at-a-time reads this
/// replaced; bench_recon keeps them as its baseline.)
class ReconSets final
{
public:
    /// What matching needs of one of our payments: small, so a day of a million fits in memory.
    struct Payment
    {
        qint64 id = 0;
        qint64 orderId = 0;
        ChannelKind channel = ChannelKind::Sim;
        AttemptState state = AttemptState::Created;
        qint64 amountMinor = 0;
        QString currency;
        qint64 paidAt = 0;
    };
    /// What matching needs of one of our refunds, with the channel of the payment it refunds.
    struct Refund
    {
        qint64 id = 0;
        qint64 orderId = 0;
        ChannelKind channel = ChannelKind::Sim;
        RefundState state = RefundState::Requested;
        qint64 amountMinor = 0;
        qint64 completedAt = 0;
    };
    using Payments = QHash<QString, Payment>; ///< by out_trade_no
    using Refunds = QHash<QString, Refund>;   ///< by out_refund_no
    /// The largest IN (...) list one statement binds.
    static constexpr int kKeysPerStatement = 500;

    /// Our SUCCEEDED payments of `channel` paid in [fromMs, toMs), in one statement (through the
    /// partial index attempts_state_paid).
    static Status paymentsPaidIn(Transaction &tx, ChannelKind channel, qint64 fromMs, qint64 toMs, Payments &into);
    /// Our payments with these out_trade_nos, whatever their channel or state, in IN lists of at
    /// most kKeysPerStatement keys.
    static Status paymentsByKey(Transaction &tx, const QStringList &outTradeNos, Payments &into);
    /// Our SUCCEEDED refunds of `channel`'s payments completed in [fromMs, toMs), one statement.
    static Status refundsSucceededIn(Transaction &tx, ChannelKind channel, qint64 fromMs, qint64 toMs, Refunds &into);
    /// Our refunds with these out_refund_nos, whatever their state, in IN lists as above.
    static Status refundsByKey(Transaction &tx, const QStringList &outRefundNos, Refunds &into);

    /// Every difference kept for the day, by key().
    static Result<QHash<QString, ReconDifference>> differencesOfDay(Transaction &tx, ChannelKind channel, const QDate &date);
    static QString key(const QString &kind, const QString &ref) { return kind + u'\x1f' + ref; }
    /// Inserts them with one prepared statement; their ids are read back in one statement.
    static Status insertDifferences(Transaction &tx, ChannelKind channel, const QDate &date, const QList<ReconDifference *> &fresh);
    /// Moves these differences to `runId`, in IN lists of at most kKeysPerStatement ids.
    static Status touchDifferences(Transaction &tx, const QList<qint64> &ids, qint64 runId);
};

} // namespace paydesk
