#include "sync/SyncEngine.h"

#include "services/AttemptCloser.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QSqlDriver>
#include <QUuid>

#include <QHostInfo>

#include <algorithm>
#include <cerrno>
#include <csignal>

namespace paydesk {

namespace {
constexpr qint64 kMaxRetryMs = 5 * 60'000;
const QString kTimer = QStringLiteral("timer");

QString idList(const QList<qint64> &ids)
{
    QStringList parts;
    parts.reserve(ids.size());
    for (qint64 id : ids)
        parts << QString::number(id);
    return parts.join(u',');
}
} // namespace

SyncEngine::SyncEngine(Services &services, Options options, QObject *parent)
    : QObject(parent), m_s(services), m_opt(std::move(options))
{
    if (m_opt.owner.isEmpty())
        m_opt.owner = QHostInfo::localHostName() + u':' + QString::number(QCoreApplication::applicationPid());
    while (m_opt.quickQueriesMs.size() > 5)
        m_opt.quickQueriesMs.removeLast();
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &SyncEngine::wake);
}

SyncEngine::~SyncEngine() = default;

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

    auto orders = Sql::exec(conn, QStringLiteral("SELECT id, expires_at FROM orders WHERE state = 'PENDING'"));
    if (!orders)
        return orders.error();
    while (orders.value().next()) {
        const qint64 id = orders.value().value(0).toLongLong();
        m_heap.push_back(Due{orders.value().value(1).toLongLong(), id, Job::Expire});
    }
    auto maxIds = Sql::exec(conn, QStringLiteral("SELECT (SELECT COALESCE(MAX(id), 0) FROM orders), (SELECT COALESCE(MAX(id), 0) FROM payment_attempts)"));
    if (!maxIds || !maxIds.value().next())
        return maxIds ? Error::storage(QStringLiteral("max ids")) : maxIds.error();
    m_maxOrderId = maxIds.value().value(0).toLongLong();
    m_maxAttemptId = maxIds.value().value(1).toLongLong();
    auto attempts = Sql::exec(conn, QStringLiteral("SELECT id, next_query_at FROM payment_attempts WHERE state IN ('CREATED', 'PAYING') AND next_query_at > 0"));
    if (!attempts)
        return attempts.error();
    while (attempts.value().next())
        m_heap.push_back(Due{attempts.value().value(1).toLongLong(), attempts.value().value(0).toLongLong(), Job::Query});
    auto refunds = Sql::exec(conn, QStringLiteral("SELECT id, state, next_action_at FROM refunds WHERE state IN ('APPROVED', 'PROCESSING')"));
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
    auto orders = Sql::exec(conn, QStringLiteral("SELECT id, expires_at FROM orders WHERE id > :m AND state = 'PENDING'"), {{":m", m_maxOrderId}});
    if (!orders)
        return orders.error();
    while (orders.value().next()) {
        const qint64 id = orders.value().value(0).toLongLong();
        push(orders.value().value(1).toLongLong(), id, Job::Expire);
    }
    auto maxIds = Sql::exec(conn, QStringLiteral("SELECT (SELECT COALESCE(MAX(id), 0) FROM orders), (SELECT COALESCE(MAX(id), 0) FROM payment_attempts)"));
    if (maxIds && maxIds.value().next())
        m_maxOrderId = maxIds.value().value(0).toLongLong();
    // Open attempts: new ones and any whose next query was moved earlier by someone else.
    auto attempts = Sql::exec(conn, QStringLiteral("SELECT id, next_query_at FROM payment_attempts WHERE state IN ('CREATED', 'PAYING') "
                                                   "AND next_query_at > 0 AND (id > :m OR next_query_at <= :soon)"),
                              {{":m", m_maxAttemptId}, {":soon", m_s.clock->nowMs() + 5000}});
    if (!attempts)
        return attempts.error();
    while (attempts.value().next())
        push(attempts.value().value(1).toLongLong(), attempts.value().value(0).toLongLong(), Job::Query);
    if (maxIds)
        m_maxAttemptId = maxIds.value().value(1).toLongLong();
    auto refunds = Sql::exec(conn, QStringLiteral("SELECT id, state, next_action_at FROM refunds WHERE state IN ('APPROVED', 'PROCESSING')"));
    if (!refunds)
        return refunds.error();
    while (refunds.value().next())
        push(refunds.value().value(2).toLongLong(), refunds.value().value(0).toLongLong(),
             refunds.value().value(1).toString() == QStringLiteral("APPROVED") ? Job::SendRefund : Job::PollRefund);
    return {};
}

Status SyncEngine::releaseDeadLeases()
{
    // Claims of an instance on this host that is no longer running (killed, crashed) are
    // released at once; claims of other hosts run out after leaseMs.
    const QString host = QHostInfo::localHostName() + u':';
    const qint64 now = m_s.clock->nowMs();
    for (const char *table : {"orders", "payment_attempts", "refunds"}) {
        const QString t = QString::fromLatin1(table);
        auto owners = Sql::exec(m_s.db->connection(), QStringLiteral("SELECT DISTINCT lease_owner FROM %1 WHERE lease_until > :now AND lease_owner LIKE :h").arg(t),
                                {{":now", now}, {":h", QString(host + u'%')}});
        if (!owners)
            return owners.error();
        QStringList dead;
        while (owners.value().next()) {
            const QString owner = owners.value().value(0).toString();
            const qint64 pid = owner.mid(host.size()).section(u'#', 0, 0).toLongLong();
            if (pid > 0 && pid != QCoreApplication::applicationPid() && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
                dead << owner;
        }
        for (const QString &owner : std::as_const(dead)) {
            Transaction tx(*m_s.db);
            if (!tx.begun())
                return tx.begun();
            auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE %1 SET lease_until = 0 WHERE lease_owner = :o").arg(t), {{":o", owner}});
            if (!r)
                return r.error();
            if (Status s = tx.commit(); !s)
                return s;
            emit actionTaken(tr("released %1 claims of a stopped instance (%2)").arg(r.value().numRowsAffected()).arg(owner));
        }
    }
    return {};
}

Status SyncEngine::start()
{
    if (Status s = releaseDeadLeases(); !s)
        return s;
    if (Status s = loadAll(); !s)
        return s;
    m_running = true;
    if (m_opt.watchOtherInstances) {
        if (m_s.db->dialect() == Database::Dialect::PostgreSQL) {
            QSqlDatabase conn = m_s.db->connection();
            if (conn.driver()->subscribeToNotification(QStringLiteral("paydesk_changes")))
                connect(conn.driver(), &QSqlDriver::notification, this, [this]() { checkOtherInstances(); });
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
    m_running = false;
    m_timer.stop();
    flushWrites();
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

bool SyncEngine::isIdle() const
{
    const bool nothingDue = m_heap.empty() || m_heap.front().at > m_s.clock->nowMs();
    return m_status.inFlight == 0 && m_writes.empty() && nothingDue;
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
    qint64 realMs = due <= now ? 0 : qint64(double(due - now) / rate) + (rate > 1.0 ? 0 : 0);
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
    bool due[4] = {false, false, false, false};
    while (!m_heap.empty() && m_heap.front().at <= now) {
        due[int(m_heap.front().job)] = true;
        std::pop_heap(m_heap.begin(), m_heap.end(), std::greater<>());
        m_heap.pop_back();
    }
    for (int j = 0; j < 4; ++j) {
        if (!due[j])
            continue;
        if (m_status.inFlight >= m_opt.maxInFlight) {
            push(now, 0, Job(j)); // come back when calls finish
            continue;
        }
        const int claimed = claimAndRun(Job(j), now);
        if (claimed >= m_opt.batchSize)
            push(now, 0, Job(j)); // more may be waiting: take the next batch in the next turn
    }
    if (!m_heap.empty() && m_heap.front().at <= now && m_status.inFlight < m_opt.maxInFlight)
        QMetaObject::invokeMethod(this, &SyncEngine::runDue, Qt::QueuedConnection);
    else
        arm();
    if (isIdle())
        emit becameIdle();
}

int SyncEngine::claimAndRun(Job job, qint64 now)
{
    static quint64 claimSeq = 0;
    const QString lease = m_opt.owner + u'#' + QString::number(++claimSeq);
    QString table, where, order;
    switch (job) {
    case Job::Expire:
        table = QStringLiteral("orders");
        where = QStringLiteral("state = 'PENDING' AND expires_at <= :now");
        order = QStringLiteral("expires_at");
        break;
    case Job::Query:
        table = QStringLiteral("payment_attempts");
        where = QStringLiteral("state IN ('CREATED', 'PAYING') AND next_query_at > 0 AND next_query_at <= :now");
        order = QStringLiteral("next_query_at");
        break;
    case Job::SendRefund:
        table = QStringLiteral("refunds");
        where = QStringLiteral("state = 'APPROVED' AND next_action_at <= :now");
        order = QStringLiteral("next_action_at");
        break;
    case Job::PollRefund:
        table = QStringLiteral("refunds");
        where = QStringLiteral("state = 'PROCESSING' AND next_action_at <= :now");
        order = QStringLiteral("next_action_at");
        break;
    }
    const int room = qMin(m_opt.batchSize, m_opt.maxInFlight - m_status.inFlight);
    Transaction tx(*m_s.db);
    if (!tx.begun()) {
        qWarning("paydesk: timer cannot claim work: %s", qPrintable(tx.begun().error().message));
        push(now + m_opt.retryMs, 0, job);
        return 0;
    }
    const QString claim = QStringLiteral("UPDATE %1 SET lease_owner = :owner, lease_until = :until WHERE id IN "
                                         "(SELECT id FROM %1 WHERE %2 AND lease_until < :now2 ORDER BY %3 LIMIT :n%4)")
                              .arg(table, where, order, m_s.db->forUpdateSkipLocked());
    auto claimed = Sql::exec(tx.connection(), claim, {{":owner", lease}, {":until", now + m_opt.leaseMs}, {":now", now},
                                                      {":now2", now}, {":n", room}});
    if (!claimed) {
        qWarning("paydesk: timer claim failed: %s", qPrintable(claimed.error().message));
        push(now + m_opt.retryMs, 0, job);
        return 0;
    }
    const int n = claimed.value().numRowsAffected();
    if (n <= 0) {
        tx.rollback();
        return 0;
    }
    QSqlDatabase &conn = tx.connection();
    int got = 0;
    if (job == Job::Expire) {
        auto q = Sql::exec(conn, QStringLiteral("SELECT ") + OrderRepository::orderColumns() + QStringLiteral(" FROM orders o WHERE o.lease_owner = :l"), {{":l", lease}});
        QList<Order> orders;
        while (q && q.value().next())
            orders << OrderRepository::readOrder(q.value());
        if (Status s = tx.commit(); !s)
            return 0;
        got = int(orders.size());
        runExpire(orders);
    } else if (job == Job::Query) {
        auto q = Sql::exec(conn, QStringLiteral("SELECT ") + OrderRepository::attemptColumns() + QStringLiteral(" FROM payment_attempts a WHERE a.lease_owner = :l"), {{":l", lease}});
        QList<PaymentAttempt> attempts;
        while (q && q.value().next())
            attempts << OrderRepository::readAttempt(q.value());
        if (Status s = tx.commit(); !s)
            return 0;
        got = int(attempts.size());
        runQuery(attempts);
    } else {
        auto q = Sql::exec(conn, QStringLiteral("SELECT ") + RefundRepository::refundColumns() + QStringLiteral(" FROM refunds r WHERE r.lease_owner = :l"), {{":l", lease}});
        QList<Refund> refunds;
        while (q && q.value().next())
            refunds << RefundRepository::readRefund(q.value());
        if (Status s = tx.commit(); !s)
            return 0;
        got = int(refunds.size());
        if (job == Job::SendRefund)
            runSendRefund(refunds);
        else
            runPollRefund(refunds);
    }
    return got;
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
    if (m_status.inFlight == 0 || m_status.inFlight == m_opt.maxInFlight - 1) {
        // Room again: continue with whatever is due.
        QMetaObject::invokeMethod(this, &SyncEngine::runDue, Qt::QueuedConnection);
    }
}

void SyncEngine::queueWrite(std::function<Status(Transaction &)> write)
{
    m_writes.push_back(std::move(write));
    if (!m_flushQueued) {
        m_flushQueued = true;
        QMetaObject::invokeMethod(this, &SyncEngine::flushWrites, Qt::QueuedConnection);
    }
}

void SyncEngine::flushWrites()
{
    m_flushQueued = false;
    if (m_writes.empty())
        return;
    auto writes = std::exchange(m_writes, {});
    // One transaction for the whole batch (one fsync for a thousand closes), each write in a
    // savepoint of its own: a write that loses a compare-and-set or fails is undone alone and
    // blocks nothing else.
    Transaction tx(*m_s.db);
    if (!tx.begun()) {
        qWarning("paydesk: timer cannot record results: %s", qPrintable(tx.begun().error().message));
        m_writes = std::move(writes); // keep them; try again shortly
        QTimer::singleShot(int(m_opt.retryMs), this, &SyncEngine::flushWrites);
        return;
    }
    QSqlDatabase &conn = tx.connection();
    for (auto &w : writes) {
        QSqlQuery sp(conn);
        sp.exec(QStringLiteral("SAVEPOINT timer_write"));
        const Status s = w(tx);
        QSqlQuery end(conn);
        if (!s) {
            end.exec(QStringLiteral("ROLLBACK TO SAVEPOINT timer_write"));
            if (s.error().kind != Error::Kind::Conflict)
                qWarning("paydesk: timer could not record a result: %s", qPrintable(s.error().message));
        }
        QSqlQuery release(conn);
        release.exec(QStringLiteral("RELEASE SAVEPOINT timer_write"));
    }
    if (Status s = tx.commit(); !s)
        qWarning("paydesk: timer commit failed: %s", qPrintable(s.error().message));
    emit booksChanged();
    arm();
    if (isIdle())
        emit becameIdle();
}

// ---- jobs -----------------------------------------------------------------------------------

void SyncEngine::runExpire(const QList<Order> &orders)
{
    if (orders.isEmpty())
        return;
    QList<qint64> ids;
    for (const Order &o : orders)
        ids << o.id;
    QHash<qint64, QList<PaymentAttempt>> open;
    auto q = Sql::exec(m_s.db->connection(), QStringLiteral("SELECT ") + OrderRepository::attemptColumns()
                                                  + QStringLiteral(" FROM payment_attempts a WHERE a.state IN ('CREATED', 'PAYING') AND a.order_id IN (")
                                                  + idList(ids) + QStringLiteral(") ORDER BY a.id"));
    while (q && q.value().next()) {
        const PaymentAttempt a = OrderRepository::readAttempt(q.value());
        open[a.orderId] << a;
    }
    for (const Order &order : orders) {
        ++m_status.inFlight;
        const QList<PaymentAttempt> attempts = open.value(order.id);
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
            const qint64 retryMs = qMin<qint64>(kMaxRetryMs, m_opt.retryMs << qMin(m_failures.value(order.id), 6));
            if (!problem.isEmpty())
                m_failures[order.id] += 1;
            else
                m_failures.remove(order.id);
            queueWrite([this, order, outcomes, paid, problem, retryMs](Transaction &tx) -> Status {
                for (const AttemptOutcome &o : outcomes) {
                    if (o.kind == AttemptOutcome::Kind::Failed)
                        continue;
                    auto applied = m_s.reconciler.applyPayment(tx, o.status, kTimer, QStringLiteral("expiry"));
                    if (!applied && applied.error().kind != Error::Kind::Conflict)
                        return applied.error();
                }
                const qint64 now = m_s.clock->nowMs();
                if (!problem.isEmpty()) {
                    // Could not reach the channel: keep it PENDING (it counts as expired: repay
                    // is refused) and try again later with backoff.
                    auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE orders SET lease_until = :u WHERE id = :id AND state = 'PENDING'"),
                                       {{":u", now + retryMs}, {":id", order.id}});
                    push(now + retryMs, order.id, Job::Expire);
                    emit actionTaken(tr("order %1: channel unreachable (%2); retrying in %3 s").arg(order.orderNo, problem).arg(retryMs / 1000));
                    return r ? Status() : Status(r.error());
                }
                if (paid) {
                    emit actionTaken(tr("order %1 was paid at the last moment: PAID").arg(order.orderNo));
                    return {};
                }
                Status s = m_s.orders.casOrder(tx.connection(), order.id, OrderState::Pending, OrderState::Closed,
                                               {{QStringLiteral("close_reason"), toString(CloseReason::Expired)}, {QStringLiteral("closed_at"), now}});
                if (!s)
                    return s; // someone else closed or paid it first: nothing to do
                s = m_s.audit.append(tx, kTimer, QStringLiteral("order.close"), QStringLiteral("order:") + order.orderNo,
                                     {{QStringLiteral("reason"), toString(CloseReason::Expired)}, {QStringLiteral("late_ms"), now - order.expiresAt}});
                if (s)
                    emit actionTaken(tr("closed %1 (EXPIRED, %2 ms after its deadline)").arg(order.orderNo).arg(now - order.expiresAt));
                return s;
            });
            finishedOne();
        });
    }
}

void SyncEngine::runQuery(const QList<PaymentAttempt> &attempts)
{
    for (const PaymentAttempt &a : attempts) {
        PaymentChannel *ch = m_s.channels.channel(a.channel);
        if (!ch) {
            noteChannelError(a.channel, tr("not configured"));
            continue;
        }
        ++m_status.inFlight;
        ch->queryPayment(a.outTradeNo, this, [this, a](const ChannelReply<PaymentStatus> &r) {
            const qint64 now = m_s.clock->nowMs();
            if (!r.ok()) {
                noteChannelError(a.channel, r.error().describe());
                const qint64 wait = r.error().kind == ChannelError::Kind::RateLimited
                    ? qMax(r.error().retryAfterMs, m_opt.slowQueryMs)
                    : qMin<qint64>(kMaxRetryMs, m_opt.retryMs << qMin(m_failures.value(-a.id), 6));
                m_failures[-a.id] += 1;
                const qint64 next = now + wait < a.expiresAt ? now + wait : 0;
                queueWrite([a, next](Transaction &tx) -> Status {
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
            const int count = a.queryCount + 1;
            qint64 next = 0;
            if (open) {
                const qint64 wait = count - 1 < m_opt.quickQueriesMs.size() ? m_opt.quickQueriesMs[count - 1] : m_opt.slowQueryMs;
                next = now + wait < a.expiresAt ? now + wait : 0; // the order's expiry job takes over
                if (next > 0)
                    push(next, a.id, Job::Query);
            }
            queueWrite([this, a, st, open, count, next](Transaction &tx) -> Status {
                auto applied = m_s.reconciler.applyPayment(tx, st, kTimer, QStringLiteral("query"));
                if (!applied)
                    return applied.error();
                if (open) {
                    auto u = Sql::exec(tx.connection(), QStringLiteral("UPDATE payment_attempts SET next_query_at = :n, query_count = :c, lease_until = 0 "
                                                                       "WHERE id = :id AND state IN ('CREATED', 'PAYING')"),
                                       {{":n", next}, {":c", count}, {":id", a.id}});
                    if (!u)
                        return u.error();
                } else if (applied->outcome != Reconciler::Outcome::AlreadyApplied) {
                    emit actionTaken(tr("payment %1: %2").arg(a.outTradeNo, Reconciler::describe(applied->outcome)));
                }
                return {};
            });
            finishedOne();
        });
    }
}

void SyncEngine::runSendRefund(const QList<Refund> &refunds)
{
    for (const Refund &rf : refunds) {
        auto attempt = Sql::exec(m_s.db->connection(), QStringLiteral("SELECT ") + OrderRepository::attemptColumns()
                                                            + QStringLiteral(" FROM payment_attempts a WHERE a.id = :id"), {{":id", rf.attemptId}});
        if (!attempt || !attempt.value().next())
            continue;
        const PaymentAttempt a = OrderRepository::readAttempt(attempt.value());
        PaymentChannel *ch = m_s.channels.channel(a.channel);
        if (!ch) {
            noteChannelError(a.channel, tr("not configured"));
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
            if (!r.ok() && r.error().retrySafe) {
                noteChannelError(a.channel, r.error().describe());
                const qint64 wait = qMin<qint64>(kMaxRetryMs, qMax(r.error().retryAfterMs, m_opt.retryMs << qMin(rf.attemptCount, 6)));
                queueWrite([rf, now, wait, err = r.error().describe()](Transaction &tx) -> Status {
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
            RefundResult result;
            if (r.ok()) {
                result = r.value();
                m_status.lastError.remove(toString(a.channel));
            } else {
                // Refused for good (NOT_ENOUGH, parameter errors): record it for finance.
                result.outRefundNo = rf.outRefundNo;
                result.status = RefundStatus::Abnormal;
                result.rawStatus = r.error().describe();
            }
            result.outRefundNo = rf.outRefundNo;
            const qint64 nextPoll = now + m_opt.refundFirstPollMs;
            if (result.status == RefundStatus::Processing)
                push(nextPoll, rf.id, Job::PollRefund);
            queueWrite([this, result, nextPoll](Transaction &tx) -> Status {
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
        if (!attempt || !attempt.value().next())
            continue;
        const ChannelKind kind = fromString<ChannelKind>(attempt.value().value(0).toString()).value_or(ChannelKind::Sim);
        const QString outTradeNo = attempt.value().value(1).toString();
        PaymentChannel *ch = m_s.channels.channel(kind);
        if (!ch) {
            noteChannelError(kind, tr("not configured"));
            continue;
        }
        ++m_status.inFlight;
        ch->queryRefund(rf.outRefundNo, outTradeNo, this, [this, rf, kind](const ChannelReply<RefundResult> &r) {
            const qint64 now = m_s.clock->nowMs();
            const qint64 backoff = qMin<qint64>(m_opt.refundMaxPollMs, m_opt.refundFirstPollMs << qMin(qMax(0, rf.attemptCount), 8));
            if (!r.ok()) {
                noteChannelError(kind, r.error().describe());
                queueWrite([rf, now, backoff](Transaction &tx) -> Status {
                    auto u = Sql::exec(tx.connection(), QStringLiteral("UPDATE refunds SET next_action_at = :n, lease_until = 0 WHERE id = :id AND state = 'PROCESSING'"),
                                       {{":n", now + backoff}, {":id", rf.id}});
                    return u ? Status() : Status(u.error());
                });
                push(now + backoff, rf.id, Job::PollRefund);
                finishedOne();
                return;
            }
            m_status.lastError.remove(toString(kind));
            RefundResult result = r.value();
            result.outRefundNo = rf.outRefundNo;
            if (result.status == RefundStatus::Processing)
                push(now + backoff, rf.id, Job::PollRefund);
            queueWrite([this, result, now, backoff](Transaction &tx) -> Status {
                auto applied = m_s.reconciler.applyRefund(tx, result, kTimer, now + backoff);
                if (!applied)
                    return applied.error();
                if (applied->outcome != Reconciler::Outcome::RefundProcessing && applied->outcome != Reconciler::Outcome::AlreadyApplied)
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
