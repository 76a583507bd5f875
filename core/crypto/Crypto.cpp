#include "crypto/Crypto.h"

#include <QCoreApplication>
#include <QDateTime>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <ctime>

namespace paydesk::crypto {

struct PrivateKey::Handle
{
    explicit Handle(EVP_PKEY *k) : pkey(k) {}
    ~Handle() { EVP_PKEY_free(pkey); }
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    EVP_PKEY *pkey;
};

struct KeyAccess
{
    static EVP_PKEY *get(const PrivateKey &k) { return k.m_key ? k.m_key->pkey : nullptr; }
    static EVP_PKEY *get(const PublicKey &k) { return k.m_key ? k.m_key->pkey : nullptr; }
    static PrivateKey privateFrom(EVP_PKEY *pkey)
    {
        PrivateKey k;
        k.m_key = std::make_shared<const PrivateKey::Handle>(pkey);
        return k;
    }
    static PublicKey publicFrom(EVP_PKEY *pkey)
    {
        PublicKey k;
        k.m_key = std::make_shared<const PrivateKey::Handle>(pkey);
        return k;
    }
    static PublicKey publicOf(const PrivateKey &k)
    {
        PublicKey p;
        p.m_key = k.m_key; // an EVP_PKEY holding a private key also serves as its public key
        return p;
    }
};

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("paydesk::crypto", text);
}

/// The most recent OpenSSL error, for messages (never contains key material).
QString opensslError()
{
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0)
        return QStringLiteral("unknown OpenSSL error");
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return QString::fromLatin1(buf);
}

struct BioDeleter { void operator()(BIO *b) const { BIO_free(b); } };
struct CtxDeleter { void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); } };
struct CipherCtxDeleter { void operator()(EVP_CIPHER_CTX *c) const { EVP_CIPHER_CTX_free(c); } };
struct X509Deleter { void operator()(X509 *x) const { X509_free(x); } };
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr memBio(const QByteArray &data)
{
    return BioPtr(BIO_new_mem_buf(data.constData(), int(data.size())));
}

QByteArray readBio(BIO *bio)
{
    char *data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return QByteArray(data, qsizetype(len));
}

bool isRsa(EVP_PKEY *k)
{
    return k && EVP_PKEY_is_a(k, "RSA") == 1;
}

/// Bare base64 (no armor), possibly wrapped over several lines.
std::optional<QByteArray> bareDer(const QByteArray &text)
{
    QByteArray compact;
    for (char c : text) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        compact.append(c);
    }
    if (compact.isEmpty())
        return std::nullopt;
    auto r = QByteArray::fromBase64Encoding(compact, QByteArray::AbortOnBase64DecodingErrors);
    if (!r)
        return std::nullopt;
    return *r;
}

Error keyError(const QString &code, const QString &message)
{
    ERR_clear_error();
    return Error::invalid(code, message);
}

qint64 asn1TimeToMs(const ASN1_TIME *t)
{
    struct tm tmv = {};
    if (ASN1_TIME_to_tm(t, &tmv) != 1)
        return 0;
    const QDateTime dt(QDate(tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday),
                       QTime(tmv.tm_hour, tmv.tm_min, tmv.tm_sec), Qt::UTC);
    return dt.toMSecsSinceEpoch();
}

} // namespace

// ---- PrivateKey ---------------------------------------------------------------------------

Result<PrivateKey> PrivateKey::generateRsa(int bits)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(bits));
    if (!k)
        return Error{Error::Kind::Internal, QStringLiteral("crypto.keygen"), tr("Cannot generate an RSA key: %1").arg(opensslError())};
    return KeyAccess::privateFrom(k);
}

Result<PrivateKey> PrivateKey::fromPem(const QByteArray &pem)
{
    const QByteArray text = pem.trimmed();
    EVP_PKEY *k = nullptr;
    if (text.startsWith("-----BEGIN")) {
        BioPtr bio = memBio(text);
        k = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    } else if (auto der = bareDer(text)) {
        const unsigned char *p = reinterpret_cast<const unsigned char *>(der->constData());
        k = d2i_AutoPrivateKey(nullptr, &p, long(der->size()));
    }
    if (!k)
        return keyError(QStringLiteral("crypto.bad_private_key"),
                        tr("The private key is not a PEM or base64 RSA private key (PKCS#8 or PKCS#1)."));
    PrivateKey key = KeyAccess::privateFrom(k);
    if (!isRsa(k))
        return keyError(QStringLiteral("crypto.not_rsa"), tr("The private key is not an RSA key."));
    if (key.bits() < 2048)
        return keyError(QStringLiteral("crypto.weak_key"),
                        tr("The private key has %1 bits; at least 2048 are required.").arg(key.bits()));
    return key;
}

int PrivateKey::bits() const
{
    return m_key ? EVP_PKEY_get_bits(m_key->pkey) : 0;
}

QByteArray PrivateKey::toPem() const
{
    if (!m_key)
        return {};
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PKCS8PrivateKey(bio.get(), m_key->pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return {};
    return readBio(bio.get());
}

PublicKey PrivateKey::publicKey() const
{
    return KeyAccess::publicOf(*this);
}

Result<QByteArray> PrivateKey::signSha256(const QByteArray &message) const
{
    if (!m_key)
        return Error::invalid(QStringLiteral("crypto.no_key"), tr("No private key to sign with."));
    std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
    size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, m_key->pkey) != 1
        || EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char *>(message.constData()),
                          size_t(message.size())) != 1)
        return Error{Error::Kind::Internal, QStringLiteral("crypto.sign"), tr("Signing failed: %1").arg(opensslError())};
    QByteArray sig(qsizetype(len), Qt::Uninitialized);
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(sig.data()), &len,
                       reinterpret_cast<const unsigned char *>(message.constData()), size_t(message.size())) != 1)
        return Error{Error::Kind::Internal, QStringLiteral("crypto.sign"), tr("Signing failed: %1").arg(opensslError())};
    sig.resize(qsizetype(len));
    return sig;
}

// ---- PublicKey ----------------------------------------------------------------------------

Result<PublicKey> PublicKey::fromPem(const QByteArray &pem)
{
    const QByteArray text = pem.trimmed();
    EVP_PKEY *k = nullptr;
    if (text.startsWith("-----BEGIN CERTIFICATE-----")) {
        auto cert = parseCertificate(text);
        if (!cert)
            return cert.error();
        return cert->publicKey;
    }
    if (text.startsWith("-----BEGIN PUBLIC KEY-----")) {
        BioPtr bio = memBio(text);
        k = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
    } else if (text.startsWith("-----BEGIN RSA PUBLIC KEY-----")) {
        QByteArray body = text;
        body.replace("-----BEGIN RSA PUBLIC KEY-----", "");
        body.replace("-----END RSA PUBLIC KEY-----", "");
        if (auto der = bareDer(body)) {
            const unsigned char *p = reinterpret_cast<const unsigned char *>(der->constData());
            k = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, long(der->size()));
        }
    } else if (auto der = bareDer(text)) {
        const unsigned char *p = reinterpret_cast<const unsigned char *>(der->constData());
        k = d2i_PUBKEY(nullptr, &p, long(der->size()));
        if (!k) {
            p = reinterpret_cast<const unsigned char *>(der->constData());
            k = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, long(der->size()));
        }
    }
    if (!k)
        return keyError(QStringLiteral("crypto.bad_public_key"),
                        tr("The public key is not a PEM or base64 RSA public key or certificate."));
    PublicKey key = KeyAccess::publicFrom(k);
    if (!isRsa(k))
        return keyError(QStringLiteral("crypto.not_rsa"), tr("The public key is not an RSA key."));
    if (key.bits() < 2048)
        return keyError(QStringLiteral("crypto.weak_key"),
                        tr("The public key has %1 bits; at least 2048 are required.").arg(key.bits()));
    return key;
}

int PublicKey::bits() const
{
    return m_key ? EVP_PKEY_get_bits(m_key->pkey) : 0;
}

QByteArray PublicKey::toPem() const
{
    if (!m_key)
        return {};
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PUBKEY(bio.get(), m_key->pkey) != 1)
        return {};
    return readBio(bio.get());
}

bool PublicKey::verifySha256(const QByteArray &message, const QByteArray &signature) const
{
    if (!m_key || signature.isEmpty())
        return false;
    std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
    const bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, m_key->pkey) == 1
        && EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(signature.constData()),
                            size_t(signature.size()), reinterpret_cast<const unsigned char *>(message.constData()),
                            size_t(message.size()))
            == 1;
    ERR_clear_error();
    return ok;
}

bool operator==(const PublicKey &a, const PublicKey &b)
{
    EVP_PKEY *x = KeyAccess::get(a);
    EVP_PKEY *y = KeyAccess::get(b);
    if (!x || !y)
        return x == y;
    return EVP_PKEY_eq(x, y) == 1;
}

// ---- certificates -------------------------------------------------------------------------

Result<CertificateInfo> parseCertificate(const QByteArray &pem)
{
    const QByteArray text = pem.trimmed(); // the BIO reads it in place: keep it alive
    BioPtr bio = memBio(text);
    std::unique_ptr<X509, X509Deleter> x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!x)
        return keyError(QStringLiteral("crypto.bad_certificate"), tr("The certificate is not a PEM X.509 certificate."));
    CertificateInfo info;
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x.get()), nullptr);
    if (bn) {
        char *hex = BN_bn2hex(bn);
        info.serialHex = QString::fromLatin1(hex).toUpper();
        OPENSSL_free(hex);
        BN_free(bn);
    }
    char line[512];
    X509_NAME_oneline(X509_get_subject_name(x.get()), line, sizeof line);
    info.subject = QString::fromUtf8(line);
    info.notBeforeMs = asn1TimeToMs(X509_get0_notBefore(x.get()));
    info.notAfterMs = asn1TimeToMs(X509_get0_notAfter(x.get()));
    EVP_PKEY *k = X509_get_pubkey(x.get()); // a new reference
    if (!k)
        return keyError(QStringLiteral("crypto.bad_certificate"), tr("The certificate has no usable public key."));
    info.publicKey = KeyAccess::publicFrom(k);
    if (!isRsa(k))
        return keyError(QStringLiteral("crypto.not_rsa"), tr("The certificate's key is not an RSA key."));
    return info;
}

Result<QByteArray> makeSelfSignedCertificate(const PrivateKey &key, const QString &commonName, const QByteArray &serial,
                                             qint64 notBeforeMs, qint64 notAfterMs)
{
    EVP_PKEY *pkey = KeyAccess::get(key);
    if (!pkey)
        return Error::invalid(QStringLiteral("crypto.no_key"), tr("No key for the certificate."));
    std::unique_ptr<X509, X509Deleter> x(X509_new());
    auto fail = [] {
        return Error{Error::Kind::Internal, QStringLiteral("crypto.certificate"),
                     tr("Cannot make the certificate: %1").arg(opensslError())};
    };
    if (!x || X509_set_version(x.get(), 2) != 1)
        return fail();
    BIGNUM *bn = BN_bin2bn(reinterpret_cast<const unsigned char *>(serial.constData()), int(serial.size()), nullptr);
    ASN1_INTEGER *sn = bn ? BN_to_ASN1_INTEGER(bn, nullptr) : nullptr;
    BN_free(bn);
    const bool snOk = sn && X509_set_serialNumber(x.get(), sn) == 1;
    ASN1_INTEGER_free(sn);
    if (!snOk)
        return fail();
    ASN1_TIME *nb = ASN1_TIME_set(nullptr, time_t(notBeforeMs / 1000));
    ASN1_TIME *na = ASN1_TIME_set(nullptr, time_t(notAfterMs / 1000));
    const bool timesOk = nb && na && X509_set1_notBefore(x.get(), nb) == 1 && X509_set1_notAfter(x.get(), na) == 1;
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    if (!timesOk)
        return fail();
    X509_NAME *name = X509_get_subject_name(x.get());
    const QByteArray cn = commonName.toUtf8();
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char *>("PayDesk sandbox"), -1, -1, 0) != 1
        || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char *>(cn.constData()),
                                      int(cn.size()), -1, 0)
            != 1
        || X509_set_issuer_name(x.get(), name) != 1 || X509_set_pubkey(x.get(), pkey) != 1
        || X509_sign(x.get(), pkey, EVP_sha256()) == 0)
        return fail();
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_X509(bio.get(), x.get()) != 1)
        return fail();
    return readBio(bio.get());
}

// ---- AES-256-GCM --------------------------------------------------------------------------

namespace {
Status checkGcmInputs(const QByteArray &key, const QByteArray &nonce)
{
    if (key.size() != 32)
        return Error::invalid(QStringLiteral("crypto.bad_key_length"),
                              tr("An AES-256-GCM key is 32 bytes; this one has %1.").arg(key.size()));
    if (nonce.size() != 12)
        return Error::invalid(QStringLiteral("crypto.bad_nonce_length"),
                              tr("An AES-256-GCM nonce is 12 bytes; this one has %1.").arg(nonce.size()));
    return {};
}
const auto *uc(const QByteArray &b)
{
    return reinterpret_cast<const unsigned char *>(b.constData());
}
} // namespace

Result<QByteArray> aes256GcmEncrypt(const QByteArray &key, const QByteArray &nonce, const QByteArray &aad,
                                    const QByteArray &plaintext)
{
    if (Status s = checkGcmInputs(key, nonce); !s)
        return s.error();
    std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
    QByteArray out(plaintext.size() + 16, Qt::Uninitialized);
    auto *o = reinterpret_cast<unsigned char *>(out.data());
    int len = 0;
    int total = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1
        || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1
        || EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, uc(key), uc(nonce)) != 1
        || (!aad.isEmpty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, uc(aad), int(aad.size())) != 1)
        || EVP_EncryptUpdate(ctx.get(), o, &len, uc(plaintext), int(plaintext.size())) != 1)
        return Error{Error::Kind::Internal, QStringLiteral("crypto.encrypt"), tr("Encryption failed: %1").arg(opensslError())};
    total = len;
    if (EVP_EncryptFinal_ex(ctx.get(), o + total, &len) != 1
        || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, o + total + len) != 1)
        return Error{Error::Kind::Internal, QStringLiteral("crypto.encrypt"), tr("Encryption failed: %1").arg(opensslError())};
    total += len;
    out.resize(total + 16);
    return out;
}

Result<QByteArray> aes256GcmDecrypt(const QByteArray &key, const QByteArray &nonce, const QByteArray &aad,
                                    const QByteArray &ciphertextAndTag)
{
    if (Status s = checkGcmInputs(key, nonce); !s)
        return s.error();
    if (ciphertextAndTag.size() < 16)
        return Error::invalid(QStringLiteral("crypto.auth_failed"), tr("The ciphertext is shorter than its 16-byte tag."));
    const qsizetype ctLen = ciphertextAndTag.size() - 16;
    QByteArray tag = ciphertextAndTag.right(16);
    std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
    QByteArray out(ctLen + 16, Qt::Uninitialized);
    auto *o = reinterpret_cast<unsigned char *>(out.data());
    int len = 0;
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1
        || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1
        || EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, uc(key), uc(nonce)) != 1
        || (!aad.isEmpty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, uc(aad), int(aad.size())) != 1)
        || EVP_DecryptUpdate(ctx.get(), o, &len, uc(ciphertextAndTag), int(ctLen)) != 1)
        return Error{Error::Kind::Internal, QStringLiteral("crypto.decrypt"), tr("Decryption failed: %1").arg(opensslError())};
    int total = len;
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) != 1
        || EVP_DecryptFinal_ex(ctx.get(), o + total, &len) != 1) {
        ERR_clear_error();
        wipe(out);
        return Error::invalid(QStringLiteral("crypto.auth_failed"),
                              tr("The ciphertext failed authentication (wrong key, nonce or associated data, or it was altered)."));
    }
    total += len;
    out.resize(total);
    return out;
}

// ---- scrypt, random -----------------------------------------------------------------------

bool scryptParamsWithinLimits(const ScryptParams &params)
{
    if (params.n < 2 || (params.n & (params.n - 1)) != 0 || params.n > kScryptMaxN)
        return false;
    if (params.r == 0 || params.r > kScryptMaxR || params.p == 0 || params.p > kScryptMaxP)
        return false;
    // Each factor is capped above, so 128 * N * r * p <= 2^7 * 2^20 * 2^5 * 2^4 cannot overflow.
    return 128 * params.n * params.r * params.p <= kScryptMaxMemory;
}

Result<QByteArray> scrypt(const QByteArray &passphrase, const QByteArray &salt, const ScryptParams &params, int length)
{
    if (!scryptParamsWithinLimits(params))
        return Error::invalid(QStringLiteral("crypto.scrypt_limits"),
                              tr("scrypt parameters N=%1, r=%2, p=%3 are outside what PayDesk accepts (N a power of two "
                                 "up to %4, r up to %5, p up to %6, at most %7 MiB of memory).")
                                  .arg(params.n).arg(params.r).arg(params.p)
                                  .arg(kScryptMaxN).arg(kScryptMaxR).arg(kScryptMaxP).arg(kScryptMaxMemory >> 20));
    // 128 * N * r * p bytes of work memory (at most 1 GiB, checked above), with room to spare.
    const quint64 maxmem = 128 * params.n * params.r * params.p + (quint64(16) << 20);
    QByteArray out(length, Qt::Uninitialized);
    if (EVP_PBE_scrypt(passphrase.constData(), size_t(passphrase.size()), uc(salt), size_t(salt.size()), params.n,
                       params.r, params.p, maxmem, reinterpret_cast<unsigned char *>(out.data()), size_t(length))
        != 1)
        return Error::invalid(QStringLiteral("crypto.scrypt"),
                              tr("scrypt refused its parameters (N=%1, r=%2, p=%3): %4")
                                  .arg(params.n).arg(params.r).arg(params.p).arg(opensslError()));
    return out;
}

QByteArray randomBytes(int count)
{
    QByteArray out(count, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(out.data()), count) != 1)
        qFatal("RAND_bytes failed: the system has no usable randomness");
    return out;
}

QByteArray randomAlnum(int count)
{
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QByteArray out;
    out.reserve(count);
    while (out.size() < count) {
        const QByteArray bytes = randomBytes(count);
        for (char b : bytes) {
            const auto v = quint8(b);
            if (v < 248 && out.size() < count) // 248 = 4 * 62: no modulo bias
                out.append(kAlphabet[v % 62]);
        }
    }
    return out;
}

void wipe(QByteArray &secret)
{
    // Only a buffer nobody else shares can be wiped in place (data() would detach a copy).
    if (!secret.isEmpty() && secret.isDetached())
        OPENSSL_cleanse(secret.data(), size_t(secret.size()));
    secret.clear();
}

} // namespace paydesk::crypto
