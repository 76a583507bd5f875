#include "channels/ChannelHttp.h"

#include "channels/ChannelProfile.h"

#include <QCoreApplication>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>

namespace paydesk {

ChannelHttp::ChannelHttp(const QUrl &gateway, QObject *parent) : QObject(parent), m_nam(new QNetworkAccessManager(this))
{
    // A loopback sandbox is never reached through a proxy from the environment.
    if (isLoopbackHost(gateway.host()))
        m_nam->setProxy(QNetworkProxy(QNetworkProxy::NoProxy));
}

ChannelHttp::~ChannelHttp() = default;

void ChannelHttp::send(const QByteArray &verb, QNetworkRequest request, const QByteArray &body,
                       std::function<void(const HttpAnswer &)> done)
{
    request.setTransferTimeout(m_timeoutMs);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    request.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("PayDesk/0.1 (Qt; OpenSSL)"));
    QNetworkReply *reply = nullptr;
    if (verb == "GET")
        reply = m_nam->get(request);
    else if (verb == "POST")
        reply = m_nam->post(request, body);
    else
        reply = m_nam->sendCustomRequest(request, verb, body);
    const int timeoutMs = m_timeoutMs;
    connect(reply, &QNetworkReply::finished, this, [reply, timeoutMs, done = std::move(done)] {
        reply->deleteLater();
        HttpAnswer a;
        const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        const QNetworkReply::NetworkError err = reply->error();
        if (status.isValid() && err != QNetworkReply::OperationCanceledError && err != QNetworkReply::TimeoutError) {
            a.answered = true;
            a.status = status.toInt();
            a.body = reply->readAll();
            const auto pairs = reply->rawHeaderPairs();
            for (const auto &[name, value] : pairs)
                a.headers.insert(name.toLower(), value);
        } else if (err == QNetworkReply::OperationCanceledError || err == QNetworkReply::TimeoutError) {
            a.transportError = ChannelError::make(
                ChannelError::Kind::Timeout, QStringLiteral("TIMEOUT"),
                QCoreApplication::translate("paydesk::ChannelHttp", "No answer within %1 ms (the request may have landed).")
                    .arg(timeoutMs));
        } else {
            const bool tls = err == QNetworkReply::SslHandshakeFailedError;
            a.transportError = ChannelError::make(ChannelError::Kind::Network,
                                                  tls ? QStringLiteral("TLS") : QStringLiteral("NETWORK"),
                                                  reply->errorString());
        }
        done(a);
    });
}

} // namespace paydesk
