#pragma once

#include "domain/Domain.h"
#include "util/Result.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace paydesk {

/// Everything needed to talk to one real payment channel (WeChat Pay v3 or Alipay). A plain
/// value. The two secrets (privateKeyPem, apiV3Key) only ever travel between a profile file,
/// the SecretStore and a channel object: never into the database, settings or logs.
///
/// Profile file (JSON), as `paydeskctl channel add` reads it and paydesk-sandbox writes it:
/// {
///   "channel": "wechat" | "alipay",
///   "name": "shop 1",                         optional label
///   "merchant_id": "1900000109",               WeChat mchid (required); Alipay seller id (optional)
///   "app_id": "wxd678efh567hg6787",            WeChat appid / Alipay app_id (required)
///   "merchant_serial": "5F1C...",               WeChat: merchant API certificate serial (required)
///   "private_key": "-----BEGIN PRIVATE KEY-----...",  or "private_key_file": "apiclient_key.pem"
///   "api_v3_key": "32 bytes",                  WeChat only (required)
///   "platform_certificates": ["-----BEGIN CERTIFICATE-----..."],   WeChat, optional
///   "platform_public_key_id": "PUB_KEY_ID_...",  WeChat Pay public key id (with the key below)
///   "platform_public_key": "-----BEGIN PUBLIC KEY-----...",  or "platform_public_key_file";
///                                              Alipay: the Alipay public key (PEM or bare base64)
///   "gateway_url": "https://api.mch.weixin.qq.com" | "https://openapi.alipay.com/gateway.do",
///   "notify_url": "https://shop.example/notify",  where the channel posts notifications (your
///                                              endpoint that feeds `paydeskctl notify apply`);
///                                              WeChat Pay requires one on every order, so a
///                                              WeChat profile without it sends kDefaultNotifyUrl
///   "sandbox": true                            optional: a test profile (paydesk-sandbox writes it);
///                                              only such a profile may use plain http, and only to
///                                              a loopback gateway
/// }
/// WeChat needs the public key (with its id) or at least one platform certificate, or both.
struct ChannelProfile
{
    Q_DECLARE_TR_FUNCTIONS(ChannelProfile)
public:
    ChannelKind kind = ChannelKind::WeChat;
    QString name;
    QString merchantId;
    QString appId;
    QString merchantSerial;
    QByteArray privateKeyPem;              ///< SECRET
    QByteArray apiV3Key;                   ///< SECRET (WeChat)
    QList<QByteArray> platformCertificates; ///< PEM
    QString platformPublicKeyId;
    QByteArray platformPublicKeyPem;
    QString gatewayUrl;
    QString notifyUrl;
    /// A test profile (paydesk-sandbox): the only kind that may talk plain http, to loopback.
    bool sandbox = false;
    /// Where the secrets live in the SecretStore (set by ChannelProfileStore).
    QString secretRef;

    /// Reads a profile object; `baseDir` resolves the *_file keys. Unknown keys are refused
    /// (a typo must not silently drop a setting). Validates the result.
    static Result<ChannelProfile> fromJson(const QJsonObject &o, const QString &baseDir = {});
    static Result<ChannelProfile> fromFile(const QString &path);
    /// The profile file form; secrets only when asked (the sandbox's --profile-out).
    QJsonObject toJson(bool withSecrets) const;
    /// A description safe for logs and `channel list`: no secrets, not even their length.
    QJsonObject toPublicJson() const;

    /// Every rule a channel relies on: ids present, keys parse (RSA >= 2048), the APIv3 key is
    /// 32 bytes, the gateway is https (http only for a loopback host of a sandbox profile).
    Status validate() const;
    /// SHA-256 fingerprints (lower-case hex) of the key material, for the audit log: the merchant
    /// key (of its public half, SubjectPublicKeyInfo DER), the platform public key (SPKI DER) and
    /// each platform certificate (DER). Never the keys themselves; the APIv3 key not at all (a
    /// hash of a short symmetric key would help guessing it).
    QJsonObject fingerprints() const;
    bool hasSecrets() const { return !privateKeyPem.isEmpty(); }
    /// The default gateway of a kind.
    static QString defaultGateway(ChannelKind kind);
    /// What a WeChat Pay order carries as notify_url when the profile names none: WeChat Pay
    /// refuses an order without one. A valid https URL on a reserved name (RFC 2606 .invalid)
    /// that never resolves: WeChat Pay's notifications go nowhere, and PayDesk learns the
    /// outcome by asking (the timer's query job), as it does anyway.
    static constexpr const char *kDefaultNotifyUrl = "https://notify.paydesk.invalid/wechatpay";
    /// notifyUrl, or for WeChat Pay kDefaultNotifyUrl when that is empty.
    QString effectiveNotifyUrl() const;
};

/// https for anything; plain http only for a loopback host (127.0.0.0/8, ::1, localhost) of a
/// `sandbox` profile. Any other scheme, and http elsewhere, is refused with a message naming the
/// rule (code profile.insecure_gateway for http, profile.bad_gateway for the rest).
Status checkGatewayUrl(const QString &url, bool sandbox);
bool isLoopbackHost(const QString &host);

} // namespace paydesk
