// The windowed orders model: counts and pages in SQL, reads backwards past the middle, filters
// and sorts in SQL, refreshes without a reset, and never changes because time passes.
#include "OrderTableModel.h"

#include "TestSupport.h"
#include "demo/DemoSeeder.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace paydesk;

class TestOrderTableModel : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void countsAndPages();
    void lastRowReadsBackwards();
    void filterAndSearch_data();
    void filterAndSearch();
    void searchWholeOrderNo();
    void searchFindsAnOrderByAnyOfItsIds();
    void sortInSql_data();
    void sortInSql();
    void refreshInsertsWithoutReset();
    void timePassingChangesNothing();
    void cacheStaysBounded();

private:
    test::ScratchDatabase m_scratch;
    std::unique_ptr<Services> m_s;
    ManualClock *m_clock = nullptr;
    User m_clerk;
};

void TestOrderTableModel::initTestCase()
{
    PAYDESK_REQUIRE_DB(m_scratch);
    m_s = test::makeServices(m_scratch.url(), &m_clock);
    DemoSeeder seeder(*m_s->db, m_s->users, m_s->settings, *m_s->clock);
    DemoSeeder::Options o;
    o.orders = 2100; // more pages than the cache holds
    o.days = 10;
    auto r = seeder.seed(o);
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().message));
    m_clerk = m_s->users.find(u"clerk"_s).value();
}

void TestOrderTableModel::countsAndPages()
{
    OrderTableModel model(*m_s->db, m_s->orders, *m_s->clock);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 2100);
    QCOMPARE(model.columnCount(), int(OrderTableModel::ColumnCount));
    QCOMPARE(model.pagesFetched() <= 2, true); // the tester reads a few rows, not everything
    OrderFilter f;
    f.limit = 3;
    const auto first = m_s->orders.list(f).value();
    QCOMPARE(model.data(model.index(0, OrderTableModel::OrderNo)).toString(), first[0].orderNo);
    QCOMPARE(model.data(model.index(2, OrderTableModel::OrderNo)).toString(), first[2].orderNo);
    f.offset = 777;
    f.limit = 1;
    QCOMPARE(model.data(model.index(777, OrderTableModel::OrderNo), OrderTableModel::OrderNoRole).toString(),
             m_s->orders.list(f).value().at(0).orderNo);
    QCOMPARE(model.data(model.index(0, OrderTableModel::Amount), OrderTableModel::AmountMinorRole).toLongLong(), first[0].amountMinor);
}

void TestOrderTableModel::lastRowReadsBackwards()
{
    OrderTableModel model(*m_s->db, m_s->orders, *m_s->clock);
    const int last = model.rowCount() - 1;
    OrderFilter f;
    f.offset = last;
    f.limit = 1;
    const Order expected = m_s->orders.list(f).value().at(0);
    QCOMPARE(model.orderAt(last)->orderNo, expected.orderNo);
    QCOMPARE(model.pagesFetched(), 1);
    // The page around the last row is complete and in order.
    f.offset = (last / OrderTableModel::kPageSize) * OrderTableModel::kPageSize;
    f.limit = OrderTableModel::kPageSize;
    const auto page = m_s->orders.list(f).value();
    for (int i = 0; i < page.size(); ++i)
        QCOMPARE(model.orderAt(int(f.offset) + i)->id, page[i].id);
}

void TestOrderTableModel::filterAndSearch_data()
{
    QTest::addColumn<QString>("state");
    QTest::addColumn<QString>("search");
    QTest::newRow("pending") << u"PENDING"_s << QString();
    QTest::newRow("closed") << u"CLOSED"_s << QString();
    QTest::newRow("search buyer") << QString() << u"emily"_s;
    QTest::newRow("search chinese") << QString() << u"张伟"_s;
    QTest::newRow("paid + search") << u"PAID"_s << u"tea"_s;
}

void TestOrderTableModel::filterAndSearch()
{
    QFETCH(QString, state);
    QFETCH(QString, search);
    OrderTableModel model(*m_s->db, m_s->orders, *m_s->clock);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    OrderFilter f;
    if (!state.isEmpty())
        f.states = {fromString<OrderState>(state).value()};
    f.search = search;
    model.setFilter(f);
    QCOMPARE(reset.count(), 1);
    const qint64 expected = m_s->orders.count(f).value();
    QVERIFY(expected > 0);
    QCOMPARE(model.rowCount(), int(expected));
    for (int r = 0; r < model.rowCount(); r += 37) {
        const Order o = *model.orderAt(r);
        if (!state.isEmpty())
            QCOMPARE(toString(o.state), state);
        if (!search.isEmpty())
            QVERIFY(OrderRepository::searchTextOf(o).contains(search.toLower()));
    }
}

void TestOrderTableModel::searchWholeOrderNo()
{
    OrderTableModel model(*m_s->db, m_s->orders, *m_s->clock);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const Order o = *model.orderAt(321);
    OrderFilter f;
    f.search = o.orderNo.toLower(); // any case, like the search box
    model.setFilter(f);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.orderAt(0)->id, o.id);
    f.states = {o.state == OrderState::Paid ? OrderState::Closed : OrderState::Paid};
    model.setFilter(f);
    QCOMPARE(model.rowCount(), 0); // the other filters still apply
    f.states.clear();
    f.search = o.orderNo.left(12); // a prefix is an ordinary substring search
    model.setFilter(f);
    QCOMPARE(model.rowCount(), int(m_s->orders.count(f).value()));
}

void TestOrderTableModel::searchFindsAnOrderByAnyOfItsIds()
{
    // A refunded order of the seeded books: its payment and its refund both carry the channel's ids.
    qint64 orderId = 0;
    Refund refund;
    const QList<Refund> succeeded = m_s->refunds.inState(RefundState::Succeeded, 50).value();
    for (const Refund &r : succeeded) {
        if (!r.channelRefundId.isEmpty()) {
            refund = r;
            orderId = r.orderId;
            break;
        }
    }
    QVERIFY2(orderId > 0, "the demo books hold no succeeded refund with the channel's refund id");
    PaymentAttempt paid;
    const QList<PaymentAttempt> attempts = m_s->orders.attemptsOf(orderId).value();
    for (const PaymentAttempt &a : attempts)
        if (a.state == AttemptState::Succeeded)
            paid = a;
    QVERIFY(!paid.channelTxnId.isEmpty());

    OrderTableModel model(*m_s->db, m_s->orders, *m_s->clock);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QStringList ids = {paid.outTradeNo, paid.outTradeNo.toLower(), paid.channelTxnId,
                             refund.outRefundNo, refund.outRefundNo.toLower(), refund.channelRefundId,
                             u"  "_s + paid.channelTxnId + u" "_s};
    for (const QString &id : ids) {
        OrderFilter f;
        f.search = id;
        model.setFilter(f);
        QVERIFY2(model.rowCount() == 1, qPrintable(u"search "_s + id + u" shows "_s + QString::number(model.rowCount()) + u" rows"_s));
        QCOMPARE(model.orderAt(0)->id, orderId);
    }
    // The other filters still apply to an order found by an id.
    OrderFilter f;
    f.search = paid.channelTxnId;
    f.states = {OrderState::Pending};
    model.setFilter(f);
    QCOMPARE(model.rowCount(), 0);
    // Text that is no id of ours or the channel's stays a substring search over the order's text.
    f.states.clear();
    f.search = paid.channelTxnId.left(paid.channelTxnId.size() - 1) + u"Z"_s;
    model.setFilter(f);
    QCOMPARE(model.rowCount(), int(m_s->orders.count(f).value()));
}

void TestOrderTableModel::sortInSql_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<int>("order");
    for (int c : {int(OrderTableModel::Amount), int(OrderTableModel::OrderNo), int(OrderTableModel::Title), int(OrderTableModel::TimeLeft)})
        for (int o : {int(Qt::AscendingOrder), int(Qt::DescendingOrder)})
            QTest::addRow("col %d order %d", c, o) << c << o;
}

void TestOrderTableModel::sortInSql()
{
    QFETCH(int, column);
    QFETCH(int, order);
    OrderTableModel model(*m_s->db, m_s->orders, *m_s->clock);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy layout(&model, &QAbstractItemModel::layoutChanged);
    model.sort(column, Qt::SortOrder(order));
    QCOMPARE(layout.count(), 1);
    QCOMPARE(model.rowCount(), 2100);
    auto key = [&](int row) -> QVariant {
        const Order o = *model.orderAt(row);
        switch (column) {
        case OrderTableModel::Amount: return o.amountMinor;
        case OrderTableModel::OrderNo: return o.orderNo;
        case OrderTableModel::Title: return o.title;
        default: return o.expiresAt;
        }
    };
    for (int r = 1; r < model.rowCount(); r += 13) {
        const QVariant a = key(r - 1), b = key(r);
        const auto cmp = QVariant::compare(a, b);
        if (order == Qt::AscendingOrder)
            QVERIFY2(cmp != QPartialOrdering::Greater, qPrintable(u"row %1: %2 > %3"_s.arg(r).arg(a.toString(), b.toString())));
        else
            QVERIFY2(cmp != QPartialOrdering::Less, qPrintable(u"row %1: %2 < %3"_s.arg(r).arg(a.toString(), b.toString())));
    }
    // A column without an SQL sort key leaves the order alone.
    model.sort(OrderTableModel::Channel, Qt::AscendingOrder);
    QCOMPARE(layout.count(), 1);
}

void TestOrderTableModel::refreshInsertsWithoutReset()
{
    OrderTableModel model(*m_s->db, m_s->orders, *m_s->clock);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const int before = model.rowCount();
    (void)model.orderAt(0);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    m_clock->advanceMs(1000);
    NewOrder n;
    n.amount = u"12.30"_s;
    n.title = u"Refresh test"_s;
    auto created = m_s->orderService.create(m_clerk, n);
    QVERIFY(created.ok());
    model.refresh();
    QCOMPARE(reset.count(), 0);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0); // newest first: at the top
    QCOMPARE(changed.count(), 1);
    QCOMPARE(model.rowCount(), before + 1);
    QCOMPARE(model.orderAt(0)->orderNo, created->orderNo);
    // Nothing new: no rows move, one repaint signal.
    model.refresh();
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(changed.count(), 2);
}

void TestOrderTableModel::timePassingChangesNothing()
{
    OrderTableModel model(*m_s->db, m_s->orders, *m_s->clock);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    OrderFilter f;
    f.states = {OrderState::Pending};
    model.setFilter(f);
    QVERIFY(model.rowCount() > 0);
    const qint64 expires = model.data(model.index(0, 0), OrderTableModel::ExpiresAtRole).toLongLong();
    const QString before = model.data(model.index(0, OrderTableModel::TimeLeft)).toString();
    m_clock->advanceMs(61'000);
    QTest::qWait(50);
    QCOMPARE(changed.count(), 0); // the countdown is painted, not modelled
    QCOMPARE(model.data(model.index(0, 0), OrderTableModel::ExpiresAtRole).toLongLong(), expires);
    QVERIFY(model.data(model.index(0, OrderTableModel::TimeLeft)).toString() != before);
}

void TestOrderTableModel::cacheStaysBounded()
{
    OrderTableModel model(*m_s->db, m_s->orders, *m_s->clock);
    for (int r = 0; r < model.rowCount(); r += 50)
        QVERIFY(model.orderAt(r).has_value());
    const int fetched = model.pagesFetched();
    QCOMPARE(fetched, (model.rowCount() + OrderTableModel::kPageSize - 1) / OrderTableModel::kPageSize);
    QVERIFY(fetched > OrderTableModel::kMaxCachedPages);
    QCOMPARE(model.cachedPages(), OrderTableModel::kMaxCachedPages);
    // Re-reading the last pages hits the cache; the first ones were evicted and come back.
    (void)model.orderAt(model.rowCount() - 1);
    QCOMPARE(model.pagesFetched(), fetched);
    (void)model.orderAt(0);
    QCOMPARE(model.pagesFetched(), fetched + 1);
}

QTEST_GUILESS_MAIN(TestOrderTableModel)
#include "tst_ordertablemodel.moc"
