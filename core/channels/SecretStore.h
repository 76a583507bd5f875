#pragma once

#include "crypto/Crypto.h"
#include "util/Result.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QString>

#include <memory>

namespace paydesk {

/// Where channel secrets (merchant private keys, the APIv3 key) live: the OS keychain, or where
/// none runs (a server, CI) a file encrypted with AES-256-GCM under a key derived with scrypt
/// from PAYDESK_SECRET_PASSPHRASE. Never the database, settings or logs.
///
/// Calls are synchronous. The keychain answers through a short local event loop, so call this
/// at start-up or from a command, not from a paint or timer path.
class SecretStore
{
public:
    virtual ~SecretStore() = default;
    /// "keychain" or "file": recorded with each profile, so a later run knows where to look.
    virtual QString kind() const = 0;
    /// A human-readable location for messages ("OS keychain (service PayDesk)", a path).
    virtual QString location() const = 0;
    virtual Status write(const QString &key, const QByteArray &secret) = 0;
    /// Error::Kind::NotFound when there is no such secret.
    virtual Result<QByteArray> read(const QString &key) = 0;
    /// Removing a secret that is not there is not an error.
    virtual Status remove(const QString &key) = 0;

    /// The store to use, from the environment:
    ///  - PAYDESK_SECRET_STORE=keychain|file forces one;
    ///  - otherwise PAYDESK_SECRET_PASSPHRASE set means the encrypted file;
    ///  - otherwise the OS keychain, if one answers;
    ///  - otherwise an error that says how to set up the file.
    /// The file is PAYDESK_SECRET_FILE, or `defaultFile`.
    static Result<std::unique_ptr<SecretStore>> openDefault(const QString &defaultFile);
};

/// The OS keychain through QtKeychain (Secret Service/KWallet, macOS Keychain, Windows
/// Credential Store). The insecure plain-text fallback of QtKeychain stays off.
class KeychainSecretStore final : public SecretStore
{
    Q_DECLARE_TR_FUNCTIONS(KeychainSecretStore)
public:
    explicit KeychainSecretStore(QString service = QStringLiteral("PayDesk"));
    QString kind() const override { return QStringLiteral("keychain"); }
    QString location() const override;
    Status write(const QString &key, const QByteArray &secret) override;
    Result<QByteArray> read(const QString &key) override;
    Status remove(const QString &key) override;
    /// Whether a keychain backend answers at all (a read of a key that does not exist).
    static bool available(const QString &service = QStringLiteral("PayDesk"));

private:
    QString m_service;
};

/// One file holding every secret, AES-256-GCM encrypted; the key comes from a passphrase via
/// scrypt (N=2^17, r=8, p=1 by default) with a random salt stored in the file. Written
/// atomically (QSaveFile) with owner-only permissions. A wrong passphrase or a tampered file
/// is refused, never decrypted into garbage.
class EncryptedFileSecretStore final : public SecretStore
{
    Q_DECLARE_TR_FUNCTIONS(EncryptedFileSecretStore)
public:
    EncryptedFileSecretStore(QString path, QByteArray passphrase, crypto::ScryptParams params = {});
    ~EncryptedFileSecretStore() override;
    Q_DISABLE_COPY_MOVE(EncryptedFileSecretStore)

    QString kind() const override { return QStringLiteral("file"); }
    QString location() const override { return m_path; }
    Status write(const QString &key, const QByteArray &secret) override;
    Result<QByteArray> read(const QString &key) override;
    Status remove(const QString &key) override;

private:
    struct Contents;
    Result<Contents> load();
    Status save(const Contents &contents);
    Result<QByteArray> keyFor(const QByteArray &salt, const crypto::ScryptParams &params);

    QString m_path;
    QByteArray m_passphrase;
    crypto::ScryptParams m_params;
    QByteArray m_cachedSalt;
    crypto::ScryptParams m_cachedParams;
    QByteArray m_cachedKey;
};

} // namespace paydesk
