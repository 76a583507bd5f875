#include "channels/WeChatPayProtocol.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonDocument>
#include <QTimeZone>

namespace paydesk::wechatpay {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("paydesk::wechatpay", text);
}

ChannelError signatureError(const QString &code, const QString &message)
{
    return ChannelError::make(ChannelError::Kind::Signature, code, message);
}
} // namespace

QByteArray requestMessage(const QByteArray &method, const QByteArray &canonicalUrl, qint64 timestamp,
                          const QByteArray &nonce, const QByteArray &body)
{
    QByteArray m;
    m.reserve(method.size() + canonicalUrl.size() + nonce.size() + body.size() + 32);
    m.append(method).append('\n').append(canonicalUrl).append('\n').append(QByteArray::number(timestamp)).append('\n');
    m.append(nonce).append('\n').append(body).append('\n');
    return m;
}

QByteArray responseMessage(const QByteArray &timestamp, const QByteArray &nonce, const QByteArray &body)
{
    QByteArray m;
    m.reserve(timestamp.size() + nonce.size() + body.size() + 3);
    m.append(timestamp).append('\n').append(nonce).append('\n').append(body).append('\n');
    return m;
}

QByteArray authorizationHeader(const QString &mchid, const QByteArray &nonce, qint64 timestamp, const QString &serial,
                               const QByteArray &signatureBase64)
{
    QByteArray h(kSchema);
    h.append(" mchid=\"").append(mchid.toUtf8()).append("\",nonce_str=\"").append(nonce);
    h.append("\",timestamp=\"").append(QByteArray::number(timestamp)).append("\",serial_no=\"").append(serial.toUtf8());
    h.append("\",signature=\"").append(signatureBase64).append('"');
    return h;
}

std::optional<Authorization> parseAuthorization(const QByteArray &header)
{
    const QByteArray prefix = QByteArray(kSchema) + ' ';
    if (!header.startsWith(prefix))
        return std::nullopt;
    Authorization a;
    bool haveTs = false;
    // key="value" pairs separated by commas; values never contain quotes.
    const QList<QByteArray> parts = header.mid(prefix.size()).split(',');
    for (const QByteArray &raw : parts) {
        const QByteArray part = raw.trimmed();
        const qsizetype eq = part.indexOf('=');
        if (eq <= 0 || part.size() < eq + 3 || part[eq + 1] != '"' || !part.endsWith('"'))
            return std::nullopt;
        const QByteArray key = part.left(eq);
        const QByteArray value = part.mid(eq + 2, part.size() - eq - 3);
        if (key == "mchid")
            a.mchid = QString::fromUtf8(value);
        else if (key == "nonce_str")
            a.nonce = value;
        else if (key == "timestamp")
            a.timestamp = value.toLongLong(&haveTs);
        else if (key == "serial_no")
            a.serial = QString::fromUtf8(value);
        else if (key == "signature")
            a.signature = value;
    }
    if (a.mchid.isEmpty() || a.nonce.isEmpty() || !haveTs || a.serial.isEmpty() || a.signature.isEmpty())
        return std::nullopt;
    return a;
}

SignedHeaders SignedHeaders::from(const QHash<QByteArray, QByteArray> &h)
{
    SignedHeaders s;
    s.timestamp = h.value("wechatpay-timestamp").trimmed();
    s.nonce = h.value("wechatpay-nonce").trimmed();
    s.serial = h.value("wechatpay-serial").trimmed();
    s.signature = h.value("wechatpay-signature").trimmed();
    s.signatureType = h.value("wechatpay-signature-type").trimmed();
    return s;
}

void Verifier::addPlatformCertificate(const QString &serialHex, const crypto::PublicKey &key)
{
    m_keys.insert(serialHex.toUpper(), key);
}

void Verifier::setPublicKey(const QString &keyId, const crypto::PublicKey &key)
{
    m_keys.insert(keyId.toUpper(), key);
}

const crypto::PublicKey *Verifier::keyFor(const QString &serial) const
{
    auto it = m_keys.constFind(serial.toUpper());
    return it == m_keys.cend() ? nullptr : &it.value();
}

bool withinClockSkew(qint64 timestampSeconds, qint64 nowMs)
{
    const qint64 nowSeconds = nowMs / 1000;
    return timestampSeconds >= nowSeconds - kMaxClockSkewSeconds && timestampSeconds <= nowSeconds + kMaxClockSkewSeconds;
}

std::optional<ChannelError> Verifier::verify(const SignedHeaders &h, const QByteArray &body, qint64 nowMs) const
{
    if (h.signature.isEmpty() || h.serial.isEmpty() || h.timestamp.isEmpty() || h.nonce.isEmpty())
        return signatureError(QStringLiteral("UNSIGNED"),
                              tr("The answer is not signed (Wechatpay-Signature, -Serial, -Timestamp or -Nonce is missing); "
                                 "it is treated as forged."));
    if (!h.signatureType.isEmpty() && h.signatureType != kSchema)
        return signatureError(QStringLiteral("BAD_SIGNATURE_TYPE"),
                              tr("Unsupported Wechatpay-Signature-Type \"%1\".").arg(QString::fromLatin1(h.signatureType)));
    bool ok = false;
    const qint64 ts = h.timestamp.toLongLong(&ok);
    if (!ok)
        return signatureError(QStringLiteral("BAD_TIMESTAMP"),
                              tr("Wechatpay-Timestamp \"%1\" is not a number.").arg(QString::fromLatin1(h.timestamp)));
    if (!withinClockSkew(ts, nowMs))
        return signatureError(QStringLiteral("STALE_TIMESTAMP"),
                              tr("Wechatpay-Timestamp %1 is more than 5 minutes away from now (%2): refused as a replay "
                                 "or a wrong clock.")
                                  .arg(ts)
                                  .arg(nowMs / 1000));
    const QString serial = QString::fromLatin1(h.serial);
    const crypto::PublicKey *key = keyFor(serial);
    if (!key)
        return signatureError(QStringLiteral("UNKNOWN_SERIAL"),
                              tr("Wechatpay-Serial \"%1\" is neither the configured WeChat Pay public key id nor a known "
                                 "platform certificate serial.")
                                  .arg(serial));
    const auto sig = QByteArray::fromBase64Encoding(h.signature, QByteArray::AbortOnBase64DecodingErrors);
    if (!sig || !key->verifySha256(responseMessage(h.timestamp, h.nonce, body), *sig))
        return signatureError(QStringLiteral("BAD_SIGNATURE"),
                              tr("The signature does not match the body (key %1): the answer was altered or forged.")
                                  .arg(serial));
    return std::nullopt;
}

Result<QByteArray> decryptResource(const QByteArray &apiV3Key, const QJsonObject &resource)
{
    const QString algorithm = resource.value(QStringLiteral("algorithm")).toString();
    if (algorithm != QStringLiteral("AEAD_AES_256_GCM"))
        return Error::invalid(QStringLiteral("wechatpay.bad_algorithm"),
                              tr("The notification resource uses \"%1\", not AEAD_AES_256_GCM.").arg(algorithm));
    const auto ct = QByteArray::fromBase64Encoding(resource.value(QStringLiteral("ciphertext")).toString().toLatin1(),
                                                   QByteArray::AbortOnBase64DecodingErrors);
    if (!ct)
        return Error::invalid(QStringLiteral("wechatpay.bad_ciphertext"), tr("The notification ciphertext is not base64."));
    return crypto::aes256GcmDecrypt(apiV3Key, resource.value(QStringLiteral("nonce")).toString().toUtf8(),
                                    resource.value(QStringLiteral("associated_data")).toString().toUtf8(), *ct);
}

Result<QJsonObject> encryptResource(const QByteArray &apiV3Key, const QString &originalType,
                                    const QByteArray &associatedData, const QByteArray &plaintext)
{
    const QByteArray nonce = crypto::randomAlnum(12);
    auto ct = crypto::aes256GcmEncrypt(apiV3Key, nonce, associatedData, plaintext);
    if (!ct)
        return ct.error();
    return QJsonObject{{QStringLiteral("original_type"), originalType},
                       {QStringLiteral("algorithm"), QStringLiteral("AEAD_AES_256_GCM")},
                       {QStringLiteral("ciphertext"), QString::fromLatin1(ct->toBase64())},
                       {QStringLiteral("associated_data"), QString::fromUtf8(associatedData)},
                       {QStringLiteral("nonce"), QString::fromLatin1(nonce)}};
}

QString rfc3339(qint64 ms, int offsetSeconds)
{
    return QDateTime::fromMSecsSinceEpoch(ms, QTimeZone(offsetSeconds)).toString(Qt::ISODate);
}

qint64 parseRfc3339(const QString &text)
{
    if (text.size() < 20)
        return 0;
    const QChar last = text.back();
    const bool hasOffset = last == u'Z' || (text.size() >= 6 && (text[text.size() - 6] == u'+' || text[text.size() - 6] == u'-'));
    if (!hasOffset)
        return 0;
    const QDateTime dt = QDateTime::fromString(text, Qt::ISODateWithMs);
    return dt.isValid() ? dt.toMSecsSinceEpoch() : 0;
}

std::optional<TradeState> tradeStateFromWire(const QString &s)
{
    if (s == QStringLiteral("SUCCESS")) return TradeState::Success;
    if (s == QStringLiteral("REFUND")) return TradeState::Refunded;
    if (s == QStringLiteral("NOTPAY")) return TradeState::NotPay;
    if (s == QStringLiteral("CLOSED") || s == QStringLiteral("REVOKED")) return TradeState::Closed;
    if (s == QStringLiteral("USERPAYING")) return TradeState::UserPaying;
    if (s == QStringLiteral("PAYERROR")) return TradeState::PayError;
    return std::nullopt;
}

QString tradeStateToWire(TradeState s)
{
    return toString(s);
}

std::optional<RefundStatus> refundStatusFromWire(const QString &s)
{
    if (s == QStringLiteral("SUCCESS")) return RefundStatus::Success;
    if (s == QStringLiteral("PROCESSING")) return RefundStatus::Processing;
    if (s == QStringLiteral("ABNORMAL")) return RefundStatus::Abnormal;
    if (s == QStringLiteral("CLOSED")) return RefundStatus::Closed;
    return std::nullopt;
}

ChannelError errorFromAnswer(int http, const QByteArray &body, const QByteArray &requestId)
{
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    QString code = o.value(QStringLiteral("code")).toString();
    QString message = o.value(QStringLiteral("message")).toString();
    if (code.isEmpty())
        code = QStringLiteral("HTTP_%1").arg(http);
    if (message.isEmpty())
        message = tr("WeChat Pay answered HTTP %1.").arg(http);
    if (!requestId.isEmpty())
        message += QStringLiteral(" [Request-ID %1]").arg(QString::fromLatin1(requestId));
    using K = ChannelError::Kind;
    K kind = K::Rejected;
    if (code == QStringLiteral("FREQUENCY_LIMITED") || http == 429)
        kind = K::RateLimited;
    else if (code == QStringLiteral("SYSTEM_ERROR") || code == QStringLiteral("BANKERROR") || http >= 500)
        kind = K::Server;
    else if (code == QStringLiteral("ORDER_NOT_EXIST") || code == QStringLiteral("RESOURCE_NOT_EXISTS")
             || code == QStringLiteral("NOT_FOUND") || http == 404)
        kind = K::NotFound;
    else if (code == QStringLiteral("ORDERPAID"))
        kind = K::AlreadyPaid;
    else if (code == QStringLiteral("ORDER_CLOSED") || code == QStringLiteral("ORDERCLOSED"))
        kind = K::AlreadyClosed;
    else if (code == QStringLiteral("SIGN_ERROR"))
        message = tr("WeChat Pay refused our request signature: check the merchant serial and private key (%1)").arg(message);
    return ChannelError::make(kind, code, message, http);
}

} // namespace paydesk::wechatpay
