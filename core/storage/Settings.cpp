#include "storage/Settings.h"

#include <algorithm>
#include <array>

namespace paydesk {

namespace {
constexpr std::array kKeys{
    Settings::Key{"pay_timeout_s", 60, 7 * 24 * 3600, Settings::kDefaultPayTimeoutS},
    Settings::Key{"repay_buffer_s", 0, 3600, Settings::kDefaultRepayBufferS},
    Settings::Key{"auto_approve_minor", 0, Settings::kAutoApproveCapMinor, 0},
    Settings::Key{"idle_lock_s", 60, 8 * 3600, Settings::kDefaultIdleLockS},
    Settings::Key{"recon_at_minute", 0, 24 * 60 - 1, Settings::kDefaultReconAtMinute},
    Settings::Key{"recon_catch_up_days", 1, 90, Settings::kDefaultReconCatchUpDays},
};
} // namespace

std::span<const Settings::Key> Settings::keys() { return kKeys; }

const Settings::Key *Settings::key(const QString &name)
{
    for (const Key &k : kKeys)
        if (name == QLatin1String(k.name))
            return &k;
    return nullptr;
}

Result<QString> Settings::value(const QString &key, const QString &fallback)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT value FROM settings WHERE key = :k"), {{":k", key}});
    if (!q)
        return q.error();
    return q.value().next() ? q.value().value(0).toString() : fallback;
}

Status Settings::write(Transaction &tx, const QString &key, const QString &value)
{
    auto del = Sql::exec(tx.connection(), QStringLiteral("DELETE FROM settings WHERE key = :k"), {{":k", key}});
    if (!del)
        return del.error();
    auto ins = Sql::exec(tx.connection(), QStringLiteral("INSERT INTO settings (key, value) VALUES (:k, :v)"),
                         {{":k", key}, {":v", value}});
    if (!ins)
        return ins.error();
    return {};
}

Status Settings::change(const QString &actor, const QString &name, qint64 value)
{
    const Key *k = key(name);
    if (!k)
        return Error::invalid(QStringLiteral("settings.unknown"), tr("There is no setting called \"%1\".").arg(name));
    if (value < k->min || value > k->max)
        return Error::invalid(QStringLiteral("settings.out_of_range"),
                              tr("%1 must be between %2 and %3.").arg(name).arg(k->min).arg(k->max));
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun();
    // The actor as the database knows them now, inside the write: a demoted or disabled
    // administrator cannot change anything, whatever their session still believes.
    auto who = m_users.find(actor);
    if (!who || !who->active || who->role != Role::Admin) {
        tx.rollback();
        m_audit.recordRefusal(actor, QStringLiteral("settings.refused"), QStringLiteral("setting:") + name,
                              QJsonObject{{QStringLiteral("value"), QString::number(value)}});
        return Error::forbidden(QStringLiteral("settings.admin_required"), tr("Only an administrator can change settings."));
    }
    auto before = Sql::exec(tx.connection(), QStringLiteral("SELECT value FROM settings WHERE key = :k"), {{":k", name}});
    if (!before)
        return before.error();
    const QString old = before.value().next() ? before.value().value(0).toString() : QString();
    const QString now = QString::number(value);
    if (old == now)
        return tx.commit();
    if (Status s = write(tx, name, now); !s)
        return s;
    if (Status s = m_audit.append(tx, actor, QStringLiteral("settings.change"), QStringLiteral("setting:") + name,
                                  QJsonObject{{QStringLiteral("before"), old.isEmpty() ? QJsonValue() : QJsonValue(old)},
                                              {QStringLiteral("after"), now}});
        !s)
        return s;
    return tx.commit();
}

Status Settings::setSystemValue(const QString &key, const QString &value)
{
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun();
    if (Status s = write(tx, key, value); !s)
        return s;
    return tx.commit();
}

qint64 Settings::bounded(const char *name)
{
    const Key *k = key(QLatin1String(name));
    Q_ASSERT(k);
    return std::clamp(intValue(QLatin1String(name), k->fallback), k->min, k->max);
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
