#include "Fixture.h"
#include <QRegularExpression>

using namespace paydesk;
using namespace paydesk::test;
using namespace Qt::StringLiterals;

class TestPayments : public QObject
{
    Q_OBJECT
    std::unique_ptr<Books> b;

private slots:
    void init()
    {
        b = std::make_unique<Books>();
        if (!b->open())
            PAYDESK_REQUIRE_DB(b->scratch);
    }
    void cleanup() { b.reset(); }

    void checkoutPutsThePaymentAtTheChannel()
    {
        const auto st = b->checkout(u"12.30"_s);
        QCOMPARE(toString(st.order.state), u"PENDING"_s);
        const auto attempts = b->attempts(st.order.orderNo);
        QCOMPARE(attempts.size(), 1);
        QCOMPARE(toString(attempts[0].state), u"PAYING"_s);
        // Numbered so that every channel takes it (Alipay: [A-Za-z0-9_]{1,64}; issue 17).
        QCOMPARE(attempts[0].outTradeNo, st.order.orderNo + u"_01"_s);
        QVERIFY(QRegularExpression(u"^[A-Za-z0-9_]{1,64}$"_s).match(attempts[0].outTradeNo).hasMatch());
        QVERIFY(attempts[0].codeUrl.startsWith(u"paydesk-sim://pay/"_s));
        // The channel closes the QR a safety buffer before our own deadline.
        QCOMPARE(attempts[0].expiresAt, st.order.expiresAt - 60'000);
        QCOMPARE(b->events(u"create"_s, attempts[0].outTradeNo, u"OK"_s), 1);
    }

    void zeroTotalIsPaidAndNeverReachesTheChannel()
    {
        NewOrder req;
        req.amount = u"0"_s;
        req.title = u"gift"_s;
        req.zeroTotal = true;
        auto st = b->s->payments.checkout(b->clerk, req, ChannelKind::Sim);
        QVERIFY(st.ok());
        QCOMPARE(toString(st->order.state), u"PAID"_s);
        QVERIFY(!st->attempt.has_value());
        QVERIFY(b->attempts(st->order.orderNo).isEmpty());
        QCOMPARE(b->sim->ledger(st->order.orderNo)->size(), 0);
    }

    void safeFailuresAreRetriedWithTheSameNumber()
    {
        b->sim->injectFault({u"create"_s, ChannelError::Kind::Server, 2, false});
        const auto st = b->checkout(u"5.00"_s);
        const auto attempts = b->attempts(st.order.orderNo);
        QCOMPARE(toString(attempts[0].state), u"PAYING"_s);
        QVERIFY(st.task.isNull() || st.task->tries() == 3);
        // Two faults then the real call, all with the one out_trade_no.
        QCOMPARE(b->events(u"create"_s, attempts[0].outTradeNo, u"FAULT"_s), 2);
        QCOMPARE(b->events(u"create"_s, attempts[0].outTradeNo, u"OK"_s), 1);
    }

    void unsafeFailuresAreKeptOnTheAttempt()
    {
        b->sim->injectFault({u"create"_s, ChannelError::Kind::Rejected, 1, false});
        NewOrder req;
        req.amount = u"5.00"_s;
        req.title = u"tea"_s;
        auto st = b->s->payments.checkout(b->clerk, req, ChannelKind::Sim);
        QVERIFY(st.ok());
        QSignalSpy done(st->task.data(), &PayTask::finished);
        QVERIFY(done.wait(5000));
        QCOMPARE(int(st->task->state()), int(PayTask::State::Failed));
        const auto attempts = b->attempts(st->order.orderNo);
        QCOMPARE(toString(attempts[0].state), u"FAILED"_s);
        QVERIFY(!attempts[0].lastError.isEmpty());
        QCOMPARE(b->events(u"create"_s, attempts[0].outTradeNo), 1); // not retried
    }

    void retriesStopAtTheAttemptsExpiry()
    {
        b->s->payments.setRetries(5);
        b->sim->injectFault({u"create"_s, ChannelError::Kind::Timeout, 10, false});
        NewOrder req;
        req.amount = u"5.00"_s;
        req.title = u"tea"_s;
        auto st = b->s->payments.checkout(b->clerk, req, ChannelKind::Sim);
        QVERIFY(st.ok());
        QSignalSpy done(st->task.data(), &PayTask::finished);
        QVERIFY(done.wait(30000));
        QCOMPARE(st->task->tries(), 6); // 1 + at most 5 retries, never more
    }

    void counterActionsNeedACounterRole()
    {
        NewOrder req;
        req.amount = u"5.00"_s;
        req.title = u"tea"_s;
        auto st = b->s->payments.checkout(b->finance, req, ChannelKind::Sim);
        QVERIFY(!st.ok());
        QCOMPARE(st.error().code, u"role.counter_only"_s);
    }

    // Issue 13 item 4: the actor is read from the database for every money action, so a
    // window that signed in as a clerk or finance user stops the moment ADMIN acts.
    void disabledOrDemotedUsersStopAtOnce()
    {
        const Order o = b->paidOrder(u"40.00"_s);
        auto req = b->s->refundService.request(b->clerk, RefundService::Request{o.orderNo, u"10.00"_s, false, u"returned"_s, {}, {}});
        QVERIFY(req.ok());
        const QString no = req->refund.outRefundNo;

        // Finance is disabled while their window still holds the struct from sign-in.
        const User staleFinance = b->finance;
        QVERIFY(b->s->users.setActive(b->admin.login, b->finance.login, false).ok());
        auto approve = b->s->refundService.approve(staleFinance, no, QString());
        QCOMPARE(approve.error().code, u"user.inactive"_s);
        QCOMPARE(toString(b->s->refunds.byOutRefundNo(no)->state), u"REQUESTED"_s);
        QCOMPARE(b->s->reconService.checkRole(staleFinance).error().code, u"user.inactive"_s);

        // A clerk demoted to FINANCE can no longer take money at the counter, and the struct
        // claiming CLERK does not help; promoted to FINANCE they review (not their own request).
        const User staleClerk = b->clerk;
        QCOMPARE(b->s->users.setRole(b->clerk.login, b->clerk.login, Role::Admin).error().code, u"user.admin_required"_s);
        QVERIFY(b->s->users.setRole(b->admin.login, b->clerk.login, Role::Finance).ok());
        NewOrder order;
        order.amount = u"5.00"_s;
        order.title = u"tea"_s;
        QCOMPARE(b->s->payments.checkout(staleClerk, order, ChannelKind::Sim).error().code, u"role.counter_only"_s);
        QCOMPARE(b->s->orders.list({}).value().size(), 1); // no order was written
        QCOMPARE(b->s->refundService.approve(staleClerk, no, QString()).error().code, u"refund.four_eyes"_s);
        auto byFinance2 = b->s->refundService.approve(b->finance2, no, QString());
        QVERIFY(byFinance2.ok());

        // Unknown logins are refused, and the last ADMIN cannot be demoted.
        User ghost = b->admin;
        ghost.login = u"ghost"_s;
        QCOMPARE(b->s->payments.checkout(ghost, order, ChannelKind::Sim).error().code, u"user.unknown"_s);
        QCOMPARE(b->s->users.setRole(b->admin.login, b->admin.login, Role::Clerk).error().code, u"user.last_admin"_s);
        AuditLog::Filter f;
        f.object = u"user:clerk"_s;
        const auto entries = b->s->audit.list(f);
        QVERIFY(entries.ok());
        QCOMPARE(entries->first().action, u"user.role"_s);
        QCOMPARE(entries->first().details.value(u"before"_s).toString(), u"CLERK"_s);
        QCOMPARE(entries->first().details.value(u"after"_s).toString(), u"FINANCE"_s);
    }

    void repayClosesThePreviousAttemptFirst()
    {
        const auto st = b->checkout(u"20.00"_s);
        const QString first = st.attempt->outTradeNo;
        b->clock->advanceMs(5 * 60'000);
        auto r = b->await<PaymentService::Started>([&](QObject *ctx, auto done) { b->s->payments.repay(b->clerk, st.order.orderNo, ChannelKind::Sim, ctx, done); });
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        // The task may already have finished while await() ran the event loop.
        QTRY_VERIFY_WITH_TIMEOUT(r->task.isNull() || r->task->state() != PayTask::State::Running, 5000);
        const auto attempts = b->attempts(st.order.orderNo);
        QCOMPARE(attempts.size(), 2);
        QCOMPARE(toString(attempts[0].state), u"CLOSED"_s);
        QCOMPARE(toString(attempts[1].state), u"PAYING"_s);
        QCOMPARE(attempts[1].outTradeNo, st.order.orderNo + u"_02"_s);
        QCOMPARE(attempts[1].expiresAt, st.order.expiresAt - 60'000); // the time really left
        // The old QR was closed at the channel before the new one was made.
        const auto ledger = b->sim->ledger(st.order.orderNo).value();
        qsizetype closeAt = -1, createAt = -1;
        for (qsizetype i = 0; i < ledger.size(); ++i) {
            if (ledger[i].op == u"close"_s && ledger[i].ref == first)
                closeAt = i;
            if (ledger[i].op == u"create"_s && ledger[i].ref == attempts[1].outTradeNo)
                createAt = i;
        }
        QVERIFY(closeAt >= 0 && createAt > closeAt);
    }

    void repayIsRefusedWithTheTimeLeft()
    {
        const auto st = b->checkout(u"20.00"_s);
        b->clock->advanceMs(30 * 60'000 - 90'000); // 1:30 left; buffer 60 s + minimum 1 s fits ...
        QVERIFY(b->s->settings.change(b->admin.login, u"repay_buffer_s"_s, 120).ok()); // ... but not with a 2 min buffer
        auto r = b->await<PaymentService::Started>([&](QObject *ctx, auto done) { b->s->payments.repay(b->clerk, st.order.orderNo, ChannelKind::Sim, ctx, done); });
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"repay.too_late"_s);
        QVERIFY2(r.error().message.contains(u"01:30"_s), qPrintable(r.error().message));
        QCOMPARE(b->attempts(st.order.orderNo).size(), 1); // nothing new
        QCOMPARE(b->events(u"close"_s, st.attempt->outTradeNo), 0); // nothing closed either
    }

    void repayOfAPaidOrderIsRefused()
    {
        const Order o = b->paidOrder(u"8.00"_s);
        auto r = b->await<PaymentService::Started>([&](QObject *ctx, auto done) { b->s->payments.repay(b->clerk, o.orderNo, ChannelKind::Sim, ctx, done); });
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"order.not_pending"_s);
    }

    void repayFindsMoneyThatArrived()
    {
        const auto st = b->checkout(u"20.00"_s);
        QVERIFY(b->sim->customerPays(st.attempt->outTradeNo).ok()); // paid, but nobody told us
        auto r = b->await<PaymentService::Started>([&](QObject *ctx, auto done) { b->s->payments.repay(b->clerk, st.order.orderNo, ChannelKind::Sim, ctx, done); });
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"repay.already_paid"_s);
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PAID"_s);
        QCOMPARE(b->attempts(st.order.orderNo).size(), 1);
    }

    void closeClosesAtTheChannelThenLocally()
    {
        const auto st = b->checkout(u"9.90"_s);
        auto r = b->await<PaymentService::Closed>([&](QObject *ctx, auto done) { b->s->payments.close(b->clerk, st.order.orderNo, ctx, done); });
        QVERIFY(r.ok());
        QCOMPARE(toString(r->order.state), u"CLOSED"_s);
        QCOMPARE(toString(r->order.closeReason), u"MANUAL"_s);
        QCOMPARE(b->events(u"close"_s, st.attempt->outTradeNo, u"OK"_s), 1);
        QCOMPARE(toString(b->attempts(st.order.orderNo)[0].state), u"CLOSED"_s);
    }

    void closeOfAPaidPaymentMakesThePaymentCount()
    {
        const auto st = b->checkout(u"9.90"_s);
        QVERIFY(b->sim->customerPays(st.attempt->outTradeNo).ok());
        auto r = b->await<PaymentService::Closed>([&](QObject *ctx, auto done) { b->s->payments.close(b->clerk, st.order.orderNo, ctx, done); });
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"close.already_paid"_s);
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PAID"_s);
    }

    void doubleCloseIsOneClose()
    {
        const auto st = b->checkout(u"9.90"_s);
        std::optional<Result<PaymentService::Closed>> a, c;
        QObject ctx;
        b->s->payments.close(b->clerk, st.order.orderNo, &ctx, [&](const auto &r) { a = r; });
        b->s->payments.close(b->clerk2, st.order.orderNo, &ctx, [&](const auto &r) { c = r; });
        QTRY_VERIFY(a.has_value() && c.has_value());
        QVERIFY(a->ok() && c->ok());
        QCOMPARE(toString(c->value().order.state), u"CLOSED"_s);
        QCOMPARE(b->events(u"close"_s, st.attempt->outTradeNo), 1);
        // A third close, after the fact, reports what happened.
        auto again = b->await<PaymentService::Closed>([&](QObject *x, auto done) { b->s->payments.close(b->clerk, st.order.orderNo, x, done); });
        QVERIFY(again.ok());
        QVERIFY(again->alreadyClosed);
    }

    void anAnswerAboutOtherMoneyLeavesTheOrderUnpaid_data()
    {
        QTest::addColumn<qint64>("amount");
        QTest::addColumn<QString>("currency");
        QTest::newRow("one fen less") << qint64(4999) << u"CNY"_s;
        QTest::newRow("no amount") << qint64(0) << u"CNY"_s;
        QTest::newRow("other currency") << qint64(5000) << u"USD"_s;
    }
    void anAnswerAboutOtherMoneyLeavesTheOrderUnpaid()
    {
        QFETCH(qint64, amount);
        QFETCH(QString, currency);
        const auto st = b->checkout(u"50.00"_s);
        PaymentStatus paid{st.attempt->outTradeNo, TradeState::Success, u"4200000001"_s, b->clock->nowMs(), amount, u"SUCCESS"_s, currency};
        auto r = b->s->reconciler.applyPayment(paid, u"system"_s, u"notify"_s);
        QVERIFY(r.ok());
        QCOMPARE(int(r->outcome), int(Reconciler::Outcome::AmountMismatch));
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"PENDING"_s); // not PAID
        const auto anomalies = b->s->anomalies.ofOrder(st.order.id).value();
        QCOMPARE(anomalies.size(), 1);
        QCOMPARE(toString(anomalies[0].kind), u"AMOUNT_MISMATCH"_s);
        const auto entries = b->s->audit.list({u"order:"_s + st.order.orderNo, {}, 0, 100}).value();
        const auto named = std::find_if(entries.begin(), entries.end(), [](const AuditEntry &e) { return e.action == u"payment.amount_mismatch"_s; });
        QVERIFY(named != entries.end());
        QCOMPARE(named->details.value(u"channel_txn_id"_s).toString(), u"4200000001"_s);
        QCOMPARE(named->details.value(u"stated_amount"_s).toString(), minorToPlain(amount, 2));
        // The same answer again opens nothing new; the right answer then pays the order.
        QVERIFY(b->s->reconciler.applyPayment(paid, u"system"_s, u"query"_s).ok());
        QCOMPARE(b->s->anomalies.ofOrder(st.order.id)->size(), 1);
        PaymentStatus right{st.attempt->outTradeNo, TradeState::Success, u"4200000001"_s, b->clock->nowMs(), 5000, u"SUCCESS"_s, u"CNY"_s};
        QCOMPARE(int(b->s->reconciler.applyPayment(right, u"system"_s, u"query"_s)->outcome), int(Reconciler::Outcome::Paid));
    }

    void aRefundAnswerAboutOtherMoneyDoesNotEndTheRefund()
    {
        const Order o = b->paidOrder(u"80.00"_s);
        auto req = b->s->refundService.request(b->clerk, RefundService::Request{o.orderNo, u"30.00"_s, false, u"returned"_s, {}, {}});
        QVERIFY(req.ok());
        QVERIFY(b->s->refundService.approve(b->finance, req->refund.outRefundNo, {}).ok());
        RefundResult wrong;
        wrong.outRefundNo = req->refund.outRefundNo;
        wrong.status = RefundStatus::Success;
        wrong.amountMinor = 8000; // the whole payment, not the 30.00 asked for
        wrong.rawStatus = u"SUCCESS"_s;
        auto r = b->s->reconciler.applyRefund(wrong, u"timer"_s, b->clock->nowMs() + 60'000);
        QVERIFY(r.ok());
        QCOMPARE(int(r->outcome), int(Reconciler::Outcome::AmountMismatch));
        const Refund after = b->s->refunds.byOutRefundNo(wrong.outRefundNo).value();
        QCOMPARE(toString(after.state), u"PROCESSING"_s);
        QCOMPARE(b->s->orders.byId(o.id)->refundedMinor, qint64(0));
        QCOMPARE(toString(b->s->orders.byId(o.id)->state), u"PAID"_s);
        QCOMPARE(b->s->anomalies.ofOrder(o.id)->size(), 1);
        QVERIFY(b->s->reconciler.applyRefund(wrong, u"timer"_s, b->clock->nowMs() + 60'000).ok());
        QCOMPARE(b->s->anomalies.ofOrder(o.id)->size(), 1); // told once
    }

    void refreshAppliesTheChannelsAnswer()
    {
        const auto st = b->checkout(u"3.00"_s);
        b->sim->setScript(st.order.orderNo, {SimulatedChannel::Customer::PayAfterDelay, 10'000});
        b->clock->advanceMs(11'000);
        auto r = b->await<PaymentService::Refreshed>([&](QObject *ctx, auto done) { b->s->payments.refresh(u"clerk"_s, st.order.orderNo, ctx, done); });
        QVERIFY(r.ok());
        QCOMPARE(toString(r->order.state), u"PAID"_s);
        QCOMPARE(r->applied.size(), 1);
        // Applying the same answer again changes nothing.
        const auto paid = PaymentStatus{st.attempt->outTradeNo, TradeState::Success, u"x"_s, b->clock->nowMs(), 300, u"SUCCESS"_s, QString()};
        QCOMPARE(int(b->s->reconciler.applyPayment(paid, u"system"_s, u"test"_s)->outcome), int(Reconciler::Outcome::AlreadyApplied));
    }

    void moneyAfterCloseOpensAnAnomalyAndARefund()
    {
        const auto st = b->checkout(u"66.00"_s);
        auto r = b->await<PaymentService::Closed>([&](QObject *ctx, auto done) { b->s->payments.close(b->clerk, st.order.orderNo, ctx, done); });
        QVERIFY(r.ok());
        const auto late = b->sim->customerPays(st.attempt->outTradeNo, true);
        QVERIFY(late.ok());
        auto applied = b->s->reconciler.applyPayment(late.value(), u"system"_s, u"notify"_s);
        QVERIFY(applied.ok());
        QCOMPARE(int(applied->outcome), int(Reconciler::Outcome::PaidAfterClose));
        QCOMPARE(toString(b->order(st.order.orderNo).state), u"CLOSED"_s); // never backwards
        const auto anomalies = b->s->anomalies.ofOrder(st.order.id).value();
        QCOMPARE(anomalies.size(), 1);
        QCOMPARE(toString(anomalies[0].kind), u"PAID_AFTER_CLOSE"_s);
        const auto refunds = b->s->refunds.ofOrder(st.order.id).value();
        QCOMPARE(refunds.size(), 1);
        QCOMPARE(toString(refunds[0].state), u"REQUESTED"_s);
        QCOMPARE(refunds[0].amountMinor, qint64(6600));
    }

    void refundRules()
    {
        const Order o = b->paidOrder(u"100.00"_s);
        RefundService::Request req{o.orderNo, u"60.00"_s, false, u"damaged"_s, {}, {}};
        auto noReason = req;
        noReason.reason.clear();
        QCOMPARE(b->s->refundService.request(b->clerk, noReason).error().code, u"refund.reason_required"_s);
        auto byAdmin = b->s->refundService.request(b->admin, req);
        QCOMPARE(byAdmin.error().code, u"role.refund_request"_s);
        auto bad = req;
        bad.amount = u"0.001"_s;
        QCOMPARE(b->s->refundService.request(b->clerk, bad).error().code, u"money.too_many_decimals"_s);
        auto r = b->s->refundService.request(b->clerk, req);
        QVERIFY(r.ok());
        auto tooMuch = req;
        tooMuch.amount = u"40.01"_s;
        auto refused = b->s->refundService.request(b->clerk, tooMuch);
        QCOMPARE(refused.error().code, u"refund.exceeds_refundable"_s);
        QVERIFY(refused.error().message.contains(u"40.00"_s));
        QCOMPARE(b->s->refundService.refundable(o.orderNo)->minor(), qint64(4000));
        // Four eyes.
        QCOMPARE(b->s->refundService.approve(b->clerk2, r->refund.outRefundNo, {}).error().code, u"role.finance_only"_s);
        auto own = b->s->refundService.request(b->finance, RefundService::Request{o.orderNo, u"1.00"_s, false, u"x"_s, {}, {}});
        QVERIFY(own.ok());
        QCOMPARE(b->s->refundService.approve(b->finance, own->refund.outRefundNo, {}).error().code, u"refund.four_eyes"_s);
        QVERIFY(b->s->refundService.approve(b->finance2, own->refund.outRefundNo, {}).ok());
        // Reject needs a note, and frees the amount.
        QCOMPARE(b->s->refundService.reject(b->finance, r->refund.outRefundNo, {}).error().code, u"refund.note_required"_s);
        QVERIFY(b->s->refundService.reject(b->finance, r->refund.outRefundNo, u"not returned"_s).ok());
        QCOMPARE(b->s->refundService.refundable(o.orderNo)->minor(), qint64(9900));
        // Approving twice is one approval; approving a rejected one is refused.
        auto again = b->s->refundService.approve(b->finance2, own->refund.outRefundNo, {});
        QVERIFY(again.ok() && again->repeated);
        QCOMPARE(b->s->refundService.approve(b->finance2, r->refund.outRefundNo, {}).error().code, u"refund.already_reviewed"_s);
        // All that is left, as one action.
        auto all = b->s->refundService.request(b->clerk, RefundService::Request{o.orderNo, {}, true, u"closing account"_s, {}, {}});
        QVERIFY(all.ok());
        QCOMPARE(all->refund.amountMinor, qint64(9900));
        QCOMPARE(b->s->refundService.request(b->clerk, RefundService::Request{o.orderNo, {}, true, u"x"_s, {}, {}}).error().code,
                 u"refund.nothing_left"_s);
    }

    void sameRequestKeyIsOneRefund()
    {
        const Order o = b->paidOrder(u"50.00"_s);
        RefundService::Request req{o.orderNo, u"10.00"_s, false, u"double click"_s, {}, u"key-1"_s};
        auto a = b->s->refundService.request(b->clerk, req);
        auto c = b->s->refundService.request(b->clerk, req);
        QVERIFY(a.ok() && c.ok());
        QVERIFY(c->repeated);
        QCOMPARE(c->refund.outRefundNo, a->refund.outRefundNo);
        QCOMPARE(b->s->refunds.ofOrder(o.id)->size(), 1);
    }

    void autoApproveThreshold()
    {
        QVERIFY(b->s->settings.change(b->admin.login, u"auto_approve_minor"_s, 500).ok());
        const Order o = b->paidOrder(u"50.00"_s);
        auto small = b->s->refundService.request(b->clerk, RefundService::Request{o.orderNo, u"5.00"_s, false, u"x"_s, {}, {}});
        QVERIFY(small.ok() && small->autoApproved);
        QCOMPARE(toString(small->refund.state), u"APPROVED"_s);
        auto big = b->s->refundService.request(b->clerk, RefundService::Request{o.orderNo, u"5.01"_s, false, u"x"_s, {}, {}});
        QVERIFY(big.ok() && !big->autoApproved);
        QCOMPARE(toString(big->refund.state), u"REQUESTED"_s);
        const auto audit = b->s->audit.list({u"refund:"_s + small->refund.outRefundNo, {}, 0, 10}).value();
        QVERIFY(std::any_of(audit.begin(), audit.end(), [](const AuditEntry &e) { return e.action == u"refund.auto_approve"_s; }));
    }

    void anomaliesAreResolvedByFinanceWithANote()
    {
        const auto st = b->checkout(u"12.00"_s);
        QVERIFY(b->await<PaymentService::Closed>([&](QObject *ctx, auto done) { b->s->payments.close(b->clerk, st.order.orderNo, ctx, done); }).ok());
        QVERIFY(b->s->reconciler.applyPayment(b->sim->customerPays(st.attempt->outTradeNo, true).value(), u"system"_s, u"t"_s).ok());
        const auto open = b->s->refundService.anomalies(AnomalyState::Open).value();
        QCOMPARE(open.size(), 1);
        QCOMPARE(b->s->refundService.resolveAnomaly(b->clerk, open[0].id, u"x"_s).error().code, u"role.finance_only"_s);
        QCOMPARE(b->s->refundService.resolveAnomaly(b->finance, open[0].id, {}).error().code, u"anomaly.note_required"_s);
        auto done = b->s->refundService.resolveAnomaly(b->finance, open[0].id, u"refund approved, customer called"_s);
        QVERIFY(done.ok());
        QCOMPARE(toString(done->state), u"RESOLVED"_s);
        QCOMPARE(b->s->refundService.anomalies(AnomalyState::Open)->size(), 0);
        QVERIFY(b->s->audit.verify()->intact);
    }
};

QTEST_GUILESS_MAIN(TestPayments)
#include "tst_payments.moc"
