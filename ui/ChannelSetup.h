#pragma once

#include "channels/SecretStore.h"
#include "domain/Domain.h"

#include <QCoreApplication>
#include <QStringList>

namespace paydesk {
class ChannelRegistry;
class Services;
}

namespace paydesk::ui {

/// Connects the real channels (WeChat Pay, Alipay) configured in the channel profiles: their
/// secrets come from the SecretStore (keychain or encrypted file), which is opened only when a
/// profile exists. Used at start (outside the demo) and after an ADMIN changes a profile.
class ChannelSetup final
{
    Q_DECLARE_TR_FUNCTIONS(ChannelSetup)
public:
    /// Adds a channel for every stored profile to services.channels (replacing one of the same
    /// kind). Returns one message per profile that could not be connected (empty: all fine).
    static QStringList connectConfigured(Services &services);
    /// The connected channels in the order a counter offers them: WeChat Pay, Alipay, Simulator.
    static QList<ChannelKind> choices(const ChannelRegistry &registry);
    /// "WeChat Pay", or "WeChat Pay (simulated)" for the demo's stand-in: for channel choices.
    static QString label(const ChannelRegistry &registry, ChannelKind kind);
    /// The store the profiles' secrets go into (the OS keychain, or the encrypted file).
    static Result<std::unique_ptr<SecretStore>> openSecrets(Services &services);
};

/// For reading profiles without their secrets (listing them).
class NoSecretStore final : public SecretStore
{
    Q_DECLARE_TR_FUNCTIONS(NoSecretStore)
public:
    QString kind() const override { return QStringLiteral("none"); }
    QString location() const override { return QStringLiteral("none"); }
    Status write(const QString &, const QByteArray &) override { return refused(); }
    Result<QByteArray> read(const QString &) override { return refused(); }
    Status remove(const QString &) override { return refused(); }

private:
    static Error refused() { return Error{Error::Kind::Internal, QStringLiteral("secrets.none"), tr("No secret store is open here.")}; }
};

} // namespace paydesk::ui
