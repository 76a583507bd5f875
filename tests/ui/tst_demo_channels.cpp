// The offline demo end to end without a window: a seeded demo database, the simulator standing
// in for WeChat Pay, Alipay and itself on one ledger, the scripted customers and the timer. Over
// 35 minutes of (manual) time the timer must never meet a channel error, every seeded pending
// order must end paid or closed (some of each), refunds in flight must settle, and the demo's
// counter orders must reach every channel.
#include "DemoDriver.h"

#include "TestSupport.h"
#include "channels/ChannelRegistry.h"
#include "channels/SimulatedChannel.h"
#include "demo/DemoSeeder.h"
#include "sync/SyncEngine.h"

#include <QElapsedTimer>
#include <QSet>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace paydesk;

namespace {
qint64 count(Database &db, const QString &where)
{
    auto q = Sql::exec(db.connection(), u"SELECT COUNT(*) FROM "_s + where);
    if (!q || !q.value().next())
        return -1;
    return q.value().value(0).toLongLong();
}
} // namespace

class TestDemoChannels : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void everyChannelIsSimulated();
    void seededPaymentsAreInTheLedger();
    void timerRunsWithoutChannelErrors();
    void counterOrdersReachEveryChannel();
    void customersPayWhileYouWatch();

private:
    /// Moves the manual clock in steps, letting the timer finish each step's work; returns the
    /// channel errors the timer met on the way.
    QStringList runFor(qint64 ms, qint64 stepMs);

    test::ScratchDatabase m_scratch;
    std::unique_ptr<Services> m_s;
    ManualClock *m_clock = nullptr;
    QList<SimulatedChannel *> m_sims;
    std::unique_ptr<SyncEngine> m_sync;
    std::unique_ptr<ui::DemoDriver> m_driver;
    QStringList m_pending;
};

void TestDemoChannels::initTestCase()
{
    PAYDESK_REQUIRE_DB(m_scratch);
    m_s = test::makeServices(m_scratch.url(), &m_clock);
    DemoSeeder seeder(*m_s->db, m_s->users, m_s->settings, *m_s->clock);
    DemoSeeder::Options o;
    o.orders = 2000;
    o.days = 10;
    auto sum = seeder.seed(o);
    QVERIFY2(sum.ok(), sum.ok() ? "" : qPrintable(sum.error().message));
    QVERIFY(sum->pending >= 10);
    auto q = Sql::exec(m_s->db->connection(), u"SELECT order_no FROM orders WHERE state = 'PENDING'"_s);
    QVERIFY(q.ok());
    while (q.value().next())
        m_pending << q.value().value(0).toString();
    auto sims = SimulatedChannel::addDemoChannels(m_s->channels, m_scratch.url(), *m_s->clock);
    QVERIFY2(sims.ok(), sims.ok() ? "" : qPrintable(sims.error().message));
    m_sims = sims.value();
    for (SimulatedChannel *sim : std::as_const(m_sims)) {
        sim->setMix(SimulatedChannel::Mix{});
        sim->setRefundOutcome(SimulatedChannel::RefundOutcome::Success, 20'000);
    }
    auto clerk = m_s->users.find(u"clerk"_s);
    QVERIFY(clerk.ok());
    // As paydesk --demo does: the scripted customers' orders are the counter simulator's.
    m_driver = std::make_unique<ui::DemoDriver>(*m_s, m_sims, ui::DemoDriver::counterActor(*m_s, clerk.value()));
    QVERIFY(m_sims.constFirst()->wakeCustomers().ok());
    m_sync = std::make_unique<SyncEngine>(*m_s, SyncEngine::Options{});
}

void TestDemoChannels::everyChannelIsSimulated()
{
    QCOMPARE(m_sims.size(), 3);
    for (ChannelKind kind : {ChannelKind::WeChat, ChannelKind::Alipay, ChannelKind::Sim}) {
        PaymentChannel *ch = m_s->channels.channel(kind);
        QVERIFY2(ch, qPrintable(toString(kind)));
        QCOMPARE(int(ch->kind()), int(kind));
        QVERIFY(m_s->channels.isSimulated(kind));
    }
    // The stand-ins keep the real channels' one-minute minimum; the simulator its second.
    QCOMPARE(m_s->channels.channel(ChannelKind::WeChat)->minimumExpiryMs(), 60'000);
    QCOMPARE(m_s->channels.channel(ChannelKind::Sim)->minimumExpiryMs(), 1000);
}

void TestDemoChannels::seededPaymentsAreInTheLedger()
{
    Database &db = *m_s->db;
    // Every payment the books know, the channel knows, in the matching state.
    QCOMPARE(count(db, u"payment_attempts a WHERE NOT EXISTS (SELECT 1 FROM sim_payments p WHERE p.out_trade_no = a.out_trade_no)"_s), 0);
    QCOMPARE(count(db, u"payment_attempts a JOIN sim_payments p ON p.out_trade_no = a.out_trade_no "
                       "WHERE a.state = 'SUCCEEDED' AND (p.state <> 'SUCCESS' OR p.amount_minor <> a.amount_minor)"_s), 0);
    QCOMPARE(count(db, u"payment_attempts a JOIN sim_payments p ON p.out_trade_no = a.out_trade_no "
                       "WHERE a.state = 'PAYING' AND p.state <> 'NOTPAY'"_s), 0);
    // Refunds that reached the channel are in its books; those still to send are not.
    QCOMPARE(count(db, u"refunds r WHERE r.state IN ('PROCESSING', 'SUCCEEDED') AND NOT EXISTS "
                       "(SELECT 1 FROM sim_refunds s WHERE s.out_refund_no = r.out_refund_no)"_s), 0);
    QCOMPARE(count(db, u"refunds r WHERE r.state IN ('REQUESTED', 'APPROVED', 'REJECTED') AND EXISTS "
                       "(SELECT 1 FROM sim_refunds s WHERE s.out_refund_no = r.out_refund_no)"_s), 0);
    // Each pending order has a scripted customer.
    QCOMPARE(count(db, u"orders o WHERE o.state = 'PENDING' AND NOT EXISTS (SELECT 1 FROM sim_scripts s WHERE s.prefix = o.order_no)"_s), 0);
}

QStringList TestDemoChannels::runFor(qint64 ms, qint64 stepMs)
{
    QStringList errors;
    auto collect = [&errors](const SyncStatus &st) {
        for (auto it = st.lastError.cbegin(); it != st.lastError.cend(); ++it)
            if (!it.value().isEmpty() && !errors.contains(it.key() + u": "_s + it.value()))
                errors << it.key() + u": "_s + it.value();
    };
    QObject guard;
    connect(m_sync.get(), &SyncEngine::statusChanged, &guard, collect);
    for (qint64 t = 0; t < ms; t += stepMs) {
        m_clock->advanceMs(stepMs);
        m_sync->clockChanged();
        QElapsedTimer waited;
        waited.start();
        while (!m_sync->isIdle() && waited.elapsed() < 10'000)
            QTest::qWait(2);
        if (!m_sync->isIdle())
            errors << u"the timer did not finish its work within 10 s"_s;
        QTest::qWait(1); // answers and notifications queued behind the last batch
    }
    return errors;
}

void TestDemoChannels::timerRunsWithoutChannelErrors()
{
    Database &db = *m_s->db;
    const qint64 processing = count(db, u"refunds WHERE state = 'PROCESSING'"_s);
    const qint64 approved = count(db, u"refunds WHERE state = 'APPROVED'"_s);
    const qint64 failedBefore = count(db, u"refunds WHERE state = 'FAILED'"_s);
    QVERIFY2(processing + approved > 0, "the demo history should have refunds in flight");
    QVERIFY(m_sync->start().ok());
    const QStringList errors = runFor(35 * 60'000, 10'000);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u"; "_s)));
    // Every seeded pending order ran its course: paid by its customer or closed at its deadline.
    int paid = 0, closed = 0;
    for (const QString &no : std::as_const(m_pending)) {
        const Order o = m_s->orders.byNo(no).value();
        QVERIFY2(o.state != OrderState::Pending, qPrintable(no));
        if (o.state == OrderState::Closed) {
            QCOMPARE(toString(o.closeReason), toString(CloseReason::Expired));
            ++closed;
        } else {
            ++paid;
        }
    }
    QVERIFY2(paid > 0 && closed > 0, qPrintable(u"paid %1, closed %2"_s.arg(paid).arg(closed)));
    qInfo("seeded pending orders: %d paid, %d closed", paid, closed);
    // Refunds in flight went through the simulated channel and settled.
    QCOMPARE(count(db, u"refunds WHERE state IN ('APPROVED', 'PROCESSING')"_s), 0);
    QCOMPARE(count(db, u"refunds WHERE state = 'FAILED'"_s), failedBefore);
    // Customers who pay just after the close: their money reaches the books through the
    // channel's notification (here prompted by a query, as the wake-up runs in real time) and
    // leaves an anomaly (money after close) with a refund for finance.
    auto q = Sql::exec(db.connection(), u"SELECT a.out_trade_no FROM sim_scripts s JOIN orders o ON o.order_no = s.prefix "
                                        "JOIN payment_attempts a ON a.order_id = o.id "
                                        "WHERE s.customer = 'pay-after-close' AND o.state = 'CLOSED'"_s);
    QVERIFY(q.ok());
    QStringList late;
    while (q.value().next())
        late << q.value().value(0).toString();
    for (const QString &otn : std::as_const(late)) {
        bool answered = false;
        QObject ctx;
        m_s->channels.channel(ChannelKind::Sim)->queryPayment(otn, &ctx, [&answered](const ChannelReply<PaymentStatus> &r) {
            QVERIFY(r.ok());
            QCOMPARE(toString(r->state), toString(TradeState::Success));
            answered = true;
        });
        QTRY_VERIFY(answered);
    }
    qInfo("customers who paid after the close: %d", int(late.size()));
    if (!late.isEmpty())
        QTRY_COMPARE(count(db, u"anomalies a JOIN orders o ON o.id = a.order_id JOIN sim_scripts s ON s.prefix = o.order_no "
                               "WHERE s.customer = 'pay-after-close' AND a.kind = 'PAID_AFTER_CLOSE'"_s),
                     qint64(late.size()));
}

void TestDemoChannels::counterOrdersReachEveryChannel()
{
    QSet<QString> channels;
    for (int i = 0; i < 40 && channels.size() < 3; ++i) {
        const QString no = m_driver->createOrder();
        QVERIFY(!no.isEmpty());
        const Order o = m_s->orders.byNo(no).value();
        QVERIFY(o.channel.has_value());
        channels << toString(*o.channel);
    }
    QCOMPARE(channels.size(), 3);
    // Every code was issued by the simulator and says so.
    const QStringList errors = runFor(20'000, 2'000);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u"; "_s)));
    QCOMPARE(count(*m_s->db, u"payment_attempts a JOIN orders o ON o.id = a.order_id WHERE o.created_at >= %1 "
                             "AND a.code_url NOT LIKE 'paydesk-sim://pay/%'"_s.arg(m_clock->nowMs() - 30'000)),
             0);
    QCOMPARE(count(*m_s->db, u"payment_attempts a JOIN orders o ON o.id = a.order_id WHERE o.created_at >= %1 AND a.state = 'FAILED'"_s
                                 .arg(m_clock->nowMs() - 30'000)),
             0);
}

void TestDemoChannels::customersPayWhileYouWatch()
{
    // The mix pays most counter orders within 5 minutes; their notifications land in the books.
    const QStringList errors = runFor(11 * 60'000, 5'000);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u"; "_s)));
    const qint64 since = m_clock->nowMs() - 12 * 60'000;
    QVERIFY(count(*m_s->db, u"orders WHERE created_by = 'demo-counter' AND created_at >= %1 AND state = 'PAID'"_s.arg(since)) > 0);
    QCOMPARE(count(*m_s->db, u"orders WHERE created_by = 'clerk' AND created_at >= %1"_s.arg(since)), 0);
    QCOMPARE(count(*m_s->db, u"orders WHERE created_at >= %1 AND state = 'PENDING'"_s.arg(since)), 0);
}

QTEST_MAIN(TestDemoChannels)
#include "tst_demo_channels.moc"
