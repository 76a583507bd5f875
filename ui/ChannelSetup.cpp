#include "ChannelSetup.h"

#include "Labels.h"
#include "channels/ChannelProfileStore.h"
#include "channels/ChannelRegistry.h"
#include "services/Services.h"

namespace paydesk::ui {

Result<std::unique_ptr<SecretStore>> ChannelSetup::openSecrets(Services &services)
{
    return SecretStore::openDefault(ChannelProfileStore::defaultSecretFile(*services.db));
}

QList<ChannelKind> ChannelSetup::choices(const ChannelRegistry &registry)
{
    QList<ChannelKind> out;
    for (ChannelKind kind : {ChannelKind::WeChat, ChannelKind::Alipay, ChannelKind::Sim})
        if (registry.channel(kind))
            out << kind;
    return out;
}

QString ChannelSetup::label(const ChannelRegistry &registry, ChannelKind kind)
{
    if (kind != ChannelKind::Sim && registry.isSimulated(kind))
        return tr("%1 (simulated)").arg(Labels::of(kind));
    return Labels::of(kind);
}

QStringList ChannelSetup::connectConfigured(Services &services)
{
    NoSecretStore none;
    auto stubs = ChannelProfileStore(*services.db, none, services.audit, services.users, *services.clock).list();
    if (!stubs)
        return {stubs.error().message};
    if (stubs->isEmpty())
        return {}; // nothing configured: no secret store needed
    auto secrets = openSecrets(services);
    if (!secrets)
        return {tr("The payment channels' secrets cannot be read: %1").arg(secrets.error().message)};
    ChannelProfileStore store(*services.db, *secrets.value(), services.audit, services.users, *services.clock);
    const ChannelLoadReport report = addConfiguredChannels(store, services.channels, *services.clock);
    QStringList problems;
    for (const Error &e : report.errors)
        problems << e.message;
    return problems;
}

} // namespace paydesk::ui
