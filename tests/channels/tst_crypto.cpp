// Crypto and wire-format checks against vectors published with the official WeChat Pay
// (wechatpay-apiv3/wechatpay-java, wechatpay-go) and Alipay (alipay-sdk-nodejs-all) SDKs.

#include "channels/AlipayProtocol.h"
#include "channels/WeChatPayProtocol.h"
#include "crypto/Crypto.h"
#include "CryptoVectors.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace paydesk;
using namespace Qt::StringLiterals;

using namespace paydesk::test::vectors;


class TestCrypto : public QObject
{
    Q_OBJECT
private slots:
    // ---- AEAD_AES_256_GCM ----
    void aesGcmOfficialVector()
    {
        // wechatpay-java AeadAesCipherTest: both directions.
        const QByteArray key = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
        auto ct = crypto::aes256GcmEncrypt(key, "uluk4a9R25RW", "associatedData", "message");
        QVERIFY(ct);
        QCOMPARE(ct->toBase64(), QByteArray("ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI="));
        auto pt = crypto::aes256GcmDecrypt(key, "uluk4a9R25RW", "associatedData", b64("ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI="));
        QVERIFY(pt);
        QCOMPARE(pt.value(), QByteArray("message"));
        // Through the notification resource decoder too.
        auto viaResource = wechatpay::decryptResource(key, QJsonObject{{u"algorithm"_s, u"AEAD_AES_256_GCM"_s},
                                                                       {u"ciphertext"_s, u"ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI="_s},
                                                                       {u"associated_data"_s, u"associatedData"_s},
                                                                       {u"nonce"_s, u"uluk4a9R25RW"_s}});
        QVERIFY(viaResource);
        QCOMPARE(viaResource.value(), QByteArray("message"));
    }

    void aesGcmMultiBlockCertificate()
    {
        // wechatpay-java TestConfig.DOWNLOAD_CERTIFICATE_RESPONSE: a 1475-byte platform certificate.
        QFile f(QFINDTESTDATA("fixtures/wechatpay_download_certificate.txt"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        auto pem = crypto::aes256GcmDecrypt("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", "14b16c03dc1b", "certificate",
                                            QByteArray::fromBase64(f.readAll().trimmed()));
        QVERIFY2(pem, pem ? "" : qPrintable(pem.error().message));
        QCOMPARE(pem->size(), 1475);
        QVERIFY(pem->startsWith("-----BEGIN CERTIFICATE-----\nMIIEFDCCAvygAwIBAgIUXeoQ71WHfjz2wzJVwufe//fkJ+ww"));
        auto info = crypto::parseCertificate(pem.value());
        QVERIFY(info);
        QCOMPARE(info->serialHex, u"5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC"_s);
    }

    void aesGcmRefusals_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QByteArray>("nonce");
        QTest::addColumn<QByteArray>("aad");
        QTest::addColumn<QByteArray>("ciphertext");
        QTest::addColumn<QString>("code");
        const QByteArray key = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
        const QByteArray good = b64("ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=");
        QByteArray flipped = good;
        flipped[2] = char(flipped[2] ^ 1);
        // wechatpay-go utils/aes_test.go and notify_test.go use 16-byte keys (AES-128): refused.
        QTest::newRow("16-byte key (go aes_test)") << QByteArray("testAPIv3Key0000") << QByteArray("wCq51qZv4Yfg")
                                                   << QByteArray("Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8")
                                                   << b64("FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC") << u"crypto.bad_key_length"_s;
        QTest::newRow("16-byte key (go notify_test)") << QByteArray("testMchAPIv3Key0") << QByteArray("Kj7QIyUiYx1q")
                                                      << QByteArray("payscore") << good << u"crypto.bad_key_length"_s;
        QTest::newRow("wrong key") << QByteArray("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gc") << QByteArray("uluk4a9R25RW")
                                   << QByteArray("associatedData") << good << u"crypto.auth_failed"_s;
        QTest::newRow("wrong aad") << key << QByteArray("uluk4a9R25RW") << QByteArray("associatedDatb") << good
                                   << u"crypto.auth_failed"_s;
        QTest::newRow("wrong nonce") << key << QByteArray("uluk4a9R25RX") << QByteArray("associatedData") << good
                                     << u"crypto.auth_failed"_s;
        QTest::newRow("tampered ciphertext") << key << QByteArray("uluk4a9R25RW") << QByteArray("associatedData") << flipped
                                             << u"crypto.auth_failed"_s;
        QTest::newRow("truncated tag") << key << QByteArray("uluk4a9R25RW") << QByteArray("associatedData") << good.left(20)
                                       << u"crypto.auth_failed"_s;
        QTest::newRow("short nonce") << key << QByteArray("uluk4a9R25R") << QByteArray("associatedData") << good
                                     << u"crypto.bad_nonce_length"_s;
    }
    void aesGcmRefusals()
    {
        QFETCH(QByteArray, key);
        QFETCH(QByteArray, nonce);
        QFETCH(QByteArray, aad);
        QFETCH(QByteArray, ciphertext);
        QFETCH(QString, code);
        auto r = crypto::aes256GcmDecrypt(key, nonce, aad, ciphertext);
        QVERIFY(!r);
        QCOMPARE(r.error().code, code);
    }

    void aesGcmRoundTrip()
    {
        const QByteArray key = crypto::randomAlnum(32);
        const QByteArray nonce = crypto::randomBytes(12);
        const QByteArray plain = QByteArray(1000, 'x') + "支付成功";
        auto ct = crypto::aes256GcmEncrypt(key, nonce, "transaction", plain);
        QVERIFY(ct);
        QCOMPARE(ct->size(), plain.size() + 16);
        auto back = crypto::aes256GcmDecrypt(key, nonce, "transaction", ct.value());
        QVERIFY(back);
        QCOMPARE(back.value(), plain);
    }

    // ---- SHA256withRSA ----
    void rsaJavaVector()
    {
        // wechatpay-java RSAVerifierTest: deterministic PKCS#1 v1.5, byte for byte.
        auto key = crypto::PrivateKey::fromPem(kJavaMerchantKey);
        QVERIFY(key);
        QCOMPARE(key->bits(), 2048);
        auto sig = key->signSha256("message");
        QVERIFY(sig);
        QCOMPARE(sig->toBase64(), kJavaSignatureOfMessage);
        QVERIFY(key->publicKey().verifySha256("message", b64(kJavaSignatureOfMessage)));
        // Negative: not under another key (the Go key), not for another message.
        auto other = crypto::PublicKey::fromPem(kGoPublicKey);
        QVERIFY(other);
        QVERIFY(!other->verifySha256("message", b64(kJavaSignatureOfMessage)));
        QVERIFY(!key->publicKey().verifySha256("messagE", b64(kJavaSignatureOfMessage)));
    }

    void rsaGoVector()
    {
        // wechatpay-go utils/sign_test.go TestSha256WithRsa.
        auto key = crypto::PrivateKey::fromPem(kGoKey);
        QVERIFY(key);
        auto sig = key->signSha256("source");
        QVERIFY(sig);
        QCOMPARE(sig->toBase64(), kGoSignatureOfSource);
        auto pub = crypto::PublicKey::fromPem(kGoPublicKey);
        QVERIFY(pub);
        QVERIFY(pub.value() == key->publicKey());
        QVERIFY(pub->verifySha256("source", b64(kGoSignatureOfSource)));
    }

    void wechatPublicKeyVerifier_data()
    {
        // wechatpay-go core/auth/verifiers/sha256withrsa_pubkey_verifier_test.go
        QTest::addColumn<QByteArray>("serial");
        QTest::addColumn<QByteArray>("message");
        QTest::addColumn<QByteArray>("signature");
        QTest::addColumn<QString>("error");
        QTest::newRow("ok") << QByteArray("F5765756002FDD77") << QByteArray("source") << kGoSignatureOfSource << QString();
        QTest::newRow("wrong source") << QByteArray("F5765756002FDD77") << QByteArray("wrong source") << kGoSignatureOfSource
                                      << u"BAD_SIGNATURE"_s;
        QTest::newRow("empty serial") << QByteArray() << QByteArray("source") << kGoSignatureOfSource << u"UNSIGNED"_s;
        QTest::newRow("other serial") << QByteArray("F5765756002FDD78") << QByteArray("source") << kGoSignatureOfSource
                                      << u"UNKNOWN_SERIAL"_s;
        QTest::newRow("empty message") << QByteArray("F5765756002FDD77") << QByteArray() << kGoSignatureOfSource
                                       << u"BAD_SIGNATURE"_s;
        QTest::newRow("empty signature") << QByteArray("F5765756002FDD77") << QByteArray("source") << QByteArray()
                                         << u"UNSIGNED"_s;
        QTest::newRow("not base64") << QByteArray("F5765756002FDD77") << QByteArray("source") << QByteArray("invalid base64 !!")
                                    << u"BAD_SIGNATURE"_s;
    }
    void wechatPublicKeyVerifier()
    {
        QFETCH(QByteArray, serial);
        QFETCH(QByteArray, message);
        QFETCH(QByteArray, signature);
        QFETCH(QString, error);
        wechatpay::Verifier v;
        v.setPublicKey(u"F5765756002FDD77"_s, crypto::PublicKey::fromPem(kGoPublicKey).value());
        // The Go test signs the bare message, while Verifier::verify() wraps the body in
        // TIMESTAMP\nNONCE\nBODY\n: check the exact-id routing with keyFor() and the signature with
        // the key it selects.
        const crypto::PublicKey *key = v.keyFor(QString::fromLatin1(serial));
        if (error == u"UNKNOWN_SERIAL"_s || (serial.isEmpty() && error == u"UNSIGNED"_s)) {
            QVERIFY(!key);
            return;
        }
        QVERIFY(key);
        const auto sig = QByteArray::fromBase64Encoding(signature, QByteArray::AbortOnBase64DecodingErrors);
        const bool ok = sig && !signature.isEmpty() && key->verifySha256(message, *sig);
        QCOMPARE(ok, error.isEmpty());
    }

    void wechatNotificationSignature()
    {
        // wechatpay-go notify_test: a real notification, verified through the verifier with the
        // timestamp the test mocks as "now".
        wechatpay::Verifier v;
        v.addPlatformCertificate(u"D7CE59D1F522D701"_s, crypto::PublicKey::fromPem(kGoPublicKey).value());
        wechatpay::SignedHeaders h;
        h.timestamp = "1624523846";
        h.nonce = "EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz";
        h.serial = "D7CE59D1F522D701";
        h.signature = kNotifySignature;
        const qint64 now = 1624523846LL * 1000;
        QCOMPARE(QCryptographicHash::hash(wechatpay::responseMessage(h.timestamp, h.nonce, kNotifyBody),
                                          QCryptographicHash::Sha256)
                     .toHex(),
                 QByteArray("d2c90663606e98fc711012c768a5150ff0f953e4bccecc69395f4fe977dc4257"));
        QVERIFY(!v.verify(h, kNotifyBody, now));
        // 4:59 later still fine; 5:01 later (or earlier) refused as stale.
        QVERIFY(!v.verify(h, kNotifyBody, now + 299'000));
        QCOMPARE(v.verify(h, kNotifyBody, now + 301'000)->code, u"STALE_TIMESTAMP"_s);
        QCOMPARE(v.verify(h, kNotifyBody, now - 301'000)->code, u"STALE_TIMESTAMP"_s);
        // Timestamps at the ends of qint64 are stale too, without overflowing "now - timestamp"
        // (UBSan, in the asan and fuzz presets, aborted here before; found by fuzz_wechat_protocol).
        for (const QByteArray &extreme : {QByteArray("-9223372036854775808"), QByteArray("-9223372036854775807"),
                                          QByteArray("9223372036854775807")}) {
            wechatpay::SignedHeaders far = h;
            far.timestamp = extreme;
            QCOMPARE(v.verify(far, kNotifyBody, now)->code, u"STALE_TIMESTAMP"_s);
            QVERIFY(!wechatpay::withinClockSkew(extreme.toLongLong(), now));
        }
        QVERIFY(wechatpay::withinClockSkew(1624523846 + 300, now));
        QVERIFY(!wechatpay::withinClockSkew(1624523846 + 301, now));
        QVERIFY(wechatpay::withinClockSkew(1624523846 - 300, now));
        QVERIFY(!wechatpay::withinClockSkew(1624523846 - 301, now));
        // One byte of the body changed.
        QByteArray tampered = kNotifyBody;
        tampered.replace("签约成功", "签约失败");
        QCOMPARE(v.verify(h, tampered, now)->code, u"BAD_SIGNATURE"_s);
        QCOMPARE(v.verify(h, tampered, now)->kind, ChannelError::Kind::Signature);
        // Unknown serial, missing headers, WECHATPAY/SIGNTEST probe, wrong signature type.
        wechatpay::SignedHeaders wrong = h;
        wrong.serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
        QCOMPARE(v.verify(wrong, kNotifyBody, now)->code, u"UNKNOWN_SERIAL"_s);
        wechatpay::SignedHeaders none;
        QCOMPARE(v.verify(none, kNotifyBody, now)->code, u"UNSIGNED"_s);
        wechatpay::SignedHeaders probe = h;
        probe.signature = "WECHATPAY/SIGNTEST/" + h.signature;
        QCOMPARE(v.verify(probe, kNotifyBody, now)->code, u"BAD_SIGNATURE"_s);
        wechatpay::SignedHeaders type = h;
        type.signatureType = "WECHATPAY2-SHA256-RSA4096";
        QCOMPARE(v.verify(type, kNotifyBody, now)->code, u"BAD_SIGNATURE_TYPE"_s);
        type.signatureType = "WECHATPAY2-SHA256-RSA2048";
        QVERIFY(!v.verify(type, kNotifyBody, now));
        // Its resource uses a 16-byte key (AES-128 in Go): a strict AES-256 client refuses it.
        auto plain = wechatpay::decryptResource("testMchAPIv3Key0",
                                                QJsonDocument::fromJson(kNotifyBody).object().value(u"resource"_s).toObject());
        QVERIFY(!plain);
        QCOMPARE(plain.error().code, u"crypto.bad_key_length"_s);
    }

    // ---- WeChat Pay message and header formats ----
    void wechatAuthorizationFormat()
    {
        // wechatpay-java WechatPay2CredentialTest.
        const QByteArray message = wechatpay::requestMessage(
            "GET", "/v3/pay/transactions/id/1217752501201407033233368018?mchid=1230000109", 1652750623,
            "eBYqCOxa0QudMnPvVilkTzOg3gHh5Z3u", QByteArray());
        QCOMPARE(message, QByteArray("GET\n/v3/pay/transactions/id/1217752501201407033233368018?mchid=1230000109\n1652750623\n"
                                     "eBYqCOxa0QudMnPvVilkTzOg3gHh5Z3u\n\n"));
        const QByteArray header = wechatpay::authorizationHeader(u"1234567891"_s, "eBYqCOxa0QudMnPvVilkTzOg3gHh5Z3u",
                                                                 1652750623, u"5F1C72E2A8931B72A2E13AF8DEE92471EB397115"_s,
                                                                 "fake-sign");
        QCOMPARE(header, QByteArray(R"(WECHATPAY2-SHA256-RSA2048 mchid="1234567891",nonce_str="eBYqCOxa0QudMnPvVilkTzOg3gHh5Z3u",timestamp="1652750623",serial_no="5F1C72E2A8931B72A2E13AF8DEE92471EB397115",signature="fake-sign")"));
        // And back, in the official documentation's field order.
        auto parsed = wechatpay::parseAuthorization(
            R"(WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="abc=",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")");
        QVERIFY(parsed);
        QCOMPARE(parsed->mchid, u"1900007291"_s);
        QCOMPARE(parsed->timestamp, 1554208460);
        QCOMPARE(parsed->serial, u"1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"_s);
        QCOMPARE(parsed->signature, QByteArray("abc="));
        QVERIFY(!wechatpay::parseAuthorization("Bearer abc"));
        QVERIFY(!wechatpay::parseAuthorization(R"(WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="x")"));
        // The POST example from the official signing rules: every line ends with \n.
        const QByteArray body = R"({"appid":"wxd678efh567hg6787","mchid":"1900007291"})";
        QCOMPARE(wechatpay::requestMessage("POST", "/v3/pay/transactions/jsapi", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", body),
                 "POST\n/v3/pay/transactions/jsapi\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n" + body + '\n');
        QCOMPARE(wechatpay::responseMessage("1", "nonce", "body"), QByteArray("1\nnonce\nbody\n"));
    }

    void rfc3339()
    {
        const qint64 ms = QDateTime::fromString(u"2026-01-01T00:00:00Z"_s, Qt::ISODate).toMSecsSinceEpoch();
        QCOMPARE(wechatpay::rfc3339(ms), u"2026-01-01T08:00:00+08:00"_s);
        QCOMPARE(wechatpay::parseRfc3339(u"2026-01-01T08:00:00+08:00"_s), ms);
        QCOMPARE(wechatpay::parseRfc3339(u"2018-06-08T10:34:56+08:00"_s),
                 QDateTime::fromString(u"2018-06-08T02:34:56Z"_s, Qt::ISODate).toMSecsSinceEpoch());
        QCOMPARE(wechatpay::parseRfc3339(u"2026-01-01T08:00:00"_s), 0); // no offset: refused
        QCOMPARE(wechatpay::parseRfc3339(u"garbage"_s), 0);
    }

    // ---- Alipay ----
    void alipayNotificationVector()
    {
        const alipay::Params params = alipaySuccessNotification();
        const QByteArray expected =
            u"app_id=2019073166072302&auth_app_id=2019073166072302&buyer_id=2088102534368455&buyer_logon_id=xud***@126.com&"
            "buyer_pay_amount=0.10&charset=utf-8&fund_bill_list=[{\"amount\":\"0.10\",\"fundChannel\":\"ALIPAYACCOUNT\"}]&"
            "gmt_create=2019-08-15 15:56:22&gmt_payment=2019-08-15 15:56:24&invoice_amount=0.10&"
            "notify_id=2019081500222155624068450559358070&notify_time=2019-08-15 15:56:25&notify_type=trade_status_sync&"
            "out_trade_no=20190815155618536-564-57&point_amount=0.00&receipt_amount=0.10&"
            "seller_email=z97-yuquerevenue@service.aliyun.com&seller_id=2088531891668739&subject=语雀空间 500人规模&"
            "total_amount=0.10&trade_no=2019081522001468450512505578&trade_status=TRADE_SUCCESS&version=1.0"_s.toUtf8();
        QCOMPARE(alipay::signContent(params, true), expected);
        auto key = crypto::PublicKey::fromPem(kAlipayNotifyKey);
        QVERIFY(key);
        const QByteArray sig = QByteArray::fromBase64(params.value(u"sign"_s).toLatin1());
        QVERIFY(key->verifySha256(expected, sig));
        // The V1 rule drops sign_type; with it kept, the signature does not match.
        QVERIFY(!key->verifySha256(alipay::signContent(params, false), sig));
        // Through the form codec: encode, decode, same content.
        QCOMPARE(alipay::signContent(alipay::parseForm(alipay::encodeForm(params)), true), expected);
        // A '+' in a form body is a space.
        QCOMPARE(alipay::parseForm("subject=a+b%2Bc").value(u"subject"_s), u"a b+c"_s);
    }

    // The official Java SDK's RSA check tests (RSACheckTest, rsaCheckV2 with RSA2): the signed
    // content is every parameter but sign, sorted, sign_type kept; UTF-8 for the Chinese value.
    void alipayJavaSdkRsaCheckVectors_data()
    {
        QTest::addColumn<QString>("extra");
        QTest::addColumn<QByteArray>("sign");
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("RSA2") << QString() << kAlipayJavaRsa2Sign
                              << QByteArray("app_id=2019090366875133&method=koubei.marketing.data.indicator.query&sign_type=RSA2");
        QTest::newRow("RSA2, Chinese text") << u"中文测试"_s << kAlipayJavaRsa2ChineseSign
                                            << u"app_id=2019090366875133&extra=中文测试&method=koubei.marketing.data.indicator.query&"
                                               "sign_type=RSA2"_s.toUtf8();
    }
    void alipayJavaSdkRsaCheckVectors()
    {
        QFETCH(QString, extra);
        QFETCH(QByteArray, sign);
        QFETCH(QByteArray, content);
        alipay::Params params{{u"method"_s, u"koubei.marketing.data.indicator.query"_s},
                              {u"app_id"_s, u"2019090366875133"_s},
                              {u"sign_type"_s, u"RSA2"_s},
                              {u"sign"_s, QString::fromLatin1(sign)}};
        if (!extra.isEmpty())
            params.insert(u"extra"_s, extra);
        QCOMPARE(alipay::signContent(params, false), content);
        auto cert = crypto::parseCertificate(kAlipayJavaRsaCheckCert); // expired in 2021: only its key is used
        QVERIFY2(cert.ok(), qPrintable(cert.ok() ? QString() : cert.error().message));
        const QByteArray sig = QByteArray::fromBase64(sign);
        QCOMPARE(sig.size(), 256);
        QVERIFY(cert->publicKey.verifySha256(content, sig));
        // Through the form codec (as a notification or the gateway reads it): the same content.
        QCOMPARE(alipay::signContent(alipay::parseForm(alipay::encodeForm(params)), false), content);
        // The V1 rule (sign_type left out) and one changed byte do not verify.
        QVERIFY(!cert->publicKey.verifySha256(alipay::signContent(params, true), sig));
        QByteArray changed = content;
        changed.replace("2019090366875133", "2019090366875134");
        QVERIFY(!cert->publicKey.verifySha256(changed, sig));
        if (!extra.isEmpty()) // GBK bytes of the same text are another content
            QVERIFY(!cert->publicKey.verifySha256(QByteArray(content).replace(extra.toUtf8(), "\xd6\xd0\xce\xc4\xb2\xe2\xca\xd4"), sig));
    }

    void alipayNotificationNegativeVector()
    {
        alipay::Params p{{u"app_id"_s, u"2018121762595097"_s},
                         {u"auth_app_id"_s, u"2018121762595097"_s},
                         {u"buyer_id"_s, u"2088512613526436"_s},
                         {u"buyer_logon_id"_s, u"152****6706"_s},
                         {u"buyer_pay_amount"_s, u"0.01"_s},
                         {u"charset"_s, u"utf-8"_s},
                         {u"fund_bill_list"_s, uR"([{"amount":"0.01","fundChannel":"PCREDIT"}])"_s},
                         {u"gmt_create"_s, u"2019-05-23 14:13:56"_s},
                         {u"gmt_payment"_s, u"2019-05-23 14:17:13"_s},
                         {u"invoice_amount"_s, u"0.01"_s},
                         {u"notify_id"_s, u"2019052300222141714026431019971405"_s},
                         {u"notify_time"_s, u"2019-05-23 14:17:14"_s},
                         {u"notify_type"_s, u"trade_status_sync"_s},
                         {u"out_trade_no"_s, u"tpxy23962362669658"_s},
                         {u"point_amount"_s, u"0.00"_s},
                         {u"receipt_amount"_s, u"0.01"_s},
                         {u"seller_email"_s, u"myapp@alitest.com"_s},
                         {u"seller_id"_s, u"2088331578818800"_s},
                         {u"sign_type"_s, u"RSA2"_s},
                         {u"subject"_s, u"tpxy2222896485"_s},
                         {u"total_amount"_s, u"0.01"_s},
                         {u"trade_no"_s, u"111111112019052322001426431037869358"_s},
                         {u"trade_status"_s, u"TRADE_SUCCESS"_s},
                         {u"version"_s, u"1.0"_s}};
        const QByteArray sig = QByteArray::fromBase64(
            "T946S2qyNFAXLhAaRgNMmatxH6SO3MyWYFnTamQOgW1iAcheL/Zz+VoizwvEc6mTEwYewvvKS1wNkMQ1oEajMUHv9+cXQ9IFvU/qKS9Ktvw5xHvCaK0f"
            "j7LsVcQ7VxfyT3kSvXUDfKDP4cHSPuSZKwM2ybkzr53bIH9OUTpTQd2d3J0rbdf76OoUt+XF9vwqj7OVE7AGjH2HPWp842DgL/YVy4qeA9N2uFKR"
            "evT3YUskjaRxuI/E66reNjTMFhbjEqGLKvMcDD4BaQXnibq9ojAj60589fBwzKk3yWsVQmqGfksMQoheVMtZ3lAw4o2ty3TFngbVFFLwgx8FDpBZ"
            "9Q==");
        auto key = crypto::PublicKey::fromPem(kAlipayNotifyKey);
        QVERIFY(key);
        QVERIFY(!key->verifySha256(alipay::signContent(p, true), sig));
        QVERIFY(!key->verifySha256(alipay::signContent(p, false), sig));
    }

    void alipayResponseVector()
    {
        const QByteArray raw =
            R"({"alipay_open_file_upload_response":{"code":"10000","msg":"Success","file_id":"CAxAToWB1JsAAAAAAAAAAAAADgSLAQBr"},"sign":"F+LDzpTNiavn7xVZPGuPCSSVRSmWzJGgtuji6tVELGEaqMaNj0jRKXUEr5nloZJBBmwEnddOyCjjepMmrTKTvoOqQ0Efxpr/R1iEeHTHVbb/Q8TTh6Up5gHJDkILdaWS2q1cWeQ6VT+HQY9P3WRXS7uhILHuDODIhpAyCu5KhWGt0rMCIG+Im6NODJP2oohtSCtmTFXg58HH587Z2y2bdbjzOxLvzD9IrU1imghXQ2S/Q+wMIvRk9on6cWnBLkrNvJKapA2ReNGWOwyuASvB9zDVzhMPbR+3mfRGkVDxsq5HYLjBKGskJMXHw0HuugZij6ScRuaLPODhmHwr/pJ9yw=="})";
        QCOMPARE(alipay::responseNode(u"alipay.open.file.upload"_s), u"alipay_open_file_upload_response"_s);
        QString found;
        auto content = alipay::extractResponseContent(raw, alipay::responseNode(u"alipay.open.file.upload"_s), &found);
        QVERIFY(content);
        QCOMPARE(found, u"alipay_open_file_upload_response"_s);
        QCOMPARE(*content, QByteArray(R"({"code":"10000","msg":"Success","file_id":"CAxAToWB1JsAAAAAAAAAAAAADgSLAQBr"})"));
        auto key = crypto::PublicKey::fromPem(kAlipayResponseKey); // bare base64 DER, Alipay style
        QVERIFY(key);
        const QByteArray sign = QJsonDocument::fromJson(raw).object().value(u"sign"_s).toString().toLatin1();
        QVERIFY(key->verifySha256(*content, QByteArray::fromBase64(sign)));
        QByteArray tampered = *content;
        tampered.replace("CAxA", "CAxB");
        QVERIFY(!key->verifySha256(tampered, QByteArray::fromBase64(sign)));
    }

    void alipayExtraction_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("node");
        QTest::newRow("escaped slashes stay") << QByteArray(R"({"alipay_trade_query_response":{"url":"http:\/\/a.b\/c"},"sign":"x"})")
                                              << QByteArray(R"({"url":"http:\/\/a.b\/c"})") << u"alipay_trade_query_response"_s;
        QTest::newRow("whitespace around colon") << QByteArray("{\"alipay_trade_query_response\" \n :\n {\"a\":\"1\"},\"sign\":\"x\"}")
                                                 << QByteArray(R"({"a":"1"})") << u"alipay_trade_query_response"_s;
        QTest::newRow("sign inside the node") << QByteArray("{\"alipay_trade_query_response\":{\"sign\":\"inner\",\"b\":{\"c\":\"}\"}},\"sign\":\"outer\"}")
                                              << QByteArray("{\"sign\":\"inner\",\"b\":{\"c\":\"}\"}}") << u"alipay_trade_query_response"_s;
        // (Plain literals below: moc 6.4 miscounts braces inside some raw strings.)
        QTest::newRow("sign first") << QByteArray("{\"sign\":\"outer\",\"alipay_trade_query_response\":{\"a\":\"\\\"q\\\"\"}}")
                                    << QByteArray("{\"a\":\"\\\"q\\\"\"}") << u"alipay_trade_query_response"_s;
        QTest::newRow("error_response") << QByteArray(R"({"error_response":{"code":"40002","sub_code":"isv.invalid-signature"}})")
                                        << QByteArray(R"({"code":"40002","sub_code":"isv.invalid-signature"})") << u"error_response"_s;
        QTest::newRow("node name only in a value") << QByteArray(R"({"x":"alipay_trade_query_response","y":{"a":1}})")
                                                   << QByteArray() << QString();
    }
    void alipayExtraction()
    {
        QFETCH(QByteArray, raw);
        QFETCH(QByteArray, content);
        QFETCH(QString, node);
        QString found;
        auto got = alipay::extractResponseContent(raw, u"alipay_trade_query_response"_s, &found);
        if (content.isEmpty()) {
            QVERIFY(!got);
            return;
        }
        QVERIFY(got);
        QCOMPARE(*got, content);
        QCOMPARE(found, node);
    }

    void alipaySignContentRules()
    {
        // Sorted, empty values skipped, sign always left out, sign_type only for notifications.
        alipay::Params p{{u"b"_s, u"2"_s}, {u"a"_s, u"1"_s}, {u"empty"_s, QString()}, {u"sign"_s, u"S"_s},
                         {u"sign_type"_s, u"RSA2"_s}, {u"biz_content"_s, uR"({"x":"y z"})"_s}};
        QCOMPARE(alipay::signContent(p, false), QByteArray(R"(a=1&b=2&biz_content={"x":"y z"}&sign_type=RSA2)"));
        QCOMPARE(alipay::signContent(p, true), QByteArray(R"(a=1&b=2&biz_content={"x":"y z"})"));
    }

    void yuanExact_data()
    {
        QTest::addColumn<qint64>("minor");
        QTest::addColumn<QString>("yuan");
        QTest::newRow("one fen") << qint64(1) << u"0.01"_s;
        QTest::newRow("ten fen") << qint64(10) << u"0.10"_s;
        QTest::newRow("whole") << qint64(100) << u"1.00"_s;
        QTest::newRow("0.1+0.2") << qint64(30) << u"0.30"_s;
        QTest::newRow("max") << qint64(10'000'000'000) << u"100000000.00"_s;
        QTest::newRow("odd") << qint64(1234567) << u"12345.67"_s;
    }
    void yuanExact()
    {
        QFETCH(qint64, minor);
        QFETCH(QString, yuan);
        QCOMPARE(alipay::yuan(minor), yuan);
        QCOMPARE(alipay::parseYuan(yuan), std::optional<qint64>(minor));
    }
    void yuanRefusals()
    {
        for (const QString &bad : {u"1e3"_s, u"0.001"_s, u"-1"_s, u"abc"_s, u""_s, u"100000000.01"_s, u"1,00"_s})
            QVERIFY2(!alipay::parseYuan(bad), qPrintable(bad));
        QCOMPARE(alipay::parseYuan(u"12.3"_s), std::optional<qint64>(1230));
    }

    void beijingTime()
    {
        const qint64 ms = QDateTime::fromString(u"2014-07-23T19:07:50Z"_s, Qt::ISODate).toMSecsSinceEpoch();
        QCOMPARE(alipay::beijingTime(ms), u"2014-07-24 03:07:50"_s);
        QCOMPARE(alipay::parseBeijingTime(u"2014-07-24 03:07:50"_s), ms);
        QCOMPARE(alipay::parseBeijingTime(u"2014-07-24T03:07:50"_s), 0);
    }

    // ---- keys, certificates, scrypt ----
    void keyFormats()
    {
        auto key = crypto::PrivateKey::generateRsa(2048);
        QVERIFY(key);
        const QByteArray pem = key->toPem();
        QVERIFY(pem.startsWith("-----BEGIN PRIVATE KEY-----"));
        auto again = crypto::PrivateKey::fromPem(pem);
        QVERIFY(again);
        QVERIFY(again->publicKey() == key->publicKey());
        // Bare base64 (Alipay's key tool output) of PKCS#8 and of the SubjectPublicKeyInfo.
        QByteArray bare = pem;
        bare.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "").replace("\n", "");
        QVERIFY(crypto::PrivateKey::fromPem(bare));
        QByteArray pubBare = key->publicKey().toPem();
        pubBare.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "").replace("\n", "");
        auto pub = crypto::PublicKey::fromPem(pubBare);
        QVERIFY(pub);
        QVERIFY(pub.value() == key->publicKey());
        // Refusals: garbage, weak keys.
        QCOMPARE(crypto::PrivateKey::fromPem("not a key").error().code, u"crypto.bad_private_key"_s);
        QCOMPARE(crypto::PublicKey::fromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").error().code,
                 u"crypto.bad_public_key"_s);
        auto weak = crypto::PrivateKey::generateRsa(1024);
        QVERIFY(weak);
        QCOMPARE(crypto::PrivateKey::fromPem(weak->toPem()).error().code, u"crypto.weak_key"_s);
    }

    void selfSignedCertificate()
    {
        auto key = crypto::PrivateKey::generateRsa(2048);
        QVERIFY(key);
        const QByteArray serial = QByteArray::fromHex("5157F09EFDC096DE15EBE81A47057A7232F1B8E1");
        const qint64 from = QDateTime::fromString(u"2026-01-01T00:00:00Z"_s, Qt::ISODate).toMSecsSinceEpoch();
        auto pem = crypto::makeSelfSignedCertificate(key.value(), u"platform"_s, serial, from, from + 86'400'000);
        QVERIFY(pem);
        auto info = crypto::parseCertificate(pem.value());
        QVERIFY(info);
        QCOMPARE(info->serialHex, u"5157F09EFDC096DE15EBE81A47057A7232F1B8E1"_s);
        QCOMPARE(info->notBeforeMs, from);
        QCOMPARE(info->notAfterMs, from + 86'400'000);
        QVERIFY(info->subject.contains(u"CN=platform"_s));
        QVERIFY(info->publicKey == key->publicKey());
        auto viaPublicKey = crypto::PublicKey::fromPem(pem.value());
        QVERIFY(viaPublicKey);
        QVERIFY(viaPublicKey.value() == key->publicKey());
    }

    void scryptRfc7914()
    {
        // RFC 7914 section 12, second vector.
        auto k = crypto::scrypt("password", "NaCl", {1024, 8, 16}, 64);
        QVERIFY(k);
        QCOMPARE(k->toHex(), QByteArray("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d"
                                        "9830dac727afb94a83ee6d8360cbdfa2cc0640"));
        QVERIFY(!crypto::scrypt("p", "s", {1000, 8, 1}, 32)); // N must be a power of two
    }

    void randomness()
    {
        const QByteArray a = crypto::randomAlnum(32);
        QCOMPARE(a.size(), 32);
        for (char c : a)
            QVERIFY(std::isalnum(static_cast<unsigned char>(c)));
        QVERIFY(a != crypto::randomAlnum(32));
        QByteArray secret = "secret";
        crypto::wipe(secret);
        QVERIFY(secret.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestCrypto)
#include "tst_crypto.moc"
