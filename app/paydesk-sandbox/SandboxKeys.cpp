#include "SandboxKeys.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>

namespace paydesk::sandbox {

namespace {
QString digits(int n)
{
    QString out;
    const QByteArray bytes = crypto::randomBytes(n);
    for (char b : bytes)
        out.append(QChar(u'0' + quint8(b) % 10));
    if (out.startsWith(u'0'))
        out[0] = u'1';
    return out;
}

Result<crypto::PrivateKey> keyFrom(const QJsonObject &o, const char *name)
{
    return crypto::PrivateKey::fromPem(o.value(QLatin1String(name)).toString().toUtf8());
}
} // namespace

Result<SandboxKeys> SandboxKeys::generate()
{
    SandboxKeys k;
    k.mchid = QStringLiteral("19") + digits(8);
    k.appid = QStringLiteral("wx") + QString::fromLatin1(crypto::randomBytes(8).toHex());
    k.merchantSerial = QString::fromLatin1(crypto::randomBytes(20).toHex()).toUpper();
    k.wechatPayKeyId = QStringLiteral("PUB_KEY_ID_01") + digits(10) + QStringLiteral("2026010100000000");
    k.apiV3Key = crypto::randomAlnum(32);
    k.alipayAppId = QStringLiteral("2021") + digits(12);
    k.alipaySellerId = QStringLiteral("2088") + digits(12);
    for (crypto::PrivateKey *key : {&k.merchantKey, &k.platformKey, &k.wechatPayKey, &k.alipayAppKey, &k.alipayKey}) {
        auto g = crypto::PrivateKey::generateRsa(2048);
        if (!g)
            return g.error();
        *key = g.value();
    }
    QByteArray serial = crypto::randomBytes(20);
    serial[0] = char((quint8(serial[0]) & 0x7f) | 0x10); // positive, 20 bytes
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    auto cert = crypto::makeSelfSignedCertificate(k.platformKey, QStringLiteral("PayDesk sandbox WeChat Pay platform"), serial,
                                                  now - 86'400'000, now + 5 * 365 * 86'400'000LL);
    if (!cert)
        return cert.error();
    k.platformCertificatePem = cert.value();
    auto info = crypto::parseCertificate(k.platformCertificatePem);
    if (!info)
        return info.error();
    k.platformSerial = info->serialHex;
    return k;
}

QJsonObject SandboxKeys::toJson() const
{
    return QJsonObject{
        {QStringLiteral("format"), QStringLiteral("paydesk-sandbox-keys/1")},
        {QStringLiteral("mchid"), mchid},
        {QStringLiteral("appid"), appid},
        {QStringLiteral("merchant_serial"), merchantSerial},
        {QStringLiteral("merchant_key"), QString::fromUtf8(merchantKey.toPem())},
        {QStringLiteral("platform_key"), QString::fromUtf8(platformKey.toPem())},
        {QStringLiteral("platform_certificate"), QString::fromUtf8(platformCertificatePem)},
        {QStringLiteral("wechatpay_key"), QString::fromUtf8(wechatPayKey.toPem())},
        {QStringLiteral("wechatpay_key_id"), wechatPayKeyId},
        {QStringLiteral("api_v3_key"), QString::fromUtf8(apiV3Key)},
        {QStringLiteral("alipay_app_id"), alipayAppId},
        {QStringLiteral("alipay_seller_id"), alipaySellerId},
        {QStringLiteral("alipay_app_key"), QString::fromUtf8(alipayAppKey.toPem())},
        {QStringLiteral("alipay_key"), QString::fromUtf8(alipayKey.toPem())},
    };
}

Result<SandboxKeys> SandboxKeys::fromJson(const QJsonObject &o)
{
    if (o.value(QStringLiteral("format")).toString() != QStringLiteral("paydesk-sandbox-keys/1"))
        return Error::invalid(QStringLiteral("sandbox.bad_state"), QStringLiteral("not a sandbox key file"));
    SandboxKeys k;
    auto s = [&o](const char *key) { return o.value(QLatin1String(key)).toString(); };
    k.mchid = s("mchid");
    k.appid = s("appid");
    k.merchantSerial = s("merchant_serial");
    k.platformCertificatePem = s("platform_certificate").toUtf8();
    k.wechatPayKeyId = s("wechatpay_key_id");
    k.apiV3Key = s("api_v3_key").toUtf8();
    k.alipayAppId = s("alipay_app_id");
    k.alipaySellerId = s("alipay_seller_id");
    const std::pair<crypto::PrivateKey *, const char *> keys[] = {{&k.merchantKey, "merchant_key"},
                                                                  {&k.platformKey, "platform_key"},
                                                                  {&k.wechatPayKey, "wechatpay_key"},
                                                                  {&k.alipayAppKey, "alipay_app_key"},
                                                                  {&k.alipayKey, "alipay_key"}};
    for (const auto &[target, name] : keys) {
        auto key = keyFrom(o, name);
        if (!key)
            return key.error();
        *target = key.value();
    }
    auto info = crypto::parseCertificate(k.platformCertificatePem);
    if (!info)
        return info.error();
    k.platformSerial = info->serialHex;
    return k;
}

Result<SandboxKeys> SandboxKeys::loadOrCreate(const QString &stateDir)
{
    if (stateDir.isEmpty())
        return generate();
    const QString path = QDir(stateDir).filePath(QStringLiteral("sandbox-keys.json"));
    QFile f(path);
    if (f.open(QIODevice::ReadOnly))
        return fromJson(QJsonDocument::fromJson(f.readAll()).object());
    auto k = generate();
    if (!k)
        return k;
    QDir().mkpath(stateDir);
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly))
        return Error::storage(QStringLiteral("cannot write %1: %2").arg(path, out.errorString()));
    out.write(QJsonDocument(k->toJson()).toJson());
    if (!out.commit())
        return Error::storage(QStringLiteral("cannot write %1: %2").arg(path, out.errorString()));
    QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return k;
}

ChannelProfile SandboxKeys::wechatProfile(const QString &baseUrl) const
{
    ChannelProfile p;
    p.kind = ChannelKind::WeChat;
    p.name = QStringLiteral("paydesk-sandbox");
    p.merchantId = mchid;
    p.appId = appid;
    p.merchantSerial = merchantSerial;
    p.privateKeyPem = merchantKey.toPem();
    p.apiV3Key = apiV3Key;
    p.platformCertificates = {platformCertificatePem};
    p.platformPublicKeyId = wechatPayKeyId;
    p.platformPublicKeyPem = wechatPayKey.publicKey().toPem();
    p.gatewayUrl = baseUrl;
    // WeChat Pay requires a notify_url on every order: the sandbox's own sink takes them.
    p.notifyUrl = baseUrl + QStringLiteral("/sandbox/notify-sink");
    p.sandbox = true; // plain http to loopback is allowed for this profile only
    return p;
}

ChannelProfile SandboxKeys::alipayProfile(const QString &baseUrl) const
{
    ChannelProfile p;
    p.kind = ChannelKind::Alipay;
    p.name = QStringLiteral("paydesk-sandbox");
    p.merchantId = alipaySellerId;
    p.appId = alipayAppId;
    p.privateKeyPem = alipayAppKey.toPem();
    p.platformPublicKeyPem = alipayKey.publicKey().toPem();
    p.gatewayUrl = baseUrl + QStringLiteral("/gateway.do");
    p.sandbox = true;
    return p;
}

} // namespace paydesk::sandbox
