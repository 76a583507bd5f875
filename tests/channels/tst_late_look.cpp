// LateLook (issue 12): a payment Alipay says it never saw (a code nobody had scanned answers
// ACQ.TRADE_NOT_EXIST to query and close) is finished in the books as "did not exist" and looked
// at once more after the code's expiry. Against the real paydesk-sandbox over loopback, with the
// real AlipayChannel, PaymentService and Reconciler; on SQLite and PostgreSQL (PAYDESK_TEST_BACKEND).

#include "SandboxFixture.h"
#include "TestSupport.h"
#include "channels/AlipayChannel.h"
#include "services/Services.h"
#include "sync/LateLook.h"
#include "sync/SyncEngine.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace paydesk;
using namespace paydesk::test;
using namespace Qt::StringLiterals;

class TestLateLook : public QObject
{
    Q_OBJECT

    SandboxProcess m_sandbox;
    ScratchDatabase m_scratch;
    std::unique_ptr<Services> m_s;
    ManualClock *m_clock = nullptr;
    AlipayChannel *m_alipay = nullptr;
    User m_clerk;

    /// A PENDING Alipay order whose code is at the sandbox (not scanned yet).
    PaymentService::Started checkout(const QString &amount)
    {
        NewOrder req;
        req.amount = amount;
        req.title = u"普洱茶"_s;
        req.timeoutMs = 3 * 60'000;
        auto st = m_s->payments.checkout(m_clerk, req, ChannelKind::Alipay);
        if (!st)
            qFatal("checkout: %s", qPrintable(st.error().message));
        if (st->task) {
            QSignalSpy done(st->task.data(), &PayTask::finished);
            if (!done.wait(10'000))
                qFatal("pay task did not finish");
        }
        return st.value();
    }
    /// The clerk closes the order (at the channel first, then in the books).
    bool closeOrder(const QString &orderNo)
    {
        std::optional<Result<PaymentService::Closed>> out;
        QObject ctx;
        m_s->payments.close(m_clerk, orderNo, &ctx, [&out](const Result<PaymentService::Closed> &r) { out = r; });
        QElapsedTimer t;
        t.start();
        while (!out && t.elapsed() < 10'000)
            QTest::qWait(5);
        if (out && !out->ok())
            qWarning("close: %s", qPrintable(out->error().message));
        return out && out->ok();
    }
    PaymentAttempt attempt(const QString &orderNo)
    {
        return m_s->orders.attemptsOf(m_s->orders.byNo(orderNo).value().id).value().value(0);
    }
    /// Runs the look's round to its end.
    bool lookNow(LateLook &look)
    {
        QSignalSpy idle(&look, &LateLook::becameIdle);
        look.runDue();
        return idle.count() > 0 || idle.wait(15'000);
    }
    int sandboxPay(const QString &no)
    {
        int status = 0;
        m_sandbox.control("POST", u"/sandbox/pay/"_s + no, {{u"channel"_s, u"alipay"_s}}, &status);
        return status;
    }
    QList<Anomaly> anomaliesOf(const QString &orderNo) { return m_s->anomalies.ofOrder(m_s->orders.byNo(orderNo).value().id).value(); }

private slots:
    void initTestCase()
    {
        PAYDESK_REQUIRE_DB(m_scratch);
        const QString err = m_sandbox.start();
        QVERIFY2(err.isEmpty(), qPrintable(err));
        m_s = makeServices(m_scratch.url(), &m_clock);
                auto ch = AlipayChannel::create(m_sandbox.profile(ChannelKind::Alipay), *m_clock);
        QVERIFY2(ch, ch ? "" : qPrintable(ch.error().message));
        ch.value()->setTransferTimeoutMs(5000);
        m_alipay = ch.value().get();
        m_s->channels.add(std::move(ch.value()));
        auto admin = m_s->users.add(QString(), u"admin"_s, QString(), Role::Admin, u"correct-horse-1"_s);
        QVERIFY(admin);
        auto clerk = m_s->users.add(u"admin"_s, u"clerk"_s, QString(), Role::Clerk, u"correct-horse-1"_s);
        QVERIFY(clerk);
        m_clerk = clerk.value();
    }
    void init()
    {
        m_sandbox.control("DELETE", u"/sandbox/faults"_s);
        // The sandbox keeps real time (and checks Alipay's request timestamps against it):
        // every case starts now and moves only minutes ahead.
        m_clock->setNowMs(QDateTime::currentMSecsSinceEpoch());
    }

    void moneyOnACodeThatDidNotExistIsFoundAfterItsExpiry()
    {
        // The reading the late look exists for: Alipay had no trade to close, and the code
        // still takes money until its own expiry. No notification reaches us.
        m_sandbox.fault(u"alipay"_s, u"close"_s, u"unscanned_stays_payable"_s);
        const auto st = checkout(u"18.80"_s);
        const QString no = st.attempt->outTradeNo;
        QVERIFY(closeOrder(st.order.orderNo));
        QCOMPARE(toString(m_s->orders.byNo(st.order.orderNo)->state), toString(OrderState::Closed));
        const PaymentAttempt closed = attempt(st.order.orderNo);
        QCOMPARE(toString(closed.state), toString(AttemptState::Failed));
        QCOMPARE(closed.lastError, u"NOT_EXIST"_s);
        // One look due two minutes after the code's expiry, not before.
        QCOMPARE(closed.nextQueryAt, closed.expiresAt + Reconciler::kLateLookAfterExpiryMs);
        QCOMPARE(m_s->orders.nextLateLookAt().value(), closed.nextQueryAt);

        m_sandbox.control("POST", u"/sandbox/scan/"_s + no);
        QCOMPARE(sandboxPay(no), 200); // the customer pays the closed order's code

        LateLook look(m_s->orders, m_s->channels, m_s->reconciler, *m_clock);
        QVERIFY(lookNow(look)); // not due yet: nothing looked at
        QCOMPARE(toString(attempt(st.order.orderNo).state), toString(AttemptState::Failed));
        QVERIFY(anomaliesOf(st.order.orderNo).isEmpty());

        m_clock->setNowMs(closed.nextQueryAt);
        QSignalSpy changed(&look, &LateLook::booksChanged);
        QSignalSpy lines(&look, &LateLook::actionTaken);
        QVERIFY(lookNow(look));
        const PaymentAttempt found = attempt(st.order.orderNo);
        QCOMPARE(toString(found.state), toString(AttemptState::Succeeded));
        QVERIFY(!found.channelTxnId.isEmpty());
        QCOMPARE(found.nextQueryAt, qint64(0));
        QCOMPARE(toString(m_s->orders.byNo(st.order.orderNo)->state), toString(OrderState::Closed)); // closed stays closed
        const QList<Anomaly> anomalies = anomaliesOf(st.order.orderNo);
        QCOMPARE(anomalies.size(), 1);
        QCOMPARE(toString(anomalies[0].kind), toString(AnomalyKind::PaidAfterClose));
        QVERIFY(anomalies[0].refundId > 0); // the customer's money back is proposed to finance
        QCOMPARE(m_s->refunds.ofOrder(m_s->orders.byNo(st.order.orderNo)->id).value().value(0).amountMinor, qint64(1880));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(lines.count(), 1);
        QVERIFY(lines[0][0].toString().contains(no));
        QCOMPARE(m_s->orders.nextLateLookAt().value(), qint64(0)); // looked once: done
    }

    void aCodeThatStaysUnknownIsLookedAtOnce()
    {
        const auto st = checkout(u"9.00"_s);
        const QString no = st.attempt->outTradeNo;
        QVERIFY(closeOrder(st.order.orderNo)); // the sandbox locks the unscanned code
        QCOMPARE(sandboxPay(no), 409);
        const PaymentAttempt closed = attempt(st.order.orderNo);
        QCOMPARE(closed.lastError, u"NOT_EXIST"_s);
        m_clock->setNowMs(closed.nextQueryAt + 1);
        LateLook look(m_s->orders, m_s->channels, m_s->reconciler, *m_clock);
        QSignalSpy changed(&look, &LateLook::booksChanged);
        QVERIFY(lookNow(look));
        const PaymentAttempt after = attempt(st.order.orderNo);
        QCOMPARE(toString(after.state), toString(AttemptState::Failed));
        QCOMPARE(after.nextQueryAt, qint64(0));
        QVERIFY(anomaliesOf(st.order.orderNo).isEmpty());
        QCOMPARE(changed.count(), 0);
        QVERIFY(m_s->orders.dueLateLooks(m_clock->nowMs() + 3'600'000, 10).value().isEmpty());
    }

    void aCodeScannedAfterTheCloseIsClosedAtTheChannel()
    {
        m_sandbox.fault(u"alipay"_s, u"close"_s, u"unscanned_stays_payable"_s);
        const auto st = checkout(u"5.50"_s);
        const QString no = st.attempt->outTradeNo;
        QVERIFY(closeOrder(st.order.orderNo));
        m_sandbox.control("POST", u"/sandbox/scan/"_s + no); // the buyer scans, does not pay yet
        m_clock->setNowMs(attempt(st.order.orderNo).nextQueryAt);
        LateLook look(m_s->orders, m_s->channels, m_s->reconciler, *m_clock);
        QSignalSpy lines(&look, &LateLook::actionTaken);
        QVERIFY(lookNow(look));
        auto q = await<PaymentStatus>([&](QObject *ctx, auto done) { m_alipay->queryPayment(no, ctx, done); });
        QVERIFY(q && q->ok());
        QVERIFY(q->value().state == TradeState::Closed); // the code cannot take money any more
        QCOMPARE(sandboxPay(no), 409);
        QCOMPARE(attempt(st.order.orderNo).nextQueryAt, qint64(0));
        QCOMPARE(lines.count(), 1);
    }

    void theTimerExpiresAnUnscannedCodeAndLooksLater()
    {
        // The timer asks first: Alipay knows no trade for an unscanned code, and that answer is
        // current (the trade is made on the scan), so the order closes as EXPIRED instead of
        // waiting for an answer that never comes, with the late look due.
        const auto st = checkout(u"7.70"_s);
        m_clock->setNowMs(st.order.expiresAt + 1);
        SyncEngine engine(*m_s, SyncEngine::Options{});
        QSignalSpy idle(&engine, &SyncEngine::becameIdle);
        QVERIFY(engine.start());
        QTRY_VERIFY_WITH_TIMEOUT(m_s->orders.byNo(st.order.orderNo)->state == OrderState::Closed, 15'000);
        QCOMPARE(toString(m_s->orders.byNo(st.order.orderNo)->closeReason), toString(CloseReason::Expired));
        const PaymentAttempt a = attempt(st.order.orderNo);
        QCOMPARE(toString(a.state), toString(AttemptState::Failed));
        QCOMPARE(a.lastError, u"NOT_EXIST"_s);
        QCOMPARE(a.nextQueryAt, m_clock->nowMs() + Reconciler::kLateLookAfterExpiryMs);
        engine.stop();
    }

    void anUnreachableChannelIsAskedAgainLater()
    {
        const auto st = checkout(u"3.30"_s);
        QVERIFY(closeOrder(st.order.orderNo));
        const PaymentAttempt closed = attempt(st.order.orderNo);
        m_clock->setNowMs(closed.nextQueryAt);
        m_sandbox.fault(u"alipay"_s, u"query"_s, u"http_500"_s);
        LateLook look(m_s->orders, m_s->channels, m_s->reconciler, *m_clock);
        QVERIFY(lookNow(look));
        QCOMPARE(attempt(st.order.orderNo).nextQueryAt, m_clock->nowMs() + LateLook::kRetryMs);
        m_clock->advanceMs(LateLook::kRetryMs);
        QVERIFY(lookNow(look));
        QCOMPARE(attempt(st.order.orderNo).nextQueryAt, qint64(0));
    }
};

QTEST_GUILESS_MAIN(TestLateLook)
#include "tst_late_look.moc"
