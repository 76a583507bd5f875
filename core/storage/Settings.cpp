#include "storage/Settings.h"

namespace paydesk {

Result<QString> Settings::value(const QString &key, const QString &fallback)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT value FROM settings WHERE key = :k"), {{":k", key}});
    if (!q)
        return q.error();
    return q.value().next() ? q.value().value(0).toString() : fallback;
}

Status Settings::setValue(const QString &key, const QString &value)
{
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun();
    auto del = Sql::exec(tx.connection(), QStringLiteral("DELETE FROM settings WHERE key = :k"), {{":k", key}});
    if (!del)
        return del.error();
    auto ins = Sql::exec(tx.connection(), QStringLiteral("INSERT INTO settings (key, value) VALUES (:k, :v)"),
                         {{":k", key}, {":v", value}});
    if (!ins)
        return ins.error();
    return tx.commit();
}

qint64 Settings::intValue(const QString &key, qint64 fallback)
{
    auto v = value(key);
    if (!v || v->isEmpty())
        return fallback;
    bool ok = false;
    const qint64 n = v->toLongLong(&ok);
    return ok ? n : fallback;
}

} // namespace paydesk
