#pragma once

#include "domain/Domain.h"
#include "storage/Database.h"

#include <QSqlQuery>
#include <QVariantMap>

namespace paydesk {

/// Refunds, each referencing the payment attempt it gives money back from.
class RefundRepository final
{
    Q_DECLARE_TR_FUNCTIONS(RefundRepository)
public:
    static constexpr int kMaxRefundsPerPayment = 50;
    static constexpr qint64 kRefundWindowMs = 365LL * 24 * 3600 * 1000;

    explicit RefundRepository(Database &db) : m_db(db) {}

    static QString refundColumns();
    static Refund readRefund(const QSqlQuery &q, int first = 0);

    /// What is still refundable on a paid attempt: paid minus every refund that holds an
    /// amount (requested, approved, processing, succeeded). Runs on `conn`.
    static Result<qint64> refundableOn(QSqlDatabase &conn, const PaymentAttempt &attempt);

    /// Inserts `r` (state REQUESTED) only if the cap holds, inside the caller's transaction.
    /// The attempt row is locked first (SELECT ... FOR UPDATE on PostgreSQL; the transaction
    /// is BEGIN IMMEDIATE on SQLite), so two requests racing for the same money serialise and
    /// the second sees the first. Checks: the attempt SUCCEEDED, within 365 days of payment,
    /// fewer than 50 refunds, and amount <= what is left. Fills r.id.
    Status insertWithinCap(Transaction &tx, Refund &r, qint64 nowMs);

    Result<Refund> byOutRefundNo(const QString &outRefundNo);
    Result<Refund> byId(qint64 id);
    Result<QList<Refund>> ofOrder(qint64 orderId);
    Result<QList<Refund>> inState(RefundState state, int limit = 500);

    Status cas(QSqlDatabase &conn, qint64 id, RefundState from, RefundState to, const QVariantMap &sets = {});
    /// Records `sets` (next poll, tries, last error) on a refund that stays in `state`; a
    /// conflict when it is no longer in that state.
    Status note(QSqlDatabase &conn, qint64 id, RefundState state, const QVariantMap &sets);

private:
    Database &m_db;
};

} // namespace paydesk
