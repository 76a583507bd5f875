#include "channels/SecretStore.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QTimer>

#include <qt6keychain/keychain.h>

namespace paydesk {

// ---- choosing a store ---------------------------------------------------------------------

Result<std::unique_ptr<SecretStore>> SecretStore::openDefault(const QString &defaultFile)
{
    const QString mode = qEnvironmentVariable("PAYDESK_SECRET_STORE").toLower();
    const QByteArray passphrase = qgetenv("PAYDESK_SECRET_PASSPHRASE");
    QString file = qEnvironmentVariable("PAYDESK_SECRET_FILE");
    if (file.isEmpty())
        file = defaultFile;
    auto fileStore = [&]() -> Result<std::unique_ptr<SecretStore>> {
        if (passphrase.isEmpty())
            return Error::invalid(QStringLiteral("secrets.no_passphrase"),
                                  EncryptedFileSecretStore::tr("The encrypted secrets file needs a passphrase in "
                                                               "PAYDESK_SECRET_PASSPHRASE."));
        if (file.isEmpty())
            return Error::invalid(QStringLiteral("secrets.no_file"),
                                  EncryptedFileSecretStore::tr("No secrets file: set PAYDESK_SECRET_FILE."));
        return std::unique_ptr<SecretStore>(new EncryptedFileSecretStore(file, passphrase));
    };
    if (mode == QStringLiteral("file"))
        return fileStore();
    if (mode == QStringLiteral("keychain"))
        return std::unique_ptr<SecretStore>(new KeychainSecretStore());
    if (!mode.isEmpty())
        return Error::invalid(QStringLiteral("secrets.bad_store"),
                              KeychainSecretStore::tr("PAYDESK_SECRET_STORE must be \"keychain\" or \"file\" (got \"%1\").").arg(mode));
    if (!passphrase.isEmpty())
        return fileStore();
    if (KeychainSecretStore::available())
        return std::unique_ptr<SecretStore>(new KeychainSecretStore());
    return Error::invalid(QStringLiteral("secrets.unavailable"),
                          KeychainSecretStore::tr("No OS keychain answers here. Set PAYDESK_SECRET_PASSPHRASE to keep the "
                                                  "channel secrets in an encrypted file instead (%1).")
                              .arg(file));
}

// ---- keychain -----------------------------------------------------------------------------

namespace {

/// Runs a QtKeychain job to its end in a local event loop (with a safety timeout).
bool runJob(QKeychain::Job *job)
{
    QEventLoop loop;
    bool finished = false;
    QObject::connect(job, &QKeychain::Job::finished, &loop, [&finished, &loop] {
        finished = true;
        loop.quit();
    });
    QTimer::singleShot(30'000, &loop, &QEventLoop::quit);
    job->start();
    if (!finished)
        loop.exec();
    return finished;
}

Error keychainError(const QKeychain::Job &job, const QString &what)
{
    if (job.error() == QKeychain::EntryNotFound)
        return Error::notFound(QStringLiteral("secrets.not_found"), KeychainSecretStore::tr("No secret %1 in the keychain.").arg(what));
    if (job.error() == QKeychain::AccessDenied || job.error() == QKeychain::AccessDeniedByUser)
        return Error::forbidden(QStringLiteral("secrets.denied"),
                                KeychainSecretStore::tr("The keychain refused access to %1: %2").arg(what, job.errorString()));
    return Error::storage(KeychainSecretStore::tr("The keychain failed on %1: %2. Where no keychain runs, set "
                                                  "PAYDESK_SECRET_PASSPHRASE to keep the secrets in an encrypted file.")
                              .arg(what, job.errorString()));
}

} // namespace

KeychainSecretStore::KeychainSecretStore(QString service) : m_service(std::move(service)) {}

QString KeychainSecretStore::location() const
{
    return tr("OS keychain (service %1)").arg(m_service);
}

Status KeychainSecretStore::write(const QString &key, const QByteArray &secret)
{
    QKeychain::WritePasswordJob job(m_service);
    job.setAutoDelete(false);
    job.setInsecureFallback(false);
    job.setKey(key);
    job.setBinaryData(secret);
    if (!runJob(&job))
        return Error::storage(tr("The keychain did not answer in time."));
    if (job.error() != QKeychain::NoError)
        return keychainError(job, key);
    return {};
}

Result<QByteArray> KeychainSecretStore::read(const QString &key)
{
    QKeychain::ReadPasswordJob job(m_service);
    job.setAutoDelete(false);
    job.setInsecureFallback(false);
    job.setKey(key);
    if (!runJob(&job))
        return Error::storage(tr("The keychain did not answer in time."));
    if (job.error() != QKeychain::NoError)
        return keychainError(job, key);
    return job.binaryData();
}

Status KeychainSecretStore::remove(const QString &key)
{
    QKeychain::DeletePasswordJob job(m_service);
    job.setAutoDelete(false);
    job.setInsecureFallback(false);
    job.setKey(key);
    if (!runJob(&job))
        return Error::storage(tr("The keychain did not answer in time."));
    if (job.error() != QKeychain::NoError && job.error() != QKeychain::EntryNotFound)
        return keychainError(job, key);
    return {};
}

bool KeychainSecretStore::available(const QString &service)
{
    QKeychain::ReadPasswordJob job(service);
    job.setAutoDelete(false);
    job.setInsecureFallback(false);
    job.setKey(QStringLiteral("paydesk-keychain-probe"));
    if (!runJob(&job))
        return false;
    return job.error() == QKeychain::NoError || job.error() == QKeychain::EntryNotFound;
}

// ---- encrypted file -----------------------------------------------------------------------

namespace {
constexpr char kFormat[] = "paydesk-secrets";

QByteArray aadFor(const QByteArray &salt, const crypto::ScryptParams &p)
{
    return QByteArrayLiteral("paydesk-secrets/1/scrypt/") + QByteArray::number(p.n) + '/' + QByteArray::number(p.r) + '/'
        + QByteArray::number(p.p) + '/' + salt.toBase64();
}
} // namespace

struct EncryptedFileSecretStore::Contents
{
    QByteArray salt;
    crypto::ScryptParams params;
    QJsonObject entries; ///< key -> base64 secret
};

EncryptedFileSecretStore::EncryptedFileSecretStore(QString path, QByteArray passphrase, crypto::ScryptParams params)
    : m_path(std::move(path)), m_passphrase(std::move(passphrase)), m_params(params)
{
}

EncryptedFileSecretStore::~EncryptedFileSecretStore()
{
    crypto::wipe(m_passphrase);
    crypto::wipe(m_cachedKey);
}

Result<QByteArray> EncryptedFileSecretStore::keyFor(const QByteArray &salt, const crypto::ScryptParams &params)
{
    if (!m_cachedKey.isEmpty() && m_cachedSalt == salt && m_cachedParams.n == params.n && m_cachedParams.r == params.r
        && m_cachedParams.p == params.p)
        return m_cachedKey;
    auto key = crypto::scrypt(m_passphrase, salt, params, 32);
    if (!key)
        return key.error();
    crypto::wipe(m_cachedKey);
    m_cachedKey = key.value();
    m_cachedSalt = salt;
    m_cachedParams = params;
    return m_cachedKey;
}

Result<EncryptedFileSecretStore::Contents> EncryptedFileSecretStore::load()
{
    Contents c;
    QFile f(m_path);
    if (!f.exists()) {
        c.salt = crypto::randomBytes(16);
        c.params = m_params;
        return c;
    }
    if (!f.open(QIODevice::ReadOnly))
        return Error::storage(tr("Cannot read the secrets file %1: %2").arg(m_path, f.errorString()));
    const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    const QJsonObject kdf = o.value(QStringLiteral("kdf")).toObject();
    if (o.value(QStringLiteral("format")).toString() != QLatin1String(kFormat) || o.value(QStringLiteral("version")).toInt() != 1
        || kdf.value(QStringLiteral("name")).toString() != QStringLiteral("scrypt"))
        return Error::invalid(QStringLiteral("secrets.bad_file"), tr("%1 is not a PayDesk secrets file.").arg(m_path));
    c.salt = QByteArray::fromBase64(kdf.value(QStringLiteral("salt")).toString().toLatin1());
    const QByteArray nonce = QByteArray::fromBase64(o.value(QStringLiteral("nonce")).toString().toLatin1());
    const QByteArray data = QByteArray::fromBase64(o.value(QStringLiteral("data")).toString().toLatin1());
    // The parameters come from a file anyone with write access can edit: without maxima, a huge
    // N makes scrypt allocate gigabytes and run for minutes before the passphrase is even tried.
    const auto kdfInteger = [&kdf](const char *name) -> quint64 {
        const QJsonValue v = kdf.value(QLatin1String(name));
        return v.isDouble() && v.toInteger(-1) > 0 ? quint64(v.toInteger()) : 0;
    };
    c.params.n = kdfInteger("n");
    c.params.r = kdfInteger("r");
    c.params.p = kdfInteger("p");
    if (c.salt.size() < 16 || c.params.n < 1024 || !crypto::scryptParamsWithinLimits(c.params))
        return Error::invalid(QStringLiteral("secrets.bad_file"),
                              tr("%1 has unusable key-derivation parameters (scrypt N=%2, r=%3, p=%4; PayDesk accepts N a "
                                 "power of two from 1024 to %5, r up to %6, p up to %7, at most %8 MiB of memory). The file "
                                 "may have been altered.")
                                  .arg(m_path)
                                  .arg(c.params.n).arg(c.params.r).arg(c.params.p)
                                  .arg(crypto::kScryptMaxN).arg(crypto::kScryptMaxR).arg(crypto::kScryptMaxP)
                                  .arg(crypto::kScryptMaxMemory >> 20));
    auto key = keyFor(c.salt, c.params);
    if (!key)
        return key.error();
    auto plain = crypto::aes256GcmDecrypt(key.value(), nonce, aadFor(c.salt, c.params), data);
    if (!plain)
        return Error::forbidden(QStringLiteral("secrets.wrong_passphrase"),
                                tr("Cannot open the secrets file %1: the passphrase (PAYDESK_SECRET_PASSPHRASE) is wrong or "
                                   "the file was altered.")
                                    .arg(m_path));
    c.entries = QJsonDocument::fromJson(plain.value()).object();
    crypto::wipe(plain.value());
    return c;
}

Status EncryptedFileSecretStore::save(const Contents &c)
{
    auto key = keyFor(c.salt, c.params);
    if (!key)
        return key.error();
    QByteArray plain = QJsonDocument(c.entries).toJson(QJsonDocument::Compact);
    const QByteArray nonce = crypto::randomBytes(12);
    auto data = crypto::aes256GcmEncrypt(key.value(), nonce, aadFor(c.salt, c.params), plain);
    crypto::wipe(plain);
    if (!data)
        return data.error();
    const QJsonObject o{{QStringLiteral("format"), QLatin1String(kFormat)},
                        {QStringLiteral("version"), 1},
                        {QStringLiteral("kdf"), QJsonObject{{QStringLiteral("name"), QStringLiteral("scrypt")},
                                                            {QStringLiteral("n"), qint64(c.params.n)},
                                                            {QStringLiteral("r"), qint64(c.params.r)},
                                                            {QStringLiteral("p"), qint64(c.params.p)},
                                                            {QStringLiteral("salt"), QString::fromLatin1(c.salt.toBase64())}}},
                        {QStringLiteral("cipher"), QStringLiteral("AES-256-GCM")},
                        {QStringLiteral("nonce"), QString::fromLatin1(nonce.toBase64())},
                        {QStringLiteral("data"), QString::fromLatin1(data->toBase64())}};
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QSaveFile f(m_path);
    if (!f.open(QIODevice::WriteOnly))
        return Error::storage(tr("Cannot write the secrets file %1: %2").arg(m_path, f.errorString()));
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    f.write(QJsonDocument(o).toJson(QJsonDocument::Indented));
    if (!f.commit())
        return Error::storage(tr("Cannot write the secrets file %1: %2").arg(m_path, f.errorString()));
    QFile::setPermissions(m_path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return {};
}

Status EncryptedFileSecretStore::write(const QString &key, const QByteArray &secret)
{
    auto c = load();
    if (!c)
        return c.error();
    c.value().entries.insert(key, QString::fromLatin1(secret.toBase64()));
    return save(c.value());
}

Result<QByteArray> EncryptedFileSecretStore::read(const QString &key)
{
    if (!QFile::exists(m_path))
        return Error::notFound(QStringLiteral("secrets.not_found"), tr("No secret %1: %2 does not exist.").arg(key, m_path));
    auto c = load();
    if (!c)
        return c.error();
    const QJsonValue v = c->entries.value(key);
    if (!v.isString())
        return Error::notFound(QStringLiteral("secrets.not_found"), tr("No secret %1 in %2.").arg(key, m_path));
    return QByteArray::fromBase64(v.toString().toLatin1());
}

Status EncryptedFileSecretStore::remove(const QString &key)
{
    if (!QFile::exists(m_path))
        return {};
    auto c = load();
    if (!c)
        return c.error();
    if (!c->entries.contains(key))
        return {};
    c.value().entries.remove(key);
    return save(c.value());
}

} // namespace paydesk
