// The embedded timer over a big book of pending orders: a SQLite database with (by default)
// 1,000,000 pending orders, each with a payment open at the simulated channel, and the real
// SyncEngine on the system clock. Next to it, in the same run, a naive baseline: a loop that
// scans the database every second for expired pending orders and closes them.
//
//   bench_timer [--orders N] [--expiring M] [--window S] [--burst K] [--idle S] [--db FILE]
//
// Without --db the books live in a temporary directory and go away at the end. With --db FILE
// they are generated into FILE when it does not exist yet, and reused as they are when it does
// (the orders each run adds are closed by that run, so the pending million stays).
//
// Figures: engine load time, extra memory per due time (RSS delta / count), expiry lateness
// p50/p99/max on the system clock (M orders expiring over S seconds; lateness = the commit that
// records the close minus expires_at), closes per second (K orders already expired at once),
// and wake-ups / CPU while nothing is due.
#include "BenchSupport.h"
#include "channels/SimulatedChannel.h"
#include "services/AttemptCloser.h"
#include "services/Services.h"
#include "sync/SyncEngine.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <malloc.h>

using namespace paydesk;
using namespace Qt::StringLiterals;

namespace {

using bench::cpuMs;

qint64 rssKb()
{
    return bench::procStatusKb("VmRSS:");
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

void say(const QString &line)
{
    std::fprintf(stderr, "%s\n", qPrintable(line));
    std::fflush(stderr);
}

/// Runs the event loop until `done()` or `timeoutMs`; false on timeout.
template <typename F>
bool runUntil(F done, qint64 timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QEventLoop loop;
        QTimer::singleShot(2, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

void idleFor(qint64 ms)
{
    QEventLoop loop;
    QTimer::singleShot(std::chrono::milliseconds(ms), &loop, &QEventLoop::quit);
    loop.exec();
}

/// Bulk-loads pending orders, their open payments and the simulator's side of those payments
/// in one transaction with statements prepared once.
class Loader
{
public:
    Loader(Database &db, QString run) : m_db(db), m_run(std::move(run)) {}

    /// Adds `count` pending orders; order i expires at expiresAt(i). Returns order_no -> expires_at.
    QHash<QString, qint64> add(int count, const std::function<qint64(int)> &expiresAt)
    {
        QHash<QString, qint64> out;
        out.reserve(count);
        // The generator's own connection gets a big page cache: a million rows into a dozen
        // indexes is otherwise bound by re-reading index pages.
        QSqlQuery(m_db.connection()).exec(u"PRAGMA cache_size = -262144"_s);
        Transaction tx(m_db);
        if (!tx.begun())
            qFatal("bench: %s", qPrintable(tx.begun().error().message));
        QSqlDatabase &conn = tx.connection();
        QSqlQuery order(conn), attempt(conn), sim(conn);
        order.prepare(u"INSERT INTO orders (order_no, title, buyer, amount_minor, currency, state, channel, created_at, expires_at, "
                      "created_by, search_text) VALUES (?, ?, '', ?, 'CNY', 'PENDING', 'sim', ?, ?, 'bench', '')"_s);
        attempt.prepare(u"INSERT INTO payment_attempts (order_id, out_trade_no, channel, amount_minor, currency, state, created_at, "
                        "expires_at, code_url, next_query_at) VALUES (?, ?, 'sim', ?, 'CNY', 'PAYING', ?, ?, ?, 0)"_s);
        sim.prepare(u"INSERT INTO sim_payments (out_trade_no, amount_minor, description, state, created_at, expires_at) "
                    "VALUES (?, ?, 'bench', 'NOTPAY', ?, ?)"_s);
        const qint64 created = nowMs();
        const QString title = u"bench tea"_s;
        for (int i = 0; i < count; ++i) {
            const QString no = u"PD"_s + m_run + QString::number(m_next++).rightJustified(8, u'0');
            const QString otn = no + u"-01"_s;
            const qint64 exp = expiresAt(i);
            const qint64 amount = 100 + (i % 5000);
            order.addBindValue(no);
            order.addBindValue(title);
            order.addBindValue(amount);
            order.addBindValue(created);
            order.addBindValue(exp);
            if (!order.exec())
                qFatal("bench: order insert: %s", qPrintable(order.lastError().text()));
            attempt.addBindValue(order.lastInsertId());
            attempt.addBindValue(otn);
            attempt.addBindValue(amount);
            attempt.addBindValue(created);
            attempt.addBindValue(exp - 1000);
            attempt.addBindValue(QString(u"paydesk-sim://pay/"_s + otn));
            if (!attempt.exec())
                qFatal("bench: attempt insert: %s", qPrintable(attempt.lastError().text()));
            sim.addBindValue(otn);
            sim.addBindValue(amount);
            sim.addBindValue(created);
            sim.addBindValue(exp - 1000);
            if (!sim.exec())
                qFatal("bench: simulator insert: %s", qPrintable(sim.lastError().text()));
            out.insert(no, exp);
        }
        // Tell other instances (the timer) that the books changed, as every service does.
        if (Status s = Reconciler::signalChange(tx); !s)
            qFatal("bench: %s", qPrintable(s.error().message));
        if (Status s = tx.commit(); !s)
            qFatal("bench: %s", qPrintable(s.error().message));
        return out;
    }

private:
    Database &m_db;
    QString m_run;
    qint64 m_next = 1;
};

struct Lateness
{
    QList<qint64> ms;
    qint64 pct(double p) const
    {
        if (ms.isEmpty())
            return -1;
        QList<qint64> s = ms;
        std::sort(s.begin(), s.end());
        const qsizetype i = qMin(s.size() - 1, qsizetype(p * double(s.size() - 1) + 0.5));
        return s[i];
    }
    qint64 max() const { return ms.isEmpty() ? -1 : *std::max_element(ms.begin(), ms.end()); }
};

/// Stamps each close with the time of the commit that recorded it.
class CloseRecorder : public QObject
{
public:
    CloseRecorder(QHash<QString, qint64> watched, QObject *parent = nullptr) : QObject(parent), m_watched(std::move(watched)) {}
    void closedInBatch(const QString &orderNo)
    {
        if (m_watched.contains(orderNo))
            m_batch << orderNo;
    }
    void committed()
    {
        const qint64 t = nowMs();
        for (const QString &no : std::as_const(m_batch))
            late.ms << t - m_watched.value(no);
        m_batch.clear();
    }
    int done() const { return int(late.ms.size()); }
    Lateness late;

private:
    QHash<QString, qint64> m_watched;
    QStringList m_batch;
};

/// The naive baseline: every second, SELECT the expired pending orders and close them through
/// the same channel calls and the same compare-and-set writes as the timer.
class NaiveScanner : public QObject
{
public:
    NaiveScanner(Services &s, QObject *parent = nullptr) : QObject(parent), m_s(s)
    {
        m_tick.setInterval(1000);
        QObject::connect(&m_tick, &QTimer::timeout, this, [this]() { tick(); });
    }
    void start() { m_tick.start(); }
    void stop() { m_tick.stop(); }
    quint64 ticks = 0;
    std::function<void(const QString &)> closed;
    std::function<void()> committed;
    bool busy() const { return m_waiting > 0; }

private:
    void tick()
    {
        ++ticks;
        if (m_waiting > 0)
            return; // the last scan's closes are still running
        auto q = Sql::exec(m_s.db->connection(), u"SELECT "_s + OrderRepository::orderColumns()
                                                     + u" FROM orders o WHERE o.state = 'PENDING' AND o.expires_at <= :now ORDER BY o.expires_at LIMIT 20000"_s,
                           {{":now", m_s.clock->nowMs()}});
        if (!q)
            return;
        QList<Order> orders;
        while (q.value().next())
            orders << OrderRepository::readOrder(q.value());
        for (const Order &o : std::as_const(orders)) {
            auto attempts = m_s.orders.attemptsOf(o.id);
            QList<PaymentAttempt> open;
            for (const PaymentAttempt &a : attempts.value())
                if (Transitions::isOpen(a.state))
                    open << a;
            ++m_waiting;
            closeAttemptsAtChannels(m_s.channels, open, true, this, [this, o](const QList<AttemptOutcome> &outcomes) {
                m_results.append({o, outcomes});
                if (--m_waiting == 0)
                    record();
            });
        }
    }
    void record()
    {
        Transaction tx(*m_s.db);
        for (const auto &[order, outcomes] : std::as_const(m_results)) {
            bool paid = false, failed = false;
            for (const AttemptOutcome &o : outcomes) {
                if (o.kind == AttemptOutcome::Kind::Failed) {
                    failed = true;
                    continue;
                }
                paid = paid || o.kind == AttemptOutcome::Kind::Paid;
                (void)m_s.reconciler.applyPayment(tx, o.status, u"naive"_s, u"scan"_s);
            }
            if (paid || failed)
                continue;
            if (m_s.orders.casOrder(tx.connection(), order.id, OrderState::Pending, OrderState::Closed,
                                    {{u"close_reason"_s, u"EXPIRED"_s}, {u"closed_at"_s, m_s.clock->nowMs()}})
                && m_s.audit.append(tx, u"naive"_s, u"order.close"_s, u"order:"_s + order.orderNo, {{u"reason"_s, u"EXPIRED"_s}}))
                closed(order.orderNo);
        }
        m_results.clear();
        if (Status s = tx.commit(); !s)
            say(u"naive: commit failed: "_s + s.error().message);
        committed();
    }

    Services &m_s;
    QTimer m_tick;
    int m_waiting = 0;
    QList<std::pair<Order, QList<AttemptOutcome>>> m_results;
};

QString fmt(qint64 v)
{
    return QLocale(QLocale::English).toString(v);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int orders = 1'000'000, expiring = 5'000, burst = 100'000;
    qint64 windowMs = 3'000, idleMs = 3'000;
    QString dbFile;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i < args.size(); ++i) {
        const QString &a = args[i];
        const QString v = i + 1 < args.size() ? args[i + 1] : QString();
        if (a == u"--orders"_s) orders = v.toInt(), ++i;
        else if (a == u"--expiring"_s) expiring = v.toInt(), ++i;
        else if (a == u"--window"_s) windowMs = qint64(v.toDouble() * 1000), ++i;
        else if (a == u"--burst"_s) burst = v.toInt(), ++i;
        else if (a == u"--idle"_s) idleMs = qint64(v.toDouble() * 1000), ++i;
        else if (a == u"--db"_s) dbFile = v, ++i;
        else {
            std::fprintf(stderr, "usage: bench_timer [--orders N] [--expiring M] [--window S] [--burst K] [--idle S] [--db FILE]\n");
            return 2;
        }
    }
    QTemporaryDir tmp(QDir::tempPath() + u"/bench_timer-XXXXXX"_s);
    const bool reuse = !dbFile.isEmpty() && QFileInfo::exists(dbFile);
    const QString url = u"sqlite:"_s + (dbFile.isEmpty() ? tmp.filePath(u"timer.db"_s) : QFileInfo(dbFile).absoluteFilePath());

    auto db = Database::open(url);
    if (!db || !db.value()->migrate())
        qFatal("bench: cannot open %s", qPrintable(url));
    Services s(std::move(db.value()), std::make_unique<SystemClock>());
    auto sim = SimulatedChannel::create(url, *s.clock, 1);
    if (!sim)
        qFatal("bench: simulator: %s", qPrintable(sim.error().message));
    SimulatedChannel *simPtr = sim.value().get();
    s.channels.add(std::move(sim.value()));
    if (qEnvironmentVariableIsSet("BENCH_CACHE_MB")) {
        const QString pragma = u"PRAGMA cache_size = -%1"_s.arg(qEnvironmentVariableIntValue("BENCH_CACHE_MB") * 1024);
        QSqlQuery(s.db->connection()).exec(pragma);
        QSqlQuery(simPtr->database().connection()).exec(pragma);
    }

    // ---- the books: N pending orders whose deadlines lie in the next hours ----
    auto otherDb = Database::open(url); // another seat's connection, for the orders added later
    if (!otherDb)
        qFatal("bench: second connection");
    // Order numbers unique across runs on one file: PD + yyMMddHHmmss of this run + a counter.
    Loader loader(*otherDb.value(), QDateTime::currentDateTimeUtc().toString(u"yyMMddHHmmss"_s));
    QElapsedTimer t;
    t.start();
    qint64 genMs = -1;
    if (reuse) {
        auto q = Sql::exec(s.db->connection(), u"SELECT COUNT(*) FROM orders WHERE state = 'PENDING'"_s);
        orders = q && q.value().next() ? q.value().value(0).toInt() : 0;
        say(u"reusing %1 with %2 pending orders"_s.arg(dbFile, fmt(orders)));
    } else {
        say(u"generating %1 pending orders ..."_s.arg(fmt(orders)));
        const qint64 base = nowMs() + 2 * 3'600'000;
        // Deadlines spread evenly over the next four hours, from two hours on.
        loader.add(orders, [&](int i) { return base + qint64(i) * (4 * 3'600'000) / qMax(1, orders); });
        // Checkpoint the generator's big transaction now, not during the measurements.
        QSqlQuery(otherDb.value()->connection()).exec(u"PRAGMA wal_checkpoint(TRUNCATE)"_s);
        genMs = t.elapsed();
        say(u"  %1 ms"_s.arg(genMs));
    }
    malloc_trim(0); // give the generator's freed memory back, so the RSS delta is the engine's

    // ---- load ----
    const qint64 rssBefore = rssKb();
    SyncEngine engine(s, SyncEngine::Options{});
    bool armed = false;
    QObject::connect(&engine, &SyncEngine::statusChanged, &engine, [&armed]() { armed = true; });
    t.restart();
    if (Status st = engine.start(); !st)
        qFatal("bench: start: %s", qPrintable(st.error().message));
    const qint64 startMs = t.elapsed();
    runUntil([&]() { return armed && engine.isIdle(); }, 60'000); // the catch-up turn (nothing is due), then armed
    const qint64 rssAfter = rssKb();
    const qint64 scheduled = engine.status().scheduled;
    const double bytesPerDue = scheduled > 0 ? double(rssAfter - rssBefore) * 1024.0 / double(scheduled) : 0;
    say(u"engine start %1 ms (loadAll %2 ms), %3 due times, RSS +%4 KiB"_s.arg(startMs).arg(engine.loadMs()).arg(fmt(scheduled)).arg(rssAfter - rssBefore));

    // ---- idle ----
    auto idle = [&](const std::function<quint64()> &wakeups) {
        const quint64 w0 = wakeups();
        const double c0 = cpuMs();
        idleFor(idleMs);
        return std::pair<quint64, double>{wakeups() - w0, cpuMs() - c0};
    };
    const auto engineIdle = idle([&]() { return engine.status().wakeups; });
    say(u"engine idle %1 s: %2 wake-ups, %3 ms CPU"_s.arg(idleMs / 1000.0).arg(engineIdle.first).arg(engineIdle.second, 0, 'f', 1));

    // ---- lateness: M orders expiring over the window, added by another seat ----
    auto lateness = [&](auto connect) {
        const qint64 first = nowMs() + 2000;
        QElapsedTimer added;
        added.start();
        const auto watched = loader.add(expiring, [&](int i) { return first + qint64(i) * windowMs / qMax(1, expiring); });
        say(u"  %1 orders expiring from %2 ms on, added in %3 ms"_s.arg(expiring).arg(first - nowMs()).arg(added.elapsed()));
        auto rec = std::make_unique<CloseRecorder>(watched);
        connect(*rec);
        const bool ok = runUntil([&]() { return rec->done() >= expiring; }, windowMs + 120'000);
        if (!ok)
            say(u"  only %1 of %2 closed"_s.arg(rec->done()).arg(expiring));
        return rec->late;
    };
    QMetaObject::Connection c1, c2;
    const Lateness engineLate = lateness([&](CloseRecorder &rec) {
        c1 = QObject::connect(&engine, &SyncEngine::actionTaken, &rec, [&rec](const QString &line) {
            if (line.startsWith(u"closed "_s))
                rec.closedInBatch(line.section(u' ', 1, 1));
        });
        c2 = QObject::connect(&engine, &SyncEngine::booksChanged, &rec, [&rec]() { rec.committed(); });
    });
    say(u"engine lateness p50 %1 ms, p99 %2 ms, max %3 ms"_s.arg(engineLate.pct(0.5)).arg(engineLate.pct(0.99)).arg(engineLate.max()));

    // ---- throughput: K orders already expired, all at once ----
    double closesPerS = 0;
    {
        const qint64 past = nowMs() - 60'000;
        const auto watched = loader.add(burst, [&](int i) { return past + i % 1000; });
        CloseRecorder rec(watched);
        QObject::connect(&engine, &SyncEngine::actionTaken, &rec, [&rec](const QString &line) {
            if (line.startsWith(u"closed "_s))
                rec.closedInBatch(line.section(u' ', 1, 1));
        });
        QObject::connect(&engine, &SyncEngine::booksChanged, &rec, [&rec]() { rec.committed(); });
        say(u"engine burst: %1 expired orders in place, closing"_s.arg(fmt(burst)));
        t.restart();
        const double c0 = cpuMs();
        engine.poke(); // as the seat that added them would (the file watch would do it too)
        runUntil([&]() { return rec.done() >= burst; }, 600'000);
        const qint64 ms = t.elapsed();
        closesPerS = ms > 0 ? double(rec.done()) * 1000.0 / double(ms) : 0;
        say(u"engine burst: %1 closes in %2 ms = %3/s (CPU %4 ms)"_s.arg(fmt(rec.done())).arg(ms).arg(closesPerS, 0, 'f', 0).arg(cpuMs() - c0, 0, 'f', 0));
    }
    runUntil([&]() { return engine.isIdle(); }, 60'000);
    const auto engineIdleAfter = idle([&]() { return engine.status().wakeups; });
    say(u"engine idle after work: %1 wake-ups, %2 ms CPU"_s.arg(engineIdleAfter.first).arg(engineIdleAfter.second, 0, 'f', 1));
    engine.stop();

    // ---- the naive baseline on the same books ----
    NaiveScanner naive(s);
    naive.start();
    const auto naiveIdle = idle([&]() { return naive.ticks; });
    say(u"naive idle %1 s: %2 wake-ups, %3 ms CPU"_s.arg(idleMs / 1000.0).arg(naiveIdle.first).arg(naiveIdle.second, 0, 'f', 1));
    const Lateness naiveLate = lateness([&](CloseRecorder &rec) {
        naive.closed = [&rec](const QString &no) { rec.closedInBatch(no); };
        naive.committed = [&rec]() { rec.committed(); };
    });
    naive.stop();
    say(u"naive lateness p50 %1 ms, p99 %2 ms, max %3 ms"_s.arg(naiveLate.pct(0.5)).arg(naiveLate.pct(0.99)).arg(naiveLate.max()));

    auto row = [](const char *what, const QString &timer, const QString &naiveLoop, const char *target) {
        std::printf("| %-34s | %-22s | %-22s | %-12s |\n", what, qPrintable(timer), qPrintable(naiveLoop), target);
    };
    std::printf("\nTimer benchmark: %s pending orders on SQLite (%s)\n\n", qPrintable(fmt(orders)), qPrintable(url));
    std::printf("| %-34s | %-22s | %-22s | %-12s |\n", "measure", "embedded timer", "naive 1 s scan", "target");
    std::printf("|%s|%s|%s|%s|\n", QByteArray(36, '-').constData(), QByteArray(24, '-').constData(), QByteArray(24, '-').constData(),
                QByteArray(14, '-').constData());
    row("bulk load of the books", genMs < 0 ? u"(reused)"_s : u"%1 ms"_s.arg(fmt(genMs)), u"(same books)"_s, "-");
    row("engine load (start)", u"%1 ms (%2 due times)"_s.arg(fmt(startMs)).arg(fmt(scheduled)), u"-"_s, "<= 1.5 s");
    row("memory per due time", u"%1 B"_s.arg(bytesPerDue, 0, 'f', 1), u"-"_s, "-");
    row("expiry lateness p50", u"%1 ms"_s.arg(engineLate.pct(0.5)), u"%1 ms"_s.arg(naiveLate.pct(0.5)), "-");
    row("expiry lateness p99", u"%1 ms"_s.arg(engineLate.pct(0.99)), u"%1 ms"_s.arg(naiveLate.pct(0.99)), "<= 50 ms");
    row("expiry lateness max", u"%1 ms"_s.arg(engineLate.max()), u"%1 ms"_s.arg(naiveLate.max()), "-");
    row("closes per second (burst)", u"%1/s"_s.arg(fmt(qint64(closesPerS))), u"-"_s, ">= 20,000/s");
    row("idle wake-ups", u"%1 in %2 s"_s.arg(engineIdle.first + engineIdleAfter.first).arg(2 * idleMs / 1000.0),
        u"%1 in %2 s"_s.arg(naiveIdle.first).arg(idleMs / 1000.0), "0");
    row("idle CPU", u"%1 ms in %2 s"_s.arg(engineIdle.second + engineIdleAfter.second, 0, 'f', 1).arg(2 * idleMs / 1000.0),
        u"%1 ms in %2 s"_s.arg(naiveIdle.second, 0, 'f', 1).arg(idleMs / 1000.0), "-");
    std::printf("\nlateness over %s orders expiring within %.1f s; burst of %s already-expired orders\n", qPrintable(fmt(expiring)),
                double(windowMs) / 1000.0, qPrintable(fmt(burst)));
    return 0;
}
