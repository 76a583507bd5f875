#include "DbWorker.h"

#include "storage/Database.h"

#include <QCoreApplication>
#include <QSqlDatabase>

namespace paydesk {

DbWorker::DbWorker(Database &db, QObject *parent) : QObject(parent), m_db(db)
{
    m_thread.setObjectName(QStringLiteral("paydesk-db-worker"));
    m_runner = new QObject; // no parent: it moves to the thread and is deleted there
    m_runner->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_runner, &QObject::deleteLater);
    m_thread.start(QThread::LowPriority);
}

DbWorker::~DbWorker()
{
    // The connection belongs to the worker thread, so it is closed and removed there; the
    // Database then finds nothing left to close for this thread.
    m_stop.store(true);
    Database *db = &m_db;
    QMetaObject::invokeMethod(m_runner, [db] {
        QString name;
        {
            QSqlDatabase conn = db->connection();
            name = conn.connectionName();
            conn.close();
        }
        QSqlDatabase::removeDatabase(name);
    }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void DbWorker::post(std::function<void()> work, QObject *context, std::function<void()> done)
{
    if (++m_pending == 1)
        emit busyChanged(true);
    QPointer<QObject> ctx(context);
    QPointer<DbWorker> self(this);
    QMetaObject::invokeMethod(m_runner, [work = std::move(work), ctx, self, done = std::move(done)] {
        work();
        // Back on the GUI thread: deliver unless the receiver went away meanwhile.
        QMetaObject::invokeMethod(QCoreApplication::instance(), [ctx, self, done] {
            if (self && --self->m_pending == 0)
                emit self->busyChanged(false);
            if (ctx)
                done();
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

void DbWorker::report(QObject *context, std::function<void()> fn)
{
    QPointer<QObject> ctx(context);
    QMetaObject::invokeMethod(QCoreApplication::instance(), [ctx, fn = std::move(fn)] {
        if (ctx)
            fn();
    }, Qt::QueuedConnection);
}

} // namespace paydesk
