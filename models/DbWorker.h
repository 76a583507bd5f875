#pragma once

#include <QObject>
#include <QPointer>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace paydesk {

class Database;

/// One background thread with its own database connection, for work that must not freeze
/// the window: audit verification, finance aggregates over large ranges, CSV exports. Jobs
/// run one after another; each result is handed back on the caller's thread through
/// `context` (and dropped if `context` is gone by then).
class DbWorker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DbWorker)
public:
    explicit DbWorker(Database &db, QObject *parent = nullptr);
    /// Closes the worker's connection on its own thread and stops it.
    ~DbWorker() override;

    /// Runs `work` on the worker thread, then `done(result)` on `context`'s thread.
    template <typename T>
    void run(std::function<T()> work, QObject *context, std::function<void(T)> done)
    {
        auto result = std::make_shared<std::optional<T>>();
        post([work = std::move(work), result] { result->emplace(work()); },
             context, [done = std::move(done), result] { done(std::move(**result)); });
    }
    /// Runs `work` on the worker thread, then `done()` on `context`'s thread.
    void post(std::function<void()> work, QObject *context, std::function<void()> done);

    /// Calls `fn` on `context`'s thread (for progress reports from inside a job).
    static void report(QObject *context, std::function<void()> fn);

    int pending() const { return m_pending; }
    /// Set when the worker is going away (or cancel() was called): long jobs should stop early.
    bool stopRequested() const { return m_stop.load(); }
    void cancel() { m_stop.store(true); }
    void clearCancel() { m_stop.store(false); }
    const std::atomic_bool *stopFlag() const { return &m_stop; }

signals:
    void busyChanged(bool busy);

private:
    Database &m_db;
    QThread m_thread;
    QObject *m_runner = nullptr; ///< lives on m_thread
    int m_pending = 0;
    std::atomic_bool m_stop{false};
};

} // namespace paydesk
