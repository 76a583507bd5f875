// A randomized, seeded history: several real paydeskctl processes act at once as different
// staff (clerk, clerk2, finance, finance2) on one database, with simulated customers paying,
// counter staff re-issuing and closing payments, refunds requested in part and in full,
// reviewed and rejected, and the embedded timer running as `sync --daemon` alongside for part
// of the time. Afterwards the timer runs until idle past every deadline and the books are read
// directly (ours and the simulated channel's ledger) to check what must hold whatever the
// interleaving was:
//  - refunds on a payment never exceed it (requested + approved + processing + succeeded);
//  - no out_refund_no moves money twice at the channel, no payment is taken twice;
//  - states only move forward: the audit log replayed per object, and every state the test
//    saw while the processes ran, follow the transition tables of core/domain/Domain.h;
//  - every order ends PAID (or refunded) or CLOSED, no payment is left open, here or at the
//    channel, and the books agree with the channel about every payment and refund;
//  - staff refunds go to the payment that paid the order, and four eyes held for every review;
//  - the audit chain verifies, and no process crashed or failed on the database (exit codes
//    only from each verb's allowed set, never 6 or 8, no warnings on stderr).
//
// The seed is printed; PAYDESK_HISTORY_SEED=N reproduces the choices (the interleaving is up
// to the scheduler). PAYDESK_HISTORY_ACTIONS overrides the number of random actions.

#include "TestSupport.h"
#include "domain/Domain.h"
#include "storage/Database.h"
#include "storage/Settings.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSet>
#include <QTest>

#include <algorithm>
#include <memory>

using namespace paydesk;
using namespace paydesk::test;
using namespace Qt::StringLiterals;

namespace {

constexpr int kLanes = 4;                 ///< staff processes at once (plus the timer daemons)
constexpr int kDefaultActions = 300;
constexpr qint64 kPhaseBudgetMs = 45'000; ///< the random phase stops starting work after this
constexpr qint64 kProcessTimeoutMs = 60'000;

struct Staff
{
    QString login;
    QString password;
};
const Staff kClerk{u"clerk"_s, u"clerk"_s};
const Staff kClerk2{u"clerk2"_s, u"clerk2-password"_s};
const Staff kFinance{u"finance"_s, u"finance"_s};
const Staff kFinance2{u"finance2"_s, u"finance2-password"_s};
const Staff kAdmin{u"admin"_s, u"admin"_s};

QString passwordOf(const QString &login)
{
    for (const Staff *s : {&kClerk, &kClerk2, &kFinance, &kFinance2, &kAdmin})
        if (s->login == login)
            return s->password;
    return {};
}

/// One paydeskctl run the history makes.
struct Action
{
    QString kind;          ///< "checkout", "sim.pay", "refund.approve", ... for the report
    QString user;          ///< login, or empty for verbs that need none
    QStringList args;      ///< after --db URL --json [--user LOGIN]
    QSet<int> allowed{0};  ///< exit codes this verb may end with in a concurrent history
};

struct Ran
{
    Action action;
    int code = -1;
    QString out;
    QString err;
    qint64 ms = 0;
    QString said() const
    {
        return u"%1 as %2: paydeskctl %3 -> exit %4 after %5 ms\nstdout: %6\nstderr: %7"_s.arg(
            action.kind, action.user.isEmpty() ? u"-"_s : action.user, action.args.join(u' ')).arg(code).arg(ms)
            .arg(out.left(2000), err.left(2000));
    }
};

/// Runs paydeskctl processes without blocking: start(), then poll() from the test's loop.
class Runner
{
public:
    explicit Runner(QString db) : m_db(std::move(db)) {}
    ~Runner()
    {
        for (auto &r : m_running) {
            r->process.kill();
            r->process.waitForFinished(5000);
        }
    }

    void start(const Action &a)
    {
        auto r = std::make_unique<Running>();
        r->action = a;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(u"PAYDESK_PASSWORD"_s);
        env.remove(u"PAYDESK_NEW_PASSWORD"_s);
        if (!a.user.isEmpty())
            env.insert(u"PAYDESK_PASSWORD"_s, passwordOf(a.user));
        if (a.kind == u"user.add"_s)
            env.insert(u"PAYDESK_NEW_PASSWORD"_s, passwordOf(a.args.value(2)));
        r->process.setProcessEnvironment(env);
        QStringList args{u"--db"_s, m_db, u"--json"_s};
        if (!a.user.isEmpty())
            args << u"--user"_s << a.user;
        r->process.setProgram(binary(u"paydeskctl"_s));
        r->process.setArguments(args + a.args);
        r->timer.start();
        r->process.start();
        r->process.closeWriteChannel();
        m_running.push_back(std::move(r));
    }

    /// Collects every process that has ended (or hangs past the limit, which is killed).
    QList<Ran> poll()
    {
        QList<Ran> out;
        for (auto it = m_running.begin(); it != m_running.end();) {
            Running &r = **it;
            const bool ended = r.process.state() == QProcess::NotRunning || r.process.waitForFinished(0);
            const bool hung = !ended && r.timer.elapsed() > kProcessTimeoutMs;
            if (!ended && !hung) {
                ++it;
                continue;
            }
            if (hung) {
                r.process.kill();
                r.process.waitForFinished(5000);
            }
            Ran ran;
            ran.action = r.action;
            ran.ms = r.timer.elapsed();
            ran.code = (hung || r.process.exitStatus() != QProcess::NormalExit || r.process.error() == QProcess::FailedToStart)
                ? -1 : r.process.exitCode();
            ran.out = QString::fromUtf8(r.process.readAllStandardOutput());
            ran.err = QString::fromUtf8(r.process.readAllStandardError());
            if (hung)
                ran.err += u"\n(killed: still running after %1 ms)"_s.arg(kProcessTimeoutMs);
            out << ran;
            it = m_running.erase(it);
        }
        return out;
    }

    int running(const QString &kind = {}) const
    {
        int n = 0;
        for (const auto &r : m_running)
            if (kind.isEmpty() || r->action.kind == kind)
                ++n;
        return n;
    }

    /// Runs one action to its end (for setup and the final phase).
    Ran run(const Action &a)
    {
        start(a);
        for (;;) {
            for (const Ran &r : poll())
                if (r.action.args == a.args && r.action.user == a.user)
                    return r;
            QTest::qWait(5);
        }
    }

private:
    struct Running
    {
        Action action;
        QProcess process;
        QElapsedTimer timer;
    };
    QString m_db;
    std::vector<std::unique_ptr<Running>> m_running;
};

// ---- what the books say ------------------------------------------------------------------

struct AttemptRow
{
    qint64 id = 0;
    QString outTradeNo;
    qint64 amount = 0;
    QString state;
    qint64 paidAt = 0;
};
struct OrderRow
{
    qint64 id = 0;
    QString orderNo;
    qint64 amount = 0;
    QString state;
    qint64 refunded = 0;
    qint64 expiresAt = 0;
    QList<AttemptRow> attempts;
};
struct RefundRow
{
    qint64 id = 0;
    QString outRefundNo;
    qint64 orderId = 0;
    qint64 attemptId = 0;
    qint64 amount = 0;
    QString state;
    QString requestedBy;
    QString reviewedBy;
};
struct AnomalyRow
{
    qint64 id = 0;
    QString kind;
    qint64 orderId = 0;
    qint64 attemptId = 0;
    qint64 refundId = 0;
    QString state;
};

struct Books
{
    QList<OrderRow> orders; ///< by id
    QHash<qint64, qsizetype> orderIndex;
    QList<RefundRow> refunds;
    QList<AnomalyRow> anomalies;

    const OrderRow *orderOf(qint64 id) const
    {
        const auto it = orderIndex.constFind(id);
        return it == orderIndex.cend() ? nullptr : &orders[*it];
    }
};

/// Reads everything the checks need, in one read transaction (a consistent snapshot).
Result<Books> readBooks(Database &db)
{
    QSqlDatabase c = db.connection();
    Books b;
    QSqlQuery begin(c);
    begin.exec(db.dialect() == Database::Dialect::PostgreSQL ? u"BEGIN ISOLATION LEVEL REPEATABLE READ"_s : u"BEGIN"_s);
    auto finish = qScopeGuard([&c]() { QSqlQuery(c).exec(u"COMMIT"_s); });
    auto orders = Sql::exec(c, u"SELECT id, order_no, amount_minor, state, refunded_minor, expires_at FROM orders ORDER BY id"_s);
    if (!orders)
        return orders.error();
    while (orders.value().next()) {
        OrderRow o;
        o.id = orders.value().value(0).toLongLong();
        o.orderNo = orders.value().value(1).toString();
        o.amount = orders.value().value(2).toLongLong();
        o.state = orders.value().value(3).toString();
        o.refunded = orders.value().value(4).toLongLong();
        o.expiresAt = orders.value().value(5).toLongLong();
        b.orderIndex.insert(o.id, b.orders.size());
        b.orders << o;
    }
    auto attempts = Sql::exec(c, u"SELECT id, order_id, out_trade_no, amount_minor, state, paid_at FROM payment_attempts ORDER BY id"_s);
    if (!attempts)
        return attempts.error();
    while (attempts.value().next()) {
        AttemptRow a;
        a.id = attempts.value().value(0).toLongLong();
        a.outTradeNo = attempts.value().value(2).toString();
        a.amount = attempts.value().value(3).toLongLong();
        a.state = attempts.value().value(4).toString();
        a.paidAt = attempts.value().value(5).toLongLong();
        const auto it = b.orderIndex.constFind(attempts.value().value(1).toLongLong());
        if (it != b.orderIndex.cend())
            b.orders[*it].attempts << a;
    }
    auto refunds = Sql::exec(c, u"SELECT id, out_refund_no, order_id, attempt_id, amount_minor, state, requested_by, reviewed_by "
                                 "FROM refunds ORDER BY id"_s);
    if (!refunds)
        return refunds.error();
    while (refunds.value().next()) {
        RefundRow r;
        r.id = refunds.value().value(0).toLongLong();
        r.outRefundNo = refunds.value().value(1).toString();
        r.orderId = refunds.value().value(2).toLongLong();
        r.attemptId = refunds.value().value(3).toLongLong();
        r.amount = refunds.value().value(4).toLongLong();
        r.state = refunds.value().value(5).toString();
        r.requestedBy = refunds.value().value(6).toString();
        r.reviewedBy = refunds.value().value(7).toString();
        b.refunds << r;
    }
    auto anomalies = Sql::exec(c, u"SELECT id, kind, order_id, COALESCE(attempt_id, 0), COALESCE(refund_id, 0), state FROM anomalies ORDER BY id"_s);
    if (!anomalies)
        return anomalies.error();
    while (anomalies.value().next()) {
        AnomalyRow a;
        a.id = anomalies.value().value(0).toLongLong();
        a.kind = anomalies.value().value(1).toString();
        a.orderId = anomalies.value().value(2).toLongLong();
        a.attemptId = anomalies.value().value(3).toLongLong();
        a.refundId = anomalies.value().value(4).toLongLong();
        a.state = anomalies.value().value(5).toString();
        b.anomalies << a;
    }
    return b;
}

// ---- the transition tables, as reachability ----------------------------------------------

template <typename S>
bool reachable(S from, S to, std::initializer_list<S> all)
{
    if (from == to)
        return true;
    QList<S> frontier{from};
    QSet<int> seen{int(from)};
    while (!frontier.isEmpty()) {
        const S s = frontier.takeFirst();
        for (S next : all) {
            if (!Transitions::allowed(s, next) || seen.contains(int(next)))
                continue;
            if (next == to)
                return true;
            seen.insert(int(next));
            frontier << next;
        }
    }
    return false;
}

/// Whether `to` can follow `from` for an object of kind "order", "attempt" or "refund",
/// possibly through states nobody saw in between. Unknown names never can.
bool canFollow(const QString &kind, const QString &from, const QString &to)
{
    if (kind == u"order"_s) {
        const auto f = fromString<OrderState>(from), t = fromString<OrderState>(to);
        return f && t && reachable(*f, *t, {OrderState::Pending, OrderState::Paid, OrderState::PartiallyRefunded, OrderState::Refunded, OrderState::Closed});
    }
    if (kind == u"attempt"_s) {
        const auto f = fromString<AttemptState>(from), t = fromString<AttemptState>(to);
        return f && t && reachable(*f, *t, {AttemptState::Created, AttemptState::Paying, AttemptState::Succeeded, AttemptState::Failed, AttemptState::Closed});
    }
    const auto f = fromString<RefundState>(from), t = fromString<RefundState>(to);
    return f && t && reachable(*f, *t, {RefundState::Requested, RefundState::Approved, RefundState::Rejected, RefundState::Processing,
                                        RefundState::Succeeded, RefundState::Failed, RefundState::Closed});
}

/// One direct step of a table (what one audited action may do).
bool oneStep(const QString &kind, const QString &from, const QString &to)
{
    if (kind == u"order"_s) {
        const auto f = fromString<OrderState>(from), t = fromString<OrderState>(to);
        return f && t && Transitions::allowed(*f, *t);
    }
    if (kind == u"attempt"_s) {
        const auto f = fromString<AttemptState>(from), t = fromString<AttemptState>(to);
        // CREATED -> PAYING is not audited (the channel accepted the QR), so it may hide inside a step.
        return f && t && (Transitions::allowed(*f, *t) || (*f == AttemptState::Created && Transitions::allowed(AttemptState::Paying, *t)));
    }
    const auto f = fromString<RefundState>(from), t = fromString<RefundState>(to);
    return f && t && Transitions::allowed(*f, *t);
}

/// Every state each object was seen in while the history ran, in order.
class Monitor
{
public:
    void observe(const Books &b)
    {
        for (const OrderRow &o : b.orders) {
            note(u"order"_s, o.orderNo, o.state);
            for (const AttemptRow &a : o.attempts)
                note(u"attempt"_s, a.outTradeNo, a.state);
        }
        for (const RefundRow &r : b.refunds)
            note(u"refund"_s, r.outRefundNo, r.state);
        ++m_snapshots;
    }
    QStringList violations() const { return m_violations; }
    int snapshots() const { return m_snapshots; }
    qsizetype changes() const { return m_changes; }

private:
    void note(const QString &kind, const QString &key, const QString &state)
    {
        QString &last = m_last[kind + u':' + key];
        if (last == state)
            return;
        if (!last.isEmpty()) {
            ++m_changes;
            if (!canFollow(kind, last, state))
                m_violations << u"%1 %2 was seen %3, later %4"_s.arg(kind, key, last, state);
        }
        last = state;
    }
    QHash<QString, QString> m_last;
    QStringList m_violations;
    int m_snapshots = 0;
    qsizetype m_changes = 0;
};

QString amountText(qint64 minor)
{
    return u"%1.%2"_s.arg(minor / 100).arg(minor % 100, 2, 10, QLatin1Char('0'));
}

} // namespace

class TestHistory : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void randomHistory();

private:
    Action nextAction(const Books &b);
    QList<Action> burst(const Books &b);
    Staff counterStaff() { return m_rng.bounded(2) ? kClerk : kClerk2; }
    Staff financeStaff() { return m_rng.bounded(2) ? kFinance : kFinance2; }
    template <typename T>
    const T &pick(const QList<T> &list) { return list[qsizetype(m_rng.bounded(quint32(list.size())))]; }

    quint32 m_seed = 0;
    QRandomGenerator m_rng;
    int m_actions = kDefaultActions;
    int m_started = 0;
    bool m_creating = true;   ///< new orders only in the first part, so every deadline passes soon
    QHash<QString, int> m_codes; ///< "kind exit" -> count, for the report
    int m_bursts = 0;
};

void TestHistory::initTestCase()
{
    const QFileInfo exe(binary(u"paydeskctl"_s));
    QVERIFY2(exe.isExecutable(), qPrintable(u"paydeskctl not found at "_s + exe.filePath()));
    bool ok = false;
    m_seed = qEnvironmentVariableIntValue("PAYDESK_HISTORY_SEED", &ok);
    if (!ok)
        m_seed = QRandomGenerator::system()->generate() % 1'000'000;
    const int n = qEnvironmentVariableIntValue("PAYDESK_HISTORY_ACTIONS", &ok);
    if (ok && n > 0)
        m_actions = n;
    m_rng.seed(m_seed);
    qInfo("history seed %u (reproduce the choices with PAYDESK_HISTORY_SEED=%u), %d actions, backend %s", m_seed, m_seed,
          m_actions, qPrintable(backend()));
}

Action TestHistory::nextAction(const Books &b)
{
    ++m_started;
    // The hot set: the newest orders, where staff, customers and the timer collide.
    QList<const OrderRow *> hot, pending, paid;
    for (qsizetype i = b.orders.size() - 1; i >= 0 && hot.size() < 6; --i)
        hot << &b.orders[i];
    for (const OrderRow &o : b.orders) {
        if (o.state == u"PENDING"_s)
            pending << &o;
        else if (o.state != u"CLOSED"_s)
            paid << &o;
    }
    auto someOrder = [&](const QList<const OrderRow *> &preferred) -> const OrderRow * {
        if (!preferred.isEmpty() && m_rng.bounded(100) < 75)
            return pick(preferred);
        return hot.isEmpty() ? nullptr : pick(hot);
    };
    const int roll = int(m_rng.bounded(100));
    const bool create = b.orders.size() < 3 || (m_creating && roll < 16);
    if (create) {
        const Staff s = counterStaff();
        const qint64 amount = 1 + qint64(m_rng.bounded(50'000));
        const int timeoutS = 5 + int(m_rng.bounded(8));
        // 5: only if the payment was given up elsewhere while the channel made it (a refresh or
        // close of the brand-new order); it is then closed at the channel again.
        Action a{u"checkout"_s, s.login, {u"order"_s, u"create"_s, u"--amount"_s, amountText(amount), u"--title"_s,
                                          u"history %1"_s.arg(m_started), u"--channel"_s, u"sim"_s, u"--timeout"_s,
                                          u"%1s"_s.arg(timeoutS)}, {0, 5}};
        if (m_rng.bounded(5) == 0)
            a.args << u"--count"_s << u"2"_s;
        return a;
    }
    if (roll < 36) {
        // A customer scans and pays (usually the newest QR of a pending order).
        const OrderRow *o = someOrder(pending);
        if (o && !o->attempts.isEmpty()) {
            const AttemptRow &at = m_rng.bounded(100) < 80 ? o->attempts.last() : pick(o->attempts);
            // sim.no_payment (3): the attempt is in our books a moment before the channel has it;
            // sim.closed (5): the QR was closed already.
            Action a{u"sim.pay"_s, {}, {u"sim"_s, u"pay"_s, at.outTradeNo}, {0, 3, 5}};
            if (m_rng.bounded(100) < 8) {
                // Money in the instant before the close landed: an anomaly and a proposed refund.
                a.kind = u"sim.pay-after-close"_s;
                a.args << u"--after-close"_s;
            }
            return a;
        }
    }
    if (roll < 46) {
        const OrderRow *o = someOrder(pending);
        if (o)
            // 1: too little time left; 5: not pending any more / paid meanwhile / re-issued by
            // someone else; 7: only when the new payment could not be made at the channel.
            return Action{u"repay"_s, counterStaff().login, {u"order"_s, u"repay"_s, o->orderNo, u"--channel"_s, u"sim"_s}, {0, 1, 5, 7}};
    }
    if (roll < 54) {
        const OrderRow *o = someOrder(pending);
        if (o)
            return Action{u"close"_s, counterStaff().login, {u"order"_s, u"close"_s, o->orderNo}, {0, 5}};
    }
    if (roll < 57) {
        const OrderRow *o = someOrder(pending);
        if (o)
            return Action{u"refresh"_s, {}, {u"order"_s, u"refresh"_s, o->orderNo}, {0}};
    }
    if (roll < 72) {
        const OrderRow *o = someOrder(paid);
        if (o) {
            const Staff s = m_rng.bounded(4) == 0 ? financeStaff() : counterStaff();
            Action a{u"refund.request"_s, s.login, {u"refund"_s, u"request"_s, o->orderNo}, {0, 1}};
            const int how = int(m_rng.bounded(10));
            if (how < 3) {
                a.kind = u"refund.request-all"_s;
                a.args << u"--all"_s;
            } else {
                const qint64 amount = 1 + qint64(m_rng.bounded(quint32(qMax<qint64>(1, o->amount * 6 / 10))));
                a.args << u"--amount"_s << amountText(amount);
                if (how == 9) {
                    // The same request twice (double click, two windows): one refund.
                    a.kind = u"refund.request-keyed"_s;
                    a.args << u"--key"_s << u"K-%1-%2"_s.arg(o->orderNo, amountText(amount));
                }
            }
            a.args << u"--reason"_s << u"history %1"_s.arg(m_started);
            return a;
        }
    }
    QList<const RefundRow *> requested;
    for (const RefundRow &r : b.refunds)
        if (r.state == u"REQUESTED"_s || m_rng.bounded(100) < 5)
            requested << &r;
    if (roll < 88 && !requested.isEmpty()) {
        const RefundRow *r = pick(requested);
        // 4: a reviewer approving their own request, or a clerk trying to; 5: already decided.
        Action a{u"refund.approve"_s, financeStaff().login, {u"refund"_s, u"approve"_s, r->outRefundNo}, {0, 4, 5}};
        if (m_rng.bounded(100) < 6)
            a.user = counterStaff().login;
        if (roll >= 82) {
            a.kind = u"refund.reject"_s;
            a.args[1] = u"reject"_s;
            a.allowed.insert(1); // without a note
            if (m_rng.bounded(100) < 85)
                a.args << u"--note"_s << u"history %1"_s.arg(m_started);
        } else {
            a.args << u"--note"_s << u"ok"_s;
        }
        return a;
    }
    if (roll < 92) {
        QList<const AnomalyRow *> open;
        for (const AnomalyRow &an : b.anomalies)
            if (an.state == u"OPEN"_s)
                open << &an;
        // 5: another process of the same burst resolved it first (the loser is told so).
        if (!open.isEmpty())
            return Action{u"anomaly.resolve"_s, financeStaff().login,
                          {u"anomaly"_s, u"resolve"_s, QString::number(pick(open)->id), u"--note"_s, u"called the customer"_s}, {0, 5}};
    }
    if (roll < 96)
        return Action{u"sync.once"_s, {}, {u"sync"_s, u"--once"_s}};
    const OrderRow *o = someOrder(paid);
    if (o && m_rng.bounded(2))
        return Action{u"order.show"_s, {}, {u"order"_s, u"show"_s, o->orderNo}};
    return Action{u"refund.list"_s, {}, {u"refund"_s, u"list"_s}};
}

/// Two or three processes started together on the same order or refund: the collisions a
/// shop with several counters and reviewers has every day.
QList<Action> TestHistory::burst(const Books &b)
{
    QList<const OrderRow *> pending, paid;
    for (qsizetype i = b.orders.size() - 1; i >= 0 && pending.size() + paid.size() < 12; --i) {
        const OrderRow &o = b.orders[i];
        (o.state == u"PENDING"_s ? pending : paid) << &o;
    }
    QList<const RefundRow *> requested;
    for (const RefundRow &r : b.refunds)
        if (r.state == u"REQUESTED"_s)
            requested << &r;
    const Action closeA{u"close"_s, kClerk.login, {u"order"_s, u"close"_s}, {0, 5}};
    const Action repayA{u"repay"_s, kClerk2.login, {u"order"_s, u"repay"_s}, {0, 1, 5, 7}};
    auto on = [](Action a, const QString &target) {
        a.args.insert(2, target);
        if (a.kind == u"repay"_s)
            a.args << u"--channel"_s << u"sim"_s;
        return a;
    };
    const int roll = int(m_rng.bounded(100));
    if (roll < 50 && !pending.isEmpty()) {
        const OrderRow *o = pick(pending);
        const QString last = o->attempts.isEmpty() ? QString() : o->attempts.last().outTradeNo;
        const Action pay{u"sim.pay"_s, {}, {u"sim"_s, u"pay"_s, last}, {0, 3, 5}};
        Action close2 = on(closeA, o->orderNo);
        close2.user = kClerk2.login;
        Action repay2 = on(repayA, o->orderNo);
        repay2.user = kClerk.login;
        switch (m_rng.bounded(5)) {
        case 0: return {on(closeA, o->orderNo), on(repayA, o->orderNo)};
        case 1: return {on(closeA, o->orderNo), close2};
        case 2: return {on(repayA, o->orderNo), repay2};
        case 3: return last.isEmpty() ? QList<Action>{} : QList<Action>{pay, on(closeA, o->orderNo)};
        default: return last.isEmpty() ? QList<Action>{} : QList<Action>{pay, on(repayA, o->orderNo), close2};
        }
    }
    if (roll < 75 && !paid.isEmpty()) {
        const OrderRow *o = pick(paid);
        const QString amount = amountText(1 + qint64(m_rng.bounded(quint32(qMax<qint64>(1, o->amount / 2)))));
        Action a{u"refund.request-all"_s, kClerk.login, {u"refund"_s, u"request"_s, o->orderNo, u"--all"_s, u"--reason"_s, u"burst"_s}, {0, 1}};
        Action c = a;
        c.user = kClerk2.login;
        if (m_rng.bounded(2)) {
            for (Action *x : {&a, &c}) {
                x->kind = u"refund.request-keyed"_s;
                x->args = {u"refund"_s, u"request"_s, o->orderNo, u"--amount"_s, amount, u"--reason"_s, u"burst"_s,
                           u"--key"_s, u"B-%1-%2"_s.arg(o->orderNo).arg(m_started)};
            }
        }
        return {a, c};
    }
    if (!requested.isEmpty()) {
        const RefundRow *r = pick(requested);
        Action approve{u"refund.approve"_s, kFinance.login, {u"refund"_s, u"approve"_s, r->outRefundNo, u"--note"_s, u"ok"_s}, {0, 4, 5}};
        Action other = approve;
        other.user = kFinance2.login;
        if (m_rng.bounded(2)) {
            other.kind = u"refund.reject"_s;
            other.args = {u"refund"_s, u"reject"_s, r->outRefundNo, u"--note"_s, u"burst"_s};
        }
        return {approve, other};
    }
    return {};
}

void TestHistory::randomHistory()
{
    QElapsedTimer total;
    total.start();
    ScratchDatabase scratch;
    PAYDESK_REQUIRE_DB(scratch);
    const QString url = scratch.url();
    Runner runner(url);
    QStringList failures;
    auto check = [&failures](bool ok, const QString &what) {
        if (!ok && failures.size() < 200)
            failures << what;
    };
    auto account = [&](const Ran &r) {
        const QString code = QJsonDocument::fromJson(r.out.toUtf8()).object().value(u"error"_s).toObject().value(u"code"_s).toString();
        m_codes[u"%1 %2%3"_s.arg(r.action.kind).arg(r.code).arg(code.isEmpty() ? QString() : u' ' + code)] += 1;
        check(r.code != 6 && r.code != 8 && r.code >= 0, u"failed on the database or crashed: "_s + r.said());
        check(r.action.allowed.contains(r.code), u"exit code outside the verb's allowed set: "_s + r.said());
        // Every answer is JSON on stdout (an object or an array; a refusal is {"error": ...}).
        if (r.code >= 0 && !r.action.kind.startsWith(u"sync."_s)) {
            QJsonParseError e;
            QJsonDocument::fromJson(r.out.toUtf8(), &e);
            check(e.error == QJsonParseError::NoError, u"not JSON: "_s + r.said());
        }
        // A checkout prints every order's QR payload, with its payment at the channel.
        if (r.code == 0 && r.action.kind == u"checkout"_s) {
            const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8());
            const QJsonArray created = doc.isArray() ? doc.array() : QJsonArray{doc.object()};
            for (const QJsonValue &v : created)
                check(v.toObject().value(u"code_url"_s).toString().startsWith(u"paydesk-sim://pay/"_s)
                          && v.toObject().value(u"payment"_s).toObject().value(u"state"_s).toString() != u"CREATED"_s,
                      u"checkout without its QR payload: "_s + r.said());
        }
        // qWarning lines ("paydesk: ...") mean something was swallowed: a failed commit, a lost write.
        for (const QString &line : r.err.split(u'\n'))
            check(!line.startsWith(u"paydesk: "_s), u"warning on stderr: "_s + line + u"\n"_s + r.said());
    };

    // ---- setup: a demo database (clerk, finance, admin), two more colleagues --------------
    Ran r = runner.run(Action{u"setup"_s, {}, {u"demo"_s, u"seed"_s, u"--orders"_s, u"0"_s}});
    QVERIFY2(r.code == 0, qPrintable(r.said()));
    for (const auto &[login, role] : {std::pair{kClerk2.login, u"CLERK"_s}, std::pair{kFinance2.login, u"FINANCE"_s}}) {
        r = runner.run(Action{u"user.add"_s, kAdmin.login, {u"user"_s, u"add"_s, login, u"--role"_s, role}});
        QVERIFY2(r.code == 0, qPrintable(r.said()));
    }
    auto db = Database::open(url);
    QVERIFY2(db.ok(), qPrintable(db.ok() ? QString() : db.error().message));
    {
        // Short deadlines so the timer's work falls inside the test: a 1 s repay buffer (the
        // default minute would refuse every repay of a few-second order), and refunds up to
        // 5.00 approved at once, so the automatic path runs too.
        // Test setup writes the rows directly: no actor, no audit, as a migration would.
        QSqlDatabase conn = db.value()->connection();
        for (const auto &[key, value] : {std::pair{u"repay_buffer_s"_s, u"1"_s}, std::pair{u"auto_approve_minor"_s, u"500"_s}}) {
            auto del = Sql::exec(conn, u"DELETE FROM settings WHERE key = :k"_s, {{":k", key}});
            auto ins = Sql::exec(conn, u"INSERT INTO settings (key, value) VALUES (:k, :v)"_s, {{":k", key}, {":v", value}});
            QVERIFY(del.ok() && ins.ok());
        }
    }

    // ---- the random phase ----------------------------------------------------------------
    Monitor monitor;
    Books books;
    QElapsedTimer phase;
    phase.start();
    qint64 lastLook = -1000;
    int daemons = 0;
    int ran = 0;
    while (true) {
        if (phase.elapsed() - lastLook >= 150) {
            auto now = readBooks(*db.value());
            QVERIFY2(now.ok(), qPrintable(now.ok() ? QString() : now.error().message));
            books = now.value();
            monitor.observe(books);
            lastLook = phase.elapsed();
        }
        for (const Ran &done : runner.poll()) {
            account(done);
            ++ran;
        }
        const bool budgetLeft = m_started < m_actions && phase.elapsed() < kPhaseBudgetMs;
        if (!budgetLeft && runner.running() == 0)
            break;
        if (m_started >= m_actions * 7 / 10)
            m_creating = false;
        // The timer as a daemon for part of the time; for a while two instances at once.
        if (budgetLeft && daemons == 0 && m_started >= m_actions / 6) {
            runner.start(Action{u"sync.daemon"_s, {}, {u"sync"_s, u"--daemon"_s, u"--exit-after"_s, u"14s"_s}});
            ++daemons;
        } else if (budgetLeft && daemons == 1 && m_started >= m_actions / 2) {
            runner.start(Action{u"sync.daemon"_s, {}, {u"sync"_s, u"--daemon"_s, u"--exit-after"_s, u"8s"_s}});
            ++daemons;
        }
        while (budgetLeft && m_started < m_actions && runner.running() - runner.running(u"sync.daemon"_s) < kLanes) {
            if (m_rng.bounded(100) < 20) {
                const QList<Action> together = burst(books);
                for (const Action &a : together)
                    runner.start(a);
                m_started += int(together.size());
                if (!together.isEmpty()) {
                    ++m_bursts;
                    continue;
                }
            }
            runner.start(nextAction(books));
        }
        QTest::qWait(10);
    }
    qInfo("random phase: %d processes (%d bursts started together) in %lld ms, %d snapshots saw %lld state changes", ran,
          m_bursts, phase.elapsed(), monitor.snapshots(), qlonglong(monitor.changes()));

    // ---- the end of the day: review what is left, let every deadline pass, run the timer ---
    auto settle = [&](int round) {
        auto now = readBooks(*db.value());
        if (!now) {
            check(false, now.error().message);
            return;
        }
        books = now.value();
        monitor.observe(books);
        int started = 0;
        for (const RefundRow &rf : books.refunds) {
            if (rf.state != u"REQUESTED"_s)
                continue;
            const QString reviewer = rf.requestedBy == kFinance.login ? kFinance2.login : kFinance.login;
            runner.start(Action{u"final.approve"_s, reviewer, {u"refund"_s, u"approve"_s, rf.outRefundNo, u"--note"_s, u"end of day"_s}});
            ++started;
            while (runner.running() >= kLanes) {
                for (const Ran &done : runner.poll())
                    account(done);
                QTest::qWait(5);
            }
        }
        while (runner.running() > 0) {
            for (const Ran &done : runner.poll())
                account(done);
            QTest::qWait(5);
        }
        qint64 lastDeadline = 0;
        for (const OrderRow &o : books.orders)
            lastDeadline = qMax(lastDeadline, o.expiresAt);
        const qint64 wait = lastDeadline + 300 - QDateTime::currentMSecsSinceEpoch();
        if (wait > 0)
            QTest::qWait(int(wait));
        const Ran idle = runner.run(Action{u"sync.until-idle"_s, {}, {u"sync"_s, u"--until-idle"_s}});
        account(idle);
        qInfo("end of day round %d: %d refunds approved, waited %lld ms for the last deadline, sync --until-idle took %lld ms",
              round, started, qMax<qint64>(0, wait), idle.ms);
    };
    for (int round = 1; round <= 3; ++round) {
        settle(round);
        auto now = readBooks(*db.value());
        QVERIFY(now.ok());
        books = now.value();
        monitor.observe(books);
        const bool more = std::any_of(books.refunds.cbegin(), books.refunds.cend(), [](const RefundRow &rf) {
            return rf.state == u"REQUESTED"_s || rf.state == u"APPROVED"_s || rf.state == u"PROCESSING"_s;
        });
        if (!more)
            break;
    }

    const Ran verify = runner.run(Action{u"audit.verify"_s, {}, {u"audit"_s, u"verify"_s}});
    account(verify);
    check(verify.code == 0, u"the audit chain does not verify: "_s + verify.said());

    // ---- invariants ---------------------------------------------------------------------
    QSqlDatabase c = db.value()->connection();
    QHash<qint64, const AttemptRow *> attemptById;
    QHash<QString, qint64> attemptOrder; // out_trade_no -> order id
    for (const OrderRow &o : books.orders)
        for (const AttemptRow &a : o.attempts) {
            attemptById.insert(a.id, &a);
            attemptOrder.insert(a.outTradeNo, o.id);
        }
    QHash<qint64, const AnomalyRow *> anomalyOfRefund, paymentAnomalyOfAttempt;
    for (const AnomalyRow &an : books.anomalies) {
        if (an.refundId > 0)
            anomalyOfRefund.insert(an.refundId, &an);
        if (an.kind == u"PAID_AFTER_CLOSE"_s || an.kind == u"DUPLICATE_PAYMENT"_s)
            paymentAnomalyOfAttempt.insert(an.attemptId, &an);
    }

    // 1. Refunds on a payment never exceed it; refunds are only of paid money.
    QHash<qint64, qint64> held;
    for (const RefundRow &rf : books.refunds) {
        const AttemptRow *a = attemptById.value(rf.attemptId);
        check(a && a->state == u"SUCCEEDED"_s, u"refund %1 is on a payment that is not paid"_s.arg(rf.outRefundNo));
        if (rf.state == u"REQUESTED"_s || rf.state == u"APPROVED"_s || rf.state == u"PROCESSING"_s || rf.state == u"SUCCEEDED"_s)
            held[rf.attemptId] += rf.amount;
        // No refund failed at the channel: our cap must have kept every one within what is left there.
        check(rf.state != u"FAILED"_s && rf.state != u"CLOSED"_s, u"refund %1 ended %2 at the channel"_s.arg(rf.outRefundNo, rf.state));
        // Nothing is left in flight after the timer ran.
        check(rf.state == u"SUCCEEDED"_s || rf.state == u"REJECTED"_s, u"refund %1 is still %2"_s.arg(rf.outRefundNo, rf.state));
        // Four eyes.
        if (!rf.reviewedBy.isEmpty() && rf.reviewedBy != u"auto"_s) {
            check(rf.reviewedBy != rf.requestedBy, u"refund %1 was reviewed by its own requester %2"_s.arg(rf.outRefundNo, rf.reviewedBy));
            check(rf.reviewedBy == kFinance.login || rf.reviewedBy == kFinance2.login,
                  u"refund %1 was reviewed by %2, not FINANCE"_s.arg(rf.outRefundNo, rf.reviewedBy));
        }
    }
    for (auto it = held.cbegin(); it != held.cend(); ++it) {
        const AttemptRow *a = attemptById.value(it.key());
        check(a && it.value() <= a->amount, u"refunds of %1 on payment %2 exceed its %3"_s.arg(amountText(it.value()),
                                                                                               a ? a->outTradeNo : QString(),
                                                                                               amountText(a ? a->amount : 0)));
    }

    // 2. The channel's ledger: money moved once per payment and once per refund number, and the
    //    channel never paid out more than it took.
    {
        auto q = Sql::exec(c, u"SELECT ref, op, result, COUNT(*) FROM sim_events WHERE (op = 'pay') "
                               "OR (op = 'refund' AND result = 'ACCEPTED') OR (op = 'refund_settle' AND result = 'SUCCESS') "
                               "GROUP BY ref, op, result"_s);
        QVERIFY(q.ok());
        while (q.value().next())
            check(q.value().value(3).toLongLong() == 1, u"the channel ledger has %1 × %2 %3 for %4"_s.arg(q.value().value(3).toLongLong())
                                                            .arg(q.value().value(1).toString(), q.value().value(2).toString(),
                                                                 q.value().value(0).toString()));
        auto over = Sql::exec(c, u"SELECT p.out_trade_no, p.amount_minor, SUM(r.amount_minor) FROM sim_refunds r "
                                  "JOIN sim_payments p ON p.out_trade_no = r.out_trade_no WHERE r.state = 'SUCCESS' "
                                  "GROUP BY p.out_trade_no, p.amount_minor HAVING SUM(r.amount_minor) > p.amount_minor"_s);
        QVERIFY(over.ok());
        while (over.value().next())
            check(false, u"the channel refunded %1 on %2, which took %3"_s.arg(amountText(over.value().value(2).toLongLong()),
                                                                              over.value().value(0).toString(),
                                                                              amountText(over.value().value(1).toLongLong())));
    }
    // ... and the books agree with it about every payment and refund.
    QHash<QString, std::pair<QString, qint64>> simPayments, simRefunds;
    {
        auto q = Sql::exec(c, u"SELECT out_trade_no, state, amount_minor FROM sim_payments"_s);
        QVERIFY(q.ok());
        while (q.value().next())
            simPayments.insert(q.value().value(0).toString(), {q.value().value(1).toString(), q.value().value(2).toLongLong()});
        auto rq = Sql::exec(c, u"SELECT out_refund_no, state, amount_minor FROM sim_refunds"_s);
        QVERIFY(rq.ok());
        while (rq.value().next())
            simRefunds.insert(rq.value().value(0).toString(), {rq.value().value(1).toString(), rq.value().value(2).toLongLong()});
    }
    for (const OrderRow &o : books.orders)
        for (const AttemptRow &a : o.attempts) {
            const auto sim = simPayments.value(a.outTradeNo);
            // Nothing is open, here or at the channel, once every deadline has passed.
            check(a.state == u"SUCCEEDED"_s || a.state == u"CLOSED"_s || a.state == u"FAILED"_s,
                  u"payment %1 of %2 order %3 is still %4"_s.arg(a.outTradeNo, o.state, o.orderNo, a.state));
            check(sim.first != u"NOTPAY"_s, u"payment %1 (%2) is still open at the channel"_s.arg(a.outTradeNo, a.state));
            check((a.state == u"SUCCEEDED"_s) == (sim.first == u"SUCCESS"_s),
                  u"payment %1 is %2 in our books but %3 at the channel"_s.arg(a.outTradeNo, a.state, sim.first));
            if (sim.first == u"SUCCESS"_s)
                check(sim.second == a.amount, u"payment %1: amounts differ"_s.arg(a.outTradeNo));
        }
    for (const RefundRow &rf : books.refunds) {
        const auto sim = simRefunds.value(rf.outRefundNo);
        check((rf.state == u"SUCCEEDED"_s) == (sim.first == u"SUCCESS"_s),
              u"refund %1 is %2 in our books but %3 at the channel"_s.arg(rf.outRefundNo, rf.state, sim.first));
        if (!sim.first.isEmpty())
            check(sim.second == rf.amount, u"refund %1: amounts differ"_s.arg(rf.outRefundNo));
    }
    for (auto it = simRefunds.cbegin(); it != simRefunds.cend(); ++it)
        check(std::any_of(books.refunds.cbegin(), books.refunds.cend(), [&](const RefundRow &rf) { return rf.outRefundNo == it.key(); }),
              u"the channel has a refund %1 we know nothing of"_s.arg(it.key()));

    // 3. Every order ends paid (perhaps refunded) or closed, consistent with its payments,
    //    refunds and anomalies.
    for (const OrderRow &o : books.orders) {
        check(o.state != u"PENDING"_s, u"order %1 is still PENDING after the timer ran"_s.arg(o.orderNo));
        QList<const AttemptRow *> succeeded;
        for (const AttemptRow &a : o.attempts)
            if (a.state == u"SUCCEEDED"_s)
                succeeded << &a;
        int extra = 0;
        for (const AttemptRow *a : succeeded)
            extra += paymentAnomalyOfAttempt.contains(a->id) ? 1 : 0;
        if (o.state == u"CLOSED"_s) {
            check(extra == succeeded.size(), u"closed order %1 has money without an anomaly"_s.arg(o.orderNo));
            check(o.refunded == 0, u"closed order %1 counts refunds"_s.arg(o.orderNo));
        } else {
            check(succeeded.size() - extra == 1, u"order %1 is %2 with %3 payments and %4 anomalies"_s.arg(o.orderNo, o.state)
                                                     .arg(succeeded.size()).arg(extra));
            qint64 refunded = 0;
            for (const RefundRow &rf : books.refunds)
                if (rf.orderId == o.id && rf.state == u"SUCCEEDED"_s && !anomalyOfRefund.contains(rf.id))
                    refunded += rf.amount;
            check(refunded == o.refunded, u"order %1 says %2 refunded, its refunds add up to %3"_s.arg(o.orderNo, amountText(o.refunded),
                                                                                                        amountText(refunded)));
            const QString expected = refunded == 0 ? u"PAID"_s : refunded >= o.amount ? u"REFUNDED"_s : u"PARTIALLY_REFUNDED"_s;
            check(o.state == expected, u"order %1 is %2 with %3 of %4 refunded"_s.arg(o.orderNo, o.state, amountText(refunded),
                                                                                   amountText(o.amount)));
        }
    }

    // 4. The audit log replayed per object follows the transition tables, closes and payments
    //    happen once, and its last word on every object is what the books say now.
    {
        auto q = Sql::exec(c, u"SELECT seq, user_login, action, object, details FROM audit_log ORDER BY seq"_s);
        QVERIFY(q.ok());
        QHash<QString, QString> state;      // "order:NO" / "attempt:OTN" / "refund:NO" -> state
        QHash<QString, qint64> refundedSum; // order no -> refunded so far
        QHash<QString, QString> paidBy;     // order no -> the payment that paid it
        QHash<QString, qint64> orderAmount, refundAmount;
        QSet<QString> extraMoney;
        for (const OrderRow &o : books.orders)
            orderAmount.insert(o.orderNo, o.amount);
        for (const RefundRow &rf : books.refunds) {
            refundAmount.insert(rf.outRefundNo, rf.amount);
            if (anomalyOfRefund.contains(rf.id))
                extraMoney.insert(rf.outRefundNo);
        }
        qint64 entries = 0;
        auto step = [&](const QString &kind, const QString &key, const QString &to, qint64 seq, const QString &action) {
            const QString id = kind + u':' + key;
            const QString from = state.value(id);
            if (from.isEmpty()) {
                const bool birth = (kind == u"order"_s && (to == u"PENDING"_s || to == u"PAID"_s))
                                || (kind == u"attempt"_s && to == u"CREATED"_s) || (kind == u"refund"_s && to == u"REQUESTED"_s);
                check(birth, u"audit #%1 %2: %3 first appears as %4"_s.arg(seq).arg(action, id, to));
            } else {
                check(oneStep(kind, from, to), u"audit #%1 %2: %3 went %4 -> %5"_s.arg(seq).arg(action, id, from, to));
            }
            state.insert(id, to);
        };
        while (q.value().next()) {
            ++entries;
            const qint64 seq = q.value().value(0).toLongLong();
            const QString action = q.value().value(2).toString();
            const QString object = q.value().value(3).toString();
            const QJsonObject details = QJsonDocument::fromJson(q.value().value(4).toString().toUtf8()).object();
            const QString key = object.section(u':', 1);
            const QString otn = details.value(u"out_trade_no"_s).toString();
            if (action == u"order.create"_s) {
                step(u"order"_s, key, details.value(u"paid_at_creation"_s).toBool() ? u"PAID"_s : u"PENDING"_s, seq, action);
            } else if (action == u"payment.create"_s || action == u"order.repay"_s) {
                step(u"attempt"_s, otn, u"CREATED"_s, seq, action);
            } else if (action == u"order.paid"_s) {
                step(u"attempt"_s, otn, u"SUCCEEDED"_s, seq, action);
                step(u"order"_s, key, u"PAID"_s, seq, action);
                paidBy.insert(key, otn);
            } else if (action == u"payment.late"_s) {
                step(u"attempt"_s, otn, u"SUCCEEDED"_s, seq, action);
            } else if (action == u"order.close"_s) {
                // The timer's expiry names the payments it closed at the channel in its one entry.
                for (const QJsonValue &p : details.value(u"payments_closed"_s).toArray())
                    step(u"attempt"_s, p.toObject().value(u"out_trade_no"_s).toString(), u"CLOSED"_s, seq, action);
                step(u"order"_s, key, u"CLOSED"_s, seq, action);
            } else if (action == u"payment.closed"_s) {
                step(u"attempt"_s, otn, u"CLOSED"_s, seq, action);
            } else if (action == u"payment.failed"_s) {
                step(u"attempt"_s, otn, u"FAILED"_s, seq, action);
            } else if (action == u"payment.create_failed"_s) {
                step(u"attempt"_s, key, u"FAILED"_s, seq, action);
            } else if (action == u"refund.request"_s) {
                step(u"refund"_s, key, u"REQUESTED"_s, seq, action);
            } else if (action == u"refund.approve"_s || action == u"refund.auto_approve"_s) {
                step(u"refund"_s, key, u"APPROVED"_s, seq, action);
            } else if (action == u"refund.reject"_s) {
                step(u"refund"_s, key, u"REJECTED"_s, seq, action);
            } else if (action == u"refund.processing"_s) {
                step(u"refund"_s, key, u"PROCESSING"_s, seq, action);
            } else if (action == u"refund.failed"_s) {
                step(u"refund"_s, key, u"FAILED"_s, seq, action);
            } else if (action == u"refund.closed"_s) {
                step(u"refund"_s, key, u"CLOSED"_s, seq, action);
            } else if (action == u"refund.succeeded"_s) {
                step(u"refund"_s, key, u"SUCCEEDED"_s, seq, action);
                const QString orderNo = details.value(u"order"_s).toString();
                const QString os = state.value(u"order:"_s + orderNo);
                if (!extraMoney.contains(key) && (os == u"PAID"_s || os == u"PARTIALLY_REFUNDED"_s)) {
                    refundedSum[orderNo] += refundAmount.value(key);
                    const QString to = refundedSum[orderNo] >= orderAmount.value(orderNo) ? u"REFUNDED"_s : u"PARTIALLY_REFUNDED"_s;
                    if (to != os)
                        step(u"order"_s, orderNo, to, seq, action);
                }
            }
        }
        check(entries > 0, u"the audit log is empty"_s);
        for (const OrderRow &o : books.orders) {
            check(state.value(u"order:"_s + o.orderNo) == o.state, u"order %1 is %2 but its audit trail ends at %3"_s.arg(
                                                                       o.orderNo, o.state, state.value(u"order:"_s + o.orderNo)));
            for (const AttemptRow &a : o.attempts) {
                const QString audited = state.value(u"attempt:"_s + a.outTradeNo);
                check(audited == a.state || (audited == u"CREATED"_s && a.state == u"PAYING"_s),
                      u"payment %1 is %2 but its audit trail ends at %3"_s.arg(a.outTradeNo, a.state, audited));
            }
            // Staff refunds (no payment named) go to the payment that paid the order, not to a
            // second payment the customer made by mistake.
            for (const RefundRow &rf : books.refunds) {
                if (rf.orderId != o.id || rf.requestedBy == u"system"_s || o.state == u"CLOSED"_s)
                    continue;
                const AttemptRow *a = attemptById.value(rf.attemptId);
                check(a && a->outTradeNo == paidBy.value(o.orderNo),
                      u"refund %1 by %2 is on payment %3, but order %4 was paid by %5"_s.arg(rf.outRefundNo, rf.requestedBy,
                                                                                           a ? a->outTradeNo : QString(), o.orderNo,
                                                                                           paidBy.value(o.orderNo)));
            }
        }
        for (const RefundRow &rf : books.refunds)
            check(state.value(u"refund:"_s + rf.outRefundNo) == rf.state,
                  u"refund %1 is %2 but its audit trail ends at %3"_s.arg(rf.outRefundNo, rf.state, state.value(u"refund:"_s + rf.outRefundNo)));
    }

    // 5. What the monitor saw while the processes ran only ever moved forward.
    for (const QString &v : monitor.violations())
        check(false, u"backwards: "_s + v);

    // The report.
    QStringList codes;
    for (auto it = m_codes.cbegin(); it != m_codes.cend(); ++it)
        codes << u"%1×%2"_s.arg(it.key()).arg(it.value());
    codes.sort();
    int paidOrders = 0, closedOrders = 0;
    for (const OrderRow &o : books.orders)
        (o.state == u"CLOSED"_s ? closedOrders : paidOrders) += 1;
    int succeededRefunds = 0;
    for (const RefundRow &rf : books.refunds)
        succeededRefunds += rf.state == u"SUCCEEDED"_s ? 1 : 0;
    qInfo("seed %u: %lld orders (%d paid, %d closed), %lld refunds (%d succeeded), %lld anomalies in %lld ms\n  exits: %s",
          m_seed, qlonglong(books.orders.size()), paidOrders, closedOrders, qlonglong(books.refunds.size()), succeededRefunds,
          qlonglong(books.anomalies.size()), total.elapsed(), qPrintable(codes.join(u", "_s)));
    if (!failures.isEmpty()) {
        // The story of the first few orders named in the problems, from the audit log.
        static const QRegularExpression orderNoRe(u"PD\\d{10,}"_s);
        QStringList named;
        for (const QString &f : std::as_const(failures))
            for (auto m = orderNoRe.globalMatch(f); m.hasNext() && named.size() < 3;) {
                const QString no = m.next().captured(0);
                if (!named.contains(no))
                    named << no;
            }
        for (const QString &no : std::as_const(named)) {
            auto q = Sql::exec(c, u"SELECT seq, at, user_login, action, object, details FROM audit_log "
                                   "WHERE object LIKE :o OR details LIKE :d ORDER BY seq"_s,
                               {{":o", QString(u"%"_s + no + u'%')}, {":d", QString(u"%"_s + no + u'%')}});
            QStringList lines;
            while (q && q.value().next())
                lines << u"  #%1 %2 %3 %4 %5 %6"_s.arg(q.value().value(0).toLongLong()).arg(q.value().value(1).toLongLong() % 100'000'000)
                             .arg(q.value().value(2).toString(), q.value().value(3).toString(), q.value().value(4).toString(),
                                  q.value().value(5).toString());
            auto ev = Sql::exec(c, u"SELECT at, op, ref, result FROM sim_events WHERE ref LIKE :o ORDER BY id"_s,
                                {{":o", QString(no + u'%')}});
            while (ev && ev.value().next())
                lines << u"  sim %1 %2 %3 %4"_s.arg(ev.value().value(0).toLongLong() % 100'000'000).arg(ev.value().value(1).toString(),
                                                                                                        ev.value().value(2).toString(), ev.value().value(3).toString());
            qInfo("%s:\n%s", qPrintable(no), qPrintable(lines.join(u'\n')));
        }
        QFAIL(qPrintable(u"seed %1 (PAYDESK_HISTORY_SEED=%1 to repeat the choices), %2 problems:\n"_s.arg(m_seed).arg(failures.size())
                         + failures.join(u"\n\n"_s)));
    }
}

QTEST_GUILESS_MAIN(TestHistory)
#include "tst_history.moc"
