// ChannelProfile::fromJson (core/channels/ChannelProfile): the profile file that
// `paydeskctl channel add` reads. Its *_file keys name files next to the profile; the harness
// keeps them inside a scratch directory holding the committed test keys (an absolute path, a
// path with a separator or "..", becomes "missing.pem"), so an input like /dev/zero cannot hang
// the fuzzer and nothing outside is read. Invariants: an accepted profile validates, survives
// toJson/fromJson, and its public form carries no secret.

#include "FuzzSupport.h"

#include "channels/ChannelProfile.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace paydesk;

namespace {
QString &baseDir()
{
    static QString dir = [] {
        static QTemporaryDir scratch;
        for (const char *name : {"wechat_merchant.key.pem", "wechat_platform.pub.pem", "wechat_platform.cert.pem",
                                 "alipay_app.key.pem", "alipay.pub.pem"}) {
            QFile f(scratch.filePath(QString::fromLatin1(name)));
            if (!f.open(QIODevice::WriteOnly) || f.write(fuzz::key(name)) < 0)
                fuzz::fail("cannot fill the scratch directory");
        }
        return scratch.path();
    }();
    return dir;
}

QString confined(const QString &file)
{
    if (file.isEmpty() || file.contains(u'/') || file.contains(u'\\') || file == QStringLiteral(".")
        || file == QStringLiteral("..") || file.contains(QChar(0)))
        return QStringLiteral("missing.pem");
    return file;
}
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    (void)baseDir();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QJsonObject o = QJsonDocument::fromJson(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size))).object();
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (it.key().endsWith(QStringLiteral("_file")))
            it.value() = confined(it.value().toString());
    }
    auto profile = ChannelProfile::fromJson(o, baseDir());
    if (!profile) {
        if (profile.error().code.isEmpty() || profile.error().message.isEmpty())
            fuzz::fail("a refusal without code or message");
        return 0;
    }
    if (!profile->validate())
        fuzz::fail("fromJson accepted a profile that does not validate");
    auto again = ChannelProfile::fromJson(profile->toJson(true));
    if (!again)
        fuzz::fail("fromJson(toJson(true)) refused", again.error().message);
    // (An Alipay profile reads an api_v3_key but has no use for it and does not write it back.)
    if (again->privateKeyPem != profile->privateKeyPem || again->merchantId != profile->merchantId
        || again->gatewayUrl != profile->gatewayUrl || again->kind != profile->kind
        || (profile->kind == ChannelKind::WeChat && again->apiV3Key != profile->apiV3Key))
        fuzz::fail("fromJson(toJson(true)) differs");
    // The secrets must not show in the public forms (unless the input itself repeats them in a
    // field that is not secret, which is no leak).
    QJsonObject others = o;
    others.remove(QStringLiteral("private_key"));
    others.remove(QStringLiteral("private_key_file"));
    others.remove(QStringLiteral("api_v3_key"));
    const QByteArray open = QJsonDocument(others).toJson(QJsonDocument::Compact);
    const QByteArray keyPart = profile->privateKeyPem.size() > 64 ? profile->privateKeyPem.mid(40, 24) : QByteArray();
    const QByteArray apiKey = profile->apiV3Key.size() == 32 ? profile->apiV3Key : QByteArray();
    for (const QByteArray &form : {QJsonDocument(profile->toPublicJson()).toJson(), QJsonDocument(profile->toJson(false)).toJson()}) {
        if (!keyPart.isEmpty() && form.contains(keyPart) && !open.contains(keyPart))
            fuzz::fail("a public form of the profile carries the private key");
        if (!apiKey.isEmpty() && form.contains(apiKey) && !open.contains(apiKey))
            fuzz::fail("a public form of the profile carries the APIv3 key");
    }
    return 0;
}
