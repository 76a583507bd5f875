// The staff-action rules tst_payments does not reach: the refund window and count, four eyes
// on rejects and for administrators, repay and close of orders that are not pending, what a
// second seat (another PayDesk window or paydeskctl on the same books) sees when it does the
// same thing at the same moment, payments given up while the channel was making them, the
// audit of every refusal, and failed logins.

#include "Fixture.h"
#include "storage/UserDirectory.h"

#include <QJsonObject>

#include <functional>
#include <latch>
#include <thread>

using namespace paydesk;
using namespace paydesk::test;
using namespace Qt::StringLiterals;

namespace {

/// A second PayDesk instance on the same books: its own connections, clock and simulator
/// object (the simulator's ledger is shared through the database, as between processes).
struct Seat
{
    std::unique_ptr<Services> s;
    ManualClock *clock = nullptr;
    SimulatedChannel *sim = nullptr;

    Seat(const QString &url, qint64 nowMs)
    {
        s = makeServices(url, &clock);
        clock->setNowMs(nowMs);
        auto simulator = SimulatedChannel::create(url, *clock, 7);
        if (!simulator)
            qFatal("simulator: %s", qPrintable(simulator.error().message));
        sim = simulator.value().get();
        s->channels.add(std::move(simulator.value()));
    }
};

/// Audit entries of `action` on `object` (newest first).
QList<AuditEntry> audited(Services &s, const QString &action, const QString &object = {})
{
    QList<AuditEntry> out;
    const auto entries = s.audit.list({object, action, 0, 1000});
    for (const AuditEntry &e : entries.value())
        if (e.action == action)
            out << e;
    return out;
}

} // namespace

class TestRules : public QObject
{
    Q_OBJECT
    std::unique_ptr<Books> b;

    /// Both seats' clocks move together.
    void advance(Seat &other, qint64 ms)
    {
        b->clock->advanceMs(ms);
        other.clock->setNowMs(b->clock->nowMs());
    }
    Result<PaymentService::Closed> close(Services &s, const User &who, const QString &orderNo)
    {
        return b->await<PaymentService::Closed>([&](QObject *ctx, auto done) { s.payments.close(who, orderNo, ctx, done); });
    }
    Result<PaymentService::Started> repay(Services &s, const User &who, const QString &orderNo)
    {
        return b->await<PaymentService::Started>([&](QObject *ctx, auto done) { s.payments.repay(who, orderNo, ChannelKind::Sim, ctx, done); });
    }
    QString simState(const QString &outTradeNo)
    {
        auto q = Sql::exec(b->s->db->connection(), u"SELECT state FROM sim_payments WHERE out_trade_no = :n"_s, {{":n", outTradeNo}});
        return q && q.value().next() ? q.value().value(0).toString() : QString();
    }
    /// No payment of the order is open, in our books or at the channel.
    void verifyNothingOpen(const QString &orderNo)
    {
        for (const PaymentAttempt &a : b->attempts(orderNo)) {
            QVERIFY2(!Transitions::isOpen(a.state), qPrintable(a.outTradeNo + u" is "_s + toString(a.state)));
            QVERIFY2(simState(a.outTradeNo) != u"NOTPAY"_s, qPrintable(a.outTradeNo + u" is open at the channel"_s));
        }
    }

private slots:
    void init()
    {
        b = std::make_unique<Books>();
        if (!b->open())
            PAYDESK_REQUIRE_DB(b->scratch);
    }
    void cleanup() { b.reset(); }

    // ---- refunds ---------------------------------------------------------------------------

    void refundsEndAfter365Days()
    {
        const Order o = b->paidOrder(u"100.00"_s);
        const RefundService::Request req{o.orderNo, u"1.00"_s, false, u"late return"_s, {}, {}};
        b->clock->advanceMs(364LL * 24 * 3600 * 1000);
        QVERIFY(b->s->refundService.request(b->clerk, req).ok());
        b->clock->advanceMs(2LL * 24 * 3600 * 1000);
        auto late = b->s->refundService.request(b->clerk, req);
        QVERIFY(!late.ok());
        QCOMPARE(late.error().code, u"refund.too_late"_s);
        QVERIFY2(late.error().message.contains(u"365 days"_s), qPrintable(late.error().message));
        QCOMPARE(b->s->refunds.ofOrder(o.id)->size(), 1);
        const auto refused = audited(*b->s, u"refund.request.refused"_s, u"order:"_s + o.orderNo);
        QCOMPARE(refused.size(), 1);
        QCOMPARE(refused[0].details.value(u"code"_s).toString(), u"refund.too_late"_s);
    }

    void atMostFiftyRefundsPerPayment()
    {
        const Order o = b->paidOrder(u"100.00"_s);
        // A refund finance rejected never reaches the channel, so it does not count.
        auto rejected = b->s->refundService.request(b->clerk, RefundService::Request{o.orderNo, u"0.01"_s, false, u"mistake"_s, {}, {}});
        QVERIFY(rejected.ok());
        QVERIFY(b->s->refundService.reject(b->finance, rejected->refund.outRefundNo, u"entered twice"_s).ok());
        for (int i = 0; i < 50; ++i) {
            auto r = b->s->refundService.request(b->clerk, RefundService::Request{o.orderNo, u"0.01"_s, false, u"piece %1"_s.arg(i), {}, {}});
            QVERIFY2(r.ok(), qPrintable(u"refund %1: "_s.arg(i + 1) + (r.ok() ? QString() : r.error().message)));
        }
        auto more = b->s->refundService.request(b->clerk, RefundService::Request{o.orderNo, u"0.01"_s, false, u"one more"_s, {}, {}});
        QVERIFY(!more.ok());
        QCOMPARE(more.error().code, u"refund.too_many"_s);
        QVERIFY2(more.error().message.contains(u"50"_s), qPrintable(more.error().message));
        QCOMPARE(b->s->refunds.ofOrder(o.id)->size(), 51); // 50 and the rejected one
        // There is money left, but "all that is left" is one refund too many as well.
        auto all = b->s->refundService.request(b->clerk, RefundService::Request{o.orderNo, {}, true, u"the rest"_s, {}, {}});
        QCOMPARE(all.error().code, u"refund.too_many"_s);
        QCOMPARE(b->s->refundService.refundable(o.orderNo)->minor(), qint64(10000 - 50));
    }

    void refundsOfUnpaidOrdersAreRefused()
    {
        const auto st = b->checkout(u"10.00"_s);
        const RefundService::Request req{st.order.orderNo, u"1.00"_s, false, u"x"_s, {}, {}};
        QCOMPARE(b->s->refundService.request(b->clerk, req).error().code, u"refund.not_paid"_s);
        QVERIFY(close(*b->s, b->clerk, st.order.orderNo).ok());
        QCOMPARE(b->s->refundService.request(b->clerk, req).error().code, u"refund.not_paid"_s);
        auto all = req;
        all.all = true;
        QCOMPARE(b->s->refundService.request(b->clerk, all).error().code, u"refund.not_paid"_s);
        auto unknown = req;
        unknown.orderNo = u"PD000"_s;
        QCOMPARE(b->s->refundService.request(b->clerk, unknown).error().code, u"order.not_found"_s);
        QVERIFY(b->s->refunds.ofOrder(st.order.id)->isEmpty());
    }

    void fourEyesForRejectsAndAdministrators()
    {
        const Order o = b->paidOrder(u"50.00"_s);
        auto own = b->s->refundService.request(b->finance, RefundService::Request{o.orderNo, u"5.00"_s, false, u"x"_s, {}, {}});
        QVERIFY(own.ok());
        const QString no = own->refund.outRefundNo;
        QCOMPARE(b->s->refundService.reject(b->finance, no, u"changed my mind"_s).error().code, u"refund.four_eyes"_s);
        QCOMPARE(b->s->refundService.approve(b->admin, no, {}).error().code, u"role.finance_only"_s);
        QCOMPARE(b->s->refundService.reject(b->clerk, no, u"no"_s).error().code, u"role.finance_only"_s);
        // A note of blanks is no note.
        QCOMPARE(b->s->refundService.reject(b->finance2, no, u"   "_s).error().code, u"refund.note_required"_s);
        QCOMPARE(toString(b->s->refunds.byOutRefundNo(no)->state), u"REQUESTED"_s);
        auto rejected = b->s->refundService.reject(b->finance2, no, u"not returned"_s);
        QVERIFY(rejected.ok());
        QCOMPARE(rejected->refund.reviewedBy, u"finance2"_s);
        QCOMPARE(rejected->refund.reviewNote, u"not returned"_s);
        // Rejecting again is one rejection; approving it now is refused.
        auto again = b->s->refundService.reject(b->finance2, no, u"still no"_s);
        QVERIFY(again.ok() && again->repeated);
        QCOMPARE(b->s->refundService.approve(b->finance2, no, {}).error().code, u"refund.already_reviewed"_s);
    }

    void refundOfTheOrderGoesToThePaymentThatPaidIt()
    {
        // The customer pays the old QR after it was replaced: the second payment pays the
        // order, the first is extra money with a proposed refund of its own.
        const auto st = b->checkout(u"30.00"_s);
        auto second = repay(*b->s, b->clerk, st.order.orderNo);
        QVERIFY2(second.ok(), qPrintable(second.ok() ? QString() : second.error().message));
        QTRY_VERIFY(second->task.isNull() || second->task->state() != PayTask::State::Running);
        const QString first = st.attempt->outTradeNo, paying = second->attempt->outTradeNo;
        QVERIFY(b->s->reconciler.applyPayment(b->sim->customerPays(paying).value(), u"system"_s, u"t"_s).ok());
        auto late = b->s->reconciler.applyPayment(b->sim->customerPays(first, true).value(), u"system"_s, u"t"_s);
        QVERIFY(late.ok());
        QCOMPARE(int(late->outcome), int(Reconciler::Outcome::DuplicatePayment));
        // "Refund all" of the order is all of the payment that paid it.
        auto all = b->s->refundService.request(b->clerk, RefundService::Request{st.order.orderNo, {}, true, u"cancelled"_s, {}, {}});
        QVERIFY2(all.ok(), qPrintable(all.ok() ? QString() : all.error().message));
        QCOMPARE(all->refund.amountMinor, qint64(3000));
        QCOMPARE(all->refund.attemptId, b->s->orders.attemptByOutTradeNo(paying)->id);
        QCOMPARE(b->s->refundService.refundable(st.order.orderNo)->minor(), qint64(0));
        // The extra money is still refundable through its own payment (its proposal holds it).
        QCOMPARE(b->s->refundService.refundable(st.order.orderNo, first)->minor(), qint64(0));
        QCOMPARE(b->s->refunds.ofOrder(st.order.id)->size(), 2);
    }

    void sameKeyFromTwoSeatsAtOnceIsOneRefund()
    {
        Seat other(b->scratch.url(), b->clock->nowMs());
        const Order o = b->paidOrder(u"500.00"_s);
        for (int round = 0; round < 8; ++round) {
            const RefundService::Request req{o.orderNo, u"10.00"_s, false, u"double click"_s, {}, u"key-%1"_s.arg(round)};
            std::optional<Result<RefundService::Requested>> mine, theirs;
            std::latch go(2);
            std::thread t1([&]() { go.arrive_and_wait(); mine = b->s->refundService.request(b->clerk, req); });
            std::thread t2([&]() { go.arrive_and_wait(); theirs = other.s->refundService.request(b->clerk2, req); });
            t1.join();
            t2.join();
            QVERIFY2(mine->ok(), qPrintable(mine->ok() ? QString() : mine->error().message));
            QVERIFY2(theirs->ok(), qPrintable(theirs->ok() ? QString() : theirs->error().message));
            QCOMPARE(mine->value().refund.outRefundNo, theirs->value().refund.outRefundNo);
            QVERIFY(mine->value().repeated != theirs->value().repeated);
            QCOMPARE(b->s->refunds.ofOrder(o.id)->size(), round + 1);
        }
        QVERIFY(b->s->audit.verify()->intact);
    }

    void capHoldsForTwoSeatsAtOnce()
    {
        Seat other(b->scratch.url(), b->clock->nowMs());
        for (int round = 0; round < 6; ++round) {
            const Order o = b->paidOrder(u"100.00"_s);
            const bool all = round % 2 == 1;
            const RefundService::Request req{o.orderNo, u"60.00"_s, all, u"both at once"_s, {}, {}};
            std::optional<Result<RefundService::Requested>> mine, theirs;
            std::latch go(2);
            std::thread t1([&]() { go.arrive_and_wait(); mine = b->s->refundService.request(b->clerk, req); });
            std::thread t2([&]() { go.arrive_and_wait(); theirs = other.s->refundService.request(b->clerk2, req); });
            t1.join();
            t2.join();
            QVERIFY(mine->ok() != theirs->ok());
            const Error &refused = mine->ok() ? theirs->error() : mine->error();
            QCOMPARE(refused.code, all ? u"refund.nothing_left"_s : u"refund.exceeds_refundable"_s);
            QCOMPARE(b->s->refundService.refundable(o.orderNo)->minor(), all ? qint64(0) : qint64(4000));
        }
    }

    // ---- repay and close -------------------------------------------------------------------

    void repayOfAClosedOrExpiredOrderIsRefused()
    {
        const auto st = b->checkout(u"20.00"_s);
        QVERIFY(close(*b->s, b->clerk, st.order.orderNo).ok());
        auto r = repay(*b->s, b->clerk, st.order.orderNo);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"order.not_pending"_s);
        QVERIFY2(r.error().message.contains(u"is closed;"_s), qPrintable(r.error().message)); // in words, not CLOSED
        const auto refused = audited(*b->s, u"order.repay.refused"_s, u"order:"_s + st.order.orderNo);
        QCOMPARE(refused.size(), 1);
        QCOMPARE(refused[0].details.value(u"code"_s).toString(), u"order.not_pending"_s);

        const auto late = b->checkout(u"20.00"_s, 10 * 60'000);
        b->clock->advanceMs(10 * 60'000 + 1);
        auto expired = repay(*b->s, b->clerk, late.order.orderNo);
        QCOMPARE(expired.error().code, u"repay.expired"_s);
        QCOMPARE(b->attempts(late.order.orderNo).size(), 1);
    }

    void closeOfANonPendingOrderIsRefused()
    {
        const Order o = b->paidOrder(u"8.00"_s);
        auto r = close(*b->s, b->clerk, o.orderNo);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"order.not_pending"_s);
        QCOMPARE(toString(b->order(o.orderNo).state), u"PAID"_s);
        const auto refused = audited(*b->s, u"order.close.refused"_s, u"order:"_s + o.orderNo);
        QCOMPARE(refused.size(), 1);
        QCOMPARE(refused[0].details.value(u"state"_s).toString(), u"PAID"_s);
        // Counter actions need a counter role.
        const auto st = b->checkout(u"8.00"_s);
        QCOMPARE(close(*b->s, b->finance, st.order.orderNo).error().code, u"role.counter_only"_s);
        QCOMPARE(repay(*b->s, b->finance, st.order.orderNo).error().code, u"role.counter_only"_s);
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PENDING"_s);
        // An administrator may.
        auto byAdmin = close(*b->s, b->admin, st.order.orderNo);
        QVERIFY(byAdmin.ok());
        QCOMPARE(toString(byAdmin->order.state), u"CLOSED"_s);
    }

    void twoSeatsClosingAtOnceCloseOnce()
    {
        Seat other(b->scratch.url(), b->clock->nowMs());
        const auto st = b->checkout(u"9.90"_s);
        std::optional<Result<PaymentService::Closed>> mine, theirs;
        QObject ctx;
        b->s->payments.close(b->clerk, st.order.orderNo, &ctx, [&](const auto &r) { mine = r; });
        other.s->payments.close(b->clerk2, st.order.orderNo, &ctx, [&](const auto &r) { theirs = r; });
        QTRY_VERIFY(mine.has_value() && theirs.has_value());
        // Both succeed: one closed it, the other reports that it was closed already.
        QVERIFY2(mine->ok(), qPrintable(mine->ok() ? QString() : mine->error().message));
        QVERIFY2(theirs->ok(), qPrintable(theirs->ok() ? QString() : theirs->error().message));
        QVERIFY(mine->value().alreadyClosed != theirs->value().alreadyClosed);
        QCOMPARE(toString(theirs->value().order.state), u"CLOSED"_s);
        QCOMPARE(audited(*b->s, u"order.close"_s, u"order:"_s + st.order.orderNo).size(), 1);
        QVERIFY(b->s->audit.verify()->intact);
    }

    void closeAndRepayAtOnceLeaveNoOpenPayment_data()
    {
        QTest::addColumn<bool>("closeFirst");
        QTest::newRow("close first") << true;
        QTest::newRow("repay first") << false;
    }
    void closeAndRepayAtOnceLeaveNoOpenPayment()
    {
        QFETCH(bool, closeFirst);
        Seat other(b->scratch.url(), b->clock->nowMs());
        const auto st = b->checkout(u"19.90"_s);
        std::optional<Result<PaymentService::Closed>> closed;
        std::optional<Result<PaymentService::Started>> repaid;
        QObject ctx;
        auto startClose = [&]() { other.s->payments.close(b->clerk2, st.order.orderNo, &ctx, [&](const auto &r) { closed = r; }); };
        auto startRepay = [&]() { b->s->payments.repay(b->clerk, st.order.orderNo, ChannelKind::Sim, &ctx, [&](const auto &r) { repaid = r; }); };
        if (closeFirst) {
            startClose();
            startRepay();
        } else {
            startRepay();
            startClose();
        }
        QTRY_VERIFY(closed.has_value() && repaid.has_value());
        if (repaid->ok())
            QTRY_VERIFY(repaid->value().task.isNull() || repaid->value().task->state() != PayTask::State::Running);
        QTest::qWait(50); // a payment given up meanwhile is closed at the channel right after
        // Whoever won, the order ends closed or with exactly one live payment, never closed
        // with a QR code still open.
        const Order now = b->order(st.order.orderNo);
        if (now.state == OrderState::Closed) {
            verifyNothingOpen(st.order.orderNo);
        } else {
            QCOMPARE(toString(now.state), u"PENDING"_s);
            int open = 0;
            for (const PaymentAttempt &a : b->attempts(st.order.orderNo))
                open += Transitions::isOpen(a.state) ? 1 : 0;
            QCOMPARE(open, 1);
        }
        // A customer cannot pay a closed order.
        if (now.state == OrderState::Closed)
            for (const PaymentAttempt &a : b->attempts(st.order.orderNo))
                QVERIFY(!b->sim->customerPays(a.outTradeNo).ok());
    }

    void paymentGivenUpWhileTheChannelMadeItIsClosedThere()
    {
        // This seat's channel answers slowly; the other seat closes the order meanwhile and
        // finds nothing at the channel yet.
        Seat other(b->scratch.url(), b->clock->nowMs());
        b->sim->setLatencyMs(1000); // far longer than the other seat's close takes
        NewOrder req;
        req.amount = u"12.00"_s;
        req.title = u"tea"_s;
        auto st = b->s->payments.checkout(b->clerk, req, ChannelKind::Sim);
        QVERIFY(st.ok());
        const QString otn = st->attempt->outTradeNo;
        auto closed = close(*other.s, b->clerk2, st->order.orderNo);
        QVERIFY2(closed.ok(), qPrintable(closed.ok() ? QString() : closed.error().message));
        QCOMPARE(toString(closed->order.state), u"CLOSED"_s);
        QVERIFY(!st->task.isNull());
        QSignalSpy done(st->task.data(), &PayTask::finished);
        QVERIFY(done.wait(5000));
        QCOMPARE(int(st->task->state()), int(PayTask::State::Failed));
        QCOMPARE(st->task->error().code, u"payment.abandoned"_s);
        QTRY_COMPARE(simState(otn), u"CLOSED"_s);
        verifyNothingOpen(st->order.orderNo);
        QVERIFY(!b->sim->customerPays(otn).ok()); // no money after close
        QVERIFY(b->s->refundService.anomalies(AnomalyState::Open)->isEmpty());
    }

    void staleNotExistDoesNotFailALivePayment()
    {
        const auto st = b->checkout(u"5.00"_s);
        PaymentStatus stale;
        stale.outTradeNo = st.attempt->outTradeNo;
        stale.state = TradeState::NotExist;
        stale.rawState = u"NOT_EXIST"_s;
        auto applied = b->s->reconciler.applyPayment(stale, u"system"_s, u"test"_s);
        QVERIFY(applied.ok());
        QCOMPARE(int(applied->outcome), int(Reconciler::Outcome::StillOpen));
        QCOMPARE(toString(b->attempts(st.order.orderNo)[0].state), u"PAYING"_s);
    }

    // ---- the audit of refusals and logins -----------------------------------------------------

    void refusalsAreAudited_data()
    {
        QTest::addColumn<QString>("action");
        QTest::addColumn<QString>("code");
        QTest::newRow("checkout by finance") << "order.create.refused" << "role.counter_only";
        QTest::newRow("bad amount") << "order.create.refused" << "money.not_a_number";
        QTest::newRow("close by finance") << "order.close.refused" << "role.counter_only";
        QTest::newRow("close of no order") << "order.close.refused" << "order.not_found";
        QTest::newRow("repay by finance") << "order.repay.refused" << "role.counter_only";
        QTest::newRow("repay of no order") << "order.repay.refused" << "order.not_found";
        QTest::newRow("refund by admin") << "refund.request.refused" << "role.refund_request";
        QTest::newRow("refund without reason") << "refund.request.refused" << "refund.reason_required";
        QTest::newRow("refund too much") << "refund.request.refused" << "refund.exceeds_refundable";
        QTest::newRow("approve by clerk") << "refund.approve.refused" << "role.finance_only";
        QTest::newRow("approve own") << "refund.approve.refused" << "refund.four_eyes";
        QTest::newRow("approve no refund") << "refund.approve.refused" << "refund.not_found";
        QTest::newRow("reject without note") << "refund.reject.refused" << "refund.note_required";
        QTest::newRow("resolve by clerk") << "anomaly.resolve.refused" << "role.finance_only";
        QTest::newRow("resolve without note") << "anomaly.resolve.refused" << "anomaly.note_required";
        QTest::newRow("resolve no anomaly") << "anomaly.resolve.refused" << "anomaly.not_found";
    }
    void refusalsAreAudited()
    {
        QFETCH(QString, action);
        QFETCH(QString, code);
        Services &s = *b->s;
        const Order paid = b->paidOrder(u"10.00"_s);
        const auto pending = b->checkout(u"10.00"_s);
        auto financeRefund = s.refundService.request(b->finance, RefundService::Request{paid.orderNo, u"1.00"_s, false, u"x"_s, {}, {}});
        QVERIFY(financeRefund.ok());
        const QString refundNo = financeRefund->refund.outRefundNo;
        // An anomaly to resolve: money after close.
        QVERIFY(close(s, b->clerk, pending.order.orderNo).ok());
        QVERIFY(s.reconciler.applyPayment(b->sim->customerPays(pending.attempt->outTradeNo, true).value(), u"system"_s, u"t"_s).ok());
        const qint64 anomaly = s.refundService.anomalies(AnomalyState::Open)->first().id;
        const qint64 before = s.audit.verify()->checked;

        const QString tag = QString::fromLatin1(QTest::currentDataTag());
        std::optional<Error> error;
        auto keep = [&](const auto &r) {
            if (!r.ok())
                error = r.error();
        };
        NewOrder order;
        order.amount = u"10.00"_s;
        order.title = u"tea"_s;
        const RefundService::Request refund{paid.orderNo, u"1.00"_s, false, u"x"_s, {}, {}};
        if (tag == u"checkout by finance"_s) {
            keep(s.payments.checkout(b->finance, order, ChannelKind::Sim));
        } else if (tag == u"bad amount"_s) {
            order.amount = u"abc"_s;
            keep(s.payments.checkout(b->clerk, order, ChannelKind::Sim));
        } else if (tag == u"close by finance"_s) {
            keep(close(s, b->finance, paid.orderNo));
        } else if (tag == u"close of no order"_s) {
            keep(close(s, b->clerk, u"PD000"_s));
        } else if (tag == u"repay by finance"_s) {
            keep(repay(s, b->finance, paid.orderNo));
        } else if (tag == u"repay of no order"_s) {
            keep(repay(s, b->clerk, u"PD000"_s));
        } else if (tag == u"refund by admin"_s) {
            keep(s.refundService.request(b->admin, refund));
        } else if (tag == u"refund without reason"_s) {
            auto r = refund;
            r.reason = u" "_s;
            keep(s.refundService.request(b->clerk, r));
        } else if (tag == u"refund too much"_s) {
            auto r = refund;
            r.amount = u"9.01"_s;
            keep(s.refundService.request(b->clerk, r));
        } else if (tag == u"approve by clerk"_s) {
            keep(s.refundService.approve(b->clerk, refundNo, {}));
        } else if (tag == u"approve own"_s) {
            keep(s.refundService.approve(b->finance, refundNo, {}));
        } else if (tag == u"approve no refund"_s) {
            keep(s.refundService.approve(b->finance2, u"RF000"_s, {}));
        } else if (tag == u"reject without note"_s) {
            keep(s.refundService.reject(b->finance2, refundNo, {}));
        } else if (tag == u"resolve by clerk"_s) {
            keep(s.refundService.resolveAnomaly(b->clerk, anomaly, u"x"_s));
        } else if (tag == u"resolve without note"_s) {
            keep(s.refundService.resolveAnomaly(b->finance, anomaly, {}));
        } else if (tag == u"resolve no anomaly"_s) {
            keep(s.refundService.resolveAnomaly(b->finance, 999'999, u"x"_s));
        } else {
            QFAIL("unknown row");
        }
        QVERIFY2(error.has_value(), "the action was not refused");
        QCOMPARE(error->code, code);
        // One audit entry that names the rule, on the chain, and nothing else changed.
        const auto v = s.audit.verify();
        QVERIFY(v->intact);
        QCOMPARE(v->checked, before + 1);
        const auto entries = s.audit.list({{}, {}, 0, 1}).value();
        QCOMPARE(entries.size(), 1);
        QCOMPARE(entries[0].action, action);
        QCOMPARE(entries[0].details.value(u"code"_s).toString(), code);
        QVERIFY(!entries[0].user.isEmpty());
    }

    void failedLoginsAreAuditedAndThrottled()
    {
        UserDirectory &users = b->s->users;
        const QString good = u"correct-horse-1"_s;
        for (int i = 1; i <= UserDirectory::kFreeFailures; ++i) {
            auto r = users.login(u"clerk"_s, u"wrong"_s);
            QCOMPARE(r.error().code, u"login.failed"_s);
            const auto failed = audited(*b->s, u"login.failed"_s, u"user:clerk"_s);
            QCOMPARE(failed.size(), i);
            QCOMPARE(failed[0].details.value(u"failed_logins"_s).toInt(), i);
            QCOMPARE(failed[0].details.value(u"reason"_s).toString(), u"bad password"_s);
        }
        // Locked for a while now, even with the right password; that is audited too.
        QVERIFY(audited(*b->s, u"login.failed"_s, u"user:clerk"_s)[0].details.contains(u"locked_ms"_s));
        auto locked = users.login(u"clerk"_s, good);
        QCOMPARE(locked.error().code, u"login.throttled"_s);
        QCOMPARE(audited(*b->s, u"login.throttled"_s, u"user:clerk"_s).size(), 1);
        b->clock->advanceMs(UserDirectory::kMaxLockMs);
        auto ok = users.login(u"clerk"_s, good);
        QVERIFY2(ok.ok(), qPrintable(ok.ok() ? QString() : ok.error().message));
        QCOMPARE(users.find(u"clerk"_s)->failedLogins, 0);
        QCOMPARE(audited(*b->s, u"login"_s, u"user:clerk"_s).size(), 1);
        // Unknown users and disabled accounts are refused and audited the same way.
        QCOMPARE(users.login(u"nobody"_s, good).error().code, u"login.failed"_s);
        QCOMPARE(audited(*b->s, u"login.failed"_s, u"user:nobody"_s)[0].details.value(u"reason"_s).toString(), u"unknown user"_s);
        QVERIFY(users.setActive(u"admin"_s, u"clerk2"_s, false).ok());
        QCOMPARE(users.login(u"clerk2"_s, good).error().code, u"login.disabled"_s);
        QCOMPARE(audited(*b->s, u"login.failed"_s, u"user:clerk2"_s)[0].details.value(u"reason"_s).toString(), u"disabled"_s);
        QVERIFY(b->s->audit.verify()->intact);
    }
};

QTEST_GUILESS_MAIN(TestRules)
#include "tst_rules.moc"
