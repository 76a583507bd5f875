// Fix-ups with four eyes (issue 15): "mark paid" for money that arrived without any answer.
// A CLERK or FINANCE user names the channel's transaction id and says why; another FINANCE
// user approves; the channel is asked first and its verified answer decides; only an
// unreachable channel leaves it to the two people. On SQLite and PostgreSQL, against the
// simulated channel (its faults play the unreachable and the unverifiable channel), and the
// real paydeskctl.
#include "Fixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

using namespace Qt::StringLiterals;
using namespace paydesk;
using namespace paydesk::test;

class TestFixups : public QObject
{
    Q_OBJECT
    std::unique_ptr<Books> b;

    Result<FixupService::Decided> approve(const User &who, qint64 id, const QString &note = {})
    {
        return b->await<FixupService::Decided>([&](QObject *ctx, auto done) { b->s->fixupService.approve(who.login, id, note, ctx, done); });
    }
    FixupService::MarkPaid markPaid(const QString &orderNo, const QString &txn)
    {
        FixupService::MarkPaid m;
        m.orderNo = orderNo;
        m.channelTxnId = txn;
        m.reason = u"customer showed the paid screen; money seen on the merchant platform"_s;
        return m;
    }
    int audited(const QString &action, qint64 fixupId)
    {
        AuditLog::Filter f;
        f.object = u"fixup:"_s + QString::number(fixupId);
        int n = 0;
        const auto entries = b->s->audit.list(f);
        for (const AuditEntry &e : entries.value())
            n += e.action == action;
        return n;
    }

private slots:
    void init()
    {
        b = std::make_unique<Books>();
        if (!b->open())
            PAYDESK_REQUIRE_DB(b->scratch);
    }
    void cleanup() { b.reset(); }

    void confirmedByTheChannelAndApprovedByASecondFinanceUser()
    {
        const auto st = b->checkout(u"23.40"_s);
        const auto paid = b->sim->customerPays(st.attempt->outTradeNo); // the money arrives, the answer never does
        QVERIFY(paid.ok());
        QCOMPARE(toString(b->order(st.order.orderNo).state), toString(OrderState::Pending));

        auto f = b->s->fixupService.requestMarkPaid(b->finance.login, markPaid(st.order.orderNo, paid->channelTxnId));
        QVERIFY2(f.ok(), f.ok() ? "" : qPrintable(f.error().message));
        QCOMPARE(toString(f->state), toString(FixupState::Requested));
        QCOMPARE(f->outTradeNo, st.attempt->outTradeNo);
        QCOMPARE(f->amountMinor, 2340);
        QCOMPARE(audited(u"fixup.request"_s, f->id), 1);

        // A clerk may ask but not decide; the requester may not approve their own.
        auto r = approve(b->clerk, f->id);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"role.finance_only"_s);
        r = approve(b->finance, f->id);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"fixup.four_eyes"_s);
        QCOMPARE(toString(b->order(st.order.orderNo).state), toString(OrderState::Pending));

        r = approve(b->finance2, f->id, u"seen in the merchant platform"_s);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(toString(r->fixup.state), toString(FixupState::Applied));
        QCOMPARE(toString(r->fixup.verification), toString(FixupVerification::Confirmed));
        QCOMPARE(r->fixup.reviewedBy, b->finance2.login);
        QCOMPARE(r->orderState, u"PAID"_s);
        QVERIFY2(r->message.contains(st.order.orderNo), qPrintable(r->message));
        const Order o = b->order(st.order.orderNo);
        QCOMPARE(toString(o.state), toString(OrderState::Paid));
        const PaymentAttempt a = b->attempts(st.order.orderNo).first();
        QCOMPARE(toString(a.state), toString(AttemptState::Succeeded));
        QCOMPARE(a.channelTxnId, paid->channelTxnId);
        QCOMPARE(audited(u"fixup.approve"_s, f->id), 1);

        // Decided once: a second approval is refused and changes nothing.
        r = approve(b->finance2, f->id);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"fixup.decided"_s);
        QCOMPARE(b->s->fixups.list(FixupState::Applied).value().size(), 1);
    }

    void channelSayingUnpaidRefusesIt()
    {
        const auto st = b->checkout(u"9.90"_s);
        auto f = b->s->fixupService.requestMarkPaid(b->clerk.login, markPaid(st.order.orderNo, u"4200000000202612040000000001"_s));
        QVERIFY(f.ok());
        auto r = approve(b->finance, f->id);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"fixup.channel_says_unpaid"_s);
        QCOMPARE(toString(b->order(st.order.orderNo).state), toString(OrderState::Pending));
        QCOMPARE(toString(b->s->fixups.byId(f->id).value().state), toString(FixupState::Requested));
        QVERIFY(audited(u"fixup.approve.refused"_s, f->id) >= 1);

        // Rejected with a reason the requester reads; not without one.
        auto rj = b->s->fixupService.reject(b->finance.login, f->id, QString());
        QVERIFY(!rj.ok());
        QCOMPARE(rj.error().code, u"fixup.note_required"_s);
        rj = b->s->fixupService.reject(b->finance.login, f->id, u"the channel says unpaid"_s);
        QVERIFY2(rj.ok(), rj.ok() ? "" : qPrintable(rj.error().message));
        QCOMPARE(toString(rj->state), toString(FixupState::Rejected));
        QCOMPARE(rj->reviewNote, u"the channel says unpaid"_s);
        QCOMPARE(toString(b->order(st.order.orderNo).state), toString(OrderState::Pending));
    }

    void anotherTransactionIdIsRefused()
    {
        const auto st = b->checkout(u"5.00"_s);
        const auto paid = b->sim->customerPays(st.attempt->outTradeNo);
        QVERIFY(paid.ok());
        auto f = b->s->fixupService.requestMarkPaid(b->clerk.login, markPaid(st.order.orderNo, paid->channelTxnId + u"9"_s));
        QVERIFY(f.ok());
        auto r = approve(b->finance, f->id);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"fixup.other_txn"_s);
        QVERIFY(r.error().message.contains(paid->channelTxnId));
        QCOMPARE(toString(b->order(st.order.orderNo).state), toString(OrderState::Pending));
    }

    void unreachableChannelLeavesItToTheTwoPeople()
    {
        const auto st = b->checkout(u"12.00"_s);
        auto f = b->s->fixupService.requestMarkPaid(b->clerk.login, markPaid(st.order.orderNo, u"4200000000202612040000000777"_s));
        QVERIFY(f.ok());
        SimulatedChannel::Fault down;
        down.op = u"query"_s;
        down.kind = ChannelError::Kind::Network;
        b->sim->injectFault(down);
        auto r = approve(b->finance, f->id, u"channel down all day; customer's receipt seen"_s);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(toString(r->fixup.verification), toString(FixupVerification::Unreachable));
        QVERIFY2(r->message.contains(u"could not be reached"_s), qPrintable(r->message));
        QCOMPARE(toString(b->order(st.order.orderNo).state), toString(OrderState::Paid));
        QCOMPARE(b->attempts(st.order.orderNo).first().channelTxnId, u"4200000000202612040000000777"_s);
    }

    void unverifiableAnswerChangesNothing()
    {
        const auto st = b->checkout(u"12.00"_s);
        const auto paid = b->sim->customerPays(st.attempt->outTradeNo);
        QVERIFY(paid.ok());
        auto f = b->s->fixupService.requestMarkPaid(b->clerk.login, markPaid(st.order.orderNo, paid->channelTxnId));
        QVERIFY(f.ok());
        SimulatedChannel::Fault forged;
        forged.op = u"query"_s;
        forged.kind = ChannelError::Kind::Signature;
        b->sim->injectFault(forged);
        auto r = approve(b->finance, f->id);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"fixup.unverified"_s);
        QCOMPARE(toString(b->order(st.order.orderNo).state), toString(OrderState::Pending));
        // Asked again once the answers verify: confirmed.
        r = approve(b->finance, f->id);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        QCOMPARE(toString(r->fixup.verification), toString(FixupVerification::Confirmed));
    }

    void moneyOnAClosedOrderGoesTheUsualWay()
    {
        const auto st = b->checkout(u"7.70"_s);
        auto closed = b->await<PaymentService::Closed>([&](QObject *ctx, auto done) { b->s->payments.close(b->clerk, st.order.orderNo, ctx, done); });
        QVERIFY2(closed.ok(), closed.ok() ? "" : qPrintable(closed.error().message));
        QCOMPARE(toString(b->order(st.order.orderNo).state), toString(OrderState::Closed));
        auto f = b->s->fixupService.requestMarkPaid(b->clerk.login, markPaid(st.order.orderNo, u"4200000000202612040000000888"_s));
        QVERIFY2(f.ok(), f.ok() ? "" : qPrintable(f.error().message));
        SimulatedChannel::Fault down;
        down.op = u"query"_s;
        down.kind = ChannelError::Kind::Timeout;
        b->sim->injectFault(down);
        auto r = approve(b->finance, f->id);
        QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
        // The order stays closed; the money is an anomaly proposing the refund (four eyes again).
        QCOMPARE(toString(b->order(st.order.orderNo).state), toString(OrderState::Closed));
        QVERIFY2(r->message.contains(u"anomaly"_s), qPrintable(r->message));
        const auto open = b->s->anomalies.ofOrder(st.order.id).value();
        QCOMPARE(open.size(), 1);
        QCOMPARE(toString(open.first().kind), toString(AnomalyKind::PaidAfterClose));
    }

    void badRequestsAreRefused()
    {
        const auto st = b->checkout(u"3.00"_s);
        const QString no = st.order.orderNo;
        auto r = b->s->fixupService.requestMarkPaid(b->clerk.login, markPaid(no, u"abc"_s));
        QCOMPARE(r.error().code, u"fixup.bad_txn"_s);
        auto m = markPaid(no, u"4200000000202612040000000999"_s);
        m.reason = u" "_s;
        r = b->s->fixupService.requestMarkPaid(b->clerk.login, m);
        QCOMPARE(r.error().code, u"fixup.reason_required"_s);
        r = b->s->fixupService.requestMarkPaid(b->admin.login, markPaid(no, u"4200000000202612040000000999"_s));
        QCOMPARE(r.error().code, u"role.fixup"_s);
        r = b->s->fixupService.requestMarkPaid(b->clerk.login, markPaid(u"PD000000"_s, u"4200000000202612040000000999"_s));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, Error::Kind::NotFound);

        const Order paid = b->paidOrder(u"4.00"_s);
        r = b->s->fixupService.requestMarkPaid(b->clerk.login, markPaid(paid.orderNo, u"4200000000202612040000000999"_s));
        QCOMPARE(r.error().code, u"fixup.already_paid"_s);
        const QString knownTxn = b->attempts(paid.orderNo).first().channelTxnId;
        r = b->s->fixupService.requestMarkPaid(b->clerk.login, markPaid(no, knownTxn));
        QCOMPARE(r.error().code, u"fixup.txn_known"_s);
        QVERIFY(r.error().message.contains(paid.orderNo));

        r = b->s->fixupService.requestMarkPaid(b->clerk.login, markPaid(no, u"4200000000202612040000000999"_s));
        QVERIFY(r.ok());
        auto again = b->s->fixupService.requestMarkPaid(b->clerk2.login, markPaid(no, u"4200000000202612040000000998"_s));
        QCOMPARE(again.error().code, u"fixup.already_requested"_s);
    }

    void databaseRefusesWhatTheRulesRefuse()
    {
        const auto st = b->checkout(u"3.00"_s);
        auto f = b->s->fixupService.requestMarkPaid(b->finance.login, markPaid(st.order.orderNo, u"4200000000202612040000000555"_s));
        QVERIFY(f.ok());
        QSqlQuery q(b->s->db->connection());
        const QString id = QString::number(f->id);
        QVERIFY2(!q.exec(u"UPDATE fixups SET state = 'APPLIED', reviewed_by = requested_by WHERE id = "_s + id), "applied by its requester");
        QVERIFY2(!q.exec(u"UPDATE fixups SET state = 'APPLIED', reviewed_by = 'clerk' WHERE id = "_s + id), "applied by a clerk");
        QVERIFY2(!q.exec(u"UPDATE fixups SET channel_txn_id = 'X123456' WHERE id = "_s + id), "facts rewritten");
        QVERIFY2(!q.exec(u"DELETE FROM fixups WHERE id = "_s + id), "deleted");
        QVERIFY2(!q.exec(u"INSERT INTO fixups (kind, order_id, attempt_id, channel_txn_id, amount_minor, currency, reason, state, "
                         "requested_by, requested_at) SELECT kind, order_id, attempt_id, 'Y123456', amount_minor, currency, reason, "
                         "'APPLIED', requested_by, requested_at FROM fixups WHERE id = "_s + id),
                 "born applied");
        QCOMPARE(toString(b->s->fixups.byId(f->id).value().state), toString(FixupState::Requested));
    }

    void paydeskctlAsksAndAnotherApproves()
    {
        const auto st = b->checkout(u"6.60"_s);
        auto ctl = [&](const QStringList &args, const QString &login) {
            QProcess p;
            QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
            e.insert(u"PAYDESK_PASSWORD"_s, u"correct-horse-1"_s);
            p.setProcessEnvironment(e);
            p.start(binary(u"paydeskctl"_s), QStringList{u"--db"_s, b->scratch.url(), u"--json"_s, u"--user"_s, login} + args);
            p.closeWriteChannel();
            p.waitForFinished(120'000);
            return std::make_pair(p.exitCode(), QJsonDocument::fromJson(p.readAllStandardOutput()));
        };
        auto [code, out] = ctl({u"fixup"_s, u"mark-paid"_s, u"--order"_s, st.order.orderNo, u"--txn"_s, u"4200000000202612040000000444"_s,
                                u"--reason"_s, u"customer's bank statement"_s},
                               u"clerk"_s);
        QCOMPARE(code, 0);
        const qint64 id = out.object().value(u"id"_s).toInteger();
        QVERIFY(id > 0);
        std::tie(code, out) = ctl({u"fixup"_s, u"list"_s, u"--state"_s, u"REQUESTED"_s}, u"clerk"_s);
        QCOMPARE(code, 0);
        QCOMPARE(out.array().size(), 1);
        QCOMPARE(out.array().first().toObject().value(u"order_no"_s).toString(), st.order.orderNo);
        std::tie(code, out) = ctl({u"fixup"_s, u"approve"_s, QString::number(id)}, u"clerk"_s);
        QCOMPARE(code, 4); // not allowed
        std::tie(code, out) = ctl({u"fixup"_s, u"approve"_s, QString::number(id)}, u"finance"_s);
        QCOMPARE(code, 0);
        QCOMPARE(out.object().value(u"state"_s).toString(), u"APPLIED"_s);
        QCOMPARE(out.object().value(u"order_state"_s).toString(), u"PAID"_s);
        QCOMPARE(toString(b->order(st.order.orderNo).state), toString(OrderState::Paid));
    }
};

QTEST_GUILESS_MAIN(TestFixups)
#include "tst_fixups.moc"
