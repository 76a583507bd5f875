// SimulatedChannel::fetchBill: the day's bill made from the simulator's own books, the
// differences the demo and the reconciliation tests inject, and AuditingChannel forwarding it.
// Runs on SQLite and on PostgreSQL (PAYDESK_TEST_BACKEND).

#include "TestSupport.h"
#include "channels/AuditingChannel.h"
#include "channels/BillWriter.h"
#include "channels/SimulatedChannel.h"
#include "demo/DemoSeeder.h"
#include "sync/ReconScheduler.h"
#include "storage/AuditLog.h"

#include <QElapsedTimer>
#include <QTest>
#include <QTimeZone>

using namespace paydesk;
using namespace paydesk::test;
using namespace Qt::StringLiterals;

namespace {

// 2026-12-02 10:00 Beijing (02:00 UTC).
constexpr qint64 kStart = 1'796'176'800'000;
const QDate kDay(2026, 12, 2);

template <typename T>
std::optional<ChannelReply<T>> wait(const std::function<void(QObject *, PaymentChannel::Callback<T>)> &call)
{
    std::optional<ChannelReply<T>> out;
    QObject context;
    call(&context, [&out](const ChannelReply<T> &r) { out = r; });
    if (out)
        qFatal("a channel answered inside the call");
    QElapsedTimer t;
    t.start();
    while (!out && t.elapsed() < 10'000)
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 20);
    return out;
}

/// The bill's detail lines (WeChat format) by out_trade_no / out_refund_no, fields without the backquote.
QHash<QString, QStringList> detail(const QByteArray &bill)
{
    QHash<QString, QStringList> out;
    const QStringList lines = QString::fromUtf8(bill).split(u"\r\n"_s, Qt::SkipEmptyParts);
    for (qsizetype i = 1; i < lines.size() && !lines.at(i).startsWith(u"总交易单数"_s); ++i) {
        QStringList f = lines.at(i).split(u',');
        for (QString &x : f)
            x.remove(0, 1);
        out.insert(f.at(9) == u"REFUND"_s ? f.at(15) : f.at(6), f);
    }
    return out;
}

} // namespace

class TestSimBill : public QObject
{
    Q_OBJECT

    ScratchDatabase m_scratch;
    ManualClock m_clock{kStart};
    std::unique_ptr<SimulatedChannel> m_sim;

    ChannelReply<BillFile> bill(PaymentChannel &ch, const QDate &date, BillKind kind = BillKind::Trade)
    {
        auto r = wait<BillFile>([&](QObject *ctx, auto done) { ch.fetchBill(BillRequest{date, kind}, ctx, done); });
        return r ? *r : ChannelReply<BillFile>(ChannelError::make(ChannelError::Kind::Timeout, u"TEST"_s, u"no answer"_s));
    }
    bool pay(SimulatedChannel &ch, const QString &no, qint64 amount)
    {
        CreatePaymentRequest req;
        req.outTradeNo = no;
        req.amountMinor = amount;
        req.description = u"茶"_s;
        req.expiresAtMs = m_clock.nowMs() + 30 * 60'000;
        auto c = wait<CreatedPayment>([&](QObject *ctx, auto done) { ch.createNative(req, ctx, done); });
        return c && c->ok();
    }
    bool refund(SimulatedChannel &ch, const QString &no, const QString &refundNo, qint64 amount, qint64 total)
    {
        RefundRequest req;
        req.outTradeNo = no;
        req.outRefundNo = refundNo;
        req.refundMinor = amount;
        req.totalMinor = total;
        auto r = wait<RefundResult>([&](QObject *ctx, auto done) { ch.refund(req, ctx, done); });
        return r && r->ok() && r->value().status == RefundStatus::Success;
    }

private slots:
    void initTestCase()
    {
        PAYDESK_REQUIRE_DB(m_scratch);
        auto sim = SimulatedChannel::create(m_scratch.url(), m_clock, 3);
        QVERIFY2(sim, sim ? "" : qPrintable(sim.error().message));
        m_sim = std::move(sim.value());
        m_sim->setDefaultScript({SimulatedChannel::Customer::PayAfterDelay, 1000});
        m_sim->setScript(u"CLOSED"_s, {SimulatedChannel::Customer::NeverPay, 0});
        m_sim->setRefundOutcome(SimulatedChannel::RefundOutcome::Success, 0);
    }

    void billOfTheDayHoldsEveryPaymentAndRefund()
    {
        QVERIFY(pay(*m_sim, u"PAY1-01"_s, 1230));
        QVERIFY(pay(*m_sim, u"PAY2-01"_s, 500));
        QVERIFY(pay(*m_sim, u"PAY3-01"_s, 800));
        QVERIFY(pay(*m_sim, u"CLOSED1-01"_s, 300));
        m_clock.advanceMs(5000);
        // Only PAY1 is asked about: the others' customers paid all the same, and the bill says so.
        auto q = wait<PaymentStatus>([&](QObject *ctx, auto done) { m_sim->queryPayment(u"PAY1-01"_s, ctx, done); });
        QVERIFY(q && q->ok() && q->value().state == TradeState::Success);
        QVERIFY(refund(*m_sim, u"PAY1-01"_s, u"RF1"_s, 230, 1230));
        auto closed = wait<Done>([&](QObject *ctx, auto done) { m_sim->closePayment(u"CLOSED1-01"_s, ctx, done); });
        QVERIFY(closed && closed->ok());

        auto b = bill(*m_sim, kDay);
        QVERIFY2(b.ok(), b.ok() ? "" : qPrintable(b.error().describe()));
        QCOMPARE(b->status, BillFile::Status::Ready);
        QVERIFY2(b->message.contains(u"preliminary"_s), qPrintable(b->message)); // today: not over yet
        QVERIFY(b->channel == ChannelKind::Sim);
        QCOMPARE(b->fileName, u"1900000000_2026-12-02_ALL.csv"_s);
        QCOMPARE(b->hashType, u"SHA1"_s);
        QCOMPARE(b->hashValue, QString::fromLatin1(QCryptographicHash::hash(b->content, QCryptographicHash::Sha1).toHex()));
        const auto rows = detail(b->content);
        QCOMPARE(rows.size(), 4); // three payments and the refund; the closed one is not there
        QCOMPARE(rows.value(u"PAY1-01"_s).at(12), u"12.30"_s);
        QCOMPARE(rows.value(u"PAY1-01"_s).at(22), u"0.07000"_s);
        QCOMPARE(rows.value(u"PAY2-01"_s).at(12), u"5.00"_s);
        QCOMPARE(rows.value(u"PAY3-01"_s).at(0), u"2026-12-02 10:00:01"_s); // paid when its customer did
        QCOMPARE(rows.value(u"RF1"_s).at(16), u"2.30"_s);
        QCOMPARE(rows.value(u"RF1"_s).at(6), u"PAY1-01"_s);
        QVERIFY(QString::fromUtf8(b->content).endsWith(u"`4,`25.30,`2.30,`0.00,`0.14000,`25.30,`2.30\r\n"_s));

        // The same day again: the same bill (nothing moved).
        auto again = bill(*m_sim, kDay);
        QVERIFY(again.ok());
        QCOMPARE(again->content, b->content);
    }

    void injectedDifferencesShowInTheBill()
    {
        using D = SimulatedChannel::BillDiscrepancy;
        QVERIFY(refund(*m_sim, u"PAY3-01"_s, u"RF3"_s, 800, 800));
        QVERIFY(m_sim->injectBillDiscrepancy(D::UnknownPayment, u"LONG-01"_s, 999));
        QVERIFY(m_sim->injectBillDiscrepancy(D::WrongAmount, u"PAY2-01"_s, 501));
        QVERIFY(m_sim->injectBillDiscrepancy(D::MissingRefund, u"RF3"_s));
        QVERIFY(m_sim->injectBillDiscrepancy(D::PaidAfterClose, u"CLOSED1-01"_s));
        // Refused: an open payment cannot be "paid after close", a wrong amount must be positive.
        QVERIFY(!m_sim->injectBillDiscrepancy(D::PaidAfterClose, u"PAY2-01"_s));
        QVERIFY(!m_sim->injectBillDiscrepancy(D::WrongAmount, u"PAY2-01"_s, 0));
        QVERIFY(!m_sim->injectBillDiscrepancy(D::UnknownPayment, u"LONG-02"_s, 0));

        auto b = bill(*m_sim, kDay);
        QVERIFY(b.ok());
        const auto rows = detail(b->content);
        QCOMPARE(rows.value(u"LONG-01"_s).at(12), u"9.99"_s);
        QCOMPARE(rows.value(u"PAY2-01"_s).at(12), u"5.01"_s);
        QVERIFY(!rows.contains(u"RF3"_s));
        QCOMPARE(rows.value(u"CLOSED1-01"_s).at(9), u"SUCCESS"_s);
        QCOMPARE(rows.value(u"CLOSED1-01"_s).at(12), u"3.00"_s);
        QCOMPARE(rows.size(), 6);

        // Another process on the same database (a second simulator) serves the same bill.
        auto other = SimulatedChannel::create(m_scratch.url(), m_clock, 3);
        QVERIFY(other);
        auto b2 = bill(*other.value(), kDay);
        QVERIFY(b2.ok());
        QCOMPARE(b2->content, b->content);

        // The ledger notes what was injected.
        auto ledger = m_sim->ledger(u"LONG-01"_s);
        QVERIFY(ledger);
        QCOMPARE(ledger->size(), 1);
        QCOMPARE(ledger->first().op, u"bill_discrepancy"_s);
    }

    void notReadyNoBillAndFaults()
    {
        auto tomorrow = bill(*m_sim, kDay.addDays(1));
        QVERIFY(tomorrow.ok());
        QCOMPARE(tomorrow->status, BillFile::Status::NotReady);
        auto empty = bill(*m_sim, kDay.addDays(-1));
        QVERIFY(empty.ok());
        QCOMPARE(empty->status, BillFile::Status::NoBill);
        QVERIFY(empty->content.isEmpty());
        m_sim->injectFault({u"bill"_s, ChannelError::Kind::Server, 1, false});
        auto failed = bill(*m_sim, kDay);
        QVERIFY(!failed.ok());
        QCOMPARE(failed.error().kind, ChannelError::Kind::Server);
        QVERIFY(bill(*m_sim, kDay).ok()); // the fault hit once
        // Tomorrow, the day is over: the same bill without "preliminary".
        m_clock.advanceMs(24 * 3600'000);
        auto final = bill(*m_sim, kDay);
        QVERIFY(final.ok());
        QCOMPARE(final->status, BillFile::Status::Ready);
        QVERIFY(final->message.isEmpty());
        m_clock.setNowMs(kStart + 5000);
    }

    void fundFlowBill()
    {
        auto b = bill(*m_sim, kDay, BillKind::FundFlow);
        QVERIFY(b.ok());
        QCOMPARE(b->fileName, u"1900000000_2026-12-02_BASIC.csv"_s);
        QVERIFY(QString::fromUtf8(b->content).startsWith(u"记账时间,微信支付业务单号"_s));
    }

    void eachKindBillsItsOwnPayments()
    {
        auto alipay = m_sim->twin(ChannelKind::Alipay);
        QVERIFY(pay(*alipay, u"ALI1-01"_s, 4200));
        m_clock.advanceMs(2000);
        auto b = bill(*alipay, kDay);
        QVERIFY2(b.ok(), b.ok() ? "" : qPrintable(b.error().describe()));
        QCOMPARE(b->status, BillFile::Status::Ready);
        QVERIFY(b->channel == ChannelKind::Alipay);
        QCOMPARE(b->fileName, u"2088000000000001_20261202.csv.zip"_s);
        auto entries = bills::readZip(b->content);
        QVERIFY2(entries, entries ? "" : qPrintable(entries.error().message));
        QCOMPARE(entries->size(), 2);
        const QString text = bills::fromGbk(entries->at(0).data);
        QVERIFY(text.contains(u"ALI1-01\t,交易\t,"_s));
        QVERIFY(!text.contains(u"PAY1-01"_s));
        QVERIFY(text.contains(u"#交易合计：1笔，商家实收共42.00元"_s));
        // ... and the simulator's own bill does not hold Alipay's payment.
        auto sim = bill(*m_sim, kDay);
        QVERIFY(sim.ok());
        QVERIFY(!detail(sim->content).contains(u"ALI1-01"_s));
        auto fund = bill(*alipay, kDay, BillKind::FundFlow);
        QVERIFY(!fund.ok());
        QCOMPARE(fund.error().kind, ChannelError::Kind::Config);
    }

    void demoBooksReconcileWithEachStandInsBill()
    {
        ScratchDatabase scratch;
        PAYDESK_REQUIRE_DB(scratch);
        ManualClock *clock = nullptr;
        auto s = makeServices(scratch.url(), &clock);
        DemoSeeder seeder(*s->db, s->users, s->settings, *clock);
        DemoSeeder::Options o;
        o.orders = 300;
        o.days = 5;
        auto sum = seeder.seed(o);
        QVERIFY2(sum, sum ? "" : qPrintable(sum.error().message));
        auto sim = SimulatedChannel::createAs(ChannelKind::WeChat, scratch.url(), *clock, 1);
        QVERIFY(sim);
        const QDate yesterday = QDateTime::fromMSecsSinceEpoch(clock->nowMs(), QTimeZone(8 * 3600)).date().addDays(-1);
        const qint64 from = QDateTime(yesterday, QTime(0, 0), QTimeZone(8 * 3600)).toMSecsSinceEpoch();
        for (ChannelKind kind : {ChannelKind::WeChat, ChannelKind::Sim}) {
            std::unique_ptr<SimulatedChannel> twin = sim.value()->twin(kind);
            auto b = bill(*twin, yesterday);
            QVERIFY2(b.ok(), b.ok() ? "" : qPrintable(b.error().describe()));
            QCOMPARE(b->status, BillFile::Status::Ready);
            QSet<QString> billed;
            const auto rows = detail(b->content);
            for (const QStringList &f : rows)
                if (f.at(9) == u"SUCCESS"_s)
                    billed.insert(f.at(6));
            // Exactly the payments our books have on this channel that day.
            QSet<QString> books;
            auto q = Sql::exec(s->db->connection(),
                               u"SELECT out_trade_no FROM payment_attempts WHERE channel = :c AND paid_at >= :f AND paid_at < :t"_s,
                               {{":c", toString(kind)}, {":f", from}, {":t", from + 86'400'000}});
            QVERIFY(q);
            while (q.value().next())
                books.insert(q.value().value(0).toString());
            QVERIFY2(!books.isEmpty(), qPrintable(toString(kind)));
            QCOMPARE(billed, books);
        }
    }

    // Issue 12: the timer reconciles yesterday from 10:00 Beijing time, catches up on the days
    // before it, asks again after a failed download, and does each day once.
    void timerReconcilesYesterdayAndCatchesUp()
    {
        ScratchDatabase scratch;
        PAYDESK_REQUIRE_DB(scratch);
        ManualClock *clock = nullptr;
        auto s = makeServices(scratch.url(), &clock);
        DemoSeeder seeder(*s->db, s->users, s->settings, *clock);
        DemoSeeder::Options o;
        o.orders = 300;
        o.days = 5;
        QVERIFY(seeder.seed(o).ok());
        auto sim = SimulatedChannel::createAs(ChannelKind::WeChat, scratch.url(), *clock, 1);
        QVERIFY(sim);
        SimulatedChannel *wechat = sim.value().get();
        s->channels.add(wechat->twin(ChannelKind::Sim)); // the demo's own kind: no bill format, skipped
        s->channels.add(std::move(sim.value()));
        QVERIFY(s->settings.change(u"admin"_s, u"recon_catch_up_days"_s, 3).ok());
        const QTimeZone beijing(8 * 3600);
        const QDate today = QDateTime::fromMSecsSinceEpoch(clock->nowMs(), beijing).date();
        clock->setNowMs(QDateTime(today, QTime(9, 0), beijing).toMSecsSinceEpoch());
        auto days = [&]() {
            QStringList out;
            const auto all = s->recon.runs();
            for (const ReconRun &r : all.value()) {
                if (r.channel == ChannelKind::WeChat) {
                    out << r.date.toString(Qt::ISODate);
                    if (r.runBy != u"timer"_s || r.result != u"MATCHED"_s)
                        out << u"(%1 by %2)"_s.arg(r.result, r.runBy);
                }
            }
            out.sort();
            return out;
        };
        const auto iso = [&](int back) { return today.addDays(-back).toString(Qt::ISODate); };

        ReconScheduler timer(*s);
        QStringList lines;
        connect(&timer, &ReconScheduler::actionTaken, this, [&lines](const QString &l) { lines << l; });
        // 09:00: the catch-up days only; yesterday's bill is not due before 10:00.
        timer.tick();
        QTRY_COMPARE(days(), (QStringList{iso(3), iso(2)}));
        QTRY_VERIFY(timer.isIdle());
        // 10:01, but the download fails: asked again after 30 minutes, not before.
        wechat->injectFault({u"bill"_s, ChannelError::Kind::Server, 1, false});
        clock->setNowMs(QDateTime(today, QTime(10, 1), beijing).toMSecsSinceEpoch());
        timer.tick();
        QTRY_VERIFY(lines.join(u'\n').contains(u"not fetched"_s));
        QTRY_VERIFY(timer.isIdle());
        timer.tick();
        QTest::qWait(50);
        QCOMPARE(days(), (QStringList{iso(3), iso(2)}));
        clock->advanceMs(ReconScheduler::kRetryMs + 1000);
        timer.tick();
        QTRY_COMPARE(days(), (QStringList{iso(3), iso(2), iso(1)}));
        QTRY_VERIFY(timer.isIdle());
        // Done days stay done: another tick (or a restart) downloads nothing.
        const int runs = int(s->recon.runs()->size());
        ReconScheduler restarted(*s);
        restarted.tick();
        timer.tick();
        QTest::qWait(50);
        QVERIFY(restarted.isIdle() && timer.isIdle());
        QCOMPARE(int(s->recon.runs()->size()), runs);
        QVERIFY2(lines.join(u'\n').contains(u"reconciled wechat "_s + iso(1)), qPrintable(lines.join(u'\n')));
        QVERIFY2(!lines.join(u'\n').contains(u"sim"_s), qPrintable(lines.join(u'\n')));
    }

    void auditingChannelForwardsAndAuditsRefusals()
    {
        auto db = Database::open(m_scratch.url());
        QVERIFY(db);
        AuditLog audit(*db.value(), m_clock);
        auto inner = m_sim->twin(ChannelKind::Sim);
        SimulatedChannel *raw = inner.get();
        AuditingChannel ch(std::move(inner), audit);
        auto b = bill(ch, kDay);
        QVERIFY(b.ok());
        QCOMPARE(b->status, BillFile::Status::Ready);
        raw->injectFault({u"bill"_s, ChannelError::Kind::Signature, 1, false});
        auto refused = bill(ch, kDay);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().kind, ChannelError::Kind::Signature);
        auto q = Sql::exec(db.value()->connection(),
                           u"SELECT COUNT(*) FROM audit_log WHERE action = 'channel.answer.refused' AND object = 'bill:sim:2026-12-02'"_s);
        QVERIFY(q && q.value().next());
        QCOMPARE(q.value().value(0).toInt(), 1);
    }
};

QTEST_GUILESS_MAIN(TestSimBill)
#include "tst_sim_bill.moc"
