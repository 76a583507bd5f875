#include "services/PaymentService.h"

#include "domain/SystemText.h"

#include "util/Duration.h"

#include <QTimer>

namespace paydesk {

PaymentService::PaymentService(Database &db, OrderRepository &orders, AuditLog &audit, Settings &settings, UserDirectory &users, const Clock &clock,
                               ChannelRegistry &channels, Reconciler &reconciler, OrderService &orderService, QObject *parent)
    : QObject(parent), m_db(db), m_orders(orders), m_audit(audit), m_settings(settings), m_clock(clock),
      m_channels(channels), m_reconciler(reconciler), m_orderService(orderService), m_users(users)
{
}

Status PaymentService::checkRole(const User &actor, const QString &what) const
{
    const auto me = m_users.actor(actor.login); // the role the database holds now
    if (!me)
        return me.error();
    if (me->role != Role::Clerk && me->role != Role::Admin)
        return Error::forbidden(QStringLiteral("role.counter_only"),
                                tr("%1 is a counter action: it needs a CLERK or ADMIN account; %2 is %3.")
                                    .arg(what, actor.login, SystemText::of(me->role)));
    return {};
}

Result<qint64> PaymentService::repayWindow(const Order &order, ChannelKind channel) const
{
    PaymentChannel *ch = m_channels.channel(channel);
    if (!ch)
        return Error::invalid(QStringLiteral("channel.not_configured"),
                              tr("The %1 channel is not set up; add its profile in Settings or with paydeskctl channel add.").arg(SystemText::of(channel)));
    const qint64 now = m_clock.nowMs();
    const qint64 left = order.expiresAt - now;
    const qint64 buffer = const_cast<Settings &>(m_settings).repayBufferS() * 1000;
    const qint64 needed = buffer + ch->minimumExpiryMs();
    if (left <= 0)
        return Error::invalid(QStringLiteral("repay.expired"),
                              tr("Order %1 ran out of time and is being closed; create a new order instead.").arg(order.orderNo));
    if (left < needed)
        return Error::invalid(QStringLiteral("repay.too_late"),
                              tr("Only %1 is left before order %2 closes; a new payment needs at least %3 "
                                 "(%4 safety buffer + the channel's minimum of %5). Create a new order instead.")
                                  .arg(Duration::countdown(left), order.orderNo, Duration::countdown(needed),
                                       Duration::human(buffer), Duration::human(ch->minimumExpiryMs())));
    return left - buffer;
}

Result<PaymentService::Started> PaymentService::checkout(const User &actor, const NewOrder &request, ChannelKind channel)
{
    auto refuse = [&](const Error &e) -> Result<Started> {
        m_audit.recordRefusal(actor.login, QStringLiteral("order.create.refused"), QStringLiteral("order:-"),
                              {{QStringLiteral("code"), e.code}, {QStringLiteral("amount"), request.amount},
                               {QStringLiteral("channel"), toString(channel)}});
        return e;
    };
    if (Status s = checkRole(actor, tr("Checkout")); !s)
        return refuse(s.error());
    PaymentChannel *ch = m_channels.channel(channel);
    if (!ch)
        return refuse(Error::invalid(QStringLiteral("channel.not_configured"),
                                     tr("The %1 channel is not set up; add its profile in Settings or with paydeskctl channel add.").arg(SystemText::of(channel))));
    auto order = m_orderService.create(actor, request);
    if (!order)
        return order.error();
    Started out;
    out.order = order.value();
    if (out.order.state == OrderState::Paid) {
        emit booksChanged();
        return out; // zero total: paid at creation, never reaches a channel
    }
    const qint64 buffer = m_settings.repayBufferS() * 1000;
    PaymentAttempt a;
    a.orderId = out.order.id;
    a.outTradeNo = Ids::outTradeNo(out.order.orderNo, 1);
    a.channel = channel;
    a.amountMinor = out.order.amountMinor;
    a.currency = out.order.currency;
    a.createdAt = m_clock.nowMs();
    // The channel closes the QR a little before we close the order, so a payment can never
    // land after our deadline; very short timeouts (tests, demo) keep what room there is.
    const qint64 room = out.order.expiresAt - a.createdAt;
    a.expiresAt = out.order.expiresAt - qMin(buffer, qMax<qint64>(0, room - ch->minimumExpiryMs() - 1000));
    {
        Transaction tx(m_db);
        if (!tx.begun())
            return tx.begun().error();
        if (Status s = m_orders.insertAttempt(tx.connection(), a); !s)
            return s.error();
        if (auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE orders SET channel = :c WHERE id = :id"),
                               {{":c", toString(channel)}, {":id", out.order.id}});
            !r)
            return r.error();
        if (Status s = m_audit.append(tx, actor.login, QStringLiteral("payment.create"), QStringLiteral("order:") + out.order.orderNo,
                                      {{QStringLiteral("out_trade_no"), a.outTradeNo}, {QStringLiteral("channel"), toString(channel)},
                                       {QStringLiteral("expires_at"), a.expiresAt}});
            !s)
            return s.error();
        if (Status s = Reconciler::signalChange(tx); !s)
            return s.error();
        if (Status s = tx.commit(); !s)
            return s.error();
    }
    out.order.channel = channel;
    out.attempt = a;
    out.task = startTask(a, out.order.title);
    emit booksChanged();
    return out;
}

PayTask *PaymentService::startTask(const PaymentAttempt &attempt, const QString &description)
{
    auto *task = new PayTask(attempt, this);
    connect(task, &PayTask::finished, task, &QObject::deleteLater, Qt::QueuedConnection);
    QMetaObject::invokeMethod(this, [this, task, description]() { runTask(task, description); }, Qt::QueuedConnection);
    return task;
}

void PaymentService::runTask(PayTask *task, QString description)
{
    PaymentChannel *ch = m_channels.channel(task->m_attempt.channel);
    ++task->m_tries;
    const int total = m_retries + 1;
    emit task->progressed(tr("Creating the payment at %1 (try %2 of %3)…").arg(SystemText::of(task->m_attempt.channel)).arg(task->m_tries).arg(total));
    CreatePaymentRequest req;
    req.outTradeNo = task->m_attempt.outTradeNo;
    req.amountMinor = task->m_attempt.amountMinor;
    req.currency = task->m_attempt.currency;
    req.expiresAtMs = task->m_attempt.expiresAt;
    req.description = description;
    auto fail = [this, task](const QString &code, const QString &message) {
        const PaymentAttempt &a = task->m_attempt;
        Transaction tx(m_db);
        if (tx.begun()) {
            QSqlDatabase &conn = tx.connection();
            Status s = m_orders.casAttempt(conn, a.id, AttemptState::Created, AttemptState::Failed, {{QStringLiteral("last_error"), message}});
            if (s)
                s = m_audit.append(tx, Reconciler::systemUser(), QStringLiteral("payment.create_failed"), QStringLiteral("payment:") + a.outTradeNo,
                                   {{QStringLiteral("code"), code}, {QStringLiteral("message"), message}, {QStringLiteral("tries"), task->m_tries}});
            if (s)
                s = tx.commit();
            if (!s)
                qWarning("paydesk: could not record the failed payment %s: %s", qPrintable(a.outTradeNo), qPrintable(s.error().message));
        }
        task->m_attempt.state = AttemptState::Failed;
        task->m_attempt.lastError = message;
        task->m_state = PayTask::State::Failed;
        task->m_error = Error{Error::Kind::Channel, code, message};
        emit task->progressed(message);
        emit task->finished();
        emit booksChanged();
    };
    if (!ch) {
        fail(QStringLiteral("NO_CHANNEL"), tr("The %1 channel is not set up.").arg(SystemText::of(task->m_attempt.channel)));
        return;
    }
    ch->createNative(req, this, [this, task, description, fail, total](const ChannelReply<CreatedPayment> &r) {
        if (r.ok()) {
            PaymentAttempt &a = task->m_attempt;
            const qint64 now = m_clock.nowMs();
            Transaction tx(m_db);
            Status s = tx.begun();
            if (s)
                s = m_orders.casAttempt(tx.connection(), a.id, AttemptState::Created, AttemptState::Paying,
                                        {{QStringLiteral("code_url"), r->codeUrl}, {QStringLiteral("next_query_at"), now + 1000},
                                         {QStringLiteral("last_error"), QString()}});
            if (s)
                s = Reconciler::signalChange(tx);
            if (s)
                s = tx.commit();
            if (!s && s.error().kind != Error::Kind::Conflict) {
                fail(s.error().code, s.error().message);
                return;
            }
            if (!s) {
                // Someone moved the attempt on while the channel was making it. PAYING or
                // SUCCEEDED (the timer, a notification) is fine; FAILED or CLOSED means a close
                // or repay elsewhere gave it up before the channel knew it, and the QR code the
                // channel has just made must not stay open.
                auto stored = m_orders.attemptByOutTradeNo(a.outTradeNo);
                if (stored && !Transitions::isOpen(stored->state) && stored->state != AttemptState::Succeeded) {
                    abandonCreated(task, stored.value());
                    return;
                }
            }
            a.state = AttemptState::Paying;
            a.codeUrl = r->codeUrl;
            a.nextQueryAt = now + 1000;
            task->m_state = PayTask::State::Succeeded;
            emit task->progressed(tr("Payment %1 is ready to scan.").arg(a.outTradeNo));
            emit task->finished();
            emit booksChanged();
            return;
        }
        const ChannelError &e = r.error();
        const qint64 delay = 1000LL * task->m_tries; // 1 s, 2 s, 3 s ...
        const bool inTime = m_clock.nowMs() + delay < task->m_attempt.expiresAt;
        if (e.retrySafe && task->m_tries < total && inTime) {
            emit task->progressed(tr("%1; retrying in %2 s with the same payment number…").arg(e.describe()).arg(delay / 1000));
            const qint64 real = qMax<qint64>(1, qint64(double(qMax(delay, e.retryAfterMs)) / m_clock.rate()));
            QTimer::singleShot(real, this, [this, task, description]() { runTask(task, description); });
            return;
        }
        fail(e.code.isEmpty() ? QStringLiteral("CHANNEL_ERROR") : e.code, e.describe());
    });
}

void PaymentService::abandonCreated(PayTask *task, const PaymentAttempt &attempt)
{
    closeAttemptsAtChannels(m_channels, {attempt}, false, this, [this, task, attempt](const QList<AttemptOutcome> &outcomes) {
        QString problem;
        for (const AttemptOutcome &o : outcomes) {
            if (o.kind == AttemptOutcome::Kind::Failed) {
                problem = o.error.describe();
                continue;
            }
            // Closed: nothing changes (the attempt is final already). Paid: the money counts,
            // or opens an anomaly with a proposed refund if the order is closed or paid.
            if (auto applied = m_reconciler.applyPayment(o.status, Reconciler::systemUser(), QStringLiteral("abandoned")); !applied)
                problem = applied.error().message;
        }
        if (!problem.isEmpty())
            qWarning("paydesk: payment %s was given up while the channel made it, and closing it there failed: %s",
                     qPrintable(attempt.outTradeNo), qPrintable(problem));
        if (auto stored = m_orders.attemptByOutTradeNo(attempt.outTradeNo); stored)
            task->m_attempt = stored.value();
        task->m_state = PayTask::State::Failed;
        task->m_error = Error::conflict(QStringLiteral("payment.abandoned"),
                                        tr("Payment %1 was given up (the order was closed or re-issued elsewhere) while the channel made it; "
                                           "it was closed at the channel again.").arg(attempt.outTradeNo));
        emit task->progressed(task->m_error.message);
        emit task->finished();
        emit booksChanged();
    });
}

Result<PaymentService::Outcomes> PaymentService::applyOutcomes(const QString &actor, const Order &order, const QList<AttemptOutcome> &outcomes,
                                                               bool closeOrder, CloseReason reason, QString *problem)
{
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    bool paid = false, failed = false;
    for (const AttemptOutcome &o : outcomes) {
        if (o.kind == AttemptOutcome::Kind::Failed) {
            failed = true;
            if (problem)
                *problem = o.error.describe();
            auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE payment_attempts SET last_error = :e WHERE id = :id"),
                               {{":e", o.error.describe()}, {":id", o.attempt.id}});
            if (!r)
                return r.error();
            continue;
        }
        auto applied = m_reconciler.applyPayment(tx, o.status, actor, QStringLiteral("close"));
        if (!applied)
            return applied.error();
        paid = paid || o.kind == AttemptOutcome::Kind::Paid;
    }
    Outcomes out;
    if (closeOrder && !paid && !failed) {
        // Decide on the order as it is now, under its lock (a repay locks it too before it adds a
        // payment): someone else may have closed it, the money may have come, or a new payment
        // may have been issued since we looked, which must be closed at the channel first.
        // The payments are locked before the order, as everywhere (Reconciler).
        auto cur = Sql::exec(tx.connection(), QStringLiteral("SELECT state FROM orders WHERE id = :id") + m_db.forUpdate(), {{":id", order.id}});
        if (!cur)
            return cur.error();
        if (!cur.value().next())
            return Error::notFound(QStringLiteral("order.not_found"), tr("Order %1 is gone.").arg(order.orderNo));
        if (cur.value().value(0).toString() == toString(OrderState::Pending)) {
            auto open = Sql::exec(tx.connection(), QStringLiteral("SELECT ") + OrderRepository::attemptColumns()
                                                       + QStringLiteral(" FROM payment_attempts a WHERE a.order_id = :id "
                                                                        "AND a.state IN ('CREATED', 'PAYING') ORDER BY a.id"),
                                  {{":id", order.id}});
            if (!open)
                return open.error();
            while (open.value().next())
                out.stillOpen << OrderRepository::readAttempt(open.value());
            if (out.stillOpen.isEmpty()) {
                auto closed = m_orders.closeOrders(tx.connection(), {order.id}, reason, m_clock.nowMs());
                if (!closed)
                    return closed.error();
                if (closed.value().isEmpty()) // cannot be: the row is locked and PENDING
                    return Error::conflict(QStringLiteral("order.moved"), tr("Order %1 is no longer pending.").arg(order.orderNo));
                if (Status s = m_audit.append(tx, actor, QStringLiteral("order.close"), QStringLiteral("order:") + order.orderNo,
                                              {{QStringLiteral("reason"), toString(reason)}, {QStringLiteral("amount"), order.amount().toPlainString()}});
                    !s)
                    return s.error();
                out.closedHere = true;
            }
        }
    }
    if (Status s = Reconciler::signalChange(tx); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    emit booksChanged();
    auto now = m_orders.byId(order.id);
    if (!now)
        return now.error();
    out.order = now.value();
    return out;
}

void PaymentService::close(const User &actor, const QString &orderNo, QObject *context, std::function<void(const Result<Closed> &)> done)
{
    auto reply = [context, done](const Result<Closed> &r) {
        QMetaObject::invokeMethod(context, [done, r]() { done(r); }, Qt::QueuedConnection);
    };
    if (Status s = checkRole(actor, tr("Closing an order")); !s) {
        m_audit.recordRefusal(actor.login, QStringLiteral("order.close.refused"), QStringLiteral("order:") + orderNo,
                              {{QStringLiteral("code"), s.error().code}});
        return reply(s.error());
    }
    const QString key = orderNo;
    if (m_closing.contains(key)) {
        m_closing[key].append(reply); // the same close again: one effect, the same answer
        return;
    }
    auto order = m_orders.byNo(orderNo);
    if (!order) {
        m_audit.recordRefusal(actor.login, QStringLiteral("order.close.refused"), QStringLiteral("order:") + orderNo,
                              {{QStringLiteral("code"), order.error().code}});
        return reply(order.error());
    }
    if (order->state == OrderState::Closed) {
        Closed c{order.value(), true, tr("Order %1 was already closed (%2).").arg(orderNo, SystemText::of(order->closeReason))};
        return reply(c);
    }
    if (order->state != OrderState::Pending) {
        m_audit.recordRefusal(actor.login, QStringLiteral("order.close.refused"), QStringLiteral("order:") + orderNo,
                              {{QStringLiteral("code"), QStringLiteral("order.not_pending")}, {QStringLiteral("state"), toString(order->state)}});
        return reply(Error::conflict(QStringLiteral("order.not_pending"),
                                     tr("Order %1 is %2; only a pending order can be closed.").arg(orderNo, SystemText::of(order->state))));
    }
    auto attempts = m_orders.attemptsOf(order->id);
    if (!attempts)
        return reply(attempts.error());
    QList<PaymentAttempt> open;
    for (const PaymentAttempt &a : attempts.value())
        if (Transitions::isOpen(a.state))
            open << a;
    m_closing.insert(key, {reply});
    closeRound(key, actor.login, order.value(), open, 1);
}

void PaymentService::closeRound(const QString &key, const QString &login, const Order &before, const QList<PaymentAttempt> &open, int round)
{
    closeAttemptsAtChannels(m_channels, open, false, this, [this, key, before, login, round](const QList<AttemptOutcome> &outcomes) {
        QString problem;
        auto after = applyOutcomes(login, before, outcomes, true, CloseReason::Manual, &problem);
        Result<Closed> result = Error::storage(QString());
        if (!after) {
            result = after.error();
        } else if (after->order.state == OrderState::Closed) {
            // Closed by this call, or by someone else first (another window, the timer): one
            // close either way, and the answer says which.
            result = after->closedHere ? Closed{after->order, false, tr("Order %1 is closed.").arg(before.orderNo)}
                                       : Closed{after->order, true, tr("Order %1 was already closed (%2).")
                                                                        .arg(before.orderNo, SystemText::of(after->order.closeReason))};
        } else if (after->order.state == OrderState::Pending && !problem.isEmpty()) {
            result = Error{Error::Kind::Channel, QStringLiteral("close.channel_failed"),
                           tr("Could not close the payment at the channel (%1); the order stays pending. Try again.").arg(problem)};
        } else if (after->order.state == OrderState::Pending) {
            // A payment was issued while we closed the others: close it at the channel too.
            if (!after->stillOpen.isEmpty() && round < 3)
                return closeRound(key, login, before, after->stillOpen, round + 1);
            result = Error::conflict(QStringLiteral("close.concurrent"),
                                     tr("Order %1 got a new payment while it was being closed; it stays pending. Try again.").arg(before.orderNo));
        } else {
            result = Error::conflict(QStringLiteral("close.already_paid"),
                                     tr("Order %1 was paid by the customer before it could be closed; it is now %2.")
                                         .arg(before.orderNo, SystemText::of(after->order.state)));
        }
        for (const auto &waiter : m_closing.take(key))
            waiter(result);
    });
}

void PaymentService::repay(const User &actor, const QString &orderNo, ChannelKind channel, QObject *context,
                           std::function<void(const Result<Started> &)> done)
{
    auto reply = [context, done](const Result<Started> &r) {
        QMetaObject::invokeMethod(context, [done, r]() { done(r); }, Qt::QueuedConnection);
    };
    auto refuse = [this, &actor, &orderNo, &reply](const Error &e) {
        m_audit.recordRefusal(actor.login, QStringLiteral("order.repay.refused"), QStringLiteral("order:") + orderNo,
                              {{QStringLiteral("code"), e.code}, {QStringLiteral("message"), e.message}});
        reply(e);
    };
    if (Status s = checkRole(actor, tr("Repay")); !s)
        return refuse(s.error());
    const QString key = orderNo;
    if (m_repaying.contains(key)) {
        m_repaying[key].append(reply);
        return;
    }
    auto order = m_orders.byNo(orderNo);
    if (!order)
        return refuse(order.error());
    if (order->state != OrderState::Pending)
        return refuse(Error::conflict(QStringLiteral("order.not_pending"),
                                      tr("Order %1 is %2; only a pending order can be repaid.").arg(orderNo, SystemText::of(order->state))));
    if (auto w = repayWindow(order.value(), channel); !w)
        return refuse(w.error());
    auto attempts = m_orders.attemptsOf(order->id);
    if (!attempts)
        return reply(attempts.error());
    QList<PaymentAttempt> open;
    for (const PaymentAttempt &a : attempts.value())
        if (Transitions::isOpen(a.state))
            open << a;
    m_repaying.insert(key, {reply});
    const User who = actor;
    const Order before = order.value();
    closeAttemptsAtChannels(m_channels, open, false, this, [this, key, who, before, channel](const QList<AttemptOutcome> &outcomes) {
        auto finish = [this, key](const Result<Started> &r) {
            for (const auto &waiter : m_repaying.take(key))
                waiter(r);
        };
        QString problem;
        auto after = applyOutcomes(who.login, before, outcomes, false, CloseReason::None, &problem);
        if (!after)
            return finish(after.error());
        if (after->order.state == OrderState::Closed)
            return finish(Error::conflict(QStringLiteral("order.not_pending"),
                                          tr("Order %1 was closed while the old payment was being closed; nothing new was created.").arg(before.orderNo)));
        if (after->order.state != OrderState::Pending)
            return finish(Error::conflict(QStringLiteral("repay.already_paid"),
                                          tr("Order %1 was paid while the old payment was being closed; nothing new was created.").arg(before.orderNo)));
        for (const AttemptOutcome &o : outcomes)
            if (o.kind == AttemptOutcome::Kind::Failed)
                return finish(Error{Error::Kind::Channel, QStringLiteral("repay.close_failed"),
                                    tr("The previous payment could not be closed at the channel (%1); no new payment was made. Try again.").arg(problem)});
        repayAfterClosing(who, before.orderNo, channel, finish);
    });
}

void PaymentService::repayAfterClosing(const User &actor, const QString &orderNo, ChannelKind channel,
                                       std::function<void(const Result<Started> &)> done)
{
    auto found = m_orders.byNo(orderNo);
    if (!found)
        return done(found.error());
    Transaction tx(m_db);
    if (!tx.begun())
        return done(tx.begun().error());
    QSqlDatabase &conn = tx.connection();
    auto refuse = [&](const Error &e) {
        tx.rollback();
        if (e.kind != Error::Kind::Storage)
            m_audit.recordRefusal(actor.login, QStringLiteral("order.repay.refused"), QStringLiteral("order:") + orderNo,
                                  {{QStringLiteral("code"), e.code}, {QStringLiteral("message"), e.message}});
        done(e);
    };
    // Decide under the order's lock (a close takes it too before it closes the order): the
    // order may have been closed or paid, or re-issued by someone else, since we looked.
    auto cur = Sql::exec(conn, QStringLiteral("SELECT ") + OrderRepository::orderColumns() + QStringLiteral(" FROM orders o WHERE o.id = :id")
                                   + m_db.forUpdate(),
                         {{":id", found->id}});
    if (!cur)
        return refuse(cur.error());
    if (!cur.value().next())
        return refuse(Error::notFound(QStringLiteral("order.not_found"), tr("Order %1 is gone.").arg(orderNo)));
    const Order order = OrderRepository::readOrder(cur.value());
    if (order.state != OrderState::Pending)
        return refuse(Error::conflict(QStringLiteral("order.not_pending"),
                                      tr("Order %1 became %2 meanwhile; only a pending order can be repaid.").arg(orderNo, SystemText::of(order.state))));
    auto window = repayWindow(order, channel); // time passed while closing
    if (!window)
        return refuse(window.error());
    auto attempts = Sql::exec(conn, QStringLiteral("SELECT COUNT(*), COALESCE(SUM(CASE WHEN state IN ('CREATED', 'PAYING') THEN 1 ELSE 0 END), 0) "
                                                   "FROM payment_attempts WHERE order_id = :id"),
                              {{":id", order.id}});
    if (!attempts)
        return refuse(attempts.error());
    if (!attempts.value().next())
        return refuse(Error::storage(QStringLiteral("attempt count failed")));
    if (attempts.value().value(1).toLongLong() > 0)
        return refuse(Error::conflict(QStringLiteral("repay.concurrent"),
                                      tr("Someone else re-issued the payment of order %1 just now; refresh to see it.").arg(orderNo)));
    PaymentAttempt a;
    a.orderId = order.id;
    a.outTradeNo = Ids::outTradeNo(order.orderNo, attempts.value().value(0).toInt() + 1);
    a.channel = channel;
    a.amountMinor = order.amountMinor;
    a.currency = order.currency;
    a.createdAt = m_clock.nowMs();
    a.expiresAt = a.createdAt + window.value();
    if (Status s = m_orders.insertAttempt(conn, a); !s) {
        if (s.error().kind == Error::Kind::Conflict)
            return refuse(Error::conflict(QStringLiteral("repay.concurrent"),
                                          tr("Someone else re-issued the payment of order %1 just now; refresh to see it.").arg(orderNo)));
        return refuse(s.error());
    }
    if (auto r = Sql::exec(conn, QStringLiteral("UPDATE orders SET channel = :c WHERE id = :id AND state = 'PENDING'"),
                           {{":c", toString(channel)}, {":id", order.id}});
        !r)
        return refuse(r.error());
    if (Status s = m_audit.append(tx, actor.login, QStringLiteral("order.repay"), QStringLiteral("order:") + orderNo,
                                  {{QStringLiteral("out_trade_no"), a.outTradeNo}, {QStringLiteral("channel"), toString(channel)},
                                   {QStringLiteral("expires_at"), a.expiresAt}});
        !s)
        return refuse(s.error());
    if (Status s = Reconciler::signalChange(tx); !s)
        return refuse(s.error());
    if (Status s = tx.commit(); !s)
        return done(s.error());
    Started out;
    out.order = order;
    out.order.channel = channel;
    out.attempt = a;
    out.task = startTask(a, order.title);
    emit booksChanged();
    done(out);
}

void PaymentService::refresh(const QString &actor, const QString &orderNo, QObject *context,
                             std::function<void(const Result<Refreshed> &)> done)
{
    auto reply = [context, done](const Result<Refreshed> &r) {
        QMetaObject::invokeMethod(context, [done, r]() { done(r); }, Qt::QueuedConnection);
    };
    auto order = m_orders.byNo(orderNo);
    if (!order)
        return reply(order.error());
    auto attempts = m_orders.attemptsOf(order->id);
    if (!attempts)
        return reply(attempts.error());
    QList<PaymentAttempt> open;
    for (const PaymentAttempt &a : attempts.value())
        if (Transitions::isOpen(a.state))
            open << a;
    auto state = std::make_shared<Refreshed>();
    state->order = order.value();
    auto remaining = std::make_shared<qsizetype>(open.size());
    if (open.isEmpty())
        return reply(*state);
    for (const PaymentAttempt &a : open) {
        PaymentChannel *ch = m_channels.channel(a.channel);
        if (!ch) {
            state->problems << tr("%1: the %2 channel is not set up").arg(a.outTradeNo, SystemText::of(a.channel));
            if (--*remaining == 0)
                reply(*state);
            continue;
        }
        ch->queryPayment(a.outTradeNo, this, [this, a, actor, state, remaining, reply](const ChannelReply<PaymentStatus> &r) {
            if (r.ok()) {
                auto applied = m_reconciler.applyPayment(r.value(), actor, QStringLiteral("refresh"));
                if (applied)
                    state->applied << applied.value();
                else
                    state->problems << tr("%1: %2").arg(a.outTradeNo, applied.error().message);
            } else if (r.error().kind == ChannelError::Kind::NotFound && a.state == AttemptState::Created) {
                PaymentStatus st;
                st.outTradeNo = a.outTradeNo;
                st.state = TradeState::NotExist;
                st.rawState = QStringLiteral("NOT_EXIST");
                if (auto applied = m_reconciler.applyPayment(st, actor, QStringLiteral("refresh")); applied)
                    state->applied << applied.value();
            } else {
                state->problems << tr("%1: %2").arg(a.outTradeNo, r.error().describe());
            }
            if (--*remaining == 0) {
                if (auto o = m_orders.byId(state->order.id); o)
                    state->order = o.value();
                emit booksChanged();
                reply(*state);
            }
        });
    }
}

} // namespace paydesk
