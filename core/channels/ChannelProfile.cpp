#include "channels/ChannelProfile.h"

#include "crypto/Crypto.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QUrl>

namespace paydesk {

namespace {

Error profileError(const QString &code, const QString &message)
{
    return Error::invalid(code, message);
}

Result<QByteArray> readSide(const QString &baseDir, const QString &file)
{
    const QString path = QFileInfo(file).isAbsolute() ? file : QDir(baseDir).filePath(file);
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error::notFound(QStringLiteral("profile.file_missing"),
                               ChannelProfile::tr("Cannot read %1: %2").arg(path, f.errorString()));
    return f.readAll();
}

/// SHA-256 (hex) of the DER inside a PEM block: of the SubjectPublicKeyInfo for a canonical
/// public key PEM, of the certificate for a certificate PEM (its usual fingerprint).
QByteArray derSha256(const QByteArray &pem)
{
    QByteArray body;
    bool inside = false;
    for (const QByteArray &line : pem.split('\n')) {
        const QByteArray l = line.trimmed();
        if (l.startsWith("-----BEGIN ")) {
            inside = true;
            continue;
        }
        if (l.startsWith("-----END "))
            break;
        if (inside)
            body += l;
    }
    const QByteArray der = QByteArray::fromBase64(inside ? body : pem.trimmed());
    return QCryptographicHash::hash(der, QCryptographicHash::Sha256).toHex();
}

} // namespace

bool isLoopbackHost(const QString &host)
{
    if (host.compare(QStringLiteral("localhost"), Qt::CaseInsensitive) == 0)
        return true;
    QHostAddress addr;
    if (!addr.setAddress(host))
        return false;
    return addr.isLoopback();
}

Status checkGatewayUrl(const QString &url, bool sandbox)
{
    const QUrl u(url, QUrl::StrictMode);
    if (url.isEmpty() || !u.isValid() || u.host().isEmpty())
        return profileError(QStringLiteral("profile.bad_gateway"),
                            ChannelProfile::tr("The gateway URL \"%1\" is not an absolute http(s) URL.").arg(url));
    if (u.scheme() == QStringLiteral("https"))
        return {};
    if (u.scheme() == QStringLiteral("http")) {
        if (isLoopbackHost(u.host()) && sandbox)
            return {};
        if (isLoopbackHost(u.host()))
            return profileError(QStringLiteral("profile.insecure_gateway"),
                                ChannelProfile::tr("Refusing plain http to %1: a loopback gateway may use http only in a "
                                                   "sandbox profile (\"sandbox\": true); use https.")
                                    .arg(u.host()));
        return profileError(QStringLiteral("profile.insecure_gateway"),
                            ChannelProfile::tr("Refusing plain http to %1: only https is allowed, except for a loopback "
                                               "sandbox (127.0.0.0/8, ::1, localhost).")
                                .arg(u.host()));
    }
    return profileError(QStringLiteral("profile.bad_gateway"),
                        ChannelProfile::tr("The gateway URL must be https (got \"%1\").").arg(u.scheme()));
}

QString ChannelProfile::defaultGateway(ChannelKind kind)
{
    return kind == ChannelKind::Alipay ? QStringLiteral("https://openapi.alipay.com/gateway.do")
                                       : QStringLiteral("https://api.mch.weixin.qq.com");
}

Result<ChannelProfile> ChannelProfile::fromJson(const QJsonObject &o, const QString &baseDir)
{
    static const QSet<QString> known = {
        QStringLiteral("channel"), QStringLiteral("name"), QStringLiteral("merchant_id"), QStringLiteral("app_id"),
        QStringLiteral("merchant_serial"), QStringLiteral("private_key"), QStringLiteral("private_key_file"),
        QStringLiteral("api_v3_key"), QStringLiteral("platform_certificates"),
        QStringLiteral("platform_certificate_file"), QStringLiteral("platform_public_key_id"),
        QStringLiteral("platform_public_key"), QStringLiteral("platform_public_key_file"),
        QStringLiteral("gateway_url"), QStringLiteral("notify_url"), QStringLiteral("sandbox")};
    for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
        if (!known.contains(it.key()))
            return profileError(QStringLiteral("profile.unknown_key"),
                                tr("Unknown key \"%1\" in the channel profile.").arg(it.key()));
        if (it.key() == QStringLiteral("sandbox")) {
            if (!it.value().isBool())
                return profileError(QStringLiteral("profile.bad_value"), tr("\"sandbox\" must be true or false."));
            continue;
        }
        if (it.key() != QStringLiteral("platform_certificates") && !it.value().isString())
            return profileError(QStringLiteral("profile.bad_value"), tr("\"%1\" must be a string.").arg(it.key()));
    }
    ChannelProfile p;
    const QString channel = o.value(QStringLiteral("channel")).toString();
    const auto kind = fromString<ChannelKind>(channel);
    if (!kind || *kind == ChannelKind::Sim)
        return profileError(QStringLiteral("profile.bad_channel"),
                            tr("\"channel\" must be \"wechat\" or \"alipay\" (got \"%1\").").arg(channel));
    p.kind = *kind;
    auto str = [&o](const char *key) { return o.value(QLatin1String(key)).toString().trimmed(); };
    p.name = str("name");
    p.merchantId = str("merchant_id");
    p.appId = str("app_id");
    p.merchantSerial = str("merchant_serial").toUpper();
    p.platformPublicKeyId = str("platform_public_key_id");
    p.gatewayUrl = str("gateway_url");
    if (p.gatewayUrl.isEmpty())
        p.gatewayUrl = defaultGateway(p.kind);
    p.notifyUrl = str("notify_url");
    p.sandbox = o.value(QStringLiteral("sandbox")).toBool(false);
    p.privateKeyPem = o.value(QStringLiteral("private_key")).toString().toUtf8();
    if (o.contains(QStringLiteral("private_key_file"))) {
        auto data = readSide(baseDir, str("private_key_file"));
        if (!data)
            return data.error();
        p.privateKeyPem = data.value();
    }
    p.apiV3Key = o.value(QStringLiteral("api_v3_key")).toString().toUtf8();
    p.platformPublicKeyPem = o.value(QStringLiteral("platform_public_key")).toString().toUtf8();
    if (o.contains(QStringLiteral("platform_public_key_file"))) {
        auto data = readSide(baseDir, str("platform_public_key_file"));
        if (!data)
            return data.error();
        p.platformPublicKeyPem = data.value();
    }
    const QJsonValue certs = o.value(QStringLiteral("platform_certificates"));
    if (!certs.isUndefined() && !certs.isArray())
        return profileError(QStringLiteral("profile.bad_value"), tr("\"platform_certificates\" must be a list of PEM texts."));
    const QJsonArray certList = certs.toArray();
    for (const QJsonValue &c : certList) {
        if (!c.isString())
            return profileError(QStringLiteral("profile.bad_value"), tr("\"platform_certificates\" must be a list of PEM texts."));
        p.platformCertificates << c.toString().toUtf8();
    }
    if (o.contains(QStringLiteral("platform_certificate_file"))) {
        auto data = readSide(baseDir, str("platform_certificate_file"));
        if (!data)
            return data.error();
        p.platformCertificates << data.value();
    }
    if (Status s = p.validate(); !s)
        return s.error();
    return p;
}

Result<ChannelProfile> ChannelProfile::fromFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error::notFound(QStringLiteral("profile.file_missing"), tr("Cannot read %1: %2").arg(path, f.errorString()));
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (!doc.isObject())
        return profileError(QStringLiteral("profile.bad_json"),
                            tr("%1 is not a JSON object: %2").arg(path, err.errorString()));
    return fromJson(doc.object(), QFileInfo(path).absolutePath());
}

QJsonObject ChannelProfile::toJson(bool withSecrets) const
{
    QJsonObject o = toPublicJson();
    o.remove(QStringLiteral("platform_certificate_serials"));
    o.remove(QStringLiteral("has_secrets"));
    if (!platformPublicKeyPem.isEmpty())
        o.insert(QStringLiteral("platform_public_key"), QString::fromUtf8(platformPublicKeyPem));
    if (!platformCertificates.isEmpty()) {
        QJsonArray a;
        for (const QByteArray &c : platformCertificates)
            a.append(QString::fromUtf8(c));
        o.insert(QStringLiteral("platform_certificates"), a);
    }
    if (withSecrets) {
        o.insert(QStringLiteral("private_key"), QString::fromUtf8(privateKeyPem));
        if (kind == ChannelKind::WeChat)
            o.insert(QStringLiteral("api_v3_key"), QString::fromUtf8(apiV3Key));
    }
    return o;
}

QJsonObject ChannelProfile::toPublicJson() const
{
    QJsonObject o{{QStringLiteral("channel"), toString(kind)},
                  {QStringLiteral("app_id"), appId},
                  {QStringLiteral("gateway_url"), gatewayUrl}};
    if (!name.isEmpty())
        o.insert(QStringLiteral("name"), name);
    if (!merchantId.isEmpty())
        o.insert(QStringLiteral("merchant_id"), merchantId);
    if (!merchantSerial.isEmpty())
        o.insert(QStringLiteral("merchant_serial"), merchantSerial);
    if (!platformPublicKeyId.isEmpty())
        o.insert(QStringLiteral("platform_public_key_id"), platformPublicKeyId);
    if (!notifyUrl.isEmpty())
        o.insert(QStringLiteral("notify_url"), notifyUrl);
    QJsonArray serials;
    for (const QByteArray &c : platformCertificates) {
        if (auto info = crypto::parseCertificate(c))
            serials.append(info->serialHex);
    }
    if (!serials.isEmpty())
        o.insert(QStringLiteral("platform_certificate_serials"), serials);
    if (sandbox)
        o.insert(QStringLiteral("sandbox"), true);
    o.insert(QStringLiteral("has_secrets"), hasSecrets());
    return o;
}

QJsonObject ChannelProfile::fingerprints() const
{
    QJsonObject o;
    if (auto k = crypto::PrivateKey::fromPem(privateKeyPem))
        o.insert(QStringLiteral("merchant_key_sha256"), QString::fromLatin1(derSha256(k->publicKey().toPem())));
    if (!platformPublicKeyPem.isEmpty()) {
        if (auto k = crypto::PublicKey::fromPem(platformPublicKeyPem))
            o.insert(QStringLiteral("platform_public_key_sha256"), QString::fromLatin1(derSha256(k->toPem())));
    }
    QJsonArray certs;
    for (const QByteArray &c : platformCertificates)
        certs.append(QString::fromLatin1(derSha256(c)));
    if (!certs.isEmpty())
        o.insert(QStringLiteral("platform_certificates_sha256"), certs);
    return o;
}

QString ChannelProfile::effectiveNotifyUrl() const
{
    if (notifyUrl.isEmpty() && kind == ChannelKind::WeChat)
        return QString::fromLatin1(kDefaultNotifyUrl);
    return notifyUrl;
}

Status ChannelProfile::validate() const
{
    const bool wechat = kind == ChannelKind::WeChat;
    if (kind == ChannelKind::Sim)
        return profileError(QStringLiteral("profile.bad_channel"), tr("A profile is for WeChat Pay or Alipay."));
    if (appId.isEmpty())
        return profileError(QStringLiteral("profile.missing"), tr("The profile has no app_id."));
    if (wechat && merchantId.isEmpty())
        return profileError(QStringLiteral("profile.missing"), tr("A WeChat Pay profile needs merchant_id (mchid)."));
    if (wechat && merchantSerial.isEmpty())
        return profileError(QStringLiteral("profile.missing"),
                            tr("A WeChat Pay profile needs merchant_serial (the merchant API certificate serial)."));
    if (Status s = checkGatewayUrl(gatewayUrl, sandbox); !s)
        return s;
    if (!notifyUrl.isEmpty()) {
        const QUrl n(notifyUrl, QUrl::StrictMode);
        if (!n.isValid() || (n.scheme() != QStringLiteral("https") && n.scheme() != QStringLiteral("http")) || n.host().isEmpty())
            return profileError(QStringLiteral("profile.bad_notify_url"),
                                tr("notify_url \"%1\" is not an absolute http(s) URL.").arg(notifyUrl));
    }
    if (privateKeyPem.isEmpty())
        return profileError(QStringLiteral("profile.missing"), tr("The profile has no private_key."));
    if (auto k = crypto::PrivateKey::fromPem(privateKeyPem); !k)
        return profileError(k.error().code, tr("private_key: %1").arg(k.error().message));
    if (wechat) {
        if (apiV3Key.size() != 32)
            return profileError(QStringLiteral("profile.bad_api_v3_key"),
                                tr("api_v3_key must be exactly 32 bytes (it has %1).").arg(apiV3Key.size()));
        if (platformCertificates.isEmpty() && platformPublicKeyPem.isEmpty())
            return profileError(QStringLiteral("profile.missing"),
                                tr("A WeChat Pay profile needs platform_public_key with platform_public_key_id, or "
                                   "platform_certificates, to verify WeChat Pay's answers."));
        if (!platformPublicKeyPem.isEmpty() && platformPublicKeyId.isEmpty())
            return profileError(QStringLiteral("profile.missing"),
                                tr("platform_public_key needs its platform_public_key_id (PUB_KEY_ID_...)."));
        for (const QByteArray &c : platformCertificates) {
            if (auto info = crypto::parseCertificate(c); !info)
                return profileError(info.error().code, tr("platform_certificates: %1").arg(info.error().message));
        }
    } else if (platformPublicKeyPem.isEmpty()) {
        return profileError(QStringLiteral("profile.missing"),
                            tr("An Alipay profile needs platform_public_key (the Alipay public key)."));
    }
    if (!platformPublicKeyPem.isEmpty()) {
        if (auto k = crypto::PublicKey::fromPem(platformPublicKeyPem); !k)
            return profileError(k.error().code, tr("platform_public_key: %1").arg(k.error().message));
    }
    return {};
}

} // namespace paydesk
