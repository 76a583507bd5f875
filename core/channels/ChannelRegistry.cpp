#include "channels/ChannelRegistry.h"

#include "channels/SimulatedChannel.h"

namespace paydesk {

ChannelRegistry::~ChannelRegistry()
{
    qDeleteAll(m_channels);
}

void ChannelRegistry::add(std::unique_ptr<PaymentChannel> channel)
{
    const int key = int(channel->kind());
    delete m_channels.take(key);
    m_channels.insert(key, channel.release());
}

PaymentChannel *ChannelRegistry::channel(ChannelKind kind) const
{
    return m_channels.value(int(kind), nullptr);
}

bool ChannelRegistry::isSimulated(ChannelKind kind) const
{
    return qobject_cast<SimulatedChannel *>(channel(kind)) != nullptr;
}

QList<ChannelKind> ChannelRegistry::kinds() const
{
    QList<ChannelKind> out;
    for (auto it = m_channels.cbegin(); it != m_channels.cend(); ++it)
        out << ChannelKind(it.key());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace paydesk
