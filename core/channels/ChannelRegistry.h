#pragma once

#include "channels/PaymentChannel.h"

#include <QHash>

#include <memory>

namespace paydesk {

/// The channels this program can talk to, one per kind, owned here. Built by the composition
/// root (simulated in the demo and tests; WeChat/Alipay from the stored profiles).
class ChannelRegistry final
{
    Q_DISABLE_COPY_MOVE(ChannelRegistry)
public:
    ChannelRegistry() = default;
    ~ChannelRegistry();
    /// Replaces any channel of the same kind.
    void add(std::unique_ptr<PaymentChannel> channel);
    /// nullptr when no channel of that kind is configured.
    PaymentChannel *channel(ChannelKind kind) const;
    QList<ChannelKind> kinds() const;
    /// Whether the channel of that kind is a simulator (the demo's stand-ins for WeChat Pay and
    /// Alipay are): a window says so, since no real money moves through it.
    bool isSimulated(ChannelKind kind) const;

private:
    QHash<int, PaymentChannel *> m_channels;
};

} // namespace paydesk
