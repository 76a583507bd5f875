#pragma once

#include "domain/Domain.h"
#include "storage/Database.h"
#include "util/Clock.h"

#include <QJsonObject>
#include <QSqlQuery>

#include <functional>
#include <optional>

namespace paydesk {

/// The append-only audit trail. Each entry's hash is SHA-256 over its own fields and the
/// previous entry's hash, so editing, deleting or reordering any row breaks the chain from
/// that row on, and verify() names the first broken entry.
class AuditLog final
{
    Q_DECLARE_TR_FUNCTIONS(AuditLog)
public:
    AuditLog(Database &db, const Clock &clock) : m_db(db), m_clock(clock) {}

    /// Appends inside the caller's write transaction (so the entry commits or rolls back
    /// with the action it records).
    Status append(Transaction &tx, const QString &user, const QString &action, const QString &object,
                  const QJsonObject &details = {});
    /// Appends in a transaction of its own (for refusals and logins, which change nothing else).
    Status record(const QString &user, const QString &action, const QString &object, const QJsonObject &details = {});
    /// record() for refusals and failed logins, where the caller's answer is already decided:
    /// a failure to audit is logged as a warning instead of hiding the refusal.
    void recordRefusal(const QString &user, const QString &action, const QString &object, const QJsonObject &details = {});

    /// Many appends in one transaction with one read and one write of the chain head
    /// (demo seeding, imports).
    class Batch
    {
    public:
        static Result<Batch> start(Transaction &tx);
        Status append(qint64 at, const QString &user, const QString &action, const QString &object,
                      const QJsonObject &details);
        Status finish();

    private:
        Batch() = default;
        /// Writes the buffered rows: a full chunk through the statement prepared once, the
        /// rest (at finish) through one sized for it.
        Status writeBuffered();
        static constexpr int kRowsPerInsert = 64; ///< 8 binds a row: well under any bind limit
        QSqlDatabase m_conn;
        QSqlQuery m_insertChunk;
        bool m_chunkReady = false;
        QVariantList m_rows; ///< hashed entries not yet written, 8 values each
        qint64 m_seq = 0;
        QString m_hash;
    };

    struct Verification
    {
        bool intact = true;
        qint64 checked = 0;
        qint64 firstBrokenSeq = 0; ///< 0 when intact
        QString problem;           ///< what is wrong with that entry
    };
    /// Recomputes the whole chain. `progress` is called every few thousand entries.
    Result<Verification> verify(const std::function<void(qint64 checked)> &progress = {});

    /// The chain's tip: the last entry's number and hash (0 and "" for an empty log).
    Result<std::pair<qint64, QString>> head();
    /// The stored hash of entry `seq`, or nullopt when there is no such entry.
    Result<std::optional<QString>> hashAt(qint64 seq);

    struct Filter
    {
        QString object;     ///< exact object ("order:PD..."), or empty
        QString text;       ///< substring of action, object, user or details
        qint64 beforeSeq = 0;
        int limit = 200;
    };
    Result<QList<AuditEntry>> list(const Filter &filter);

    static QString computeHash(const AuditEntry &entry);

private:
    Database &m_db;
    const Clock &m_clock;
};

} // namespace paydesk
