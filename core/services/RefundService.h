#pragma once

#include "services/Reconciler.h"
#include "storage/Settings.h"
#include "storage/UserDirectory.h"

namespace paydesk {

/// Refund requests and their four-eyes review. Sending approved refunds to the channel is
/// the timer's job (SyncEngine); this only decides what may be refunded and by whom.
class RefundService final
{
    Q_DECLARE_TR_FUNCTIONS(RefundService)
public:
    RefundService(Database &db, OrderRepository &orders, RefundRepository &refunds, AnomalyRepository &anomalies,
                  AuditLog &audit, Settings &settings, UserDirectory &users, const Clock &clock)
        : m_db(db), m_orders(orders), m_refunds(refunds), m_anomalies(anomalies), m_audit(audit), m_settings(settings),
          m_users(users), m_clock(clock) {}

    struct Request
    {
        QString orderNo;
        QString amount;          ///< as typed; ignored when `all` is set
        bool all = false;        ///< refund all that is left on the payment
        QString reason;          ///< required
        QString outTradeNo;      ///< which payment; empty: the order's paid payment
        QString requestKey;      ///< the same key twice (double click, retry) is one refund
    };
    struct Requested
    {
        Refund refund;
        bool autoApproved = false;
        bool repeated = false;   ///< this request key was seen before: nothing new was made
    };
    /// CLERK or FINANCE. Checked and written in one serialised transaction against what is
    /// still refundable (requested + approved + processing + succeeded count).
    Result<Requested> request(const User &actor, const Request &request);

    /// What can still be refunded on the order's paid payment (for the dialog).
    Result<Money> refundable(const QString &orderNo, const QString &outTradeNo = {});

    struct Reviewed
    {
        Refund refund;
        bool repeated = false;   ///< it was already in that state by the same decision
    };
    /// FINANCE, and not the requester. Approved refunds go to the timer to be sent.
    Result<Reviewed> approve(const User &actor, const QString &outRefundNo, const QString &note);
    /// FINANCE, and not the requester; a note is required. The amount is free again.
    Result<Reviewed> reject(const User &actor, const QString &outRefundNo, const QString &note);
    /// FINANCE, and not the requester; a note is required. A FAILED refund (the channel
    /// refused it) is approved again and sent with the same out_refund_no, if its amount still
    /// fits what is refundable.
    Result<Reviewed> retry(const User &actor, const QString &outRefundNo, const QString &note);

    /// Checked by the timer right before money moves, against the database as it is now (not
    /// against what the review once saw): the refund is APPROVED, and approved either by an
    /// active FINANCE user who is not the requester, or automatically within the current
    /// auto-approve limit. A row written past the services (raw SQL) fails here.
    Status checkApproval(const Refund &refund);

    struct Filter
    {
        QList<RefundState> states;  ///< empty: all
        QString orderNo;
        int limit = 200;
    };
    struct Row
    {
        Refund refund;
        QString orderNo;
        QString orderTitle;
        QString outTradeNo;
        qint64 paidMinor = 0;
    };
    Result<QList<Row>> list(const Filter &filter);

    // ---- anomalies ----
    Result<QList<Anomaly>> anomalies(std::optional<AnomalyState> state);
    /// FINANCE or ADMIN, with a note. A refund the anomaly proposed stays in review.
    Result<Anomaly> resolveAnomaly(const User &actor, qint64 anomalyId, const QString &note);

private:
    Result<Reviewed> review(const User &actor, const QString &outRefundNo, const QString &note, bool approve);
    Result<PaymentAttempt> paidAttemptOf(const Order &order, const QString &outTradeNo);

    Database &m_db;
    OrderRepository &m_orders;
    RefundRepository &m_refunds;
    AnomalyRepository &m_anomalies;
    AuditLog &m_audit;
    Settings &m_settings;
    UserDirectory &m_users;
    const Clock &m_clock;
};

} // namespace paydesk
