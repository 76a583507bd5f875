// Channel profiles (JSON import/export and validation), the secret stores, and the profile
// store that fills a ChannelRegistry.

#include "TestSupport.h"

#include "channels/AlipayChannel.h"
#include "channels/AuditingChannel.h"
#include "channels/ChannelProfile.h"
#include "channels/ChannelProfileStore.h"
#include "channels/ChannelRegistry.h"
#include "channels/SecretStore.h"
#include "channels/WeChatPayChannel.h"
#include "crypto/Crypto.h"
#include "storage/Database.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace paydesk;
using namespace Qt::StringLiterals;

namespace {

struct Keys
{
    QByteArray merchantPem, platformPub, certPem;
    QString certSerial;
};

const Keys &keys()
{
    static const Keys k = [] {
        Keys out;
        out.merchantPem = crypto::PrivateKey::generateRsa(2048).value().toPem();
        const auto platform = crypto::PrivateKey::generateRsa(2048).value();
        out.platformPub = platform.publicKey().toPem();
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        out.certPem = crypto::makeSelfSignedCertificate(platform, u"platform"_s, QByteArray::fromHex("0A0B0C0D"), now,
                                                        now + 86'400'000)
                          .value();
        out.certSerial = u"0A0B0C0D"_s;
        return out;
    }();
    return k;
}

QJsonObject wechatJson()
{
    return QJsonObject{{u"channel"_s, u"wechat"_s},
                       {u"name"_s, u"shop"_s},
                       {u"merchant_id"_s, u"1900000109"_s},
                       {u"app_id"_s, u"wxd678efh567hg6787"_s},
                       {u"merchant_serial"_s, u"5f1c72e2a8931b72a2e13af8dee92471eb397115"_s},
                       {u"private_key"_s, QString::fromUtf8(keys().merchantPem)},
                       {u"api_v3_key"_s, u"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"_s},
                       {u"platform_certificates"_s, QJsonArray{QString::fromUtf8(keys().certPem)}},
                       {u"platform_public_key_id"_s, u"PUB_KEY_ID_0114232134912410000000000000"_s},
                       {u"platform_public_key"_s, QString::fromUtf8(keys().platformPub)},
                       {u"gateway_url"_s, u"https://api.mch.weixin.qq.com"_s},
                       {u"notify_url"_s, u"https://shop.example/notify"_s}};
}

QJsonObject alipayJson()
{
    return QJsonObject{{u"channel"_s, u"alipay"_s},
                       {u"app_id"_s, u"2021000000000001"_s},
                       {u"private_key"_s, QString::fromUtf8(keys().merchantPem)},
                       {u"platform_public_key"_s, QString::fromUtf8(keys().platformPub)}};
}

/// The staff a profile store test needs: an active ADMIN, a CLERK, and a disabled ADMIN.
void addStaff(Services &s)
{
    const QString pw = u"Correct-Horse-42-Battery!"_s;
    if (!s.users.add(QString(), u"admin"_s, QString(), Role::Admin, pw)
        || !s.users.add(u"admin"_s, u"clerk"_s, QString(), Role::Clerk, pw)
        || !s.users.add(u"admin"_s, u"former"_s, QString(), Role::Admin, pw)
        || !s.users.setActive(u"admin"_s, u"former"_s, false))
        qFatal("cannot add the staff");
}

/// What a key's fingerprint must be, computed here independently: SHA-256 of the DER in a PEM.
QString pemSha256(const QByteArray &pem)
{
    QByteArray b64;
    for (const QByteArray &line : pem.split('\n'))
        if (!line.startsWith("-----"))
            b64 += line.trimmed();
    return QString::fromLatin1(QCryptographicHash::hash(QByteArray::fromBase64(b64), QCryptographicHash::Sha256).toHex());
}

QList<AuditEntry> auditOf(Services &s, const QString &object, const QString &action)
{
    QList<AuditEntry> out;
    const auto all = s.audit.list({object, {}, 0, 200});
    if (!all)
        qFatal("audit list: %s", qPrintable(all.error().message));
    for (const AuditEntry &e : all.value())
        if (e.action == action)
            out << e;
    return out;
}

} // namespace

class TestChannelProfile : public QObject
{
    Q_OBJECT
private slots:
    void wechatRoundTrip()
    {
        auto p = ChannelProfile::fromJson(wechatJson());
        QVERIFY2(p, p ? "" : qPrintable(p.error().message));
        QVERIFY(p->kind == ChannelKind::WeChat);
        QCOMPARE(p->merchantSerial, u"5F1C72E2A8931B72A2E13AF8DEE92471EB397115"_s); // normalised
        QCOMPARE(p->platformCertificates.size(), 1);
        // Export with secrets reads back the same; without, it carries none.
        auto again = ChannelProfile::fromJson(p->toJson(true));
        QVERIFY(again);
        QCOMPARE(again->privateKeyPem, p->privateKeyPem);
        QCOMPARE(again->apiV3Key, p->apiV3Key);
        const QByteArray pub = QJsonDocument(p->toPublicJson()).toJson();
        QVERIFY(!pub.contains("PRIVATE KEY"));
        QVERIFY(!pub.contains("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"));
        QVERIFY(pub.contains("0A0B0C0D")); // the certificate serial is shown
        const QByteArray noSecrets = QJsonDocument(p->toJson(false)).toJson();
        QVERIFY(!noSecrets.contains("PRIVATE KEY"));
        QVERIFY(!noSecrets.contains("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"));
    }

    void alipayDefaults()
    {
        auto p = ChannelProfile::fromJson(alipayJson());
        QVERIFY2(p, p ? "" : qPrintable(p.error().message));
        QCOMPARE(p->gatewayUrl, u"https://openapi.alipay.com/gateway.do"_s);
        QVERIFY(AlipayChannel::create(p.value(), SystemClock()).ok());
    }

    void keyFiles()
    {
        QTemporaryDir dir;
        QFile key(dir.filePath(u"apiclient_key.pem"_s));
        QVERIFY(key.open(QIODevice::WriteOnly));
        key.write(keys().merchantPem);
        key.close();
        QJsonObject o = wechatJson();
        o.remove(u"private_key"_s);
        o.insert(u"private_key_file"_s, u"apiclient_key.pem"_s);
        QFile profile(dir.filePath(u"wechat.json"_s));
        QVERIFY(profile.open(QIODevice::WriteOnly));
        profile.write(QJsonDocument(o).toJson());
        profile.close();
        auto p = ChannelProfile::fromFile(profile.fileName());
        QVERIFY2(p, p ? "" : qPrintable(p.error().message));
        QCOMPARE(p->privateKeyPem, keys().merchantPem);
        QCOMPARE(ChannelProfile::fromFile(dir.filePath(u"missing.json"_s)).error().code, u"profile.file_missing"_s);
    }

    void refusals_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("code");
        QTest::newRow("plain http") << u"gateway_url"_s << QJsonValue(u"http://api.mch.weixin.qq.com"_s) << u"profile.insecure_gateway"_s;
        QTest::newRow("http to loopback, no sandbox flag") << u"gateway_url"_s << QJsonValue(u"http://127.0.0.1:8080"_s)
                                                           << u"profile.insecure_gateway"_s;
        QTest::newRow("sandbox not a boolean") << u"sandbox"_s << QJsonValue(u"yes"_s) << u"profile.bad_value"_s;
        QTest::newRow("http to a LAN host") << u"gateway_url"_s << QJsonValue(u"http://192.168.1.10:8080"_s) << u"profile.insecure_gateway"_s;
        QTest::newRow("ftp") << u"gateway_url"_s << QJsonValue(u"ftp://example.com"_s) << u"profile.bad_gateway"_s;
        QTest::newRow("16-byte APIv3 key") << u"api_v3_key"_s << QJsonValue(u"testMchAPIv3Key0"_s) << u"profile.bad_api_v3_key"_s;
        QTest::newRow("bad private key") << u"private_key"_s << QJsonValue(u"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"_s)
                                         << u"crypto.bad_private_key"_s;
        QTest::newRow("no mchid") << u"merchant_id"_s << QJsonValue(QString()) << u"profile.missing"_s;
        QTest::newRow("no serial") << u"merchant_serial"_s << QJsonValue(QString()) << u"profile.missing"_s;
        QTest::newRow("unknown key") << u"mch_id"_s << QJsonValue(u"1"_s) << u"profile.unknown_key"_s;
        QTest::newRow("bad channel") << u"channel"_s << QJsonValue(u"paypal"_s) << u"profile.bad_channel"_s;
        QTest::newRow("sim channel") << u"channel"_s << QJsonValue(u"sim"_s) << u"profile.bad_channel"_s;
        QTest::newRow("bad certificate") << u"platform_certificates"_s << QJsonValue(QJsonArray{u"nope"_s}) << u"crypto.bad_certificate"_s;
        QTest::newRow("not a string") << u"app_id"_s << QJsonValue(42) << u"profile.bad_value"_s;
    }
    void refusals()
    {
        QFETCH(QString, key);
        QFETCH(QJsonValue, value);
        QFETCH(QString, code);
        QJsonObject o = wechatJson();
        o.insert(key, value);
        auto p = ChannelProfile::fromJson(o);
        QVERIFY(!p);
        QCOMPARE(p.error().code, code);
        QVERIFY(!p.error().message.isEmpty());
        QVERIFY(!p.error().message.contains(u"PRIVATE KEY"_s));
    }

    void loopbackHttpAllowed_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("sandbox");
        QTest::addColumn<bool>("ok");
        QTest::newRow("127.0.0.1") << u"http://127.0.0.1:8080"_s << true << true;
        QTest::newRow("127.1.2.3") << u"http://127.1.2.3:8080"_s << true << true;
        QTest::newRow("::1") << u"http://[::1]:8080"_s << true << true;
        QTest::newRow("localhost") << u"http://localhost:8080"_s << true << true;
        QTest::newRow("LOCALHOST") << u"http://LOCALHOST"_s << true << true;
        QTest::newRow("https anywhere") << u"https://api2.mch.weixin.qq.com"_s << false << true;
        QTest::newRow("https loopback") << u"https://127.0.0.1:8443"_s << false << true;
        // Plain http to loopback is the sandbox's privilege, not any profile's.
        QTest::newRow("127.0.0.1, not sandbox") << u"http://127.0.0.1:8080"_s << false << false;
        QTest::newRow("::1, not sandbox") << u"http://[::1]:8080"_s << false << false;
        QTest::newRow("localhost, not sandbox") << u"http://localhost"_s << false << false;
        QTest::newRow("localhost.evil.com") << u"http://localhost.evil.com"_s << true << false;
        QTest::newRow("128.0.0.1") << u"http://128.0.0.1"_s << true << false;
        QTest::newRow("0.0.0.0") << u"http://0.0.0.0:80"_s << true << false;
        QTest::newRow("::ffff:10.0.0.1") << u"http://[::ffff:10.0.0.1]"_s << true << false;
        QTest::newRow("ws, sandbox") << u"ws://127.0.0.1:8080"_s << true << false;
        QTest::newRow("file") << u"file:///etc/passwd"_s << true << false;
    }
    void loopbackHttpAllowed()
    {
        QFETCH(QString, url);
        QFETCH(bool, sandbox);
        QFETCH(bool, ok);
        QCOMPARE(checkGatewayUrl(url, sandbox).ok(), ok);
        // The same rule when a channel is built from a profile.
        QJsonObject o = wechatJson();
        o.insert(u"gateway_url"_s, url);
        if (sandbox)
            o.insert(u"sandbox"_s, true);
        QCOMPARE(ChannelProfile::fromJson(o).ok(), ok);
        ChannelProfile p = ChannelProfile::fromJson(wechatJson()).value();
        p.gatewayUrl = url;
        p.sandbox = sandbox;
        QCOMPARE(WeChatPayChannel::create(p, SystemClock()).ok(), ok);
    }

    void sandboxFlagRoundTrips()
    {
        QJsonObject o = wechatJson();
        o.insert(u"gateway_url"_s, u"http://127.0.0.1:8080"_s);
        o.insert(u"sandbox"_s, true);
        auto p = ChannelProfile::fromJson(o);
        QVERIFY2(p, p ? "" : qPrintable(p.error().message));
        QVERIFY(p->sandbox);
        QCOMPARE(p->toPublicJson().value(u"sandbox"_s).toBool(), true);
        auto again = ChannelProfile::fromJson(p->toJson(true));
        QVERIFY(again);
        QVERIFY(again->sandbox);
        QVERIFY(!ChannelProfile::fromJson(wechatJson())->sandbox);
        QVERIFY(!ChannelProfile::fromJson(wechatJson())->toPublicJson().contains(u"sandbox"_s));
    }

    void wechatNeedsAVerificationKey()
    {
        QJsonObject o = wechatJson();
        o.remove(u"platform_certificates"_s);
        o.remove(u"platform_public_key"_s);
        QCOMPARE(ChannelProfile::fromJson(o).error().code, u"profile.missing"_s);
        QJsonObject noId = wechatJson();
        noId.remove(u"platform_public_key_id"_s);
        QCOMPARE(ChannelProfile::fromJson(noId).error().code, u"profile.missing"_s);
    }

    // ---- secret stores ----
    void encryptedFileStore()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"secrets.bin"_s);
        const crypto::ScryptParams cheap{1024, 8, 1};
        {
            EncryptedFileSecretStore store(path, "correct horse battery staple", cheap);
            QCOMPARE(store.read(u"missing"_s).error().kind, Error::Kind::NotFound);
            QVERIFY(store.write(u"a/private_key"_s, keys().merchantPem));
            QVERIFY(store.write(u"a/api_v3_key"_s, "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"));
            QCOMPARE(store.read(u"a/private_key"_s).value(), keys().merchantPem);
        }
        // Nothing readable on disk, owner-only permissions.
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray raw = f.readAll();
        f.close();
        QVERIFY(!raw.contains("PRIVATE KEY"));
        QVERIFY(!raw.contains("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"));
        QVERIFY(!raw.contains(keys().merchantPem.mid(40, 30)));
        QVERIFY(raw.contains("scrypt"));
        QCOMPARE(QFile::permissions(path) & (QFileDevice::ReadGroup | QFileDevice::ReadOther), QFileDevice::Permissions());
        // Another process with the same passphrase reads it; a wrong passphrase does not.
        EncryptedFileSecretStore again(path, "correct horse battery staple", cheap);
        QCOMPARE(again.read(u"a/api_v3_key"_s).value(), QByteArray("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"));
        QVERIFY(again.remove(u"a/api_v3_key"_s));
        QCOMPARE(again.read(u"a/api_v3_key"_s).error().kind, Error::Kind::NotFound);
        QVERIFY(again.remove(u"never-there"_s));
        EncryptedFileSecretStore wrong(path, "Tr0ub4dor&3", cheap);
        auto denied = wrong.read(u"a/private_key"_s);
        QVERIFY(!denied);
        QCOMPARE(denied.error().code, u"secrets.wrong_passphrase"_s);
        QVERIFY(!wrong.write(u"b"_s, "x")); // and cannot overwrite it either
        // A flipped byte in the ciphertext: refused, not garbage.
        QJsonObject o = QJsonDocument::fromJson(raw).object();
        QByteArray data = QByteArray::fromBase64(o.value(u"data"_s).toString().toLatin1());
        data[5] = char(data[5] ^ 0x40);
        o.insert(u"data"_s, QString::fromLatin1(data.toBase64()));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(o).toJson());
        f.close();
        EncryptedFileSecretStore tampered(path, "correct horse battery staple", cheap);
        QCOMPARE(tampered.read(u"a/private_key"_s).error().code, u"secrets.wrong_passphrase"_s);
    }

    // A tampered secrets file must not make scrypt allocate gigabytes (or wrap its memory limit
    // around): parameters beyond the maxima are refused before any key derivation.
    void encryptedFileRefusesHugeScryptParameters_data()
    {
        QTest::addColumn<QJsonValue>("n");
        QTest::addColumn<QJsonValue>("r");
        QTest::addColumn<QJsonValue>("p");
        QTest::newRow("N=2^30 (a TiB)") << QJsonValue(qint64(1) << 30) << QJsonValue(8) << QJsonValue(1);
        QTest::newRow("N=2^57, r=8 (128*N*r wraps to 0)") << QJsonValue(qint64(1) << 57) << QJsonValue(8) << QJsonValue(1);
        QTest::newRow("N=2^21 (over the N cap)") << QJsonValue(qint64(1) << 21) << QJsonValue(8) << QJsonValue(1);
        QTest::newRow("N=2^20, r=16 (2 GiB)") << QJsonValue(qint64(1) << 20) << QJsonValue(16) << QJsonValue(1);
        QTest::newRow("r=33") << QJsonValue(1024) << QJsonValue(33) << QJsonValue(1);
        QTest::newRow("p=17") << QJsonValue(1024) << QJsonValue(8) << QJsonValue(17);
        QTest::newRow("r=2^62") << QJsonValue(1024) << QJsonValue(qint64(1) << 62) << QJsonValue(1);
        QTest::newRow("N=-1") << QJsonValue(-1) << QJsonValue(8) << QJsonValue(1);
        QTest::newRow("N not a power of two") << QJsonValue(1025) << QJsonValue(8) << QJsonValue(1);
        QTest::newRow("N=1.5e300 (no integer)") << QJsonValue(1.5e300) << QJsonValue(8) << QJsonValue(1);
        QTest::newRow("N as text") << QJsonValue(u"131072"_s) << QJsonValue(8) << QJsonValue(1);
    }

    void encryptedFileRefusesHugeScryptParameters()
    {
        QFETCH(QJsonValue, n);
        QFETCH(QJsonValue, r);
        QFETCH(QJsonValue, p);
        QTemporaryDir dir;
        const QString path = dir.filePath(u"secrets.bin"_s);
        {
            EncryptedFileSecretStore store(path, "pass", crypto::ScryptParams{1024, 8, 1});
            QVERIFY(store.write(u"a/api_v3_key"_s, "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"));
        }
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        f.close();
        QJsonObject kdf = o.value(u"kdf"_s).toObject();
        kdf.insert(u"n"_s, n);
        kdf.insert(u"r"_s, r);
        kdf.insert(u"p"_s, p);
        o.insert(u"kdf"_s, kdf);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QJsonDocument(o).toJson());
        f.close();

        QElapsedTimer took;
        took.start();
        EncryptedFileSecretStore store(path, "pass", crypto::ScryptParams{1024, 8, 1});
        auto read = store.read(u"a/api_v3_key"_s);
        QVERIFY(!read);
        QCOMPARE(read.error().code, u"secrets.bad_file"_s);
        QVERIFY2(read.error().message.contains(u"scrypt N="_s), qPrintable(read.error().message));
        QVERIFY2(took.elapsed() < 1000, qPrintable(u"took %1 ms"_s.arg(took.elapsed())));
        QVERIFY(!store.write(u"b"_s, "x")); // nor overwritten with its own parameters
        // crypto::scrypt itself refuses them too, whoever calls it.
        if (n.isDouble() && r.isDouble() && n.toInteger() > 0 && r.toInteger() > 0) {
            const crypto::ScryptParams params{quint64(n.toInteger()), quint64(r.toInteger()), quint64(p.toInteger())};
            QCOMPARE(crypto::scrypt("pass", "0123456789abcdef", params).error().code, u"crypto.scrypt_limits"_s);
        }
    }

    void defaultStoreSelection()
    {
        QTemporaryDir dir;
        qputenv("PAYDESK_SECRET_STORE", "file");
        qunsetenv("PAYDESK_SECRET_PASSPHRASE");
        auto none = SecretStore::openDefault(dir.filePath(u"s.bin"_s));
        QVERIFY(!none);
        QCOMPARE(none.error().code, u"secrets.no_passphrase"_s);
        qputenv("PAYDESK_SECRET_PASSPHRASE", "pass");
        auto file = SecretStore::openDefault(dir.filePath(u"s.bin"_s));
        QVERIFY(file);
        QCOMPARE(file.value()->kind(), u"file"_s);
        QCOMPARE(file.value()->location(), dir.filePath(u"s.bin"_s));
        qputenv("PAYDESK_SECRET_STORE", "vault");
        QCOMPARE(SecretStore::openDefault(dir.filePath(u"s.bin"_s)).error().code, u"secrets.bad_store"_s);
        qunsetenv("PAYDESK_SECRET_STORE");
        auto implicit = SecretStore::openDefault(dir.filePath(u"s.bin"_s)); // passphrase set: the file
        QVERIFY(implicit);
        QCOMPARE(implicit.value()->kind(), u"file"_s);
        qunsetenv("PAYDESK_SECRET_PASSPHRASE");
    }

    // ---- the profile store ----
    void storeAndBuildRegistry()
    {
        test::ScratchDatabase scratch;
        PAYDESK_REQUIRE_DB(scratch);
        auto services = test::makeServices(scratch.url());
        addStaff(*services);
        QTemporaryDir dir;
        EncryptedFileSecretStore secrets(dir.filePath(u"secrets.bin"_s), "pass", {1024, 8, 1});
        ChannelProfileStore store(*services->db, secrets, services->audit, services->users, *services->clock);
        QCOMPARE(store.load(ChannelKind::WeChat).error().code, u"channel.not_configured"_s);

        auto wechat = ChannelProfile::fromJson(wechatJson());
        auto alipayProfile = ChannelProfile::fromJson(alipayJson());
        QVERIFY(store.save(wechat.value(), u"admin"_s));
        QVERIFY(store.save(alipayProfile.value(), u"admin"_s));
        auto listed = store.list();
        QVERIFY(listed);
        QCOMPARE(listed->size(), 2);
        for (const ChannelProfile &p : listed.value()) {
            QVERIFY(p.privateKeyPem.isEmpty());
            QVERIFY(p.apiV3Key.isEmpty());
            QVERIFY(!p.secretRef.isEmpty());
        }
        auto loaded = store.load(ChannelKind::WeChat);
        QVERIFY2(loaded, loaded ? "" : qPrintable(loaded.error().message));
        QCOMPARE(loaded->privateKeyPem, keys().merchantPem);
        QCOMPARE(loaded->apiV3Key, QByteArray("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"));
        QCOMPARE(loaded->platformCertificates, wechat->platformCertificates);
        QCOMPARE(loaded->notifyUrl, u"https://shop.example/notify"_s);

        // Replacing a profile keeps one row per kind.
        QJsonObject changed = wechatJson();
        changed.insert(u"name"_s, u"shop 2"_s);
        QVERIFY(store.save(ChannelProfile::fromJson(changed).value(), u"admin"_s));
        QCOMPARE(store.list()->size(), 2);
        QCOMPARE(store.load(ChannelKind::WeChat)->name, u"shop 2"_s);

        // The registry gets both channels.
        ChannelRegistry registry;
        const ChannelLoadReport report = addConfiguredChannels(store, registry, *services->clock);
        QVERIFY(report.errors.isEmpty());
        QCOMPARE(report.added.size(), 2);
        // Each real channel comes wrapped, so that forged answers are audited.
        auto *wechatCh = qobject_cast<AuditingChannel *>(registry.channel(ChannelKind::WeChat));
        auto *alipayCh = qobject_cast<AuditingChannel *>(registry.channel(ChannelKind::Alipay));
        QVERIFY(wechatCh && alipayCh);
        QVERIFY(qobject_cast<WeChatPayChannel *>(wechatCh->inner()));
        QVERIFY(qobject_cast<AlipayChannel *>(alipayCh->inner()));
        QVERIFY(wechatCh->kind() == ChannelKind::WeChat);

        // Audited, without secrets.
        auto audit = services->audit.list({u"channel:wechat"_s, {}, 0, 50});
        QVERIFY(audit);
        QCOMPARE(audit->size(), 2);
        for (const AuditEntry &e : audit.value())
            QCOMPARE(e.action, u"channel.profile_change"_s);

        // No secret anywhere in the database file.
        services.reset();
        if (test::backend() == u"sqlite"_s) {
            const QString dbPath = scratch.url().mid(7);
            QByteArray all;
            for (const QString &suffix : {QString(), u"-wal"_s}) {
                QFile db(dbPath + suffix);
                if (db.open(QIODevice::ReadOnly))
                    all += db.readAll();
            }
            QVERIFY(!all.isEmpty());
            QVERIFY(!all.contains("PRIVATE KEY"));
            QVERIFY(!all.contains("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"));
            QVERIFY(all.contains("wxd678efh567hg6787"));
        }
    }

    // Issue 13 item 10: only an active ADMIN, as the database knows them, changes a profile;
    // refusals and changes are audited, a change with the keys' fingerprints, never the keys.
    void storeRequiresAnActiveAdmin()
    {
        test::ScratchDatabase scratch;
        PAYDESK_REQUIRE_DB(scratch);
        auto services = test::makeServices(scratch.url());
        addStaff(*services);
        QTemporaryDir dir;
        EncryptedFileSecretStore secrets(dir.filePath(u"secrets.bin"_s), "pass", {1024, 8, 1});
        ChannelProfileStore store(*services->db, secrets, services->audit, services->users, *services->clock);
        const ChannelProfile wechat = ChannelProfile::fromJson(wechatJson()).value();

        for (const QString &who : {u"clerk"_s, u"former"_s, u"nobody"_s, u"setup"_s, QString()}) {
            const Status refused = store.save(wechat, who);
            QVERIFY2(!refused, qPrintable(who));
            QCOMPARE(refused.error().code, u"profile.admin_required"_s);
            QCOMPARE(refused.error().kind, Error::Kind::Forbidden);
        }
        QCOMPARE(store.list()->size(), 0);
        QCOMPARE(store.load(ChannelKind::WeChat).error().code, u"channel.not_configured"_s);
        const QList<AuditEntry> refusals = auditOf(*services, u"channel:wechat"_s, u"channel.profile_refused"_s);
        QCOMPARE(refusals.size(), 5);
        QStringList refusedUsers;
        for (const AuditEntry &e : refusals)
            refusedUsers << e.user;
        QVERIFY(refusedUsers.contains(u"clerk"_s));
        QVERIFY(refusedUsers.contains(u"former"_s));

        // The admin's change, audited with the gateway and the fingerprints.
        QVERIFY(store.save(wechat, u"admin"_s));
        QList<AuditEntry> changes = auditOf(*services, u"channel:wechat"_s, u"channel.profile_change"_s);
        QCOMPARE(changes.size(), 1);
        QCOMPARE(changes.first().user, u"admin"_s);
        QJsonObject d = changes.first().details;
        QCOMPARE(d.value(u"gateway_url"_s).toObject().value(u"after"_s).toString(), u"https://api.mch.weixin.qq.com"_s);
        QVERIFY(d.value(u"gateway_url"_s).toObject().value(u"before"_s).isNull());
        QJsonObject after = d.value(u"fingerprints"_s).toObject().value(u"after"_s).toObject();
        const QByteArray merchantPub = crypto::PrivateKey::fromPem(keys().merchantPem)->publicKey().toPem();
        QCOMPARE(after.value(u"merchant_key_sha256"_s).toString(), pemSha256(merchantPub));
        QCOMPARE(after.value(u"platform_public_key_sha256"_s).toString(), pemSha256(keys().platformPub));
        QCOMPARE(after.value(u"platform_certificates_sha256"_s).toArray().at(0).toString(), pemSha256(keys().certPem));
        QCOMPARE(after.value(u"merchant_key_sha256"_s).toString().size(), 64);
        const QByteArray text = QJsonDocument(d).toJson();
        QVERIFY(!text.contains("PRIVATE KEY"));
        QVERIFY(!text.contains("PUBLIC KEY"));
        QVERIFY(!text.contains("CERTIFICATE"));
        QVERIFY(!text.contains("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"));

        // A new gateway and a new platform key: before and after are both there.
        QJsonObject moved = wechatJson();
        moved.insert(u"gateway_url"_s, u"https://api2.mch.weixin.qq.com"_s);
        const QByteArray otherPub = crypto::PrivateKey::generateRsa(2048)->publicKey().toPem();
        moved.insert(u"platform_public_key"_s, QString::fromUtf8(otherPub));
        QVERIFY(store.save(ChannelProfile::fromJson(moved).value(), u"admin"_s));
        changes = auditOf(*services, u"channel:wechat"_s, u"channel.profile_change"_s);
        QCOMPARE(changes.size(), 2);
        d = changes.first().seq > changes.last().seq ? changes.first().details : changes.last().details;
        QCOMPARE(d.value(u"gateway_url"_s).toObject().value(u"before"_s).toString(), u"https://api.mch.weixin.qq.com"_s);
        QCOMPARE(d.value(u"gateway_url"_s).toObject().value(u"after"_s).toString(), u"https://api2.mch.weixin.qq.com"_s);
        const QJsonObject fps = d.value(u"fingerprints"_s).toObject();
        QCOMPARE(fps.value(u"before"_s).toObject().value(u"platform_public_key_sha256"_s).toString(), pemSha256(keys().platformPub));
        QCOMPARE(fps.value(u"after"_s).toObject().value(u"platform_public_key_sha256"_s).toString(), pemSha256(otherPub));
        QCOMPARE(fps.value(u"before"_s).toObject().value(u"merchant_key_sha256"_s).toString(), pemSha256(merchantPub));

        // A demoted administrator is refused at once, whatever they were a moment ago.
        QVERIFY(services->users.add(u"admin"_s, u"admin2"_s, QString(), Role::Admin, u"Correct-Horse-42-Battery!"_s));
        QVERIFY(store.save(wechat, u"admin2"_s));
        QVERIFY(services->users.setActive(u"admin"_s, u"admin2"_s, false));
        QCOMPARE(store.save(wechat, u"admin2"_s).error().code, u"profile.admin_required"_s);

        // Removing is an ADMIN's too.
        QCOMPARE(store.remove(ChannelKind::WeChat, u"clerk"_s).error().code, u"profile.admin_required"_s);
        QCOMPARE(store.list()->size(), 1);
        QVERIFY(store.remove(ChannelKind::WeChat, u"admin"_s));
        QCOMPARE(store.list()->size(), 0);
        QCOMPARE(services->audit.verify().value().intact, true);
    }

    // Issue 13 item 10: a row changed past the store (raw SQL) is not trusted when the channels
    // are loaded; neither is a gateway that breaks the http rule.
    void rawDatabaseWritesAreNotTrusted_data()
    {
        QTest::addColumn<QString>("column");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("code");
        QTest::newRow("http gateway elsewhere") << u"gateway_url"_s << u"http://pay.evil.example"_s << u"profile.insecure_gateway"_s;
        QTest::newRow("http to loopback, real profile") << u"gateway_url"_s << u"http://127.0.0.1:9"_s << u"profile.insecure_gateway"_s;
        QTest::newRow("ftp gateway") << u"gateway_url"_s << u"ftp://127.0.0.1"_s << u"profile.bad_gateway"_s;
        QTest::newRow("another https gateway") << u"gateway_url"_s << u"https://pay.evil.example"_s << u"profile.tampered"_s;
        QTest::newRow("another platform key") << u"platform_public_key"_s
                                              << QString::fromUtf8(crypto::PrivateKey::generateRsa(2048)->publicKey().toPem())
                                              << u"profile.tampered"_s;
        QTest::newRow("another platform key id") << u"platform_public_key_id"_s << u"PUB_KEY_ID_EVIL"_s << u"profile.tampered"_s;
        QTest::newRow("another merchant id") << u"merchant_id"_s << u"1900000666"_s << u"profile.tampered"_s;
        QTest::newRow("another app id") << u"app_id"_s << u"wxevil"_s << u"profile.tampered"_s;
        QTest::newRow("no certificates") << u"platform_certificates"_s << u"[]"_s << u"profile.tampered"_s;
        QTest::newRow("another notify url") << u"notify_url"_s << u"https://evil.example/notify"_s << u"profile.tampered"_s;
    }
    void rawDatabaseWritesAreNotTrusted()
    {
        QFETCH(QString, column);
        QFETCH(QString, value);
        QFETCH(QString, code);
        test::ScratchDatabase scratch;
        PAYDESK_REQUIRE_DB(scratch);
        auto services = test::makeServices(scratch.url());
        addStaff(*services);
        QTemporaryDir dir;
        EncryptedFileSecretStore secrets(dir.filePath(u"secrets.bin"_s), "pass", {1024, 8, 1});
        ChannelProfileStore store(*services->db, secrets, services->audit, services->users, *services->clock);
        QVERIFY(store.save(ChannelProfile::fromJson(wechatJson()).value(), u"admin"_s));
        QVERIFY(store.load(ChannelKind::WeChat));

        // Whoever can write the database, but not the secret store.
        QVERIFY(Sql::exec(services->db->connection(),
                          u"UPDATE channel_profiles SET %1 = :v WHERE kind = 'wechat'"_s.arg(column), {{":v", value}}));
        auto loaded = store.load(ChannelKind::WeChat);
        QVERIFY(!loaded);
        QCOMPARE(loaded.error().code, code);
        QVERIFY(!loaded.error().message.isEmpty());
        ChannelRegistry registry;
        const ChannelLoadReport report = addConfiguredChannels(store, registry, *services->clock);
        QCOMPARE(report.added.size(), 0);
        QCOMPARE(report.errors.size(), 1);
        QCOMPARE(report.errors.first().code, code);
        QVERIFY(!registry.channel(ChannelKind::WeChat));
        const QList<AuditEntry> distrusted = auditOf(*services, u"channel:wechat"_s, u"channel.profile_distrusted"_s);
        QCOMPARE(distrusted.size(), 2);
        QCOMPARE(distrusted.first().details.value(u"code"_s).toString(), code);

        // An ADMIN saving it again makes it trusted again.
        QVERIFY(store.save(ChannelProfile::fromJson(wechatJson()).value(), u"admin"_s));
        QVERIFY(store.load(ChannelKind::WeChat));
    }

    void sandboxProfileKeepsItsLoopbackGateway()
    {
        test::ScratchDatabase scratch;
        PAYDESK_REQUIRE_DB(scratch);
        auto services = test::makeServices(scratch.url());
        addStaff(*services);
        QTemporaryDir dir;
        EncryptedFileSecretStore secrets(dir.filePath(u"secrets.bin"_s), "pass", {1024, 8, 1});
        ChannelProfileStore store(*services->db, secrets, services->audit, services->users, *services->clock);
        QJsonObject o = alipayJson();
        o.insert(u"gateway_url"_s, u"http://127.0.0.1:8080/gateway.do"_s);
        o.insert(u"sandbox"_s, true);
        QVERIFY(store.save(ChannelProfile::fromJson(o).value(), u"admin"_s));
        auto loaded = store.load(ChannelKind::Alipay);
        QVERIFY2(loaded, loaded ? "" : qPrintable(loaded.error().message));
        QVERIFY(loaded->sandbox);
        QCOMPARE(loaded->gatewayUrl, u"http://127.0.0.1:8080/gateway.do"_s);
        ChannelRegistry registry;
        QCOMPARE(addConfiguredChannels(store, registry, *services->clock).added.size(), 1);

        // A profile stored without its seal (an older PayDesk, or a row inserted by hand).
        const QString ref = loaded->secretRef;
        QVERIFY(secrets.remove(ref + u"/seal"_s));
        QCOMPARE(store.load(ChannelKind::Alipay).error().code, u"profile.unsealed"_s);
    }

    void storeRefusesOtherSecretStore()
    {
        test::ScratchDatabase scratch;
        PAYDESK_REQUIRE_DB(scratch);
        auto services = test::makeServices(scratch.url());
        addStaff(*services);
        QTemporaryDir dir;
        EncryptedFileSecretStore secrets(dir.filePath(u"secrets.bin"_s), "pass", {1024, 8, 1});
        ChannelProfileStore store(*services->db, secrets, services->audit, services->users, *services->clock);
        QVERIFY(store.save(ChannelProfile::fromJson(alipayJson()).value(), u"admin"_s));
        // Same table, secrets file lost: a clear NotFound, and the registry reports it.
        EncryptedFileSecretStore empty(dir.filePath(u"other.bin"_s), "pass", {1024, 8, 1});
        ChannelProfileStore store2(*services->db, empty, services->audit, services->users, *services->clock);
        QCOMPARE(store2.load(ChannelKind::Alipay).error().kind, Error::Kind::NotFound);
        ChannelRegistry registry;
        const ChannelLoadReport report = addConfiguredChannels(store2, registry, *services->clock);
        QCOMPARE(report.added.size(), 0);
        QCOMPARE(report.errors.size(), 1);
        QVERIFY(!registry.channel(ChannelKind::Alipay));
        QVERIFY(store.remove(ChannelKind::Alipay, u"admin"_s));
        QCOMPARE(store.list()->size(), 0);
        QCOMPARE(secrets.read(u"anything"_s).error().kind, Error::Kind::NotFound);
    }
};

QTEST_GUILESS_MAIN(TestChannelProfile)
#include "tst_channel_profile.moc"
