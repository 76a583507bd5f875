#pragma once

#include <QMutex>
#include <QSet>
#include <QSqlDatabase>
#include <QString>
#include <QThread>

#include <atomic>
#include <memory>

namespace paydesk {

/// Runs an SQLite file's WAL checkpoints on a thread of its own, so that the connection that
/// commits does not. Without it, SQLite checkpoints inside whichever COMMIT pushes the WAL
/// past 1,000 pages: it copies the pages into the database file and fsyncs it, in the middle
/// of the timer's work. The timer commits thousands of closes at a time, so each of its
/// commits did that (a quarter of its wall time in bench_timer at 1M orders).
///
/// One per file and process, shared by every Database on that file in the process (the books
/// and the simulated channel's own connections): start() makes it, of() finds it. While one
/// runs, commits on that file nudge it (Transaction::commit), and their connections leave
/// checkpoints to it up to a generous WAL size, past which they checkpoint themselves again, so
/// the WAL stays bounded even if this thread falls behind. PASSIVE checkpoints never block a
/// reader or a writer; other processes on the file are not affected.
class WalCheckpointer final
{
    Q_DISABLE_COPY_MOVE(WalCheckpointer)
public:
    /// The running checkpointer of `path`, started if there is none yet. It stops when the
    /// last holder lets go.
    static std::shared_ptr<WalCheckpointer> start(const QString &path);
    /// The running checkpointer of `path`, or null.
    static std::shared_ptr<WalCheckpointer> of(const QString &path);
    ~WalCheckpointer();

    /// After a commit on `conn` (a connection to this file, in the calling thread): the first
    /// time, hands that connection's checkpoints over to this thread; then asks for one.
    void committed(QSqlDatabase &conn);
    /// How many checkpoints ran (for tests and benchmarks).
    quint64 checkpoints() const { return m_done.load(); }

    /// WAL pages past which a connection checkpoints by itself again (64 MiB of 4 KiB pages).
    static constexpr int kWriterFallbackPages = 16384;

private:
    explicit WalCheckpointer(QString path);
    void run();

    QString m_path;
    QThread *m_thread = nullptr;
    QMutex m_mutex;
    QSet<QString> m_handedOver; ///< connection names already set to leave checkpoints to us
    std::atomic<bool> m_wanted{false};
    std::atomic<quint64> m_done{0};
};

} // namespace paydesk
