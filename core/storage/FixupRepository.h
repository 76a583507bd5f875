#pragma once

#include "domain/Fixup.h"
#include "storage/Database.h"

namespace paydesk {

/// Fix-ups (migration 012): requests to correct the books that a second person decides.
/// The database refuses what the rules refuse (a decided fix-up changing, an applied one
/// without a FINANCE reviewer other than its requester).
class FixupRepository final
{
    Q_DECLARE_TR_FUNCTIONS(FixupRepository)
public:
    explicit FixupRepository(Database &db) : m_db(db) {}

    /// Inserts `f` (REQUESTED) inside the caller's transaction; fills f.id. A Conflict when
    /// the payment already has an open fix-up.
    Status insert(QSqlDatabase &conn, Fixup &f);
    Result<Fixup> byId(qint64 id);
    /// The same row, locked for the caller's transaction.
    Result<Fixup> lock(Transaction &tx, qint64 id);
    /// Newest first; `state` nullopt for all.
    Result<QList<Fixup>> list(std::optional<FixupState> state, int limit = 500);
    Result<QList<Fixup>> ofOrder(qint64 orderId);
    /// REQUESTED -> APPLIED or REJECTED with who decided, when, the note and how it was checked.
    Status decide(QSqlDatabase &conn, qint64 id, FixupState to, const QString &by, qint64 at, const QString &note,
                  FixupVerification verification);

private:
    static QString select();
    static Fixup read(const QSqlQuery &q);
    Database &m_db;
};

} // namespace paydesk
