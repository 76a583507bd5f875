// The small models (detail pane, review queue, anomalies, users, audit, finance tables),
// each attached to QAbstractItemModelTester and checked against core.
#include "AuditModel.h"
#include "DbWorker.h"
#include "FinanceStats.h"
#include "ListModels.h"
#include "OrderExport.h"

#include "TestSupport.h"
#include "demo/DemoSeeder.h"
#include "util/Csv.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace paydesk;

class TestListModels : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void attemptsAndRefundsOfAnOrder();
    void reviewQueue();
    void timeline();
    void anomalies();
    void users();
    void auditFetchesInBatches();
    void financeAggregatesInSql();
    void financeCsv();
    void csvCellsAreNeverFormulas_data();
    void csvCellsAreNeverFormulas();
    void orderExportNeutralisesFormulas();

private:
    Order paidOrderWithRefund();
    test::ScratchDatabase m_scratch;
    std::unique_ptr<Services> m_s;
    ManualClock *m_clock = nullptr;
};

void TestListModels::initTestCase()
{
    PAYDESK_REQUIRE_DB(m_scratch);
    m_s = test::makeServices(m_scratch.url(), &m_clock);
    DemoSeeder seeder(*m_s->db, m_s->users, m_s->settings, *m_s->clock);
    DemoSeeder::Options o;
    o.orders = 800;
    o.days = 7;
    QVERIFY(seeder.seed(o).ok());
}

Order TestListModels::paidOrderWithRefund()
{
    auto q = Sql::exec(m_s->db->connection(), u"SELECT o.order_no FROM orders o JOIN refunds r ON r.order_id = o.id LIMIT 1"_s);
    if (!q || !q.value().next())
        return {};
    return m_s->orders.byNo(q.value().value(0).toString()).value();
}

void TestListModels::attemptsAndRefundsOfAnOrder()
{
    const Order o = paidOrderWithRefund();
    QVERIFY(o.id > 0);
    AttemptModel attempts;
    QAbstractItemModelTester t1(&attempts, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(attempts.load(m_s->orders, o.id).ok());
    QCOMPARE(attempts.rowCount(), int(m_s->orders.attemptsOf(o.id).value().size()));
    QVERIFY(attempts.rowCount() >= 1);
    QCOMPARE(attempts.data(attempts.index(0, AttemptModel::OutTradeNo)).toString().left(o.orderNo.size()), o.orderNo);

    RefundModel refunds;
    QAbstractItemModelTester t2(&refunds, QAbstractItemModelTester::FailureReportingMode::QtTest);
    RefundService::Filter f;
    f.orderNo = o.orderNo;
    QVERIFY(refunds.load(m_s->refundService, f).ok());
    QVERIFY(refunds.rowCount() >= 1);
    QCOMPARE(refunds.data(refunds.index(0, RefundModel::OrderNo)).toString(), o.orderNo);
    QVERIFY(refunds.data(refunds.index(0, RefundModel::Amount), MinorRole).toLongLong() > 0);
    // Reloading the same rows keeps the selection: a dataChanged, not a reset.
    QSignalSpy reset(&refunds, &QAbstractItemModel::modelReset);
    QSignalSpy changed(&refunds, &QAbstractItemModel::dataChanged);
    QVERIFY(refunds.load(m_s->refundService, f).ok());
    QCOMPARE(reset.count(), 0);
    QCOMPARE(changed.count(), 1);
}

void TestListModels::reviewQueue()
{
    ReviewQueueModel model(m_s->refundService, *m_s->clock);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(model.reload().ok());
    QVERIFY(model.rowCount() > 0);
    for (const auto &r : model.rows())
        QCOMPARE(toString(r.refund.state), toString(RefundState::Requested));
    for (int i = 1; i < model.rowCount(); ++i)
        QVERIFY(model.rowAt(i - 1)->refund.requestedAt <= model.rowAt(i)->refund.requestedAt); // oldest first
    QVERIFY(!model.data(model.index(0, ReviewQueueModel::Age)).toString().isEmpty());
}

void TestListModels::timeline()
{
    const Order o = paidOrderWithRefund();
    TimelineModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(model.load(m_s->audit, {u"order:"_s + o.orderNo}).ok());
    // Seeded history may have no per-order entries; a new action always adds one.
    const int before = model.rowCount();
    User clerk = m_s->users.find(u"clerk"_s).value();
    RefundService::Request req;
    req.orderNo = o.orderNo;
    req.amount = u"0.01"_s;
    req.reason = u"timeline test"_s;
    auto made = m_s->refundService.request(clerk, req);
    QVERIFY2(made.ok() || made.error().code.startsWith(u"refund"_s), qPrintable(made.ok() ? QString() : made.error().message));
    if (made.ok()) {
        QVERIFY(model.load(m_s->audit, {u"order:"_s + o.orderNo, u"refund:"_s + made->refund.outRefundNo}).ok());
        QVERIFY(model.rowCount() > before);
        QVERIFY(model.data(model.index(model.rowCount() - 1, TimelineModel::Entry)).toString().startsWith(u"clerk requested refund "_s));
    }
}

void TestListModels::anomalies()
{
    AnomalyModel model(m_s->anomalies);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(model.reload(AnomalyState::Open).ok());
    const auto fromCore = m_s->refundService.anomalies(AnomalyState::Open).value();
    QCOMPARE(model.rowCount(), int(fromCore.size()));
    if (model.rowCount() > 0) {
        QVERIFY(model.rowAt(0)->orderNo.startsWith(u"PD"_s));
        QCOMPARE(toString(model.rowAt(0)->anomaly.state), toString(AnomalyState::Open));
    }
    QVERIFY(model.reload(std::nullopt).ok());
    QVERIFY(model.rowCount() >= int(fromCore.size()));

    // An anomaly found in a channel's bill that has no order of ours is listed too (the join
    // must not drop it), with the channel's out_trade_no where the order number would be.
    Anomaly stranger;
    stranger.kind = AnomalyKind::ReconDifference;
    stranger.channel = ChannelKind::WeChat;
    stranger.outTradeNo = u"NOT-OURS-1"_s;
    stranger.amountMinor = 990;
    stranger.currency = u"CNY"_s;
    stranger.details = u"a payment our books never saw"_s;
    stranger.createdAt = 1; // the oldest: the rows above stay first
    QSqlDatabase conn = m_s->db->connection();
    QVERIFY(m_s->anomalies.insert(conn, stranger).ok());
    QVERIFY(model.reload(AnomalyState::Open).ok());
    QCOMPARE(model.rowCount(), int(fromCore.size()) + 1);
    const int last = model.rowCount() - 1;
    QCOMPARE(model.rowAt(last)->anomaly.id, stranger.id);
    QVERIFY(model.rowAt(last)->orderNo.isEmpty());
    const QString shown = model.data(model.index(last, AnomalyModel::OrderNo)).toString();
    QVERIFY2(shown.contains(u"NOT-OURS-1"_s), qPrintable(shown));
    QCOMPARE(model.data(model.index(last, AnomalyModel::Details)).toString(), stranger.details);
}

void TestListModels::users()
{
    UserModel model(m_s->users);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(model.reload().ok());
    QCOMPARE(model.rowCount(), 4); // clerk, finance, admin and the demo's counter simulator
    QStringList logins;
    for (int r = 0; r < model.rowCount(); ++r)
        logins << model.data(model.index(r, UserModel::Login)).toString();
    QVERIFY(logins.contains(u"finance"_s));
}

void TestListModels::auditFetchesInBatches()
{
    DbWorker worker(*m_s->db);
    {
        // Batches: 200 at a time, newest first, on demand.
        AuditModel model(m_s->audit, worker);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        model.reload();
        QTRY_COMPARE(model.rowCount(), int(AuditModel::kBatch));
        QVERIFY(model.canFetchMore({}));
        const qint64 firstSeq = model.entryAt(0)->seq;
        model.fetchMore({});
        QTRY_VERIFY(model.rowCount() > AuditModel::kBatch);
        QCOMPARE(inserted.count(), 2);
        QVERIFY(model.entryAt(AuditModel::kBatch)->seq < model.entryAt(AuditModel::kBatch - 1)->seq); // no overlap
        QCOMPARE(model.entryAt(0)->seq, firstSeq);
    }
    // The tester fetches everything it can; the model stays consistent throughout.
    AuditModel model(m_s->audit, worker);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setSearch(u"refund"_s);
    QTRY_VERIFY(!model.isLoading() && model.rowCount() > 0);
    for (int r = 0; r < model.rowCount(); ++r) {
        const AuditEntry *e = model.entryAt(r);
        const QString all = e->action + e->object + e->user + QString::fromUtf8(QJsonDocument(e->details).toJson());
        QVERIFY(all.contains(u"refund"_s, Qt::CaseInsensitive));
    }
}

void TestListModels::financeAggregatesInSql()
{
    const QDate today = m_s->clock->now().toLocalTime().date();
    auto r = FinanceStats::compute(*m_s->db, today.addDays(-6), today);
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    QCOMPARE(r->days.size(), 7);
    // Cross-check the total received against a plain SQL sum.
    auto q = Sql::exec(m_s->db->connection(),
                       u"SELECT COALESCE(SUM(amount_minor), 0) FROM payment_attempts WHERE state = 'SUCCEEDED' AND paid_at >= :f AND paid_at < :t"_s,
                       {{":f", today.addDays(-6).startOfDay().toMSecsSinceEpoch()}, {":t", today.addDays(1).startOfDay().toMSecsSinceEpoch()}});
    QVERIFY(q.ok() && q.value().next());
    QCOMPARE(r->totalPaid(), q.value().value(0).toLongLong());
    QVERIFY(r->totalPaid() > 0);
    QCOMPARE(r->backlog.size(), 4);

    for (auto table : {FinanceTableModel::Table::Daily, FinanceTableModel::Table::States, FinanceTableModel::Table::Channels,
                       FinanceTableModel::Table::Backlog}) {
        FinanceTableModel model(table);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setReport(r.value());
        QVERIFY(model.rowCount() > 0);
    }
    FinanceTableModel daily(FinanceTableModel::Table::Daily);
    daily.setReport(r.value());
    qint64 sum = 0;
    for (int row = 0; row < daily.rowCount(); ++row) {
        sum += daily.data(daily.index(row, 1), FinanceTableModel::MinorRole).toLongLong();
        QCOMPARE(daily.value(row, 5), daily.value(row, 1) - daily.value(row, 3)); // net
    }
    QCOMPARE(sum, r->totalPaid());
}

void TestListModels::financeCsv()
{
    FinanceReport report;
    report.first = report.last = QDate(2026, 1, 5);
    report.days = {FinanceReport::Day{QDate(2026, 1, 5), 123450, 3, 1230, 1}};
    report.states = {{u"PAID"_s, 3, 123450}, {u"CLOSED"_s, 1, 999}};
    FinanceTableModel daily(FinanceTableModel::Table::Daily);
    daily.setReport(report);
    QStringList lines = daily.toCsv().split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    QVERIFY2(lines[0].contains(u"Fees (channel's bill) (CNY)"_s), qPrintable(lines[0]));
    // No bill of that day was reconciled: the fees are not known, not zero.
    QCOMPARE(lines[1], u"2026-01-05,1234.50,3,12.30,1,1222.20,,"_s); // exact, never a double
    QCOMPARE(daily.data(daily.index(0, FinanceTableModel::FeesColumn)).toString(), u"—"_s);
    // With the channel's bill: its fee, and the net after it.
    report.days[0].feeMinor = 741;
    report.days[0].feeBills = 1;
    daily.setReport(report);
    lines = daily.toCsv().split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines[1], u"2026-01-05,1234.50,3,12.30,1,1222.20,7.41,1214.79"_s);
    QCOMPARE(report.totalFees(), 741);
    QCOMPARE(report.totalNetAfterFees(), 121479);
    FinanceTableModel states(FinanceTableModel::Table::States);
    states.setReport(report);
    QTemporaryDir dir;
    const QString path = dir.filePath(u"states.csv"_s);
    QVERIFY(writeFileAtomically(path, states.toCsv().toUtf8()).ok());
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(f.readAll());
    QVERIFY(text.contains(u"PAID,3,1234.50"_s));
    QVERIFY(text.contains(u"CLOSED,1,9.99"_s));
}

void TestListModels::csvCellsAreNeverFormulas_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("cell");
    QTest::newRow("plain") << u"Tea"_s << u"Tea"_s;
    QTest::newRow("empty") << QString() << QString();
    QTest::newRow("equals") << u"=HYPERLINK(\"http://x\")"_s << u"\"'=HYPERLINK(\"\"http://x\"\")\""_s;
    QTest::newRow("plus") << u"+1+1"_s << u"'+1+1"_s;
    QTest::newRow("minus") << u"-2+3"_s << u"'-2+3"_s;
    QTest::newRow("at") << u"@SUM(A1)"_s << u"'@SUM(A1)"_s;
    QTest::newRow("tab") << u"\t=1"_s << u"'\t=1"_s;
    QTest::newRow("cr") << u"\r=1"_s << u"\"'\r=1\""_s;
    QTest::newRow("comma") << u"a,b"_s << u"\"a,b\""_s;
    QTest::newRow("inner equals") << u"a=b"_s << u"a=b"_s;
}

void TestListModels::csvCellsAreNeverFormulas()
{
    QFETCH(QString, text);
    QFETCH(QString, cell);
    QCOMPARE(csvTextCell(text), cell);
}

void TestListModels::orderExportNeutralisesFormulas()
{
    // A buyer who typed a formula as their name: the exported file shows it as text.
    const User clerk = m_s->users.find(u"clerk"_s).value();
    NewOrder n;
    n.amount = u"12.30"_s;
    n.title = u"@SUM(1+1)"_s;
    n.buyer = u"=HYPERLINK(\"http://evil.example\",\"click\")"_s;
    auto created = m_s->orderService.create(clerk, n);
    QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.error().message));
    QTemporaryDir dir;
    const QString path = dir.filePath(u"orders.csv"_s);
    OrderFilter f;
    f.search = created->orderNo;
    auto written = OrderExport::toCsv(*m_s->db, m_s->orders, f, path);
    QVERIFY(written.ok());
    QCOMPARE(written.value(), qint64(1));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    QVERIFY(bytes.startsWith("\xEF\xBB\xBF")); // a spreadsheet reads it as UTF-8, not the system's code page
    const QStringList lines = QString::fromUtf8(bytes.mid(3)).split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    QVERIFY(lines[0].startsWith(u"order_no,"_s));
    const QString &row = lines[1];
    QVERIFY2(row.contains(u",'@SUM(1+1),"_s), qPrintable(row));
    QVERIFY2(row.contains(u",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\","_s), qPrintable(row));
    QVERIFY(!row.contains(u",=HYPERLINK"_s));
    QVERIFY2(row.contains(u",12.30,CNY,"_s), qPrintable(row)); // amounts stay plain numbers
}

QTEST_GUILESS_MAIN(TestListModels)
#include "tst_listmodels.moc"
