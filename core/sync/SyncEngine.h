#pragma once

#include "services/AttemptCloser.h"
#include "services/Services.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QSqlQuery>
#include <QTimer>

#include <memory>
#include <optional>
#include <vector>

class QFileSystemWatcher;

namespace paydesk {

/// What the timer is doing, for the status bar and `paydeskctl sync`.
struct SyncStatus
{
    qint64 nextDueAt = 0;          ///< ms since epoch; 0 when nothing is scheduled
    int inFlight = 0;              ///< jobs waiting for a channel
    qint64 scheduled = 0;          ///< due times held in memory
    quint64 jobsDone = 0;
    quint64 wakeups = 0;           ///< timer wake-ups since start (idle must not add any)
    QHash<QString, QString> lastError; ///< channel name -> last error text (empty once it recovers)
};

/// The embedded timer: one Qt::PreciseTimer armed for the earliest due time keeps the books
/// in step with the channels. It closes orders at their deadline, asks the channel about
/// payments in flight with backoff, sends approved refunds and follows them until they end.
/// The database is the source of truth: the in-memory heap only says when to wake; due work
/// is claimed in the database with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, inside
/// BEGIN IMMEDIATE on SQLite) and every change is a compare-and-set, so several instances
/// never close an order twice nor send a refund twice. Whenever a job's due rows run out the
/// engine asks the (state, due) index for the next due time and for the end of other
/// instances' claims, so work it never heard of (another seat's, or claims of a crashed
/// instance running out) is still done on time, without polling.
class SyncEngine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SyncEngine)
public:
    struct Options
    {
        QString owner;                      ///< this instance's name in leases (default: host:pid.n)
        int batchSize = 2000;               ///< rows claimed per query (one statement leases and reads them)
        int maxInFlight = 4000;             ///< channel calls at once
        qint64 leaseMs = 60'000;            ///< how long a claim holds
        QList<qint64> quickQueriesMs{1000, 2000, 3000}; ///< the first queries of a payment (at most 5)
        qint64 slowQueryMs = 30'000;        ///< after the quick ones, until expiry
        qint64 refundFirstPollMs = 60'000;  ///< poll a PROCESSING refund after 1 min ...
        qint64 refundMaxPollMs = 30 * 60'000; ///< ... backing off to at most this
        qint64 retryMs = 5'000;             ///< after a channel failure (doubles, capped at 5 min)
        bool watchOtherInstances = true;    ///< LISTEN/NOTIFY (PostgreSQL) or a file watch (SQLite)
    };

    SyncEngine(Services &services, Options options, QObject *parent = nullptr);
    ~SyncEngine() override;

    /// Loads every due time from the database, catches up on what fell due while the
    /// program was not running, and arms the timer.
    Status start();
    void stop();
    /// Work was added or changed in this process (a repay, an approval): pick it up.
    void poke();
    /// The clock jumped (a ManualClock in tests, the machine resumed from suspend): re-arm
    /// for the earliest due time without reading anything.
    void clockChanged();
    /// Nothing is due now and nothing is waiting for a channel.
    bool isIdle() const;
    SyncStatus status() const { return m_status; }
    qint64 loadMs() const { return m_loadMs; }

signals:
    void statusChanged(const paydesk::SyncStatus &status);
    /// One line per action taken ("closed PD... (EXPIRED)"), for `paydeskctl sync`.
    void actionTaken(const QString &line);
    /// Emitted when the engine runs out of due work (after catching up, after a batch).
    void becameIdle();
    /// The books changed (models refresh).
    void booksChanged();

private:
    enum class Job : quint8 { Expire, Query, SendRefund, PollRefund };
    struct Due
    {
        qint64 at;
        qint64 id;
        Job job;
        bool operator>(const Due &o) const { return at > o.at; }
    };
    static constexpr int kJobs = 4;
    void push(qint64 at, qint64 id, Job job);
    /// Pushes a wake-up for `job` at `at` unless an earlier one is already waiting.
    void pushProbe(qint64 at, Job job);
    /// After a job's due rows ran out: wakes for the next due time in the database (which may
    /// be one this instance never heard of) and for claims of other instances running out.
    void probeAfterDrain(Job job, qint64 now);
    /// The earliest due time of `job` in the database after `after` (all of them when
    /// `after` is null), 0 when none.
    qint64 nextDueInDatabase(Job job, std::optional<qint64> after);
    void releaseClaim(Job job, qint64 id, qint64 retryAt);
    Status releaseDeadLeases();
    Status loadAll();
    Status loadNew();
    void arm();
    void wake();
    void runDue();
    /// Runs a statement of the timer's own, prepared once per engine, with positional binds.
    /// A SELECT's caller reads it and calls finish().
    Result<QSqlQuery *> statement(const QString &sql, std::initializer_list<QVariant> binds = {});
    /// While it lives, SQLite commits on the timer's connection skip the fsync (WAL,
    /// synchronous=NORMAL): for writes that are redone from the channel's answer if lost.
    class RelaxedCommits
    {
    public:
        explicit RelaxedCommits(SyncEngine &e);
        ~RelaxedCommits();
        Q_DISABLE_COPY_MOVE(RelaxedCommits)
    private:
        SyncEngine &m_e;
    };
    /// Claims up to `room` due rows of `job` and starts them; the number claimed, -1 on error.
    int claimAndRun(Job job, qint64 now, int room);
    void runExpire(const QList<Order> &orders);
    /// `leftovers`: attempts whose order is no longer pending; still open at the channel, they are closed.
    void runQuery(const QList<PaymentAttempt> &attempts, const QSet<qint64> &leftovers);
    void closeLeftover(const PaymentAttempt &a);
    void runSendRefund(const QList<Refund> &refunds);
    void runPollRefund(const QList<Refund> &refunds);
    void finishedOne();
    void noteChannelError(ChannelKind kind, const QString &text);
    void flushWrites();
    /// Queues the recording of job `job` on row `id`; the row stays busy until it commits.
    void queueWrite(Job job, qint64 id, std::function<Status(Transaction &)> write);
    void scheduleFlush();
    /// An order whose open payments all came back CLOSED from the channel: closed locally in
    /// bulk by recordExpired().
    struct Expired
    {
        Order order;
        QList<AttemptOutcome> outcomes;
    };
    Status recordExpired(Transaction &tx, const std::vector<Expired> &expired, QStringList &lines);
    std::function<Status(Transaction &)> expireWrite(const Order &order, const QList<AttemptOutcome> &outcomes, bool paid,
                                                     const QString &problem);
    void checkOtherInstances();
    void emitStatus();

    Services &m_s;
    Options m_opt;
    QTimer m_timer;
    std::vector<Due> m_heap; ///< min-heap on `at`
    qint64 m_maxOrderId = 0, m_maxAttemptId = 0, m_maxRefundId = 0;
    bool m_more[kJobs] = {};    ///< due rows of that job may still wait (claimed a full batch, or no room)
    qint64 m_probeAt[kJobs] = {}; ///< earliest probe wake-up waiting in the heap per job
    qint64 m_seenChange = -1;
    SyncStatus m_status;
    qint64 m_loadMs = 0;
    bool m_running = false;
    bool m_flushQueued = false;
    struct Write
    {
        Job job;
        qint64 id;
        std::function<Status(Transaction &)> run;
    };
    std::vector<Write> m_writes;
    std::vector<Expired> m_expired;
    QHash<QString, std::shared_ptr<QSqlQuery>> m_statements;
    int m_syncLevel = 0; ///< SQLite's PRAGMA synchronous for this connection (claims commit with 1)
    QSet<qint64> m_busy[kJobs]; ///< rows claimed and not yet recorded, per job
    QFileSystemWatcher *m_watcher = nullptr;
    QHash<qint64, int> m_failures; ///< consecutive channel failures per job row (for backoff)
};

} // namespace paydesk
