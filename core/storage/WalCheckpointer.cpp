#include "storage/WalCheckpointer.h"

#include <QFileInfo>
#include <QHash>
#include <QSqlError>
#include <QSqlQuery>

namespace paydesk {

namespace {

struct Registry
{
    QMutex mutex;
    QHash<QString, std::weak_ptr<WalCheckpointer>> byPath;
};

Registry &registry()
{
    static Registry r;
    return r;
}

QString keyOf(const QString &path)
{
    const QString canonical = QFileInfo(path).canonicalFilePath();
    return canonical.isEmpty() ? QFileInfo(path).absoluteFilePath() : canonical;
}

} // namespace

std::shared_ptr<WalCheckpointer> WalCheckpointer::start(const QString &path)
{
    Registry &r = registry();
    QMutexLocker lock(&r.mutex);
    const QString key = keyOf(path);
    if (auto running = r.byPath.value(key).lock())
        return running;
    std::shared_ptr<WalCheckpointer> made(new WalCheckpointer(key));
    r.byPath.insert(key, made);
    return made;
}

std::shared_ptr<WalCheckpointer> WalCheckpointer::of(const QString &path)
{
    Registry &r = registry();
    QMutexLocker lock(&r.mutex);
    if (r.byPath.isEmpty())
        return nullptr; // the usual case: no timer in this process
    return r.byPath.value(keyOf(path)).lock();
}

WalCheckpointer::WalCheckpointer(QString path) : m_path(std::move(path))
{
    m_thread = QThread::create([this]() { run(); });
    m_thread->setObjectName(QStringLiteral("wal-checkpoint"));
    m_thread->start(QThread::LowPriority);
}

WalCheckpointer::~WalCheckpointer()
{
    {
        Registry &r = registry();
        QMutexLocker lock(&r.mutex);
        if (r.byPath.value(m_path).expired())
            r.byPath.remove(m_path);
    }
    m_thread->requestInterruption();
    m_wanted.store(true);
    m_wanted.notify_one();
    m_thread->wait();
    delete m_thread;
    // Connections handed over keep the fallback: they checkpoint by themselves past it.
}

void WalCheckpointer::committed(QSqlDatabase &conn)
{
    bool first = false;
    {
        QMutexLocker lock(&m_mutex);
        if (!m_handedOver.contains(conn.connectionName())) {
            m_handedOver.insert(conn.connectionName());
            first = true;
        }
    }
    if (first) {
        QSqlQuery q(conn);
        q.exec(QStringLiteral("PRAGMA wal_autocheckpoint = %1").arg(kWriterFallbackPages));
    }
    if (!m_wanted.exchange(true))
        m_wanted.notify_one();
}

void WalCheckpointer::run()
{
    const QString name = QStringLiteral("paydesk-wal-checkpoint-%1").arg(quintptr(this), 0, 16);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(m_path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=1000"));
        if (!db.open()) {
            qWarning("paydesk: cannot open %s for checkpoints: %s", qPrintable(m_path), qPrintable(db.lastError().text()));
        } else {
            QSqlQuery q(db);
            while (true) {
                m_wanted.wait(false); // sleeps until a commit asks (no polling)
                if (QThread::currentThread()->isInterruptionRequested())
                    break;
                m_wanted.store(false);
                // PASSIVE: copies what no reader still needs, blocks nobody, and lets the next
                // writer start the WAL over once all of it is in the database file.
                if (!q.exec(QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)")))
                    qWarning("paydesk: checkpoint of %s: %s", qPrintable(m_path), qPrintable(q.lastError().text()));
                q.finish();
                m_done.fetch_add(1);
                // At most ten a second: the commits in between are folded into the next one,
                // so a busy timer does not turn every commit into a checkpoint and an fsync.
                QThread::msleep(100);
            }
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(name);
}

} // namespace paydesk
