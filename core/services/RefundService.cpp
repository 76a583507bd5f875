#include "services/RefundService.h"

#include "domain/SystemText.h"

namespace paydesk {

Result<PaymentAttempt> RefundService::paidAttemptOf(const Order &order, const QString &outTradeNo)
{
    auto attempts = m_orders.attemptsOf(order.id);
    if (!attempts)
        return attempts.error();
    std::optional<PaymentAttempt> extraMoney;
    for (const PaymentAttempt &a : attempts.value()) {
        if (!outTradeNo.isEmpty() && a.outTradeNo != outTradeNo)
            continue;
        if (a.state == AttemptState::Succeeded) {
            if (!outTradeNo.isEmpty())
                return a;
            // The order's own payment is the one that paid it. Money that came a second time or
            // after the close carries an anomaly and a proposed refund of its own; a refund of
            // "the order" goes there only when there is nothing else.
            auto late = Sql::exec(m_db.connection(), QStringLiteral("SELECT COUNT(*) FROM anomalies WHERE attempt_id = :a "
                                                                    "AND kind IN ('PAID_AFTER_CLOSE', 'DUPLICATE_PAYMENT')"),
                                  {{":a", a.id}});
            if (!late)
                return late.error();
            if (late.value().next() && late.value().value(0).toLongLong() > 0) {
                if (!extraMoney)
                    extraMoney = a;
                continue;
            }
            return a;
        }
        if (!outTradeNo.isEmpty())
            return Error::invalid(QStringLiteral("refund.not_paid"),
                                  tr("Payment %1 is %2, not paid; only paid money can be refunded.").arg(a.outTradeNo, SystemText::of(a.state)));
    }
    if (extraMoney)
        return *extraMoney;
    if (!outTradeNo.isEmpty())
        return Error::notFound(QStringLiteral("attempt.not_found"), tr("Order %1 has no payment %2.").arg(order.orderNo, outTradeNo));
    return Error::invalid(QStringLiteral("refund.not_paid"),
                          tr("Order %1 is %2 and has no paid payment to refund.").arg(order.orderNo, SystemText::of(order.state)));
}

Result<Money> RefundService::refundable(const QString &orderNo, const QString &outTradeNo)
{
    auto order = m_orders.byNo(orderNo);
    if (!order)
        return order.error();
    auto attempt = paidAttemptOf(order.value(), outTradeNo);
    if (!attempt)
        return attempt.error();
    QSqlDatabase conn = m_db.connection();
    auto left = RefundRepository::refundableOn(conn, attempt.value());
    if (!left)
        return left.error();
    return Money(left.value(), Currency::fromCode(attempt->currency).value_or(Currency::cny()));
}

Result<RefundService::Requested> RefundService::request(const User &actor, const Request &req)
{
    auto refuse = [&](const Error &e) -> Result<Requested> {
        m_audit.recordRefusal(actor.login, QStringLiteral("refund.request.refused"), QStringLiteral("order:") + req.orderNo,
                              {{QStringLiteral("code"), e.code}, {QStringLiteral("amount"), req.all ? QStringLiteral("all") : req.amount},
                               {QStringLiteral("message"), e.message}});
        return e;
    };
    const auto me = m_users.actor(actor.login); // the role the database holds now
    if (!me)
        return refuse(me.error());
    if (me->role != Role::Clerk && me->role != Role::Finance)
        return refuse(Error::forbidden(QStringLiteral("role.refund_request"),
                                       tr("Refunds are requested by CLERK or FINANCE staff; %1 is %2.").arg(actor.login, SystemText::of(me->role))));
    if (req.reason.trimmed().isEmpty())
        return refuse(Error::invalid(QStringLiteral("refund.reason_required"), tr("Give a reason for the refund (the customer will see it).")));
    if (!req.requestKey.isEmpty()) {
        auto seen = Sql::exec(m_db.connection(), QStringLiteral("SELECT out_refund_no FROM refunds WHERE request_key = :k"), {{":k", req.requestKey}});
        if (seen && seen.value().next()) {
            auto r = m_refunds.byOutRefundNo(seen.value().value(0).toString());
            if (!r)
                return r.error();
            return Requested{r.value(), r->reviewedBy == QStringLiteral("auto"), true};
        }
    }
    auto order = m_orders.byNo(req.orderNo);
    if (!order)
        return refuse(order.error());
    auto attempt = paidAttemptOf(order.value(), req.outTradeNo);
    if (!attempt)
        return refuse(attempt.error());
    const Currency cur = Currency::fromCode(attempt->currency).value_or(Currency::cny());

    const qint64 now = m_clock.nowMs();
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    // Serialise with every other refund of this payment (the cap) and of this order (refund
    // numbers count the order's refunds): the payment's row, then the order's, the order in
    // which the Reconciler takes them when it proposes a refund. On SQLite the transaction
    // alone serialises.
    for (const auto &[table, id] : {std::pair{QStringLiteral("payment_attempts"), attempt->id}, std::pair{QStringLiteral("orders"), order->id}}) {
        auto lock = Sql::exec(tx.connection(), QStringLiteral("SELECT id FROM %1 WHERE id = :id").arg(table) + m_db.forUpdate(), {{":id", id}});
        if (!lock)
            return lock.error();
    }
    auto repeated = [&]() -> std::optional<Result<Requested>> {
        auto seen = Sql::exec(tx.connection(), QStringLiteral("SELECT out_refund_no FROM refunds WHERE request_key = :k"), {{":k", req.requestKey}});
        if (!seen || !seen.value().next())
            return std::nullopt;
        const QString no = seen.value().value(0).toString();
        tx.rollback();
        auto r = m_refunds.byOutRefundNo(no);
        if (!r)
            return Result<Requested>(r.error());
        return Result<Requested>(Requested{r.value(), r->reviewedBy == QStringLiteral("auto"), true});
    };
    if (!req.requestKey.isEmpty()) {
        // Again under the locks: the same request submitted twice at once (two windows, a
        // retry while the first was still being written) is one refund.
        if (auto again = repeated())
            return *again;
    }
    Refund r;
    r.attemptId = attempt->id;
    r.reason = req.reason.trimmed();
    r.requestedBy = actor.login;
    if (req.all) {
        // "All that is left", computed inside the serialised transaction.
        auto left = RefundRepository::refundableOn(tx.connection(), attempt.value());
        if (!left)
            return left.error();
        if (left.value() <= 0) {
            tx.rollback();
            return refuse(Error::invalid(QStringLiteral("refund.nothing_left"),
                                         tr("Nothing is left to refund on payment %1.").arg(attempt->outTradeNo)));
        }
        r.amountMinor = left.value();
    } else {
        auto amount = Money::parse(req.amount, cur, AmountUse::Refund);
        if (!amount) {
            tx.rollback();
            return refuse(amount.error());
        }
        r.amountMinor = amount->minor();
    }
    if (Status s = m_refunds.insertWithinCap(tx, r, now); !s) {
        tx.rollback();
        return refuse(s.error());
    }
    if (!req.requestKey.isEmpty()) {
        auto k = Sql::exec(tx.connection(), QStringLiteral("UPDATE refunds SET request_key = :k WHERE id = :id"), {{":k", req.requestKey}, {":id", r.id}});
        if (!k && k.error().kind == Error::Kind::Conflict) {
            // The key was taken meanwhile for another payment: that request is this one.
            tx.rollback();
            auto seen = Sql::exec(m_db.connection(), QStringLiteral("SELECT out_refund_no FROM refunds WHERE request_key = :k"), {{":k", req.requestKey}});
            if (seen && seen.value().next()) {
                auto existing = m_refunds.byOutRefundNo(seen.value().value(0).toString());
                if (!existing)
                    return existing.error();
                return Requested{existing.value(), existing->reviewedBy == QStringLiteral("auto"), true};
            }
            return k.error();
        }
        if (!k)
            return k.error();
    }
    const QString object = QStringLiteral("refund:") + r.outRefundNo;
    if (Status s = m_audit.append(tx, actor.login, QStringLiteral("refund.request"), object,
                                  {{QStringLiteral("amount"), Money(r.amountMinor, cur).toPlainString()},
                                   {QStringLiteral("order"), order->orderNo}, {QStringLiteral("out_trade_no"), attempt->outTradeNo},
                                   {QStringLiteral("reason"), r.reason}});
        !s)
        return s.error();
    Requested out;
    const qint64 threshold = m_settings.autoApproveMinor();
    if (threshold > 0 && r.amountMinor <= threshold) {
        if (Status s = m_refunds.cas(tx.connection(), r.id, RefundState::Requested, RefundState::Approved,
                                     {{QStringLiteral("reviewed_by"), QStringLiteral("auto")}, {QStringLiteral("reviewed_at"), now},
                                      {QStringLiteral("review_note"), tr("approved automatically: at most %1").arg(Money(threshold, cur).toPlainString())},
                                      {QStringLiteral("next_action_at"), now}});
            !s)
            return s.error();
        if (Status s = m_audit.append(tx, QStringLiteral("auto"), QStringLiteral("refund.auto_approve"), object,
                                      {{QStringLiteral("threshold"), Money(threshold, cur).toPlainString()}});
            !s)
            return s.error();
        if (Status s = Reconciler::signalChange(tx); !s)
            return s.error();
        out.autoApproved = true;
    }
    if (Status s = tx.commit(); !s)
        return s.error();
    auto stored = m_refunds.byOutRefundNo(r.outRefundNo);
    if (!stored)
        return stored.error();
    out.refund = stored.value();
    return out;
}

Result<RefundService::Reviewed> RefundService::approve(const User &actor, const QString &outRefundNo, const QString &note)
{
    return review(actor, outRefundNo, note, true);
}

Result<RefundService::Reviewed> RefundService::reject(const User &actor, const QString &outRefundNo, const QString &note)
{
    return review(actor, outRefundNo, note, false);
}

Result<RefundService::Reviewed> RefundService::review(const User &actor, const QString &outRefundNo, const QString &note, bool approve)
{
    const QString action = approve ? QStringLiteral("refund.approve") : QStringLiteral("refund.reject");
    const QString object = QStringLiteral("refund:") + outRefundNo;
    auto refuse = [&](const Error &e) -> Result<Reviewed> {
        m_audit.recordRefusal(actor.login, action + QStringLiteral(".refused"), object, {{QStringLiteral("code"), e.code}, {QStringLiteral("message"), e.message}});
        return e;
    };
    const auto me = m_users.actor(actor.login); // the role the database holds now
    if (!me)
        return refuse(me.error());
    if (me->role != Role::Finance)
        return refuse(Error::forbidden(QStringLiteral("role.finance_only"),
                                       tr("Refunds are reviewed by FINANCE staff; %1 is %2.").arg(actor.login, SystemText::of(me->role))));
    if (!approve && note.trimmed().isEmpty())
        return refuse(Error::invalid(QStringLiteral("refund.note_required"), tr("Say why the refund is rejected; the requester will read it.")));
    auto refund = m_refunds.byOutRefundNo(outRefundNo);
    if (!refund)
        return refuse(refund.error());
    if (refund->requestedBy == actor.login)
        return refuse(Error::forbidden(QStringLiteral("refund.four_eyes"),
                                       tr("You requested refund %1 yourself; another FINANCE colleague has to review it.").arg(outRefundNo)));
    const RefundState target = approve ? RefundState::Approved : RefundState::Rejected;
    if (refund->state != RefundState::Requested) {
        // The same decision twice (double click, two windows) is one decision: say what happened.
        const bool same = (approve && refund->state != RefundState::Rejected && !refund->reviewedBy.isEmpty())
                       || (!approve && refund->state == RefundState::Rejected);
        if (same)
            return Reviewed{refund.value(), true};
        return refuse(Error::conflict(QStringLiteral("refund.already_reviewed"),
                                      tr("Refund %1 is already %2 (by %3).").arg(outRefundNo, SystemText::of(refund->state), refund->reviewedBy)));
    }
    const qint64 now = m_clock.nowMs();
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    QVariantMap sets{{QStringLiteral("reviewed_by"), actor.login}, {QStringLiteral("reviewed_at"), now},
                     {QStringLiteral("review_note"), note.trimmed()}};
    if (approve)
        sets.insert(QStringLiteral("next_action_at"), now);
    if (Status s = m_refunds.cas(tx.connection(), refund->id, RefundState::Requested, target, sets); !s) {
        tx.rollback();
        if (s.error().kind != Error::Kind::Conflict)
            return s.error();
        // Someone decided it at the same moment: the same decision is one decision, the other
        // one is refused like any review of a decided refund.
        auto now2 = m_refunds.byOutRefundNo(outRefundNo);
        if (!now2)
            return now2.error();
        if (now2->state == target || (approve && now2->state != RefundState::Rejected))
            return Reviewed{now2.value(), true};
        return refuse(Error::conflict(QStringLiteral("refund.already_reviewed"),
                                      tr("Refund %1 is already %2 (by %3).").arg(outRefundNo, SystemText::of(now2->state), now2->reviewedBy)));
    }
    if (Status s = m_audit.append(tx, actor.login, action, object,
                                  {{QStringLiteral("note"), note.trimmed()}, {QStringLiteral("amount"), minorToPlain(refund->amountMinor, 2)},
                                   {QStringLiteral("requested_by"), refund->requestedBy}});
        !s)
        return s.error();
    if (approve)
        if (Status s = Reconciler::signalChange(tx); !s)
            return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    auto stored = m_refunds.byOutRefundNo(outRefundNo);
    if (!stored)
        return stored.error();
    return Reviewed{stored.value(), false};
}

Result<RefundService::Reviewed> RefundService::retry(const User &actor, const QString &outRefundNo, const QString &note)
{
    const QString object = QStringLiteral("refund:") + outRefundNo;
    auto refuse = [&](const Error &e) -> Result<Reviewed> {
        m_audit.recordRefusal(actor.login, QStringLiteral("refund.retry.refused"), object,
                              {{QStringLiteral("code"), e.code}, {QStringLiteral("message"), e.message}});
        return e;
    };
    const auto me = m_users.actor(actor.login); // the role the database holds now
    if (!me)
        return refuse(me.error());
    if (me->role != Role::Finance)
        return refuse(Error::forbidden(QStringLiteral("role.finance_only"),
                                       tr("Refunds are retried by FINANCE staff; %1 is %2.").arg(actor.login, SystemText::of(me->role))));
    if (note.trimmed().isEmpty())
        return refuse(Error::invalid(QStringLiteral("refund.note_required"), tr("Say why the refund is sent again.")));
    auto refund = m_refunds.byOutRefundNo(outRefundNo);
    if (!refund)
        return refuse(refund.error());
    if (refund->requestedBy == actor.login)
        return refuse(Error::forbidden(QStringLiteral("refund.four_eyes"),
                                       tr("You requested refund %1 yourself; another FINANCE colleague has to retry it.").arg(outRefundNo)));
    if (refund->state != RefundState::Failed)
        return refuse(Error::conflict(QStringLiteral("refund.not_failed"),
                                      tr("Refund %1 is %2; only a refund the channel refused can be retried.").arg(outRefundNo, SystemText::of(refund->state))));
    auto attempts = m_orders.attemptsOf(refund->orderId);
    if (!attempts)
        return refuse(attempts.error());
    std::optional<PaymentAttempt> attempt;
    for (const PaymentAttempt &a : attempts.value())
        if (a.id == refund->attemptId)
            attempt = a;
    if (!attempt)
        return Error::storage(QStringLiteral("payment of refund missing"));
    const qint64 now = m_clock.nowMs();
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    auto lock = Sql::exec(tx.connection(), QStringLiteral("SELECT id FROM payment_attempts WHERE id = :id") + m_db.forUpdate(), {{":id", attempt->id}});
    if (!lock)
        return lock.error();
    auto left = RefundRepository::refundableOn(tx.connection(), *attempt);
    if (!left)
        return left.error();
    if (left.value() < refund->amountMinor) {
        tx.rollback();
        return refuse(Error::invalid(QStringLiteral("refund.exceeds_refundable"),
                                     tr("Only %1 is left to refund on payment %2; refund %3 for %4 no longer fits.")
                                         .arg(minorToPlain(left.value(), 2), attempt->outTradeNo, outRefundNo, minorToPlain(refund->amountMinor, 2))));
    }
    if (Status s = m_refunds.cas(tx.connection(), refund->id, RefundState::Failed, RefundState::Approved,
                                 {{QStringLiteral("reviewed_by"), actor.login}, {QStringLiteral("reviewed_at"), now},
                                  {QStringLiteral("review_note"), note.trimmed()}, {QStringLiteral("next_action_at"), now},
                                  {QStringLiteral("attempt_count"), 0}, {QStringLiteral("completed_at"), qint64(0)},
                                  {QStringLiteral("lease_until"), qint64(0)}});
        !s) {
        tx.rollback();
        return refuse(s.error());
    }
    if (Status s = m_audit.append(tx, actor.login, QStringLiteral("refund.retry"), object,
                                  {{QStringLiteral("note"), note.trimmed()}, {QStringLiteral("amount"), minorToPlain(refund->amountMinor, 2)},
                                   {QStringLiteral("requested_by"), refund->requestedBy}, {QStringLiteral("last_error"), refund->lastError}});
        !s)
        return s.error();
    if (Status s = Reconciler::signalChange(tx); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    auto stored = m_refunds.byOutRefundNo(outRefundNo);
    if (!stored)
        return stored.error();
    return Reviewed{stored.value(), false};
}

Status RefundService::checkApproval(const Refund &r)
{
    if (r.state != RefundState::Approved)
        return Error::conflict(QStringLiteral("refund.not_approved"), tr("Refund %1 is %2, not APPROVED.").arg(r.outRefundNo, SystemText::of(r.state)));
    if (r.reviewedBy.isEmpty() || r.reviewedBy == r.requestedBy)
        return Error::forbidden(QStringLiteral("refund.four_eyes"),
                                tr("Refund %1 carries no review by a second person (requested by %2, reviewed by \"%3\").")
                                    .arg(r.outRefundNo, r.requestedBy, r.reviewedBy));
    if (r.reviewedBy == QStringLiteral("auto")) {
        const qint64 limit = m_settings.autoApproveMinor();
        if (limit <= 0 || r.amountMinor > limit)
            return Error::forbidden(QStringLiteral("refund.auto_over_limit"),
                                    tr("Refund %1 for %2 is marked approved automatically, above the auto-approve limit %3.")
                                        .arg(r.outRefundNo, minorToPlain(r.amountMinor, 2), minorToPlain(qMax<qint64>(0, limit), 2)));
        return {};
    }
    auto reviewer = m_users.find(r.reviewedBy);
    if (!reviewer)
        return Error::forbidden(QStringLiteral("refund.reviewer_unknown"),
                                tr("Refund %1 was approved by \"%2\", who is not a user.").arg(r.outRefundNo, r.reviewedBy));
    if (!reviewer->active || reviewer->role != Role::Finance)
        return Error::forbidden(QStringLiteral("refund.reviewer_not_finance"),
                                tr("Refund %1 was approved by %2, who is not an active FINANCE user.").arg(r.outRefundNo, r.reviewedBy));
    return {};
}

Result<QList<RefundService::Row>> RefundService::list(const Filter &f)
{
    QString sql = QStringLiteral("SELECT ") + RefundRepository::refundColumns()
        + QStringLiteral(", o.order_no, o.title, a.out_trade_no, a.amount_minor FROM refunds r "
                         "JOIN orders o ON o.id = r.order_id JOIN payment_attempts a ON a.id = r.attempt_id WHERE 1=1");
    QVariantMap binds;
    if (!f.states.isEmpty()) {
        QStringList keys;
        for (int i = 0; i < f.states.size(); ++i) {
            keys << QStringLiteral(":s%1").arg(i);
            binds.insert(keys.last(), toString(f.states[i]));
        }
        sql += QStringLiteral(" AND r.state IN (") + keys.join(u',') + u')';
    }
    if (!f.orderNo.isEmpty()) {
        sql += QStringLiteral(" AND o.order_no = :o");
        binds.insert(QStringLiteral(":o"), f.orderNo);
    }
    sql += QStringLiteral(" ORDER BY r.requested_at, r.id LIMIT :l");
    binds.insert(QStringLiteral(":l"), f.limit);
    auto q = Sql::prepare(m_db.connection(), sql);
    if (!q)
        return q.error();
    for (auto it = binds.cbegin(); it != binds.cend(); ++it)
        q.value().bindValue(it.key(), it.value());
    if (Status s = Sql::execPrepared(q.value()); !s)
        return s.error();
    QList<Row> out;
    while (q.value().next()) {
        Row row;
        row.refund = RefundRepository::readRefund(q.value());
        row.orderNo = q.value().value(18).toString();
        row.orderTitle = q.value().value(19).toString();
        row.outTradeNo = q.value().value(20).toString();
        row.paidMinor = q.value().value(21).toLongLong();
        out << row;
    }
    return out;
}

Result<QList<Anomaly>> RefundService::anomalies(std::optional<AnomalyState> state)
{
    return m_anomalies.list(state);
}

Result<Anomaly> RefundService::resolveAnomaly(const User &actor, qint64 anomalyId, const QString &note)
{
    const QString object = QStringLiteral("anomaly:%1").arg(anomalyId);
    const auto me = m_users.actor(actor.login); // the role the database holds now
    if (!me || (me->role != Role::Finance && me->role != Role::Admin)) {
        Error e = me ? Error::forbidden(QStringLiteral("role.finance_only"), tr("Anomalies are resolved by FINANCE or ADMIN staff."))
                     : me.error();
        m_audit.recordRefusal(actor.login, QStringLiteral("anomaly.resolve.refused"), object, {{QStringLiteral("code"), e.code}});
        return e;
    }
    if (note.trimmed().isEmpty()) {
        Error e = Error::invalid(QStringLiteral("anomaly.note_required"), tr("Describe how the anomaly was resolved."));
        m_audit.recordRefusal(actor.login, QStringLiteral("anomaly.resolve.refused"), object, {{QStringLiteral("code"), e.code}});
        return e;
    }
    auto a = m_anomalies.byId(anomalyId);
    if (!a) {
        m_audit.recordRefusal(actor.login, QStringLiteral("anomaly.resolve.refused"), object, {{QStringLiteral("code"), a.error().code}});
        return a.error();
    }
    if (a->state == AnomalyState::Resolved)
        return a; // resolving twice is one resolution
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    if (Status s = m_anomalies.resolve(tx.connection(), anomalyId, actor.login, note.trimmed(), m_clock.nowMs()); !s)
        return s.error();
    QJsonObject facts{{QStringLiteral("note"), note.trimmed()}, {QStringLiteral("kind"), toString(a->kind)}};
    if (a->orderId <= 0 && !a->outTradeNo.isEmpty()) // no order of ours: the channel's key names what was settled
        facts.insert(QStringLiteral("out_trade_no"), a->outTradeNo);
    if (!a->outRefundNo.isEmpty())
        facts.insert(QStringLiteral("out_refund_no"), a->outRefundNo);
    if (Status s = m_audit.append(tx, actor.login, QStringLiteral("anomaly.resolve"), object, facts); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return m_anomalies.byId(anomalyId);
}

} // namespace paydesk
