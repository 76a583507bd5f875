#pragma once

#include "channels/ChannelProfile.h"
#include "util/Result.h"

#include <QCoreApplication>
#include <QList>

#include <memory>

namespace paydesk {

class AuditLog;
class ChannelRegistry;
class Clock;
class Database;
class PaymentChannel;
class SecretStore;
class UserDirectory;

/// The configured real channels: the non-secret part of each profile in the channel_profiles
/// table (one per kind), the secrets in a SecretStore under a random per-profile reference.
///
/// A profile decides where money talk goes and whose signatures are believed, so:
///  - only an active ADMIN, as the database knows them at that moment, saves or removes one;
///    a refusal is audited (channel.profile_refused, code profile.admin_required);
///  - a change is audited (channel.profile_change) with the gateway URL and the SHA-256
///    fingerprints of the merchant and platform keys before and after, never the keys;
///  - next to the secrets, the store keeps a seal: the SHA-256 of every non-secret field and
///    the sandbox flag. A row written past this class (raw SQL: another gateway, another
///    platform key) no longer matches its seal, and load() refuses it (profile.tampered,
///    audited as channel.profile_distrusted), as it refuses a row that breaks the gateway rule
///    (plain http only to loopback, only for a sandbox profile).
class ChannelProfileStore final
{
    Q_DECLARE_TR_FUNCTIONS(ChannelProfileStore)
    Q_DISABLE_COPY_MOVE(ChannelProfileStore)
public:
    ChannelProfileStore(Database &db, SecretStore &secrets, AuditLog &audit, UserDirectory &users, const Clock &clock);

    /// Validates and stores `profile` for its kind (replacing an earlier one): secrets and seal
    /// first, then the row and its audit entry ("channel.profile_change") in one transaction.
    /// `actor` must be an active ADMIN (Forbidden, profile.admin_required, otherwise).
    Status save(const ChannelProfile &profile, const QString &actor);
    /// Every stored profile without its secrets (for `channel list`), ordered by kind.
    Result<QList<ChannelProfile>> list();
    /// One profile with its secrets read back from the SecretStore, after checking it against
    /// its seal and the gateway rule. NotFound when none; profile.unsealed, profile.tampered or
    /// profile.insecure_gateway (audited) when the row cannot be trusted.
    Result<ChannelProfile> load(ChannelKind kind);
    /// Forgets the profile and its secrets. ADMIN only, audited.
    Status remove(ChannelKind kind, const QString &actor);

    /// Where the encrypted secrets file goes by default for this database: next to an SQLite
    /// file ("<file>.secrets"), or in the user's data folder for PostgreSQL.
    static QString defaultSecretFile(const Database &db);

    /// Where refusals concerning these channels are recorded.
    AuditLog &audit() const { return m_audit; }

private:
    /// The actor as the database knows them now: active ADMIN, or an audited refusal.
    Status requireAdmin(const QString &actor, const QString &object, const QJsonObject &details);
    Error distrust(ChannelKind kind, Error e);

    Database &m_db;
    SecretStore &m_secrets;
    AuditLog &m_audit;
    UserDirectory &m_users;
    const Clock &m_clock;
};

/// Builds the channel object a profile describes (WeChatPayChannel or AlipayChannel).
Result<std::unique_ptr<PaymentChannel>> makeChannel(const ChannelProfile &profile, const Clock &clock);

/// What addConfiguredChannels did.
struct ChannelLoadReport
{
    QList<ChannelKind> added;
    QList<Error> errors; ///< one per profile that could not be built (the others still are)
};

/// The composition root's call: builds a channel for every stored profile (secrets from the
/// store) and adds it to `registry`, replacing a channel of the same kind. The channels live on
/// the calling thread. Each is wrapped in an AuditingChannel, so forged answers are audited.
ChannelLoadReport addConfiguredChannels(ChannelProfileStore &store, ChannelRegistry &registry, const Clock &clock);

} // namespace paydesk
