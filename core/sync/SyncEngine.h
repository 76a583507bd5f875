#pragma once

#include "services/Services.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <memory>
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
/// never close an order twice nor send a refund twice, and a crashed instance's claims
/// simply run out.
class SyncEngine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SyncEngine)
public:
    struct Options
    {
        QString owner;                      ///< this instance's name in leases (default: random)
        int batchSize = 500;                ///< rows claimed per query
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
    void push(qint64 at, qint64 id, Job job);
    Status releaseDeadLeases();
    Status loadAll();
    Status loadNew();
    void arm();
    void wake();
    void runDue();
    int claimAndRun(Job job, qint64 now);
    void runExpire(const QList<Order> &orders);
    void runQuery(const QList<PaymentAttempt> &attempts);
    void runSendRefund(const QList<Refund> &refunds);
    void runPollRefund(const QList<Refund> &refunds);
    void finishedOne();
    void noteChannelError(ChannelKind kind, const QString &text);
    void flushWrites();
    void queueWrite(std::function<Status(Transaction &)> write);
    void checkOtherInstances();
    void emitStatus();

    Services &m_s;
    Options m_opt;
    QTimer m_timer;
    std::vector<Due> m_heap; ///< min-heap on `at`
    qint64 m_maxOrderId = 0, m_maxAttemptId = 0;
    qint64 m_seenChange = -1;
    SyncStatus m_status;
    qint64 m_loadMs = 0;
    bool m_running = false;
    bool m_flushQueued = false;
    std::vector<std::function<Status(Transaction &)>> m_writes;
    QFileSystemWatcher *m_watcher = nullptr;
    QHash<qint64, int> m_failures; ///< consecutive channel failures per job row (for backoff)
};

} // namespace paydesk
