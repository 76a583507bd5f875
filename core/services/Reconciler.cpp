#include "services/Reconciler.h"

#include "domain/SystemText.h"

namespace paydesk {

QString Reconciler::describe(Outcome o)
{
    switch (o) {
    case Outcome::Paid: return tr("paid");
    case Outcome::AlreadyApplied: return tr("already applied, nothing changed");
    case Outcome::PaidAfterClose: return tr("money arrived after the order closed: anomaly opened, refund proposed");
    case Outcome::DuplicatePayment: return tr("second payment for the order: anomaly opened, refund proposed");
    case Outcome::AttemptClosed: return tr("payment closed at the channel");
    case Outcome::AttemptFailed: return tr("payment failed at the channel");
    case Outcome::StillOpen: return tr("not paid yet");
    case Outcome::RefundSucceeded: return tr("refund succeeded");
    case Outcome::RefundProcessing: return tr("refund processing at the channel");
    case Outcome::RefundAbnormal: return tr("refund abnormal at the channel: anomaly opened, the amount stays held");
    case Outcome::RefundClosed: return tr("refund closed by the channel: anomaly opened");
    case Outcome::RefundRefused: return tr("refund refused by the channel: anomaly opened");
    case Outcome::RefundUnconfirmed: return tr("no verifiable answer about the refund: it stays in progress and is asked about again");
    case Outcome::AmountMismatch: return tr("the channel's answer names another amount: books unchanged, anomaly opened");
    }
    return {};
}

Status Reconciler::signalChange(Transaction &tx)
{
    auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE change_counter SET value = value + 1 WHERE id = 1"));
    if (!r)
        return r.error();
    if (tx.database().dialect() == Database::Dialect::PostgreSQL) {
        auto n = Sql::exec(tx.connection(), QStringLiteral("SELECT pg_notify('paydesk_changes', '')"));
        if (!n)
            return n.error();
    }
    return {};
}

Result<Reconciler::Applied> Reconciler::applyPayment(const PaymentStatus &status, const QString &actor, const QString &source)
{
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    auto r = applyPayment(tx, status, actor, source);
    if (!r)
        return r;
    if (r->outcome == Outcome::AlreadyApplied || r->outcome == Outcome::StillOpen) {
        tx.rollback();
        return r;
    }
    if (Status s = tx.commit(); !s)
        return s.error();
    return r;
}

Result<qint64> Reconciler::openAnomaly(Transaction &tx, AnomalyKind kind, const Order &order, const PaymentAttempt &attempt,
                                       const QString &details, bool proposeRefund)
{
    Anomaly a;
    a.kind = kind;
    a.orderId = order.id;
    a.attemptId = attempt.id;
    a.details = details;
    a.createdAt = m_clock.nowMs();
    if (proposeRefund) {
        Refund r;
        r.attemptId = attempt.id;
        r.amountMinor = attempt.amountMinor;
        r.reason = details;
        r.requestedBy = systemUser();
        if (Status s = m_refunds.insertWithinCap(tx, r, m_clock.nowMs()); !s)
            return s.error();
        a.refundId = r.id;
        if (Status s = m_audit.append(tx, systemUser(), QStringLiteral("refund.request"), QStringLiteral("refund:") + r.outRefundNo,
                                      {{QStringLiteral("amount"), minorToPlain(r.amountMinor, 2)},
                                       {QStringLiteral("order"), order.orderNo},
                                       {QStringLiteral("reason"), details}});
            !s)
            return s.error();
    }
    if (Status s = m_anomalies.insert(tx.connection(), a); !s)
        return s.error();
    if (Status s = m_audit.append(tx, systemUser(), QStringLiteral("anomaly.open"), QStringLiteral("order:") + order.orderNo,
                                  {{QStringLiteral("kind"), toString(kind)}, {QStringLiteral("out_trade_no"), attempt.outTradeNo},
                                   {QStringLiteral("anomaly"), a.id}});
        !s)
        return s.error();
    return a.id;
}

Result<Reconciler::Applied> Reconciler::applyPayment(Transaction &tx, const PaymentStatus &status, const QString &actor,
                                                     const QString &source)
{
    QSqlDatabase &conn = tx.connection();
    auto aq = Sql::exec(conn, QStringLiteral("SELECT ") + OrderRepository::attemptColumns()
                                  + QStringLiteral(" FROM payment_attempts a WHERE a.out_trade_no = :n") + m_db.forUpdate(),
                        {{":n", status.outTradeNo}});
    if (!aq)
        return aq.error();
    if (!aq.value().next())
        return Error::notFound(QStringLiteral("attempt.not_found"), tr("There is no payment %1 in our books.").arg(status.outTradeNo));
    const PaymentAttempt attempt = OrderRepository::readAttempt(aq.value());
    auto oq = Sql::exec(conn, QStringLiteral("SELECT ") + OrderRepository::orderColumns()
                                  + QStringLiteral(" FROM orders o WHERE o.id = :id") + m_db.forUpdate(),
                        {{":id", attempt.orderId}});
    if (!oq)
        return oq.error();
    if (!oq.value().next())
        return Error::storage(QStringLiteral("order of attempt missing"));
    const Order order = OrderRepository::readOrder(oq.value());
    Applied out;
    out.orderNo = order.orderNo;
    out.outTradeNo = attempt.outTradeNo;
    const qint64 now = m_clock.nowMs();
    const QString object = QStringLiteral("order:") + order.orderNo;

    switch (status.state) {
    case TradeState::Success:
    case TradeState::Refunded: {
        if (attempt.state == AttemptState::Succeeded) {
            out.outcome = Outcome::AlreadyApplied;
            return out;
        }
        // An answer about other money (amount or currency) proves nothing about this payment:
        // the books stay as they were and finance looks at it.
        const bool currencyDiffers = !status.currency.isEmpty() && status.currency != attempt.currency;
        if (status.amountMinor != attempt.amountMinor || currencyDiffers) {
            out.outcome = Outcome::AmountMismatch;
            auto seen = m_anomalies.openFor(conn, AnomalyKind::AmountMismatch, attempt.id);
            if (!seen)
                return seen.error();
            if (seen.value())
                return out;
            if (Status s = m_audit.append(tx, actor, QStringLiteral("payment.amount_mismatch"), object,
                                          {{QStringLiteral("out_trade_no"), attempt.outTradeNo}, {QStringLiteral("source"), source},
                                           {QStringLiteral("channel_state"), status.rawState},
                                           {QStringLiteral("channel_txn_id"), status.channelTxnId},
                                           {QStringLiteral("stated_amount"), minorToPlain(status.amountMinor, 2)},
                                           {QStringLiteral("stated_currency"), status.currency},
                                           {QStringLiteral("expected_amount"), minorToPlain(attempt.amountMinor, 2)},
                                           {QStringLiteral("expected_currency"), attempt.currency}});
                !s)
                return s.error();
            auto id = openAnomaly(tx, AnomalyKind::AmountMismatch, order, attempt,
                                  SystemText::paymentAmountMismatch(attempt.outTradeNo, status.amountMinor, status.currency, attempt.amountMinor, attempt.currency),
                                  false);
            if (!id)
                return id.error();
            out.anomalyId = id.value();
            return out;
        }
        const qint64 paidAt = status.paidAtMs > 0 ? status.paidAtMs : now;
        if (Status s = m_orders.casAttempt(conn, attempt.id, attempt.state, AttemptState::Succeeded,
                                           {{QStringLiteral("paid_at"), paidAt},
                                            {QStringLiteral("channel_txn_id"), status.channelTxnId},
                                            {QStringLiteral("next_query_at"), qint64(0)}});
            !s)
            return s.error();
        QJsonObject details{{QStringLiteral("out_trade_no"), attempt.outTradeNo}, {QStringLiteral("source"), source},
                            {QStringLiteral("channel_txn_id"), status.channelTxnId}};
        if (order.state == OrderState::Pending) {
            if (Status s = m_orders.casOrder(conn, order.id, OrderState::Pending, OrderState::Paid,
                                             {{QStringLiteral("paid_at"), paidAt}, {QStringLiteral("channel"), toString(attempt.channel)}});
                !s)
                return s.error();
            if (Status s = m_audit.append(tx, actor, QStringLiteral("order.paid"), object, details); !s)
                return s.error();
            // The order's other payments (QR codes of earlier or later repays) still work at
            // their channels: due for a query now, when the timer sees their order is paid and
            // closes them.
            auto u = Sql::exec(conn, QStringLiteral("UPDATE payment_attempts SET next_query_at = :now WHERE order_id = :o AND id <> :a "
                                                    "AND state IN ('CREATED', 'PAYING')"),
                               {{":now", m_clock.nowMs()}, {":o", order.id}, {":a", attempt.id}});
            if (!u)
                return u.error();
            // Tell the timer (of this process or another): it wakes for due work it holds, or
            // when the change counter moves.
            if (u.value().numRowsAffected() > 0)
                if (Status s = signalChange(tx); !s)
                    return s.error();
            out.outcome = Outcome::Paid;
            return out;
        }
        const bool closed = order.state == OrderState::Closed;
        const AnomalyKind kind = closed ? AnomalyKind::PaidAfterClose : AnomalyKind::DuplicatePayment;
        const QString why = closed ? SystemText::paidAfterClose(attempt.outTradeNo, order.orderNo)
                                   : SystemText::duplicatePayment(attempt.outTradeNo, order.orderNo);
        if (Status s = m_audit.append(tx, actor, QStringLiteral("payment.late"), object, details); !s)
            return s.error();
        auto id = openAnomaly(tx, kind, order, attempt, why, true);
        if (!id)
            return id.error();
        out.anomalyId = id.value();
        out.outcome = closed ? Outcome::PaidAfterClose : Outcome::DuplicatePayment;
        return out;
    }
    case TradeState::Closed:
    case TradeState::PayError:
    case TradeState::NotExist: {
        if (!Transitions::isOpen(attempt.state)) {
            out.outcome = Outcome::AlreadyApplied;
            return out;
        }
        if (status.state == TradeState::NotExist && attempt.state == AttemptState::Paying && !status.unscannedCode) {
            // The channel confirmed this payment (we only get to PAYING from its answer), so a
            // "no such payment" is older than the payment: a close or query that crossed the
            // creation. Believing it would leave a live QR code behind a payment we call failed.
            // Not so for a code nobody scanned at a channel that makes the trade on the scan
            // (Alipay): that answer is current, and the late look covers the code's last minutes.
            out.outcome = Outcome::StillOpen;
            return out;
        }
        const AttemptState to = status.state == TradeState::Closed ? AttemptState::Closed : AttemptState::Failed;
        // "Did not exist" ends nothing at the channel: due for one late look (LateLook).
        const qint64 next = status.state == TradeState::NotExist ? lateLookAt(attempt, now) : 0;
        if (Status s = m_orders.casAttempt(conn, attempt.id, attempt.state, to,
                                           {{QStringLiteral("next_query_at"), next}, {QStringLiteral("last_error"), status.rawState}});
            !s)
            return s.error();
        if (Status s = m_audit.append(tx, actor, to == AttemptState::Closed ? QStringLiteral("payment.closed") : QStringLiteral("payment.failed"),
                                      object, {{QStringLiteral("out_trade_no"), attempt.outTradeNo}, {QStringLiteral("source"), source},
                                               {QStringLiteral("channel_state"), status.rawState}});
            !s)
            return s.error();
        out.outcome = to == AttemptState::Closed ? Outcome::AttemptClosed : Outcome::AttemptFailed;
        return out;
    }
    case TradeState::NotPay:
    case TradeState::UserPaying:
        if (attempt.state == AttemptState::Created) {
            if (Status s = m_orders.casAttempt(conn, attempt.id, AttemptState::Created, AttemptState::Paying); !s)
                return s.error();
        }
        out.outcome = Outcome::StillOpen;
        return out;
    }
    return out;
}

Result<Reconciler::Applied> Reconciler::applyRefund(const RefundResult &result, const QString &actor, qint64 nextPollAt)
{
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    auto r = applyRefund(tx, result, actor, nextPollAt);
    if (!r)
        return r;
    if (r->outcome == Outcome::AlreadyApplied) {
        tx.rollback();
        return r;
    }
    if (Status s = tx.commit(); !s)
        return s.error();
    return r;
}

Result<Reconciler::Locked> Reconciler::lockRefund(Transaction &tx, const QString &outRefundNo)
{
    QSqlDatabase &conn = tx.connection();
    auto rq = Sql::exec(conn, QStringLiteral("SELECT ") + RefundRepository::refundColumns()
                                  + QStringLiteral(" FROM refunds r WHERE r.out_refund_no = :n") + m_db.forUpdate(),
                        {{":n", outRefundNo}});
    if (!rq)
        return rq.error();
    if (!rq.value().next())
        return Error::notFound(QStringLiteral("refund.not_found"), tr("There is no refund %1 in our books.").arg(outRefundNo));
    Locked out;
    out.refund = RefundRepository::readRefund(rq.value());
    auto oq = Sql::exec(conn, QStringLiteral("SELECT ") + OrderRepository::orderColumns()
                                  + QStringLiteral(" FROM orders o WHERE o.id = :id") + m_db.forUpdate(),
                        {{":id", out.refund.orderId}});
    if (!oq || !oq.value().next())
        return oq ? Error::storage(QStringLiteral("order of refund missing")) : oq.error();
    out.order = OrderRepository::readOrder(oq.value());
    return out;
}

Result<Reconciler::Applied> Reconciler::applyRefund(Transaction &tx, const RefundResult &result, const QString &actor, qint64 nextPollAt)
{
    QSqlDatabase &conn = tx.connection();
    auto locked = lockRefund(tx, result.outRefundNo);
    if (!locked)
        return locked.error();
    const Refund refund = locked->refund;
    const Order order = locked->order;
    Applied out;
    out.outRefundNo = refund.outRefundNo;
    out.orderNo = order.orderNo;
    const qint64 now = m_clock.nowMs();
    const QString object = QStringLiteral("refund:") + refund.outRefundNo;
    const bool inFlight = refund.state == RefundState::Approved || refund.state == RefundState::Processing;
    PaymentAttempt attempt;
    attempt.id = refund.attemptId;

    // From APPROVED (just sent) or PROCESSING, a refund still in flight: record the next poll.
    auto stayInFlight = [&](const QString &lastError) -> Status {
        QVariantMap sets{{QStringLiteral("next_action_at"), nextPollAt}, {QStringLiteral("attempt_count"), refund.attemptCount + 1},
                         {QStringLiteral("last_error"), lastError}};
        if (!result.channelRefundId.isEmpty())
            sets.insert(QStringLiteral("channel_refund_id"), result.channelRefundId);
        if (refund.state == RefundState::Approved) {
            if (Status s = m_refunds.cas(conn, refund.id, RefundState::Approved, RefundState::Processing, sets); !s)
                return s;
            return m_audit.append(tx, actor, QStringLiteral("refund.processing"), object, {{QStringLiteral("channel_refund_id"), result.channelRefundId}});
        }
        return m_refunds.note(conn, refund.id, RefundState::Processing, sets);
    };

    if (inFlight && result.status == RefundStatus::Success) {
        // Only an answer about this refund's own money ends it.
        const bool currencyDiffers = !result.currency.isEmpty() && result.currency != refund.currency;
        if (result.amountMinor != refund.amountMinor || currencyDiffers) {
            if (Status s = stayInFlight(QStringLiteral("AMOUNT_MISMATCH")); !s)
                return s.error();
            out.outcome = Outcome::AmountMismatch;
            if (refund.lastError == QStringLiteral("AMOUNT_MISMATCH"))
                return out; // seen before: its anomaly is open
            if (Status s = m_audit.append(tx, actor, QStringLiteral("refund.amount_mismatch"), object,
                                          {{QStringLiteral("channel_status"), result.rawStatus},
                                           {QStringLiteral("channel_refund_id"), result.channelRefundId},
                                           {QStringLiteral("stated_amount"), minorToPlain(result.amountMinor, 2)},
                                           {QStringLiteral("stated_currency"), result.currency},
                                           {QStringLiteral("expected_amount"), minorToPlain(refund.amountMinor, 2)},
                                           {QStringLiteral("expected_currency"), refund.currency}});
                !s)
                return s.error();
            auto id = openAnomaly(tx, AnomalyKind::AmountMismatch, order, attempt,
                                  SystemText::refundAmountMismatch(refund.outRefundNo, result.amountMinor, result.currency, refund.amountMinor, refund.currency),
                                  false);
            if (!id)
                return id.error();
            out.anomalyId = id.value();
            return out;
        }
    }

    switch (result.status) {
    case RefundStatus::Processing:
        if (!inFlight) {
            out.outcome = Outcome::AlreadyApplied;
            return out;
        }
        if (Status s = stayInFlight(QString()); !s)
            return s.error();
        out.outcome = Outcome::RefundProcessing;
        return out;
    case RefundStatus::Abnormal: {
        // WeChat's ABNORMAL is not final (the merchant can still have it paid out, e.g. to
        // another account), so the refund stays in flight and its amount stays held; it is
        // followed at the slow cadence and finance hears of it once.
        if (!inFlight) {
            out.outcome = Outcome::AlreadyApplied;
            return out;
        }
        if (Status s = stayInFlight(QStringLiteral("ABNORMAL")); !s)
            return s.error();
        out.outcome = Outcome::RefundAbnormal;
        if (refund.lastError == QStringLiteral("ABNORMAL"))
            return out;
        if (Status s = m_audit.append(tx, actor, QStringLiteral("refund.abnormal"), object, {{QStringLiteral("channel_status"), result.rawStatus}}); !s)
            return s.error();
        auto id = openAnomaly(tx, AnomalyKind::RefundAbnormal, order, attempt,
                              SystemText::refundAbnormal(refund.outRefundNo),
                              false);
        if (!id)
            return id.error();
        out.anomalyId = id.value();
        return out;
    }
    case RefundStatus::Success: {
        if (!inFlight) {
            out.outcome = Outcome::AlreadyApplied;
            return out;
        }
        if (Status s = m_refunds.cas(conn, refund.id, refund.state, RefundState::Succeeded,
                                     {{QStringLiteral("completed_at"), result.succeededAtMs > 0 ? result.succeededAtMs : now},
                                      {QStringLiteral("channel_refund_id"), result.channelRefundId},
                                      {QStringLiteral("next_action_at"), qint64(0)}, {QStringLiteral("last_error"), QString()}});
            !s)
            return s.error();
        // Refunds of extra money (an anomaly's proposal) do not count against the order's own
        // payment; everything else moves the order to PARTIALLY_REFUNDED / REFUNDED.
        auto an = Sql::exec(conn, QStringLiteral("SELECT COUNT(*) FROM anomalies WHERE refund_id = :r"), {{":r", refund.id}});
        if (!an || !an.value().next())
            return an ? Error::storage(QStringLiteral("anomaly lookup failed")) : an.error();
        const bool extraMoney = an.value().value(0).toLongLong() > 0;
        if (!extraMoney && (order.state == OrderState::Paid || order.state == OrderState::PartiallyRefunded)) {
            const qint64 refunded = qMin(order.amountMinor, order.refundedMinor + refund.amountMinor);
            const OrderState to = refunded >= order.amountMinor ? OrderState::Refunded : OrderState::PartiallyRefunded;
            QVariantMap sets{{QStringLiteral("refunded_minor"), refunded}};
            if (to != order.state) {
                if (Status s = m_orders.casOrder(conn, order.id, order.state, to, sets); !s)
                    return s.error();
            } else {
                auto u = Sql::exec(conn, QStringLiteral("UPDATE orders SET refunded_minor = :r WHERE id = :id"), {{":r", refunded}, {":id", order.id}});
                if (!u)
                    return u.error();
            }
        }
        if (Status s = m_audit.append(tx, actor, QStringLiteral("refund.succeeded"), object,
                                      {{QStringLiteral("amount"), minorToPlain(refund.amountMinor, 2)}, {QStringLiteral("order"), order.orderNo}});
            !s)
            return s.error();
        out.outcome = Outcome::RefundSucceeded;
        return out;
    }
    case RefundStatus::Closed: {
        if (!inFlight) {
            out.outcome = Outcome::AlreadyApplied;
            return out;
        }
        if (Status s = m_refunds.cas(conn, refund.id, refund.state, RefundState::Closed,
                                     {{QStringLiteral("completed_at"), now}, {QStringLiteral("next_action_at"), qint64(0)},
                                      {QStringLiteral("last_error"), result.rawStatus}});
            !s)
            return s.error();
        if (Status s = m_audit.append(tx, actor, QStringLiteral("refund.closed"), object, {{QStringLiteral("channel_status"), result.rawStatus}}); !s)
            return s.error();
        auto id = openAnomaly(tx, AnomalyKind::RefundClosed, order, attempt,
                              SystemText::refundClosed(refund.outRefundNo), false);
        if (!id)
            return id.error();
        out.anomalyId = id.value();
        out.outcome = Outcome::RefundClosed;
        return out;
    }
    }
    return out;
}

Result<Reconciler::Applied> Reconciler::refuseRefund(Transaction &tx, const QString &outRefundNo, const ChannelError &error, const QString &actor)
{
    auto locked = lockRefund(tx, outRefundNo);
    if (!locked)
        return locked.error();
    const Refund &refund = locked->refund;
    Applied out;
    out.outRefundNo = refund.outRefundNo;
    out.orderNo = locked->order.orderNo;
    if (refund.state != RefundState::Approved) {
        // Only a refund not yet accepted can be refused; one the channel took is followed.
        out.outcome = Outcome::AlreadyApplied;
        return out;
    }
    const QString object = QStringLiteral("refund:") + refund.outRefundNo;
    if (Status s = m_refunds.cas(tx.connection(), refund.id, RefundState::Approved, RefundState::Failed,
                                 {{QStringLiteral("completed_at"), m_clock.nowMs()}, {QStringLiteral("next_action_at"), qint64(0)},
                                  {QStringLiteral("last_error"), error.describe()}, {QStringLiteral("lease_until"), qint64(0)}});
        !s)
        return s.error();
    if (Status s = m_audit.append(tx, actor, QStringLiteral("refund.failed"), object,
                                  {{QStringLiteral("code"), error.code}, {QStringLiteral("message"), error.message}, {QStringLiteral("http"), error.httpStatus}});
        !s)
        return s.error();
    PaymentAttempt attempt;
    attempt.id = refund.attemptId;
    auto id = openAnomaly(tx, AnomalyKind::RefundAbnormal, locked->order, attempt,
                          SystemText::refundRefused(refund.outRefundNo, error.describe()),
                          false);
    if (!id)
        return id.error();
    out.anomalyId = id.value();
    out.outcome = Outcome::RefundRefused;
    return out;
}

Result<Reconciler::Applied> Reconciler::refundUnconfirmed(Transaction &tx, const QString &outRefundNo, const ChannelError &error,
                                                          const QString &actor, qint64 nextPollAt)
{
    auto locked = lockRefund(tx, outRefundNo);
    if (!locked)
        return locked.error();
    const Refund &refund = locked->refund;
    Applied out;
    out.outRefundNo = refund.outRefundNo;
    out.orderNo = locked->order.orderNo;
    if (refund.state != RefundState::Approved && refund.state != RefundState::Processing) {
        out.outcome = Outcome::AlreadyApplied;
        return out;
    }
    const QString object = QStringLiteral("refund:") + refund.outRefundNo;
    const int tries = refund.attemptCount + 1;
    const QVariantMap sets{{QStringLiteral("next_action_at"), nextPollAt}, {QStringLiteral("attempt_count"), tries},
                           {QStringLiteral("last_error"), error.describe()}, {QStringLiteral("lease_until"), qint64(0)}};
    if (refund.state == RefundState::Approved) {
        // It may have reached the channel: from now on it is asked about, never given up.
        if (Status s = m_refunds.cas(tx.connection(), refund.id, RefundState::Approved, RefundState::Processing, sets); !s)
            return s.error();
        if (Status s = m_audit.append(tx, actor, QStringLiteral("refund.unconfirmed"), object,
                                      {{QStringLiteral("code"), error.code}, {QStringLiteral("message"), error.message}});
            !s)
            return s.error();
    } else if (Status s = m_refunds.note(tx.connection(), refund.id, RefundState::Processing, sets); !s) {
        return s.error();
    }
    out.outcome = Outcome::RefundUnconfirmed;
    if (tries == kUnconfirmedTries) {
        PaymentAttempt attempt;
        attempt.id = refund.attemptId;
        auto id = openAnomaly(tx, AnomalyKind::RefundUnconfirmed, locked->order, attempt,
                              SystemText::refundUnconfirmed(refund.outRefundNo, tries, error.describe()),
                              false);
        if (!id)
            return id.error();
        out.anomalyId = id.value();
    }
    return out;
}

} // namespace paydesk
