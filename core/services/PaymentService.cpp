#include "services/PaymentService.h"

#include "util/Duration.h"

#include <QTimer>

namespace paydesk {

PaymentService::PaymentService(Database &db, OrderRepository &orders, AuditLog &audit, Settings &settings, const Clock &clock,
                               ChannelRegistry &channels, Reconciler &reconciler, OrderService &orderService, QObject *parent)
    : QObject(parent), m_db(db), m_orders(orders), m_audit(audit), m_settings(settings), m_clock(clock),
      m_channels(channels), m_reconciler(reconciler), m_orderService(orderService)
{
}

Status PaymentService::checkRole(const User &actor, const QString &what) const
{
    if (!actor.active || (actor.role != Role::Clerk && actor.role != Role::Admin))
        return Error::forbidden(QStringLiteral("role.counter_only"),
                                tr("%1 is a counter action: it needs a CLERK or ADMIN account; %2 is %3.")
                                    .arg(what, actor.login, toString(actor.role)));
    return {};
}

Result<qint64> PaymentService::repayWindow(const Order &order, ChannelKind channel) const
{
    PaymentChannel *ch = m_channels.channel(channel);
    if (!ch)
        return Error::invalid(QStringLiteral("channel.not_configured"),
                              tr("The %1 channel is not set up; add its profile in Settings or with paydeskctl channel add.").arg(toString(channel)));
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
    if (Status s = checkRole(actor, tr("Checkout")); !s)
        return s.error();
    PaymentChannel *ch = m_channels.channel(channel);
    if (!ch)
        return Error::invalid(QStringLiteral("channel.not_configured"),
                              tr("The %1 channel is not set up; add its profile in Settings or with paydeskctl channel add.").arg(toString(channel)));
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
    emit task->progressed(tr("Creating the payment at %1 (try %2 of %3)…").arg(toString(task->m_attempt.channel)).arg(task->m_tries).arg(total));
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
        fail(QStringLiteral("NO_CHANNEL"), tr("The %1 channel is not set up.").arg(toString(task->m_attempt.channel)));
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
            // A Conflict means the timer or a notification moved it on already; that is fine.
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

Result<Order> PaymentService::applyOutcomes(const QString &actor, const Order &order, const QList<AttemptOutcome> &outcomes,
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
    if (closeOrder && !paid && !failed) {
        if (Status s = m_orders.casOrder(tx.connection(), order.id, OrderState::Pending, OrderState::Closed,
                                         {{QStringLiteral("close_reason"), toString(reason)}, {QStringLiteral("closed_at"), m_clock.nowMs()}});
            !s)
            return s.error();
        if (Status s = m_audit.append(tx, actor, QStringLiteral("order.close"), QStringLiteral("order:") + order.orderNo,
                                      {{QStringLiteral("reason"), toString(reason)}, {QStringLiteral("amount"), order.amount().toPlainString()}});
            !s)
            return s.error();
    }
    if (Status s = Reconciler::signalChange(tx); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    emit booksChanged();
    return m_orders.byId(order.id);
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
    if (!order)
        return reply(order.error());
    if (order->state == OrderState::Closed) {
        Closed c{order.value(), true, tr("Order %1 was already closed (%2).").arg(orderNo, toString(order->closeReason))};
        return reply(c);
    }
    if (order->state != OrderState::Pending) {
        m_audit.recordRefusal(actor.login, QStringLiteral("order.close.refused"), QStringLiteral("order:") + orderNo,
                              {{QStringLiteral("code"), QStringLiteral("order.not_pending")}, {QStringLiteral("state"), toString(order->state)}});
        return reply(Error::conflict(QStringLiteral("order.not_pending"),
                                     tr("Order %1 is %2; only a pending order can be closed.").arg(orderNo, toString(order->state))));
    }
    auto attempts = m_orders.attemptsOf(order->id);
    if (!attempts)
        return reply(attempts.error());
    QList<PaymentAttempt> open;
    for (const PaymentAttempt &a : attempts.value())
        if (Transitions::isOpen(a.state))
            open << a;
    m_closing.insert(key, {reply});
    const Order before = order.value();
    const QString login = actor.login;
    closeAttemptsAtChannels(m_channels, open, false, this, [this, key, before, login](const QList<AttemptOutcome> &outcomes) {
        QString problem;
        auto after = applyOutcomes(login, before, outcomes, true, CloseReason::Manual, &problem);
        Result<Closed> result = Error::storage(QString());
        if (!after) {
            result = after.error();
        } else if (after->state == OrderState::Closed) {
            result = Closed{after.value(), false, tr("Order %1 is closed.").arg(before.orderNo)};
        } else if (after->state == OrderState::Pending) {
            result = Error{Error::Kind::Channel, QStringLiteral("close.channel_failed"),
                           tr("Could not close the payment at the channel (%1); the order stays pending. Try again.").arg(problem)};
        } else {
            result = Error::conflict(QStringLiteral("close.already_paid"),
                                     tr("Order %1 was paid by the customer before it could be closed; it is now %2.")
                                         .arg(before.orderNo, toString(after->state)));
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
        return reply(order.error());
    if (order->state != OrderState::Pending)
        return refuse(Error::conflict(QStringLiteral("order.not_pending"),
                                      tr("Order %1 is %2; only a pending order can be repaid.").arg(orderNo, toString(order->state))));
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
        if (after->state != OrderState::Pending)
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
    auto order = m_orders.byNo(orderNo);
    if (!order)
        return done(order.error());
    auto window = repayWindow(order.value(), channel); // time passed while closing
    if (!window)
        return done(window.error());
    auto attempts = m_orders.attemptsOf(order->id);
    if (!attempts)
        return done(attempts.error());
    PaymentAttempt a;
    a.orderId = order->id;
    a.outTradeNo = Ids::outTradeNo(order->orderNo, int(attempts->size()) + 1);
    a.channel = channel;
    a.amountMinor = order->amountMinor;
    a.currency = order->currency;
    a.createdAt = m_clock.nowMs();
    a.expiresAt = a.createdAt + window.value();
    Transaction tx(m_db);
    if (!tx.begun())
        return done(tx.begun().error());
    if (Status s = m_orders.insertAttempt(tx.connection(), a); !s) {
        if (s.error().kind == Error::Kind::Conflict)
            return done(Error::conflict(QStringLiteral("repay.concurrent"),
                                        tr("Someone else re-issued the payment of order %1 just now; refresh to see it.").arg(orderNo)));
        return done(s.error());
    }
    if (auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE orders SET channel = :c WHERE id = :id AND state = 'PENDING'"),
                           {{":c", toString(channel)}, {":id", order->id}});
        !r)
        return done(r.error());
    if (Status s = m_audit.append(tx, actor.login, QStringLiteral("order.repay"), QStringLiteral("order:") + orderNo,
                                  {{QStringLiteral("out_trade_no"), a.outTradeNo}, {QStringLiteral("channel"), toString(channel)},
                                   {QStringLiteral("expires_at"), a.expiresAt}});
        !s)
        return done(s.error());
    if (Status s = Reconciler::signalChange(tx); !s)
        return done(s.error());
    if (Status s = tx.commit(); !s)
        return done(s.error());
    Started out;
    out.order = order.value();
    out.order.channel = channel;
    out.attempt = a;
    out.task = startTask(a, order->title);
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
            state->problems << tr("%1: the %2 channel is not set up").arg(a.outTradeNo, toString(a.channel));
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
