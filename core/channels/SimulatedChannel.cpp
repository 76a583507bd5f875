#include "channels/SimulatedChannel.h"

#include "channels/BillWriter.h"
#include "channels/ChannelRegistry.h"
#include "storage/OrderRepository.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QSet>
#include <QTimeZone>
#include <QTimer>

#include <algorithm>
#include <functional>
#include <map>
#include <vector>

namespace paydesk {

namespace {

QString orderPart(const QString &outTradeNo)
{
    // "PD..._02", or "PD...-02" as attempts were numbered before migration 009.
    const QString orderNo = Ids::orderNoOf(outTradeNo);
    if (!orderNo.isEmpty())
        return orderNo;
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

// A batch reads and writes many rows per statement, in statements of a few fixed sizes, so that
// each size is prepared once per connection: an IN list is padded up to the next size (a value
// repeated matches nothing more) and the ledger's rows are cut into pieces of those sizes.
constexpr qsizetype kMaxInList = 500; // binds per IN list
constexpr qsizetype kEventRows = 100; // rows per ledger INSERT (five binds each)

/// The smallest power of two that holds `n` values, at most kMaxInList.
qsizetype inListShape(qsizetype n)
{
    qsizetype shape = 1;
    while (shape < n)
        shape *= 2;
    return qMin(shape, kMaxInList);
}

/// How many of `n` rows the next INSERT takes: kEventRows, or the largest power of two below.
qsizetype insertShape(qsizetype n)
{
    if (n >= kEventRows)
        return kEventRows;
    qsizetype shape = 1;
    while (shape * 2 <= n)
        shape *= 2;
    return shape;
}

/// `item` `n` times, comma-separated: the placeholders of an IN list or of a multi-row VALUES.
QString repeated(const QString &item, qsizetype n)
{
    return QStringList(n, item).join(QStringLiteral(", "));
}

/// The answer to a call whose effect the simulator could not write to its books.
ChannelError unrecorded()
{
    return ChannelError::make(ChannelError::Kind::Server, QStringLiteral("SYSTEM_ERROR"),
                              QStringLiteral("the simulated channel could not write its books"), 500);
}

} // namespace

/// The working set of one flush: the payments its calls touch, read a few hundred rows per
/// statement before the calls run, and what the calls change (closes, payments that landed,
/// ledger lines), kept here and written back the same way before the commit. Only a new
/// payment and the rare refunds are written by their call at once. Calls read payments only
/// through the batch, so the outcome is the one a statement per step gave.
struct SimulatedChannel::Batch
{
    explicit Batch(QSqlDatabase &connection) : conn(connection) {}
    QSqlDatabase &conn;
    /// Read on first use: a flush of refund queries or of faults needs none.
    std::optional<StoredScripts> scripts;
    /// Every payment read, as it stands after the calls so far (exists = false: looked up and
    /// not there). Node-based, so a Payment & stays valid while others are added.
    std::unordered_map<QString, Payment> payments;
    struct Close
    {
        QString outTradeNo;
        qint64 at = 0;
        qsizetype event = -1; ///< its line in `events`, dropped if the row cannot be written
        std::shared_ptr<std::optional<ChannelReply<Done>>> reply;
    };
    QList<Close> closes;
    QStringList paid;          ///< payments that became SUCCESS (each at most once)
    QList<LedgerEvent> events; ///< in the order the calls made them
    QList<PaymentStatus> toNotify;
};

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

SimulatedChannel::StoredScripts SimulatedChannel::loadScripts(QSqlDatabase &conn) const
{
    // Read afresh by every batch, so a script another process stored (paydeskctl sim script)
    // is followed from the next flush on. The table is small: a few rows in the tests, one
    // per pending order in the demo.
    StoredScripts out;
    auto found = cachedExec(conn, QStringLiteral("SELECT prefix, customer, delay_ms FROM sim_scripts"), QVariantList());
    if (!found) {
        qWarning("paydesk: simulated channel scripts: %s", qPrintable(found.error().message));
        return out;
    }
    QSqlQuery &q = *found.value();
    QSet<qsizetype> lengths;
    while (q.next()) {
        const QString prefix = q.value(0).toString();
        if (const auto c = customerFromString(q.value(1).toString())) {
            out.byPrefix.insert(prefix, Script{*c, q.value(2).toLongLong()});
            lengths.insert(prefix.size());
        }
    }
    q.finish(); // a cached statement must not stay open between uses
    out.lengths = lengths.values();
    std::sort(out.lengths.begin(), out.lengths.end(), std::greater<>());
    return out;
}

SimulatedChannel::Script SimulatedChannel::scriptFor(Batch &b, const QString &outTradeNo) const
{
    if (!b.scripts)
        b.scripts = loadScripts(b.conn);
    return scriptFor(*b.scripts, outTradeNo);
}

SimulatedChannel::Script SimulatedChannel::scriptFor(const StoredScripts &stored, const QString &outTradeNo) const
{
    // Scripts stored by another process (paydeskctl sim script) win over in-memory defaults,
    // the longest matching prefix first. Only the lengths some stored prefix has are tried.
    for (const qsizetype length : stored.lengths) {
        if (length > outTradeNo.size())
            continue;
        const auto it = stored.byPrefix.constFind(outTradeNo.left(length));
        if (it != stored.byPrefix.cend())
            return it.value();
    }
    return scriptFor(outTradeNo);
}

void SimulatedChannel::enqueue(const QString &op, const QString &ref, QObject *context, std::function<void(Batch &)> run,
                               std::function<void(bool)> answer)
{
    Call call{op, ref, std::move(run), std::move(answer), QPointer<QObject>(context)};
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
    QList<PaymentStatus> toNotify;
    bool recorded = false;
    {
        Transaction tx(*m_db);
        if (!tx.begun()) {
            qWarning("paydesk: simulated channel cannot write its books: %s", qPrintable(tx.begun().error().message));
        } else {
            Batch b(tx.connection());
            QStringList refs;
            refs.reserve(calls.size());
            for (const Call &c : std::as_const(calls))
                if (!c.ref.isEmpty())
                    refs << c.ref;
            preload(b, std::move(refs));
            // In the order they were made, on the batch's copies of the rows: a create and then a
            // query of the same payment see each other, as they would one statement at a time.
            for (Call &c : calls)
                if (c.run)
                    c.run(b);
            writeBack(b);
            if (Status s = tx.commit(); !s) {
                qWarning("paydesk: simulated channel commit failed: %s", qPrintable(s.error().message));
            } else {
                recorded = true;
                toNotify = std::move(b.toNotify);
            }
        }
    }
    for (Call &c : calls) {
        if (!c.answer)
            continue;
        if (c.context.isNull() && c.op != QStringLiteral("customer"))
            continue; // the caller went away
        // What the simulator could not write down did not happen: like a channel whose own
        // database failed, it answers SYSTEM_ERROR (safe to retry) instead.
        c.answer(recorded);
    }
    for (const PaymentStatus &st : std::as_const(toNotify))
        scheduleNotification(st, st.paidAtMs + m_notifyDelayMs);
}

Result<QSqlQuery *> SimulatedChannel::cachedStatement(QSqlDatabase &conn, const QString &sql) const
{
    const QString key = conn.connectionName() + u'\n' + sql;
    auto it = m_statements.find(key);
    if (it == m_statements.end()) {
        auto prepared = Sql::prepare(conn, sql);
        if (!prepared)
            return prepared.error();
        it = m_statements.emplace(key, std::move(prepared.value())).first;
    }
    return &it->second;
}

Result<QSqlQuery *> SimulatedChannel::cachedExec(QSqlDatabase &conn, const QString &sql, Sql::Binds binds) const
{
    auto q = cachedStatement(conn, sql);
    if (!q)
        return q;
    for (const auto &[name, value] : binds)
        q.value()->bindValue(QString::fromLatin1(name), Sql::bindable(value));
    if (Status st = Sql::execPrepared(*q.value()); !st)
        return st.error();
    return q;
}

Result<QSqlQuery *> SimulatedChannel::cachedExec(QSqlDatabase &conn, const QString &sql, const QVariantList &binds) const
{
    auto q = cachedStatement(conn, sql);
    if (!q)
        return q;
    for (qsizetype i = 0; i < binds.size(); ++i)
        q.value()->bindValue(int(i), Sql::bindable(binds.at(i)));
    if (Status st = Sql::execPrepared(*q.value()); !st)
        return st.error();
    return q;
}

void SimulatedChannel::preload(Batch &b, QStringList outTradeNos)
{
    // Each row once, in key order: on PostgreSQL (FOR UPDATE) every process then locks the rows
    // of its flush in the same order, so two flushes cannot deadlock over them.
    outTradeNos.removeIf([&b](const QString &n) { return b.payments.count(n) > 0; });
    std::sort(outTradeNos.begin(), outTradeNos.end());
    outTradeNos.erase(std::unique(outTradeNos.begin(), outTradeNos.end()), outTradeNos.end());
    for (qsizetype from = 0; from < outTradeNos.size(); from += kMaxInList) {
        const qsizetype n = qMin(kMaxInList, outTradeNos.size() - from);
        const qsizetype shape = inListShape(n);
        QVariantList binds;
        binds.reserve(shape);
        for (qsizetype i = 0; i < shape; ++i)
            binds << outTradeNos.at(from + qMin(i, n - 1));
        auto found = cachedExec(b.conn, QStringLiteral("SELECT out_trade_no, state, txn_id, amount_minor, created_at, expires_at, "
                                                       "paid_at, closed_at FROM sim_payments WHERE out_trade_no IN (")
                                            + repeated(QStringLiteral("?"), shape) + u')' + m_db->forUpdate(),
                                binds);
        if (found) {
            QSqlQuery &q = *found.value();
            while (q.next()) {
                Payment p;
                p.exists = true;
                p.outTradeNo = q.value(0).toString();
                p.state = q.value(1).toString();
                p.txnId = q.value(2).toString();
                p.amountMinor = q.value(3).toLongLong();
                p.createdAt = q.value(4).toLongLong();
                p.expiresAt = q.value(5).toLongLong();
                p.paidAt = q.value(6).toLongLong();
                p.closedAt = q.value(7).toLongLong();
                const QString key = p.outTradeNo;
                b.payments.insert_or_assign(key, std::move(p));
            }
            q.finish(); // a cached statement must not stay open between uses
        } else {
            qWarning("paydesk: simulated channel cannot read its payments: %s", qPrintable(found.error().message));
        }
        // A row that is not there is a payment the channel never saw (as is, like before, one
        // that could not be read).
        for (qsizetype i = from; i < from + n; ++i) {
            Payment absent;
            absent.outTradeNo = outTradeNos.at(i);
            b.payments.try_emplace(absent.outTradeNo, std::move(absent));
        }
    }
}

SimulatedChannel::Payment &SimulatedChannel::payment(Batch &b, const QString &outTradeNo)
{
    auto it = b.payments.find(outTradeNo);
    if (it == b.payments.end()) {
        preload(b, {outTradeNo});
        it = b.payments.find(outTradeNo);
    }
    return it->second;
}

void SimulatedChannel::logEvent(Batch &b, const QString &op, const QString &ref, const QString &result, qint64 amount)
{
    b.events << LedgerEvent{m_clock.nowMs(), op, ref, result, amount};
}

void SimulatedChannel::writeBack(Batch &b)
{
    // Closes: one UPDATE per chunk of those made in the same millisecond (in a flush, mostly all).
    std::map<qint64, QList<qsizetype>> closesAt;
    for (qsizetype i = 0; i < b.closes.size(); ++i)
        closesAt[b.closes.at(i).at] << i;
    QList<qsizetype> lostEvents;
    for (const auto &[at, closes] : closesAt) {
        for (qsizetype from = 0; from < closes.size(); from += kMaxInList) {
            const qsizetype n = qMin(kMaxInList, closes.size() - from);
            const qsizetype shape = inListShape(n);
            QVariantList binds{at};
            binds.reserve(1 + shape);
            for (qsizetype i = 0; i < shape; ++i)
                binds << b.closes.at(closes.at(from + qMin(i, n - 1))).outTradeNo;
            auto r = cachedExec(b.conn, QStringLiteral("UPDATE sim_payments SET state = 'CLOSED', closed_at = ? WHERE out_trade_no IN (")
                                            + repeated(QStringLiteral("?"), shape) + u')',
                                binds);
            if (r)
                continue;
            // As when every close wrote its own row: the calls whose rows were not written fail
            // and leave no ledger line.
            for (qsizetype i = from; i < from + n; ++i) {
                const Batch::Close &c = b.closes.at(closes.at(i));
                *c.reply = ChannelError::make(ChannelError::Kind::Server, QStringLiteral("SYSTEM_ERROR"), r.error().message, 500);
                lostEvents << c.event;
            }
        }
    }
    std::sort(lostEvents.begin(), lostEvents.end(), std::greater<>());
    for (const qsizetype i : std::as_const(lostEvents))
        b.events.removeAt(i);

    // Payments: after the closes, since money can land on a payment closed in this same batch.
    for (const QString &outTradeNo : std::as_const(b.paid)) {
        const Payment &p = b.payments.at(outTradeNo);
        auto r = cachedExec(b.conn, QStringLiteral("UPDATE sim_payments SET state = 'SUCCESS', paid_at = :p, txn_id = :t WHERE out_trade_no = :n"),
                            {{":p", p.paidAt}, {":t", p.txnId}, {":n", p.outTradeNo}});
        if (!r)
            qWarning("paydesk: simulated payment: %s", qPrintable(r.error().message));
    }

    // The ledger, in call order (ids ascend with the rows of a multi-row INSERT).
    for (qsizetype from = 0; from < b.events.size();) {
        const qsizetype n = insertShape(b.events.size() - from);
        QVariantList binds;
        binds.reserve(5 * n);
        for (qsizetype i = from; i < from + n; ++i) {
            const LedgerEvent &e = b.events.at(i);
            binds << e.at << e.op << e.ref << e.result << e.amountMinor;
        }
        auto r = cachedExec(b.conn, QStringLiteral("INSERT INTO sim_events (at, op, ref, result, amount_minor) VALUES ")
                                        + repeated(QStringLiteral("(?, ?, ?, ?, ?)"), n),
                            binds);
        if (!r)
            qWarning("paydesk: simulated channel ledger: %s", qPrintable(r.error().message));
        from += n;
    }
}

void SimulatedChannel::markPaid(Batch &b, Payment &p, qint64 at)
{
    p.state = QStringLiteral("SUCCESS");
    p.paidAt = at;
    p.txnId = QStringLiteral("SIM") + QString::number(stableHash(p.outTradeNo, m_seed) % 10'000'000'000'000'000ULL).rightJustified(16, u'0');
    b.paid << p.outTradeNo;
    logEvent(b, QStringLiteral("pay"), p.outTradeNo, p.state, p.amountMinor);
    b.toNotify << statusOf(p);
}

void SimulatedChannel::settlePayment(Batch &b, Payment &p)
{
    if (!p.exists || p.state == QStringLiteral("SUCCESS"))
        return;
    const Script s = scriptFor(b, p.outTradeNo);
    const qint64 now = m_clock.nowMs();
    switch (s.customer) {
    case Customer::NeverPay:
        break;
    case Customer::PayAfterDelay:
        if (p.state == QStringLiteral("NOTPAY") && p.createdAt + s.delayMs <= now && p.createdAt + s.delayMs < p.expiresAt)
            markPaid(b, p, p.createdAt + s.delayMs);
        break;
    case Customer::PayAfterClose:
        if (p.state == QStringLiteral("CLOSED") && p.closedAt + s.delayMs <= now)
            markPaid(b, p, p.closedAt + s.delayMs);
        break;
    case Customer::PayTwice: {
        const qint64 at = p.state == QStringLiteral("CLOSED") ? qMax(p.createdAt + s.delayMs, p.closedAt + 1) : p.createdAt + s.delayMs;
        if (at <= now)
            markPaid(b, p, at);
        break;
    }
    }
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
    auto script = std::make_shared<Script>(); // who pays it, for the answer
    const qint64 now = m_clock.nowMs();
    auto run = [this, request, fault, reply, script, now](Batch &b) {
        if (fault && !fault->lands) {
            logEvent(b, QStringLiteral("create"), request.outTradeNo, QStringLiteral("FAULT"), request.amountMinor);
            return;
        }
        if (request.amountMinor <= 0 || request.expiresAtMs <= now + minimumExpiryMs()) {
            *reply = ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("PARAM_ERROR"),
                                        QStringLiteral("amount must be positive and time_expire at least %1 s ahead")
                                            .arg(minimumExpiryMs() / 1000),
                                        400);
            logEvent(b, QStringLiteral("create"), request.outTradeNo, QStringLiteral("PARAM_ERROR"), request.amountMinor);
            return;
        }
        Payment &p = payment(b, request.outTradeNo);
        if (p.exists && (p.amountMinor != request.amountMinor)) {
            *reply = ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("ORDERNO_USED"),
                                        QStringLiteral("out_trade_no already used with other parameters"), 400);
            logEvent(b, QStringLiteral("create"), request.outTradeNo, QStringLiteral("ORDERNO_USED"), request.amountMinor);
            return;
        }
        const bool repeat = p.exists;
        if (!repeat) {
            // Written at once rather than with the batch: a failed insert is this call's answer.
            // `customer` notes which of the simulator's kinds took the payment (for its bills).
            auto r = cachedExec(b.conn, QStringLiteral("INSERT INTO sim_payments (out_trade_no, amount_minor, description, state, created_at, expires_at, customer) "
                                                      "VALUES (:n, :a, :d, 'NOTPAY', :c, :e, :k)"),
                                 {{":n", request.outTradeNo}, {":a", request.amountMinor}, {":d", request.description},
                                  {":c", now}, {":e", request.expiresAtMs}, {":k", paydesk::toString(m_kind)}});
            if (!r) {
                *reply = ChannelError::make(ChannelError::Kind::Server, QStringLiteral("SYSTEM_ERROR"), r.error().message, 500);
                return;
            }
            p.exists = true;
            p.state = QStringLiteral("NOTPAY");
            p.amountMinor = request.amountMinor;
            p.createdAt = now;
            p.expiresAt = request.expiresAtMs;
        }
        logEvent(b, QStringLiteral("create"), request.outTradeNo, repeat ? QStringLiteral("REPEAT") : QStringLiteral("OK"),
                 request.amountMinor);
        // A simulated code says what it is, so it can never be mistaken for a real one.
        QString code = QStringLiteral("paydesk-sim://pay/") + request.outTradeNo;
        if (m_kind != ChannelKind::Sim)
            code += QStringLiteral("?channel=") + paydesk::toString(m_kind);
        *reply = CreatedPayment{code};
        *script = scriptFor(b, request.outTradeNo);
    };
    auto answer = [this, reply, script, fault, done, request, now](bool recorded) {
        if (fault) {
            done(ChannelError::make(fault->kind, QStringLiteral("SIM_FAULT"), QStringLiteral("injected fault"), 500));
            return;
        }
        if (!recorded)
            reply->reset();
        if (reply->has_value() && reply->value().ok()) {
            // Scripted customers who will pay act on their own time.
            if (script->customer == Customer::PayAfterDelay || script->customer == Customer::PayTwice)
                wakeCustomerAt(request.outTradeNo, now + script->delayMs);
        }
        done(reply->has_value() ? reply->value() : ChannelReply<CreatedPayment>(unrecorded()));
    };
    enqueue(QStringLiteral("create"), request.outTradeNo, context, std::move(run), std::move(answer));
}

void SimulatedChannel::queryPayment(const QString &outTradeNo, QObject *context, Callback<PaymentStatus> done)
{
    const auto fault = takeFault(QStringLiteral("query"));
    auto reply = std::make_shared<std::optional<ChannelReply<PaymentStatus>>>();
    auto run = [this, outTradeNo, fault, reply](Batch &b) {
        if (fault && !fault->lands) {
            logEvent(b, QStringLiteral("query"), outTradeNo, QStringLiteral("FAULT"), 0);
            return;
        }
        Payment &p = payment(b, outTradeNo);
        settlePayment(b, p);
        if (!p.exists) {
            logEvent(b, QStringLiteral("query"), outTradeNo, QStringLiteral("ORDER_NOT_EXIST"), 0);
            *reply = ChannelError::make(ChannelError::Kind::NotFound, QStringLiteral("ORDER_NOT_EXIST"), QStringLiteral("no such payment"), 404);
            return;
        }
        logEvent(b, QStringLiteral("query"), outTradeNo, p.state, p.state == QStringLiteral("SUCCESS") ? p.amountMinor : 0);
        *reply = statusOf(p);
    };
    auto answer = [reply, fault, done](bool recorded) {
        if (fault)
            done(ChannelError::make(fault->kind, QStringLiteral("SIM_FAULT"), QStringLiteral("injected fault"), 500));
        else if (!recorded || !reply->has_value())
            done(unrecorded());
        else
            done(reply->value());
    };
    enqueue(QStringLiteral("query"), outTradeNo, context, std::move(run), std::move(answer));
}

void SimulatedChannel::closePayment(const QString &outTradeNo, QObject *context, Callback<Done> done)
{
    const auto fault = takeFault(QStringLiteral("close"));
    auto reply = std::make_shared<std::optional<ChannelReply<Done>>>();
    auto run = [this, outTradeNo, fault, reply](Batch &b) {
        if (fault && !fault->lands) {
            logEvent(b, QStringLiteral("close"), outTradeNo, QStringLiteral("FAULT"), 0);
            return;
        }
        Payment &p = payment(b, outTradeNo);
        settlePayment(b, p);
        if (!p.exists) {
            logEvent(b, QStringLiteral("close"), outTradeNo, QStringLiteral("ORDER_NOT_EXIST"), 0);
            *reply = ChannelError::make(ChannelError::Kind::NotFound, QStringLiteral("ORDER_NOT_EXIST"), QStringLiteral("no such payment"), 404);
            return;
        }
        if (p.state == QStringLiteral("SUCCESS")) {
            logEvent(b, QStringLiteral("close"), outTradeNo, QStringLiteral("ORDERPAID"), 0);
            *reply = ChannelError::make(ChannelError::Kind::AlreadyPaid, QStringLiteral("ORDERPAID"), QStringLiteral("the payment was already made"), 400);
            return;
        }
        if (p.state == QStringLiteral("NOTPAY")) {
            // Written with the batch's other closes; if that fails, writeBack() answers this one.
            p.state = QStringLiteral("CLOSED");
            p.closedAt = m_clock.nowMs();
            b.closes << Batch::Close{outTradeNo, p.closedAt, b.events.size(), reply};
        }
        logEvent(b, QStringLiteral("close"), outTradeNo, QStringLiteral("OK"), 0);
        *reply = Done{};
        const Script s = scriptFor(b, outTradeNo);
        if (s.customer == Customer::PayAfterClose || s.customer == Customer::PayTwice) {
            const qint64 realDelay = qint64(double(s.delayMs) / m_clock.rate());
            QMetaObject::invokeMethod(this, [this, outTradeNo, realDelay]() {
                QTimer::singleShot(qMax<qint64>(0, realDelay) + 1, this, [this, outTradeNo]() {
                    enqueue(QStringLiteral("customer"), outTradeNo, this,
                            [this, outTradeNo](Batch &later) { settlePayment(later, payment(later, outTradeNo)); }, {});
                });
            }, Qt::QueuedConnection);
        }
    };
    auto answer = [reply, fault, done](bool recorded) {
        if (fault)
            done(ChannelError::make(fault->kind, QStringLiteral("SIM_FAULT"), QStringLiteral("injected fault"), 500));
        else if (!recorded || !reply->has_value())
            done(unrecorded());
        else
            done(reply->value());
    };
    enqueue(QStringLiteral("close"), outTradeNo, context, std::move(run), std::move(answer));
}

RefundResult SimulatedChannel::settleRefund(Batch &b, const QString &outRefundNo, bool &exists)
{
    RefundResult r;
    r.outRefundNo = outRefundNo;
    auto q = Sql::exec(b.conn, QStringLiteral("SELECT out_trade_no, amount_minor, state, settle_at, final_state, refund_id, created_at "
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
        auto u = Sql::exec(b.conn, QStringLiteral("UPDATE sim_refunds SET state = :s WHERE out_refund_no = :n"), {{":s", state}, {":n", outRefundNo}});
        if (!u)
            qWarning("paydesk: simulated refund: %s", qPrintable(u.error().message));
        logEvent(b, QStringLiteral("refund_settle"), outRefundNo, state, state == QStringLiteral("SUCCESS") ? r.amountMinor : 0);
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
    auto run = [this, request, fault, reply](Batch &b) {
        if (fault && !fault->lands) {
            logEvent(b, QStringLiteral("refund"), request.outRefundNo, QStringLiteral("FAULT"), 0);
            return;
        }
        bool exists = false;
        RefundResult existing = settleRefund(b, request.outRefundNo, exists);
        if (exists) {
            // The same out_refund_no again: the money moved (or not) once; report where it is.
            if (existing.amountMinor != request.refundMinor || existing.outTradeNo != request.outTradeNo) {
                *reply = ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("PARAM_ERROR"),
                                            QStringLiteral("out_refund_no already used with other parameters"), 400);
                logEvent(b, QStringLiteral("refund"), request.outRefundNo, QStringLiteral("PARAM_ERROR"), 0);
                return;
            }
            logEvent(b, QStringLiteral("refund"), request.outRefundNo, QStringLiteral("REPEAT"), 0);
            *reply = existing;
            return;
        }
        Payment &p = payment(b, request.outTradeNo);
        settlePayment(b, p);
        if (!p.exists || p.state != QStringLiteral("SUCCESS")) {
            logEvent(b, QStringLiteral("refund"), request.outRefundNo, QStringLiteral("TRADE_NOT_PAID"), 0);
            *reply = ChannelError::make(p.exists ? ChannelError::Kind::Rejected : ChannelError::Kind::NotFound,
                                        p.exists ? QStringLiteral("INVALID_REQUEST") : QStringLiteral("RESOURCE_NOT_EXISTS"),
                                        QStringLiteral("the payment is not paid"), p.exists ? 400 : 404);
            return;
        }
        auto sum = Sql::exec(b.conn, QStringLiteral("SELECT COALESCE(SUM(amount_minor), 0) FROM sim_refunds WHERE out_trade_no = :t "
                                                    "AND state IN ('PROCESSING', 'SUCCESS')"), {{":t", request.outTradeNo}});
        const qint64 already = sum && sum.value().next() ? sum.value().value(0).toLongLong() : 0;
        if (request.refundMinor <= 0 || already + request.refundMinor > p.amountMinor) {
            // As WeChat Pay answers it: INVALID_REQUEST (NOT_ENOUGH is the merchant's balance).
            logEvent(b, QStringLiteral("refund"), request.outRefundNo, QStringLiteral("INVALID_REQUEST"), 0);
            *reply = ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("INVALID_REQUEST"),
                                        QStringLiteral("refund exceeds what is left on the payment"), 400);
            return;
        }
        const qint64 now = m_clock.nowMs();
        const QString finalState = m_refundOutcome == RefundOutcome::Success ? QStringLiteral("SUCCESS")
                                 : m_refundOutcome == RefundOutcome::Abnormal ? QStringLiteral("ABNORMAL") : QStringLiteral("CLOSED");
        const QString refundId = QStringLiteral("SIMR") + QString::number(stableHash(request.outRefundNo, m_seed) % 1'000'000'000'000ULL).rightJustified(12, u'0');
        auto ins = Sql::exec(b.conn, QStringLiteral("INSERT INTO sim_refunds (out_refund_no, out_trade_no, amount_minor, state, created_at, settle_at, final_state, refund_id) "
                                                    "VALUES (:n, :t, :a, 'PROCESSING', :c, :s, :f, :r)"),
                               {{":n", request.outRefundNo}, {":t", request.outTradeNo}, {":a", request.refundMinor}, {":c", now},
                                {":s", now + m_refundSettleMs}, {":f", finalState}, {":r", refundId}});
        if (!ins) {
            *reply = ChannelError::make(ChannelError::Kind::Server, QStringLiteral("SYSTEM_ERROR"), ins.error().message, 500);
            return;
        }
        logEvent(b, QStringLiteral("refund"), request.outRefundNo, QStringLiteral("ACCEPTED"), request.refundMinor);
        *reply = settleRefund(b, request.outRefundNo, exists);
    };
    auto answer = [reply, fault, done](bool recorded) {
        if (fault)
            done(ChannelError::make(fault->kind, QStringLiteral("SIM_FAULT"), QStringLiteral("injected fault"), 500));
        else if (!recorded || !reply->has_value())
            done(unrecorded());
        else
            done(reply->value());
    };
    enqueue(QStringLiteral("refund"), request.outTradeNo, context, std::move(run), std::move(answer));
}

void SimulatedChannel::queryRefund(const QString &outRefundNo, const QString &, QObject *context, Callback<RefundResult> done)
{
    const auto fault = takeFault(QStringLiteral("query_refund"));
    auto reply = std::make_shared<std::optional<ChannelReply<RefundResult>>>();
    auto run = [this, outRefundNo, fault, reply](Batch &b) {
        if (fault && !fault->lands)
            return;
        bool exists = false;
        const RefundResult r = settleRefund(b, outRefundNo, exists);
        logEvent(b, QStringLiteral("query_refund"), outRefundNo, exists ? r.rawStatus : QStringLiteral("RESOURCE_NOT_EXISTS"), 0);
        if (!exists)
            *reply = ChannelError::make(ChannelError::Kind::NotFound, QStringLiteral("RESOURCE_NOT_EXISTS"), QStringLiteral("no such refund"), 404);
        else
            *reply = r;
    };
    auto answer = [reply, fault, done](bool recorded) {
        if (fault)
            done(ChannelError::make(fault->kind, QStringLiteral("SIM_FAULT"), QStringLiteral("injected fault"), 500));
        else if (!recorded || !reply->has_value())
            done(unrecorded());
        else
            done(reply->value());
    };
    enqueue(QStringLiteral("query_refund"), QString(), context, std::move(run), std::move(answer));
}

namespace {

/// Bill distortions live in sim_scripts under this prefix (never an out_trade_no), with a
/// `customer` no script reader accepts, so every process on the database sees them.
const QString kBillPrefix = QStringLiteral("~bill/");

qint64 beijingDayStart(const QDate &d)
{
    return QDateTime(d, QTime(0, 0), QTimeZone(8 * 3600)).toMSecsSinceEpoch();
}

} // namespace

QString SimulatedChannel::billMerchantId(ChannelKind kind)
{
    switch (kind) {
    case ChannelKind::Alipay: return QStringLiteral("2088000000000001");
    case ChannelKind::WeChat: return QStringLiteral("1900000001");
    case ChannelKind::Sim: break;
    }
    return QStringLiteral("1900000000");
}

std::optional<SimulatedChannel::BillDiscrepancy> SimulatedChannel::billDiscrepancyFromString(QStringView text)
{
    if (text == u"unknown-payment")
        return BillDiscrepancy::UnknownPayment;
    if (text == u"wrong-amount")
        return BillDiscrepancy::WrongAmount;
    if (text == u"missing-refund")
        return BillDiscrepancy::MissingRefund;
    if (text == u"paid-after-close")
        return BillDiscrepancy::PaidAfterClose;
    return std::nullopt;
}

QString SimulatedChannel::toString(BillDiscrepancy d)
{
    switch (d) {
    case BillDiscrepancy::UnknownPayment: return QStringLiteral("unknown-payment");
    case BillDiscrepancy::WrongAmount: return QStringLiteral("wrong-amount");
    case BillDiscrepancy::MissingRefund: return QStringLiteral("missing-refund");
    case BillDiscrepancy::PaidAfterClose: return QStringLiteral("paid-after-close");
    }
    return {};
}

Status SimulatedChannel::injectBillDiscrepancy(BillDiscrepancy kind, const QString &ref, qint64 amountMinor, qint64 atMs)
{
    if (ref.isEmpty())
        return Error::invalid(QStringLiteral("sim.bill_ref"), tr("A bill difference needs the payment or refund it is about."));
    const qint64 at = atMs > 0 ? atMs : m_clock.nowMs();
    Transaction tx(*m_db);
    if (!tx.begun())
        return tx.begun();
    QSqlDatabase &conn = tx.connection();
    switch (kind) {
    case BillDiscrepancy::UnknownPayment: {
        if (amountMinor <= 0)
            return Error::invalid(QStringLiteral("sim.bill_amount"), tr("An unknown payment needs a positive amount."));
        const QString txn = QStringLiteral("SIM") + QString::number(stableHash(ref, m_seed) % 10'000'000'000'000'000ULL).rightJustified(16, u'0');
        auto ins = Sql::exec(conn, QStringLiteral("INSERT INTO sim_payments (out_trade_no, amount_minor, description, state, created_at, expires_at, "
                                                  "paid_at, txn_id, customer) VALUES (:n, :a, :d, 'SUCCESS', :c, :e, :p, :t, :k)"),
                             {{":n", ref}, {":a", amountMinor}, {":d", QStringLiteral("unknown payment")}, {":c", at - 1000},
                              {":e", at + 60'000}, {":p", at}, {":t", txn}, {":k", paydesk::toString(m_kind)}});
        if (!ins)
            return ins.error();
        break;
    }
    case BillDiscrepancy::PaidAfterClose: {
        auto q = Sql::exec(conn, QStringLiteral("SELECT state, closed_at FROM sim_payments WHERE out_trade_no = :n"), {{":n", ref}});
        if (!q)
            return q.error();
        if (!q.value().next())
            return Error::notFound(QStringLiteral("sim.no_payment"), tr("The simulated channel has no payment %1.").arg(ref));
        if (q.value().value(0).toString() != QStringLiteral("CLOSED"))
            return Error::conflict(QStringLiteral("sim.not_closed"), tr("Payment %1 is not closed at the channel.").arg(ref));
        const qint64 paidAt = qMax(at, q.value().value(1).toLongLong() + 1);
        const QString txn = QStringLiteral("SIM") + QString::number(stableHash(ref, m_seed) % 10'000'000'000'000'000ULL).rightJustified(16, u'0');
        auto u = Sql::exec(conn, QStringLiteral("UPDATE sim_payments SET state = 'SUCCESS', paid_at = :p, txn_id = :t "
                                                "WHERE out_trade_no = :n AND state = 'CLOSED'"),
                           {{":p", paidAt}, {":t", txn}, {":n", ref}});
        if (!u)
            return u.error();
        break;
    }
    case BillDiscrepancy::WrongAmount:
    case BillDiscrepancy::MissingRefund: {
        if (kind == BillDiscrepancy::WrongAmount && amountMinor <= 0)
            return Error::invalid(QStringLiteral("sim.bill_amount"), tr("A wrong amount must still be positive."));
        const QString prefix = kBillPrefix + toString(kind) + u'/' + ref;
        if (auto d = Sql::exec(conn, QStringLiteral("DELETE FROM sim_scripts WHERE prefix = :p"), {{":p", prefix}}); !d)
            return d.error();
        if (auto i = Sql::exec(conn, QStringLiteral("INSERT INTO sim_scripts (prefix, customer, delay_ms) VALUES (:p, :c, :d)"),
                               {{":p", prefix}, {":c", QString(QStringLiteral("bill:") + toString(kind))}, {":d", amountMinor}});
            !i)
            return i.error();
        break;
    }
    }
    if (auto e = Sql::exec(conn, QStringLiteral("INSERT INTO sim_events (at, op, ref, result, amount_minor) VALUES (:a, 'bill_discrepancy', :r, :k, :m)"),
                           {{":a", m_clock.nowMs()}, {":r", ref}, {":k", toString(kind)}, {":m", amountMinor}});
        !e)
        return e.error();
    return tx.commit();
}

void SimulatedChannel::fetchBill(const BillRequest &request, QObject *context, Callback<BillFile> done)
{
    const auto fault = takeFault(QStringLiteral("bill"));
    auto reply = std::make_shared<std::optional<ChannelReply<BillFile>>>();
    auto run = [this, request, fault, reply](Batch &b) {
        if (fault && !fault->lands) {
            logEvent(b, QStringLiteral("bill"), request.date.toString(Qt::ISODate), QStringLiteral("FAULT"), 0);
            return;
        }
        BillFile file;
        file.request = request;
        file.channel = m_kind;
        const qint64 now = m_clock.nowMs();
        const QDate today = QDateTime::fromMSecsSinceEpoch(now, QTimeZone(8 * 3600)).date();
        const QString ref = request.date.toString(Qt::ISODate);
        if (!request.date.isValid()) {
            *reply = ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("PARAM_ERROR"), QStringLiteral("bill_date is not a date"), 400);
            return;
        }
        if (m_kind == ChannelKind::Alipay && request.kind == BillKind::FundFlow) {
            *reply = ChannelError::make(ChannelError::Kind::Config, QStringLiteral("NO_BILLS"),
                                        QStringLiteral("the simulated Alipay offers trade bills only"));
            return;
        }
        if (request.date > today) {
            file.status = BillFile::Status::NotReady;
            file.message = QStringLiteral("the day %1 is not over yet").arg(ref);
            logEvent(b, QStringLiteral("bill"), ref, QStringLiteral("NOT_READY"), 0);
            *reply = file;
            return;
        }
        const qint64 from = beijingDayStart(request.date), to = beijingDayStart(request.date.addDays(1));
        const QString kind = paydesk::toString(m_kind);
        const QString kindWhere = m_kind == ChannelKind::Sim ? QStringLiteral("(customer = :k OR customer = '')") : QStringLiteral("customer = :k");

        // Customers whose scripts have paid by now pay first (as they would have at the channel),
        // whether or not anyone asked about their payment since.
        QStringList open;
        if (auto q = Sql::exec(b.conn, QStringLiteral("SELECT out_trade_no FROM sim_payments WHERE state IN ('NOTPAY', 'CLOSED') "
                                                      "AND created_at < :to AND created_at >= :from AND ") + kindWhere,
                               {{":to", to}, {":from", from - 2 * 86'400'000}, {":k", kind}})) {
            while (q.value().next())
                open << q.value().value(0).toString();
        }
        preload(b, open);
        for (const QString &no : std::as_const(open))
            settlePayment(b, payment(b, no));

        // The distortions the tests or the demo asked for.
        QHash<QString, qint64> wrongAmount;
        QSet<QString> droppedRefunds;
        if (auto q = Sql::exec(b.conn, QStringLiteral("SELECT prefix, delay_ms FROM sim_scripts WHERE prefix LIKE :p"),
                               {{":p", QString(kBillPrefix + u'%')}})) {
            while (q.value().next()) {
                const QString rest = q.value().value(0).toString().mid(kBillPrefix.size());
                const qsizetype slash = rest.indexOf(u'/');
                const auto d = billDiscrepancyFromString(QStringView(rest).left(slash));
                if (!d || slash < 0)
                    continue;
                if (*d == BillDiscrepancy::WrongAmount)
                    wrongAmount.insert(rest.mid(slash + 1), q.value().value(1).toLongLong());
                else if (*d == BillDiscrepancy::MissingRefund)
                    droppedRefunds.insert(rest.mid(slash + 1));
            }
        }

        QList<bills::BillRow> rows;
        auto paymentRow = [&](const QString &no, qint64 amount, qint64 paidAt, qint64 createdAt, const QString &txn, const QString &desc) {
            bills::BillRow r;
            r.outTradeNo = no;
            r.channelTxnId = txn;
            r.amountMinor = wrongAmount.value(no, amount);
            r.feeMinor = bills::standardFee(r.amountMinor);
            r.atMs = paidAt;
            r.createdAtMs = createdAt;
            r.description = desc;
            r.payer = QStringLiteral("oSim") + txn.right(8);
            rows << r;
        };
        QSet<QString> listed;
        auto paid = Sql::exec(b.conn, QStringLiteral("SELECT out_trade_no, amount_minor, paid_at, created_at, txn_id, description FROM sim_payments "
                                                     "WHERE state = 'SUCCESS' AND paid_at >= :from AND paid_at < :to AND ") + kindWhere
                                          + QStringLiteral(" ORDER BY paid_at, out_trade_no"),
                              {{":from", from}, {":to", to}, {":k", kind}});
        if (!paid) {
            *reply = ChannelError::make(ChannelError::Kind::Server, QStringLiteral("SYSTEM_ERROR"), paid.error().message, 500);
            return;
        }
        while (paid.value().next()) {
            const QString no = paid.value().value(0).toString();
            listed.insert(no);
            paymentRow(no, paid.value().value(1).toLongLong(), paid.value().value(2).toLongLong(), paid.value().value(3).toLongLong(),
                       paid.value().value(4).toString(), paid.value().value(5).toString());
        }
        for (const QString &no : std::as_const(b.paid)) { // paid just now, not written yet
            const Payment &p = b.payments.at(no);
            if (!listed.contains(no) && p.paidAt >= from && p.paidAt < to) {
                listed.insert(no);
                QString description;
                if (auto d = Sql::exec(b.conn, QStringLiteral("SELECT description FROM sim_payments WHERE out_trade_no = :n"), {{":n", no}});
                    d && d.value().next())
                    description = d.value().value(0).toString();
                paymentRow(no, p.amountMinor, p.paidAt, p.createdAt, p.txnId, description);
            }
        }
        // Refunds that succeeded that day (a PROCESSING one whose time has come counts as settled).
        auto refunds = Sql::exec(b.conn, QStringLiteral("SELECT r.out_refund_no, r.out_trade_no, r.amount_minor, r.state, r.created_at, r.settle_at, "
                                                        "r.final_state, r.refund_id, p.txn_id, p.amount_minor, p.description FROM sim_refunds r "
                                                        "JOIN sim_payments p ON p.out_trade_no = r.out_trade_no WHERE ")
                                             + QString(kindWhere).replace(QStringLiteral("customer"), QStringLiteral("p.customer"))
                                             + QStringLiteral(" AND r.created_at < :to AND r.settle_at >= :from ORDER BY r.created_at, r.out_refund_no"),
                                 {{":k", kind}, {":to", to}, {":from", from - 86'400'000}});
        if (!refunds) {
            *reply = ChannelError::make(ChannelError::Kind::Server, QStringLiteral("SYSTEM_ERROR"), refunds.error().message, 500);
            return;
        }
        while (refunds.value().next()) {
            const auto &q = refunds.value();
            QString state = q.value(3).toString();
            const qint64 settleAt = q.value(5).toLongLong();
            if (state == QStringLiteral("PROCESSING") && settleAt <= now)
                state = q.value(6).toString();
            const qint64 at = qMax(settleAt, q.value(4).toLongLong());
            const QString refundNo = q.value(0).toString();
            if (state != QStringLiteral("SUCCESS") || at < from || at >= to || droppedRefunds.contains(refundNo))
                continue;
            bills::BillRow r;
            r.kind = bills::BillRow::Kind::Refund;
            r.outRefundNo = refundNo;
            r.outTradeNo = q.value(1).toString();
            r.amountMinor = q.value(2).toLongLong();
            r.channelRefundId = q.value(7).toString();
            r.channelTxnId = q.value(8).toString();
            r.orderTotalMinor = q.value(9).toLongLong();
            r.description = q.value(10).toString();
            r.feeMinor = bills::standardFee(r.amountMinor);
            r.atMs = at;
            rows << r;
        }
        if (rows.isEmpty()) {
            file.status = BillFile::Status::NoBill;
            file.message = QStringLiteral("no payments or refunds on %1").arg(ref);
            logEvent(b, QStringLiteral("bill"), ref, QStringLiteral("NO_BILL"), 0);
            *reply = file;
            return;
        }
        bills::BillMeta meta;
        meta.date = request.date;
        meta.merchantId = billMerchantId(m_kind);
        meta.appId = QStringLiteral("wxsimulated000001");
        meta.exportedAtMs = now;
        if (m_kind == ChannelKind::Alipay) {
            auto zip = bills::alipayTradeBillZip(meta, rows);
            if (!zip) {
                *reply = ChannelError::make(ChannelError::Kind::Server, QStringLiteral("SYSTEM_ERROR"), zip.error().message, 500);
                return;
            }
            file.content = zip.value();
            file.fileName = bills::alipayZipName(meta);
        } else {
            const bool fundFlow = request.kind == BillKind::FundFlow;
            file.content = fundFlow ? bills::weChatFundFlowBill(meta, rows) : bills::weChatTradeBill(meta, rows);
            file.fileName = bills::weChatBillFileName(meta, fundFlow);
            file.hashType = QStringLiteral("SHA1");
            file.hashValue = QString::fromLatin1(QCryptographicHash::hash(file.content, QCryptographicHash::Sha1).toHex());
        }
        if (request.date == today)
            file.message = QStringLiteral("preliminary: %1 is not over yet, later payments will be missing").arg(ref);
        logEvent(b, QStringLiteral("bill"), ref, QStringLiteral("READY"), qint64(rows.size()));
        *reply = file;
    };
    auto answer = [reply, fault, done](bool recorded) {
        if (fault)
            done(ChannelError::make(fault->kind, QStringLiteral("SIM_FAULT"), QStringLiteral("injected fault"), 500));
        else if (!recorded || !reply->has_value())
            done(unrecorded());
        else
            done(reply->value());
    };
    enqueue(QStringLiteral("bill"), QString(), context, std::move(run), std::move(answer));
}

void SimulatedChannel::wakeCustomerAt(const QString &outTradeNo, qint64 atMs)
{
    const qint64 realDelay = qint64(double(atMs - m_clock.nowMs()) / m_clock.rate());
    QTimer::singleShot(qMax<qint64>(0, realDelay), this, [this, outTradeNo]() {
        enqueue(QStringLiteral("customer"), outTradeNo, this,
                [this, outTradeNo](Batch &b) { settlePayment(b, payment(b, outTradeNo)); }, {});
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
    const StoredScripts stored = loadScripts(conn);
    int woken = 0;
    for (const Open &p : std::as_const(open)) {
        const Script s = scriptFor(stored, p.outTradeNo);
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
    Batch b(tx.connection());
    Payment &p = payment(b, outTradeNo);
    settlePayment(b, p);
    if (!p.exists)
        return Error::notFound(QStringLiteral("sim.no_payment"), tr("The simulated channel has no payment %1.").arg(outTradeNo));
    if (p.state == QStringLiteral("CLOSED") && !evenIfClosed)
        return Error::conflict(QStringLiteral("sim.closed"), tr("Payment %1 is closed at the channel; a customer can no longer pay it.").arg(outTradeNo));
    if (p.state != QStringLiteral("SUCCESS"))
        markPaid(b, p, m_clock.nowMs());
    writeBack(b);
    if (Status s = tx.commit(); !s)
        return s.error();
    return statusOf(p); // no notification (b.toNotify): the caller applies the answer itself
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
