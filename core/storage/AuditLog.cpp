#include "storage/AuditLog.h"

#include <QCryptographicHash>
#include <QJsonDocument>

namespace paydesk {

namespace {

QString canonicalDetails(const QJsonObject &details)
{
    // QJsonObject keeps its keys sorted, so the compact form is canonical.
    return QString::fromUtf8(QJsonDocument(details).toJson(QJsonDocument::Compact));
}

QString hashOf(const AuditEntry &e, const QString &details)
{
    const QString canonical = QString::number(e.seq) + u'\n' + QString::number(e.at) + u'\n' + e.user + u'\n'
        + e.action + u'\n' + e.object + u'\n' + details + u'\n' + e.prevHash;
    return QString::fromLatin1(QCryptographicHash::hash(canonical.toUtf8(), QCryptographicHash::Sha256).toHex());
}

QString insertSql(int rows)
{
    QString sql = QStringLiteral("INSERT INTO audit_log (seq, at, user_login, action, object, details, prev_hash, hash) VALUES ");
    for (int i = 0; i < rows; ++i)
        sql += i == 0 ? QStringLiteral("(?, ?, ?, ?, ?, ?, ?, ?)") : QStringLiteral(", (?, ?, ?, ?, ?, ?, ?, ?)");
    return sql;
}

} // namespace

QString AuditLog::computeHash(const AuditEntry &e)
{
    return hashOf(e, canonicalDetails(e.details));
}

Result<AuditLog::Batch> AuditLog::Batch::start(Transaction &tx)
{
    Batch b;
    b.m_conn = tx.connection();
    auto head = Sql::exec(b.m_conn, QStringLiteral("SELECT seq, hash FROM audit_head WHERE id = 1") + tx.database().forUpdate());
    if (!head)
        return head.error();
    if (!head.value().next())
        return Error::storage(tr("The audit log has no head row; the database is damaged."));
    b.m_seq = head.value().value(0).toLongLong();
    b.m_hash = head.value().value(1).toString();
    return b;
}

Status AuditLog::Batch::append(qint64 at, const QString &user, const QString &action, const QString &object,
                               const QJsonObject &details)
{
    AuditEntry e;
    e.seq = m_seq + 1;
    e.at = at;
    e.user = user;
    e.action = action;
    e.object = object;
    e.details = details;
    e.prevHash = m_hash;
    const QString canonical = canonicalDetails(e.details); // once: for the hash and the row
    e.hash = hashOf(e, canonical);
    // Buffered: the timer records thousands of entries a second, and one INSERT of many rows
    // costs a fraction of as many single-row ones. The rows still go into the caller's
    // transaction before it commits (finish()).
    m_rows << Sql::bindable(e.seq) << Sql::bindable(e.at) << Sql::bindable(e.user) << Sql::bindable(e.action)
           << Sql::bindable(e.object) << Sql::bindable(canonical) << Sql::bindable(e.prevHash)
           << Sql::bindable(e.hash);
    m_seq = e.seq;
    m_hash = e.hash;
    if (m_rows.size() >= kRowsPerInsert * 8)
        return writeBuffered();
    return {};
}

Status AuditLog::Batch::writeBuffered()
{
    const int rows = int(m_rows.size() / 8);
    if (rows == 0)
        return {};
    QSqlQuery partial(m_conn);
    QSqlQuery *q = &partial;
    if (rows == kRowsPerInsert) {
        if (!m_chunkReady) {
            auto prepared = Sql::prepare(m_conn, insertSql(kRowsPerInsert));
            if (!prepared)
                return prepared.error();
            m_insertChunk = std::move(prepared.value());
            m_chunkReady = true;
        }
        q = &m_insertChunk;
    } else {
        auto prepared = Sql::prepare(m_conn, insertSql(rows));
        if (!prepared)
            return prepared.error();
        partial = std::move(prepared.value());
    }
    for (int i = 0; i < m_rows.size(); ++i)
        q->bindValue(i, m_rows[i]);
    m_rows.clear();
    return Sql::execPrepared(*q);
}

Status AuditLog::Batch::finish()
{
    if (Status s = writeBuffered(); !s)
        return s;
    auto r = Sql::exec(m_conn, QStringLiteral("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"),
                       {{":s", m_seq}, {":h", m_hash}});
    return r ? Status() : Status(r.error());
}

Status AuditLog::append(Transaction &tx, const QString &user, const QString &action, const QString &object,
                        const QJsonObject &details)
{
    auto batch = Batch::start(tx);
    if (!batch)
        return batch.error();
    if (Status s = batch.value().append(m_clock.nowMs(), user, action, object, details); !s)
        return s;
    return batch.value().finish();
}

Status AuditLog::record(const QString &user, const QString &action, const QString &object, const QJsonObject &details)
{
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun();
    if (Status s = append(tx, user, action, object, details); !s)
        return s;
    return tx.commit();
}

void AuditLog::recordRefusal(const QString &user, const QString &action, const QString &object, const QJsonObject &details)
{
    if (Status s = record(user, action, object, details); !s)
        qWarning("paydesk: could not audit %s on %s: %s", qPrintable(action), qPrintable(object), qPrintable(s.error().message));
}

Result<AuditLog::Verification> AuditLog::verify(const std::function<void(qint64)> &progress)
{
    QSqlDatabase db = m_db.connection();
    auto q = Sql::exec(db, QStringLiteral(
        "SELECT seq, at, user_login, action, object, details, prev_hash, hash FROM audit_log ORDER BY seq"));
    if (!q)
        return q.error();
    Verification v;
    QString prevHash;
    qint64 expectedSeq = 1;
    auto broken = [&v](qint64 seq, QString problem) {
        v.intact = false;
        v.firstBrokenSeq = seq;
        v.problem = std::move(problem);
        return v;
    };
    while (q.value().next()) {
        AuditEntry e;
        e.seq = q.value().value(0).toLongLong();
        e.at = q.value().value(1).toLongLong();
        e.user = q.value().value(2).toString();
        e.action = q.value().value(3).toString();
        e.object = q.value().value(4).toString();
        const QByteArray rawDetails = q.value().value(5).toString().toUtf8();
        e.details = QJsonDocument::fromJson(rawDetails).object();
        e.prevHash = q.value().value(6).toString();
        e.hash = q.value().value(7).toString();
        if (e.seq != expectedSeq)
            return broken(expectedSeq, tr("entry %1 is missing (the next one is %2)").arg(expectedSeq).arg(e.seq));
        if (canonicalDetails(e.details).toUtf8() != rawDetails)
            return broken(e.seq, tr("its details are not the canonical JSON that was hashed"));
        if (e.prevHash != prevHash)
            return broken(e.seq, tr("it does not follow the entry before it (previous hash differs)"));
        if (computeHash(e) != e.hash)
            return broken(e.seq, tr("its contents do not match its hash (the row was edited)"));
        prevHash = e.hash;
        ++expectedSeq;
        ++v.checked;
        if (progress && v.checked % 5000 == 0)
            progress(v.checked);
    }
    auto head = Sql::exec(db, QStringLiteral("SELECT seq, hash FROM audit_head WHERE id = 1"));
    if (!head)
        return head.error();
    if (!head.value().next())
        return broken(expectedSeq, tr("the chain head is missing"));
    const qint64 headSeq = head.value().value(0).toLongLong();
    if (headSeq != v.checked || head.value().value(1).toString() != prevHash)
        return broken(v.checked + 1, tr("the log ends at entry %1 but the chain head says %2 (entries were removed)")
                                         .arg(v.checked).arg(headSeq));
    return v;
}

Result<std::pair<qint64, QString>> AuditLog::head()
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT seq, hash FROM audit_head WHERE id = 1"));
    if (!q)
        return q.error();
    if (!q.value().next())
        return std::pair<qint64, QString>{0, QString()};
    return std::pair<qint64, QString>{q.value().value(0).toLongLong(), q.value().value(1).toString()};
}

Result<std::optional<QString>> AuditLog::hashAt(qint64 seq)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT hash FROM audit_log WHERE seq = :s"), {{":s", seq}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return std::optional<QString>();
    return std::optional<QString>(q.value().value(0).toString());
}

Result<QList<AuditEntry>> AuditLog::list(const Filter &filter)
{
    QString sql = QStringLiteral("SELECT seq, at, user_login, action, object, details, prev_hash, hash FROM audit_log WHERE 1=1");
    if (!filter.object.isEmpty())
        sql += QStringLiteral(" AND object = :object");
    if (!filter.text.isEmpty())
        sql += QStringLiteral(" AND (action LIKE :t OR object LIKE :t2 OR user_login LIKE :t3 OR details LIKE :t4)");
    if (filter.beforeSeq > 0)
        sql += QStringLiteral(" AND seq < :before");
    sql += QStringLiteral(" ORDER BY seq DESC LIMIT :limit");
    auto q = Sql::prepare(m_db.connection(), sql);
    if (!q)
        return q.error();
    if (!filter.object.isEmpty())
        q.value().bindValue(QStringLiteral(":object"), filter.object);
    if (!filter.text.isEmpty()) {
        const QString like = u'%' + filter.text + u'%';
        q.value().bindValue(QStringLiteral(":t"), like);
        q.value().bindValue(QStringLiteral(":t2"), like);
        q.value().bindValue(QStringLiteral(":t3"), like);
        q.value().bindValue(QStringLiteral(":t4"), like);
    }
    if (filter.beforeSeq > 0)
        q.value().bindValue(QStringLiteral(":before"), filter.beforeSeq);
    q.value().bindValue(QStringLiteral(":limit"), filter.limit);
    if (Status s = Sql::execPrepared(q.value()); !s)
        return s.error();
    QList<AuditEntry> out;
    while (q.value().next()) {
        AuditEntry e;
        e.seq = q.value().value(0).toLongLong();
        e.at = q.value().value(1).toLongLong();
        e.user = q.value().value(2).toString();
        e.action = q.value().value(3).toString();
        e.object = q.value().value(4).toString();
        e.details = QJsonDocument::fromJson(q.value().value(5).toString().toUtf8()).object();
        e.prevHash = q.value().value(6).toString();
        e.hash = q.value().value(7).toString();
        out << e;
    }
    return out;
}

} // namespace paydesk
