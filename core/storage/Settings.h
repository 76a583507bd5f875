#pragma once

#include "storage/AuditLog.h"
#include "storage/Database.h"
#include "storage/UserDirectory.h"

#include <span>

namespace paydesk {

/// Merchant-wide settings kept in the database (so every seat agrees). Secrets never go here.
///
/// Staff change a setting through change(): only an active ADMIN (read from the database at
/// that moment), only a known key, only within that key's bounds, and the change is audited
/// with the value before and after in the same transaction. Readers clamp what they read to
/// the same bounds, so a value written past this class (raw SQL) cannot widen a limit either.
class Settings final
{
    Q_DECLARE_TR_FUNCTIONS(Settings)
public:
    static constexpr qint64 kDefaultPayTimeoutS = 30 * 60;
    static constexpr qint64 kDefaultRepayBufferS = 60;
    static constexpr qint64 kDefaultIdleLockS = 10 * 60;
    static constexpr qint64 kDefaultReconAtMinute = 10 * 60; ///< 10:00 Beijing time
    static constexpr qint64 kDefaultReconCatchUpDays = 7;
    /// The hard ceiling of the auto-approve limit (¥1,000.00): above it every refund has a
    /// second person, whatever the setting says.
    static constexpr qint64 kAutoApproveCapMinor = 100'000;

    /// A setting staff may change, with its bounds (inclusive) and its default.
    struct Key
    {
        const char *name;
        qint64 min;
        qint64 max;
        qint64 fallback;
    };
    static std::span<const Key> keys();
    static const Key *key(const QString &name);

    Settings(Database &db, AuditLog &audit, UserDirectory &users) : m_db(db), m_audit(audit), m_users(users) {}

    Result<QString> value(const QString &key, const QString &fallback = {});
    /// The staff path: ADMIN only, a known key, within bounds, audited before/after.
    Status change(const QString &actor, const QString &key, qint64 value);
    /// Setup only (the demo seeder's marker, tests preparing a database): no actor, no audit.
    /// Never reachable from the GUI or paydeskctl.
    Status setSystemValue(const QString &key, const QString &value);

    qint64 payTimeoutS() { return bounded("pay_timeout_s"); }
    qint64 repayBufferS() { return bounded("repay_buffer_s"); }
    /// Refunds up to this many minor units are approved at once (0: everything is reviewed).
    /// Never above kAutoApproveCapMinor.
    qint64 autoApproveMinor() { return bounded("auto_approve_minor"); }
    /// The GUI locks after this long without input.
    qint64 idleLockS() { return bounded("idle_lock_s"); }
    /// When the timer reconciles yesterday's bills: minutes after midnight, Beijing time.
    qint64 reconAtMinute() { return bounded("recon_at_minute"); }
    /// How many days back the timer catches up on bills missed while PayDesk was not running.
    qint64 reconCatchUpDays() { return bounded("recon_catch_up_days"); }
    bool isDemo() { return intValue(QStringLiteral("demo"), 0) != 0; }

private:
    qint64 bounded(const char *name);
    qint64 intValue(const QString &key, qint64 fallback);
    static Status write(Transaction &tx, const QString &key, const QString &value);

    Database &m_db;
    AuditLog &m_audit;
    UserDirectory &m_users;
};

} // namespace paydesk
