#include "sync/SyncEngine.h"

#include "domain/SystemText.h"
#include "services/AttemptCloser.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QSqlDriver>
#include <QHostInfo>
#include <QJsonArray>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>

namespace paydesk {

namespace {
constexpr qint64 kMaxRetryMs = 5 * 60'000;
const QString kTimer = QStringLiteral("timer");
const QString kChannel = QStringLiteral("paydesk_changes");

/// Where a job's due rows live: the table, its due-time column and the states that make a row
/// open. Names come from code, never from input.
struct JobSql
{
    QString table;
    QString due;
    QStringList states;
};

JobSql jobSql(int job)
{
    switch (job) {
    case 0: return {QStringLiteral("orders"), QStringLiteral("expires_at"), {QStringLiteral("PENDING")}};
    case 1: return {QStringLiteral("payment_attempts"), QStringLiteral("next_query_at"), {QStringLiteral("CREATED"), QStringLiteral("PAYING")}};
    case 2: return {QStringLiteral("refunds"), QStringLiteral("next_action_at"), {QStringLiteral("APPROVED")}};
    default: return {QStringLiteral("refunds"), QStringLiteral("next_action_at"), {QStringLiteral("PROCESSING")}};
    }
}

QString stateList(const QStringList &states)
{
    QStringList quoted;
    for (const QString &st : states)
        quoted << u'\'' + st + u'\'';
    return quoted.join(QStringLiteral(", "));
}

/// How many columns OrderRepository::attemptColumns() has; what a query reads after them is extra.
int attemptColumnCount()
{
    static const int n = int(OrderRepository::attemptColumns().count(u',')) + 1;
    return n;
}

/// The pid in a lease owner "host:pid.n#claim" (0 if there is none).
struct HighestIds
{
    qint64 orders = 0;
    qint64 attempts = 0;
    qint64 refunds = 0;
};

/// The highest ids of the tables the timer loads from (what loadAll and loadNew read up to).
Result<HighestIds> highestIds(QSqlDatabase &conn)
{
    auto q = Sql::exec(conn, QStringLiteral("SELECT (SELECT COALESCE(MAX(id), 0) FROM orders), (SELECT COALESCE(MAX(id), 0) FROM payment_attempts), "
                                            "(SELECT COALESCE(MAX(id), 0) FROM refunds)"));
    if (!q)
        return q.error();
    if (!q.value().next())
        return Error::storage(QStringLiteral("max ids"));
    return HighestIds{q.value().value(0).toLongLong(), q.value().value(1).toLongLong(), q.value().value(2).toLongLong()};
}

qint64 pidOf(QStringView afterHost)
{
    qsizetype n = 0;
    while (n < afterHost.size() && afterHost[n].isDigit())
        ++n;
    return afterHost.left(n).toLongLong();
}

} // namespace

SyncEngine::SyncEngine(Services &services, Options options, QObject *parent)
    : QObject(parent), m_s(services), m_opt(std::move(options))
{
    static int instances = 0;
    if (m_opt.owner.isEmpty()) // unique per engine, so two engines in one process tell their claims apart
        m_opt.owner = QHostInfo::localHostName() + u':' + QString::number(QCoreApplication::applicationPid()) + u'.'
            + QString::number(++instances);
    while (m_opt.quickQueriesMs.size() > 5)
        m_opt.quickQueriesMs.removeLast();
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &SyncEngine::wake);
}

SyncEngine::~SyncEngine()
{
    stop();
}

void SyncEngine::push(qint64 at, qint64 id, Job job)
{
    m_heap.push_back(Due{at, id, job});
    std::push_heap(m_heap.begin(), m_heap.end(), std::greater<>());
}

Status SyncEngine::loadAll()
{
    QElapsedTimer t;
    t.start();
    m_heap.clear();
    QSqlDatabase conn = m_s.db->connection();
    auto counter = Sql::exec(conn, QStringLiteral("SELECT value FROM change_counter WHERE id = 1"));
    if (!counter)
        return counter.error();
    m_seenChange = counter.value().next() ? counter.value().value(0).toLongLong() : 0;
    // The highest ids first: rows committed while this runs are loadNew()'s.
    auto maxIds = highestIds(conn);
    if (!maxIds)
        return maxIds.error();
    m_maxOrderId = maxIds->orders;
    m_maxAttemptId = maxIds->attempts;
    m_maxRefundId = maxIds->refunds;

    // Sized once: a heap that doubles its way to a million due times leaves its old buffers
    // behind in the allocator (half again the memory) and copies them on the way.
    auto count = Sql::exec(conn, QStringLiteral("SELECT (SELECT COUNT(*) FROM orders WHERE state = 'PENDING'), "
                                                "(SELECT COUNT(*) FROM payment_attempts WHERE state IN ('CREATED', 'PAYING') AND next_query_at > 0), "
                                                "(SELECT COUNT(*) FROM refunds WHERE state IN ('APPROVED', 'PROCESSING'))"));
    if (count && count.value().next()) {
        const qint64 n = count.value().value(0).toLongLong() + count.value().value(1).toLongLong() + count.value().value(2).toLongLong();
        m_heap.reserve(size_t(n + n / 16 + 1024));
    }
    // Index-only reads: (state, due) indexes carry the id.
    auto orders = Sql::exec(conn, QStringLiteral("SELECT id, expires_at FROM orders WHERE state = 'PENDING' AND id <= :m"), {{":m", m_maxOrderId}});
    if (!orders)
        return orders.error();
    while (orders.value().next())
        m_heap.push_back(Due{orders.value().value(1).toLongLong(), orders.value().value(0).toLongLong(), Job::Expire});
    auto attempts = Sql::exec(conn, QStringLiteral("SELECT id, next_query_at FROM payment_attempts WHERE state IN ('CREATED', 'PAYING') "
                                                   "AND next_query_at > 0 AND id <= :m"),
                              {{":m", m_maxAttemptId}});
    if (!attempts)
        return attempts.error();
    while (attempts.value().next())
        m_heap.push_back(Due{attempts.value().value(1).toLongLong(), attempts.value().value(0).toLongLong(), Job::Query});
    auto refunds = Sql::exec(conn, QStringLiteral("SELECT id, state, next_action_at FROM refunds WHERE state IN ('APPROVED', 'PROCESSING') AND id <= :m"),
                             {{":m", m_maxRefundId}});
    if (!refunds)
        return refunds.error();
    while (refunds.value().next())
        m_heap.push_back(Due{refunds.value().value(2).toLongLong(), refunds.value().value(0).toLongLong(),
                             refunds.value().value(1).toString() == QStringLiteral("APPROVED") ? Job::SendRefund : Job::PollRefund});
    std::make_heap(m_heap.begin(), m_heap.end(), std::greater<>());
    m_loadMs = t.elapsed();
    return {};
}

Status SyncEngine::loadNew()
{
    QSqlDatabase conn = m_s.db->connection();
    auto counter = Sql::exec(conn, QStringLiteral("SELECT value FROM change_counter WHERE id = 1"));
    if (!counter)
        return counter.error();
    if (counter.value().next())
        m_seenChange = counter.value().value(0).toLongLong();
    // The highest ids first, then the rows up to them: a row committed between the two reads is
    // seen next time instead of being skipped for good.
    auto maxIds = highestIds(conn);
    if (!maxIds)
        return maxIds.error();
    const qint64 maxOrder = maxIds->orders;
    const qint64 maxAttempt = maxIds->attempts;
    const qint64 maxRefund = maxIds->refunds;
    // New rows, by primary key range (cheap however many rows the books hold).
    auto orders = Sql::exec(conn, QStringLiteral("SELECT id, expires_at FROM orders WHERE id > :m AND id <= :x AND state = 'PENDING'"),
                            {{":m", m_maxOrderId}, {":x", maxOrder}});
    if (!orders)
        return orders.error();
    while (orders.value().next())
        push(orders.value().value(1).toLongLong(), orders.value().value(0).toLongLong(), Job::Expire);
    auto attempts = Sql::exec(conn, QStringLiteral("SELECT id, next_query_at FROM payment_attempts WHERE id > :m AND id <= :x "
                                                   "AND state IN ('CREATED', 'PAYING') AND next_query_at > 0"),
                              {{":m", m_maxAttemptId}, {":x", maxAttempt}});
    if (!attempts)
        return attempts.error();
    while (attempts.value().next())
        push(attempts.value().value(1).toLongLong(), attempts.value().value(0).toLongLong(), Job::Query);
    auto refunds = Sql::exec(conn, QStringLiteral("SELECT id, state, next_action_at FROM refunds WHERE id > :m AND id <= :x "
                                                  "AND state IN ('APPROVED', 'PROCESSING')"),
                             {{":m", m_maxRefundId}, {":x", maxRefund}});
    if (!refunds)
        return refunds.error();
    while (refunds.value().next())
        push(refunds.value().value(2).toLongLong(), refunds.value().value(0).toLongLong(),
             refunds.value().value(1).toString() == QStringLiteral("APPROVED") ? Job::SendRefund : Job::PollRefund);
    m_maxOrderId = maxOrder;
    m_maxAttemptId = maxAttempt;
    m_maxRefundId = maxRefund;
    // Older rows someone else changed (an approval, a query moved earlier, an order committed
    // out of id order on PostgreSQL): the earliest due time of every job, from the indexes.
    for (int j = 0; j < kJobs; ++j)
        if (const qint64 at = nextDueInDatabase(Job(j), std::nullopt); at > 0)
            pushProbe(at, Job(j));
    return {};
}

qint64 SyncEngine::nextDueInDatabase(Job job, std::optional<qint64> after)
{
    const JobSql js = jobSql(int(job));
    qint64 best = 0;
    // One MIN per state, so each is a seek on the (state, due) index.
    for (const QString &state : js.states) {
        const QString sql = QStringLiteral("SELECT MIN(%1) FROM %2 WHERE state = ? AND %1 > ?").arg(js.due, js.table);
        auto q = statement(sql, {state, after.value_or(0)});
        if (!q)
            continue;
        const qint64 at = q.value()->next() && !q.value()->value(0).isNull() ? q.value()->value(0).toLongLong() : 0;
        q.value()->finish();
        if (at > 0 && (best == 0 || at < best))
            best = at;
    }
    return best;
}

void SyncEngine::pushProbe(qint64 at, Job job)
{
    qint64 &waiting = m_probeAt[int(job)];
    if (waiting != 0 && waiting <= at && waiting > m_s.clock->nowMs())
        return; // an earlier wake-up for this job is already in the heap
    waiting = at;
    push(at, -1, job);
}

void SyncEngine::probeAfterDrain(Job job, qint64 now)
{
    const JobSql js = jobSql(int(job));
    // Due rows another instance holds: if it stopped, its claims run out and are ours to take.
    const QString mine = m_opt.owner + u'#';
    const QString sql = QStringLiteral("SELECT MIN(lease_until) FROM %1 WHERE state IN (%2) AND %3 > 0 AND %3 <= ? AND lease_until > ? "
                                       "AND SUBSTR(lease_owner, 1, ?) <> ?")
                            .arg(js.table, stateList(js.states), js.due);
    if (auto q = statement(sql, {now, now, int(mine.size()), mine}); q) {
        const qint64 at = q.value()->next() && !q.value()->value(0).isNull() ? q.value()->value(0).toLongLong() : 0;
        q.value()->finish();
        if (at > 0)
            pushProbe(at, job);
    }
    // The next due time in the database, which may be one this instance never heard of.
    if (const qint64 at = nextDueInDatabase(job, now); at > 0)
        pushProbe(at, job);
}

Status SyncEngine::releaseDeadLeases()
{
    // Claims of an instance on this host that is no longer running (killed, crashed) are
    // released at once; claims of other hosts run out after leaseMs. Only claims that still
    // matter are looked at: rows that are open and due (the (state, due) index range), not
    // every row that was ever claimed.
    const QString host = QHostInfo::localHostName() + u':';
    const qint64 now = m_s.clock->nowMs();
    for (int j = 0; j < kJobs; ++j) {
        const JobSql js = jobSql(j);
        const QString held = QStringLiteral("state IN (%1) AND %2 <= :now AND lease_until > :now2").arg(stateList(js.states), js.due);
        auto owners = Sql::exec(m_s.db->connection(), QStringLiteral("SELECT DISTINCT lease_owner FROM %1 WHERE %2").arg(js.table, held),
                                {{":now", now}, {":now2", now}});
        if (!owners)
            return owners.error();
        // One lease per claim ("host:pid.n#claim"): release per instance ("host:pid."), not per claim.
        QSet<QString> dead;
        while (owners.value().next()) {
            const QString owner = owners.value().value(0).toString();
            if (!owner.startsWith(host))
                continue;
            const QStringView rest = QStringView(owner).mid(host.size());
            const qint64 pid = pidOf(rest);
            if (pid > 0 && pid != QCoreApplication::applicationPid() && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
                dead.insert(owner.left(host.size() + QString::number(pid).size() + 1)); // "host:pid." or "host:pid#"
        }
        for (const QString &instance : std::as_const(dead)) {
            Transaction tx(*m_s.db);
            if (!tx.begun())
                return tx.begun();
            auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE %1 SET lease_until = 0 WHERE %2 AND SUBSTR(lease_owner, 1, :len) = :inst")
                                                    .arg(js.table, held),
                               {{":now", now}, {":now2", now}, {":len", int(instance.size())}, {":inst", instance}});
            if (!r)
                return r.error();
            if (Status s = tx.commit(); !s)
                return s;
            emit actionTaken(tr("released %1 claims of a stopped instance (%2)").arg(r.value().numRowsAffected()).arg(instance.chopped(1)));
        }
    }
    return {};
}

Status SyncEngine::start()
{
    if (m_running)
        return {};
    if (m_s.db->dialect() == Database::Dialect::SQLite) {
        auto level = Sql::exec(m_s.db->connection(), QStringLiteral("PRAGMA synchronous"));
        m_syncLevel = level && level.value().next() ? level.value().value(0).toInt() : 0;
    }
    if (Status s = releaseDeadLeases(); !s)
        return s;
    if (Status s = loadAll(); !s)
        return s;
    if (m_s.db->dialect() == Database::Dialect::SQLite) {
        // Up to 64 MiB of pages for the timer's connection from now on (SQLite's default is
        // 2 MiB, filled only as pages are read): a million orders carry a dozen indexes, and
        // with the default every batch of closes re-read their pages from the OS (bench_timer
        // at 1M orders: 6,964 -> 8,194 closes/s). Raised after loadAll, whose one pass over the
        // due-time indexes would only fill it with pages no close needs.
        (void)Sql::exec(m_s.db->connection(), QStringLiteral("PRAGMA cache_size = -65536"));
    }
    m_running = true;
    if (m_opt.watchOtherInstances) {
        if (m_s.db->dialect() == Database::Dialect::PostgreSQL) {
            // The connection may be subscribed already (an engine before this one on the same
            // services): listen either way.
            QSqlDriver *driver = m_s.db->connection().driver();
            if (driver->subscribedToNotifications().contains(kChannel) || driver->subscribeToNotification(kChannel))
                connect(driver, &QSqlDriver::notification, this, [this]() { checkOtherInstances(); });
            else
                qWarning("paydesk: timer cannot LISTEN for other instances; it picks up their work at its next due time");
        } else {
            // Another process's commit writes the WAL file: inotify tells us, no polling.
            const QString path = m_s.db->location().path;
            m_watcher = new QFileSystemWatcher(this);
            m_watcher->addPath(path);
            if (QFileInfo::exists(path + QStringLiteral("-wal")))
                m_watcher->addPath(path + QStringLiteral("-wal"));
            m_watcher->addPath(QFileInfo(path).absolutePath());
            connect(m_watcher, &QFileSystemWatcher::fileChanged, this, [this]() { checkOtherInstances(); });
            connect(m_watcher, &QFileSystemWatcher::directoryChanged, this, [this, path]() {
                if (!m_watcher->files().contains(path + QStringLiteral("-wal")) && QFileInfo::exists(path + QStringLiteral("-wal")))
                    m_watcher->addPath(path + QStringLiteral("-wal"));
            });
        }
    }
    emit actionTaken(tr("timer started: %1 due times loaded in %2 ms").arg(m_heap.size()).arg(m_loadMs));
    // Catch up on everything that fell due while we were not running, then arm.
    QMetaObject::invokeMethod(this, &SyncEngine::runDue, Qt::QueuedConnection);
    return {};
}

void SyncEngine::stop()
{
    if (!m_running)
        return;
    m_running = false;
    m_timer.stop();
    flushWrites();
    if (m_s.db->dialect() == Database::Dialect::PostgreSQL)
        disconnect(m_s.db->connection().driver(), &QSqlDriver::notification, this, nullptr);
    delete std::exchange(m_watcher, nullptr);
    m_statements.clear();
    if (m_s.db->dialect() == Database::Dialect::SQLite)
        (void)Sql::exec(m_s.db->connection(), QStringLiteral("PRAGMA cache_size = -2000")); // SQLite's default again
}

void SyncEngine::poke()
{
    if (!m_running)
        return;
    if (Status s = loadNew(); !s)
        qWarning("paydesk: timer could not load new work: %s", qPrintable(s.error().message));
    arm();
}

void SyncEngine::checkOtherInstances()
{
    if (!m_running)
        return;
    auto counter = Sql::exec(m_s.db->connection(), QStringLiteral("SELECT value FROM change_counter WHERE id = 1"));
    if (!counter || !counter.value().next())
        return;
    const qint64 value = counter.value().value(0).toLongLong();
    if (value == m_seenChange)
        return;
    poke();
    emit booksChanged();
}

void SyncEngine::clockChanged()
{
    arm();
}

bool SyncEngine::isIdle() const
{
    const bool nothingDue = (m_heap.empty() || m_heap.front().at > m_s.clock->nowMs())
        && std::none_of(std::begin(m_more), std::end(m_more), [](bool more) { return more; });
    return m_status.inFlight == 0 && m_writes.empty() && m_expired.empty() && nothingDue;
}

void SyncEngine::arm()
{
    if (!m_running)
        return;
    m_status.scheduled = qint64(m_heap.size());
    if (m_heap.empty()) {
        m_timer.stop();
        m_status.nextDueAt = 0;
        emitStatus();
        return;
    }
    const qint64 due = m_heap.front().at;
    m_status.nextDueAt = due;
    const qint64 now = m_s.clock->nowMs();
    const double rate = m_s.clock->rate();
    // Rounded up: a timer that fires before the due time only wakes the engine for nothing.
    qint64 realMs = due <= now ? 0 : qint64(std::ceil(double(due - now) / rate));
    realMs = qMin<qint64>(realMs, 3'600'000); // re-arm at least hourly for far deadlines
    m_timer.start(std::chrono::milliseconds(realMs));
    emitStatus();
}

void SyncEngine::wake()
{
    ++m_status.wakeups;
    runDue();
}

void SyncEngine::runDue()
{
    if (!m_running)
        return;
    const qint64 now = m_s.clock->nowMs();
    while (!m_heap.empty() && m_heap.front().at <= now) {
        const Due d = m_heap.front();
        m_more[int(d.job)] = true;
        if (d.id < 0 && m_probeAt[int(d.job)] == d.at)
            m_probeAt[int(d.job)] = 0;
        std::pop_heap(m_heap.begin(), m_heap.end(), std::greater<>());
        m_heap.pop_back();
    }
    for (int j = 0; j < kJobs; ++j) {
        if (!m_more[j])
            continue;
        const int room = qMin(m_opt.batchSize, m_opt.maxInFlight - m_status.inFlight);
        if (room <= 0)
            break; // finishedOne() comes back when calls end; no timer spins meanwhile
        const int claimed = claimAndRun(Job(j), now, room);
        if (claimed < 0) {
            m_more[j] = false; // claimAndRun scheduled a retry
        } else if (claimed < room) {
            m_more[j] = false; // all that is due now is claimed (or held by another instance)
            probeAfterDrain(Job(j), now);
        }
        // A full batch: more may be waiting; take the next one in the next turn.
    }
    const bool more = std::any_of(std::begin(m_more), std::end(m_more), [](bool m) { return m; });
    if (more && m_status.inFlight < m_opt.maxInFlight)
        QMetaObject::invokeMethod(this, &SyncEngine::runDue, Qt::QueuedConnection);
    else
        arm();
    if (isIdle())
        emit becameIdle();
}

SyncEngine::RelaxedCommits::RelaxedCommits(SyncEngine &e) : m_e(e)
{
    if (m_e.m_syncLevel > 1)
        (void)m_e.statement(QStringLiteral("PRAGMA synchronous = 1"));
}

SyncEngine::RelaxedCommits::~RelaxedCommits()
{
    if (m_e.m_syncLevel > 1)
        (void)m_e.statement(QStringLiteral("PRAGMA synchronous = %1").arg(m_e.m_syncLevel));
}

Result<QSqlQuery *> SyncEngine::statement(const QString &sql, std::initializer_list<QVariant> binds)
{
    // The timer runs the same few statements over and over: each is parsed once per engine.
    auto it = m_statements.find(sql);
    if (it == m_statements.end()) {
        auto q = std::make_shared<QSqlQuery>(m_s.db->connection());
        q->setForwardOnly(true);
        if (!q->prepare(sql))
            return Sql::errorOf(*q, sql.left(60));
        it = m_statements.insert(sql, q);
    }
    QSqlQuery *q = it.value().get();
    int i = 0;
    for (const QVariant &v : binds)
        q->bindValue(i++, Sql::bindable(v));
    if (Status s = Sql::execPrepared(*q); !s)
        return s.error();
    return q;
}

int SyncEngine::claimAndRun(Job job, qint64 now, int room)
{
    static quint64 claimSeq = 0;
    const QString lease = m_opt.owner + u'#' + QString::number(++claimSeq);
    const JobSql js = jobSql(int(job));
    QString where = QStringLiteral("state IN (%1) AND %2 <= ? AND lease_until <= ?").arg(stateList(js.states), js.due);
    if (job == Job::Query)
        where += QStringLiteral(" AND next_query_at > 0");
    const QString pickSql = QStringLiteral("SELECT id FROM %1 WHERE %2 ORDER BY %3 LIMIT ?%4").arg(js.table, where, js.due, m_s.db->forUpdateSkipLocked());
    auto failed = [&](const Error &e) {
        qWarning("paydesk: timer cannot claim work: %s", qPrintable(e.message));
        push(now + m_opt.retryMs, 0, job);
        return -1;
    };
    // A claim is not worth an fsync: one lost in a crash is claimed again after the restart
    // (and the jobs are idempotent). A durable commit that records an outcome makes the
    // claim's WAL frames durable along with it (flushWrites says which outcomes need one).
    const RelaxedCommits relaxed(*this);
    Transaction tx(*m_s.db);
    if (!tx.begun())
        return failed(tx.begun().error());
    // Pick the due rows by the (state, due) index, then claim them by primary key: no scan,
    // however many rows the table holds. PostgreSQL skips rows other instances have locked;
    // SQLite's BEGIN IMMEDIATE already serialises the whole claim. Rows this engine is still
    // working on (a slow channel can outlast a lease) are passed over, not sent twice.
    QSet<qint64> &busy = m_busy[int(job)];
    auto picked = statement(pickSql, {now, now, room + int(busy.size())});
    if (!picked)
        return failed(picked.error());
    QList<qint64> ids;
    while (picked.value()->next() && ids.size() < room) {
        const qint64 id = picked.value()->value(0).toLongLong();
        if (!busy.contains(id))
            ids << id;
    }
    picked.value()->finish();
    if (ids.isEmpty()) {
        tx.rollback();
        return 0;
    }
    // One statement claims them all, one reads them all.
    const QString inIds = Sql::idList(ids);
    if (auto u = Sql::exec(tx.connection(), QStringLiteral("UPDATE %1 SET lease_owner = :o, lease_until = :u WHERE id IN (%2)").arg(js.table, inIds),
                           {{":o", lease}, {":u", now + m_opt.leaseMs}});
        !u)
        return failed(u.error());
    QList<Order> orders;
    QList<PaymentAttempt> attempts;
    QList<Refund> refunds;
    QSet<qint64> leftovers; // attempts whose order is no longer pending
    QString readSql;
    if (job == Job::Expire)
        readSql = QStringLiteral("SELECT ") + OrderRepository::orderColumns() + QStringLiteral(" FROM orders o WHERE o.id IN (%1)");
    else if (job == Job::Query) // with its order's state: a payment left open on a finished order is closed
        readSql = QStringLiteral("SELECT ") + OrderRepository::attemptColumns()
            + QStringLiteral(", o.state FROM payment_attempts a JOIN orders o ON o.id = a.order_id WHERE a.id IN (%1)");
    else
        readSql = QStringLiteral("SELECT ") + RefundRepository::refundColumns() + QStringLiteral(" FROM refunds r WHERE r.id IN (%1)");
    auto rows = Sql::exec(tx.connection(), readSql.arg(inIds));
    Status read = rows ? Status() : Status(rows.error());
    if (rows) {
        QSqlQuery &q = rows.value();
        while (q.next()) {
            if (job == Job::Expire)
                orders << OrderRepository::readOrder(q);
            else if (job == Job::Query) {
                attempts << OrderRepository::readAttempt(q);
                if (q.value(attemptColumnCount()).toString() != toString(OrderState::Pending))
                    leftovers.insert(attempts.constLast().id);
            }
            else
                refunds << RefundRepository::readRefund(q);
        }
        q.finish();
    }
    if (!read)
        return failed(read.error());
    if (Status s = tx.commit(); !s)
        return failed(s.error());
    // Busy from here until the outcome is recorded (flushWrites).
    for (qint64 id : std::as_const(ids))
        busy.insert(id);
    switch (job) {
    case Job::Expire: runExpire(orders); break;
    case Job::Query: runQuery(attempts, leftovers); break;
    case Job::SendRefund: runSendRefund(refunds); break;
    case Job::PollRefund: runPollRefund(refunds); break;
    }
    return int(ids.size());
}

void SyncEngine::releaseClaim(Job job, qint64 id, qint64 retryAt)
{
    const QString table = jobSql(int(job)).table;
    queueWrite(job, id, [table, id](Transaction &tx) -> Status {
        auto u = Sql::exec(tx.connection(), QStringLiteral("UPDATE %1 SET lease_until = 0 WHERE id = :id").arg(table), {{":id", id}});
        return u ? Status() : Status(u.error());
    });
    push(retryAt, id, job);
}

void SyncEngine::noteChannelError(ChannelKind kind, const QString &text)
{
    const QString name = toString(kind);
    if (m_status.lastError.value(name) != text) {
        m_status.lastError.insert(name, text);
        emitStatus();
    }
}

void SyncEngine::finishedOne()
{
    --m_status.inFlight;
    ++m_status.jobsDone;
    const bool more = std::any_of(std::begin(m_more), std::end(m_more), [](bool m) { return m; });
    // Room again for a backlog (a batch's worth, so claims stay batched), or nothing in flight.
    if (m_status.inFlight == 0 || (more && m_status.inFlight == qMax(0, m_opt.maxInFlight - m_opt.batchSize)))
        QMetaObject::invokeMethod(this, &SyncEngine::runDue, Qt::QueuedConnection);
}

void SyncEngine::queueWrite(Job job, qint64 id, std::function<Status(Transaction &)> write)
{
    m_writes.push_back(Write{job, id, std::move(write)});
    scheduleFlush();
}

void SyncEngine::scheduleFlush()
{
    if (!m_flushQueued) {
        m_flushQueued = true;
        QMetaObject::invokeMethod(this, &SyncEngine::flushWrites, Qt::QueuedConnection);
    }
}

void SyncEngine::flushWrites()
{
    m_flushQueued = false;
    if (m_writes.empty() && m_expired.empty())
        return;
    auto writes = std::exchange(m_writes, {});
    auto expired = std::exchange(m_expired, {});
    // Nor is a commit that records nothing but plain expiries: lost in a power cut, those
    // orders come back PENDING and past due, the next start asks the channel again, which
    // answers CLOSED, and they are closed again. The channel holds that truth; every other
    // outcome (money, refunds, retries) is committed durably as ever.
    std::optional<RelaxedCommits> relaxed;
    if (writes.empty())
        relaxed.emplace(*this);
    // One transaction for the whole batch (one fsync for a thousand closes). Plain expiries go
    // first, all together, with statements prepared once and one pass over the audit chain;
    // every other write runs in a savepoint of its own, so one that loses a compare-and-set or
    // fails is undone alone and blocks nothing else.
    std::optional<Transaction> tx(std::in_place, *m_s.db);
    auto begun = [&]() {
        if (tx->begun())
            return true;
        qWarning("paydesk: timer cannot record results: %s", qPrintable(tx->begun().error().message));
        m_writes = std::move(writes); // keep them; try again shortly
        m_expired = std::move(expired);
        QTimer::singleShot(int(m_opt.retryMs), this, &SyncEngine::flushWrites);
        return false;
    };
    if (!begun())
        return;
    QStringList closedLines;
    if (!expired.empty()) {
        // No savepoint around the batch (it costs SQLite a sub-journal page for every page the
        // batch touches): nothing else is in this transaction yet, so a batch that fails is
        // undone by rolling the transaction back, and each expiry is recorded on its own instead.
        if (const Status s = recordExpired(*tx, expired, closedLines); !s) {
            tx.reset();
            closedLines.clear();
            qWarning("paydesk: timer could not record %d expiries at once: %s", int(expired.size()), qPrintable(s.error().message));
            for (const Expired &e : expired)
                writes.push_back(Write{Job::Expire, e.order.id, expireWrite(e.order, e.outcomes, false, QString())});
            expired.clear();
            tx.emplace(*m_s.db);
            if (!begun())
                return;
        }
    }
    QSqlDatabase &conn = tx->connection();
    auto savepoint = [&conn](const char *verb) {
        QSqlQuery q(conn);
        q.exec(QString::fromLatin1(verb) + QStringLiteral(" SAVEPOINT timer_write"));
    };
    const qint64 now = m_s.clock->nowMs();
    for (auto &w : writes) {
        savepoint("");
        const Status s = w.run(*tx);
        if (!s) {
            savepoint("ROLLBACK TO");
            if (s.error().kind != Error::Kind::Conflict) {
                // Not recorded: give the row back and try again shortly.
                qWarning("paydesk: timer could not record a result: %s", qPrintable(s.error().message));
                const QString table = jobSql(int(w.job)).table;
                QSqlQuery release(conn);
                release.prepare(QStringLiteral("UPDATE %1 SET lease_until = 0 WHERE id = ?").arg(table));
                release.addBindValue(w.id);
                release.exec();
                push(now + m_opt.retryMs, w.id, w.job);
            }
        }
        savepoint("RELEASE");
    }
    if (Status s = tx->commit(); !s) {
        qWarning("paydesk: timer commit failed: %s", qPrintable(s.error().message));
        closedLines.clear();
        // Nothing was recorded; the claims still hold until they run out: look again then.
        for (const Write &w : writes)
            push(now + m_opt.leaseMs, w.id, w.job);
        for (const Expired &e : expired)
            push(now + m_opt.leaseMs, e.order.id, Job::Expire);
    }
    // Recorded (or to be claimed again): no longer in this engine's hands.
    for (const Write &w : writes)
        m_busy[int(w.job)].remove(w.id);
    for (const Expired &e : expired)
        m_busy[int(Job::Expire)].remove(e.order.id);
    for (const QString &line : std::as_const(closedLines))
        emit actionTaken(line);
    emit booksChanged();
    if (std::any_of(std::begin(m_more), std::end(m_more), [](bool more) { return more; }))
        QMetaObject::invokeMethod(this, &SyncEngine::runDue, Qt::QueuedConnection);
    arm();
    if (isIdle())
        emit becameIdle();
}

Status SyncEngine::recordExpired(Transaction &tx, const std::vector<Expired> &expired, QStringList &lines)
{
    // What Reconciler::applyPayment does with a CLOSED answer and what an expiry does to the
    // order, for the whole batch in a few set-based statements. Each compare-and-set returns
    // the rows it changed, so only those are audited: a row closed meanwhile (by a clerk, a
    // notification or another instance) is left alone.
    QSqlDatabase &conn = tx.connection();
    const qint64 now = m_s.clock->nowMs();
    QHash<QString, QList<qint64>> attemptsByAnswer; // the channel's word -> attempts it closed
    QList<qint64> orderIds;
    orderIds.reserve(qsizetype(expired.size()));
    for (const Expired &e : expired) {
        orderIds << e.order.id;
        for (const AttemptOutcome &o : e.outcomes)
            attemptsByAnswer[o.status.rawState] << o.attempt.id;
    }
    QSet<qint64> closedAttempts;
    for (auto it = attemptsByAnswer.cbegin(); it != attemptsByAnswer.cend(); ++it) {
        auto q = m_s.orders.closeAttempts(conn, it.value(), it.key());
        if (!q)
            return q.error();
        closedAttempts.unite(q.value());
    }
    const QString expiredReason = toString(CloseReason::Expired);
    auto closed = m_s.orders.closeOrders(conn, orderIds, CloseReason::Expired, now);
    if (!closed)
        return closed.error();
    const QSet<qint64> closedOrders = closed.value();
    auto audit = AuditLog::Batch::start(tx);
    if (!audit)
        return audit.error();
    // One entry per closed order, naming the payments it closed at the channel (what an expiry
    // did is one event); a payment closed on an order someone else finished first gets its own.
    const QString source = QStringLiteral("expiry");
    for (const Expired &e : expired) {
        const QString object = QStringLiteral("order:") + e.order.orderNo;
        const bool orderClosed = closedOrders.contains(e.order.id);
        QJsonArray payments;
        for (const AttemptOutcome &o : e.outcomes) {
            if (!closedAttempts.contains(o.attempt.id))
                continue;
            if (orderClosed) {
                payments.append(QJsonObject{{QStringLiteral("out_trade_no"), o.attempt.outTradeNo}, {QStringLiteral("channel_state"), o.status.rawState}});
                continue;
            }
            if (Status s = audit.value().append(now, kTimer, QStringLiteral("payment.closed"), object,
                                                {{QStringLiteral("out_trade_no"), o.attempt.outTradeNo}, {QStringLiteral("source"), source},
                                                 {QStringLiteral("channel_state"), o.status.rawState}});
                !s)
                return s;
        }
        if (!orderClosed)
            continue; // someone else closed or paid it first: nothing to do
        if (Status s = audit.value().append(now, kTimer, QStringLiteral("order.close"), object,
                                            {{QStringLiteral("reason"), expiredReason},
                                             {QStringLiteral("late_ms"), now - e.order.expiresAt},
                                             {QStringLiteral("payments_closed"), payments}});
            !s)
            return s;
        m_failures.remove(e.order.id);
        lines << SystemText::expiredClose(e.order.orderNo, now - e.order.expiresAt);
    }
    return audit.value().finish();
}

// ---- jobs -----------------------------------------------------------------------------------

void SyncEngine::runExpire(const QList<Order> &orders)
{
    if (orders.isEmpty())
        return;
    // The open payments of the whole batch in one read.
    QList<qint64> ids;
    ids.reserve(orders.size());
    for (const Order &order : orders)
        ids << order.id;
    QHash<qint64, QList<PaymentAttempt>> open;
    auto q = Sql::exec(m_s.db->connection(), QStringLiteral("SELECT ") + OrderRepository::attemptColumns()
                                                 + QStringLiteral(" FROM payment_attempts a WHERE a.order_id IN (%1) AND %2a.state IN ('CREATED', 'PAYING') "
                                                                  "ORDER BY a.id")
                                                       .arg(Sql::idList(ids), Sql::byKeyOnly(m_s.db->dialect())));
    if (!q) {
        // Not knowing their payments, do not close them: try again shortly.
        qWarning("paydesk: timer cannot read the payments of %d orders: %s", int(orders.size()), qPrintable(q.error().message));
        for (const Order &order : orders)
            releaseClaim(Job::Expire, order.id, m_s.clock->nowMs() + m_opt.retryMs);
        return;
    }
    while (q.value().next()) {
        PaymentAttempt a = OrderRepository::readAttempt(q.value());
        open[a.orderId] << std::move(a);
    }
    q.value().finish();
    for (const Order &order : orders) {
        const QList<PaymentAttempt> attempts = open.value(order.id);
        ++m_status.inFlight;
        closeAttemptsAtChannels(m_s.channels, attempts, true, this, [this, order](const QList<AttemptOutcome> &outcomes) {
            bool paid = false;
            QString problem;
            ChannelKind failedOn = ChannelKind::Sim;
            for (const AttemptOutcome &o : outcomes) {
                paid = paid || o.kind == AttemptOutcome::Kind::Paid;
                if (o.kind == AttemptOutcome::Kind::Failed) {
                    problem = o.error.describe();
                    failedOn = o.attempt.channel;
                }
            }
            if (problem.isEmpty()) {
                for (const AttemptOutcome &o : outcomes)
                    if (o.kind != AttemptOutcome::Kind::Failed)
                        m_status.lastError.remove(toString(o.attempt.channel));
            } else {
                noteChannelError(failedOn, problem);
            }
            const bool plain = problem.isEmpty() && !paid
                && std::all_of(outcomes.begin(), outcomes.end(), [](const AttemptOutcome &o) {
                       return o.kind == AttemptOutcome::Kind::Closed && o.status.state == TradeState::Closed;
                   });
            if (plain) {
                m_expired.push_back(Expired{order, outcomes});
                scheduleFlush();
            } else {
                queueWrite(Job::Expire, order.id, expireWrite(order, outcomes, paid, problem));
            }
            finishedOne();
        });
    }
}

std::function<Status(Transaction &)> SyncEngine::expireWrite(const Order &order, const QList<AttemptOutcome> &outcomes, bool paid,
                                                             const QString &problem)
{
    return [this, order, outcomes, paid, problem](Transaction &tx) -> Status {
        QString unknown; // a payment the channel says it never saw, though it confirmed it to us
        for (const AttemptOutcome &o : outcomes) {
            if (o.kind == AttemptOutcome::Kind::Failed)
                continue;
            auto applied = m_s.reconciler.applyPayment(tx, o.status, kTimer, QStringLiteral("expiry"));
            if (!applied && applied.error().kind != Error::Kind::Conflict)
                return applied.error();
            if (applied && applied->outcome == Reconciler::Outcome::StillOpen)
                unknown = o.attempt.outTradeNo;
        }
        const qint64 now = m_s.clock->nowMs();
        if (paid) {
            emit actionTaken(tr("order %1 was paid at the last moment: PAID").arg(order.orderNo));
            return {};
        }
        if (!problem.isEmpty() || !unknown.isEmpty()) {
            // Could not reach the channel, or its answer does not settle the payment: keep the
            // order PENDING (it counts as expired: repay is refused) and try again later with
            // backoff. The lease marks when.
            const qint64 wait = qMin<qint64>(kMaxRetryMs, m_opt.retryMs << qMin(m_failures.value(order.id), 6));
            m_failures[order.id] += 1;
            auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE orders SET lease_until = :u WHERE id = :id AND state = 'PENDING'"),
                               {{":u", now + wait}, {":id", order.id}});
            push(now + wait, order.id, Job::Expire);
            const QString why = problem.isEmpty() ? tr("the channel does not know payment %1").arg(unknown)
                                                  : tr("channel unreachable (%1)").arg(problem);
            emit actionTaken(tr("order %1: %2; retrying in %3 s").arg(order.orderNo, why).arg(wait / 1000));
            return r ? Status() : Status(r.error());
        }
        m_failures.remove(order.id);
        auto closed = m_s.orders.closeOrders(tx.connection(), {order.id}, CloseReason::Expired, now);
        if (!closed)
            return closed.error();
        if (closed.value().isEmpty()) // someone else closed or paid it first: nothing to do
            return Error::conflict(QStringLiteral("order.moved"), tr("Order %1 is no longer pending.").arg(order.orderNo));
        Status s = m_s.audit.append(tx, kTimer, QStringLiteral("order.close"), QStringLiteral("order:") + order.orderNo,
                             {{QStringLiteral("reason"), toString(CloseReason::Expired)}, {QStringLiteral("late_ms"), now - order.expiresAt}});
        if (s)
            emit actionTaken(SystemText::expiredClose(order.orderNo, now - order.expiresAt));
        return s;
    };
}

void SyncEngine::runQuery(const QList<PaymentAttempt> &attempts, const QSet<qint64> &leftovers)
{
    for (const PaymentAttempt &a : attempts) {
        PaymentChannel *ch = m_s.channels.channel(a.channel);
        if (!ch) {
            noteChannelError(a.channel, tr("not configured"));
            releaseClaim(Job::Query, a.id, m_s.clock->nowMs() + kMaxRetryMs);
            continue;
        }
        ++m_status.inFlight;
        const bool leftover = leftovers.contains(a.id);
        ch->queryPayment(a.outTradeNo, this, [this, a, leftover](const ChannelReply<PaymentStatus> &r) {
            const qint64 now = m_s.clock->nowMs();
            if (!r.ok()) {
                noteChannelError(a.channel, r.error().describe());
                const qint64 wait = r.error().kind == ChannelError::Kind::RateLimited
                    ? qMax(r.error().retryAfterMs, m_opt.slowQueryMs)
                    : qMin<qint64>(kMaxRetryMs, m_opt.retryMs << qMin(m_failures.value(-a.id), 6));
                m_failures[-a.id] += 1;
                // No more queries past the payment's expiry: the order's expiry job takes over.
                // Not for a payment left open on a finished order: no expiry job comes for it.
                const qint64 next = leftover || now + wait < a.expiresAt ? now + wait : 0;
                if (next == 0)
                    m_failures.remove(-a.id);
                queueWrite(Job::Query, a.id, [a, next](Transaction &tx) -> Status {
                    auto u = Sql::exec(tx.connection(), QStringLiteral("UPDATE payment_attempts SET next_query_at = :n, lease_until = 0, last_error = :e "
                                                                       "WHERE id = :id AND state IN ('CREATED', 'PAYING')"),
                                       {{":n", next}, {":id", a.id}, {":e", QStringLiteral("query failed")}});
                    return u ? Status() : Status(u.error());
                });
                if (next > 0)
                    push(next, a.id, Job::Query);
                finishedOne();
                return;
            }
            m_failures.remove(-a.id);
            m_status.lastError.remove(toString(a.channel));
            const PaymentStatus st = r.value();
            const bool open = st.state == TradeState::NotPay || st.state == TradeState::UserPaying;
            if (open && leftover) {
                closeLeftover(a); // finishes this job when the channel answers
                return;
            }
            const int count = a.queryCount + 1;
            qint64 next = 0;
            if (open) {
                const qint64 wait = count - 1 < m_opt.quickQueriesMs.size() ? m_opt.quickQueriesMs[count - 1] : m_opt.slowQueryMs;
                next = now + wait < a.expiresAt ? now + wait : 0; // the order's expiry job takes over
                if (next > 0)
                    push(next, a.id, Job::Query);
            }
            queueWrite(Job::Query, a.id, [this, a, st, open, count, next](Transaction &tx) -> Status {
                auto applied = m_s.reconciler.applyPayment(tx, st, kTimer, QStringLiteral("query"));
                if (!applied)
                    return applied.error();
                if (applied->outcome == Reconciler::Outcome::Paid)
                    m_more[int(Job::Query)] = true; // its order's other payments are due for closing now
                if (open) {
                    // Its order may have been paid through another payment since the claim (the
                    // reconciler then made this one due at once): keep it due, do not put it back
                    // on its usual cadence, or it would be left open at the channel.
                    auto u = Sql::exec(tx.connection(), QStringLiteral("UPDATE payment_attempts SET query_count = :c, lease_until = 0, next_query_at = "
                                                                       "CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.id = :o AND o.state <> 'PENDING') "
                                                                       "THEN CAST(:now AS BIGINT) ELSE CAST(:n AS BIGINT) END "
                                                                       "WHERE id = :id AND state IN ('CREATED', 'PAYING') RETURNING next_query_at"),
                                       {{":c", count}, {":o", a.orderId}, {":now", m_s.clock->nowMs()}, {":n", next}, {":id", a.id}});
                    if (!u)
                        return u.error();
                    if (u.value().next() && u.value().value(0).toLongLong() != next)
                        m_more[int(Job::Query)] = true;
                    u.value().finish();
                } else if (applied->outcome != Reconciler::Outcome::AlreadyApplied) {
                    emit actionTaken(tr("payment %1: %2").arg(a.outTradeNo, Reconciler::describe(applied->outcome)));
                }
                return {};
            });
            finishedOne();
        });
    }
}

void SyncEngine::closeLeftover(const PaymentAttempt &a)
{
    // The order was paid through another payment (or closed while this one was being made),
    // but this QR code still works at the channel: close it there, then record that.
    closeAttemptsAtChannels(m_s.channels, {a}, false, this, [this, a](const QList<AttemptOutcome> &outcomes) {
        const AttemptOutcome o = outcomes.value(0);
        const qint64 now = m_s.clock->nowMs();
        // A payment we saw confirmed that the channel now says it never saw does not settle
        // it (the reconciler keeps it open): look again later, as after a failure.
        const bool unsettled = o.kind == AttemptOutcome::Kind::Closed && o.status.state == TradeState::NotExist
            && a.state == AttemptState::Paying;
        if (o.kind == AttemptOutcome::Kind::Failed || unsettled) {
            if (!unsettled)
                noteChannelError(a.channel, o.error.describe());
            const qint64 wait = qMin<qint64>(kMaxRetryMs, m_opt.retryMs << qMin(m_failures.value(-a.id), 6));
            m_failures[-a.id] += 1;
            queueWrite(Job::Query, a.id, [a, next = now + wait](Transaction &tx) -> Status {
                auto u = Sql::exec(tx.connection(), QStringLiteral("UPDATE payment_attempts SET next_query_at = :n, lease_until = 0, last_error = :e "
                                                                   "WHERE id = :id AND state IN ('CREATED', 'PAYING')"),
                                   {{":n", next}, {":id", a.id}, {":e", QStringLiteral("close failed")}});
                return u ? Status() : Status(u.error());
            });
            push(now + wait, a.id, Job::Query);
            emit actionTaken(tr("payment %1 is still open on a finished order; %2; retrying in %3 s")
                                 .arg(a.outTradeNo, unsettled ? tr("the channel does not know it") : o.error.describe())
                                 .arg(wait / 1000));
        } else {
            m_failures.remove(-a.id);
            m_status.lastError.remove(toString(a.channel));
            queueWrite(Job::Query, a.id, [this, a, st = o.status](Transaction &tx) -> Status {
                auto applied = m_s.reconciler.applyPayment(tx, st, kTimer, QStringLiteral("leftover"));
                if (!applied)
                    return applied.error();
                if (applied->outcome != Reconciler::Outcome::AlreadyApplied)
                    emit actionTaken(tr("payment %1 was left open on a finished order: %2").arg(a.outTradeNo, Reconciler::describe(applied->outcome)));
                return {};
            });
        }
        finishedOne();
    });
}

void SyncEngine::runSendRefund(const QList<Refund> &refunds)
{
    for (const Refund &rf : refunds) {
        auto attempt = Sql::exec(m_s.db->connection(), QStringLiteral("SELECT ") + OrderRepository::attemptColumns()
                                                            + QStringLiteral(" FROM payment_attempts a WHERE a.id = :id"), {{":id", rf.attemptId}});
        if (!attempt || !attempt.value().next()) {
            releaseClaim(Job::SendRefund, rf.id, m_s.clock->nowMs() + m_opt.retryMs);
            continue;
        }
        const PaymentAttempt a = OrderRepository::readAttempt(attempt.value());
        // Four eyes, checked again right before money moves, against the database as it is now.
        if (Status approval = m_s.refundService.checkApproval(rf); !approval) {
            const ChannelError refused = ChannelError::make(ChannelError::Kind::Config, approval.error().code, approval.error().message);
            queueWrite(Job::SendRefund, rf.id, [this, rf, refused](Transaction &tx) -> Status {
                auto applied = m_s.reconciler.refuseRefund(tx, rf.outRefundNo, refused, kTimer);
                if (!applied)
                    return applied.error();
                emit actionTaken(tr("refund %1 not sent: %2").arg(rf.outRefundNo, refused.message));
                return {};
            });
            continue;
        }
        PaymentChannel *ch = m_s.channels.channel(a.channel);
        if (!ch) {
            noteChannelError(a.channel, tr("not configured"));
            releaseClaim(Job::SendRefund, rf.id, m_s.clock->nowMs() + kMaxRetryMs);
            continue;
        }
        RefundRequest req;
        req.outRefundNo = rf.outRefundNo; // the same number on every retry: money moves once
        req.outTradeNo = a.outTradeNo;
        req.refundMinor = rf.amountMinor;
        req.totalMinor = a.amountMinor;
        req.currency = rf.currency;
        req.reason = rf.reason;
        ++m_status.inFlight;
        ch->refund(req, this, [this, rf, a](const ChannelReply<RefundResult> &r) {
            const qint64 now = m_s.clock->nowMs();
            // Nothing was sent (a profile or key problem): keep it approved and try later.
            const bool notSent = !r.ok() && r.error().kind == ChannelError::Kind::Config;
            if (!r.ok() && (r.error().retrySafe || notSent)) {
                noteChannelError(a.channel, r.error().describe());
                const qint64 wait = qMin<qint64>(kMaxRetryMs, qMax(r.error().retryAfterMs, m_opt.retryMs << qMin(rf.attemptCount, 6)));
                queueWrite(Job::SendRefund, rf.id, [rf, now, wait, err = r.error().describe()](Transaction &tx) -> Status {
                    auto u = Sql::exec(tx.connection(), QStringLiteral("UPDATE refunds SET next_action_at = :n, attempt_count = attempt_count + 1, "
                                                                       "lease_until = 0, last_error = :e WHERE id = :id AND state = 'APPROVED'"),
                                       {{":n", now + wait}, {":e", err}, {":id", rf.id}});
                    return u ? Status() : Status(u.error());
                });
                push(now + wait, rf.id, Job::SendRefund);
                emit actionTaken(tr("refund %1: %2; will retry with the same refund number").arg(rf.outRefundNo, r.error().describe()));
                finishedOne();
                return;
            }
            if (!r.ok()) {
                const ChannelError err = r.error();
                // A refusal only counts when the channel's answer was verified and is about this
                // refund; anything else (forged, unsigned, stale, about another refund, an
                // unknown answer) may hide a refund that was made: follow it, never end it.
                const bool verifiedRefusal = err.kind == ChannelError::Kind::Rejected && err.code != QStringLiteral("MISMATCH");
                noteChannelError(a.channel, err.describe());
                const qint64 nextPoll = now + m_opt.refundFirstPollMs;
                if (!verifiedRefusal)
                    push(nextPoll, rf.id, Job::PollRefund);
                queueWrite(Job::SendRefund, rf.id, [this, rf, err, verifiedRefusal, nextPoll](Transaction &tx) -> Status {
                    auto applied = verifiedRefusal ? m_s.reconciler.refuseRefund(tx, rf.outRefundNo, err, kTimer)
                                                   : m_s.reconciler.refundUnconfirmed(tx, rf.outRefundNo, err, kTimer, nextPoll);
                    if (!applied)
                        return applied.error();
                    emit actionTaken(tr("refund %1 sent: %2 (%3)").arg(rf.outRefundNo, Reconciler::describe(applied->outcome), err.describe()));
                    return {};
                });
                finishedOne();
                return;
            }
            RefundResult result = r.value();
            m_status.lastError.remove(toString(a.channel));
            result.outRefundNo = rf.outRefundNo;
            const qint64 nextPoll = now + (result.status == RefundStatus::Abnormal ? m_opt.refundMaxPollMs : m_opt.refundFirstPollMs);
            if (result.status == RefundStatus::Processing || result.status == RefundStatus::Abnormal)
                push(nextPoll, rf.id, Job::PollRefund);
            queueWrite(Job::SendRefund, rf.id, [this, result, nextPoll](Transaction &tx) -> Status {
                auto applied = m_s.reconciler.applyRefund(tx, result, kTimer, nextPoll);
                if (!applied)
                    return applied.error();
                emit actionTaken(tr("refund %1 sent: %2").arg(result.outRefundNo, Reconciler::describe(applied->outcome)));
                return {};
            });
            finishedOne();
        });
    }
}

void SyncEngine::runPollRefund(const QList<Refund> &refunds)
{
    for (const Refund &rf : refunds) {
        auto attempt = Sql::exec(m_s.db->connection(), QStringLiteral("SELECT channel, out_trade_no FROM payment_attempts WHERE id = :id"), {{":id", rf.attemptId}});
        if (!attempt || !attempt.value().next()) {
            releaseClaim(Job::PollRefund, rf.id, m_s.clock->nowMs() + m_opt.retryMs);
            continue;
        }
        const ChannelKind kind = fromString<ChannelKind>(attempt.value().value(0).toString()).value_or(ChannelKind::Sim);
        const QString outTradeNo = attempt.value().value(1).toString();
        PaymentChannel *ch = m_s.channels.channel(kind);
        if (!ch) {
            noteChannelError(kind, tr("not configured"));
            releaseClaim(Job::PollRefund, rf.id, m_s.clock->nowMs() + kMaxRetryMs);
            continue;
        }
        ++m_status.inFlight;
        ch->queryRefund(rf.outRefundNo, outTradeNo, this, [this, rf, kind](const ChannelReply<RefundResult> &r) {
            const qint64 now = m_s.clock->nowMs();
            const qint64 backoff = qMin<qint64>(m_opt.refundMaxPollMs, m_opt.refundFirstPollMs << qMin(qMax(0, rf.attemptCount), 8));
            if (!r.ok()) {
                // No verifiable answer: ask again later; after many tries finance hears of it.
                noteChannelError(kind, r.error().describe());
                queueWrite(Job::PollRefund, rf.id, [this, rf, now, backoff, err = r.error()](Transaction &tx) -> Status {
                    auto applied = m_s.reconciler.refundUnconfirmed(tx, rf.outRefundNo, err, kTimer, now + backoff);
                    if (!applied)
                        return applied.error();
                    if (applied->anomalyId > 0)
                        emit actionTaken(tr("refund %1: %2").arg(rf.outRefundNo, Reconciler::describe(applied->outcome)));
                    return {};
                });
                push(now + backoff, rf.id, Job::PollRefund);
                finishedOne();
                return;
            }
            m_status.lastError.remove(toString(kind));
            RefundResult result = r.value();
            result.outRefundNo = rf.outRefundNo;
            // ABNORMAL is followed at the slow cadence: it ends when the merchant has it paid out.
            const qint64 next = now + (result.status == RefundStatus::Abnormal ? m_opt.refundMaxPollMs : backoff);
            if (result.status == RefundStatus::Processing || result.status == RefundStatus::Abnormal)
                push(next, rf.id, Job::PollRefund);
            queueWrite(Job::PollRefund, rf.id, [this, result, next](Transaction &tx) -> Status {
                auto applied = m_s.reconciler.applyRefund(tx, result, kTimer, next);
                if (!applied)
                    return applied.error();
                const bool quiet = applied->outcome == Reconciler::Outcome::RefundProcessing || applied->outcome == Reconciler::Outcome::AlreadyApplied
                    || applied->outcome == Reconciler::Outcome::RefundAbnormal || applied->outcome == Reconciler::Outcome::AmountMismatch;
                if (!quiet || applied->anomalyId > 0)
                    emit actionTaken(tr("refund %1: %2").arg(result.outRefundNo, Reconciler::describe(applied->outcome)));
                return {};
            });
            finishedOne();
        });
    }
}

void SyncEngine::emitStatus()
{
    emit statusChanged(m_status);
}

} // namespace paydesk
