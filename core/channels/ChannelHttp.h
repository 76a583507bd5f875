#pragma once

#include "channels/PaymentChannel.h"

#include <QByteArray>
#include <QHash>
#include <QNetworkRequest>
#include <QObject>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;

namespace paydesk {

/// What came back from one HTTP exchange: either a transport failure (no HTTP answer at all:
/// refused, reset, dropped, timed out, TLS) or a status, headers and body.
struct HttpAnswer
{
    bool answered = false;
    ChannelError transportError; ///< when !answered
    int status = 0;
    QByteArray body;
    QHash<QByteArray, QByteArray> headers; ///< names lower-cased
};

/// The HTTP transport of a real channel: one QNetworkAccessManager, a transfer timeout on every
/// request, no redirects, TLS verification as Qt does it by default (never switched off), and
/// no proxy for a loopback sandbox. Internal to the channels.
class ChannelHttp final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChannelHttp)
public:
    explicit ChannelHttp(const QUrl &gateway, QObject *parent = nullptr);
    ~ChannelHttp() override;

    void setTransferTimeoutMs(int ms) { m_timeoutMs = ms; }
    int transferTimeoutMs() const { return m_timeoutMs; }

    /// `done` runs on this object's thread when the exchange ends (always later, never inside).
    void send(const QByteArray &verb, QNetworkRequest request, const QByteArray &body,
              std::function<void(const HttpAnswer &)> done);

private:
    QNetworkAccessManager *m_nam;
    int m_timeoutMs = 15'000;
};

/// Runs `done(reply)` later on `context`'s thread, and not at all if `context` is gone by then.
template <typename T>
void deliverLater(QObject *context, PaymentChannel::Callback<T> done, ChannelReply<T> reply)
{
    if (!context || !done)
        return;
    QMetaObject::invokeMethod(
        context, [done = std::move(done), reply = std::move(reply)] { done(reply); }, Qt::QueuedConnection);
}

} // namespace paydesk
