#pragma once

#include "channels/ChannelProfile.h"
#include "channels/PaymentChannel.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QTemporaryDir>

#include <functional>
#include <memory>
#include <optional>

class QHttpServer;

namespace paydesk::test {

/// The real paydesk-sandbox binary, started with QProcess on 127.0.0.1:0, with its profiles
/// written to a temporary folder. Stopped when this goes away.
class SandboxProcess
{
    Q_DISABLE_COPY_MOVE(SandboxProcess)
public:
    SandboxProcess() = default;
    ~SandboxProcess();
    /// Starts it and waits for "listening on URL" (empty string on success, else why not).
    QString start(const QStringList &extraArgs = {});
    QString baseUrl() const { return m_url; }
    QString profileDir() const { return m_dir.filePath(QStringLiteral("profiles")); }
    QString profilePath(ChannelKind kind) const;
    ChannelProfile profile(ChannelKind kind) const;
    /// A sandbox control call (/sandbox/...), synchronous. Returns the JSON answer; `status` gets
    /// the HTTP status (0 when there was none).
    QJsonObject control(const QByteArray &verb, const QString &path, const QJsonObject &body = {}, int *status = nullptr);
    QJsonObject fault(const QString &channel, const QString &op, const QString &kind, int times = 1,
                      qint64 latencyMs = 0, bool lands = false);
    /// Any request to the sandbox exactly as given (`target` is path?query, sent as is):
    /// the raw answer body; `status` gets the HTTP status.
    QByteArray raw(const QByteArray &verb, const QByteArray &target, const QByteArray &body,
                   const QList<QPair<QByteArray, QByteArray>> &headers, int *status = nullptr);
    QString stderrText() const { return QString::fromUtf8(m_stderr); }

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    QString m_url;
    QByteArray m_stderr;
};

/// A loopback HTTP receiver for the notifications the sandbox posts.
class NotificationSink
{
    Q_DISABLE_COPY_MOVE(NotificationSink)
public:
    NotificationSink();
    ~NotificationSink();
    QString url() const { return m_url; }
    struct Received
    {
        QMap<QByteArray, QByteArray> headers;
        QByteArray body;
    };
    QList<Received> received;

private:
    std::unique_ptr<QHttpServer> m_server;
    QString m_url;
};

/// Runs one channel call and waits (spinning the event loop) for its answer. Fails the check
/// `calledInside` when the callback ran inside the call (the contract says never).
template <typename T>
std::optional<ChannelReply<T>> await(const std::function<void(QObject *, PaymentChannel::Callback<T>)> &call,
                                     bool *calledInside = nullptr, int timeoutMs = 30'000)
{
    std::optional<ChannelReply<T>> out;
    QObject context;
    bool inside = true;
    call(&context, [&out](const ChannelReply<T> &r) { out = r; });
    inside = out.has_value();
    if (calledInside)
        *calledInside = inside;
    QElapsedTimer t;
    t.start();
    while (!out && t.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 50);
    return out;
}

/// Spins the event loop until `done()` or the timeout.
bool spinUntil(const std::function<bool()> &done, int timeoutMs = 15'000);

} // namespace paydesk::test
