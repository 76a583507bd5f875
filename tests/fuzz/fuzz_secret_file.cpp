// The encrypted secrets file (core/channels/SecretStore: EncryptedFileSecretStore::load), as
// PAYDESK_SECRET_FILE names it. The first byte picks:
//   0: the rest is the file as it is on disk (JSON envelope, scrypt parameters, nonce, data);
//   1: the rest is the decrypted content: the harness encrypts it as a well-formed file with the
//      right passphrase, so the input reaches the parsing behind the authentication.
// Invariants: nothing but a well-formed file with the right passphrase opens; scrypt's cost is
// bounded (see crypto::scryptParamsWithinLimits), which libFuzzer's -rss_limit_mb would catch.

#include "FuzzSupport.h"

#include "channels/SecretStore.h"
#include "crypto/Crypto.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace paydesk;

namespace {
const QByteArray kPassphrase = "correct horse battery staple";
const crypto::ScryptParams kParams{1024, 8, 1};
const QByteArray kSalt = "PayDeskFuzzSalt!";

const QString &path()
{
    static QTemporaryDir dir;
    static const QString p = dir.filePath(QStringLiteral("secrets.json"));
    return p;
}

const QByteArray &fileKey()
{
    static const QByteArray k = crypto::scrypt(kPassphrase, kSalt, kParams, 32).value();
    return k;
}

void writeFile(const QByteArray &bytes)
{
    QFile f(path());
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(bytes) != bytes.size())
        fuzz::fail("cannot write the scratch secrets file");
}

/// The file save() writes, around `plain`.
QByteArray wellFormed(const QByteArray &plain)
{
    const QByteArray aad = "paydesk-secrets/1/scrypt/1024/8/1/" + kSalt.toBase64();
    const QByteArray nonce = "fuzz-nonce12";
    const QByteArray data = crypto::aes256GcmEncrypt(fileKey(), nonce, aad, plain).value();
    const QJsonObject o{{QStringLiteral("format"), QStringLiteral("paydesk-secrets")},
                        {QStringLiteral("version"), 1},
                        {QStringLiteral("kdf"), QJsonObject{{QStringLiteral("name"), QStringLiteral("scrypt")},
                                                            {QStringLiteral("n"), 1024},
                                                            {QStringLiteral("r"), 8},
                                                            {QStringLiteral("p"), 1},
                                                            {QStringLiteral("salt"), QString::fromLatin1(kSalt.toBase64())}}},
                        {QStringLiteral("cipher"), QStringLiteral("AES-256-GCM")},
                        {QStringLiteral("nonce"), QString::fromLatin1(nonce.toBase64())},
                        {QStringLiteral("data"), QString::fromLatin1(data.toBase64())}};
    return QJsonDocument(o).toJson();
}
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    (void)path();
    (void)fileKey();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::Input in(data, size);
    const bool encrypt = in.byte() % 2 == 1;
    const QByteArray rest = in.rest();
    writeFile(encrypt ? wellFormed(rest) : rest);
    EncryptedFileSecretStore store(path(), kPassphrase, kParams);
    auto secret = store.read(QStringLiteral("wechat/1900000109/private_key"));
    if (!secret && secret.error().message.isEmpty())
        fuzz::fail("a refusal without message");
    if (encrypt) {
        // The authenticated content decides; a second store with a wrong passphrase never opens it.
        EncryptedFileSecretStore wrong(path(), "Tr0ub4dor&3", kParams);
        if (wrong.read(QStringLiteral("wechat/1900000109/private_key")))
            fuzz::fail("a wrong passphrase opened the file");
        // Writing keeps every other entry (load, insert, save) and reads back.
        if (store.write(QStringLiteral("fuzz"), "x")) {
            auto back = store.read(QStringLiteral("fuzz"));
            if (!back || back.value() != "x")
                fuzz::fail("a written secret does not read back");
        }
    }
    return 0;
}
