#pragma once

#include "util/Result.h"

#include <QCoreApplication>
#include <QHash>
#include <QMutex>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

#include <memory>
#include <utility>

namespace paydesk {

/// Where the books live: an SQLite file (the embedded default) or a PostgreSQL database
/// (shared, multi-seat). Hands out one named Qt SQL connection per thread and hides the few
/// dialect differences behind small helpers, so the SQL elsewhere stays portable.
class Database final
{
    Q_DECLARE_TR_FUNCTIONS(Database)
    Q_DISABLE_COPY_MOVE(Database)
public:
    enum class Dialect { SQLite, PostgreSQL };

    struct Location
    {
        Dialect dialect = Dialect::SQLite;
        QString path;     ///< SQLite file
        QString host;     ///< PostgreSQL
        int port = 5432;
        QString name;
        QString user;
        QString password;
        /// The URL without its password, for status bars and logs.
        QString display() const;
    };

    /// "sqlite:/path/file.db", "sqlite:///path/file.db", a plain path, or
    /// "postgresql://user:pass@host:port/db" ("postgres://" too).
    static Result<Location> parseUrl(const QString &url);
    /// The embedded default: paydesk.db in the user's data directory.
    static QString defaultUrl();

    /// Opens (creating an SQLite file and its directory if needed) and checks the connection.
    /// Does not migrate; call migrate() for that.
    /// Full: synchronous=FULL on SQLite (the books). Relaxed: synchronous=NORMAL (WAL still
    /// keeps every commit atomic; only the last commits may be lost on power failure) for
    /// data that can be rebuilt, like the simulated channel's books.
    enum class Durability { Full, Relaxed };
    static Result<std::unique_ptr<Database>> open(const QString &url, Durability durability = Durability::Full);
    ~Database();

    Dialect dialect() const { return m_location.dialect; }
    const Location &location() const { return m_location; }

    /// This thread's connection (opened on first use).
    QSqlDatabase connection();

    /// Applies every pending migration, each in its own transaction.
    /// Applies the migrations not yet applied, up to `upTo` (tests stop early to build an older schema).
    Status migrate(int upTo = latestSchemaVersion());
    int schemaVersion();
    static int latestSchemaVersion();
    /// How many migrations the program carries (versions may have gaps while work lands).
    static int migrationCount();

    // ---- dialect seam ----
    /// " FOR UPDATE" on PostgreSQL, "" on SQLite (where BEGIN IMMEDIATE already serialises).
    QString forUpdate() const { return dialect() == Dialect::PostgreSQL ? QStringLiteral(" FOR UPDATE") : QString(); }
    QString forUpdateSkipLocked() const
    {
        return dialect() == Dialect::PostgreSQL ? QStringLiteral(" FOR UPDATE SKIP LOCKED") : QString();
    }

private:
    Database(Location location, Durability durability);
    Result<QSqlDatabase> openConnection(const QString &name);

    Location m_location;
    Durability m_durability;
    QString m_prefix;
    QMutex m_mutex;
    /// Every connection this Database opened, in any thread. Which one belongs to the calling
    /// thread is kept in thread-local storage (see connection()), not by thread id: ids are
    /// reused once a thread ends, and a Qt SQL connection works only in its own thread.
    QStringList m_connections;
    int m_nextConnection = 0;
};

/// Runs one prepared statement with named bindings. Every SQL statement in core goes through
/// here (or through a QSqlQuery that was prepare()d), never through string concatenation of
/// values.
class Sql
{
    Q_DECLARE_TR_FUNCTIONS(Sql)
public:
    using Binds = std::initializer_list<std::pair<const char *, QVariant>>;
    static Result<QSqlQuery> exec(const QSqlDatabase &db, const QString &sql, Binds binds = {});
    /// For statements run many times: prepare once, then bind and exec.
    static Result<QSqlQuery> prepare(const QSqlDatabase &db, const QString &sql);
    static Status execPrepared(QSqlQuery &query);
    static Error errorOf(const QSqlQuery &query, const QString &what);
    /// Qt SQL binds a null QString as SQL NULL; our text columns are NOT NULL DEFAULT '',
    /// so text is always bound as text (an empty string stays ''). Use QVariant() for NULL.
    static QVariant bindable(const QVariant &v)
    {
        if (v.metaType() == QMetaType::fromType<QString>() && v.toString().isNull())
            return QVariant(QStringLiteral(""));
        return v;
    }
    /// UPDATE table SET state=:to, <sets> WHERE id=:id AND state=:from. A Conflict error
    /// carrying `lostMessage` when zero rows changed (someone else moved it first).
    /// Table and column names come from code, never from input.
    static Status compareAndSet(const QSqlDatabase &db, const QString &table, qint64 id, const QString &from,
                                const QString &to, const QVariantMap &sets, const QString &lostMessage);
    /// "1, 2, 3" for `IN (...)` of ids the program holds (integers, never input text).
    static QString idList(const QList<qint64> &ids);
    /// What goes before a column in `WHERE id IN (...) AND state = ...` so that SQLite looks rows
    /// up by the ids: without statistics its planner would rather walk the (state, ...) index,
    /// which holds a million PENDING rows. PostgreSQL's planner has statistics (and no unary +
    /// on text).
    static QString byKeyOnly(Database::Dialect d) { return d == Database::Dialect::SQLite ? QStringLiteral("+") : QString(); }
};

/// A write transaction. On SQLite it is BEGIN IMMEDIATE (takes the write lock up front, so
/// two processes serialise instead of failing on lock upgrade); on PostgreSQL a plain BEGIN
/// whose rows are locked with SELECT ... FOR UPDATE. Rolls back unless committed.
class Transaction final
{
    Q_DISABLE_COPY_MOVE(Transaction)
public:
    explicit Transaction(Database &db);
    ~Transaction();
    /// Whether BEGIN succeeded; check before doing work.
    Status begun() const { return m_begun; }
    QSqlDatabase &connection() { return m_conn; }
    Database &database() { return m_db; }
    Status commit();
    void rollback();

private:
    Database &m_db;
    QSqlDatabase m_conn;
    Status m_begun;
    bool m_open = false;
};

} // namespace paydesk
