#include "channels/SimulatedChannel.h"

#include "channels/ChannelRegistry.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QTimer>

#include <vector>

namespace paydesk {

namespace {

QString orderPart(const QString &outTradeNo)
{
    const qsizetype dash = outTradeNo.lastIndexOf(u'-');
    return dash > 0 ? outTradeNo.left(dash) : outTradeNo;
}

quint64 stableHash(const QString &text, quint32 seed)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(text.toUtf8());
    h.addData(QByteArray::number(seed));
    const QByteArray r = h.result();
    quint64 v = 0;
    for (int i = 0; i < 8; ++i)
        v = (v << 8) | quint8(r[i]);
    return v;
}

// The simulator signs its notifications so that a forged one is refused like a real
// channel's would be. The key is a fixed simulator constant: this is a simulation, and the
// point is that the verification path runs, not that the key is secret.
const QByteArray kNotifyKey = QByteArrayLiteral("paydesk-simulated-channel-notification-key-v1");

} // namespace

Result<std::unique_ptr<SimulatedChannel>> SimulatedChannel::create(const QString &databaseUrl, const Clock &clock,
                                                                   quint32 seed, QObject *parent)
{
    return createAs(ChannelKind::Sim, databaseUrl, clock, seed, parent);
}

Result<std::unique_ptr<SimulatedChannel>> SimulatedChannel::createAs(ChannelKind kind, const QString &databaseUrl,
                                                                     const Clock &clock, quint32 seed, QObject *parent)
{
    auto db = Database::open(databaseUrl, Database::Durability::Relaxed);
    if (!db)
        return db.error();
    if (Status s = db.value()->migrate(); !s)
        return s.error();
    return std::unique_ptr<SimulatedChannel>(
        new SimulatedChannel(std::shared_ptr<Database>(std::move(db.value())), kind, clock, seed, parent));
}

std::unique_ptr<SimulatedChannel> SimulatedChannel::twin(ChannelKind kind) const
{
    std::unique_ptr<SimulatedChannel> t(new SimulatedChannel(m_db, kind, m_clock, m_seed, nullptr));
    t->m_defaultScript = m_defaultScript;
    t->m_scripts = m_scripts;
    t->m_mix = m_mix;
    t->m_useMix = m_useMix;
    t->m_latencyMs = m_latencyMs;
    t->m_refundOutcome = m_refundOutcome;
    t->m_refundSettleMs = m_refundSettleMs;
    t->m_notifyDelayMs = m_notifyDelayMs;
    return t;
}

Result<QList<SimulatedChannel *>> SimulatedChannel::addDemoChannels(ChannelRegistry &registry, const QString &databaseUrl,
                                                                    const Clock &clock, quint32 seed,
                                                                    const QList<ChannelKind> &kinds)
{
    QList<SimulatedChannel *> out;
    if (kinds.isEmpty())
        return out;
    auto first = createAs(kinds.first(), databaseUrl, clock, seed);
    if (!first)
        return first.error();
    std::vector<std::unique_ptr<SimulatedChannel>> made;
    made.push_back(std::move(first.value()));
    for (qsizetype i = 1; i < kinds.size(); ++i)
        made.push_back(made.front()->twin(kinds.at(i)));
    for (auto &channel : made) {
        out << channel.get();
        registry.add(std::move(channel));
    }
    return out;
}

SimulatedChannel::SimulatedChannel(std::shared_ptr<Database> db, ChannelKind kind, const Clock &clock, quint32 seed,
                                   QObject *parent)
    : PaymentChannel(parent), m_db(std::move(db)), m_kind(kind), m_clock(clock), m_seed(seed)
{
}

SimulatedChannel::~SimulatedChannel() = default;

std::optional<SimulatedChannel::Fault> SimulatedChannel::takeFault(const QString &op)
{
    for (auto it = m_faults.begin(); it != m_faults.end(); ++it) {
        if (it->op != op && it->op != QStringLiteral("*"))
            continue;
        Fault f = *it;
        if (--it->times <= 0)
            m_faults.erase(it);
        return f;
    }
    return std::nullopt;
}

SimulatedChannel::Script SimulatedChannel::scriptFor(const QString &outTradeNo) const
{
    for (auto it = m_scripts.cbegin(); it != m_scripts.cend(); ++it)
        if (outTradeNo.startsWith(it.key()))
            return it.value();
    if (!m_useMix)
        return m_defaultScript;
    const QString order = orderPart(outTradeNo);
    const quint64 h = stableHash(order, m_seed);
    const int bucket = int(h % 100);
    const qint64 span = qMax<qint64>(1, m_mix.maxDelayMs - m_mix.minDelayMs);
    const qint64 delay = m_mix.minDelayMs + qint64((h >> 8) % quint64(span));
    Script s;
    s.delayMs = delay;
    if (bucket < m_mix.payPercent)
        s.customer = Customer::PayAfterDelay;
    else if (bucket < m_mix.payPercent + m_mix.neverPercent)
        s.customer = Customer::NeverPay;
    else if (bucket < m_mix.payPercent + m_mix.neverPercent + m_mix.payAfterClosePercent)
        s.customer = Customer::PayAfterClose, s.delayMs = 2000 + delay % 20'000;
    else
        s.customer = Customer::PayTwice;
    return s;
}

std::optional<SimulatedChannel::Customer> SimulatedChannel::customerFromString(QStringView text)
{
    if (text == u"never")
        return Customer::NeverPay;
    if (text == u"pay")
        return Customer::PayAfterDelay;
    if (text == u"pay-after-close")
        return Customer::PayAfterClose;
    if (text == u"pay-twice")
        return Customer::PayTwice;
    return std::nullopt;
}

QString SimulatedChannel::toString(Customer c)
{
    switch (c) {
    case Customer::NeverPay: return QStringLiteral("never");
    case Customer::PayAfterDelay: return QStringLiteral("pay");
    case Customer::PayAfterClose: return QStringLiteral("pay-after-close");
    case Customer::PayTwice: return QStringLiteral("pay-twice");
    }
    return {};
}

Status SimulatedChannel::storeScript(const QString &prefix, Script script)
{
    Transaction tx(*m_db);
    if (!tx.begun())
        return tx.begun();
    if (auto d = Sql::exec(tx.connection(), QStringLiteral("DELETE FROM sim_scripts WHERE prefix = :p"), {{":p", prefix}}); !d)
        return d.error();
    if (auto i = Sql::exec(tx.connection(), QStringLiteral("INSERT INTO sim_scripts (prefix, customer, delay_ms) VALUES (:p, :c, :d)"),
                           {{":p", prefix}, {":c", toString(script.customer)}, {":d", script.delayMs}});
        !i)
        return i.error();
    m_scripts.insert(prefix, script);
    return tx.commit();
}

SimulatedChannel::Script SimulatedChannel::scriptFor(QSqlDatabase &conn, const QString &outTradeNo) const
{
    // Scripts stored by another process (paydeskctl sim script) win over in-memory defaults.
    auto found = cachedExec(conn, QStringLiteral("SELECT customer, delay_ms FROM sim_scripts WHERE :n LIKE prefix || '%' "
                                          "ORDER BY LENGTH(prefix) DESC LIMIT 1"), {{":n", outTradeNo}});
    if (found) {
        QSqlQuery &q = *found.value();
        std::optional<Script> stored;
        if (q.next())
            if (const auto c = customerFromString(q.value(0).toString()))
                stored = Script{*c, q.value(1).toLongLong()};
        q.finish();
        if (stored)
            return *stored;
    }
    return scriptFor(outTradeNo);
}

void SimulatedChannel::enqueue(const QString &op, QObject *context, std::function<void(QSqlDatabase &)> run,
                               std::function<void()> answer)
{
    Call call{op, std::move(run), std::move(answer), QPointer<QObject>(context)};
    auto push = [this, call = std::move(call)]() mutable {
        m_pending.append(std::move(call));
        if (!m_flushQueued) {
            m_flushQueued = true;
            QMetaObject::invokeMethod(this, &SimulatedChannel::flush, Qt::QueuedConnection);
        }
    };
    if (m_latencyMs > 0)
        QTimer::singleShot(m_latencyMs, this, std::move(push));
    else
        push();
}

void SimulatedChannel::flush()
{
    m_flushQueued = false;
    QList<Call> calls;
    calls.swap(m_pending);
    if (calls.isEmpty())
        return;
    {
        Transaction tx(*m_db);
        if (!tx.begun()) {
            qWarning("paydesk: simulated channel cannot write its books: %s", qPrintable(tx.begun().error().message));
        } else {
            for (Call &c : calls)
                if (c.run)
                    c.run(tx.connection());
            if (Status s = tx.commit(); !s)
                qWarning("paydesk: simulated channel commit failed: %s", qPrintable(s.error().message));
        }
    }
    for (Call &c : calls) {
        if (!c.answer)
            continue;
        if (c.context.isNull() && c.op != QStringLiteral("customer"))
            continue; // the caller went away
        c.answer();
    }
    const QList<PaymentStatus> notify = std::exchange(m_toNotify, {});
    for (const PaymentStatus &st : notify)
        scheduleNotification(st, st.paidAtMs + m_notifyDelayMs);
}

Result<QSqlQuery *> SimulatedChannel::cachedExec(QSqlDatabase &conn, const QString &sql, Sql::Binds binds) const
{
    const QString key = conn.connectionName() + u'\n' + sql;
    auto it = m_statements.find(key);
    if (it == m_statements.end()) {
        auto prepared = Sql::prepare(conn, sql);
        if (!prepared)
            return prepared.error();
        it = m_statements.emplace(key, std::move(prepared.value())).first;
    }
    QSqlQuery &q = it->second;
    for (const auto &[name, value] : binds)
        q.bindValue(QString::fromLatin1(name), Sql::bindable(value));
    if (Status st = Sql::execPrepared(q); !st)
        return st.error();
    return &q;
}

void SimulatedChannel::logEvent(QSqlDatabase &conn, const QString &op, const QString &ref, const QString &result, qint64 amount)
{
    auto r = cachedExec(conn, QStringLiteral("INSERT INTO sim_events (at, op, ref, result, amount_minor) VALUES (:at, :op, :ref, :res, :amt)"),
                       {{":at", m_clock.nowMs()}, {":op", op}, {":ref", ref}, {":res", result}, {":amt", amount}});
    if (!r)
        qWarning("paydesk: simulated channel ledger: %s", qPrintable(r.error().message));
}

SimulatedChannel::Payment SimulatedChannel::loadPayment(QSqlDatabase &conn, const QString &outTradeNo)
{
    Payment p;
    auto found = cachedExec(conn, QStringLiteral("SELECT out_trade_no, state, txn_id, amount_minor, created_at, expires_at, paid_at, closed_at "
                                          "FROM sim_payments WHERE out_trade_no = :n") + m_db->forUpdate(),
                     {{":n", outTradeNo}});
    if (!found)
        return p;
    QSqlQuery &q = *found.value();
    if (q.next()) {
        p.exists = true;
        p.outTradeNo = q.value(0).toString();
        p.state = q.value(1).toString();
        p.txnId = q.value(2).toString();
        p.amountMinor = q.value(3).toLongLong();
        p.createdAt = q.value(4).toLongLong();
        p.expiresAt = q.value(5).toLongLong();
        p.paidAt = q.value(6).toLongLong();
        p.closedAt = q.value(7).toLongLong();
    }
    q.finish(); // a cached statement must not stay open between uses
    return p;
}

void SimulatedChannel::markPaid(QSqlDatabase &conn, Payment &p, qint64 at)
{
    p.state = QStringLiteral("SUCCESS");
    p.paidAt = at;
    p.txnId = QStringLiteral("SIM") + QString::number(stableHash(p.outTradeNo, m_seed) % 10'000'000'000'000'000ULL).rightJustified(16, u'0');
    auto r = cachedExec(conn, QStringLiteral("UPDATE sim_payments SET state = 'SUCCESS', paid_at = :p, txn_id = :t WHERE out_trade_no = :n"),
                       {{":p", at}, {":t", p.txnId}, {":n", p.outTradeNo}});
    if (!r)
        qWarning("paydesk: simulated payment: %s", qPrintable(r.error().message));
    logEvent(conn, QStringLiteral("pay"), p.outTradeNo, p.state, p.amountMinor);
    m_toNotify << statusOf(p);
}

SimulatedChannel::Payment SimulatedChannel::settlePayment(QSqlDatabase &conn, const QString &outTradeNo)
{
    Payment p = loadPayment(conn, outTradeNo);
    if (!p.exists || p.state == QStringLiteral("SUCCESS"))
        return p;
    const Script s = scriptFor(conn, outTradeNo);
    const qint64 now = m_clock.nowMs();
    switch (s.customer) {
    case Customer::NeverPay:
        break;
    case Customer::PayAfterDelay:
        if (p.state == QStringLiteral("NOTPAY") && p.createdAt + s.delayMs <= now && p.createdAt + s.delayMs < p.expiresAt)
            markPaid(conn, p, p.createdAt + s.delayMs);
        break;
    case Customer::PayAfterClose:
        if (p.state == QStringLiteral("CLOSED") && p.closedAt + s.delayMs <= now)
            markPaid(conn, p, p.closedAt + s.delayMs);
        break;
    case Customer::PayTwice: {
        const qint64 at = p.state == QStringLiteral("CLOSED") ? qMax(p.createdAt + s.delayMs, p.closedAt + 1) : p.createdAt + s.delayMs;
        if (at <= now)
            markPaid(conn, p, at);
        break;
    }
    }
    return p;
}

PaymentStatus SimulatedChannel::statusOf(const Payment &p)
{
    PaymentStatus st;
    st.outTradeNo = p.outTradeNo;
    st.rawState = p.state;
    if (p.state == QStringLiteral("SUCCESS")) {
        st.state = TradeState::Success;
        st.paidAtMs = p.paidAt;
        st.amountMinor = p.amountMinor;
        st.channelTxnId = p.txnId;
    } else if (p.state == QStringLiteral("CLOSED")) {
        st.state = TradeState::Closed;
    } else {
        st.state = TradeState::NotPay;
    }
    return st;
}

void SimulatedChannel::createNative(const CreatePaymentRequest &request, QObject *context, Callback<CreatedPayment> done)
{
    const auto fault = takeFault(QStringLiteral("create"));
    auto reply = std::make_shared<std::optional<ChannelReply<CreatedPayment>>>();
    const qint64 now = m_clock.nowMs();
    auto run = [this, request, fault, reply, now](QSqlDatabase &conn) {
        if (fault && !fault->lands) {
            logEvent(conn, QStringLiteral("create"), request.outTradeNo, QStringLiteral("FAULT"), request.amountMinor);
            return;
        }
        if (request.amountMinor <= 0 || request.expiresAtMs <= now + minimumExpiryMs()) {
            *reply = ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("PARAM_ERROR"),
                                        QStringLiteral("amount must be positive and time_expire at least %1 s ahead")
                                            .arg(minimumExpiryMs() / 1000),
                                        400);
            logEvent(conn, QStringLiteral("create"), request.outTradeNo, QStringLiteral("PARAM_ERROR"), request.amountMinor);
            return;
        }
        Payment p = loadPayment(conn, request.outTradeNo);
        if (p.exists && (p.amountMinor != request.amountMinor)) {
            *reply = ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("ORDERNO_USED"),
                                        QStringLiteral("out_trade_no already used with other parameters"), 400);
            logEvent(conn, QStringLiteral("create"), request.outTradeNo, QStringLiteral("ORDERNO_USED"), request.amountMinor);
            return;
        }
        if (!p.exists) {
            auto r = cachedExec(conn, QStringLiteral("INSERT INTO sim_payments (out_trade_no, amount_minor, description, state, created_at, expires_at) "
                                                    "VALUES (:n, :a, :d, 'NOTPAY', :c, :e)"),
                               {{":n", request.outTradeNo}, {":a", request.amountMinor}, {":d", request.description},
                                {":c", now}, {":e", request.expiresAtMs}});
            if (!r) {
                *reply = ChannelError::make(ChannelError::Kind::Server, QStringLiteral("SYSTEM_ERROR"), r.error().message, 500);
                return;
            }
        }
        logEvent(conn, QStringLiteral("create"), request.outTradeNo, p.exists ? QStringLiteral("REPEAT") : QStringLiteral("OK"),
                 request.amountMinor);
        // A simulated code says what it is, so it can never be mistaken for a real one.
        QString code = QStringLiteral("paydesk-sim://pay/") + request.outTradeNo;
        if (m_kind != ChannelKind::Sim)
            code += QStringLiteral("?channel=") + paydesk::toString(m_kind);
        *reply = CreatedPayment{code};
    };
    auto answer = [this, reply, fault, done, request, now]() {
        if (fault) {
            done(ChannelError::make(fault->kind, QStringLiteral("SIM_FAULT"), QStringLiteral("injected fault"), 500));
            return;
        }
        if (reply->has_value() && reply->value().ok()) {
            // Scripted customers who will pay act on their own time.
            QSqlDatabase scriptConn = m_db->connection();
            const Script s = scriptFor(scriptConn, request.outTradeNo);
            if (s.customer == Customer::PayAfterDelay || s.customer == Customer::PayTwice)
                wakeCustomerAt(request.outTradeNo, now + s.delayMs);
        }
        done(reply->has_value() ? reply->value()
                                : ChannelReply<CreatedPayment>(ChannelError::make(ChannelError::Kind::Server, QStringLiteral("SYSTEM_ERROR"), QStringLiteral("no answer"), 500)));
    };
    enqueue(QStringLiteral("create"), context, std::move(run), std::move(answer));
}

void SimulatedChannel::queryPayment(const QString &outTradeNo, QObject *context, Callback<PaymentStatus> done)
{
    const auto fault = takeFault(QStringLiteral("query"));
    auto reply = std::make_shared<std::optional<ChannelReply<PaymentStatus>>>();
    auto run = [this, outTradeNo, fault, reply](QSqlDatabase &conn) {
        if (fault && !fault->lands) {
            logEvent(conn, QStringLiteral("query"), outTradeNo, QStringLiteral("FAULT"), 0);
            return;
        }
        const Payment p = settlePayment(conn, outTradeNo);
        if (!p.exists) {
            logEvent(conn, QStringLiteral("query"), outTradeNo, QStringLiteral("ORDER_NOT_EXIST"), 0);
            *reply = ChannelError::make(ChannelError::Kind::NotFound, QStringLiteral("ORDER_NOT_EXIST"), QStringLiteral("no such payment"), 404);
            return;
        }
        logEvent(conn, QStringLiteral("query"), outTradeNo, p.state, p.state == QStringLiteral("SUCCESS") ? p.amountMinor : 0);
        *reply = statusOf(p);
    };
    auto answer = [reply, fault, done]() {
        if (fault)
            done(ChannelError::make(fault->kind, QStringLiteral("SIM_FAULT"), QStringLiteral("injected fault"), 500));
        else
            done(reply->value());
    };
    enqueue(QStringLiteral("query"), context, std::move(run), std::move(answer));
}

void SimulatedChannel::closePayment(const QString &outTradeNo, QObject *context, Callback<Done> done)
{
    const auto fault = takeFault(QStringLiteral("close"));
    auto reply = std::make_shared<std::optional<ChannelReply<Done>>>();
    auto run = [this, outTradeNo, fault, reply](QSqlDatabase &conn) {
        if (fault && !fault->lands) {
            logEvent(conn, QStringLiteral("close"), outTradeNo, QStringLiteral("FAULT"), 0);
            return;
        }
        Payment p = settlePayment(conn, outTradeNo);
        if (!p.exists) {
            logEvent(conn, QStringLiteral("close"), outTradeNo, QStringLiteral("ORDER_NOT_EXIST"), 0);
            *reply = ChannelError::make(ChannelError::Kind::NotFound, QStringLiteral("ORDER_NOT_EXIST"), QStringLiteral("no such payment"), 404);
            return;
        }
        if (p.state == QStringLiteral("SUCCESS")) {
            logEvent(conn, QStringLiteral("close"), outTradeNo, QStringLiteral("ORDERPAID"), 0);
            *reply = ChannelError::make(ChannelError::Kind::AlreadyPaid, QStringLiteral("ORDERPAID"), QStringLiteral("the payment was already made"), 400);
            return;
        }
        if (p.state == QStringLiteral("NOTPAY")) {
            const qint64 now = m_clock.nowMs();
            auto r = cachedExec(conn, QStringLiteral("UPDATE sim_payments SET state = 'CLOSED', closed_at = :c WHERE out_trade_no = :n"),
                               {{":c", now}, {":n", outTradeNo}});
            if (!r) {
                *reply = ChannelError::make(ChannelError::Kind::Server, QStringLiteral("SYSTEM_ERROR"), r.error().message, 500);
                return;
            }
            p.state = QStringLiteral("CLOSED");
            p.closedAt = now;
        }
        logEvent(conn, QStringLiteral("close"), outTradeNo, QStringLiteral("OK"), 0);
        *reply = Done{};
        const Script s = scriptFor(conn, outTradeNo);
        if (s.customer == Customer::PayAfterClose || s.customer == Customer::PayTwice) {
            const qint64 realDelay = qint64(double(s.delayMs) / m_clock.rate());
            QMetaObject::invokeMethod(this, [this, outTradeNo, realDelay]() {
                QTimer::singleShot(qMax<qint64>(0, realDelay) + 1, this, [this, outTradeNo]() {
                    enqueue(QStringLiteral("customer"), this, [this, outTradeNo](QSqlDatabase &c) { settlePayment(c, outTradeNo); }, {});
                });
            }, Qt::QueuedConnection);
        }
    };
    auto answer = [reply, fault, done]() {
        if (fault)
            done(ChannelError::make(fault->kind, QStringLiteral("SIM_FAULT"), QStringLiteral("injected fault"), 500));
        else
            done(reply->value());
    };
    enqueue(QStringLiteral("close"), context, std::move(run), std::move(answer));
}

RefundResult SimulatedChannel::settleRefund(QSqlDatabase &conn, const QString &outRefundNo, bool &exists)
{
    RefundResult r;
    r.outRefundNo = outRefundNo;
    auto q = Sql::exec(conn, QStringLiteral("SELECT out_trade_no, amount_minor, state, settle_at, final_state, refund_id, created_at "
                                            "FROM sim_refunds WHERE out_refund_no = :n") + m_db->forUpdate(),
                       {{":n", outRefundNo}});
    exists = q && q.value().next();
    if (!exists)
        return r;
    r.outTradeNo = q.value().value(0).toString();
    r.amountMinor = q.value().value(1).toLongLong();
    QString state = q.value().value(2).toString();
    const qint64 settleAt = q.value().value(3).toLongLong();
    const QString finalState = q.value().value(4).toString();
    r.channelRefundId = q.value().value(5).toString();
    if (state == QStringLiteral("PROCESSING") && settleAt <= m_clock.nowMs()) {
        state = finalState;
        auto u = Sql::exec(conn, QStringLiteral("UPDATE sim_refunds SET state = :s WHERE out_refund_no = :n"), {{":s", state}, {":n", outRefundNo}});
        if (!u)
            qWarning("paydesk: simulated refund: %s", qPrintable(u.error().message));
        logEvent(conn, QStringLiteral("refund_settle"), outRefundNo, state, state == QStringLiteral("SUCCESS") ? r.amountMinor : 0);
    }
    r.rawStatus = state;
    r.status = state == QStringLiteral("SUCCESS") ? RefundStatus::Success
             : state == QStringLiteral("ABNORMAL") ? RefundStatus::Abnormal
             : state == QStringLiteral("CLOSED")   ? RefundStatus::Closed
                                                   : RefundStatus::Processing;
    if (r.status == RefundStatus::Success)
        r.succeededAtMs = qMax(settleAt, q.value().value(6).toLongLong());
    return r;
}

void SimulatedChannel::refund(const RefundRequest &request, QObject *context, Callback<RefundResult> done)
{
    const auto fault = takeFault(QStringLiteral("refund"));
    auto reply = std::make_shared<std::optional<ChannelReply<RefundResult>>>();
    auto run = [this, request, fault, reply](QSqlDatabase &conn) {
        if (fault && !fault->lands) {
            logEvent(conn, QStringLiteral("refund"), request.outRefundNo, QStringLiteral("FAULT"), 0);
            return;
        }
        bool exists = false;
        RefundResult existing = settleRefund(conn, request.outRefundNo, exists);
        if (exists) {
            // The same out_refund_no again: the money moved (or not) once; report where it is.
            if (existing.amountMinor != request.refundMinor || existing.outTradeNo != request.outTradeNo) {
                *reply = ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("PARAM_ERROR"),
                                            QStringLiteral("out_refund_no already used with other parameters"), 400);
                logEvent(conn, QStringLiteral("refund"), request.outRefundNo, QStringLiteral("PARAM_ERROR"), 0);
                return;
            }
            logEvent(conn, QStringLiteral("refund"), request.outRefundNo, QStringLiteral("REPEAT"), 0);
            *reply = existing;
            return;
        }
        const Payment p = settlePayment(conn, request.outTradeNo);
        if (!p.exists || p.state != QStringLiteral("SUCCESS")) {
            logEvent(conn, QStringLiteral("refund"), request.outRefundNo, QStringLiteral("TRADE_NOT_PAID"), 0);
            *reply = ChannelError::make(p.exists ? ChannelError::Kind::Rejected : ChannelError::Kind::NotFound,
                                        p.exists ? QStringLiteral("INVALID_REQUEST") : QStringLiteral("RESOURCE_NOT_EXISTS"),
                                        QStringLiteral("the payment is not paid"), p.exists ? 400 : 404);
            return;
        }
        auto sum = Sql::exec(conn, QStringLiteral("SELECT COALESCE(SUM(amount_minor), 0) FROM sim_refunds WHERE out_trade_no = :t "
                                                  "AND state IN ('PROCESSING', 'SUCCESS')"), {{":t", request.outTradeNo}});
        const qint64 already = sum && sum.value().next() ? sum.value().value(0).toLongLong() : 0;
        if (request.refundMinor <= 0 || already + request.refundMinor > p.amountMinor) {
            logEvent(conn, QStringLiteral("refund"), request.outRefundNo, QStringLiteral("NOT_ENOUGH"), 0);
            *reply = ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("NOT_ENOUGH"),
                                        QStringLiteral("refund exceeds what is left on the payment"), 403);
            return;
        }
        const qint64 now = m_clock.nowMs();
        const QString finalState = m_refundOutcome == RefundOutcome::Success ? QStringLiteral("SUCCESS")
                                 : m_refundOutcome == RefundOutcome::Abnormal ? QStringLiteral("ABNORMAL") : QStringLiteral("CLOSED");
        const QString refundId = QStringLiteral("SIMR") + QString::number(stableHash(request.outRefundNo, m_seed) % 1'000'000'000'000ULL).rightJustified(12, u'0');
        auto ins = Sql::exec(conn, QStringLiteral("INSERT INTO sim_refunds (out_refund_no, out_trade_no, amount_minor, state, created_at, settle_at, final_state, refund_id) "
                                                  "VALUES (:n, :t, :a, 'PROCESSING', :c, :s, :f, :r)"),
                             {{":n", request.outRefundNo}, {":t", request.outTradeNo}, {":a", request.refundMinor}, {":c", now},
                              {":s", now + m_refundSettleMs}, {":f", finalState}, {":r", refundId}});
        if (!ins) {
            *reply = ChannelError::make(ChannelError::Kind::Server, QStringLiteral("SYSTEM_ERROR"), ins.error().message, 500);
            return;
        }
        logEvent(conn, QStringLiteral("refund"), request.outRefundNo, QStringLiteral("ACCEPTED"), request.refundMinor);
        *reply = settleRefund(conn, request.outRefundNo, exists);
    };
    auto answer = [reply, fault, done]() {
        if (fault)
            done(ChannelError::make(fault->kind, QStringLiteral("SIM_FAULT"), QStringLiteral("injected fault"), 500));
        else
            done(reply->value());
    };
    enqueue(QStringLiteral("refund"), context, std::move(run), std::move(answer));
}

void SimulatedChannel::queryRefund(const QString &outRefundNo, const QString &, QObject *context, Callback<RefundResult> done)
{
    const auto fault = takeFault(QStringLiteral("query_refund"));
    auto reply = std::make_shared<std::optional<ChannelReply<RefundResult>>>();
    auto run = [this, outRefundNo, fault, reply](QSqlDatabase &conn) {
        if (fault && !fault->lands)
            return;
        bool exists = false;
        const RefundResult r = settleRefund(conn, outRefundNo, exists);
        logEvent(conn, QStringLiteral("query_refund"), outRefundNo, exists ? r.rawStatus : QStringLiteral("RESOURCE_NOT_EXISTS"), 0);
        if (!exists)
            *reply = ChannelError::make(ChannelError::Kind::NotFound, QStringLiteral("RESOURCE_NOT_EXISTS"), QStringLiteral("no such refund"), 404);
        else
            *reply = r;
    };
    auto answer = [reply, fault, done]() {
        if (fault)
            done(ChannelError::make(fault->kind, QStringLiteral("SIM_FAULT"), QStringLiteral("injected fault"), 500));
        else
            done(reply->value());
    };
    enqueue(QStringLiteral("query_refund"), context, std::move(run), std::move(answer));
}

void SimulatedChannel::wakeCustomerAt(const QString &outTradeNo, qint64 atMs)
{
    const qint64 realDelay = qint64(double(atMs - m_clock.nowMs()) / m_clock.rate());
    QTimer::singleShot(qMax<qint64>(0, realDelay), this, [this, outTradeNo]() {
        enqueue(QStringLiteral("customer"), this, [this, outTradeNo](QSqlDatabase &conn) { settlePayment(conn, outTradeNo); }, {});
    });
}

Result<int> SimulatedChannel::wakeCustomers()
{
    QSqlDatabase conn = m_db->connection();
    auto q = Sql::exec(conn, QStringLiteral("SELECT out_trade_no, created_at, expires_at FROM sim_payments "
                                            "WHERE state = 'NOTPAY' AND expires_at > :now ORDER BY created_at"),
                       {{":now", m_clock.nowMs()}});
    if (!q)
        return q.error();
    struct Open { QString outTradeNo; qint64 createdAt, expiresAt; };
    QList<Open> open;
    while (q.value().next())
        open << Open{q.value().value(0).toString(), q.value().value(1).toLongLong(), q.value().value(2).toLongLong()};
    int woken = 0;
    for (const Open &p : std::as_const(open)) {
        const Script s = scriptFor(conn, p.outTradeNo);
        if (s.customer != Customer::PayAfterDelay && s.customer != Customer::PayTwice)
            continue;
        const qint64 at = p.createdAt + s.delayMs;
        if (s.customer == Customer::PayAfterDelay && at >= p.expiresAt)
            continue; // too slow: the code runs out first
        wakeCustomerAt(p.outTradeNo, at);
        ++woken;
    }
    return woken;
}

Result<PaymentStatus> SimulatedChannel::customerPays(const QString &outTradeNo, bool evenIfClosed)
{
    Transaction tx(*m_db);
    if (!tx.begun())
        return tx.begun().error();
    Payment p = settlePayment(tx.connection(), outTradeNo);
    if (!p.exists)
        return Error::notFound(QStringLiteral("sim.no_payment"), tr("The simulated channel has no payment %1.").arg(outTradeNo));
    if (p.state == QStringLiteral("CLOSED") && !evenIfClosed)
        return Error::conflict(QStringLiteral("sim.closed"), tr("Payment %1 is closed at the channel; a customer can no longer pay it.").arg(outTradeNo));
    if (p.state != QStringLiteral("SUCCESS"))
        markPaid(tx.connection(), p, m_clock.nowMs());
    if (Status s = tx.commit(); !s)
        return s.error();
    m_toNotify.clear(); // the caller applies the answer itself
    return statusOf(p);
}

Result<QList<SimulatedChannel::LedgerEvent>> SimulatedChannel::ledger(const QString &refPrefix)
{
    auto q = Sql::exec(m_db->connection(), QStringLiteral("SELECT at, op, ref, result, amount_minor FROM sim_events WHERE ref LIKE :p ORDER BY id"),
                       {{":p", QString(refPrefix + u'%')}});
    if (!q)
        return q.error();
    QList<LedgerEvent> out;
    while (q.value().next())
        out << LedgerEvent{q.value().value(0).toLongLong(), q.value().value(1).toString(), q.value().value(2).toString(),
                           q.value().value(3).toString(), q.value().value(4).toLongLong()};
    return out;
}

void SimulatedChannel::scheduleNotification(const PaymentStatus &status, qint64 atMs)
{
    const qint64 realDelay = qint64(double(atMs - m_clock.nowMs()) / m_clock.rate());
    QTimer::singleShot(qMax<qint64>(0, realDelay), this, [this, status]() {
        ChannelNotification n;
        n.kind = ChannelNotification::Kind::Payment;
        n.id = QStringLiteral("SIMN-") + status.outTradeNo;
        n.payment = status;
        emit notified(n);
    });
}

QByteArray SimulatedChannel::encodeNotification(const PaymentStatus &st)
{
    const QJsonObject o{{QStringLiteral("id"), QString(QStringLiteral("SIMN-") + st.outTradeNo)},
                        {QStringLiteral("event_type"), QStringLiteral("TRANSACTION.SUCCESS")},
                        {QStringLiteral("out_trade_no"), st.outTradeNo},
                        {QStringLiteral("trade_state"), paydesk::toString(st.state)},
                        {QStringLiteral("transaction_id"), st.channelTxnId},
                        {QStringLiteral("amount_minor"), st.amountMinor},
                        {QStringLiteral("success_time"), st.paidAtMs}};
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray SimulatedChannel::signNotification(const QByteArray &body)
{
    return QMessageAuthenticationCode::hash(body, kNotifyKey, QCryptographicHash::Sha256).toHex();
}

ChannelReply<ChannelNotification> SimulatedChannel::decodeNotification(const QMap<QByteArray, QByteArray> &headers,
                                                                       const QByteArray &body) const
{
    QByteArray signature;
    for (auto it = headers.cbegin(); it != headers.cend(); ++it)
        if (it.key().compare("sim-signature", Qt::CaseInsensitive) == 0)
            signature = it.value();
    const QByteArray expected = signNotification(body);
    if (signature.isEmpty() || signature != expected)
        return ChannelError::make(ChannelError::Kind::Signature, QStringLiteral("SIGN_ERROR"),
                                  QStringLiteral("the notification's signature does not match"), 401);
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    ChannelNotification n;
    n.kind = ChannelNotification::Kind::Payment;
    n.id = o.value(QStringLiteral("id")).toString();
    n.payment.outTradeNo = o.value(QStringLiteral("out_trade_no")).toString();
    n.payment.rawState = o.value(QStringLiteral("trade_state")).toString();
    n.payment.state = n.payment.rawState == QStringLiteral("SUCCESS") ? TradeState::Success : TradeState::NotPay;
    n.payment.channelTxnId = o.value(QStringLiteral("transaction_id")).toString();
    n.payment.amountMinor = o.value(QStringLiteral("amount_minor")).toInteger();
    n.payment.paidAtMs = o.value(QStringLiteral("success_time")).toInteger();
    if (n.payment.outTradeNo.isEmpty())
        return ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("PARAM_ERROR"), QStringLiteral("no out_trade_no"), 400);
    return n;
}

} // namespace paydesk
