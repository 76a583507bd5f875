#pragma once

#include "channels/PaymentChannel.h"
#include "crypto/Crypto.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QString>

#include <optional>

/// WeChat Pay API v3 wire rules, shared by WeChatPayChannel (the client) and paydesk-sandbox
/// (the server), so both sides sign and verify with the same code.
namespace paydesk::wechatpay {

inline constexpr char kSchema[] = "WECHATPAY2-SHA256-RSA2048";
/// Responses and notifications whose Wechatpay-Timestamp is further than this from now are refused.
inline constexpr qint64 kMaxClockSkewSeconds = 5 * 60;
/// Whether `timestampSeconds` (Wechatpay-Timestamp, or the timestamp of an Authorization
/// header) is within kMaxClockSkewSeconds of `nowMs`, either way. Any qint64 is safe: the
/// difference is never computed, so a timestamp near INT64_MIN cannot overflow it.
bool withinClockSkew(qint64 timestampSeconds, qint64 nowMs);

/// METHOD\nCANONICAL_URL\nTIMESTAMP\nNONCE\nBODY\n (the request-signing message).
QByteArray requestMessage(const QByteArray &method, const QByteArray &canonicalUrl, qint64 timestamp,
                          const QByteArray &nonce, const QByteArray &body);
/// TIMESTAMP\nNONCE\nBODY\n (what responses and notifications sign).
QByteArray responseMessage(const QByteArray &timestamp, const QByteArray &nonce, const QByteArray &body);
/// WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",timestamp="..",serial_no="..",signature=".."
QByteArray authorizationHeader(const QString &mchid, const QByteArray &nonce, qint64 timestamp, const QString &serial,
                               const QByteArray &signatureBase64);

struct Authorization
{
    QString mchid;
    QByteArray nonce;
    qint64 timestamp = 0;
    QString serial;
    QByteArray signature; ///< base64, as sent
};
/// Parses an Authorization header (fields in any order); nullopt when it is not one.
std::optional<Authorization> parseAuthorization(const QByteArray &header);

/// The headers that sign a response or a notification.
struct SignedHeaders
{
    QByteArray timestamp, nonce, serial, signature, signatureType;
    bool present() const { return !signature.isEmpty() || !serial.isEmpty(); }
    /// From headers matched case-insensitively.
    static SignedHeaders from(const QHash<QByteArray, QByteArray> &lowerCaseHeaders);
};

/// The keys allowed to sign WeChat Pay answers, chosen by Wechatpay-Serial: the WeChat Pay
/// public key (its id, PUB_KEY_ID_...) and/or platform certificates (their serials).
class Verifier
{
public:
    void addPlatformCertificate(const QString &serialHex, const crypto::PublicKey &key);
    void setPublicKey(const QString &keyId, const crypto::PublicKey &key);
    bool isEmpty() const { return m_keys.isEmpty(); }
    const crypto::PublicKey *keyFor(const QString &serial) const;

    /// Checks presence, the signature type, the timestamp (within 5 minutes of `nowMs`, either
    /// way), the serial and the signature. nullopt when all is well; otherwise a Signature error
    /// saying exactly what failed.
    std::optional<ChannelError> verify(const SignedHeaders &h, const QByteArray &body, qint64 nowMs) const;

private:
    QHash<QString, crypto::PublicKey> m_keys; ///< upper-cased serial / key id -> key
};

/// Decrypts a notification's `resource` (AEAD_AES_256_GCM, key = the 32-byte APIv3 key, nonce
/// and associated_data as UTF-8, ciphertext base64 with the tag at the end).
Result<QByteArray> decryptResource(const QByteArray &apiV3Key, const QJsonObject &resource);
/// The other direction, for the sandbox.
Result<QJsonObject> encryptResource(const QByteArray &apiV3Key, const QString &originalType,
                                    const QByteArray &associatedData, const QByteArray &plaintext);

/// RFC 3339 with an explicit offset (WeChat uses Beijing time, +08:00): 2026-01-01T08:00:00+08:00.
QString rfc3339(qint64 ms, int offsetSeconds = 8 * 3600);
/// 0 when the text is not RFC 3339 with an offset (or Z).
qint64 parseRfc3339(const QString &text);

std::optional<TradeState> tradeStateFromWire(const QString &s);
QString tradeStateToWire(TradeState s);
std::optional<RefundStatus> refundStatusFromWire(const QString &s);

/// Maps an error answer ({"code","message"} and the HTTP status) to a ChannelError.
ChannelError errorFromAnswer(int httpStatus, const QByteArray &body, const QByteArray &requestId);

} // namespace paydesk::wechatpay
