#include "SandboxFixture.h"

#include "TestSupport.h"

#include <QEventLoop>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QTcpServer>
#include <QTimer>

namespace paydesk::test {

SandboxProcess::~SandboxProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.terminate();
        if (!m_process.waitForFinished(5000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
}

QString SandboxProcess::start(const QStringList &extraArgs)
{
    const QString program = binary(QStringLiteral("paydesk-sandbox"));
    QStringList args{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--profile-out"), profileDir()};
    args << extraArgs;
    m_process.setProcessChannelMode(QProcess::SeparateChannels);
    m_process.start(program, args);
    if (!m_process.waitForStarted(10'000))
        return QStringLiteral("cannot start %1: %2").arg(program, m_process.errorString());
    QByteArray out;
    QElapsedTimer t;
    t.start();
    while (!out.contains('\n') && t.elapsed() < 60'000) {
        if (m_process.state() == QProcess::NotRunning)
            break;
        m_process.waitForReadyRead(200);
        out += m_process.readAllStandardOutput();
    }
    m_stderr += m_process.readAllStandardError();
    const QByteArray line = out.left(out.indexOf('\n')).trimmed();
    if (!line.startsWith("listening on "))
        return QStringLiteral("the sandbox did not say where it listens (stdout \"%1\", stderr \"%2\")")
            .arg(QString::fromUtf8(out), QString::fromUtf8(m_stderr));
    m_url = QString::fromUtf8(line.mid(13));
    return {};
}

QString SandboxProcess::profilePath(ChannelKind kind) const
{
    return QDir(profileDir()).filePath(kind == ChannelKind::Alipay ? QStringLiteral("alipay.json") : QStringLiteral("wechat.json"));
}

ChannelProfile SandboxProcess::profile(ChannelKind kind) const
{
    auto p = ChannelProfile::fromFile(profilePath(kind));
    if (!p)
        qFatal("sandbox profile: %s", qPrintable(p.error().message));
    return p.value();
}

QJsonObject SandboxProcess::control(const QByteArray &verb, const QString &path, const QJsonObject &body, int *status)
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy(QNetworkProxy::NoProxy));
    QNetworkRequest request(QUrl(m_url + path));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setTransferTimeout(20'000);
    QNetworkReply *reply = nam.sendCustomRequest(request, verb, QJsonDocument(body).toJson(QJsonDocument::Compact));
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    if (status)
        *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QJsonObject out = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    m_stderr += m_process.readAllStandardError();
    return out;
}

QJsonObject SandboxProcess::fault(const QString &channel, const QString &op, const QString &kind, int times,
                                  qint64 latencyMs, bool lands)
{
    return control("POST", QStringLiteral("/sandbox/faults"),
                   QJsonObject{{QStringLiteral("channel"), channel},
                               {QStringLiteral("op"), op},
                               {QStringLiteral("kind"), kind},
                               {QStringLiteral("times"), times},
                               {QStringLiteral("latency_ms"), latencyMs},
                               {QStringLiteral("lands"), lands}});
}

QByteArray SandboxProcess::raw(const QByteArray &verb, const QByteArray &target, const QByteArray &body,
                               const QList<QPair<QByteArray, QByteArray>> &headers, int *status)
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy(QNetworkProxy::NoProxy));
    QNetworkRequest request(QUrl::fromEncoded(m_url.toLatin1() + target, QUrl::StrictMode));
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    request.setTransferTimeout(20'000);
    QNetworkReply *reply = nam.sendCustomRequest(request, verb, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    if (status)
        *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray out = reply->readAll();
    reply->deleteLater();
    m_stderr += m_process.readAllStandardError();
    return out;
}

NotificationSink::NotificationSink() : m_server(std::make_unique<QHttpServer>())
{
    m_server->route(QStringLiteral("/notify"), [this](const QHttpServerRequest &request) {
        Received r;
        const auto headers = request.headers();
        for (const auto &[name, value] : headers)
            r.headers.insert(name, value);
        r.body = request.body();
        received << r;
        return QHttpServerResponse(QHttpServerResponder::StatusCode::NoContent);
    });
    const quint16 port = m_server->listen(QHostAddress::LocalHost, 0);
    m_url = QStringLiteral("http://127.0.0.1:%1/notify").arg(port);
}

NotificationSink::~NotificationSink() = default;

bool spinUntil(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 50);
    return done();
}

} // namespace paydesk::test
