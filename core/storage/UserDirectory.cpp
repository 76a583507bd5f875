#include "storage/UserDirectory.h"

#include <QRegularExpression>

namespace paydesk {

namespace {
const QString kUserColumns = QStringLiteral(
    "id, login, display_name, role, active, password_hash, failed_logins, locked_until, created_at");

User readUser(const QSqlQuery &q)
{
    User u;
    u.id = q.value(0).toLongLong();
    u.login = q.value(1).toString();
    u.displayName = q.value(2).toString();
    u.role = fromString<Role>(q.value(3).toString()).value_or(Role::Clerk);
    u.active = q.value(4).toInt() != 0;
    u.passwordHash = q.value(5).toString();
    u.failedLogins = q.value(6).toInt();
    u.lockedUntil = q.value(7).toLongLong();
    u.createdAt = q.value(8).toLongLong();
    return u;
}

// A real hash of a random string: verifying against it costs as much as a real account,
// so "no such user" cannot be told apart from "wrong password" by timing.
const QString &dummyHash()
{
    static const QString h = PasswordHasher().hash(QStringLiteral("paydesk-no-such-user"));
    return h;
}
} // namespace

qint64 UserDirectory::lockDurationMs(int failedLogins)
{
    if (failedLogins < kFreeFailures)
        return 0;
    const int doublings = qMin(failedLogins - kFreeFailures, 20);
    return qMin<qint64>(1000LL << doublings, kMaxLockMs);
}

Result<User> UserDirectory::find(const QString &login)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + kUserColumns + QStringLiteral(" FROM users WHERE login = :l"),
                       {{":l", login}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return Error::notFound(QStringLiteral("user.not_found"), tr("There is no user \"%1\".").arg(login));
    return readUser(q.value());
}

Result<User> UserDirectory::actor(const QString &login)
{
    auto u = find(login);
    if (!u) {
        if (u.error().code != QStringLiteral("user.not_found"))
            return u.error();
        return Error::forbidden(QStringLiteral("user.unknown"), tr("\"%1\" is not a user of these books; sign in again.").arg(login));
    }
    if (!u->active)
        return Error::forbidden(QStringLiteral("user.inactive"),
                                tr("The account %1 is disabled; sign in again with an active account.").arg(login));
    return u;
}

Result<QList<User>> UserDirectory::list()
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + kUserColumns + QStringLiteral(" FROM users ORDER BY login"));
    if (!q)
        return q.error();
    QList<User> out;
    while (q.value().next())
        out << readUser(q.value());
    return out;
}

Result<qint64> UserDirectory::count()
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT COUNT(*) FROM users"));
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toLongLong();
}

Status UserDirectory::requireAdmin(const QString &actor)
{
    auto u = find(actor);
    if (!u || !u->active || u->role != Role::Admin)
        return Error::forbidden(QStringLiteral("user.admin_required"), tr("Only an administrator can manage users."));
    return {};
}

Status UserDirectory::checkPassword(const QString &password) const
{
    if (password.size() < kMinPasswordLength)
        return Error::invalid(QStringLiteral("user.weak_password"),
                              tr("A password needs at least %1 characters.").arg(kMinPasswordLength));
    return {};
}

Result<User> UserDirectory::add(const QString &actor, const QString &login, const QString &displayName, Role role,
                                const QString &password, PasswordPolicy policy)
{
    static const QRegularExpression loginRe(QStringLiteral("^[a-z0-9][a-z0-9._-]{1,31}$"));
    if (!loginRe.match(login).hasMatch())
        return Error::invalid(QStringLiteral("user.bad_login"),
                              tr("A login is 2 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit."));
    // The names PayDesk itself writes into the books as the actor (the auto-approval, the
    // channels' answers, the timer, first set-up): a person holding one could pass for it.
    static const QStringList reserved{QStringLiteral("system"), QStringLiteral("auto"), QStringLiteral("timer"),
                                      QStringLiteral("setup"), QLatin1String(kDemoCounterLogin)};
    const bool demoActor = policy == PasswordPolicy::DemoActor && login == QLatin1String(kDemoCounterLogin);
    if (reserved.contains(login.toLower()) && !demoActor)
        return Error::invalid(QStringLiteral("user.reserved_login"),
                              tr("\"%1\" is reserved for PayDesk's own entries in the books; choose another login.").arg(login));
    if (policy == PasswordPolicy::Enforce)
        if (Status s = checkPassword(password); !s)
            return s.error();
    const QString hash = m_hasher.hash(password);
    if (hash.isEmpty())
        return Error{Error::Kind::Internal, QStringLiteral("user.hash_failed"), tr("Could not hash the password.")};

    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    auto n = Sql::exec(tx.connection(), QStringLiteral("SELECT COUNT(*) FROM users"));
    if (!n)
        return n.error();
    n.value().next();
    const bool first = n.value().value(0).toLongLong() == 0;
    if (first && role != Role::Admin && policy == PasswordPolicy::Enforce)
        return Error::invalid(QStringLiteral("user.first_must_be_admin"), tr("The first user of a database must be an ADMIN."));
    if (!first && policy == PasswordPolicy::Enforce)
        if (Status s = requireAdmin(actor); !s)
            return s.error();
    auto ins = Sql::exec(tx.connection(), QStringLiteral(
        "INSERT INTO users (login, display_name, role, active, password_hash, created_at) VALUES (:l, :d, :r, 1, :h, :t)"),
        {{":l", login}, {":d", displayName.isEmpty() ? login : displayName}, {":r", toString(role)}, {":h", hash},
         {":t", m_clock.nowMs()}});
    if (!ins) {
        if (ins.error().kind == Error::Kind::Conflict)
            return Error::conflict(QStringLiteral("user.exists"), tr("There is already a user \"%1\".").arg(login));
        return ins.error();
    }
    if (Status s = m_audit.append(tx, actor.isEmpty() ? QStringLiteral("(setup)") : actor, QStringLiteral("user.add"),
                                  QStringLiteral("user:") + login, {{QStringLiteral("role"), toString(role)}});
        !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return find(login);
}

Result<User> UserDirectory::login(const QString &login, const QString &password)
{
    const qint64 now = m_clock.nowMs();
    auto found = find(login);
    if (!found || login == QLatin1String(kDemoCounterLogin)) { // the demo's counter never signs in
        PasswordHasher::verify(dummyHash(), password);
        m_audit.recordRefusal(login, QStringLiteral("login.failed"), QStringLiteral("user:") + login,
                       {{QStringLiteral("reason"), QStringLiteral("unknown user")}});
        return Error::forbidden(QStringLiteral("login.failed"), tr("Wrong login or password."));
    }
    User u = found.value();
    // The guess is checked inside one serialised transaction that holds the user's row (the
    // database, on SQLite): many guesses at once (threads, seats, scripts) each see the
    // failures before them, so the throttle holds however they race, and right passwords
    // entered at once all succeed.
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    auto q = Sql::exec(tx.connection(), QStringLiteral("SELECT failed_logins, locked_until FROM users WHERE id = :id") + m_db.forUpdate(),
                       {{":id", u.id}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return Error::forbidden(QStringLiteral("login.failed"), tr("Wrong login or password."));
    u.failedLogins = q.value().value(0).toInt();
    u.lockedUntil = q.value().value(1).toLongLong();
    q.value().finish();
    if (u.lockedUntil > now) {
        tx.rollback();
        const qint64 waitS = (u.lockedUntil - now + 999) / 1000;
        m_audit.recordRefusal(login, QStringLiteral("login.throttled"), QStringLiteral("user:") + login,
                       {{QStringLiteral("wait_s"), waitS}});
        return Error::forbidden(QStringLiteral("login.throttled"),
                                tr("Too many failed logins for \"%1\"; try again in %n second(s).", nullptr, int(waitS)).arg(login));
    }
    const bool good = PasswordHasher::verify(u.passwordHash, password);
    if (!good || !u.active) {
        const int failed = u.failedLogins + 1;
        const qint64 lockMs = lockDurationMs(failed);
        if (auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE users SET failed_logins = :f, locked_until = :u WHERE id = :id"),
                               {{":f", failed}, {":u", lockMs > 0 ? now + lockMs : 0}, {":id", u.id}});
            !r)
            return r.error();
        QJsonObject details{{QStringLiteral("failed_logins"), failed}};
        details.insert(QStringLiteral("reason"), good ? QStringLiteral("disabled") : QStringLiteral("bad password"));
        if (lockMs > 0)
            details.insert(QStringLiteral("locked_ms"), lockMs);
        if (Status s = m_audit.append(tx, login, QStringLiteral("login.failed"), QStringLiteral("user:") + login, details); !s)
            return s.error();
        if (Status s = tx.commit(); !s)
            return s.error();
        if (good && !u.active)
            return Error::forbidden(QStringLiteral("login.disabled"), tr("The account \"%1\" is disabled.").arg(login));
        return Error::forbidden(QStringLiteral("login.failed"), tr("Wrong login or password."));
    }
    QJsonObject details;
    if (m_hasher.needsRehash(u.passwordHash)) {
        const QString rehashed = m_hasher.hash(password);
        if (!rehashed.isEmpty()) {
            u.passwordHash = rehashed;
            details.insert(QStringLiteral("rehashed"), true);
        }
    }
    if (auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE users SET failed_logins = 0, locked_until = 0, password_hash = :h WHERE id = :id"),
                           {{":h", u.passwordHash}, {":id", u.id}});
        !r)
        return r.error();
    if (Status s = m_audit.append(tx, login, QStringLiteral("login"), QStringLiteral("user:") + login, details); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    u.failedLogins = 0;
    u.lockedUntil = 0;
    return u;
}

Status UserDirectory::setPassword(const QString &actor, const QString &login, const QString &password)
{
    if (actor != login)
        if (Status s = requireAdmin(actor); !s)
            return s;
    if (Status s = checkPassword(password); !s)
        return s;
    const QString hash = m_hasher.hash(password);
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun();
    auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE users SET password_hash = :h, failed_logins = 0, locked_until = 0 WHERE login = :l"),
                       {{":h", hash}, {":l", login}});
    if (!r)
        return r.error();
    if (r.value().numRowsAffected() != 1)
        return Error::notFound(QStringLiteral("user.not_found"), tr("There is no user \"%1\".").arg(login));
    if (Status s = m_audit.append(tx, actor, QStringLiteral("user.passwd"), QStringLiteral("user:") + login); !s)
        return s;
    return tx.commit();
}

Status UserDirectory::setActive(const QString &actor, const QString &login, bool active)
{
    if (Status s = requireAdmin(actor); !s)
        return s;
    if (actor == login && !active)
        return Error::invalid(QStringLiteral("user.disable_self"), tr("You cannot disable your own account."));
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun();
    auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE users SET active = :a WHERE login = :l"),
                       {{":a", active ? 1 : 0}, {":l", login}});
    if (!r)
        return r.error();
    if (r.value().numRowsAffected() != 1)
        return Error::notFound(QStringLiteral("user.not_found"), tr("There is no user \"%1\".").arg(login));
    if (Status s = m_audit.append(tx, actor, active ? QStringLiteral("user.enable") : QStringLiteral("user.disable"),
                                  QStringLiteral("user:") + login);
        !s)
        return s;
    return tx.commit();
}

Status UserDirectory::setRole(const QString &actor, const QString &login, Role role)
{
    if (Status s = requireAdmin(actor); !s)
        return s;
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun();
    auto before = Sql::exec(tx.connection(), QStringLiteral("SELECT role, active FROM users WHERE login = :l"), {{":l", login}});
    if (!before)
        return before.error();
    if (!before.value().next())
        return Error::notFound(QStringLiteral("user.not_found"), tr("There is no user \"%1\".").arg(login));
    const QString was = before.value().value(0).toString();
    const bool active = before.value().value(1).toInt() != 0;
    before.value().finish();
    if (was == toString(role))
        return {};
    if (was == toString(Role::Admin) && active) {
        auto admins = Sql::exec(tx.connection(), QStringLiteral("SELECT COUNT(*) FROM users WHERE role = 'ADMIN' AND active = 1"));
        if (!admins)
            return admins.error();
        admins.value().next();
        if (admins.value().value(0).toLongLong() <= 1)
            return Error::conflict(QStringLiteral("user.last_admin"),
                                   tr("%1 is the last active administrator; make someone else ADMIN first.").arg(login));
    }
    auto r = Sql::exec(tx.connection(), QStringLiteral("UPDATE users SET role = :r WHERE login = :l"),
                       {{":r", toString(role)}, {":l", login}});
    if (!r)
        return r.error();
    if (Status s = m_audit.append(tx, actor, QStringLiteral("user.role"), QStringLiteral("user:") + login,
                                  {{QStringLiteral("before"), was}, {QStringLiteral("after"), toString(role)}});
        !s)
        return s;
    return tx.commit();
}

} // namespace paydesk
