#pragma once

#include "channels/ChannelProfile.h"
#include "crypto/Crypto.h"
#include "util/Result.h"

#include <QJsonObject>
#include <QString>

namespace paydesk::sandbox {

/// Every identity and key the sandbox plays with: the merchant's side (handed to the client in
/// the profiles) and the channels' side (kept here; only their public halves are handed out).
/// Real RSA-2048 keys and a real X.509 platform certificate, generated at start or loaded from
/// --state-dir so a restarted sandbox still matches profiles already imported.
struct SandboxKeys
{
    // WeChat Pay
    QString mchid;
    QString appid;
    QString merchantSerial;            ///< the merchant API certificate serial the client sends
    crypto::PrivateKey merchantKey;    ///< the client's signing key
    crypto::PrivateKey platformKey;    ///< signs in certificate mode
    QByteArray platformCertificatePem;
    QString platformSerial;
    crypto::PrivateKey wechatPayKey;   ///< signs in public-key mode
    QString wechatPayKeyId;            ///< PUB_KEY_ID_...
    QByteArray apiV3Key;
    // Alipay
    QString alipayAppId;
    QString alipaySellerId;
    crypto::PrivateKey alipayAppKey;   ///< the client's signing key
    crypto::PrivateKey alipayKey;      ///< Alipay's own

    static Result<SandboxKeys> generate();
    /// Loads <dir>/sandbox-keys.json, or generates and saves it (owner-only permissions).
    static Result<SandboxKeys> loadOrCreate(const QString &stateDir);

    ChannelProfile wechatProfile(const QString &baseUrl) const;
    ChannelProfile alipayProfile(const QString &baseUrl) const;

private:
    QJsonObject toJson() const;
    static Result<SandboxKeys> fromJson(const QJsonObject &o);
};

} // namespace paydesk::sandbox
