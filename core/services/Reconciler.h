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
        RefundFailed,     ///< ABNORMAL: Anomaly for finance
        RefundClosed,     ///< CLOSED by the channel: Anomaly for finance
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

    /// Bumps the change counter (and NOTIFY on PostgreSQL) inside `tx`, so other instances
    /// pick up new work.
    static Status signalChange(Transaction &tx);

private:
    Result<qint64> openAnomaly(Transaction &tx, AnomalyKind kind, const Order &order, const PaymentAttempt &attempt,
                               const QString &details, bool proposeRefund);

    Database &m_db;
    OrderRepository &m_orders;
    RefundRepository &m_refunds;
    AnomalyRepository &m_anomalies;
    AuditLog &m_audit;
    const Clock &m_clock;
};

} // namespace paydesk
