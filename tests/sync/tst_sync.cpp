// The embedded timer (SyncEngine) against the simulated channel, on SQLite and PostgreSQL:
// what the merchant's staff see happen to orders and refunds when their time comes. Time is a
// ManualClock moved by the test; only the idle and kill -9 checks let real time pass.
#include "Fixture.h"
#include "sync/SyncEngine.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>
#include <QFileInfo>
#include <QProcess>

using namespace paydesk;
using namespace paydesk::test;
using namespace Qt::StringLiterals;

namespace {

/// The simulator behind a seam: forwards every call, and lets a test act in the instant before
/// a close reaches the channel (a customer who pays just then; what our books said then).
class SpyChannel final : public PaymentChannel
{
public:
    explicit SpyChannel(std::unique_ptr<SimulatedChannel> inner) : m_inner(std::move(inner)) {}
    SimulatedChannel *inner() const { return m_inner.get(); }
    std::function<void(const QString &outTradeNo)> beforeClose;

    ChannelKind kind() const override { return m_inner->kind(); }
    qint64 minimumExpiryMs() const override { return m_inner->minimumExpiryMs(); }
    void createNative(const CreatePaymentRequest &request, QObject *context, Callback<CreatedPayment> done) override
    {
        m_inner->createNative(request, context, std::move(done));
    }
    void queryPayment(const QString &outTradeNo, QObject *context, Callback<PaymentStatus> done) override
    {
        m_inner->queryPayment(outTradeNo, context, std::move(done));
    }
    void closePayment(const QString &outTradeNo, QObject *context, Callback<Done> done) override
    {
        if (beforeClose)
            beforeClose(outTradeNo);
        m_inner->closePayment(outTradeNo, context, std::move(done));
    }
    void refund(const RefundRequest &request, QObject *context, Callback<RefundResult> done) override
    {
        m_inner->refund(request, context, std::move(done));
    }
    void queryRefund(const QString &outRefundNo, const QString &outTradeNo, QObject *context, Callback<RefundResult> done) override
    {
        m_inner->queryRefund(outRefundNo, outTradeNo, context, std::move(done));
    }
    ChannelReply<ChannelNotification> decodeNotification(const QMap<QByteArray, QByteArray> &headers, const QByteArray &body) const override
    {
        return m_inner->decodeNotification(headers, body);
    }

private:
    std::unique_ptr<SimulatedChannel> m_inner;
};

/// A channel that takes every call and never answers: an instance stuck on a dead network
/// (or frozen) while it holds claims.
class BlackholeChannel final : public PaymentChannel
{
public:
    ChannelKind kind() const override { return ChannelKind::Sim; }
    qint64 minimumExpiryMs() const override { return 1000; }
    void createNative(const CreatePaymentRequest &, QObject *, Callback<CreatedPayment>) override {}
    void queryPayment(const QString &, QObject *, Callback<PaymentStatus>) override { ++calls; }
    void closePayment(const QString &, QObject *, Callback<Done>) override { ++calls; }
    void refund(const RefundRequest &, QObject *, Callback<RefundResult>) override { ++calls; }
    void queryRefund(const QString &, const QString &, QObject *, Callback<RefundResult>) override { ++calls; }
    ChannelReply<ChannelNotification> decodeNotification(const QMap<QByteArray, QByteArray> &, const QByteArray &) const override
    {
        return ChannelError::make(ChannelError::Kind::Signature, u"NO"_s, {});
    }
    int calls = 0;
};

/// A second PayDesk on the same books: its own connection, clock and simulator (which shares
/// the simulated channel's ledger, as every process on one database does).
struct Instance
{
    std::unique_ptr<Services> s;
    ManualClock *clock = nullptr;
    SimulatedChannel *sim = nullptr;
};

Instance openInstance(const QString &url, qint64 nowMs, std::unique_ptr<PaymentChannel> channel = {})
{
    Instance i;
    i.s = makeServices(url, &i.clock);
    i.clock->setNowMs(nowMs);
    if (!channel) {
        auto sim = SimulatedChannel::create(url, *i.clock, 7);
        if (!sim)
            qFatal("simulator: %s", qPrintable(sim.error().message));
        i.sim = sim.value().get();
        channel = std::move(sim.value());
    }
    i.s->channels.add(std::move(channel));
    return i;
}

/// Waits until the engine has nothing due and nothing in flight, and stays so for a moment
/// (a flush can wake it again through the change watcher).
bool settle(const SyncEngine &engine, int timeoutMs = 10000)
{
    QElapsedTimer t;
    t.start();
    int quiet = 0;
    while (t.elapsed() < timeoutMs) {
        QTest::qWait(5);
        quiet = engine.isIdle() ? quiet + 1 : 0;
        if (quiet >= 4)
            return true;
    }
    return false;
}

/// Engine options from the defaults with a few changed.
template <typename F>
SyncEngine::Options opts(F change)
{
    SyncEngine::Options o;
    change(o);
    return o;
}

struct SimEvent
{
    qint64 at;
    QString result;
};

} // namespace

class TestSync : public QObject
{
    Q_OBJECT
    std::unique_ptr<Books> b;
    std::unique_ptr<SyncEngine> engine;
    QStringList actions;

    SyncEngine *startEngine(SyncEngine::Options options = {})
    {
        engine = std::make_unique<SyncEngine>(*b->s, std::move(options));
        connect(engine.get(), &SyncEngine::actionTaken, this, [this](const QString &line) { actions << line; });
        if (Status s = engine->start(); !s)
            qFatal("engine: %s", qPrintable(s.error().message));
        return engine.get();
    }

    /// Moves the clock to `at` and lets the timer do what fell due.
    bool advanceTo(qint64 at)
    {
        b->clock->setNowMs(at);
        engine->clockChanged();
        return settle(*engine);
    }
    bool advance(qint64 ms) { return advanceTo(b->clock->nowMs() + ms); }

    /// Every call of kind `op` the simulated channel answered for `ref`, oldest first.
    QList<SimEvent> calls(const QString &op, const QString &ref)
    {
        QList<SimEvent> out;
        const auto ledger = b->sim->ledger(ref);
        for (const auto &e : ledger.value())
            if (e.op == op && e.ref == ref)
                out << SimEvent{e.at, e.result};
        return out;
    }
    QList<qint64> times(const QList<SimEvent> &events)
    {
        QList<qint64> out;
        for (const SimEvent &e : events)
            out << e.at;
        return out;
    }

    /// Replaces the fixture's simulator with one behind a SpyChannel.
    SpyChannel *spyOnChannel()
    {
        auto inner = SimulatedChannel::create(b->scratch.url(), *b->clock, 7);
        if (!inner)
            qFatal("simulator: %s", qPrintable(inner.error().message));
        auto spy = std::make_unique<SpyChannel>(std::move(inner.value()));
        SpyChannel *out = spy.get();
        b->s->channels.add(std::move(spy)); // deletes the fixture's simulator
        b->sim = out->inner();
        return out;
    }

    /// Applies the channel's payment notifications to the books, as the app does.
    void applyNotifications(SimulatedChannel *sim, Services &s)
    {
        connect(sim, &SimulatedChannel::notified, this, [&s](const ChannelNotification &n) {
            auto applied = s.reconciler.applyPayment(n.payment, Reconciler::systemUser(), u"notify"_s);
            if (!applied)
                qWarning("notification not applied: %s", qPrintable(applied.error().message));
        });
    }

    Refund refund(const QString &outRefundNo) { return b->s->refunds.byOutRefundNo(outRefundNo).value(); }

    /// A paid order and an approved refund of `amount` on it (the timer's to send).
    Refund approvedRefund(const QString &paid, const QString &amount)
    {
        const Order o = b->paidOrder(paid);
        auto r = b->s->refundService.request(b->clerk, RefundService::Request{o.orderNo, amount, false, u"returned"_s, {}, {}});
        if (!r)
            qFatal("refund request: %s", qPrintable(r.error().message));
        auto a = b->s->refundService.approve(b->finance, r->refund.outRefundNo, {});
        if (!a)
            qFatal("approve: %s", qPrintable(a.error().message));
        return a->refund;
    }

    QList<AuditEntry> audit(const QString &object) { return b->s->audit.list({object, {}, 0, 100}).value(); }

private slots:
    void init()
    {
        actions.clear();
        b = std::make_unique<Books>();
        if (!b->open())
            PAYDESK_REQUIRE_DB(b->scratch);
    }
    void cleanup()
    {
        engine.reset();
        b.reset();
    }

    // ---- expiry ------------------------------------------------------------------------------

    void closesAtTheDeadlineAtTheChannelFirst()
    {
        SpyChannel *spy = spyOnChannel();
        QStringList localStateAtClose;
        spy->beforeClose = [&](const QString &otn) {
            localStateAtClose << toString(b->order(Ids::orderNoOf(otn)).state);
        };
        const auto st = b->checkout(u"12.30"_s, 10 * 60'000);
        const QString otn = st.attempt->outTradeNo;
        startEngine();
        QVERIFY(advanceTo(st.order.expiresAt - 1));
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PENDING"_s); // not a millisecond early
        QCOMPARE(calls(u"close"_s, otn).size(), 0);

        QVERIFY(advance(1));
        const Order o = b->order(st.order.orderNo);
        QCOMPARE(toString(o.state), u"CLOSED"_s);
        QCOMPARE(toString(o.closeReason), u"EXPIRED"_s);
        QCOMPARE(o.closedAt, st.order.expiresAt);
        // The QR was closed at the channel once, while our books still said PENDING.
        const auto closes = calls(u"close"_s, otn);
        QCOMPARE(closes.size(), 1);
        QCOMPARE(closes[0].result, u"OK"_s);
        QCOMPARE(localStateAtClose, QStringList{u"PENDING"_s});
        QCOMPARE(toString(b->attempts(st.order.orderNo)[0].state), u"CLOSED"_s);
        const auto entries = audit(u"order:"_s + st.order.orderNo);
        const auto close = std::find_if(entries.begin(), entries.end(), [](const AuditEntry &e) { return e.action == u"order.close"_s; });
        QVERIFY(close != entries.end());
        QCOMPARE(close->user, u"timer"_s);
        QCOMPARE(close->details.value(u"reason"_s).toString(), u"EXPIRED"_s);
        // The one entry names the payment it closed at the channel and what the channel said.
        const QJsonArray closedPayments = close->details.value(u"payments_closed"_s).toArray();
        QCOMPARE(closedPayments.size(), 1);
        QCOMPARE(closedPayments[0].toObject().value(u"out_trade_no"_s).toString(), otn);
        QCOMPARE(closedPayments[0].toObject().value(u"channel_state"_s).toString(), u"CLOSED"_s);
        QVERIFY(b->s->audit.verify()->intact);
    }

    void paidOnTheLastQueryBecomesPaid()
    {
        const auto st = b->checkout(u"8.00"_s, 10 * 60'000);
        // The customer paid a minute before the QR closed, and nobody told us.
        b->sim->setScript(st.order.orderNo, {SimulatedChannel::Customer::PayAfterDelay, 8 * 60'000});
        startEngine(opts([](auto &o) { o.quickQueriesMs = {}; o.slowQueryMs = 3'600'000; })); // one query, then none
        QVERIFY(advanceTo(st.attempt->createdAt + 1000));
        QCOMPARE(calls(u"query"_s, st.attempt->outTradeNo).size(), 1);
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PENDING"_s);
        QCOMPARE(engine->status().nextDueAt, st.order.expiresAt);
        QVERIFY(advanceTo(st.order.expiresAt));
        QCOMPARE(calls(u"query"_s, st.attempt->outTradeNo).size(), 2); // the expiry asks first
        const Order o = b->order(st.order.orderNo);
        QCOMPARE(toString(o.state), u"PAID"_s);
        QCOMPARE(o.paidAt, st.attempt->createdAt + 8 * 60'000);
        QCOMPARE(calls(u"close"_s, st.attempt->outTradeNo).size(), 0); // a paid QR is not closed
        QVERIFY(b->s->anomalies.ofOrder(o.id)->isEmpty());
    }

    void alreadyPaidOnCloseMakesItPaid()
    {
        SpyChannel *spy = spyOnChannel();
        spy->beforeClose = [&](const QString &otn) { QVERIFY(b->sim->customerPays(otn).ok()); }; // pays in that instant
        const auto st = b->checkout(u"9.90"_s, 10 * 60'000);
        startEngine();
        QVERIFY(advanceTo(st.order.expiresAt));
        const auto closes = calls(u"close"_s, st.attempt->outTradeNo);
        QCOMPARE(closes.size(), 1);
        QCOMPARE(closes[0].result, u"ORDERPAID"_s);
        const Order o = b->order(st.order.orderNo);
        QCOMPARE(toString(o.state), u"PAID"_s); // never CLOSED
        QCOMPARE(toString(b->attempts(st.order.orderNo)[0].state), u"SUCCEEDED"_s);
        QVERIFY(b->s->anomalies.ofOrder(o.id)->isEmpty()); // paid in time: nothing to refund
        QVERIFY(b->s->refunds.ofOrder(o.id)->isEmpty());
    }

    void unreachableChannelIsRetriedWithBackoff()
    {
        const auto st = b->checkout(u"20.00"_s, 3 * 60'000);
        const QString otn = st.attempt->outTradeNo;
        startEngine();
        QVERIFY(advanceTo(st.attempt->expiresAt + 1)); // the QR's own queries are over
        const int queriesBefore = int(calls(u"query"_s, otn).size());
        b->sim->injectFault({u"*"_s, ChannelError::Kind::Timeout, 3, false});
        const qint64 due = st.order.expiresAt;
        QVERIFY(advanceTo(due));
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PENDING"_s);
        QVERIFY(!engine->status().lastError.value(u"sim"_s).isEmpty()); // the status bar says why
        QVERIFY(std::any_of(actions.begin(), actions.end(), [](const QString &l) { return l.contains(u"retrying in 5 s"_s); }));
        // Meanwhile the order counts as expired: no new QR for it.
        auto repay = b->await<PaymentService::Started>([&](QObject *ctx, auto done) { b->s->payments.repay(b->clerk, st.order.orderNo, ChannelKind::Sim, ctx, done); });
        QVERIFY(!repay.ok());
        QCOMPARE(repay.error().code, u"repay.expired"_s);

        // Backoff: 5 s, then 10 s, then 20 s; never sooner.
        for (const qint64 retryAt : {due + 5000, due + 15'000}) {
            const qsizetype before = calls(u"query"_s, otn).size();
            QVERIFY(advanceTo(retryAt - 1));
            QCOMPARE(calls(u"query"_s, otn).size(), before);
            QVERIFY(advanceTo(retryAt));
            QCOMPARE(calls(u"query"_s, otn).size(), before + 1);
        }
        QVERIFY(advanceTo(due + 35'000 - 1));
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PENDING"_s);
        QVERIFY(advanceTo(due + 35'000));
        const Order o = b->order(st.order.orderNo);
        QCOMPARE(toString(o.state), u"CLOSED"_s);
        QCOMPARE(toString(o.closeReason), u"EXPIRED"_s);
        QCOMPARE(o.closedAt, due + 35'000);
        const auto queries = calls(u"query"_s, otn).mid(queriesBefore);
        QCOMPARE(times(queries), (QList<qint64>{due, due + 5000, due + 15'000, due + 35'000}));
        QCOMPARE(queries[0].result, u"FAULT"_s);
        QCOMPARE(queries[2].result, u"FAULT"_s);
        QCOMPARE(queries[3].result, u"NOTPAY"_s);
        QCOMPARE(calls(u"close"_s, otn).size(), 1);
        QVERIFY(engine->status().lastError.value(u"sim"_s).isEmpty()); // recovered
    }

    void aBacklogLargerThanTheInFlightLimitIsWorkedOff()
    {
        QList<PaymentService::Started> orders;
        for (int i = 0; i < 10; ++i)
            orders << b->checkout(u"1.00"_s, 5 * 60'000);
        startEngine(opts([](auto &o) { o.batchSize = 2; o.maxInFlight = 3; }));
        QVERIFY(advanceTo(orders.last().order.expiresAt));
        for (const auto &st : orders) {
            QCOMPARE(toString(b->order(st.order.orderNo).state), u"CLOSED"_s);
            QCOMPARE(calls(u"close"_s, st.attempt->outTradeNo).size(), 1);
        }
        QVERIFY2(engine->status().wakeups < 10, "the timer spun while the channel was busy");
    }

    void anExpiryThatCannotBeRecordedHoldsUpNoOther()
    {
        QList<PaymentService::Started> orders;
        for (int i = 0; i < 4; ++i)
            orders << b->checkout(u"1.00"_s, 5 * 60'000);
        const QString refused = orders[1].order.orderNo;
        // The books refuse to close one of them: the batch that records the four closes fails,
        // and the timer records them one by one instead.
        const bool pg = b->s->db->dialect() == Database::Dialect::PostgreSQL;
        const QStringList ddl = pg
            ? QStringList{u"CREATE FUNCTION refuse_close() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql"_s,
                          u"CREATE TRIGGER refuse_close BEFORE UPDATE ON orders FOR EACH ROW WHEN (NEW.order_no = '%1' AND NEW.state = 'CLOSED') "
                          "EXECUTE FUNCTION refuse_close()"_s.arg(refused)}
            : QStringList{u"CREATE TRIGGER refuse_close BEFORE UPDATE ON orders FOR EACH ROW WHEN NEW.order_no = '%1' AND NEW.state = 'CLOSED' "
                          "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"_s.arg(refused)};
        for (const QString &sql : ddl) {
            QSqlQuery q(b->s->db->connection());
            QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
        }
        startEngine();
        QVERIFY(advanceTo(orders.last().order.expiresAt));
        for (const auto &st : orders)
            QCOMPARE(toString(b->order(st.order.orderNo).state), st.order.orderNo == refused ? u"PENDING"_s : u"CLOSED"_s);
        QVERIFY(std::none_of(actions.begin(), actions.end(), [&](const QString &l) { return l.contains(refused); }));

        // Once the books take it again, the retry closes it; every payment was closed once.
        {
            QSqlQuery q(b->s->db->connection());
            QVERIFY2(q.exec(pg ? u"DROP TRIGGER refuse_close ON orders"_s : u"DROP TRIGGER refuse_close"_s), qPrintable(q.lastError().text()));
        }
        QVERIFY(advance(5000));
        QCOMPARE(toString(b->order(refused).state), u"CLOSED"_s);
        for (const auto &st : orders) {
            QCOMPARE(calls(u"close"_s, st.attempt->outTradeNo).size(), 1);
            QCOMPARE(toString(b->attempts(st.order.orderNo)[0].state), u"CLOSED"_s);
            QCOMPARE(audit(u"order:"_s + st.order.orderNo).front().action, u"order.close"_s); // newest first
        }
        QVERIFY(b->s->audit.verify()->intact);
    }

    // ---- queries of payments in flight ---------------------------------------------------------

    void queriesBackOffThenSlowDown_data()
    {
        QTest::addColumn<QList<qint64>>("quick");
        QTest::addColumn<QList<qint64>>("expected"); // query times after the payment was made
        QTest::newRow("default 1 s, 2 s, 3 s") << QList<qint64>{1000, 2000, 3000}
                                               << QList<qint64>{1000, 2000, 4000, 7000, 37'000, 67'000, 97'000};
        QTest::newRow("five quick") << QList<qint64>{500, 500, 500, 500, 500}
                                    << QList<qint64>{1000, 1500, 2000, 2500, 3000, 3500, 33'500, 63'500, 93'500};
        QTest::newRow("at most five quick") << QList<qint64>{500, 500, 500, 500, 500, 500, 500}
                                            << QList<qint64>{1000, 1500, 2000, 2500, 3000, 3500, 33'500, 63'500, 93'500};
    }
    void queriesBackOffThenSlowDown()
    {
        QFETCH(QList<qint64>, quick);
        QFETCH(QList<qint64>, expected);
        const auto st = b->checkout(u"5.00"_s, 3 * 60'000);
        const qint64 made = st.attempt->createdAt;
        startEngine(opts([&](auto &o) { o.quickQueriesMs = quick; }));
        QVERIFY(settle(*engine));
        // Let time run from one due time to the next until the order expires.
        while (b->clock->nowMs() < st.order.expiresAt) {
            const qint64 next = engine->status().nextDueAt;
            QVERIFY(next > b->clock->nowMs());
            QVERIFY(advanceTo(next));
        }
        const auto queries = calls(u"query"_s, st.attempt->outTradeNo);
        QList<qint64> got;
        for (const SimEvent &e : queries)
            if (e.at < st.attempt->expiresAt)
                got << e.at - made;
        QCOMPARE(got, expected);
        // No query after the QR expired until the order's own deadline closes it.
        QCOMPARE(times(queries).mid(got.size()), QList<qint64>{st.order.expiresAt});
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"CLOSED"_s);
    }

    void rateLimitedQueriesWaitForTheSlowCadence()
    {
        b->sim->injectFault({u"query"_s, ChannelError::Kind::RateLimited, 1, false});
        const auto st = b->checkout(u"5.00"_s, 10 * 60'000);
        const qint64 made = st.attempt->createdAt;
        startEngine();
        QVERIFY(advanceTo(made + 1000));
        QCOMPARE(engine->status().nextDueAt, made + 1000 + 30'000); // FREQUENCY_LIMITED: not in 1 s
        QVERIFY(!engine->status().lastError.value(u"sim"_s).isEmpty());
        QVERIFY(advanceTo(made + 31'000 - 1));
        QCOMPARE(calls(u"query"_s, st.attempt->outTradeNo).size(), 1);
        QVERIFY(advanceTo(made + 31'000));
        const auto queries = calls(u"query"_s, st.attempt->outTradeNo);
        QCOMPARE(queries.size(), 2);
        QCOMPARE(queries[0].result, u"FAULT"_s);
        QCOMPARE(queries[1].result, u"NOTPAY"_s);
        QVERIFY(engine->status().lastError.value(u"sim"_s).isEmpty());
    }

    // ---- refunds ---------------------------------------------------------------------------------

    void approvedRefundIsSentOnceAndFollowed_data()
    {
        QTest::addColumn<int>("outcome");
        QTest::addColumn<QString>("state");
        QTest::addColumn<QString>("anomaly");
        QTest::newRow("SUCCESS") << int(SimulatedChannel::RefundOutcome::Success) << u"SUCCEEDED"_s << QString();
        QTest::newRow("CLOSED") << int(SimulatedChannel::RefundOutcome::Closed) << u"CLOSED"_s << u"REFUND_CLOSED"_s;
    }
    void approvedRefundIsSentOnceAndFollowed()
    {
        QFETCH(int, outcome);
        QFETCH(QString, state);
        QFETCH(QString, anomaly);
        b->sim->setRefundOutcome(SimulatedChannel::RefundOutcome(outcome), 5 * 60'000); // settles after 5 min
        startEngine();
        const Refund approved = approvedRefund(u"100.00"_s, u"30.00"_s);
        const qint64 sent = b->clock->nowMs();
        engine->poke(); // what the review page does after an approval
        QVERIFY(settle(*engine));
        const QString no = approved.outRefundNo;
        QCOMPARE(toString(refund(no).state), u"PROCESSING"_s);
        const auto sends = calls(u"refund"_s, no);
        QCOMPARE(sends.size(), 1);
        QCOMPARE(sends[0].result, u"ACCEPTED"_s);
        // Polled after 1 min, then backing off (2 min, 4 min) until the channel says how it ended.
        while (toString(refund(no).state) == u"PROCESSING"_s && b->clock->nowMs() < sent + 3'600'000) {
            const qint64 next = engine->status().nextDueAt;
            QVERIFY2(next > b->clock->nowMs(), "nothing scheduled for a refund in progress");
            QVERIFY(advanceTo(next));
        }
        const auto polls = calls(u"query_refund"_s, no);
        QCOMPARE(times(polls), (QList<qint64>{sent + 60'000, sent + 180'000, sent + 420'000}));
        QCOMPARE(polls[1].result, u"PROCESSING"_s);
        const Refund done = refund(no);
        QCOMPARE(toString(done.state), state);
        QCOMPARE(calls(u"refund"_s, no).size(), 1); // sent once, whatever happened
        const auto anomalies = b->s->anomalies.ofOrder(done.orderId).value();
        if (anomaly.isEmpty()) {
            QVERIFY(anomalies.isEmpty());
            const Order o = b->s->orders.byId(done.orderId).value();
            QCOMPARE(toString(o.state), u"PARTIALLY_REFUNDED"_s);
            QCOMPARE(o.refundedMinor, qint64(3000));
            QCOMPARE(done.completedAt, sent + 5 * 60'000);
        } else {
            QCOMPARE(anomalies.size(), 1);
            QCOMPARE(toString(anomalies[0].kind), anomaly);
            QCOMPARE(toString(anomalies[0].state), u"OPEN"_s);
            QCOMPARE(toString(b->s->orders.byId(done.orderId)->state), u"PAID"_s); // no money went back
        }
        QVERIFY(advance(24 * 3'600'000));
        QCOMPARE(calls(u"query_refund"_s, no).size(), 3); // an ended refund is not asked about again
    }

    void timedOutRefundIsRetriedWithTheSameNumber()
    {
        // The request reaches the channel and moves the money, but the answer is lost.
        b->sim->injectFault({u"refund"_s, ChannelError::Kind::Timeout, 1, true});
        startEngine();
        const Refund approved = approvedRefund(u"50.00"_s, u"50.00"_s);
        const qint64 sent = b->clock->nowMs();
        engine->poke();
        QVERIFY(settle(*engine));
        const QString no = approved.outRefundNo;
        QCOMPARE(toString(refund(no).state), u"APPROVED"_s); // not given up, not failed
        QVERIFY(advanceTo(sent + 4999));
        QCOMPARE(calls(u"refund"_s, no).size(), 1); // the retry waits its 5 s
        QVERIFY(advanceTo(sent + 5000));
        const auto sends = calls(u"refund"_s, no);
        QCOMPARE(times(sends), (QList<qint64>{sent, sent + 5000}));
        QCOMPARE(sends[0].result, u"ACCEPTED"_s);
        QCOMPARE(sends[1].result, u"REPEAT"_s); // the same out_refund_no: the channel knows it
        const Refund done = refund(no);
        QCOMPARE(toString(done.state), u"SUCCEEDED"_s);
        // The money moved once.
        qint64 moved = 0;
        const auto ledger = b->sim->ledger(no);
        for (const auto &e : ledger.value())
            if (e.op == u"refund_settle"_s && e.result == u"SUCCESS"_s)
                moved += e.amountMinor;
        QCOMPARE(moved, qint64(5000));
        const Order o = b->s->orders.byId(done.orderId).value();
        QCOMPARE(toString(o.state), u"REFUNDED"_s);
        QCOMPARE(o.refundedMinor, qint64(5000));
    }

    void abnormalRefundStaysInFlightWithItsAmountHeld()
    {
        // WeChat's ABNORMAL is not final: freeing the amount would let finance refund again and
        // pay the customer twice once the merchant has the first one paid out.
        b->sim->setRefundOutcome(SimulatedChannel::RefundOutcome::Abnormal, 5 * 60'000);
        startEngine();
        const Refund approved = approvedRefund(u"100.00"_s, u"30.00"_s);
        const QString no = approved.outRefundNo;
        engine->poke();
        QVERIFY(settle(*engine));
        QVERIFY(advance(20 * 60'000));
        const Refund held = refund(no);
        QCOMPARE(toString(held.state), u"PROCESSING"_s);
        QCOMPARE(held.lastError, u"ABNORMAL"_s);
        const Order o = b->s->orders.byId(held.orderId).value();
        QCOMPARE(b->s->refundService.refundable(o.orderNo)->minor(), qint64(7000)); // 30.00 still held
        auto anomalies = b->s->anomalies.ofOrder(held.orderId).value();
        QCOMPARE(anomalies.size(), 1);
        QCOMPARE(toString(anomalies[0].kind), u"REFUND_ABNORMAL"_s);
        // Still followed at the slow cadence, and finance is told once.
        const qint64 polls = calls(u"query_refund"_s, no).size();
        QVERIFY(advance(3 * 3'600'000));
        QVERIFY(calls(u"query_refund"_s, no).size() > polls);
        QVERIFY(calls(u"query_refund"_s, no).size() <= polls + 7); // 30 min apart, not a hammering
        QCOMPARE(b->s->anomalies.ofOrder(held.orderId)->size(), 1);
        QCOMPARE(toString(refund(no).state), u"PROCESSING"_s);
        QCOMPARE(toString(b->s->orders.byId(held.orderId)->state), u"PAID"_s);
    }

    void unverifiableRefundAnswerNeverEndsIt()
    {
        // The refund lands at the channel and moves the money, but the answer fails
        // verification (forged, unknown serial, stale): it must not become FAILED.
        b->sim->injectFault({u"refund"_s, ChannelError::Kind::Signature, 1, true});
        startEngine();
        const Refund approved = approvedRefund(u"50.00"_s, u"20.00"_s);
        const QString no = approved.outRefundNo;
        engine->poke();
        QVERIFY(settle(*engine));
        const Refund pending = refund(no);
        QCOMPARE(toString(pending.state), u"PROCESSING"_s);
        QVERIFY2(pending.lastError.contains(u"SIM_FAULT"_s), qPrintable(pending.lastError));
        const Order o = b->s->orders.byId(pending.orderId).value();
        QCOMPARE(b->s->refundService.refundable(o.orderNo)->minor(), qint64(3000)); // held
        QVERIFY(b->s->anomalies.ofOrder(pending.orderId)->isEmpty());
        // Asked again, the channel answers verifiably: the money moved once.
        QVERIFY(advance(10 * 60'000));
        QCOMPARE(toString(refund(no).state), u"SUCCEEDED"_s);
        QCOMPARE(calls(u"refund"_s, no).size(), 1);
        QCOMPARE(b->s->orders.byId(pending.orderId)->refundedMinor, qint64(2000));
        QVERIFY(!audit(u"refund:"_s + no).isEmpty());
    }

    void refundWithoutVerifiableAnswerOpensAnAnomalyOnce()
    {
        b->sim->setRefundOutcome(SimulatedChannel::RefundOutcome::Success, 60 * 60'000);
        b->sim->injectFault({u"query_refund"_s, ChannelError::Kind::Signature, 20, false});
        startEngine();
        const Refund approved = approvedRefund(u"50.00"_s, u"20.00"_s);
        const QString no = approved.outRefundNo;
        engine->poke();
        QVERIFY(settle(*engine));
        for (int i = 0; i < 10; ++i) { // ten polls, each without a verifiable answer
            const qint64 next = engine->status().nextDueAt;
            QVERIFY2(next > b->clock->nowMs(), "nothing scheduled for a refund in progress");
            QVERIFY(advanceTo(next));
        }
        const Refund r = refund(no);
        QCOMPARE(toString(r.state), u"PROCESSING"_s); // never ended by what we cannot verify
        QVERIFY2(r.attemptCount >= Reconciler::kUnconfirmedTries, qPrintable(QString::number(r.attemptCount) + u' ' + r.lastError
            + u' ' + QString::number(calls(u"query_refund"_s, no).size()) + u' ' + actions.join(u" | ")));
        const auto anomalies = b->s->anomalies.ofOrder(r.orderId).value();
        QCOMPARE(anomalies.size(), 1);
        QCOMPARE(toString(anomalies[0].kind), u"REFUND_UNCONFIRMED"_s);
        QVERIFY(anomalies[0].details.contains(no));
    }

    void approvalWrittenPastTheServicesIsNotSent_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<bool>("databaseRefuses"); // migration 006's four-eyes trigger
        QTest::newRow("reviewer is the requester") << u"UPDATE refunds SET reviewed_by = requested_by"_s << true;
        QTest::newRow("reviewer is no user") << u"UPDATE refunds SET reviewed_by = 'mallory'"_s << true;
        QTest::newRow("reviewer is a clerk") << u"UPDATE refunds SET reviewed_by = 'clerk2'"_s << true;
        // Within the hard ceiling the database cannot know the merchant's limit: core checks it.
        QTest::newRow("auto above the limit") << u"UPDATE refunds SET reviewed_by = 'auto'"_s << false;
    }
    void approvalWrittenPastTheServicesIsNotSent()
    {
        QFETCH(QString, sql);
        QFETCH(bool, databaseRefuses);
        const Refund approved = approvedRefund(u"50.00"_s, u"20.00"_s);
        if (databaseRefuses) {
            QSqlQuery q(b->s->db->connection());
            QVERIFY2(!q.exec(sql), "the database took a four-eyes breach");
            QVERIFY2(q.lastError().text().contains(u"refused by the database"_s), qPrintable(q.lastError().text()));
            QCOMPARE(refund(approved.outRefundNo).reviewedBy, approved.reviewedBy);
            // Behind the database's guard (a writer who dropped it), the timer still checks.
            QVERIFY(liftDatabaseGuards(*b->s->db));
        }
        {
            QSqlQuery q(b->s->db->connection());
            QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
        }
        startEngine();
        engine->poke();
        QVERIFY(settle(*engine));
        QVERIFY(advance(60'000));
        QCOMPARE(calls(u"refund"_s, approved.outRefundNo).size(), 0); // no money moved
        const Refund r = refund(approved.outRefundNo);
        QCOMPARE(toString(r.state), u"FAILED"_s);
        QVERIFY2(r.lastError.startsWith(u"refund."_s), qPrintable(r.lastError));
        QCOMPARE(b->s->anomalies.ofOrder(r.orderId)->size(), 1);
    }

    void refusedRefundIsRetriedByFinanceWithTheSameNumber()
    {
        b->sim->injectFault({u"refund"_s, ChannelError::Kind::Rejected, 1, false});
        startEngine();
        const Refund approved = approvedRefund(u"50.00"_s, u"10.00"_s);
        const QString no = approved.outRefundNo;
        engine->poke();
        QVERIFY(settle(*engine));
        QCOMPARE(toString(refund(no).state), u"FAILED"_s);
        // Only FINANCE, and only with a note.
        QCOMPARE(b->s->refundService.retry(b->clerk, no, u"again"_s).error().code, u"role.finance_only"_s);
        QCOMPARE(b->s->refundService.retry(b->finance, no, QString()).error().code, u"refund.note_required"_s);
        QVERIFY(b->s->refundService.retry(b->finance2, no, u"balance topped up"_s).ok());
        QCOMPARE(toString(refund(no).state), u"APPROVED"_s);
        QCOMPARE(b->s->refundService.retry(b->finance2, no, u"twice"_s).error().code, u"refund.not_failed"_s);
        engine->poke();
        QVERIFY(settle(*engine));
        QVERIFY(advance(10 * 60'000));
        QCOMPARE(toString(refund(no).state), u"SUCCEEDED"_s);
        const auto sends = calls(u"refund"_s, no);
        QCOMPARE(sends.size(), 2); // the same out_refund_no both times
        QCOMPARE(b->s->orders.byId(refund(no).orderId)->refundedMinor, qint64(1000));
        bool audited = false;
        for (const AuditEntry &e : audit(u"refund:"_s + no))
            audited = audited || (e.action == u"refund.retry"_s && e.user == u"finance2"_s);
        QVERIFY(audited);
    }

    void refusedRefundIsNotRetried()
    {
        b->sim->injectFault({u"refund"_s, ChannelError::Kind::Rejected, 1, false});
        startEngine();
        const Refund approved = approvedRefund(u"50.00"_s, u"10.00"_s);
        engine->poke();
        QVERIFY(settle(*engine));
        const Refund failed = refund(approved.outRefundNo);
        QCOMPARE(toString(failed.state), u"FAILED"_s);
        QVERIFY(failed.lastError.contains(u"SIM_FAULT"_s)); // finance sees why
        const auto anomalies = b->s->anomalies.ofOrder(failed.orderId).value();
        QCOMPARE(anomalies.size(), 1);
        QCOMPARE(toString(anomalies[0].kind), u"REFUND_ABNORMAL"_s);
        QVERIFY(advance(24 * 3'600'000));
        QCOMPARE(calls(u"refund"_s, approved.outRefundNo).size(), 1);
        QCOMPARE(toString(b->s->orders.byId(failed.orderId)->state), u"PAID"_s);
    }

    // ---- money that should not be there -----------------------------------------------------------

    void moneyAfterCloseOpensAnAnomalyAndARefund()
    {
        applyNotifications(b->sim, *b->s);
        const auto st = b->checkout(u"66.00"_s, 10 * 60'000);
        b->sim->setScript(st.order.orderNo, {SimulatedChannel::Customer::PayAfterClose, 0});
        startEngine();
        QVERIFY(advanceTo(st.order.expiresAt));
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"CLOSED"_s);
        QCOMPARE(calls(u"close"_s, st.attempt->outTradeNo).size(), 1);
        // The customer's money lands on the closed QR; the channel tells us.
        QTRY_COMPARE(b->s->anomalies.ofOrder(st.order.id)->size(), 1);
        const Anomaly a = b->s->anomalies.ofOrder(st.order.id)->first();
        QCOMPARE(toString(a.kind), u"PAID_AFTER_CLOSE"_s);
        const auto refunds = b->s->refunds.ofOrder(st.order.id).value();
        QCOMPARE(refunds.size(), 1);
        QCOMPARE(toString(refunds[0].state), u"REQUESTED"_s); // for finance to review
        QCOMPARE(refunds[0].amountMinor, qint64(6600));
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"CLOSED"_s); // never backwards
        // Once approved, the timer gives the money back.
        QVERIFY(b->s->refundService.approve(b->finance, refunds[0].outRefundNo, u"customer called"_s).ok());
        engine->poke();
        QVERIFY(settle(*engine));
        QCOMPARE(toString(refund(refunds[0].outRefundNo).state), u"SUCCEEDED"_s);
        QCOMPARE(calls(u"refund"_s, refunds[0].outRefundNo).size(), 1);
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"CLOSED"_s);
    }

    void aSecondPaymentOpensAnAnomalyAndARefund()
    {
        applyNotifications(b->sim, *b->s);
        const auto st = b->checkout(u"15.00"_s, 10 * 60'000);
        // This customer scans every QR of the order, 3 s after it appears.
        b->sim->setScript(st.order.orderNo, {SimulatedChannel::Customer::PayTwice, 3000});
        startEngine();
        auto repay = b->await<PaymentService::Started>([&](QObject *ctx, auto done) { b->s->payments.repay(b->clerk, st.order.orderNo, ChannelKind::Sim, ctx, done); });
        QVERIFY2(repay.ok(), qPrintable(repay.ok() ? QString() : repay.error().message));
        QVERIFY(advance(4000)); // the timer's query finds the second QR paid
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PAID"_s);
        // The first QR was paid too (just as it was being closed): the channel tells us.
        QTRY_COMPARE_WITH_TIMEOUT(b->s->anomalies.ofOrder(st.order.id)->size(), 1, 10000);
        const Anomaly a = b->s->anomalies.ofOrder(st.order.id)->first();
        QCOMPARE(toString(a.kind), u"DUPLICATE_PAYMENT"_s);
        const auto refunds = b->s->refunds.ofOrder(st.order.id).value();
        QCOMPARE(refunds.size(), 1);
        QCOMPARE(toString(refunds[0].state), u"REQUESTED"_s);
        QCOMPARE(refunds[0].amountMinor, qint64(1500));
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PAID"_s);
        QCOMPARE(b->order(st.order.orderNo).refundedMinor, qint64(0));
    }

    void aPaymentLeftOpenOnAPaidOrderIsClosedAtItsChannel()
    {
        // Two QR codes of one order are open at once (a repay that crossed a close, as on two
        // seats): the first is not being queried any more, the customer pays the second.
        const auto st = b->checkout(u"12.00"_s, 10 * 60'000);
        const PaymentAttempt first = *st.attempt;
        PaymentAttempt second = first;
        second.outTradeNo = st.order.orderNo + u"-02"_s;
        {
            Transaction tx(*b->s->db);
            QVERIFY(b->s->orders.insertAttempt(tx.connection(), second).ok());
            QVERIFY(Sql::exec(tx.connection(), u"UPDATE payment_attempts SET next_query_at = 0 WHERE id = :id"_s, {{":id", first.id}}).ok());
            QVERIFY(tx.commit().ok());
        }
        QVERIFY(Sql::exec(b->sim->database().connection(),
                          u"INSERT INTO sim_payments (out_trade_no, amount_minor, description, state, created_at, expires_at) "
                          "VALUES (:n, 1200, 'tea', 'NOTPAY', :c, :e)"_s,
                          {{":n", second.outTradeNo}, {":c", b->clock->nowMs()}, {":e", st.order.expiresAt}})
                    .ok());
        startEngine();
        QVERIFY(settle(*engine));
        QVERIFY(calls(u"close"_s, first.outTradeNo).isEmpty()); // nothing due for it yet
        // The second QR code is paid; the notification is applied as the app does.
        const auto paid = b->sim->customerPays(second.outTradeNo);
        QVERIFY(paid.ok());
        QVERIFY(b->s->reconciler.applyPayment(paid.value(), Reconciler::systemUser(), u"notify"_s).ok());
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PAID"_s);
        // The first QR code would still take money: the timer closes it at the channel, once.
        // Nobody pokes the timer: the reconciler's change tells it (here through the file).
        QTRY_COMPARE_WITH_TIMEOUT(calls(u"close"_s, first.outTradeNo).size(), 1, 10000);
        QVERIFY(settle(*engine));
        const auto attempts = b->s->orders.attemptsOf(st.order.id).value();
        QCOMPARE(attempts.size(), 2);
        QCOMPARE(toString(attempts[0].state), u"CLOSED"_s);
        QCOMPARE(toString(attempts[1].state), u"SUCCEEDED"_s);
        QCOMPARE(calls(u"close"_s, first.outTradeNo).size(), 1);
        QVERIFY(calls(u"close"_s, second.outTradeNo).isEmpty());
        QVERIFY2(actions.filter(u"left open"_s).size() == 1, qPrintable(actions.join(u'\n')));
        QVERIFY(b->s->anomalies.ofOrder(st.order.id)->isEmpty());
        QVERIFY(advance(10 * 60'000)); // nothing more to do for that order, ever
        QCOMPARE(calls(u"close"_s, first.outTradeNo).size(), 1);
        QCOMPARE(calls(u"query"_s, second.outTradeNo).size(), 0);
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PAID"_s);
    }

    void aPaymentLeftOpenInOldBooksIsClosedAfterTheUpgrade()
    {
        // Books written before the reconciler made an order's other payments due: the order was
        // paid, one of its QR codes is still open at the channel, and nothing is due for it.
        const auto st = b->checkout(u"12.00"_s, 10 * 60'000);
        const QString otn = st.attempt->outTradeNo;
        QSqlDatabase conn = b->s->db->connection();
        QVERIFY(Sql::exec(conn, u"UPDATE payment_attempts SET next_query_at = 0 WHERE id = :id"_s, {{":id", st.attempt->id}}).ok());
        QVERIFY(Sql::exec(conn, u"UPDATE orders SET state = 'PAID', paid_at = :p WHERE id = :id"_s, {{":p", b->clock->nowMs()}, {":id", st.order.id}}).ok());
        startEngine();
        QVERIFY(advance(60'000));
        QVERIFY(calls(u"close"_s, otn).isEmpty()); // the timer knows nothing of it
        engine.reset();

        // The upgrade to schema 5, then the first start.
        QVERIFY(Sql::exec(conn, u"DELETE FROM schema_version WHERE version = 5"_s).ok());
        QVERIFY(b->s->db->migrate().ok());
        startEngine();
        QVERIFY(settle(*engine));
        QCOMPARE(calls(u"close"_s, otn).size(), 1);
        QCOMPARE(toString(b->attempts(st.order.orderNo)[0].state), u"CLOSED"_s);
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PAID"_s);
        QVERIFY(advance(10 * 60'000));
        QCOMPARE(calls(u"close"_s, otn).size(), 1);
    }

    // ---- start, new work, other instances -----------------------------------------------------------

    void catchesUpOnWhatFellDueWhileStopped()
    {
        const auto unpaid = b->checkout(u"3.00"_s, 10 * 60'000);
        const auto paidUnseen = b->checkout(u"4.00"_s, 10 * 60'000);
        b->sim->setScript(paidUnseen.order.orderNo, {SimulatedChannel::Customer::PayAfterDelay, 30'000});
        const Refund approved = approvedRefund(u"7.00"_s, u"7.00"_s);
        QVERIFY(b->clock->nowMs() < unpaid.order.expiresAt);
        b->clock->advanceMs(3'600'000); // the program was closed for an hour
        startEngine();
        QVERIFY(settle(*engine));
        const Order closed = b->order(unpaid.order.orderNo);
        QCOMPARE(toString(closed.state), u"CLOSED"_s);
        QCOMPARE(toString(closed.closeReason), u"EXPIRED"_s);
        QCOMPARE(calls(u"close"_s, unpaid.attempt->outTradeNo).size(), 1);
        const Order paid = b->order(paidUnseen.order.orderNo);
        QCOMPARE(toString(paid.state), u"PAID"_s);
        QCOMPARE(paid.paidAt, paidUnseen.attempt->createdAt + 30'000);
        QCOMPARE(toString(refund(approved.outRefundNo).state), u"SUCCEEDED"_s);
        QVERIFY(!actions.isEmpty() && actions.first().startsWith(u"timer started"_s));
        QCOMPARE(engine->status().wakeups, quint64(0)); // done at start, not by waiting for a timer
    }

    void workFromAnotherInstanceIsPickedUpWithoutRestart()
    {
        startEngine();
        QVERIFY(settle(*engine));
        QCOMPARE(engine->status().nextDueAt, qint64(0)); // nothing yet
        Instance other = openInstance(b->scratch.url(), b->clock->nowMs());
        // Another seat takes an order: this timer learns its due times by itself.
        NewOrder req;
        req.amount = u"12.00"_s;
        req.title = u"soup"_s;
        req.timeoutMs = 10 * 60'000;
        auto st = other.s->payments.checkout(b->clerk, req, ChannelKind::Sim);
        QVERIFY(st.ok());
        QTRY_VERIFY(st->task.isNull() || st->task->state() != PayTask::State::Running);
        QTRY_COMPARE(engine->status().nextDueAt, st->attempt->createdAt + 1000);
        // Another seat approves a refund: this timer sends it, no restart, no poke.
        const Order paid = b->paidOrder(u"40.00"_s);
        auto r = other.s->refundService.request(b->clerk, RefundService::Request{paid.orderNo, u"40.00"_s, false, u"broken"_s, {}, {}});
        QVERIFY(r.ok());
        QVERIFY(other.s->refundService.approve(b->finance, r->refund.outRefundNo, {}).ok());
        QTRY_COMPARE(toString(refund(r->refund.outRefundNo).state), u"SUCCEEDED"_s);
        QCOMPARE(calls(u"refund"_s, r->refund.outRefundNo).size(), 1);
        // Another seat re-issues the payment: the new QR is followed, the old one is not.
        other.clock->advanceMs(60'000);
        b->clock->advanceMs(60'000);
        engine->clockChanged();
        QVERIFY(settle(*engine));
        auto repay = b->await<PaymentService::Started>([&](QObject *ctx, auto done) { other.s->payments.repay(b->clerk, st->order.orderNo, ChannelKind::Sim, ctx, done); });
        QVERIFY(repay.ok());
        QVERIFY(advanceTo(repay->attempt->createdAt + 1000));
        QCOMPARE(times(calls(u"query"_s, repay->attempt->outTradeNo)), QList<qint64>{repay->attempt->createdAt + 1000});
        // And closes the order at its deadline.
        QVERIFY(advanceTo(st->order.expiresAt));
        QCOMPARE(toString(b->order(st->order.orderNo).state), u"CLOSED"_s);
        QCOMPARE(calls(u"close"_s, repay->attempt->outTradeNo).size(), 1);
        QCOMPARE(calls(u"close"_s, st->attempt->outTradeNo).size(), 1); // by the repay, not again
    }

    void twoInstancesNeverActTwice()
    {
        QList<PaymentService::Started> orders;
        for (int i = 0; i < 24; ++i)
            orders << b->checkout(u"2.00"_s, 5 * 60'000);
        Instance other = openInstance(b->scratch.url(), b->clock->nowMs());
        startEngine(opts([](auto &o) { o.batchSize = 3; }));
        SyncEngine second(*other.s, opts([](auto &o) { o.batchSize = 3; }));
        QVERIFY(second.start().ok());
        QList<Refund> refunds;
        for (int i = 0; i < 6; ++i)
            refunds << approvedRefund(u"9.00"_s, u"9.00"_s); // both timers hear of each approval
        QVERIFY(settle(*engine));
        QVERIFY(settle(second));
        const qint64 due = orders.last().order.expiresAt;
        for (ManualClock *c : {b->clock, other.clock})
            c->setNowMs(due);
        engine->clockChanged();
        second.clockChanged();
        QVERIFY(settle(*engine));
        QVERIFY(settle(second));
        QVERIFY(settle(*engine));
        for (const auto &st : orders) {
            QCOMPARE(toString(b->order(st.order.orderNo).state), u"CLOSED"_s);
            QCOMPARE(calls(u"close"_s, st.attempt->outTradeNo).size(), 1);
        }
        for (const Refund &r : refunds) {
            QCOMPARE(toString(refund(r.outRefundNo).state), u"SUCCEEDED"_s);
            QCOMPARE(calls(u"refund"_s, r.outRefundNo).size(), 1);
        }
        QVERIFY2(engine->status().jobsDone > 0 && second.status().jobsDone > 0, "both timers should have shared the work");
        QVERIFY(b->s->audit.verify()->intact);
    }

    void claimsOfAStuckInstanceRunOutAndAreTakenOver()
    {
        QList<PaymentService::Started> orders;
        for (int i = 0; i < 6; ++i)
            orders << b->checkout(u"2.00"_s, 5 * 60'000);
        const qint64 due = orders.last().order.expiresAt;
        // Another seat claims three of them and then hangs for good.
        auto hole = std::make_unique<BlackholeChannel>();
        BlackholeChannel *holePtr = hole.get();
        Instance stuck = openInstance(b->scratch.url(), due, std::move(hole));
        SyncEngine stuckEngine(*stuck.s, opts([](auto &o) { o.batchSize = 3; o.maxInFlight = 3; o.watchOtherInstances = false; }));
        QVERIFY(stuckEngine.start().ok());
        QTRY_COMPARE(holePtr->calls, 3);
        QCOMPARE(stuckEngine.status().inFlight, 3);
        // This seat does the rest at once ...
        b->clock->setNowMs(due);
        startEngine();
        QVERIFY(settle(*engine));
        int closed = 0;
        for (const auto &st : orders)
            closed += b->order(st.order.orderNo).state == OrderState::Closed ? 1 : 0;
        QCOMPARE(closed, 3);
        // ... and the stuck seat's three once its claims run out (60 s), without a restart.
        QVERIFY(advanceTo(due + 60'000));
        for (const auto &st : orders) {
            QCOMPARE(toString(b->order(st.order.orderNo).state), u"CLOSED"_s);
            QCOMPARE(calls(u"close"_s, st.attempt->outTradeNo).size(), 1);
        }
    }

    // ---- idle -----------------------------------------------------------------------------------------

    void noWakeUpsWhileNothingIsDue()
    {
        startEngine();
        QVERIFY(settle(*engine));
        QCOMPARE(engine->status().nextDueAt, qint64(0));
        QTest::qWait(1000);
        QCOMPARE(engine->status().wakeups, quint64(0)); // empty books: the timer never fires

        const auto st = b->checkout(u"5.00"_s, 10 * 60'000);
        engine->poke();
        QVERIFY(advanceTo(st.attempt->expiresAt)); // its queries are over; the deadline is a minute away
        QCOMPARE(engine->status().nextDueAt, st.order.expiresAt);
        const quint64 before = engine->status().wakeups;
        QTest::qWait(1000);
        QCOMPARE(engine->status().wakeups, before); // waiting for the deadline costs nothing

        QVERIFY(advanceTo(st.order.expiresAt));
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"CLOSED"_s);
        QCOMPARE(engine->status().nextDueAt, qint64(0));
        const quint64 after = engine->status().wakeups;
        QTest::qWait(1000);
        QCOMPARE(engine->status().wakeups, after);
        QCOMPARE(engine->status().inFlight, 0);
    }

    // ---- a real process, killed -----------------------------------------------------------------------

    void killedMidRunAndRestartedClosesEachPaymentOnce()
    {
        const QString ctl = binary(u"paydeskctl"_s);
        QVERIFY2(QFileInfo::exists(ctl), qPrintable(ctl));
        QVERIFY(b->s->settings.setSystemValue(u"demo"_s, u"1"_s).ok()); // paydeskctl serves the simulator
        // Orders whose deadlines come one after another over 3 s of real time, starting once
        // they are all made and the timers run.
        const int n = 120;
        QList<PaymentService::Started> orders;
        const qint64 first = QDateTime::currentMSecsSinceEpoch() + 5000;
        for (int i = 0; i < n; ++i) {
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            b->clock->setNowMs(now);
            orders << b->checkout(u"1.00"_s, qMax<qint64>(first + i * 25 - now, 1500));
        }
        auto daemon = [&](QProcess &p) {
            p.setProcessChannelMode(QProcess::MergedChannels);
            p.start(ctl, {u"--db"_s, b->scratch.url(), u"sync"_s, u"--daemon"_s});
            return p.waitForStarted(5000);
        };
        auto closesSoFar = [&]() {
            int c = 0;
            const auto ledger = b->sim->ledger();
            for (const auto &e : ledger.value())
                c += e.op == u"close"_s ? 1 : 0;
            return c;
        };
        // Two seats run the timer; one is killed -9 in the middle of the run.
        QProcess victim, survivor;
        QVERIFY(daemon(victim));
        QVERIFY(daemon(survivor));
        QTRY_VERIFY_WITH_TIMEOUT(closesSoFar() >= n / 4, 20000);
        victim.kill(); // SIGKILL: no chance to tidy up
        QVERIFY(victim.waitForFinished(5000));
        const int atKill = closesSoFar();
        QVERIFY2(atKill < n, "the run was over before the kill; nothing was tested");
        survivor.terminate();
        QVERIFY(survivor.waitForFinished(10000));
        QCOMPARE(survivor.exitCode(), 0);
        // A restart picks up what the killed one had claimed, without waiting for its leases.
        QProcess restarted;
        QVERIFY(daemon(restarted));
        auto pending = [&]() {
            int p = 0;
            for (const auto &st : orders)
                p += b->order(st.order.orderNo).state == OrderState::Pending ? 1 : 0;
            return p;
        };
        QTRY_COMPARE_WITH_TIMEOUT(pending(), 0, 30000);
        restarted.terminate();
        QVERIFY(restarted.waitForFinished(10000));
        const QString log = QString::fromUtf8(victim.readAll() + survivor.readAll() + restarted.readAll());
        for (const auto &st : orders) {
            const Order o = b->order(st.order.orderNo);
            QCOMPARE(toString(o.state), u"CLOSED"_s);
            QCOMPARE(toString(o.closeReason), u"EXPIRED"_s);
            QVERIFY2(o.closedAt >= o.expiresAt, qPrintable(o.orderNo + u" closed early"_s));
            const auto closes = calls(u"close"_s, st.attempt->outTradeNo);
            QVERIFY2(closes.size() == 1, qPrintable(u"%1 closed %2 times\n"_s.arg(st.attempt->outTradeNo).arg(closes.size()) + log));
            QCOMPARE(closes[0].result, u"OK"_s);
        }
        QVERIFY(b->s->audit.verify()->intact);
    }
};

QTEST_GUILESS_MAIN(TestSync)
#include "tst_sync.moc"
