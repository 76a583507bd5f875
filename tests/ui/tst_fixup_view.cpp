// "Mark paid" with four eyes in the GUI (issue 15): a clerk asks from the Orders page for an
// order whose money came without an answer; a FINANCE user approves on the review page (the
// channel is asked first and confirms it); the order is paid. Real widgets, offscreen, demo
// books on SQLite or PostgreSQL.
#include "DbWorker.h"
#include "FixupReviewBox.h"
#include "ListModels.h"
#include "MarkPaidDialog.h"
#include "OrdersPage.h"
#include "ReviewPage.h"
#include "UiContext.h"

#include "TestSupport.h"
#include "channels/SimulatedChannel.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QTimer>

using namespace Qt::StringLiterals;
using namespace paydesk;
using namespace paydesk::ui;

class TestFixupView : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        PAYDESK_REQUIRE_DB(m_scratch);
        auto books = test::seedDemoBooks(m_scratch.url(), 80, 2, ChannelKind::WeChat);
        m_s = std::move(books.services);
        m_sim = books.sim;
        m_worker = std::make_unique<DbWorker>(*m_s->db);
    }
    void cleanupTestCase() { m_worker.reset(); }

    void clerkAsksFinanceApprovesTheChannelConfirms()
    {
        OrderFilter pending;
        pending.states = {OrderState::Pending};
        const QList<Order> open = m_s->orders.list(pending).value();
        QVERIFY(!open.isEmpty());
        const Order order = open.first();
        const QList<PaymentAttempt> attempts = m_s->orders.attemptsOf(order.id).value();
        QVERIFY(!attempts.isEmpty());
        const auto paid = m_sim->customerPays(attempts.last().outTradeNo); // money, and no answer reaches the books
        QVERIFY2(paid.ok(), paid.ok() ? "" : qPrintable(paid.error().message));

        auto clerk = m_s->users.login(u"clerk"_s, u"clerk"_s);
        QVERIFY(clerk.ok());
        UiContext clerkCtx{*m_s, *m_worker, nullptr, clerk.value(), true};
        OrdersPage orders(clerkCtx);
        orders.resize(1400, 800);
        orders.show();
        QVERIFY(QTest::qWaitForWindowExposed(&orders));
        QVERIFY(orders.selectOrder(order.orderNo));
        QVERIFY(orders.markPaidAction()->isEnabled());
        QString dialogSaid;
        QTimer::singleShot(100, this, [&] {
            auto *d = qobject_cast<MarkPaidDialog *>(QApplication::activeModalWidget());
            if (!d)
                return;
            QVERIFY(!d->submitButton()->isEnabled()); // nothing typed yet
            QCOMPARE(d->paymentBox()->currentData().toString(), attempts.last().outTradeNo);
            QTest::keyClicks(d->transactionEdit(), paid->channelTxnId);
            QTest::keyClicks(d->reasonEdit(), u"customer showed WeChat's paid screen"_s);
            QVERIFY(d->submitButton()->isEnabled());
            d->submitButton()->click();
            dialogSaid = d->errorText();
            if (d->isVisible())
                d->reject();
        });
        QTimer::singleShot(15000, this, [] {
            if (auto *d = QApplication::activeModalWidget())
                d->close();
        });
        QSignalSpy said(&orders, &Page::message);
        orders.markPaidAction()->trigger();
        QVERIFY2(dialogSaid.isEmpty(), qPrintable(dialogSaid));
        QVERIFY(!said.isEmpty());
        QVERIFY2(said.last().first().toString().contains(order.orderNo), qPrintable(said.last().first().toString()));
        QCOMPARE(toString(m_s->orders.byId(order.id).value().state), toString(OrderState::Pending)); // nothing changes before the second person

        // The clerk sees the request on the review page but cannot decide it.
        ReviewPage clerkReview(clerkCtx);
        QCOMPARE(clerkReview.fixupBox()->model()->rowCount(), 1);
        QVERIFY(clerkReview.fixupBox()->selectFixup(clerkReview.fixupBox()->model()->rows().first().id));
        QVERIFY(!clerkReview.fixupBox()->approveButton()->isEnabled());

        auto finance = m_s->users.login(u"finance"_s, u"finance"_s);
        QVERIFY(finance.ok());
        UiContext financeCtx{*m_s, *m_worker, nullptr, finance.value(), true};
        ReviewPage review(financeCtx);
        review.resize(1400, 900);
        review.show();
        QVERIFY(QTest::qWaitForWindowExposed(&review));
        FixupReviewBox *box = review.fixupBox();
        QCOMPARE(box->model()->rowCount(), 1);
        const Fixup f = box->model()->rows().first();
        QCOMPARE(f.channelTxnId, paid->channelTxnId);
        QVERIFY(box->selectFixup(f.id));
        QVERIFY(!box->rejectButton()->isEnabled()); // a rejection needs a note
        QVERIFY(box->approveButton()->isEnabled());
        box->approveButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(box->statusText().contains(u"is paid"_s), 10000);
        QVERIFY2(box->statusText().contains(u"confirmed"_s), qPrintable(box->statusText()));
        QCOMPARE(toString(m_s->orders.byId(order.id).value().state), toString(OrderState::Paid));
        QCOMPARE(box->model()->rowCount(), 0); // decided: off the queue
    }

    // The demo seeds one expired order whose customer did pay, with the clerk's request: the
    // approval finds the money at the channel and it becomes money after close (a proposed
    // refund, four eyes again), the order staying closed.
    void demoSeedsALostPaymentForFinanceToApprove()
    {
        test::ScratchDatabase scratch;
        PAYDESK_REQUIRE_DB(scratch);
        auto books = test::seedDemoBooks(scratch.url(), 400, 2, ChannelKind::WeChat, true);
        Services &s = *books.services;
        for (ChannelKind k : {ChannelKind::Alipay, ChannelKind::Sim}) { // the demo stands the simulator in for every channel
            auto sim = k == ChannelKind::Sim ? SimulatedChannel::create(scratch.url(), *s.clock) : SimulatedChannel::createAs(k, scratch.url(), *s.clock);
            QVERIFY(sim.ok());
            s.channels.add(std::move(sim.value()));
        }
        const QList<Fixup> waiting = s.fixups.list(FixupState::Requested).value();
        QCOMPARE(waiting.size(), 1);
        const Fixup f = waiting.first();
        QCOMPARE(f.requestedBy, u"clerk"_s);
        QCOMPARE(toString(s.orders.byId(f.orderId).value().state), toString(OrderState::Closed));

        DbWorker worker(*s.db);
        auto finance = s.users.login(u"finance"_s, u"finance"_s);
        QVERIFY(finance.ok());
        UiContext ctx{s, worker, nullptr, finance.value(), true};
        ReviewPage review(ctx);
        review.resize(1400, 900);
        review.show();
        QVERIFY(QTest::qWaitForWindowExposed(&review));
        if (qEnvironmentVariableIsSet("PAYDESK_TEST_SHOTS"))
            review.grab().save(qEnvironmentVariable("PAYDESK_TEST_SHOTS") + u"/review-fixup.png"_s);
        FixupReviewBox *box = review.fixupBox();
        QVERIFY(box->selectFixup(f.id));
        box->approveButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(box->statusText().contains(u"anomaly"_s), 10000);
        QVERIFY2(box->statusText().contains(u"confirmed"_s), qPrintable(box->statusText()));
        QCOMPARE(toString(s.orders.byId(f.orderId).value().state), toString(OrderState::Closed));
        const QList<Anomaly> found = s.anomalies.ofOrder(f.orderId).value();
        QCOMPARE(found.size(), 1);
        QCOMPARE(toString(found.first().kind), toString(AnomalyKind::PaidAfterClose));
        QVERIFY(found.first().refundId > 0); // the refund it proposes waits for review
    }

private:
    test::ScratchDatabase m_scratch;
    std::unique_ptr<Services> m_s;
    SimulatedChannel *m_sim = nullptr;
    std::unique_ptr<DbWorker> m_worker;
};

QTEST_MAIN(TestFixupView)
#include "tst_fixup_view.moc"
