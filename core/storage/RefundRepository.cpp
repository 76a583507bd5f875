#include "storage/RefundRepository.h"

#include "storage/OrderRepository.h"

namespace paydesk {

QString RefundRepository::refundColumns()
{
    return QStringLiteral("r.id, r.out_refund_no, r.order_id, r.attempt_id, r.amount_minor, r.currency, r.state, r.reason, "
                          "r.requested_by, r.reviewed_by, r.review_note, r.requested_at, r.reviewed_at, r.completed_at, "
                          "r.next_action_at, r.attempt_count, r.channel_refund_id, r.last_error");
}

Refund RefundRepository::readRefund(const QSqlQuery &q, int f)
{
    Refund r;
    r.id = q.value(f + 0).toLongLong();
    r.outRefundNo = q.value(f + 1).toString();
    r.orderId = q.value(f + 2).toLongLong();
    r.attemptId = q.value(f + 3).toLongLong();
    r.amountMinor = q.value(f + 4).toLongLong();
    r.currency = q.value(f + 5).toString();
    r.state = fromString<RefundState>(q.value(f + 6).toString()).value_or(RefundState::Requested);
    r.reason = q.value(f + 7).toString();
    r.requestedBy = q.value(f + 8).toString();
    r.reviewedBy = q.value(f + 9).toString();
    r.reviewNote = q.value(f + 10).toString();
    r.requestedAt = q.value(f + 11).toLongLong();
    r.reviewedAt = q.value(f + 12).toLongLong();
    r.completedAt = q.value(f + 13).toLongLong();
    r.nextActionAt = q.value(f + 14).toLongLong();
    r.attemptCount = q.value(f + 15).toInt();
    r.channelRefundId = q.value(f + 16).toString();
    r.lastError = q.value(f + 17).toString();
    return r;
}

Result<qint64> RefundRepository::refundableOn(QSqlDatabase &conn, const PaymentAttempt &attempt)
{
    auto q = Sql::exec(conn, QStringLiteral(
        "SELECT COALESCE(SUM(amount_minor), 0) FROM refunds WHERE attempt_id = :a "
        "AND state IN ('REQUESTED', 'APPROVED', 'PROCESSING', 'SUCCEEDED')"), {{":a", attempt.id}});
    if (!q)
        return q.error();
    q.value().next();
    return attempt.amountMinor - q.value().value(0).toLongLong();
}

Status RefundRepository::insertWithinCap(Transaction &tx, Refund &r, qint64 nowMs)
{
    QSqlDatabase &conn = tx.connection();
    auto lock = Sql::exec(conn, QStringLiteral("SELECT ") + OrderRepository::attemptColumns()
                                    + QStringLiteral(" FROM payment_attempts a WHERE a.id = :id") + tx.database().forUpdate(),
                          {{":id", r.attemptId}});
    if (!lock)
        return lock.error();
    if (!lock.value().next())
        return Error::notFound(QStringLiteral("attempt.not_found"), tr("The payment to refund does not exist."));
    const PaymentAttempt attempt = OrderRepository::readAttempt(lock.value());
    if (attempt.state != AttemptState::Succeeded)
        return Error::invalid(QStringLiteral("refund.not_paid"),
                              tr("Payment %1 is %2, not paid; only paid money can be refunded.")
                                  .arg(attempt.outTradeNo, toString(attempt.state)));
    if (nowMs - attempt.paidAt > kRefundWindowMs)
        return Error::invalid(QStringLiteral("refund.too_late"),
                              tr("Payment %1 was made more than 365 days ago; the channels refuse refunds after that.")
                                  .arg(attempt.outTradeNo));
    if (Status s = Money::validate(r.amountMinor, Currency::fromCode(attempt.currency).value_or(Currency::cny()), AmountUse::Refund); !s)
        return s;
    // The channel counts the refunds it was sent: one finance rejected never reached it.
    auto n = Sql::exec(conn, QStringLiteral("SELECT COUNT(*) FROM refunds WHERE attempt_id = :a AND state <> 'REJECTED'"), {{":a", attempt.id}});
    if (!n)
        return n.error();
    n.value().next();
    const int existing = n.value().value(0).toInt();
    if (existing >= kMaxRefundsPerPayment)
        return Error::invalid(QStringLiteral("refund.too_many"),
                              tr("Payment %1 already has %2 refunds, the most a channel accepts.")
                                  .arg(attempt.outTradeNo).arg(kMaxRefundsPerPayment));
    auto left = refundableOn(conn, attempt);
    if (!left)
        return left.error();
    const Currency cur = Currency::fromCode(attempt.currency).value_or(Currency::cny());
    if (r.amountMinor > left.value())
        return Error::invalid(QStringLiteral("refund.exceeds_refundable"),
                              tr("Only %1 is left to refund on payment %2; %3 is too much.")
                                  .arg(Money(left.value(), cur).toPlainString(), attempt.outTradeNo,
                                       Money(r.amountMinor, cur).toPlainString()));
    r.orderId = attempt.orderId;
    r.currency = attempt.currency;
    r.requestedAt = nowMs;
    r.state = RefundState::Requested;
    if (r.outRefundNo.isEmpty()) {
        auto order = Sql::exec(conn, QStringLiteral("SELECT order_no FROM orders WHERE id = :id"), {{":id", attempt.orderId}});
        if (!order || !order.value().next())
            return order ? Error::storage(QStringLiteral("order of attempt missing")) : order.error();
        auto total = Sql::exec(conn, QStringLiteral("SELECT COUNT(*) FROM refunds WHERE order_id = :o"), {{":o", attempt.orderId}});
        if (!total || !total.value().next())
            return total ? Error::storage(QStringLiteral("count failed")) : total.error();
        r.outRefundNo = Ids::outRefundNo(order.value().value(0).toString(), total.value().value(0).toInt() + 1);
    }
    auto ins = Sql::exec(conn, QStringLiteral(
        "INSERT INTO refunds (out_refund_no, order_id, attempt_id, amount_minor, currency, state, reason, requested_by, "
        "requested_at, next_action_at) VALUES (:no, :o, :a, :amt, :cur, 'REQUESTED', :reason, :by, :at, :next)"),
        {{":no", r.outRefundNo}, {":o", r.orderId}, {":a", r.attemptId}, {":amt", r.amountMinor}, {":cur", r.currency},
         {":reason", r.reason}, {":by", r.requestedBy}, {":at", r.requestedAt}, {":next", r.nextActionAt}});
    if (!ins)
        return ins.error();
    auto id = Sql::exec(conn, QStringLiteral("SELECT id FROM refunds WHERE out_refund_no = :no"), {{":no", r.outRefundNo}});
    if (!id || !id.value().next())
        return id ? Error::storage(QStringLiteral("inserted refund vanished")) : id.error();
    r.id = id.value().value(0).toLongLong();
    return {};
}

Result<Refund> RefundRepository::byId(qint64 id)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + refundColumns() + QStringLiteral(" FROM refunds r WHERE r.id = :id"), {{":id", id}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return Error::notFound(QStringLiteral("refund.not_found"), tr("There is no refund %1.").arg(id));
    return readRefund(q.value());
}

Result<Refund> RefundRepository::byOutRefundNo(const QString &outRefundNo)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + refundColumns() + QStringLiteral(" FROM refunds r WHERE r.out_refund_no = :n"),
                       {{":n", outRefundNo}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return Error::notFound(QStringLiteral("refund.not_found"), tr("There is no refund %1.").arg(outRefundNo));
    return readRefund(q.value());
}

Result<QList<Refund>> RefundRepository::ofOrder(qint64 orderId)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + refundColumns() + QStringLiteral(" FROM refunds r WHERE r.order_id = :o ORDER BY r.id"),
                       {{":o", orderId}});
    if (!q)
        return q.error();
    QList<Refund> out;
    while (q.value().next())
        out << readRefund(q.value());
    return out;
}

Result<QList<Refund>> RefundRepository::inState(RefundState state, int limit)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + refundColumns()
                                              + QStringLiteral(" FROM refunds r WHERE r.state = :s ORDER BY r.requested_at, r.id LIMIT :l"),
                       {{":s", toString(state)}, {":l", limit}});
    if (!q)
        return q.error();
    QList<Refund> out;
    while (q.value().next())
        out << readRefund(q.value());
    return out;
}

Status RefundRepository::cas(QSqlDatabase &conn, qint64 id, RefundState from, RefundState to, const QVariantMap &sets)
{
    if (Status s = Transitions::check(from, to); !s)
        return s;
    return Sql::compareAndSet(conn, QStringLiteral("refunds"), id, toString(from), toString(to), sets,
                              tr("The refund is no longer %1: someone else changed it first.").arg(toString(from)));
}

Status RefundRepository::note(QSqlDatabase &conn, qint64 id, RefundState state, const QVariantMap &sets)
{
    return Sql::compareAndSet(conn, QStringLiteral("refunds"), id, toString(state), toString(state), sets,
                              tr("The refund is no longer %1: someone else changed it first.").arg(toString(state)));
}

} // namespace paydesk
