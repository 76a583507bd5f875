#pragma once

#include "domain/Domain.h"
#include "security/PasswordHasher.h"
#include "storage/AuditLog.h"
#include "storage/Database.h"
#include "util/Clock.h"

namespace paydesk {

/// Staff accounts: roles, Argon2id passwords, login with slow-down after repeated failures.
/// Every login, failed login and account change is audited.
class UserDirectory final
{
    Q_DECLARE_TR_FUNCTIONS(UserDirectory)
public:
    /// Failures allowed before each further attempt has to wait.
    static constexpr int kFreeFailures = 3;
    /// The longest wait after many failures.
    static constexpr qint64 kMaxLockMs = 5 * 60 * 1000;
    static constexpr int kMinPasswordLength = 8;

    UserDirectory(Database &db, AuditLog &audit, const Clock &clock, PasswordHasher hasher = PasswordHasher())
        : m_db(db), m_audit(audit), m_clock(clock), m_hasher(hasher) {}

    /// DemoActor: the demo's reserved counter (kDemoCounterLogin), whose orders the scripted
    /// customers pay; it never signs in (login() refuses it) and only a demo database gets it.
    enum class PasswordPolicy { Enforce, DemoOnly, DemoActor };
    /// The demo's counter simulator: the actor of the orders its scripted customers pay.
    static constexpr const char *kDemoCounterLogin = "demo-counter";

    /// Adds an account. `actor` must be an active ADMIN, except for the very first account of
    /// a database, which may be added by anyone (bootstrap) and must be an ADMIN.
    Result<User> add(const QString &actor, const QString &login, const QString &displayName, Role role,
                     const QString &password, PasswordPolicy policy = PasswordPolicy::Enforce);
    /// Checks the password, slows down repeated failures, rehashes when our parameters rose.
    Result<User> login(const QString &login, const QString &password);
    Status setPassword(const QString &actor, const QString &login, const QString &password);
    Status setActive(const QString &actor, const QString &login, bool active);

    /// Changes an account's role (ADMIN only, audited with before/after). The last active
    /// ADMIN cannot be demoted, so someone can always manage the users.
    Status setRole(const QString &actor, const QString &login, Role role);

    Result<User> find(const QString &login);
    /// The acting account as the database holds it now. Every action that moves money or
    /// changes the books asks this first, so a disabled or demoted user stops at once,
    /// whatever an open window remembers. Unknown and disabled accounts are refused
    /// (user.unknown, user.inactive); the caller then checks the role it needs on the answer.
    Result<User> actor(const QString &login);
    Result<QList<User>> list();
    Result<qint64> count();

    /// How long a locked account still has to wait, for messages.
    static qint64 lockDurationMs(int failedLogins);

private:
    Status requireAdmin(const QString &actor);
    Status checkPassword(const QString &password) const;

    Database &m_db;
    AuditLog &m_audit;
    const Clock &m_clock;
    PasswordHasher m_hasher;
};

} // namespace paydesk
