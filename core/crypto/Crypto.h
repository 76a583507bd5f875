#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QString>

#include <memory>

/// OpenSSL 3 (EVP) primitives the channels, the secret store and the sandbox need. OpenSSL
/// types stay inside Crypto.cpp: keys are opaque, shared, immutable handles.
namespace paydesk::crypto {

class PublicKey;

/// An RSA private key.
class PrivateKey
{
public:
    PrivateKey() = default;
    /// A fresh RSA key (2048 bits unless told otherwise).
    static Result<PrivateKey> generateRsa(int bits = 2048);
    /// PEM ("PRIVATE KEY" PKCS#8 or "RSA PRIVATE KEY" PKCS#1), or the bare base64 DER Alipay's
    /// key tool prints. Only RSA keys of at least 2048 bits are accepted.
    static Result<PrivateKey> fromPem(const QByteArray &pem);

    bool isNull() const { return !m_key; }
    int bits() const;
    /// PKCS#8 PEM. A secret: never log it.
    QByteArray toPem() const;
    PublicKey publicKey() const;
    /// SHA256withRSA (RSASSA-PKCS1-v1_5): the raw signature bytes (base64 them for the wire).
    Result<QByteArray> signSha256(const QByteArray &message) const;

    struct Handle;

private:
    std::shared_ptr<const Handle> m_key;
    friend struct KeyAccess;
};

/// An RSA public key.
class PublicKey
{
public:
    PublicKey() = default;
    /// "PUBLIC KEY" (SubjectPublicKeyInfo), "RSA PUBLIC KEY" (PKCS#1), "CERTIFICATE" (the
    /// certificate's key), or the bare base64 DER of either key form (Alipay's style).
    static Result<PublicKey> fromPem(const QByteArray &pem);

    bool isNull() const { return !m_key; }
    int bits() const;
    QByteArray toPem() const;
    /// SHA256withRSA (RSASSA-PKCS1-v1_5) over `message`; false for a bad or malformed signature.
    bool verifySha256(const QByteArray &message, const QByteArray &signature) const;
    friend bool operator==(const PublicKey &a, const PublicKey &b);

private:
    std::shared_ptr<const PrivateKey::Handle> m_key;
    friend struct KeyAccess;
};

/// What PayDesk needs to know about an X.509 certificate.
struct CertificateInfo
{
    QString serialHex;   ///< upper-case hex, no leading zeros beyond one byte's worth
    QString subject;     ///< one-line form, for messages
    qint64 notBeforeMs = 0;
    qint64 notAfterMs = 0;
    PublicKey publicKey;
};
Result<CertificateInfo> parseCertificate(const QByteArray &pem);
/// A self-signed X.509 v3 certificate (SHA-256) for `key`, as PEM. For the sandbox's
/// platform certificate. `serial` is big-endian bytes.
Result<QByteArray> makeSelfSignedCertificate(const PrivateKey &key, const QString &commonName, const QByteArray &serial,
                                             qint64 notBeforeMs, qint64 notAfterMs);

/// AES-256-GCM with a 12-byte nonce; the output is ciphertext followed by the 16-byte tag
/// (WeChat Pay's AEAD_AES_256_GCM layout). The key must be exactly 32 bytes.
Result<QByteArray> aes256GcmEncrypt(const QByteArray &key, const QByteArray &nonce, const QByteArray &aad,
                                    const QByteArray &plaintext);
/// Refuses a key that is not 32 bytes, a nonce that is not 12 bytes, and any ciphertext or
/// associated data that fails authentication.
Result<QByteArray> aes256GcmDecrypt(const QByteArray &key, const QByteArray &nonce, const QByteArray &aad,
                                    const QByteArray &ciphertextAndTag);

/// scrypt (RFC 7914) through EVP_PBE_scrypt. The default is OWASP's N=2^17, r=8, p=1.
struct ScryptParams
{
    quint64 n = quint64(1) << 17;
    quint64 r = 8;
    quint64 p = 1;
};
/// The largest parameters PayDesk accepts, wherever they come from (a secrets file can be
/// edited): N <= 2^20, r <= 32, p <= 16, and at most 1 GiB of work memory (128 * N * r * p).
inline constexpr quint64 kScryptMaxN = quint64(1) << 20;
inline constexpr quint64 kScryptMaxR = 32;
inline constexpr quint64 kScryptMaxP = 16;
inline constexpr quint64 kScryptMaxMemory = quint64(1) << 30;
/// Whether `params` are within the maxima above (N a power of two, r and p at least 1).
bool scryptParamsWithinLimits(const ScryptParams &params);
/// Refuses parameters outside scryptParamsWithinLimits() before any memory is allocated.
Result<QByteArray> scrypt(const QByteArray &passphrase, const QByteArray &salt, const ScryptParams &params,
                          int length = 32);

/// Cryptographically strong random bytes (RAND_bytes).
QByteArray randomBytes(int count);
/// Random [A-Za-z0-9] text: nonces, APIv3 keys in the sandbox.
QByteArray randomAlnum(int count);
/// Overwrites a buffer that held a secret (OPENSSL_cleanse) and empties it.
void wipe(QByteArray &secret);

} // namespace paydesk::crypto
