// ReconService on a real database (SQLite and PostgreSQL): a WeChat Pay bill matched row by row
// against our books, each difference kept and turned into an anomaly once, money after close
// through the Reconciler's refund proposal, and a re-run that answers the same and opens nothing.

#include "TestSupport.h"

#include "channels/BillWriter.h"
#include "domain/Json.h"
#include "storage/ReconSets.h"

#include <algorithm>

#include <QSqlQuery>
#include <QTest>

using namespace paydesk;
using namespace paydesk::test;
using namespace Qt::StringLiterals;

namespace {

const QDate kDay(2026, 12, 2);

qint64 countOf(Database &db, const QString &sql)
{
    QSqlQuery q(db.connection());
    if (!q.exec(sql) || !q.next())
        return -1;
    return q.value(0).toLongLong();
}

User finance()
{
    User u;
    u.login = u"finance"_s;
    u.role = Role::Finance;
    return u;
}

} // namespace

class TestReconService : public QObject
{
    Q_OBJECT
    ScratchDatabase m_scratch;
    std::unique_ptr<Services> m_s;
    ManualClock *m_clock = nullptr;
    qint64 m_noon = 0;

    /// An order with one WeChat attempt in `state`, paid at `paidAt` when SUCCEEDED.
    qint64 book(const QString &outTradeNo, qint64 amount, AttemptState state, OrderState orderState)
    {
        Transaction tx(*m_s->db);
        Order o;
        o.orderNo = u"O-"_s + outTradeNo;
        o.title = u"t"_s;
        o.amountMinor = amount;
        o.state = orderState;
        o.channel = ChannelKind::WeChat;
        o.createdAt = m_noon - 3600'000;
        o.expiresAt = m_noon;
        o.paidAt = state == AttemptState::Succeeded ? m_noon : 0;
        if (orderState == OrderState::Closed) {
            o.closeReason = CloseReason::Expired;
            o.closedAt = m_noon;
        }
        if (!m_s->orders.insert(tx.connection(), o))
            return 0;
        PaymentAttempt a;
        a.orderId = o.id;
        a.outTradeNo = outTradeNo;
        a.channel = ChannelKind::WeChat;
        a.amountMinor = amount;
        a.state = state;
        a.createdAt = o.createdAt;
        a.expiresAt = m_noon;
        a.paidAt = o.paidAt;
        if (!m_s->orders.insertAttempt(tx.connection(), a) || !tx.commit())
            return 0;
        return a.id;
    }

    bool refund(const QString &outTradeNo, const QString &outRefundNo, qint64 amount)
    {
        auto a = m_s->orders.attemptByOutTradeNo(outTradeNo);
        if (!a)
            return false;
        auto q = Sql::exec(m_s->db->connection(),
                           u"INSERT INTO refunds (out_refund_no, order_id, attempt_id, amount_minor, currency, state, reason, requested_by, "
                           "requested_at, completed_at) VALUES (:n, :o, :a, :m, 'CNY', 'SUCCEEDED', 'r', 'clerk', :t, :t)"_s,
                           {{":n", outRefundNo}, {":o", a->orderId}, {":a", a->id}, {":m", amount}, {":t", m_noon + 60'000}});
        return q.ok();
    }

    bills::BillRow pay(const QString &outTradeNo, qint64 amount)
    {
        bills::BillRow r;
        r.outTradeNo = outTradeNo;
        r.channelTxnId = u"42"_s + outTradeNo;
        r.amountMinor = amount;
        r.feeMinor = bills::standardFee(amount);
        r.atMs = m_noon;
        return r;
    }

private slots:
    void initTestCase()
    {
        PAYDESK_REQUIRE_DB(m_scratch);
        m_s = makeServices(m_scratch.url(), &m_clock);
        QVERIFY(m_s);
        QVERIFY(m_s->users.add(QString(), u"admin"_s, QString(), Role::Admin, u"password-1"_s).ok());
        QVERIFY(m_s->users.add(u"admin"_s, u"finance"_s, QString(), Role::Finance, u"password-2"_s).ok());
        QVERIFY(m_s->users.add(u"admin"_s, u"clerk"_s, QString(), Role::Clerk, u"password-3"_s).ok());
        m_noon = ReconService::dayWindow(kDay).first + 12 * 3600'000;
        m_clock->setNowMs(m_noon + 86400'000);
    }

    void matchesRowByRowAndReRunsTheSame()
    {
        QVERIFY(book(u"MATCH-01"_s, 1230, AttemptState::Succeeded, OrderState::Paid));
        QVERIFY(book(u"AMOUNT-01"_s, 500, AttemptState::Succeeded, OrderState::Paid));
        QVERIFY(book(u"SHORT-01"_s, 800, AttemptState::Succeeded, OrderState::Paid));
        QVERIFY(book(u"LATE-01"_s, 300, AttemptState::Closed, OrderState::Closed));
        QVERIFY(refund(u"MATCH-01"_s, u"RF-MATCH"_s, 230));
        QVERIFY(refund(u"SHORT-01"_s, u"RF-SHORT"_s, 100));

        bills::BillRow r1 = pay(u"MATCH-01"_s, 1230);
        bills::BillRow r2 = pay(u"AMOUNT-01"_s, 550);
        bills::BillRow r3 = pay(u"LONG-01"_s, 990);
        bills::BillRow r4 = pay(u"LATE-01"_s, 300);
        bills::BillRow rf = r1;
        rf.kind = bills::BillRow::Kind::Refund;
        rf.outRefundNo = u"RF-MATCH"_s;
        rf.amountMinor = 230;
        rf.feeMinor = 1;
        bills::BillRow rfLong = rf;
        rfLong.outRefundNo = u"RF-UNKNOWN"_s;
        bills::BillMeta meta;
        meta.date = kDay;
        meta.merchantId = u"1900000109"_s;
        meta.appId = u"wx1"_s;
        const QByteArray file = bills::weChatTradeBill(meta, {r1, r2, r3, r4, rf, rfLong});

        const qint64 anomaliesBefore = countOf(*m_s->db, u"SELECT COUNT(*) FROM anomalies"_s);
        auto report = m_s->reconService.run(finance(), ChannelKind::WeChat, kDay, file, u"bill.csv"_s, ReconService::Source::Fetched);
        QVERIFY2(report.ok(), qPrintable(report.ok() ? QString() : report.error().message));
        QVERIFY(report->billStored);
        QMap<QString, QString> kinds;
        for (const ReconDifference &d : report->differences)
            kinds.insert(d.ref, d.kind);
        const QMap<QString, QString> expected{{u"AMOUNT-01"_s, u"AMOUNT"_s},   {u"LONG-01"_s, u"LONG"_s},
                                              {u"SHORT-01"_s, u"SHORT"_s},     {u"LATE-01"_s, u"STATE"_s},
                                              {u"RF-UNKNOWN"_s, u"REFUND_LONG"_s}, {u"RF-SHORT"_s, u"REFUND_SHORT"_s}};
        QCOMPARE(kinds, expected);
        QCOMPARE(report->run.matched, 2); // MATCH-01 and its refund
        QCOMPARE(report->run.newDifferences, 6);
        QCOMPARE(report->run.result, u"DIFFERENCES"_s);
        QCOMPARE(report->run.feeMinor, bills::standardFee(1230) + bills::standardFee(550) + bills::standardFee(990)
                                           + bills::standardFee(300) - 2);
        // Money after close: the Reconciler's path, a PAID_AFTER_CLOSE anomaly and a refund for review.
        QCOMPARE(countOf(*m_s->db, u"SELECT COUNT(*) FROM anomalies WHERE kind = 'PAID_AFTER_CLOSE'"_s), qint64(1));
        QCOMPARE(countOf(*m_s->db, u"SELECT COUNT(*) FROM refunds WHERE state = 'REQUESTED' AND requested_by = 'system'"_s), qint64(1));
        // Every difference has an anomaly, LONG and REFUND_LONG too (without an order of ours).
        const qint64 anomaliesAfter = countOf(*m_s->db, u"SELECT COUNT(*) FROM anomalies"_s);
        QCOMPARE(anomaliesAfter - anomaliesBefore, qint64(6));
        QCOMPARE(countOf(*m_s->db, u"SELECT COUNT(*) FROM anomalies WHERE order_id IS NULL"_s), qint64(2));
        QCOMPARE(countOf(*m_s->db, u"SELECT COUNT(*) FROM audit_log WHERE action = 'recon.run'"_s), qint64(1));

        // The same day again: the same differences, nothing new, the bill stored once.
        auto again = m_s->reconService.run(finance(), ChannelKind::WeChat, kDay, file, u"bill.csv"_s, ReconService::Source::Fetched);
        QVERIFY2(again.ok(), qPrintable(again.ok() ? QString() : again.error().message));
        QVERIFY(!again->billStored);
        QMap<QString, QString> kindsAgain;
        for (const ReconDifference &d : again->differences)
            kindsAgain.insert(d.ref, d.kind);
        QCOMPARE(kindsAgain, expected);
        QCOMPARE(again->run.newDifferences, 0);
        QCOMPARE(countOf(*m_s->db, u"SELECT COUNT(*) FROM anomalies"_s), anomaliesAfter);
        QCOMPARE(countOf(*m_s->db, u"SELECT COUNT(*) FROM bill_files"_s), qint64(1));
        QCOMPARE(countOf(*m_s->db, u"SELECT COUNT(*) FROM audit_log WHERE action = 'recon.run'"_s), qint64(2));

        auto shown = m_s->reconService.show(ChannelKind::WeChat, kDay);
        QVERIFY(shown.ok());
        QCOMPARE(shown->run.id, again->run.id);
        QCOMPARE(shown->differences.size(), 6);
        auto stored = m_s->recon.billContent(shown->run.billFileId);
        QVERIFY(stored.ok());
        QCOMPARE(stored.value(), file);
    }

    void refusedWholeAndForClerks()
    {
        const qint64 runs = countOf(*m_s->db, u"SELECT COUNT(*) FROM recon_runs"_s);
        // A clerk's account, even when the caller's struct claims FINANCE: the database decides.
        User clerk = finance();
        clerk.login = u"clerk"_s;
        auto r = m_s->reconService.run(clerk, ChannelKind::WeChat, kDay, QByteArray("x"), QString(), ReconService::Source::Imported);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, Error::Kind::Forbidden);
        auto bad = m_s->reconService.run(finance(), ChannelKind::WeChat, kDay.addDays(1), QByteArray("交易时间,商户订单号\n"),
                                         QString(), ReconService::Source::Imported);
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().code, u"bill.malformed"_s);
        QCOMPARE(countOf(*m_s->db, u"SELECT COUNT(*) FROM recon_runs"_s), runs);
        QCOMPARE(countOf(*m_s->db, u"SELECT COUNT(*) FROM bill_files"_s), qint64(1));
    }

    void longPaymentOpensOneAnomalyWithTheChannelFacts()
    {
        // A payment and a refund at the channel that our books never saw: no order of ours, so
        // each anomaly names the channel's facts; a re-run of the day opens nothing more.
        const QDate day = kDay.addDays(5);
        const qint64 noon = ReconService::dayWindow(day).first + 12 * 3600'000;
        bills::BillRow p = pay(u"STRANGER-01"_s, 4321);
        p.atMs = noon;
        bills::BillRow rf = p;
        rf.kind = bills::BillRow::Kind::Refund;
        rf.outTradeNo = u"STRANGER-02"_s;
        rf.outRefundNo = u"RF-STRANGER"_s;
        rf.amountMinor = 120;
        rf.feeMinor = 0;
        bills::BillMeta meta;
        meta.date = day;
        meta.merchantId = u"1900000109"_s;
        meta.appId = u"wx1"_s;
        const QByteArray file = bills::weChatTradeBill(meta, {p, rf});
        const qint64 before = countOf(*m_s->db, u"SELECT COUNT(*) FROM anomalies"_s);

        for (int round = 0; round < 2; ++round) {
            auto report = m_s->reconService.run(finance(), ChannelKind::WeChat, day, file, u"bill.csv"_s, ReconService::Source::Imported);
            QVERIFY2(report.ok(), qPrintable(report.ok() ? QString() : report.error().message));
            QCOMPARE(report->differences.size(), 2);
            QCOMPARE(report->run.newDifferences, round == 0 ? 2 : 0);
            for (const ReconDifference &d : report->differences)
                QVERIFY2(d.anomalyId > 0, qPrintable(d.kind));
            QCOMPARE(countOf(*m_s->db, u"SELECT COUNT(*) FROM anomalies"_s), before + 2);
        }
        auto all = m_s->anomalies.list(AnomalyState::Open);
        QVERIFY(all.ok());
        const auto find = [&](const QString &outTradeNo) {
            return std::find_if(all->cbegin(), all->cend(), [&](const Anomaly &a) { return a.outTradeNo == outTradeNo; });
        };
        const auto payment = find(u"STRANGER-01"_s);
        QVERIFY(payment != all->cend());
        QCOMPARE(toString(payment->kind), toString(AnomalyKind::ReconDifference));
        QCOMPARE(payment->orderId, qint64(0));
        QVERIFY(payment->channel == std::optional<ChannelKind>(ChannelKind::WeChat));
        QCOMPARE(payment->channelTxnId, u"42STRANGER-01"_s);
        QVERIFY(payment->amountMinor == std::optional<qint64>(4321));
        QCOMPARE(payment->currency, u"CNY"_s);
        QVERIFY(payment->outRefundNo.isEmpty());
        QVERIFY2(payment->details.contains(day.toString(Qt::ISODate)) && payment->details.contains(u"43.21"_s), qPrintable(payment->details));
        const auto refunded = find(u"STRANGER-02"_s);
        QVERIFY(refunded != all->cend());
        QCOMPARE(refunded->outRefundNo, u"RF-STRANGER"_s);
        QVERIFY(refunded->amountMinor == std::optional<qint64>(120));
        QCOMPARE(refunded->orderId, qint64(0));
        // The JSON the CLI prints names the channel's facts and no order.
        const QJsonObject json = toJson(*payment);
        QCOMPARE(json.value(u"out_trade_no"_s).toString(), u"STRANGER-01"_s);
        QCOMPARE(json.value(u"channel"_s).toString(), u"wechat"_s);
        QCOMPARE(json.value(u"amount_minor"_s).toInteger(), qint64(4321));

        // Finance resolves it like any other; the audit names the channel's key.
        auto resolved = m_s->refundService.resolveAnomaly(finance(), payment->id, u"chased with WeChat support"_s);
        QVERIFY2(resolved.ok(), qPrintable(resolved.ok() ? QString() : resolved.error().message));
        QCOMPARE(toString(resolved->state), toString(AnomalyState::Resolved));
        QCOMPARE(resolved->outTradeNo, u"STRANGER-01"_s);
        QCOMPARE(countOf(*m_s->db, u"SELECT COUNT(*) FROM audit_log WHERE action = 'anomaly.resolve' AND details LIKE '%STRANGER-01%'"_s),
                 qint64(1));
    }

    void keysOutsideTheDayAreLookedUpInSlices()
    {
        // Matching reads the day's payments (and a day either side) as one set; the bill's other
        // keys are read in IN lists of 500. 1,201 payments paid three days before (three lists:
        // 500, 500, 201) and one paid a minute before the day began all match, and one closed here
        // but paid there is still found.
        const QDate day = kDay.addDays(10);
        const qint64 dayStart = ReconService::dayWindow(day).first;
        const int outside = 2 * ReconSets::kKeysPerStatement + 201;
        QList<bills::BillRow> rows;
        {
            Transaction tx(*m_s->db);
            for (int i = 0; i < outside + 1; ++i) {
                const QString no = u"SLICE-%1"_s.arg(i, 5, 10, QChar(u'0'));
                const qint64 paidAt = i < outside ? dayStart - 3 * 86400'000 : dayStart - 60'000;
                QVERIFY(Sql::exec(tx.connection(),
                                  u"INSERT INTO orders (order_no, title, amount_minor, currency, state, channel, created_at, expires_at, paid_at) "
                                  "VALUES (:n, 't', 100, 'CNY', 'PAID', 'wechat', :t, :t, :t)"_s,
                                  {{":n", QString(u"O-"_s + no)}, {":t", paidAt}}).ok());
                QVERIFY(Sql::exec(tx.connection(),
                                  u"INSERT INTO payment_attempts (order_id, out_trade_no, channel, amount_minor, currency, state, created_at, "
                                  "expires_at, paid_at) SELECT id, :n, 'wechat', 100, 'CNY', 'SUCCEEDED', :t, :t, :t FROM orders WHERE order_no = :o"_s,
                                  {{":n", no}, {":t", paidAt}, {":o", QString(u"O-"_s + no)}}).ok());
                bills::BillRow r = pay(no, 100);
                r.atMs = dayStart + 1000 + i;
                rows << r;
            }
            QVERIFY(tx.commit().ok());
        }
        QVERIFY(book(u"SLICE-CLOSED"_s, 700, AttemptState::Closed, OrderState::Closed));
        bills::BillRow late = pay(u"SLICE-CLOSED"_s, 700);
        late.atMs = dayStart + 7200'000;
        rows << late;
        bills::BillMeta meta;
        meta.date = day;
        meta.merchantId = u"1900000109"_s;
        meta.appId = u"wx1"_s;
        auto report = m_s->reconService.run(finance(), ChannelKind::WeChat, day, bills::weChatTradeBill(meta, rows), u"bill.csv"_s,
                                            ReconService::Source::Imported);
        QVERIFY2(report.ok(), qPrintable(report.ok() ? QString() : report.error().message));
        QCOMPARE(report->run.matched, outside + 1);
        QCOMPARE(report->differences.size(), 1);
        QCOMPARE(report->differences.first().kind, u"STATE"_s);
        QCOMPARE(report->differences.first().ref, u"SLICE-CLOSED"_s);
    }
};

QTEST_GUILESS_MAIN(TestReconService)
#include "tst_recon_service.moc"
