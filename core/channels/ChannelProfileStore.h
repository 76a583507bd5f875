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

/// The configured real channels: the non-secret part of each profile in the channel_profiles
/// table (one per kind), the secrets in a SecretStore under a random per-profile reference.
class ChannelProfileStore final
{
    Q_DECLARE_TR_FUNCTIONS(ChannelProfileStore)
    Q_DISABLE_COPY_MOVE(ChannelProfileStore)
public:
    ChannelProfileStore(Database &db, SecretStore &secrets, AuditLog &audit, const Clock &clock);

    /// Validates and stores `profile` for its kind (replacing an earlier one): secrets first,
    /// then the row, then an audit entry ("channel.configure", no secrets in it).
    Status save(const ChannelProfile &profile, const QString &actor);
    /// Every stored profile without its secrets (for `channel list`), ordered by kind.
    Result<QList<ChannelProfile>> list();
    /// One profile with its secrets read back from the SecretStore. NotFound when none.
    Result<ChannelProfile> load(ChannelKind kind);
    /// Forgets the profile and its secrets. Audited.
    Status remove(ChannelKind kind, const QString &actor);

    /// Where the encrypted secrets file goes by default for this database: next to an SQLite
    /// file ("<file>.secrets"), or in the user's data folder for PostgreSQL.
    static QString defaultSecretFile(const Database &db);

    /// Where refusals concerning these channels are recorded.
    AuditLog &audit() const { return m_audit; }

private:
    Database &m_db;
    SecretStore &m_secrets;
    AuditLog &m_audit;
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
