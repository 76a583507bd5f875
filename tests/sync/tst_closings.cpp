// Shift and day close (Z reports, issue 15), on SQLite and PostgreSQL: a clerk's shift counts
// the money of the orders they took since their last close, by channel; finance closes a
// business day (Beijing) once it is over, once; closings are kept as closed (the database
// refuses changes) and audited; the real paydeskctl closes and lists them.
#include "Fixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTimeZone>

using namespace Qt::StringLiterals;
using namespace paydesk;
using namespace paydesk::test;

class TestClosings : public QObject
{
    Q_OBJECT
    std::unique_ptr<Books> b;

    /// A paid order of `clerk` with `refund` paid back.
    Order paidBy(const User &clerk, const QString &amount, const QString &refund = {})
    {
        NewOrder req;
        req.amount = amount;
        req.title = u"tea"_s;
        auto st = b->s->payments.checkout(clerk, req, ChannelKind::Sim);
        if (!st)
            qFatal("checkout: %s", qPrintable(st.error().message));
        if (st->task) {
            QSignalSpy done(st->task.data(), &PayTask::finished);
            done.wait(5000);
        }
        const auto paid = b->sim->customerPays(st->attempt->outTradeNo);
        if (!paid || !b->s->reconciler.applyPayment(paid.value(), u"system"_s, u"test"_s))
            qFatal("pay failed");
        if (!refund.isEmpty()) {
            RefundService::Request r;
            r.orderNo = st->order.orderNo;
            r.amount = refund;
            r.reason = u"wrong size"_s;
            auto asked = b->s->refundService.request(clerk, r);
            if (!asked)
                qFatal("refund: %s", qPrintable(asked.error().message));
            if (asked->refund.state == RefundState::Requested && !b->s->refundService.approve(b->finance, asked->refund.outRefundNo, u"ok"_s))
                qFatal("approve failed");
            RefundResult done;
            done.outRefundNo = asked->refund.outRefundNo;
            done.outTradeNo = st->attempt->outTradeNo;
            done.status = RefundStatus::Success;
            done.channelRefundId = u"SIMR-"_s + asked->refund.outRefundNo;
            done.amountMinor = asked->refund.amountMinor;
            done.succeededAtMs = b->clock->nowMs();
            done.rawStatus = u"SUCCESS"_s;
            auto applied = b->s->reconciler.applyRefund(done, u"system"_s, 0);
            if (!applied)
                qFatal("refund apply: %s", qPrintable(applied.error().message));
        }
        return b->order(st->order.orderNo);
    }

private slots:
    void init()
    {
        b = std::make_unique<Books>();
        if (!b->open())
            PAYDESK_REQUIRE_DB(b->scratch);
        // 10:00 in Beijing, so the day has begun and is not over.
        b->clock->setNowMs(QDateTime(QDate(2026, 12, 3), QTime(10, 0), QTimeZone(8 * 3600)).toMSecsSinceEpoch());
    }
    void cleanup() { b.reset(); }

    void shiftCountsTheClerksOwnOrdersSinceTheLastClose()
    {
        paidBy(b->clerk, u"10.00"_s, u"2.50"_s);
        paidBy(b->clerk, u"7.00"_s);
        paidBy(b->clerk2, u"99.00"_s); // another clerk's
        b->checkout(u"3.00"_s);        // still pending (Books::checkout is b->clerk's)
        b->clock->advanceMs(60'000);

        auto r = b->s->closingService.shiftReport(b->clerk.login);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(r->closedAt, qint64(0));
        QCOMPARE(r->totals.paidMinor(), 1700);
        QCOMPARE(r->totals.refundedMinor(), 250);
        QCOMPARE(r->totals.netMinor(), 1450);
        QCOMPARE(r->totals.pendingOrders, 1);
        QCOMPARE(r->totals.pendingMinor, 300);
        qint64 simPayments = 0;
        for (const auto &c : r->totals.channels)
            if (c.channel == ChannelKind::Sim)
                simPayments = c.payments;
        QCOMPARE(simPayments, 2);

        auto closed = b->s->closingService.closeShift(b->clerk.login);
        QVERIFY2(closed.ok(), closed.ok() ? "" : qPrintable(closed.error().message));
        QVERIFY(closed->id > 0);
        QCOMPARE(closed->totals.netMinor(), 1450);
        AuditLog::Filter f;
        f.object = u"closing:"_s + QString::number(closed->id);
        QCOMPARE(b->s->audit.list(f).value().size(), 1);

        // The next shift starts where this one ended.
        b->clock->advanceMs(60'000);
        auto next = b->s->closingService.shiftReport(b->clerk.login);
        QVERIFY(next.ok());
        QCOMPARE(next->fromMs, closed->toMs);
        QCOMPARE(next->totals.paidMinor(), 0);
        paidBy(b->clerk, u"4.00"_s);
        QCOMPARE(b->s->closingService.shiftReport(b->clerk.login)->totals.paidMinor(), 400);

        // Finance staff have no shift at the counter.
        auto refused = b->s->closingService.closeShift(b->finance.login);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().code, u"role.counter"_s);
    }

    void dayIsClosedOnceWhenItIsOver()
    {
        paidBy(b->clerk, u"10.00"_s, u"1.00"_s);
        paidBy(b->clerk2, u"20.00"_s);
        const QDate day(2026, 12, 3);
        auto early = b->s->closingService.closeDay(b->finance.login, day);
        QVERIFY(!early.ok());
        QCOMPARE(early.error().code, u"closing.day_not_over"_s);
        auto clerk = b->s->closingService.dayReport(b->clerk.login, day);
        QCOMPARE(clerk.error().code, u"role.finance_only"_s);

        b->clock->setNowMs(QDateTime(QDate(2026, 12, 4), QTime(9, 0), QTimeZone(8 * 3600)).toMSecsSinceEpoch());
        QCOMPARE(b->s->closingService.lastDayOver(), day);
        paidBy(b->clerk, u"50.00"_s); // the next day's: not in the report
        auto closed = b->s->closingService.closeDay(b->finance.login, day);
        QVERIFY2(closed.ok(), closed.ok() ? "" : qPrintable(closed.error().message));
        QCOMPARE(closed->totals.paidMinor(), 3000);
        QCOMPARE(closed->totals.refundedMinor(), 100);
        QCOMPARE(closed->closedBy, b->finance.login);
        auto again = b->s->closingService.closeDay(b->finance2.login, day);
        QVERIFY(!again.ok());
        QCOMPARE(again.error().code, u"closing.day_closed"_s);
        // The report of a closed day is the closing, totals as they were.
        auto shown = b->s->closingService.dayReport(b->finance2.login, day);
        QVERIFY(shown.ok());
        QCOMPARE(shown->id, closed->id);
        // No reconciliation of the day yet: the comparison says so.
        auto bills = b->s->closingService.compareWithBills(closed.value());
        QVERIFY(bills.ok());
        QVERIFY(!bills->isEmpty());
        for (const auto &bill : bills.value())
            QVERIFY(!bill.reconciled && !bill.agrees());

        QSqlQuery q(b->s->db->connection());
        QVERIFY2(!q.exec(u"UPDATE closings SET totals = '{}' WHERE id = "_s + QString::number(closed->id)), "a closing was changed");
        QVERIFY2(!q.exec(u"DELETE FROM closings"_s), "a closing was deleted");
    }

    void paydeskctlClosesAndLists()
    {
        // paydeskctl runs on the wall clock: the order is paid a moment before it.
        b->clock->setNowMs(QDateTime::currentMSecsSinceEpoch() - 2000);
        paidBy(b->clerk, u"8.80"_s);
        auto ctl = [&](const QStringList &args, const QString &login) {
            QProcess p;
            QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
            e.insert(u"PAYDESK_PASSWORD"_s, u"correct-horse-1"_s);
            p.setProcessEnvironment(e);
            QStringList all{u"--db"_s, b->scratch.url(), u"--json"_s};
            if (!login.isEmpty())
                all << u"--user"_s << login;
            p.start(binary(u"paydeskctl"_s), all + args);
            p.closeWriteChannel();
            p.waitForFinished(120'000);
            return std::make_pair(p.exitCode(), QJsonDocument::fromJson(p.readAllStandardOutput()));
        };
        auto [code, out] = ctl({u"shift"_s, u"close"_s}, u"clerk"_s);
        QCOMPARE(code, 0);
        QCOMPARE(out.object().value(u"closed"_s).toBool(), true);
        QCOMPARE(out.object().value(u"totals"_s).toObject().value(u"paid"_s).toString(), u"8.80"_s);
        std::tie(code, out) = ctl({u"shift"_s, u"close"_s}, u"finance"_s);
        QCOMPARE(code, 4);
        std::tie(code, out) = ctl({u"closing"_s, u"list"_s}, QString());
        QCOMPARE(code, 0);
        QCOMPARE(out.array().size(), 1);
        QCOMPARE(out.array().first().toObject().value(u"kind"_s).toString(), u"SHIFT"_s);
    }
};

QTEST_GUILESS_MAIN(TestClosings)
#include "tst_closings.moc"
