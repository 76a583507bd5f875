#pragma once

#include "channels/PaymentChannel.h"
#include "storage/AnomalyRepository.h"
#include "storage/AuditLog.h"
#include "storage/OrderRepository.h"
#include "storage/RefundRepository.h"
#include "util/Clock.h"

namespace paydesk {

/// The one place where what a channel says becomes our books. The timer, `order refresh`,
/// `notify apply`, close and repay all apply channel answers through here, each change a
/// compare-and-set inside one transaction with its audit entry, so the same answer applied
/// twice (a duplicate notification, two instances) changes nothing the second time.
class Reconciler final
{
    Q_DECLARE_TR_FUNCTIONS(Reconciler)
public:
    Reconciler(Database &db, OrderRepository &orders, RefundRepository &refunds, AnomalyRepository &anomalies,
               AuditLog &audit, const Clock &clock)
        : m_db(db), m_orders(orders), m_refunds(refunds), m_anomalies(anomalies), m_audit(audit), m_clock(clock) {}

    /// The login recorded for what the program does on its own.
    static QString systemUser() { return QStringLiteral("system"); }

    /// A payment the channel said it never saw ("did not exist", e.g. an Alipay code nobody
    /// scanned) is looked at once more this long after its code expires: the channel had
    /// nothing to close, so only a later look proves no money came (LateLook does it).
    static constexpr qint64 kLateLookAfterExpiryMs = 2 * 60'000;
    /// When that look is due for `attempt`, recorded at `nowMs`.
    static qint64 lateLookAt(const PaymentAttempt &attempt, qint64 nowMs)
    {
        return qMax(nowMs, attempt.expiresAt) + kLateLookAfterExpiryMs;
    }

    enum class Outcome {
        Paid,             ///< the order became PAID
        AlreadyApplied,   ///< nothing new: this answer was applied before
        PaidAfterClose,   ///< money on a closed order: Anomaly + REQUESTED refund
        DuplicatePayment, ///< a second paid attempt: Anomaly + REQUESTED refund
        AttemptClosed,    ///< the attempt is closed at the channel
        AttemptFailed,    ///< the attempt failed or never reached the channel
        StillOpen,        ///< not paid yet
        RefundSucceeded,
        RefundProcessing,
        RefundAbnormal,   ///< ABNORMAL: Anomaly for finance; the refund stays in flight, its amount held
        RefundClosed,     ///< CLOSED by the channel: Anomaly for finance
        RefundRefused,    ///< the channel refused the refund (a verified answer): FAILED, amount free again
        RefundUnconfirmed,///< no verifiable answer: still in flight, asked again; Anomaly after many tries
        AmountMismatch,   ///< the answer names another amount or currency: books unchanged, Anomaly
    };
    static QString describe(Outcome o);

    struct Applied
    {
        Outcome outcome = Outcome::StillOpen;
        QString orderNo;
        QString outTradeNo;
        QString outRefundNo;
        qint64 anomalyId = 0;
    };

    /// Applies a payment status in a transaction of its own.
    Result<Applied> applyPayment(const PaymentStatus &status, const QString &actor, const QString &source);
    /// The same inside the caller's transaction (the timer batches many).
    Result<Applied> applyPayment(Transaction &tx, const PaymentStatus &status, const QString &actor, const QString &source);

    /// Applies a refund's channel status. `nextPollAt` is when to ask again while PROCESSING.
    Result<Applied> applyRefund(const RefundResult &result, const QString &actor, qint64 nextPollAt);
    Result<Applied> applyRefund(Transaction &tx, const RefundResult &result, const QString &actor, qint64 nextPollAt);

    /// The channel refused to make the refund, in an answer we verified (NOT_ENOUGH,
    /// PARAM_ERROR ...): APPROVED -> FAILED, an anomaly for finance, the amount free again.
    Result<Applied> refuseRefund(Transaction &tx, const QString &outRefundNo, const ChannelError &error, const QString &actor);
    /// The channel's answer about a refund could not be verified or did not come (forged,
    /// unsigned, stale, about something else): the refund may have been made, so it stays in
    /// flight (APPROVED -> PROCESSING, to be asked about with backoff) and nothing ends it;
    /// after `kUnconfirmedTries` tries without a verified answer an anomaly opens, once.
    Result<Applied> refundUnconfirmed(Transaction &tx, const QString &outRefundNo, const ChannelError &error, const QString &actor,
                                      qint64 nextPollAt);
    static constexpr int kUnconfirmedTries = 6;

    /// Bumps the change counter (and NOTIFY on PostgreSQL) inside `tx`, so other instances
    /// pick up new work.
    static Status signalChange(Transaction &tx);

private:
    Result<qint64> openAnomaly(Transaction &tx, AnomalyKind kind, const Order &order, const PaymentAttempt &attempt,
                               const QString &details, bool proposeRefund);
    struct Locked
    {
        Refund refund;
        Order order;
    };
    Result<Locked> lockRefund(Transaction &tx, const QString &outRefundNo);

    Database &m_db;
    OrderRepository &m_orders;
    RefundRepository &m_refunds;
    AnomalyRepository &m_anomalies;
    AuditLog &m_audit;
    const Clock &m_clock;
};

} // namespace paydesk
