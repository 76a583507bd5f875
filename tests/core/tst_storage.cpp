// Storage, users, audit chain, refund cap and demo seeder on a real database.
//
// One executable, registered twice with CTest: storage_sqlite (a real SQLite file in a temp
// dir) and storage_postgresql (a fresh database on the server in PAYDESK_TEST_PG_URL, which
// .ci/with-postgres.sh starts). Under CI=true a missing PostgreSQL is a failure, not a skip.

#include "TestSupport.h"

#include "channels/SecretStore.h"
#include "demo/DemoSeeder.h"
#include "services/AuditCheckpoint.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QMutex>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <latch>
#include <memory>
#include <vector>

using namespace paydesk;
using namespace paydesk::test;
using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kMinute = 60'000;
constexpr qint64 kDay = 24 * 60 * kMinute;

/// A fresh database of the backend under test, migrated, with services and a ManualClock.
struct Fixture
{
    ScratchDatabase scratch;
    std::unique_ptr<Services> s;
    ManualClock *clock = nullptr;

    void open() { s = makeServices(scratch.url(), &clock); }
};

/// An account that exists in the books (the services read the actor from the database).
User actor(Services &s, const QString &login = u"clerk"_s, Role role = Role::Clerk)
{
    User u;
    u.login = login;
    u.role = role;
    QSqlQuery q(s.db->connection());
    q.prepare(u"SELECT COUNT(*) FROM users WHERE login = :l"_s);
    q.bindValue(u":l"_s, login);
    if (!q.exec() || !q.next())
        qFatal("users: %s", qPrintable(q.lastError().text()));
    if (q.value(0).toInt() == 0) {
        QSqlQuery ins(s.db->connection());
        ins.prepare(u"INSERT INTO users (login, role, password_hash, created_at) VALUES (:l, :r, 'unused', 0)"_s);
        ins.bindValue(u":l"_s, login);
        ins.bindValue(u":r"_s, toString(role));
        if (!ins.exec())
            qFatal("add user: %s", qPrintable(ins.lastError().text()));
    }
    return u;
}

QVariant scalar(Database &db, const QString &sql)
{
    QSqlQuery q(db.connection());
    if (!q.exec(sql) || !q.next()) {
        qWarning("query failed: %s: %s", qPrintable(sql), qPrintable(q.lastError().text()));
        return {};
    }
    return q.value(0);
}

qint64 countOf(Database &db, const QString &sqlFromWhere)
{
    return scalar(db, u"SELECT COUNT(*) FROM "_s + sqlFromWhere).toLongLong();
}

bool execSql(Database &db, const QString &sql)
{
    QSqlQuery q(db.connection());
    if (!q.exec(sql)) {
        qWarning("exec failed: %s: %s", qPrintable(sql), qPrintable(q.lastError().text()));
        return false;
    }
    return true;
}

/// A FINANCE user the database's four-eyes guard accepts as a refund's reviewer.
bool addReviewer(Database &db, const QString &login = QStringLiteral("finance"))
{
    return execSql(db, u"INSERT INTO users (login, role, password_hash, created_at) VALUES ('"_s + login
                           + u"', 'FINANCE', 'unused', 0)"_s);
}

/// Inserts an order (and optionally one attempt) directly, the way the timer and the
/// channels' answers leave them, bypassing the services.
Order insertOrder(Services &s, const QString &orderNo, qint64 amountMinor, OrderState state, qint64 createdAt,
                  std::optional<ChannelKind> channel = std::nullopt, const QString &title = u"Test order"_s)
{
    Order o;
    o.orderNo = orderNo;
    o.title = title;
    o.buyer = u"Buyer"_s;
    o.amountMinor = amountMinor;
    o.state = state;
    o.channel = channel;
    o.createdAt = createdAt;
    o.expiresAt = createdAt + 30 * kMinute;
    if (state == OrderState::Paid)
        o.paidAt = createdAt + kMinute;
    if (state == OrderState::Closed) {
        o.closeReason = CloseReason::Expired;
        o.closedAt = o.expiresAt;
    }
    o.createdBy = u"clerk"_s;
    Transaction tx(*s.db);
    if (!tx.begun())
        qFatal("begin: %s", qPrintable(tx.begun().error().message));
    if (Status st = s.orders.insert(tx.connection(), o); !st)
        qFatal("insert order: %s", qPrintable(st.error().message));
    if (Status st = tx.commit(); !st)
        qFatal("commit: %s", qPrintable(st.error().message));
    return o;
}

struct PaidPayment
{
    Order order;
    PaymentAttempt attempt;
};

/// A paid order with one attempt in `attemptState` (SUCCEEDED: the money arrived at paidAt).
PaidPayment insertPayment(Services &s, const QString &orderNo, qint64 amountMinor, qint64 paidAt,
                          AttemptState attemptState = AttemptState::Succeeded)
{
    PaidPayment p;
    const bool paid = attemptState == AttemptState::Succeeded;
    p.order.orderNo = orderNo;
    p.order.title = u"Refundable"_s;
    p.order.amountMinor = amountMinor;
    p.order.state = paid ? OrderState::Paid : OrderState::Pending;
    p.order.channel = ChannelKind::WeChat;
    p.order.createdAt = paidAt - kMinute;
    p.order.expiresAt = p.order.createdAt + 30 * kMinute;
    p.order.paidAt = paid ? paidAt : 0;
    p.attempt.outTradeNo = Ids::outTradeNo(orderNo, 1);
    p.attempt.channel = ChannelKind::WeChat;
    p.attempt.amountMinor = amountMinor;
    p.attempt.state = attemptState;
    p.attempt.createdAt = p.order.createdAt;
    p.attempt.expiresAt = p.order.expiresAt - kMinute;
    p.attempt.paidAt = paid ? paidAt : 0;
    Transaction tx(*s.db);
    if (!tx.begun())
        qFatal("begin: %s", qPrintable(tx.begun().error().message));
    if (Status st = s.orders.insert(tx.connection(), p.order); !st)
        qFatal("insert order: %s", qPrintable(st.error().message));
    p.attempt.orderId = p.order.id;
    if (Status st = s.orders.insertAttempt(tx.connection(), p.attempt); !st)
        qFatal("insert attempt: %s", qPrintable(st.error().message));
    if (Status st = tx.commit(); !st)
        qFatal("commit: %s", qPrintable(st.error().message));
    return p;
}

Status requestRefund(Services &s, const PaymentAttempt &attempt, qint64 amountMinor, qint64 nowMs, Refund *out = nullptr)
{
    Refund r;
    r.attemptId = attempt.id;
    r.amountMinor = amountMinor;
    r.reason = u"test"_s;
    r.requestedBy = u"clerk"_s;
    Transaction tx(*s.db);
    if (!tx.begun())
        return tx.begun();
    if (Status st = s.refunds.insertWithinCap(tx, r, nowMs); !st)
        return st;
    if (Status st = tx.commit(); !st)
        return st;
    if (out)
        *out = r;
    return {};
}

QStringList orderNos(const QList<Order> &orders)
{
    QStringList out;
    for (const Order &o : orders)
        out << o.orderNo;
    return out;
}

} // namespace

class TestStorage : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();

    // schema
    void migrationsAreIdempotent();

    // orders
    void createOrderIsAudited();
    void zeroTotalIsPaidAtCreation();
    void refusedOrderChangesNothing_data();
    void refusedOrderChangesNothing();
    void listFiltersByStateChannelAndDate();
    void search_data();
    void search();
    void searchUsesTheIndexForThreeOrMoreCharacters();
    void sortingIsStableBothWays();
    void compareAndSetLetsOnlyOneWin();
    void illegalTransitionsAreRefusedBeforeSql();

    // users
    void firstUserMustBeAdmin();
    void onlyAdminsAddUsers();
    void loginFailuresLookAlike();
    void repeatedFailuresAreSlowedDown();
    void disabledAccountIsRefused();
    void rehashOnLoginWhenParametersRise();

    // audit chain
    void auditChainVerifies();
    void editedAuditRowIsNamed_data();
    void editedAuditRowIsNamed();
    void deletedAuditRowsAreDetected_data();
    void deletedAuditRowsAreDetected();
    void concurrentAppendsKeepTheChain();

    // refund cap
    void refundCapNamesWhatIsLeft();
    void atMostFiftyRefundsPerPayment();
    void noRefundAfter365Days();
    void onlyPaidMoneyIsRefunded();
    void racingRefundsCannotExceedThePayment();

    // demo data
    void demoIsReproducible();
    void demoHasARealisticMix();
    void demoRefusesRealDatabase();
    void demoRefusesNonEmptyDatabase();
    void sqliteBooksAreOnlyTheOwners();
    void parallelGuessesAreThrottledLikeSerialOnes();
    void onlyAdminsChangeSettingsWithinBounds();
    void databaseStatesFollowTheTransitionTables();
    void databaseRefusesRawWritesPastTheRules();
    void keyedCheckpointCatchesARewrittenChain();
    void anomaliesWithoutAnOrderKeepRowsGuardsAndReferences();
    void attemptsNumberedBeforeMigration009StayReadable();
};

void TestStorage::initTestCase()
{
    const QString b = backend();
    QVERIFY2(b == u"sqlite"_s || b == u"postgresql"_s, qPrintable(u"unknown PAYDESK_TEST_BACKEND "_s + b));
    ScratchDatabase probe;
    PAYDESK_REQUIRE_DB(probe);
    auto db = Database::open(probe.url());
    QVERIFY2(db.ok(), qPrintable(db.ok() ? QString() : db.error().message));
    const auto expected = b == u"sqlite"_s ? Database::Dialect::SQLite : Database::Dialect::PostgreSQL;
    QVERIFY2(db.value()->dialect() == expected, "the scratch database is not of the backend under test");
    qInfo("backend: %s (%s)", qPrintable(b), qPrintable(db.value()->location().display()));
}

// ---- schema -------------------------------------------------------------------------------

void TestStorage::migrationsAreIdempotent()
{
    ScratchDatabase scratch;
    PAYDESK_REQUIRE_DB(scratch);
    auto opened = Database::open(scratch.url());
    QVERIFY(opened.ok());
    Database &db = *opened.value();
    QCOMPARE(db.schemaVersion(), 0);
    QVERIFY(db.migrate().ok());
    QCOMPARE(db.schemaVersion(), Database::latestSchemaVersion());
    execSql(db, u"INSERT INTO settings (key, value) VALUES ('kept', 'yes')"_s);

    // A second run (another seat starting, the next program start) changes nothing.
    const Status again = db.migrate();
    QVERIFY2(again.ok(), qPrintable(again.ok() ? QString() : again.error().message));
    QCOMPARE(db.schemaVersion(), Database::latestSchemaVersion());
    QCOMPARE(countOf(db, u"schema_version"_s), qint64(Database::migrationCount()));
    QCOMPARE(scalar(db, u"SELECT value FROM settings WHERE key = 'kept'"_s).toString(), u"yes"_s);
    QCOMPARE(countOf(db, u"audit_head"_s), qint64(1));

    // A second Database on the same URL sees the migrated schema.
    auto other = Database::open(scratch.url());
    QVERIFY(other.ok());
    QCOMPARE(other.value()->schemaVersion(), Database::latestSchemaVersion());
    QVERIFY(other.value()->migrate().ok());
}

// ---- orders -------------------------------------------------------------------------------

void TestStorage::createOrderIsAudited()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    NewOrder req;
    req.amount = u"12.30"_s;
    req.title = u"  Pearl milk tea  "_s;
    req.buyer = u"张伟"_s;
    auto created = f.s->orderService.create(actor(*f.s), req);
    QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.error().message));
    const Order &o = created.value();
    QVERIFY(o.id > 0);
    QVERIFY(o.orderNo.startsWith(u"PD20260101"_s));
    QCOMPARE(o.amountMinor, qint64(1230));
    QCOMPARE(o.title, u"Pearl milk tea"_s);
    QCOMPARE(toString(o.state), u"PENDING"_s);
    QCOMPARE(o.expiresAt - o.createdAt, 30 * kMinute);

    auto stored = f.s->orders.byNo(o.orderNo);
    QVERIFY(stored.ok());
    QCOMPARE(stored->amountMinor, qint64(1230));
    QCOMPARE(stored->buyer, u"张伟"_s);
    QCOMPARE(stored->createdBy, u"clerk"_s);
    QCOMPARE(toString(stored->state), u"PENDING"_s);

    AuditLog::Filter filter;
    filter.object = u"order:"_s + o.orderNo;
    auto entries = f.s->audit.list(filter);
    QVERIFY(entries.ok());
    QCOMPARE(entries->size(), 1);
    QCOMPARE(entries->first().action, u"order.create"_s);
    QCOMPARE(entries->first().user, u"clerk"_s);
    QCOMPARE(entries->first().details.value(u"amount"_s).toString(), u"12.30"_s);
    QCOMPARE(entries->first().at, f.clock->nowMs());
}

void TestStorage::zeroTotalIsPaidAtCreation()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    NewOrder req;
    req.amount = u"0"_s;
    req.title = u"Gift"_s;
    req.zeroTotal = true;
    auto created = f.s->orderService.create(actor(*f.s), req);
    QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.error().message));
    auto stored = f.s->orders.byNo(created->orderNo);
    QVERIFY(stored.ok());
    QCOMPARE(toString(stored->state), u"PAID"_s);
    QCOMPARE(stored->amountMinor, qint64(0));
    QCOMPARE(stored->paidAt, stored->createdAt);
    QVERIFY2(!stored->channel.has_value(), "a free order never reaches a channel");
    auto attempts = f.s->orders.attemptsOf(stored->id);
    QVERIFY(attempts.ok());
    QVERIFY(attempts->isEmpty());
    AuditLog::Filter filter;
    filter.object = u"order:"_s + created->orderNo;
    auto entries = f.s->audit.list(filter);
    QVERIFY(entries.ok());
    QCOMPARE(entries->size(), 1);
    QVERIFY(entries->first().details.value(u"paid_at_creation"_s).toBool());
}

void TestStorage::refusedOrderChangesNothing_data()
{
    QTest::addColumn<QString>("amount");
    QTest::addColumn<bool>("zeroTotal");
    QTest::addColumn<QString>("title");
    QTest::addColumn<QString>("code");
    QTest::newRow("0.001") << "0.001" << false << "x" << "money.too_many_decimals";
    QTest::newRow("0 without --free") << "0" << false << "x" << "money.zero";
    QTest::newRow("-1") << "-1" << false << "x" << "money.negative";
    QTest::newRow("abc") << "abc" << false << "x" << "money.not_a_number";
    QTest::newRow("1e3") << "1e3" << false << "x" << "money.not_a_number";
    QTest::newRow("above maximum") << "100000000.01" << false << "x" << "money.above_maximum";
    QTest::newRow("empty") << "" << false << "x" << "money.empty";
    QTest::newRow("free but not zero") << "5.00" << true << "x" << "order.zero_total_mismatch";
    QTest::newRow("no title") << "1.00" << false << "   " << "order.title_required";
    QTest::newRow("title too long") << "1.00" << false << QString(128, u'x') << "order.title_too_long";
}

void TestStorage::refusedOrderChangesNothing()
{
    QFETCH(QString, amount);
    QFETCH(bool, zeroTotal);
    QFETCH(QString, title);
    QFETCH(QString, code);
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    const qint64 auditBefore = countOf(*f.s->db, u"audit_log"_s);
    NewOrder req;
    req.amount = amount;
    req.title = title;
    req.zeroTotal = zeroTotal;
    auto created = f.s->orderService.create(actor(*f.s), req);
    QVERIFY2(!created.ok(), "a bad order was accepted");
    QCOMPARE(created.error().code, code);
    QVERIFY(created.error().kind == Error::Kind::Invalid);
    QVERIFY(!created.error().message.isEmpty());
    QCOMPARE(countOf(*f.s->db, u"orders"_s), qint64(0));
    QCOMPARE(countOf(*f.s->db, u"payment_attempts"_s), qint64(0));
    // The refusal itself is on record, with the rule that refused it.
    QCOMPARE(countOf(*f.s->db, u"audit_log"_s), auditBefore + 1);
    auto entries = f.s->audit.list({});
    QVERIFY(entries.ok());
    QCOMPARE(entries->first().action, u"order.create.refused"_s);
    QCOMPARE(entries->first().user, u"clerk"_s);
    QCOMPARE(entries->first().details.value(u"code"_s).toString(), code);
    QCOMPARE(entries->first().details.value(u"amount"_s).toString(), amount);
    auto verified = f.s->audit.verify();
    QVERIFY(verified.ok() && verified->intact);
}

void TestStorage::listFiltersByStateChannelAndDate()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    const qint64 day0 = f.clock->nowMs();
    Services &s = *f.s;
    insertOrder(s, u"PDT001"_s, 100, OrderState::Pending, day0, ChannelKind::WeChat);
    insertOrder(s, u"PDT002"_s, 200, OrderState::Paid, day0 + 1 * kDay, ChannelKind::WeChat);
    insertOrder(s, u"PDT003"_s, 300, OrderState::Paid, day0 + 2 * kDay, ChannelKind::Alipay);
    insertOrder(s, u"PDT004"_s, 400, OrderState::Closed, day0 + 3 * kDay, ChannelKind::Alipay);
    insertOrder(s, u"PDT005"_s, 500, OrderState::Refunded, day0 + 4 * kDay, ChannelKind::Sim);
    insertOrder(s, u"PDT006"_s, 0, OrderState::Paid, day0 + 5 * kDay); // free: no channel

    auto check = [&s](const OrderFilter &filter, const QStringList &expected) {
        auto list = s.orders.list(filter);
        auto count = s.orders.count(filter);
        if (!list.ok() || !count.ok())
            return QStringList{u"error"_s};
        QStringList got = orderNos(list.value());
        got.sort();
        if (count.value() != got.size())
            got << u"count %1 != list %2"_s.arg(count.value()).arg(got.size());
        return got == expected ? QStringList() : got;
    };
    OrderFilter all;
    QCOMPARE(check(all, {u"PDT001"_s, u"PDT002"_s, u"PDT003"_s, u"PDT004"_s, u"PDT005"_s, u"PDT006"_s}), QStringList());

    OrderFilter paid;
    paid.states = {OrderState::Paid};
    QCOMPARE(check(paid, {u"PDT002"_s, u"PDT003"_s, u"PDT006"_s}), QStringList());

    OrderFilter open;
    open.states = {OrderState::Pending, OrderState::Closed};
    QCOMPARE(check(open, {u"PDT001"_s, u"PDT004"_s}), QStringList());

    OrderFilter alipay;
    alipay.channel = ChannelKind::Alipay;
    QCOMPARE(check(alipay, {u"PDT003"_s, u"PDT004"_s}), QStringList());

    OrderFilter paidWeChat;
    paidWeChat.states = {OrderState::Paid};
    paidWeChat.channel = ChannelKind::WeChat;
    QCOMPARE(check(paidWeChat, {u"PDT002"_s}), QStringList());

    // From is inclusive, to is exclusive: [day1, day3) holds the orders of day 1 and day 2.
    OrderFilter range;
    range.createdFrom = day0 + 1 * kDay;
    range.createdTo = day0 + 3 * kDay;
    QCOMPARE(check(range, {u"PDT002"_s, u"PDT003"_s}), QStringList());

    OrderFilter fromOnly;
    fromOnly.createdFrom = day0 + 4 * kDay;
    QCOMPARE(check(fromOnly, {u"PDT005"_s, u"PDT006"_s}), QStringList());

    OrderFilter everything;
    everything.states = {OrderState::Paid};
    everything.channel = ChannelKind::Alipay;
    everything.createdFrom = day0 + 2 * kDay;
    everything.createdTo = day0 + 2 * kDay + 1;
    everything.search = u"pdt003"_s;
    QCOMPARE(check(everything, {u"PDT003"_s}), QStringList());

    OrderFilter nothing;
    nothing.states = {OrderState::PartiallyRefunded};
    QCOMPARE(check(nothing, {}), QStringList());

    // Limit and offset page through the same order.
    OrderFilter page;
    page.limit = 2;
    page.offset = 2;
    auto p = s.orders.list(page);
    QVERIFY(p.ok());
    QCOMPARE(orderNos(p.value()), (QStringList{u"PDT004"_s, u"PDT003"_s}));
}

void TestStorage::search_data()
{
    QTest::addColumn<QString>("needle");
    QTest::addColumn<QStringList>("titles"); // of the orders found, sorted
    QTest::newRow("latin word") << "milk" << QStringList{u"Pearl milk tea"_s, u"Pearl milk tea x2"_s};
    QTest::newRow("latin, other case") << "PEARL MILK" << QStringList{u"Pearl milk tea"_s, u"Pearl milk tea x2"_s};
    QTest::newRow("latin inside a word") << "ffe" << QStringList{u"Caffe latte"_s};
    QTest::newRow("chinese 4 chars") << "珍珠奶茶" << QStringList{u"珍珠奶茶"_s};
    QTest::newRow("chinese 3 chars") << "北京烤" << QStringList{u"北京烤鸭 ×2"_s};
    QTest::newRow("chinese 2 chars") << "奶茶" << QStringList{u"珍珠奶茶"_s};
    QTest::newRow("chinese 1 char") << "鸭" << QStringList{u"北京烤鸭 ×2"_s};
    QTest::newRow("buyer chinese") << "张伟" << QStringList{u"Caffe latte"_s};
    QTest::newRow("buyer latin") << "emily" << QStringList{u"珍珠奶茶"_s};
    QTest::newRow("1 latin char") << "x" << QStringList{u"Pearl milk tea x2"_s};
    QTest::newRow("percent is literal, 2 chars") << "%_" << QStringList{u"50%_off voucher"_s};
    QTest::newRow("percent is literal, 4 chars") << "0%_o" << QStringList{u"50%_off voucher"_s};
    QTest::newRow("quote in needle") << "tea\"x" << QStringList();
    QTest::newRow("quote, 2 chars") << "\"x" << QStringList();
    QTest::newRow("no match") << "durian" << QStringList();
    QTest::newRow("blank is no filter") << "  " << QStringList{u"50%_off voucher"_s, u"Caffe latte"_s, u"Pearl milk tea"_s,
                                                             u"Pearl milk tea x2"_s, u"北京烤鸭 ×2"_s, u"珍珠奶茶"_s};
    // Order numbers: set in search() from the created orders ("@no:" + a middle substring).
    QTest::newRow("order no, 6 digits") << "@no:6" << QStringList{u"Caffe latte"_s};
    QTest::newRow("order no, 2 digits") << "@no:2" << QStringList{u"Caffe latte"_s};
}

void TestStorage::search()
{
    QFETCH(QString, needle);
    QFETCH(QStringList, titles);
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    const QList<std::pair<QString, QString>> orders{
        {u"Pearl milk tea"_s, u"Tom Zhang"_s}, {u"Pearl milk tea x2"_s, u""_s},
        {u"珍珠奶茶"_s, u"Emily Chen"_s},       {u"北京烤鸭 ×2"_s, u"王芳"_s},
        {u"Caffe latte"_s, u"张伟"_s},          {u"50%_off voucher"_s, u""_s},
    };
    QString latteNo;
    QStringList searchTexts; // what each order can be found by
    for (const auto &[title, buyer] : orders) {
        NewOrder req;
        req.amount = u"1.00"_s;
        req.title = title;
        req.buyer = buyer;
        auto o = f.s->orderService.create(actor(*f.s), req);
        QVERIFY2(o.ok(), qPrintable(o.ok() ? QString() : o.error().message));
        searchTexts << OrderRepository::searchTextOf(o.value());
        if (title == u"Caffe latte"_s)
            latteNo = o->orderNo;
    }
    if (needle.startsWith(u"@no:"_s)) {
        // A piece of the random tail of the latte's order number that no other order has.
        const int len = needle.mid(4).toInt();
        QString piece;
        for (int at = 10; at + len <= latteNo.size() && piece.isEmpty(); ++at) {
            const QString candidate = latteNo.mid(at, len);
            if (searchTexts.filter(candidate).size() == 1)
                piece = candidate;
        }
        if (piece.isEmpty())
            QSKIP("every piece of this random order number also occurs in another order; nothing to test");
        needle = piece;
    }
    OrderFilter filter;
    filter.search = needle;
    filter.limit = 1000;
    auto found = f.s->orders.list(filter);
    QVERIFY2(found.ok(), qPrintable(found.ok() ? QString() : found.error().message));
    QStringList got;
    for (const Order &o : found.value())
        got << o.title;
    got.sort();
    QCOMPARE(got, titles);
    auto n = f.s->orders.count(filter);
    QVERIFY(n.ok());
    QCOMPARE(n.value(), qint64(titles.size()));
}

void TestStorage::searchUsesTheIndexForThreeOrMoreCharacters()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    OrderFilter shortNeedle, longNeedle;
    shortNeedle.search = u"奶茶"_s;
    longNeedle.search = u"珍珠奶茶"_s;
    const auto shortSql = s.orders.sqlFor(shortNeedle);
    const auto longSql = s.orders.sqlFor(longNeedle);
    // 1-2 characters: a plain (escaped) substring match; trigram indexes need 3.
    QVERIFY2(shortSql.where.contains(u"LIKE"_s) && !shortSql.where.contains(u"orders_fts"_s), qPrintable(shortSql.where));
    if (s.db->dialect() == Database::Dialect::SQLite) {
        QVERIFY2(longSql.where.contains(u"orders_fts"_s), qPrintable(longSql.where));
        QCOMPARE(countOf(*s.db, u"sqlite_master WHERE name = 'orders_fts'"_s), qint64(1));
    } else {
        // PostgreSQL serves the same LIKE from the pg_trgm GIN index.
        QVERIFY2(longSql.where.contains(u"LIKE"_s), qPrintable(longSql.where));
        QCOMPARE(countOf(*s.db, u"pg_indexes WHERE indexname = 'orders_search_trgm'"_s), qint64(1));
        for (int i = 0; i < 50; ++i)
            insertOrder(s, u"PDIDX%1"_s.arg(i, 3, 10, QChar(u'0')), 100, OrderState::Paid, f.clock->nowMs() + i,
                        std::nullopt, i == 7 ? u"珍珠奶茶"_s : u"Americano"_s);
        QVERIFY(execSql(*s.db, u"ANALYZE orders"_s));
        // EXPLAIN cannot be a prepared statement: put the bound pattern in as a literal.
        OrderFilter latin;
        latin.search = u"americano"_s;
        QString where = s.orders.sqlFor(latin).where;
        QVERIFY2(where.contains(u":like"_s), qPrintable(where));
        where.replace(u":like"_s, u"'%americano%'"_s);
        QVERIFY(execSql(*s.db, u"SET enable_seqscan = off"_s));
        QSqlQuery q(s.db->connection());
        QVERIFY2(q.exec(u"EXPLAIN SELECT o.id FROM orders o"_s + where), qPrintable(q.lastError().text()));
        QString plan;
        while (q.next())
            plan += q.value(0).toString() + u'\n';
        QVERIFY(execSql(*s.db, u"SET enable_seqscan = on"_s));
        QVERIFY2(plan.contains(u"orders_search_trgm"_s), qPrintable(plan));
        QCOMPARE(s.orders.count(latin).value(), qint64(49));
        auto hits = s.orders.count(longNeedle);
        QVERIFY(hits.ok());
        QCOMPARE(hits.value(), qint64(1));
    }
}

void TestStorage::sortingIsStableBothWays()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    // Twelve orders in the same millisecond with only three different amounts: the sort key
    // ties, so the order must still be fixed (by id) for paging not to skip or repeat rows.
    for (int i = 0; i < 12; ++i) {
        NewOrder req;
        req.amount = QString::number(1 + i % 3) + u".00"_s;
        req.title = u"Item %1"_s.arg(i);
        QVERIFY(f.s->orderService.create(actor(*f.s), req).ok());
    }
    for (const auto sort : {OrderFilter::Sort::Amount, OrderFilter::Sort::CreatedAt, OrderFilter::Sort::OrderNo,
                            OrderFilter::Sort::Title, OrderFilter::Sort::State}) {
        OrderFilter asc;
        asc.sort = sort;
        asc.descending = false;
        OrderFilter desc = asc;
        desc.descending = true;
        auto up = f.s->orders.list(asc);
        auto down = f.s->orders.list(desc);
        QVERIFY(up.ok() && down.ok());
        QCOMPARE(up->size(), 12);
        QStringList upNos = orderNos(up.value()), downNos = orderNos(down.value());
        std::reverse(downNos.begin(), downNos.end());
        QCOMPARE(upNos, downNos);
        for (int i = 1; i < up->size(); ++i) {
            const Order &a = up->at(i - 1), &b = up->at(i);
            if (sort == OrderFilter::Sort::Amount) {
                QVERIFY(a.amountMinor <= b.amountMinor);
                if (a.amountMinor == b.amountMinor)
                    QVERIFY2(a.id < b.id, "ties must be broken by id");
            }
        }
        // Paging through in steps of 5 gives the same rows, each exactly once.
        for (OrderFilter *filter : {&asc, &desc}) {
            QStringList paged;
            filter->limit = 5;
            for (filter->offset = 0; filter->offset < 15; filter->offset += 5) {
                auto page = f.s->orders.list(*filter);
                QVERIFY(page.ok());
                paged << orderNos(page.value());
            }
            QCOMPARE(paged, filter == &asc ? orderNos(up.value()) : orderNos(down.value()));
        }
    }
}

void TestStorage::compareAndSetLetsOnlyOneWin()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    const Order o = insertOrder(s, u"PDCAS1"_s, 1000, OrderState::Pending, f.clock->nowMs(), ChannelKind::WeChat);
    QSqlDatabase conn = s.db->connection();
    const qint64 firstPaid = f.clock->nowMs() + 5000;
    const Status first = s.orders.casOrder(conn, o.id, OrderState::Pending, OrderState::Paid,
                                           {{u"paid_at"_s, firstPaid}});
    QVERIFY2(first.ok(), qPrintable(first.ok() ? QString() : first.error().message));
    // The timer, working from the same stale read, tries to close it.
    const Status second = s.orders.casOrder(conn, o.id, OrderState::Pending, OrderState::Closed,
                                            {{u"close_reason"_s, u"EXPIRED"_s}, {u"closed_at"_s, firstPaid + 1}});
    QVERIFY(!second.ok());
    QVERIFY(second.error().kind == Error::Kind::Conflict);
    QCOMPARE(second.error().code, u"state.changed"_s);
    QVERIFY2(second.error().message.contains(u"PENDING"_s), qPrintable(second.error().message));
    // And the same transition again (a duplicate notification) also loses.
    const Status third = s.orders.casOrder(conn, o.id, OrderState::Pending, OrderState::Paid,
                                           {{u"paid_at"_s, firstPaid + 99}});
    QVERIFY(!third.ok());
    QVERIFY(third.error().kind == Error::Kind::Conflict);
    auto now = s.orders.byId(o.id);
    QVERIFY(now.ok());
    QCOMPARE(toString(now->state), u"PAID"_s);
    QCOMPARE(now->paidAt, firstPaid);
    QCOMPARE(now->closedAt, qint64(0));
    QVERIFY(now->closeReason == CloseReason::None);

    // Attempts and refunds follow the same rule.
    PaidPayment p = insertPayment(s, u"PDCAS2"_s, 1000, f.clock->nowMs(), AttemptState::Paying);
    QVERIFY(s.orders.casAttempt(conn, p.attempt.id, AttemptState::Paying, AttemptState::Succeeded).ok());
    const Status lostAttempt = s.orders.casAttempt(conn, p.attempt.id, AttemptState::Paying, AttemptState::Closed);
    QVERIFY(!lostAttempt.ok() && lostAttempt.error().kind == Error::Kind::Conflict);
    auto attempts = s.orders.attemptsOf(p.order.id);
    QVERIFY(attempts.ok());
    QCOMPARE(toString(attempts->first().state), u"SUCCEEDED"_s);

    PaidPayment paid = insertPayment(s, u"PDCAS3"_s, 1000, f.clock->nowMs());
    QVERIFY(addReviewer(*s.db));
    Refund r;
    QVERIFY(requestRefund(s, paid.attempt, 500, f.clock->nowMs(), &r).ok());
    QVERIFY(s.refunds.cas(conn, r.id, RefundState::Requested, RefundState::Approved, {{u"reviewed_by"_s, u"finance"_s}}).ok());
    const Status lostRefund = s.refunds.cas(conn, r.id, RefundState::Requested, RefundState::Rejected,
                                            {{u"reviewed_by"_s, u"finance2"_s}});
    QVERIFY(!lostRefund.ok() && lostRefund.error().kind == Error::Kind::Conflict);
    auto refund = s.refunds.byOutRefundNo(r.outRefundNo);
    QVERIFY(refund.ok());
    QCOMPARE(toString(refund->state), u"APPROVED"_s);
    QCOMPARE(refund->reviewedBy, u"finance"_s);
}

void TestStorage::illegalTransitionsAreRefusedBeforeSql()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    const Order o = insertOrder(s, u"PDILL1"_s, 1000, OrderState::Closed, f.clock->nowMs());
    // A connection that cannot run anything: if the repository got as far as SQL, the
    // answer would be a storage error, not the transition rule.
    QSqlDatabase nowhere;
    const Status back = s.orders.casOrder(nowhere, o.id, OrderState::Closed, OrderState::Paid);
    QVERIFY(!back.ok());
    QCOMPARE(back.error().code, u"state.illegal_transition"_s);
    QVERIFY2(back.error().message.contains(u"CLOSED"_s) && back.error().message.contains(u"PAID"_s),
             qPrintable(back.error().message));
    QCOMPARE(s.orders.casOrder(nowhere, o.id, OrderState::Paid, OrderState::Pending).error().code,
             u"state.illegal_transition"_s);
    QCOMPARE(s.orders.casOrder(nowhere, o.id, OrderState::Refunded, OrderState::Paid).error().code,
             u"state.illegal_transition"_s);
    QCOMPARE(s.orders.casOrder(nowhere, o.id, OrderState::Paid, OrderState::Paid).error().code,
             u"state.illegal_transition"_s);
    QCOMPARE(s.orders.casAttempt(nowhere, 1, AttemptState::Succeeded, AttemptState::Paying).error().code,
             u"state.illegal_transition"_s);
    QCOMPARE(s.refunds.cas(nowhere, 1, RefundState::Succeeded, RefundState::Requested).error().code,
             u"state.illegal_transition"_s);
    QCOMPARE(s.refunds.cas(nowhere, 1, RefundState::Rejected, RefundState::Approved).error().code,
             u"state.illegal_transition"_s);
    // On the real connection the row did not move.
    QSqlDatabase conn = s.db->connection();
    QCOMPARE(s.orders.casOrder(conn, o.id, OrderState::Closed, OrderState::Paid).error().code,
             u"state.illegal_transition"_s);
    QCOMPARE(toString(s.orders.byId(o.id)->state), u"CLOSED"_s);
}

// ---- users --------------------------------------------------------------------------------

void TestStorage::firstUserMustBeAdmin()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    UserDirectory &users = f.s->users;
    auto clerk = users.add(QString(), u"clerk1"_s, QString(), Role::Clerk, u"password-1"_s);
    QVERIFY(!clerk.ok());
    QCOMPARE(clerk.error().code, u"user.first_must_be_admin"_s);
    QVERIFY(clerk.error().message.contains(u"ADMIN"_s));
    QCOMPARE(users.count().value(), qint64(0));
    auto weak = users.add(QString(), u"admin"_s, QString(), Role::Admin, u"short"_s);
    QVERIFY(!weak.ok());
    QCOMPARE(weak.error().code, u"user.weak_password"_s);
    QVERIFY(weak.error().message.contains(u"8"_s));
    auto badLogin = users.add(QString(), u"Ad Min"_s, QString(), Role::Admin, u"password-1"_s);
    QVERIFY(!badLogin.ok());
    QCOMPARE(badLogin.error().code, u"user.bad_login"_s);
    QCOMPARE(users.count().value(), qint64(0));

    auto admin = users.add(QString(), u"admin"_s, u"The Boss"_s, Role::Admin, u"password-1"_s);
    QVERIFY2(admin.ok(), qPrintable(admin.ok() ? QString() : admin.error().message));
    QVERIFY(admin->role == Role::Admin);
    QCOMPARE(admin->displayName, u"The Boss"_s);
    QVERIFY(admin->passwordHash.startsWith(u"$argon2id$"_s));
    QVERIFY(!admin->passwordHash.contains(u"password-1"_s));
    auto entries = f.s->audit.list({});
    QVERIFY(entries.ok());
    QCOMPARE(entries->first().action, u"user.add"_s);
    QCOMPARE(entries->first().object, u"user:admin"_s);
    QCOMPARE(entries->first().user, u"(setup)"_s);
}

void TestStorage::onlyAdminsAddUsers()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    UserDirectory &users = f.s->users;
    QVERIFY(users.add(QString(), u"admin"_s, QString(), Role::Admin, u"password-1"_s).ok());
    QVERIFY(users.add(u"admin"_s, u"clerk"_s, QString(), Role::Clerk, u"password-2"_s).ok());
    QVERIFY(users.add(u"admin"_s, u"finance"_s, QString(), Role::Finance, u"password-3"_s).ok());

    auto byClerk = users.add(u"clerk"_s, u"mallory"_s, QString(), Role::Admin, u"password-4"_s);
    QVERIFY(!byClerk.ok());
    QVERIFY(byClerk.error().kind == Error::Kind::Forbidden);
    QCOMPARE(byClerk.error().code, u"user.admin_required"_s);
    auto byNobody = users.add(QString(), u"mallory"_s, QString(), Role::Admin, u"password-4"_s);
    QVERIFY(!byNobody.ok());
    QCOMPARE(byNobody.error().code, u"user.admin_required"_s);
    auto byFinance = users.add(u"finance"_s, u"mallory"_s, QString(), Role::Clerk, u"password-4"_s);
    QVERIFY(!byFinance.ok());
    QCOMPARE(byFinance.error().code, u"user.admin_required"_s);
    // The actor names PayDesk writes itself cannot be taken by a person.
    for (const QString &name : {u"system"_s, u"auto"_s, u"timer"_s, u"setup"_s, u"demo-counter"_s}) {
        auto reserved = users.add(u"admin"_s, name, QString(), Role::Finance, u"password-6"_s);
        QVERIFY2(!reserved.ok(), qPrintable(name));
        QCOMPARE(reserved.error().code, u"user.reserved_login"_s);
        QVERIFY(!users.find(name).ok());
    }
    auto duplicate = users.add(u"admin"_s, u"clerk"_s, QString(), Role::Clerk, u"password-5"_s);
    QVERIFY(!duplicate.ok());
    QCOMPARE(duplicate.error().code, u"user.exists"_s);
    QCOMPARE(users.count().value(), qint64(3));
    QVERIFY(!users.find(u"mallory"_s).ok());

    // A disabled administrator is no administrator.
    QVERIFY(users.add(u"admin"_s, u"admin2"_s, QString(), Role::Admin, u"password-6"_s).ok());
    QVERIFY(users.setActive(u"admin"_s, u"admin2"_s, false).ok());
    QCOMPARE(users.add(u"admin2"_s, u"eve"_s, QString(), Role::Clerk, u"password-7"_s).error().code,
             u"user.admin_required"_s);
    QCOMPARE(users.setActive(u"admin"_s, u"admin"_s, false).error().code, u"user.disable_self"_s);
}

void TestStorage::loginFailuresLookAlike()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    UserDirectory &users = f.s->users;
    QVERIFY(users.add(QString(), u"admin"_s, QString(), Role::Admin, u"password-1"_s).ok());
    auto ok = users.login(u"admin"_s, u"password-1"_s);
    QVERIFY2(ok.ok(), qPrintable(ok.ok() ? QString() : ok.error().message));
    QCOMPARE(ok->login, u"admin"_s);
    auto wrong = users.login(u"admin"_s, u"password-2"_s);
    auto unknown = users.login(u"nobody"_s, u"password-1"_s);
    QVERIFY(!wrong.ok() && !unknown.ok());
    QVERIFY(wrong.error().kind == Error::Kind::Forbidden);
    // Nothing tells an attacker which logins exist.
    QCOMPARE(wrong.error().code, unknown.error().code);
    QCOMPARE(wrong.error().message, unknown.error().message);
    QCOMPARE(wrong.error().code, u"login.failed"_s);

    AuditLog::Filter filter;
    filter.object = u"user:admin"_s;
    auto admin = f.s->audit.list(filter);
    QVERIFY(admin.ok());
    QStringList actions;
    for (const AuditEntry &e : admin.value())
        actions << e.action;
    QCOMPARE(actions, (QStringList{u"login.failed"_s, u"login"_s, u"user.add"_s}));
    QCOMPARE(admin->first().details.value(u"reason"_s).toString(), u"bad password"_s);
    filter.object = u"user:nobody"_s;
    auto nobody = f.s->audit.list(filter);
    QVERIFY(nobody.ok());
    QCOMPARE(nobody->size(), 1);
    QCOMPARE(nobody->first().action, u"login.failed"_s);
    QCOMPARE(nobody->first().details.value(u"reason"_s).toString(), u"unknown user"_s);
}

void TestStorage::repeatedFailuresAreSlowedDown()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    UserDirectory &users = f.s->users;
    QVERIFY(users.add(QString(), u"admin"_s, QString(), Role::Admin, u"password-1"_s).ok());
    QVERIFY(users.add(u"admin"_s, u"clerk"_s, QString(), Role::Clerk, u"password-2"_s).ok());
    const qint64 auditBefore = countOf(*f.s->db, u"audit_log"_s);

    for (int i = 1; i <= UserDirectory::kFreeFailures; ++i) {
        auto r = users.login(u"clerk"_s, u"guess-%1"_s.arg(i));
        QCOMPARE(r.error().code, u"login.failed"_s);
        QCOMPARE(users.find(u"clerk"_s)->failedLogins, i);
    }
    // After three failures even the right password has to wait...
    auto throttled = users.login(u"clerk"_s, u"password-2"_s);
    QVERIFY(!throttled.ok());
    QCOMPARE(throttled.error().code, u"login.throttled"_s);
    QVERIFY2(throttled.error().message.contains(u"try again in 1 second"_s), qPrintable(throttled.error().message));
    // ...and a wrong one is not even checked (and does not extend the wait).
    QCOMPARE(users.login(u"clerk"_s, u"guess-4"_s).error().code, u"login.throttled"_s);
    QCOMPARE(users.find(u"clerk"_s)->failedLogins, 3);
    // Other accounts are not affected.
    QVERIFY(users.login(u"admin"_s, u"password-1"_s).ok());

    f.clock->advanceMs(UserDirectory::lockDurationMs(3));
    // Allowed again; another failure doubles the wait.
    QCOMPARE(users.login(u"clerk"_s, u"guess-5"_s).error().code, u"login.failed"_s);
    QCOMPARE(users.find(u"clerk"_s)->lockedUntil, f.clock->nowMs() + 2000);
    f.clock->advanceMs(1999);
    QCOMPARE(users.login(u"clerk"_s, u"password-2"_s).error().code, u"login.throttled"_s);
    f.clock->advanceMs(1);
    auto in = users.login(u"clerk"_s, u"password-2"_s);
    QVERIFY2(in.ok(), qPrintable(in.ok() ? QString() : in.error().message));
    // Success resets the count: three more free failures.
    QCOMPARE(users.find(u"clerk"_s)->failedLogins, 0);
    QCOMPARE(users.find(u"clerk"_s)->lockedUntil, qint64(0));
    QCOMPARE(users.login(u"clerk"_s, u"guess-6"_s).error().code, u"login.failed"_s);
    QCOMPARE(users.login(u"clerk"_s, u"guess-7"_s).error().code, u"login.failed"_s);
    QCOMPARE(users.login(u"clerk"_s, u"guess-8"_s).error().code, u"login.failed"_s);

    // The wait is capped.
    QCOMPARE(UserDirectory::lockDurationMs(2), qint64(0));
    QCOMPARE(UserDirectory::lockDurationMs(4), qint64(2000));
    QCOMPARE(UserDirectory::lockDurationMs(1000), UserDirectory::kMaxLockMs);

    // Every attempt is on record: 3 failed, 2 throttled, admin ok, 1 failed, 1 throttled,
    // 1 ok, 3 failed.
    QCOMPARE(countOf(*f.s->db, u"audit_log"_s), auditBefore + 12);
    QCOMPARE(countOf(*f.s->db, u"audit_log WHERE action = 'login.failed' AND object = 'user:clerk'"_s), qint64(7));
    QCOMPARE(countOf(*f.s->db, u"audit_log WHERE action = 'login.throttled' AND object = 'user:clerk'"_s), qint64(3));
    QCOMPARE(countOf(*f.s->db, u"audit_log WHERE action = 'login' AND object = 'user:clerk'"_s), qint64(1));
    QVERIFY(f.s->audit.verify()->intact);
}

void TestStorage::disabledAccountIsRefused()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    UserDirectory &users = f.s->users;
    QVERIFY(users.add(QString(), u"admin"_s, QString(), Role::Admin, u"password-1"_s).ok());
    QVERIFY(users.add(u"admin"_s, u"clerk"_s, QString(), Role::Clerk, u"password-2"_s).ok());
    QVERIFY(users.setActive(u"admin"_s, u"clerk"_s, false).ok());
    auto r = users.login(u"clerk"_s, u"password-2"_s);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, u"login.disabled"_s);
    QVERIFY(r.error().message.contains(u"disabled"_s));
    // With a wrong password it looks like any other failure.
    QCOMPARE(users.login(u"clerk"_s, u"nope-nope"_s).error().code, u"login.failed"_s);
    QCOMPARE(countOf(*f.s->db, u"audit_log WHERE action = 'login.failed' AND object = 'user:clerk'"_s), qint64(2));
    QCOMPARE(countOf(*f.s->db, u"audit_log WHERE action = 'user.disable' AND object = 'user:clerk'"_s), qint64(1));
    QVERIFY(users.setActive(u"admin"_s, u"clerk"_s, true).ok());
    QVERIFY(users.login(u"clerk"_s, u"password-2"_s).ok());
}

void TestStorage::rehashOnLoginWhenParametersRise()
{
    ScratchDatabase scratch;
    PAYDESK_REQUIRE_DB(scratch);
    const PasswordHasher::Params weak{1024, 1, 1};
    const PasswordHasher::Params strong{4096, 2, 1};
    {
        auto db = Database::open(scratch.url());
        QVERIFY(db.ok() && db.value()->migrate().ok());
        Services old(std::move(db.value()), std::make_unique<ManualClock>(), PasswordHasher(weak));
        QVERIFY(old.users.add(QString(), u"admin"_s, QString(), Role::Admin, u"password-1"_s).ok());
        QVERIFY(PasswordHasher::paramsOf(old.users.find(u"admin"_s)->passwordHash) == weak);
    }
    auto db = Database::open(scratch.url());
    QVERIFY(db.ok());
    Services upgraded(std::move(db.value()), std::make_unique<ManualClock>(), PasswordHasher(strong));
    const QString before = upgraded.users.find(u"admin"_s)->passwordHash;
    // A failed login leaves the hash alone.
    QVERIFY(!upgraded.users.login(u"admin"_s, u"password-2"_s).ok());
    QCOMPARE(upgraded.users.find(u"admin"_s)->passwordHash, before);
    auto in = upgraded.users.login(u"admin"_s, u"password-1"_s);
    QVERIFY2(in.ok(), qPrintable(in.ok() ? QString() : in.error().message));
    const QString after = upgraded.users.find(u"admin"_s)->passwordHash;
    QVERIFY(after != before);
    QVERIFY(PasswordHasher::paramsOf(after) == strong);
    QVERIFY(PasswordHasher::verify(after, u"password-1"_s));
    AuditLog::Filter filter;
    filter.object = u"user:admin"_s;
    auto entries = upgraded.audit.list(filter);
    QVERIFY(entries.ok());
    QCOMPARE(entries->first().action, u"login"_s);
    QVERIFY(entries->first().details.value(u"rehashed"_s).toBool());
    // Next time nothing to do.
    QVERIFY(upgraded.users.login(u"admin"_s, u"password-1"_s).ok());
    QCOMPARE(upgraded.users.find(u"admin"_s)->passwordHash, after);
    entries = upgraded.audit.list(filter);
    QVERIFY(!entries->first().details.contains(u"rehashed"_s));
}

// ---- audit chain --------------------------------------------------------------------------

void TestStorage::auditChainVerifies()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    auto empty = f.s->audit.verify();
    QVERIFY(empty.ok());
    QVERIFY(empty->intact);
    QCOMPARE(empty->checked, qint64(0));
    for (int i = 0; i < 20; ++i) {
        f.clock->advanceMs(1000);
        QVERIFY(f.s->audit.record(u"clerk"_s, u"test.action"_s, u"order:%1"_s.arg(i),
                                  {{u"amount"_s, u"%1.00"_s.arg(i)}, {u"note"_s, u"备注 ✓"_s}})
                    .ok());
    }
    auto v = f.s->audit.verify();
    QVERIFY(v.ok());
    QVERIFY2(v->intact, qPrintable(v->problem));
    QCOMPARE(v->checked, qint64(20));
    QCOMPARE(v->firstBrokenSeq, qint64(0));
    auto entries = f.s->audit.list({});
    QVERIFY(entries.ok());
    QCOMPARE(entries->size(), 20);
    QCOMPARE(entries->first().seq, qint64(20));
    QCOMPARE(entries->first().prevHash, entries->at(1).hash);
    QCOMPARE(entries->last().prevHash, QString());
    QCOMPARE(entries->first().details.value(u"note"_s).toString(), u"备注 ✓"_s);
    QCOMPARE(AuditLog::computeHash(entries->first()), entries->first().hash);
    // An audited action that rolls back leaves no entry behind.
    {
        Transaction tx(*f.s->db);
        QVERIFY(f.s->audit.append(tx, u"clerk"_s, u"rolled.back"_s, u"x"_s).ok());
    }
    QCOMPARE(countOf(*f.s->db, u"audit_log"_s), qint64(20));
    QVERIFY(f.s->audit.verify()->intact);
}

void TestStorage::editedAuditRowIsNamed_data()
{
    QTest::addColumn<QString>("set");          // SQL SET clause applied to one row
    QTest::addColumn<qint64>("seq");           // the row edited
    QTest::addColumn<qint64>("brokenSeq");     // what verify must name
    QTest::addColumn<QString>("problem");      // part of its explanation
    QTest::newRow("details") << "details = '{\"amount\":\"999.00\"}'" << qint64(4) << qint64(4) << "hash";
    QTest::newRow("details, not canonical") << "details = '{\"amount\": \"3.00\"}'" << qint64(4) << qint64(4) << "canonical";
    QTest::newRow("user") << "user_login = 'mallory'" << qint64(5) << qint64(5) << "hash";
    QTest::newRow("at") << "at = at + 1" << qint64(2) << qint64(2) << "hash";
    QTest::newRow("action") << "action = 'refund.approve'" << qint64(7) << qint64(7) << "hash";
    QTest::newRow("object") << "object = 'order:other'" << qint64(1) << qint64(1) << "hash";
    QTest::newRow("own hash") << "hash = 'abc'" << qint64(3) << qint64(3) << "hash";
    QTest::newRow("previous hash") << "prev_hash = ''" << qint64(6) << qint64(6) << "previous hash";
    QTest::newRow("last row") << "user_login = 'mallory'" << qint64(8) << qint64(8) << "hash";
}

void TestStorage::editedAuditRowIsNamed()
{
    QFETCH(QString, set);
    QFETCH(qint64, seq);
    QFETCH(qint64, brokenSeq);
    QFETCH(QString, problem);
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    for (int i = 1; i <= 8; ++i) {
        f.clock->advanceMs(1000);
        QVERIFY(f.s->audit.record(u"clerk"_s, u"order.create"_s, u"order:%1"_s.arg(i), {{u"amount"_s, u"%1.00"_s.arg(i)}}).ok());
    }
    QVERIFY(f.s->audit.verify()->intact);
    QVERIFY(!execSql(*f.s->db, u"UPDATE audit_log SET "_s + set + u" WHERE seq = "_s + QString::number(seq))); // the database refuses
    QVERIFY(f.s->audit.verify()->intact);
    QVERIFY(liftDatabaseGuards(*f.s->db)); // a writer with DDL rights goes on
    QVERIFY(execSql(*f.s->db, u"UPDATE audit_log SET "_s + set + u" WHERE seq = "_s + QString::number(seq)));
    auto v = f.s->audit.verify();
    QVERIFY(v.ok());
    QVERIFY2(!v->intact, "the edit went unnoticed");
    QCOMPARE(v->firstBrokenSeq, brokenSeq);
    QVERIFY2(v->problem.contains(problem), qPrintable(v->problem));
    QCOMPARE(v->checked, brokenSeq - 1);
}

void TestStorage::deletedAuditRowsAreDetected_data()
{
    QTest::addColumn<QString>("where");
    QTest::addColumn<qint64>("brokenSeq");
    QTest::addColumn<QString>("problem");
    QTest::newRow("middle row") << "seq = 4" << qint64(4) << "missing";
    QTest::newRow("first row") << "seq = 1" << qint64(1) << "missing";
    QTest::newRow("last row") << "seq = 8" << qint64(8) << "removed";
    QTest::newRow("last three rows") << "seq >= 6" << qint64(6) << "removed";
    QTest::newRow("every row") << "seq >= 1" << qint64(1) << "removed";
}

void TestStorage::deletedAuditRowsAreDetected()
{
    QFETCH(QString, where);
    QFETCH(qint64, brokenSeq);
    QFETCH(QString, problem);
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    for (int i = 1; i <= 8; ++i)
        QVERIFY(f.s->audit.record(u"clerk"_s, u"order.create"_s, u"order:%1"_s.arg(i)).ok());
    QVERIFY(!execSql(*f.s->db, u"DELETE FROM audit_log WHERE "_s + where)); // the database refuses
    QVERIFY(f.s->audit.verify()->intact);
    QVERIFY(liftDatabaseGuards(*f.s->db)); // a writer with DDL rights goes on
    QVERIFY(execSql(*f.s->db, u"DELETE FROM audit_log WHERE "_s + where));
    auto v = f.s->audit.verify();
    QVERIFY(v.ok());
    QVERIFY2(!v->intact, "the deletion went unnoticed");
    QCOMPARE(v->firstBrokenSeq, brokenSeq);
    QVERIFY2(v->problem.contains(problem), qPrintable(v->problem));
}

void TestStorage::concurrentAppendsKeepTheChain()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    constexpr int kThreads = 4;
    constexpr int kEach = 25;
    QVERIFY(s.audit.record(u"main"_s, u"start"_s, u"test"_s).ok());
    std::latch start(kThreads);
    QMutex mutex;
    QStringList failures;
    QStringList connectionNames;
    std::vector<std::unique_ptr<QThread>> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back(QThread::create([&, t] {
            const QString name = s.db->connection().connectionName();
            {
                QMutexLocker lock(&mutex);
                connectionNames << name;
            }
            start.arrive_and_wait();
            for (int i = 0; i < kEach; ++i) {
                const Status st = s.audit.record(u"thread%1"_s.arg(t), u"test.append"_s, u"item:%1-%2"_s.arg(t).arg(i),
                                                 {{u"i"_s, i}});
                if (!st) {
                    QMutexLocker lock(&mutex);
                    failures << st.error().message;
                }
            }
        }));
        threads.back()->start();
    }
    for (auto &t : threads)
        QVERIFY(t->wait(QDeadlineTimer(120'000)));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(u'\n')));
    // Each thread had a connection of its own (a Qt SQL connection must stay in its thread).
    connectionNames << s.db->connection().connectionName();
    connectionNames.removeDuplicates();
    QCOMPARE(connectionNames.size(), kThreads + 1);

    const qint64 total = 1 + kThreads * kEach;
    QCOMPARE(countOf(*s.db, u"audit_log"_s), total);
    QCOMPARE(scalar(*s.db, u"SELECT MAX(seq) FROM audit_log"_s).toLongLong(), total);
    QCOMPARE(scalar(*s.db, u"SELECT seq FROM audit_head"_s).toLongLong(), total);
    for (int t = 0; t < kThreads; ++t)
        QCOMPARE(countOf(*s.db, u"audit_log WHERE user_login = 'thread%1'"_s.arg(t)), qint64(kEach));
    auto v = s.audit.verify();
    QVERIFY(v.ok());
    QVERIFY2(v->intact, qPrintable(u"broken at %1: %2"_s.arg(v->firstBrokenSeq).arg(v->problem)));
    QCOMPARE(v->checked, total);
}

// ---- refund cap ---------------------------------------------------------------------------

void TestStorage::refundCapNamesWhatIsLeft()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    const qint64 now = f.clock->nowMs();
    PaidPayment p = insertPayment(s, u"PDREF1"_s, 10000, now - kDay);
    Refund first;
    QVERIFY(requestRefund(s, p.attempt, 6000, now, &first).ok());
    QCOMPARE(toString(first.state), u"REQUESTED"_s);
    QCOMPARE(first.orderId, p.order.id);
    QCOMPARE(first.outRefundNo, u"RREF1-01"_s);
    QSqlDatabase conn = s.db->connection();
    QCOMPARE(RefundRepository::refundableOn(conn, p.attempt).value(), qint64(4000));

    const Status over = requestRefund(s, p.attempt, 4001, now);
    QVERIFY(!over.ok());
    QCOMPARE(over.error().code, u"refund.exceeds_refundable"_s);
    QVERIFY2(over.error().message.contains(u"40.00"_s), qPrintable(over.error().message));
    QVERIFY2(over.error().message.contains(u"40.01"_s), qPrintable(over.error().message));
    QCOMPARE(countOf(*s.db, u"refunds"_s), qint64(1));

    // Rejected and failed refunds give their amount back; requested, approved, processing
    // and succeeded ones hold it.
    QVERIFY(s.refunds.cas(conn, first.id, RefundState::Requested, RefundState::Rejected).ok());
    QCOMPARE(RefundRepository::refundableOn(conn, p.attempt).value(), qint64(10000));
    Refund second;
    QVERIFY(requestRefund(s, p.attempt, 10000, now, &second).ok());
    QCOMPARE(requestRefund(s, p.attempt, 1, now).error().code, u"refund.exceeds_refundable"_s);
    QVERIFY(addReviewer(*s.db));
    QVERIFY(s.refunds.cas(conn, second.id, RefundState::Requested, RefundState::Approved, {{u"reviewed_by"_s, u"finance"_s}}).ok());
    QVERIFY(s.refunds.cas(conn, second.id, RefundState::Approved, RefundState::Processing).ok());
    QCOMPARE(RefundRepository::refundableOn(conn, p.attempt).value(), qint64(0));
    QVERIFY(!s.refunds.cas(conn, second.id, RefundState::Processing, RefundState::Failed).ok()); // ABNORMAL holds it
    QCOMPARE(RefundRepository::refundableOn(conn, p.attempt).value(), qint64(0));
    QVERIFY(s.refunds.cas(conn, second.id, RefundState::Processing, RefundState::Closed).ok());
    QCOMPARE(RefundRepository::refundableOn(conn, p.attempt).value(), qint64(10000));

    // Amount rules come first.
    QCOMPARE(requestRefund(s, p.attempt, 0, now).error().code, u"money.zero"_s);
    QCOMPARE(requestRefund(s, p.attempt, -5, now).error().code, u"money.negative"_s);
}

void TestStorage::atMostFiftyRefundsPerPayment()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    const qint64 now = f.clock->nowMs();
    PaidPayment p = insertPayment(s, u"PDREF50"_s, 10000, now - kDay);
    for (int i = 0; i < RefundRepository::kMaxRefundsPerPayment; ++i) {
        const Status st = requestRefund(s, p.attempt, 1, now);
        QVERIFY2(st.ok(), qPrintable(st.ok() ? QString() : st.error().message));
    }
    const Status fiftyFirst = requestRefund(s, p.attempt, 1, now);
    QVERIFY(!fiftyFirst.ok());
    QCOMPARE(fiftyFirst.error().code, u"refund.too_many"_s);
    QVERIFY2(fiftyFirst.error().message.contains(u"50"_s), qPrintable(fiftyFirst.error().message));
    QCOMPARE(countOf(*s.db, u"refunds"_s), qint64(50));
    // Each got its own out_refund_no (the channel's idempotency key).
    QCOMPARE(scalar(*s.db, u"SELECT COUNT(DISTINCT out_refund_no) FROM refunds"_s).toLongLong(), qint64(50));
}

void TestStorage::noRefundAfter365Days()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    const qint64 now = f.clock->nowMs();
    PaidPayment old = insertPayment(s, u"PDOLD1"_s, 10000, now - 365 * kDay - 1);
    const Status late = requestRefund(s, old.attempt, 100, now);
    QVERIFY(!late.ok());
    QCOMPARE(late.error().code, u"refund.too_late"_s);
    QVERIFY2(late.error().message.contains(u"365"_s), qPrintable(late.error().message));
    PaidPayment edge = insertPayment(s, u"PDOLD2"_s, 10000, now - 365 * kDay);
    QVERIFY(requestRefund(s, edge.attempt, 100, now).ok());
    QCOMPARE(countOf(*s.db, u"refunds"_s), qint64(1));
}

void TestStorage::onlyPaidMoneyIsRefunded()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    const qint64 now = f.clock->nowMs();
    for (const auto state : {AttemptState::Created, AttemptState::Paying, AttemptState::Failed, AttemptState::Closed}) {
        PaidPayment p = insertPayment(s, u"PDNP"_s + toString(state), 10000, now, state);
        const Status st = requestRefund(s, p.attempt, 100, now);
        QVERIFY(!st.ok());
        QCOMPARE(st.error().code, u"refund.not_paid"_s);
        QVERIFY2(st.error().message.contains(toString(state)), qPrintable(st.error().message));
    }
    PaymentAttempt missing;
    missing.id = 424242;
    QCOMPARE(requestRefund(s, missing, 100, now).error().code, u"attempt.not_found"_s);
    QCOMPARE(countOf(*s.db, u"refunds"_s), qint64(0));
}

void TestStorage::racingRefundsCannotExceedThePayment()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    const qint64 now = f.clock->nowMs();
    constexpr int kRounds = 5;
    for (int round = 0; round < kRounds; ++round) {
        PaidPayment p = insertPayment(s, u"PDRACE%1"_s.arg(round), 10000, now - kMinute);
        std::latch start(2);
        QMutex mutex;
        QList<Status> results;
        std::vector<std::unique_ptr<QThread>> threads;
        for (int t = 0; t < 2; ++t) {
            threads.emplace_back(QThread::create([&] {
                s.db->connection(); // open this thread's connection before the race starts
                start.arrive_and_wait();
                const Status st = requestRefund(s, p.attempt, 6000, now);
                QMutexLocker lock(&mutex);
                results << st;
            }));
            threads.back()->start();
        }
        for (auto &t : threads)
            QVERIFY(t->wait(QDeadlineTimer(120'000)));
        QCOMPARE(results.size(), 2);
        int won = 0;
        for (const Status &st : std::as_const(results)) {
            if (st.ok())
                ++won;
            else
                QVERIFY2(st.error().code == u"refund.exceeds_refundable"_s, qPrintable(st.error().message));
        }
        QCOMPARE(won, 1);
        QCOMPARE(countOf(*s.db, u"refunds WHERE attempt_id = %1"_s.arg(p.attempt.id)), qint64(1));
        QCOMPARE(scalar(*s.db, u"SELECT SUM(amount_minor) FROM refunds WHERE attempt_id = %1"_s.arg(p.attempt.id)).toLongLong(),
                 qint64(6000));
    }
}

// ---- demo data ----------------------------------------------------------------------------

void TestStorage::demoIsReproducible()
{
    auto rows = [](Services &s) {
        QStringList out;
        QSqlQuery q(s.db->connection());
        if (!q.exec(u"SELECT order_no, amount_minor, state, close_reason, channel FROM orders ORDER BY id"_s))
            return QStringList{q.lastError().text()};
        while (q.next())
            out << u"%1 %2 %3 %4 %5"_s.arg(q.value(0).toString(), q.value(1).toString(), q.value(2).toString(),
                                          q.value(3).toString(), q.value(4).toString());
        return out;
    };
    QStringList seeded[3];
    const quint32 seeds[3] = {7, 7, 8};
    for (int i = 0; i < 3; ++i) {
        Fixture f;
        PAYDESK_REQUIRE_DB(f.scratch);
        f.open();
        DemoSeeder seeder(*f.s->db, f.s->users, f.s->settings, *f.s->clock);
        DemoSeeder::Options opt;
        opt.orders = 600;
        opt.seed = seeds[i];
        auto sum = seeder.seed(opt);
        QVERIFY2(sum.ok(), qPrintable(sum.ok() ? QString() : sum.error().message));
        QCOMPARE(sum->orders, qint64(600));
        seeded[i] = rows(*f.s);
    }
    QCOMPARE(seeded[0].size(), 600);
    QCOMPARE(seeded[0], seeded[1]);
    QVERIFY2(seeded[0] != seeded[2], "a different seed gave the same history");
}

void TestStorage::demoHasARealisticMix()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    Database &db = *s.db;
    DemoSeeder seeder(db, s.users, s.settings, *s.clock);
    DemoSeeder::Options opt;
    opt.orders = 3000;
    opt.seed = 7;
    int lastProgress = 0;
    auto sum = seeder.seed(opt, [&lastProgress](int done, int total) {
        QVERIFY(done <= total);
        lastProgress = done;
    });
    QVERIFY2(sum.ok(), qPrintable(sum.ok() ? QString() : sum.error().message));
    QCOMPARE(lastProgress, 3000);
    const qint64 now = s.clock->nowMs();
    QCOMPARE(countOf(db, u"orders"_s), qint64(3000));
    QCOMPARE(sum->orders, qint64(3000));

    // Pending orders, each with a deadline in the next 30 minutes and a payment in flight.
    const qint64 pending = countOf(db, u"orders WHERE state = 'PENDING'"_s);
    QVERIFY(pending > 0);
    QCOMPARE(sum->pending, pending);
    QCOMPARE(countOf(db, u"orders WHERE state = 'PENDING' AND expires_at > %1 AND expires_at <= %2"_s.arg(now).arg(now + 30 * kMinute)),
             pending);
    QCOMPARE(countOf(db, u"orders o WHERE o.state = 'PENDING' AND EXISTS (SELECT 1 FROM payment_attempts a "
                         "WHERE a.order_id = o.id AND a.state = 'PAYING')"_s),
             pending);
    // Mostly paid, some closed on expiry and some by hand.
    const qint64 paidLike = countOf(db, u"orders WHERE state IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')"_s);
    QVERIFY2(paidLike > 3000 / 2, qPrintable(QString::number(paidLike)));
    QVERIFY(countOf(db, u"orders WHERE state = 'PARTIALLY_REFUNDED'"_s) > 0);
    QVERIFY(countOf(db, u"orders WHERE state = 'REFUNDED'"_s) > 0);
    const qint64 expired = countOf(db, u"orders WHERE state = 'CLOSED' AND close_reason = 'EXPIRED'"_s);
    const qint64 manual = countOf(db, u"orders WHERE state = 'CLOSED' AND close_reason = 'MANUAL'"_s);
    QVERIFY(expired > 0);
    QVERIFY(manual > 0);
    QVERIFY(expired > manual);
    QCOMPARE(countOf(db, u"orders WHERE state = 'CLOSED' AND close_reason = ''"_s), qint64(0));
    // Both channels, and an attempt behind every paid order.
    QVERIFY(countOf(db, u"orders WHERE channel = 'wechat'"_s) > 0);
    QVERIFY(countOf(db, u"orders WHERE channel = 'alipay'"_s) > 0);
    QCOMPARE(countOf(db, u"orders o WHERE o.state = 'PAID' AND NOT EXISTS (SELECT 1 FROM payment_attempts a "
                         "WHERE a.order_id = o.id AND a.state = 'SUCCEEDED')"_s),
             qint64(0));
    // Refunds in every state, never more than was paid on their attempt.
    for (const auto state : {RefundState::Requested, RefundState::Approved, RefundState::Rejected, RefundState::Processing,
                             RefundState::Succeeded, RefundState::Failed, RefundState::Closed})
        QVERIFY2(countOf(db, u"refunds WHERE state = '%1'"_s.arg(toString(state))) > 0, qPrintable(toString(state)));
    QCOMPARE(countOf(db, u"refunds"_s), sum->refunds);
    QCOMPARE(countOf(db, u"payment_attempts a WHERE a.amount_minor < (SELECT COALESCE(SUM(r.amount_minor), 0) FROM refunds r "
                         "WHERE r.attempt_id = a.id AND r.state IN ('REQUESTED', 'APPROVED', 'PROCESSING', 'SUCCEEDED'))"_s),
             qint64(0));
    // An order's refunded amount is what its succeeded refunds gave back, not counting the
    // refunds of extra money (duplicate or late payments), and its state says the same.
    QCOMPARE(countOf(db, u"orders o WHERE o.refunded_minor <> (SELECT COALESCE(SUM(r.amount_minor), 0) FROM refunds r "
                         "WHERE r.order_id = o.id AND r.state = 'SUCCEEDED' "
                         "AND NOT EXISTS (SELECT 1 FROM anomalies n WHERE n.refund_id = r.id))"_s),
             qint64(0));
    QCOMPARE(countOf(db, u"orders WHERE state = 'REFUNDED' AND refunded_minor <> amount_minor"_s), qint64(0));
    QCOMPARE(countOf(db, u"orders WHERE state = 'PARTIALLY_REFUNDED' "
                         "AND (refunded_minor = 0 OR refunded_minor >= amount_minor)"_s),
             qint64(0));
    QCOMPARE(countOf(db, u"orders WHERE state IN ('PAID', 'PENDING', 'CLOSED') AND refunded_minor <> 0"_s), qint64(0));
    // Anomalies, with the refund they proposed.
    QVERIFY(sum->anomalies > 0);
    QCOMPARE(countOf(db, u"anomalies"_s), sum->anomalies);
    QVERIFY(countOf(db, u"anomalies WHERE state = 'OPEN'"_s) > 0);
    QCOMPARE(countOf(db, u"anomalies WHERE refund_id IS NULL"_s), qint64(0));

    // The audit chain covers it all and is intact.
    auto v = s.audit.verify();
    QVERIFY(v.ok());
    QVERIFY2(v->intact, qPrintable(u"broken at %1: %2"_s.arg(v->firstBrokenSeq).arg(v->problem)));
    QCOMPARE(v->checked, sum->auditEntries);
    QVERIFY(sum->auditEntries > 3000);

    // Demo logins work (password = login) on a demo database.
    QVERIFY(s.settings.isDemo());
    for (const QString &login : {u"clerk"_s, u"finance"_s, u"admin"_s})
        QVERIFY2(s.users.login(login, login).ok(), qPrintable(login));
    QVERIFY(s.users.find(u"finance"_s)->role == Role::Finance);

    // Search finds seeded orders through the index exactly as a plain scan would.
    OrderFilter milk;
    milk.search = u"milk tea"_s;
    QCOMPARE(s.orders.count(milk).value(), countOf(db, u"orders WHERE search_text LIKE '%milk tea%'"_s));
    OrderFilter tea;
    tea.search = u"奶茶"_s;
    QVERIFY(s.orders.count(tea).value() > 0);

    // New work continues after the seeded ids (PostgreSQL identity sequences moved on).
    NewOrder req;
    req.amount = u"8.80"_s;
    req.title = u"After the demo"_s;
    auto created = s.orderService.create(s.users.find(u"clerk"_s).value(), req);
    QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.error().message));
    QVERIFY(created->id > 3000);
    PaidPayment p = insertPayment(s, u"PDAFTERDEMO"_s, 1000, now);
    QVERIFY(requestRefund(s, p.attempt, 500, now).ok());
    QVERIFY(s.audit.verify()->intact);
}

void TestStorage::demoRefusesRealDatabase()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    QVERIFY(s.users.add(QString(), u"boss"_s, QString(), Role::Admin, u"password-1"_s).ok());
    const qint64 auditBefore = countOf(*s.db, u"audit_log"_s);
    DemoSeeder seeder(*s.db, s.users, s.settings, *s.clock);
    auto sum = seeder.seed({});
    QVERIFY(!sum.ok());
    QCOMPARE(sum.error().code, u"demo.real_database"_s);
    // Nothing changed: no demo users with guessable passwords, no demo flag, no orders.
    QCOMPARE(s.users.count().value(), qint64(1));
    QVERIFY(!s.users.find(u"clerk"_s).ok());
    QVERIFY(!s.settings.isDemo());
    QCOMPARE(countOf(*s.db, u"orders"_s), qint64(0));
    QCOMPARE(countOf(*s.db, u"audit_log"_s), auditBefore);
}

void TestStorage::demoRefusesNonEmptyDatabase()
{
    {
        // A database that already holds orders (but no users yet) is left exactly as it was.
        Fixture f;
        PAYDESK_REQUIRE_DB(f.scratch);
        f.open();
        Services &s = *f.s;
        insertOrder(s, u"REAL-1"_s, 100, OrderState::Pending, s.clock->nowMs(), std::nullopt, u"Real sale"_s);
        DemoSeeder seeder(*s.db, s.users, s.settings, *s.clock);
        auto sum = seeder.seed({});
        QVERIFY(!sum.ok());
        QCOMPARE(sum.error().code, u"demo.not_empty"_s);
        QVERIFY2(sum.error().message.contains(u"1 orders"_s), qPrintable(sum.error().message));
        QCOMPARE(countOf(*s.db, u"orders"_s), qint64(1));
        QCOMPARE(s.users.count().value(), qint64(0));
        QVERIFY(!s.settings.isDemo());
    }
    {
        // Seeding a demo database twice is refused the second time.
        Fixture f;
        PAYDESK_REQUIRE_DB(f.scratch);
        f.open();
        Services &s = *f.s;
        DemoSeeder seeder(*s.db, s.users, s.settings, *s.clock);
        DemoSeeder::Options opt;
        opt.orders = 50;
        QVERIFY(seeder.seed(opt).ok());
        const qint64 audit = countOf(*s.db, u"audit_log"_s);
        auto again = seeder.seed(opt);
        QVERIFY(!again.ok());
        QCOMPARE(again.error().code, u"demo.not_empty"_s);
        QCOMPARE(countOf(*s.db, u"orders"_s), qint64(50));
        QCOMPARE(countOf(*s.db, u"audit_log"_s), audit);
        QCOMPARE(s.users.count().value(), qint64(4)); // clerk, finance, admin and the counter simulator
        QVERIFY(s.audit.verify()->intact);
    }
}

QTEST_GUILESS_MAIN(TestStorage)
#include "tst_storage.moc"

void TestStorage::sqliteBooksAreOnlyTheOwners()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString folder = tmp.filePath(u"books"_s);
    const QString file = folder + u"/paydesk.db"_s;
    {
        auto db = Database::open(u"sqlite:"_s + file);
        QVERIFY2(db.ok(), qPrintable(db ? QString() : db.error().message));
        QVERIFY(db.value()->migrate().ok());
    }
    const auto owner = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
    const auto others = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
        | QFileDevice::WriteOther | QFileDevice::ExeOther;
    QCOMPARE(QFileInfo(file).permissions() & (owner | others), owner);
    QCOMPARE(QFileInfo(folder).permissions() & others, QFileDevice::Permissions());
    // An existing file others can read is named, with the fix.
    QVERIFY(QFile::setPermissions(file, owner | QFileDevice::ReadGroup | QFileDevice::ReadOther));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"can be read by other users.*chmod 600"_s));
    auto again = Database::open(u"sqlite:"_s + file);
    QVERIFY(again.ok());
}

void TestStorage::parallelGuessesAreThrottledLikeSerialOnes()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    UserDirectory &users = f.s->users;
    QVERIFY(users.add(QString(), u"admin"_s, QString(), Role::Admin, u"password-1"_s).ok());
    QVERIFY(users.add(u"admin"_s, u"clerk"_s, QString(), Role::Clerk, u"password-2"_s).ok());
    constexpr int kThreads = 8;
    std::latch start(kThreads);
    QMutex mutex;
    QStringList codes;
    std::vector<std::unique_ptr<QThread>> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back(QThread::create([&, t] {
            start.arrive_and_wait();
            auto r = users.login(u"clerk"_s, u"guess-%1"_s.arg(t));
            QMutexLocker lock(&mutex);
            codes << (r.ok() ? u"ok"_s : r.error().code);
        }));
        threads.back()->start();
    }
    for (auto &t : threads)
        QVERIFY(t->wait(QDeadlineTimer(120'000)));
    // The clock stands still: only the free guesses are checked, the others wait.
    QCOMPARE(codes.count(u"login.failed"_s), UserDirectory::kFreeFailures);
    QCOMPARE(codes.count(u"login.throttled"_s), kThreads - UserDirectory::kFreeFailures);
    QCOMPARE(users.find(u"clerk"_s)->failedLogins, UserDirectory::kFreeFailures);

    // Right passwords entered at once (several seats, scripts) all get in.
    std::latch again(kThreads);
    QStringList good;
    threads.clear();
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back(QThread::create([&] {
            again.arrive_and_wait();
            auto r = users.login(u"admin"_s, u"password-1"_s);
            QMutexLocker lock(&mutex);
            good << (r.ok() ? u"ok"_s : r.error().code);
        }));
        threads.back()->start();
    }
    for (auto &t : threads)
        QVERIFY(t->wait(QDeadlineTimer(120'000)));
    QCOMPARE(good.count(u"ok"_s), kThreads);
}

void TestStorage::onlyAdminsChangeSettingsWithinBounds()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    UserDirectory &users = f.s->users;
    Settings &settings = f.s->settings;
    QVERIFY(users.add(QString(), u"admin"_s, QString(), Role::Admin, u"password-1"_s).ok());
    QVERIFY(users.add(u"admin"_s, u"finance"_s, QString(), Role::Finance, u"password-2"_s).ok());
    QVERIFY(users.add(u"admin"_s, u"admin2"_s, QString(), Role::Admin, u"password-3"_s).ok());
    const qint64 auditBefore = countOf(*f.s->db, u"audit_log"_s);

    // Nobody but an active ADMIN: the threshold stays 0 (everything reviewed).
    for (const QString &who : {u"finance"_s, u"nobody"_s, QString()}) {
        const Status st = settings.change(who, u"auto_approve_minor"_s, 500);
        QVERIFY2(!st.ok(), qPrintable(who));
        QCOMPARE(st.error().code, u"settings.admin_required"_s);
    }
    QVERIFY(users.setActive(u"admin"_s, u"admin2"_s, false).ok());
    QCOMPARE(settings.change(u"admin2"_s, u"auto_approve_minor"_s, 500).error().code, u"settings.admin_required"_s);
    QCOMPARE(settings.autoApproveMinor(), qint64(0));
    QCOMPARE(countOf(*f.s->db, u"audit_log WHERE action = 'settings.refused'"_s), qint64(4));

    // The ceiling and the other bounds hold, and unknown keys (the demo marker) are refused.
    const Status over = settings.change(u"admin"_s, u"auto_approve_minor"_s, Settings::kAutoApproveCapMinor + 1);
    QCOMPARE(over.error().code, u"settings.out_of_range"_s);
    QCOMPARE(settings.change(u"admin"_s, u"pay_timeout_s"_s, 10).error().code, u"settings.out_of_range"_s);
    QCOMPARE(settings.change(u"admin"_s, u"repay_buffer_s"_s, -1).error().code, u"settings.out_of_range"_s);
    QCOMPARE(settings.change(u"admin"_s, u"demo"_s, 1).error().code, u"settings.unknown"_s);
    QVERIFY(!settings.isDemo());

    // An ADMIN's change is audited with the value before and after.
    QVERIFY(settings.change(u"admin"_s, u"auto_approve_minor"_s, 500).ok());
    QCOMPARE(settings.autoApproveMinor(), qint64(500));
    QVERIFY(settings.change(u"admin"_s, u"auto_approve_minor"_s, 800).ok());
    QVERIFY(settings.change(u"admin"_s, u"auto_approve_minor"_s, 800).ok()); // no change, no entry
    AuditLog::Filter filter;
    filter.object = u"setting:auto_approve_minor"_s;
    auto entries = f.s->audit.list(filter);
    QVERIFY(entries.ok());
    QStringList seen;
    for (const AuditEntry &e : entries.value())
        if (e.action == u"settings.change"_s)
            seen << e.user + u':' + e.details.value(u"before"_s).toString() + u'>' + e.details.value(u"after"_s).toString();
    QCOMPARE(seen, (QStringList{u"admin:500>800"_s, u"admin:>500"_s})); // newest first
    QCOMPARE(countOf(*f.s->db, u"audit_log"_s), auditBefore + 1 + 4 + 2); // deactivation, refusals, changes

    // A limit written past this class is read within the ceiling.
    QVERIFY(execSql(*f.s->db, u"UPDATE settings SET value = '99999999' WHERE key = 'auto_approve_minor'"_s));
    QCOMPARE(settings.autoApproveMinor(), Settings::kAutoApproveCapMinor);
}

namespace {
template <typename E> QList<E> allOf(std::initializer_list<E> l) { return QList<E>(l); }

bool rawUpdate(Database &db, const QString &table, qint64 id, const QString &set)
{
    QSqlQuery q(db.connection());
    return q.exec(u"UPDATE "_s + table + u" SET "_s + set + u" WHERE id = "_s + QString::number(id));
}
} // namespace

// Migration 006's triggers repeat core's transition tables (Domain.cpp): every edge the
// program allows the database allows, and every other move it refuses, on both backends.
void TestStorage::databaseStatesFollowTheTransitionTables()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    QVERIFY(addReviewer(*s.db));
    const qint64 now = f.clock->nowMs();
    int n = 0;
    const auto orderStates = allOf({OrderState::Pending, OrderState::Paid, OrderState::PartiallyRefunded,
                                    OrderState::Refunded, OrderState::Closed});
    for (OrderState from : orderStates)
        for (OrderState to : orderStates) {
            const Order o = insertOrder(s, u"GUARD-O%1"_s.arg(++n), 1000, from, now);
            const bool took = rawUpdate(*s.db, u"orders"_s, o.id, u"state = '"_s + toString(to) + u"'"_s);
            QVERIFY2(took == (from == to || Transitions::allowed(from, to)),
                     qPrintable(u"order %1 -> %2"_s.arg(toString(from), toString(to))));
        }
    const auto attemptStates = allOf({AttemptState::Created, AttemptState::Paying, AttemptState::Succeeded,
                                      AttemptState::Failed, AttemptState::Closed});
    for (AttemptState from : attemptStates)
        for (AttemptState to : attemptStates) {
            const PaidPayment p = insertPayment(s, u"GUARD-A%1"_s.arg(++n), 1000, now, from);
            const bool took = rawUpdate(*s.db, u"payment_attempts"_s, p.attempt.id, u"state = '"_s + toString(to) + u"'"_s);
            QVERIFY2(took == (from == to || Transitions::allowed(from, to)),
                     qPrintable(u"payment %1 -> %2"_s.arg(toString(from), toString(to))));
        }
    // A refund reaches each state along the table, by raw SQL with a FINANCE reviewer.
    const QMap<RefundState, QList<RefundState>> path{
        {RefundState::Requested, {}},
        {RefundState::Approved, {RefundState::Approved}},
        {RefundState::Rejected, {RefundState::Rejected}},
        {RefundState::Processing, {RefundState::Approved, RefundState::Processing}},
        {RefundState::Succeeded, {RefundState::Approved, RefundState::Succeeded}},
        {RefundState::Failed, {RefundState::Approved, RefundState::Failed}},
        {RefundState::Closed, {RefundState::Approved, RefundState::Closed}},
    };
    for (auto it = path.cbegin(); it != path.cend(); ++it) {
        const PaidPayment p = insertPayment(s, u"GUARD-R%1"_s.arg(++n), 10000, now);
        for (RefundState to : path.keys()) {
            Refund r;
            QVERIFY(requestRefund(s, p.attempt, 1, now, &r).ok());
            for (RefundState step : it.value())
                QVERIFY(rawUpdate(*s.db, u"refunds"_s, r.id, u"reviewed_by = 'finance', state = '"_s + toString(step) + u"'"_s));
            const RefundState from = it.key();
            const bool took = rawUpdate(*s.db, u"refunds"_s, r.id, u"reviewed_by = 'finance', state = '"_s + toString(to) + u"'"_s);
            QVERIFY2(took == (from == to || Transitions::allowed(from, to)),
                     qPrintable(u"refund %1 -> %2"_s.arg(toString(from), toString(to))));
        }
    }
    const PaidPayment p = insertPayment(s, u"GUARD-N"_s, 1000, now);
    for (AnomalyState from : allOf({AnomalyState::Open, AnomalyState::Resolved}))
        for (AnomalyState to : allOf({AnomalyState::Open, AnomalyState::Resolved})) {
            QVERIFY(execSql(*s.db, u"INSERT INTO anomalies (kind, order_id, state, created_at) VALUES ('PAID_AFTER_CLOSE', %1, '%2', 0)"_s
                                       .arg(p.order.id).arg(toString(from))));
            const qint64 id = scalar(*s.db, u"SELECT MAX(id) FROM anomalies"_s).toLongLong();
            const bool took = rawUpdate(*s.db, u"anomalies"_s, id, u"state = '"_s + toString(to) + u"'"_s);
            QVERIFY2(took == (from == to || Transitions::allowed(from, to)),
                     qPrintable(u"anomaly %1 -> %2"_s.arg(toString(from), toString(to))));
        }
}

// What someone with the sqlite3 shell or psql (but no DDL rights) could do to the books.
void TestStorage::databaseRefusesRawWritesPastTheRules()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    Services &s = *f.s;
    Database &db = *s.db;
    QVERIFY(addReviewer(db));
    QVERIFY(addReviewer(db, u"gone"_s));
    QVERIFY(execSql(db, u"UPDATE users SET active = 0 WHERE login = 'gone'"_s));
    QVERIFY(execSql(db, u"INSERT INTO users (login, role, password_hash, created_at) VALUES ('clerk', 'CLERK', 'x', 0)"_s));
    const qint64 now = f.clock->nowMs();
    const PaidPayment p = insertPayment(s, u"RAW-1"_s, 10000, now);
    Refund r;
    QVERIFY(requestRefund(s, p.attempt, 3000, now, &r).ok()); // requested by "clerk"

    // Four eyes: no reviewer, the requester, a clerk, an inactive or unknown user; "auto"
    // only within the hard ceiling.
    for (const QString &who : {QString(), u"clerk"_s, u"gone"_s, u"mallory"_s})
        QVERIFY2(!rawUpdate(db, u"refunds"_s, r.id, u"state = 'APPROVED', reviewed_by = '"_s + who + u"'"_s), qPrintable(who));
    QCOMPARE(scalar(db, u"SELECT state FROM refunds WHERE id = %1"_s.arg(r.id)).toString(), u"REQUESTED"_s);
    QVERIFY(execSql(db, u"INSERT INTO users (login, role, password_hash, created_at) VALUES ('finance2', 'CLERK', 'x', 0)"_s));
    QVERIFY(!rawUpdate(db, u"refunds"_s, r.id, u"state = 'APPROVED', reviewed_by = 'finance2'"_s));
    QVERIFY(!execSql(db, u"INSERT INTO refunds (out_refund_no, order_id, attempt_id, amount_minor, currency, state, reason, "
                         "requested_by, reviewed_by, requested_at) VALUES ('RAW-X', %1, %2, 100, 'CNY', 'APPROVED', 'x', "
                         "'clerk', 'clerk', 0)"_s.arg(p.order.id).arg(p.attempt.id)));
    Refund big;
    const PaidPayment large = insertPayment(s, u"RAW-2"_s, 500000, now);
    QVERIFY(requestRefund(s, large.attempt, Settings::kAutoApproveCapMinor + 1, now, &big).ok());
    QVERIFY(!rawUpdate(db, u"refunds"_s, big.id, u"state = 'APPROVED', reviewed_by = 'auto'"_s));

    // An approved refund keeps its reviewer, amount and requester.
    QVERIFY(rawUpdate(db, u"refunds"_s, r.id, u"state = 'APPROVED', reviewed_by = 'finance'"_s));
    QVERIFY(!rawUpdate(db, u"refunds"_s, r.id, u"reviewed_by = 'clerk'"_s));
    QVERIFY(!rawUpdate(db, u"refunds"_s, r.id, u"amount_minor = 9000"_s));
    QVERIFY(!rawUpdate(db, u"refunds"_s, r.id, u"requested_by = 'someone'"_s));
    // ... while the timer can still lease it after its reviewer left (core then refuses to send).
    QVERIFY(execSql(db, u"UPDATE users SET active = 0 WHERE login = 'finance'"_s));
    QVERIFY(rawUpdate(db, u"refunds"_s, r.id, u"lease_owner = 'timer', next_action_at = 5"_s));

    // Money columns and rows stay.
    QVERIFY(!rawUpdate(db, u"orders"_s, p.order.id, u"amount_minor = 1"_s));
    QVERIFY(!rawUpdate(db, u"payment_attempts"_s, p.attempt.id, u"amount_minor = 1"_s));
    QVERIFY(!execSql(db, u"DELETE FROM refunds"_s));
    QVERIFY(!execSql(db, u"DELETE FROM payment_attempts WHERE id = %1"_s.arg(p.attempt.id)));
    QCOMPARE(countOf(db, u"refunds"_s), qint64(2));
    QCOMPARE(scalar(db, u"SELECT amount_minor FROM refunds WHERE id = %1"_s.arg(r.id)).toLongLong(), qint64(3000));
    QCOMPARE(scalar(db, u"SELECT reviewed_by FROM refunds WHERE id = %1"_s.arg(r.id)).toString(), u"finance"_s);
    if (db.dialect() == Database::Dialect::PostgreSQL)
        QVERIFY(!execSql(db, u"TRUNCATE audit_log"_s));
}

namespace {
/// What a writer with DDL rights does: edits entry `seq`, then recomputes every hash from it
/// on and the head, so the unkeyed chain verifies again.
bool rewriteChainFrom(Database &db, qint64 seq, const QString &newDetails)
{
    if (!liftDatabaseGuards(db) || !execSql(db, u"UPDATE audit_log SET details = '%1' WHERE seq = %2"_s.arg(newDetails).arg(seq)))
        return false;
    QSqlQuery q(db.connection());
    if (!q.exec(u"SELECT seq, at, user_login, action, object, details, prev_hash FROM audit_log WHERE seq >= %1 ORDER BY seq"_s.arg(seq)))
        return false;
    QList<AuditEntry> rows;
    while (q.next()) {
        AuditEntry e;
        e.seq = q.value(0).toLongLong();
        e.at = q.value(1).toLongLong();
        e.user = q.value(2).toString();
        e.action = q.value(3).toString();
        e.object = q.value(4).toString();
        e.details = QJsonDocument::fromJson(q.value(5).toString().toUtf8()).object();
        e.prevHash = q.value(6).toString();
        rows << e;
    }
    q.finish();
    QString prev = rows.isEmpty() ? QString() : rows.first().prevHash;
    for (AuditEntry &e : rows) {
        e.prevHash = prev;
        e.hash = AuditLog::computeHash(e);
        if (!execSql(db, u"UPDATE audit_log SET prev_hash = '%1', hash = '%2' WHERE seq = %3"_s.arg(e.prevHash, e.hash).arg(e.seq)))
            return false;
        prev = e.hash;
    }
    return execSql(db, u"UPDATE audit_head SET hash = '%1' WHERE id = 1"_s.arg(prev));
}
} // namespace

// Issue 13 item 6: the unkeyed chain can be rewritten whole; a checkpoint signed with a key
// from the secret store (never the database) names the rewrite, a removal, an edited file.
void TestStorage::keyedCheckpointCatchesARewrittenChain()
{
    Fixture f;
    PAYDESK_REQUIRE_DB(f.scratch);
    f.open();
    AuditLog &audit = f.s->audit;
    for (int i = 1; i <= 8; ++i)
        QVERIFY(audit.record(u"clerk"_s, u"order.create"_s, u"order:%1"_s.arg(i), {{u"amount"_s, u"%1.00"_s.arg(i)}}).ok());
    QTemporaryDir dir;
    EncryptedFileSecretStore secrets(dir.filePath(u"secrets.bin"_s), "passphrase", crypto::ScryptParams{1 << 10, 8, 1});
    QCOMPARE(AuditCheckpoint::key(secrets, false).error().code, u"checkpoint.no_key"_s);
    const QByteArray key = AuditCheckpoint::key(secrets, true).value();
    QCOMPARE(AuditCheckpoint::key(secrets, true).value(), key); // made once, then kept
    const auto made = AuditCheckpoint::make(audit, key, f.clock->nowMs(), f.s->db->location().display());
    QVERIFY(made.ok());
    QCOMPARE(made->seq, qint64(8));
    // Through its file form, as `audit checkpoint --out` writes it.
    const auto cp = AuditCheckpoint::fromJson(QJsonDocument(made->toJson()).toJson());
    QVERIFY(cp.ok());
    QVERIFY(AuditCheckpoint::verify(audit, cp.value(), key)->intact);
    QVERIFY(audit.record(u"clerk"_s, u"order.create"_s, u"order:9"_s).ok()); // the log goes on
    QVERIFY(AuditCheckpoint::verify(audit, cp.value(), key)->intact);

    // An edited file, another key, a file that is not a checkpoint.
    AuditCheckpoint edited = cp.value();
    edited.seq = 5;
    QCOMPARE(AuditCheckpoint::verify(audit, edited, key).error().code, u"checkpoint.forged"_s);
    QCOMPARE(AuditCheckpoint::verify(audit, cp.value(), QByteArray(32, 'k')).error().code, u"checkpoint.other_key"_s);
    QCOMPARE(AuditCheckpoint::fromJson("{\"format\":\"x\"}").error().code, u"checkpoint.malformed"_s);

    // The whole chain rewritten from entry 4: the unkeyed check is fooled, the checkpoint is not.
    QVERIFY(rewriteChainFrom(*f.s->db, 4, u"{\"amount\":\"0.01\"}"_s));
    QVERIFY2(audit.verify()->intact, "the rewrite should fool the unkeyed chain");
    const auto rewritten = AuditCheckpoint::verify(audit, cp.value(), key);
    QVERIFY(rewritten.ok());
    QVERIFY(!rewritten->intact);
    QCOMPARE(rewritten->firstBrokenSeq, qint64(8));
    QVERIFY2(rewritten->problem.contains(u"rewritten"_s), qPrintable(rewritten->problem));
    // Nor is a checkpoint made over a broken chain.
    QVERIFY(execSql(*f.s->db, u"UPDATE audit_log SET user_login = 'mallory' WHERE seq = 2"_s));
    QCOMPARE(AuditCheckpoint::make(audit, key, 0, QString()).error().code, u"audit.broken"_s);
}

// Migration 008 on books at schema 7: anomalies keep their ids (a reconciliation difference
// points at one), the indexes and the guards of 006 are there again, and an anomaly without
// an order of ours can now be written with the channel's facts.
void TestStorage::anomaliesWithoutAnOrderKeepRowsGuardsAndReferences()
{
    ScratchDatabase scratch;
    PAYDESK_REQUIRE_DB(scratch);
    auto opened = Database::open(scratch.url());
    QVERIFY(opened.ok());
    Database &db = *opened.value();
    QVERIFY(db.migrate(7).ok());
    QCOMPARE(db.schemaVersion(), 7);
    const bool pg = db.dialect() == Database::Dialect::PostgreSQL;
    // Books at schema 7: an order, one OPEN and one RESOLVED anomaly, a run and a difference
    // that names the second anomaly.
    QVERIFY(execSql(db, u"INSERT INTO orders (order_no, title, amount_minor, currency, state, created_at, expires_at) "
                        "VALUES ('M-1', 't', 100, 'CNY', 'PAID', 0, 0)"_s));
    const qint64 order = scalar(db, u"SELECT id FROM orders WHERE order_no = 'M-1'"_s).toLongLong();
    for (const char *state : {"OPEN", "RESOLVED"})
        QVERIFY(execSql(db, u"INSERT INTO anomalies (kind, order_id, state, details, created_at) VALUES ('RECON_DIFFERENCE', %1, '%2', 'old', 5)"_s
                                .arg(order).arg(QLatin1StringView(state))));
    const qint64 resolvedId = scalar(db, u"SELECT id FROM anomalies WHERE state = 'RESOLVED'"_s).toLongLong();
    QVERIFY(execSql(db, u"INSERT INTO bill_files (channel, bill_date, kind, content, sha256, source, imported_at, imported_by) "
                        "VALUES ('wechat', '2026-12-01', 'TRADE', 'x', 'h', 'imported', 0, 'f')"_s));
    QVERIFY(execSql(db, u"INSERT INTO recon_runs (channel, bill_date, bill_file_id, run_at, run_by, bill_payments, bill_refunds, "
                        "matched, differences, new_differences, paid_minor, refunded_minor, fee_minor, result) "
                        "SELECT 'wechat', '2026-12-01', id, 0, 'f', 1, 0, 0, 1, 1, 0, 0, 0, 'DIFFERENCES' FROM bill_files"_s));
    QVERIFY(execSql(db, u"INSERT INTO recon_differences (channel, bill_date, kind, ref, order_id, anomaly_id, first_run_id, last_run_id) "
                        "SELECT 'wechat', '2026-12-01', 'AMOUNT', 'M-1', %1, %2, id, id FROM recon_runs"_s.arg(order).arg(resolvedId)));

    const Status up = db.migrate(8);
    QVERIFY2(up.ok(), qPrintable(up.ok() ? QString() : up.error().message));
    QCOMPARE(db.schemaVersion(), 8);
    QCOMPARE(countOf(db, u"anomalies"_s), qint64(2));
    QCOMPARE(scalar(db, u"SELECT state FROM anomalies WHERE id = %1"_s.arg(resolvedId)).toString(), u"RESOLVED"_s);
    QCOMPARE(countOf(db, u"recon_differences d JOIN anomalies n ON n.id = d.anomaly_id WHERE n.state = 'RESOLVED'"_s), qint64(1));
    if (!pg)
        QCOMPARE(countOf(db, u"pragma_foreign_key_check"_s), qint64(0));

    // The indexes and the guards are there.
    QStringList objects;
    QSqlQuery q(db.connection());
    QVERIFY(q.exec(pg ? u"SELECT indexname FROM pg_indexes WHERE tablename = 'anomalies' UNION ALL "
                        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'anomalies'::regclass AND NOT tgisinternal"_s
                      : u"SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'anomalies'"_s));
    while (q.next())
        objects << q.value(0).toString();
    for (const QString &name : {u"anomalies_state"_s, u"anomalies_order"_s, u"anomalies_channel_trade"_s, u"anomalies_guard"_s,
                                u"anomalies_no_delete"_s})
        QVERIFY2(objects.contains(name), qPrintable(objects.join(u", "_s)));

    // The guard still refuses what raw SQL would do to an anomaly, and rows are still never deleted.
    QVERIFY(!rawUpdate(db, u"anomalies"_s, resolvedId, u"state = 'OPEN'"_s));
    QVERIFY(!rawUpdate(db, u"anomalies"_s, resolvedId, u"order_id = NULL"_s));
    QVERIFY(!execSql(db, u"DELETE FROM anomalies WHERE id = %1"_s.arg(resolvedId)));
    QCOMPARE(scalar(db, u"SELECT state FROM anomalies WHERE id = %1"_s.arg(resolvedId)).toString(), u"RESOLVED"_s);
    QCOMPARE(countOf(db, u"anomalies"_s), qint64(2));

    // An anomaly without an order of ours, through the repository, reads back with its facts;
    // new ids follow the kept ones.
    AnomalyRepository repo(db);
    Anomaly a;
    a.kind = AnomalyKind::ReconDifference;
    a.channel = ChannelKind::Alipay;
    a.outTradeNo = u"THEIRS-1"_s;
    a.channelTxnId = u"2026120122001"_s;
    a.amountMinor = 990;
    a.currency = u"CNY"_s;
    a.details = u"long"_s;
    a.createdAt = 7;
    QSqlDatabase conn = db.connection();
    QVERIFY(repo.insert(conn, a).ok());
    QVERIFY(a.id > resolvedId);
    auto back = repo.byId(a.id);
    QVERIFY(back.ok());
    QCOMPARE(back->orderId, qint64(0));
    QVERIFY(back->channel == std::optional<ChannelKind>(ChannelKind::Alipay));
    QCOMPARE(back->outTradeNo, u"THEIRS-1"_s);
    QCOMPARE(back->channelTxnId, u"2026120122001"_s);
    QVERIFY(back->amountMinor == std::optional<qint64>(990));
    QVERIFY(scalar(db, u"SELECT order_id FROM anomalies WHERE id = %1"_s.arg(a.id)).isNull());
    auto old = repo.byId(resolvedId);
    QVERIFY(old.ok());
    QCOMPARE(old->orderId, order);
    QVERIFY(!old->channel);
    QVERIFY(!old->amountMinor);
}

// Migration 009 (issue 17): new attempts are numbered "<order>_NN", valid on every channel
// (Alipay takes [A-Za-z0-9_]{1,64}). Attempts numbered "<order>-NN" before it keep their numbers
// (the channel knows them by those; 006 guards them), are found and read as before, and still
// move on; a writer that still makes '-' Alipay numbers is refused by the database.
void TestStorage::attemptsNumberedBeforeMigration009StayReadable()
{
    ScratchDatabase scratch;
    PAYDESK_REQUIRE_DB(scratch);
    auto opened = Database::open(scratch.url());
    QVERIFY(opened.ok());
    Database &db = *opened.value();
    QVERIFY(db.migrate(8).ok());
    OrderRepository orders(db);
    Order o;
    o.orderNo = u"PD202612040000000001"_s;
    o.title = u"tea"_s;
    o.amountMinor = 500;
    o.state = OrderState::Pending;
    o.channel = ChannelKind::Alipay;
    o.createdAt = 1'000;
    o.expiresAt = 1'000 + 30 * kMinute;
    PaymentAttempt old;
    old.outTradeNo = o.orderNo + u"-01"_s;
    old.channel = ChannelKind::Alipay;
    old.amountMinor = 500;
    old.state = AttemptState::Paying;
    old.createdAt = o.createdAt;
    old.expiresAt = o.expiresAt - kMinute;
    {
        Transaction tx(db);
        QVERIFY(orders.insert(tx.connection(), o).ok());
        old.orderId = o.id;
        QVERIFY(orders.insertAttempt(tx.connection(), old).ok());
        QVERIFY(tx.commit().ok());
    }
    const Status up = db.migrate();
    QVERIFY2(up.ok(), qPrintable(up.ok() ? QString() : up.error().message));
    QVERIFY(db.schemaVersion() >= 9);

    // Kept as it was, found by it, read as the order's first attempt, and it still moves on.
    auto back = orders.attemptByOutTradeNo(o.orderNo + u"-01"_s);
    QVERIFY(back.ok());
    QCOMPARE(back->id, old.id);
    QCOMPARE(Ids::orderNoOf(back->outTradeNo), o.orderNo);
    QCOMPARE(Ids::attemptIndexOf(back->outTradeNo), 1);
    {
        Transaction tx(db);
        QVERIFY(orders.casAttempt(tx.connection(), old.id, AttemptState::Paying, AttemptState::Closed, {}).ok());
        QVERIFY(tx.commit().ok());
    }

    // The next attempt of that order: the new numbering, in Alipay's alphabet.
    const QString next = Ids::outTradeNo(o.orderNo, 2);
    QCOMPARE(next, o.orderNo + u"_02"_s);
    QVERIFY(QRegularExpression(u"^[A-Za-z0-9_]{1,64}$"_s).match(next).hasMatch());
    QCOMPARE(Ids::orderNoOf(next), o.orderNo);
    QCOMPARE(Ids::attemptIndexOf(next), 2);
    QVERIFY(Ids::orderNoOf(o.orderNo).isEmpty()); // an order number is not an attempt number
    PaymentAttempt second = old;
    second.outTradeNo = next;
    second.state = AttemptState::Created;
    {
        Transaction tx(db);
        QVERIFY(orders.insertAttempt(tx.connection(), second).ok());
        QVERIFY(tx.commit().ok());
    }
    // A new Alipay payment numbered the old way is refused; WeChat Pay takes '-', so may it.
    PaymentAttempt dashed = old;
    dashed.outTradeNo = o.orderNo + u"-03"_s;
    dashed.state = AttemptState::Created;
    {
        Transaction tx(db);
        QVERIFY(!orders.insertAttempt(tx.connection(), dashed).ok());
    }
    dashed.channel = ChannelKind::WeChat;
    {
        Transaction tx(db);
        QVERIFY(orders.insertAttempt(tx.connection(), dashed).ok());
        QVERIFY(tx.commit().ok());
    }
    QCOMPARE(countOf(db, u"payment_attempts WHERE out_trade_no LIKE 'PD202612040000000001%'"_s), qint64(3));
}
