// WeChat Pay notifications through WeChatPayChannel::decodeNotification, with the committed
// test key set and a fixed clock. The harness plays WeChat Pay: it encrypts the fuzzed
// resource with the APIv3 key and signs the envelope with the platform key, so the input
// reaches the transaction/refund parsing behind the verification. The first byte picks:
//   0: event selector byte, then the decrypted resource (JSON) the harness encrypts and signs;
//   1: the whole envelope (JSON), signed as it is;
//   2: raw headers ("name: value" lines), an empty line, and the body: nothing signed by us.

#include "FuzzSupport.h"

#include "channels/ChannelProfile.h"
#include "channels/WeChatPayChannel.h"
#include "channels/WeChatPayProtocol.h"
#include "util/Clock.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <memory>

using namespace paydesk;

namespace {
const QByteArray kApiV3Key = "fuzzApiV3Key0123456789abcdefABCD";
const QString kKeyId = QStringLiteral("PUB_KEY_ID_0114232134912410000000000000");
const QString kMchid = QStringLiteral("1900000109");
const QString kAppId = QStringLiteral("wxd678efh567hg6787");

struct World
{
    ManualClock clock{fuzz::kNowMs};
    crypto::PrivateKey platformKey;
    std::unique_ptr<WeChatPayChannel> channel;
};

World &world()
{
    static World *w = [] {
        auto *out = new World;
        out->platformKey = crypto::PrivateKey::fromPem(fuzz::key("wechat_platform.key.pem")).value();
        ChannelProfile p;
        p.kind = ChannelKind::WeChat;
        p.merchantId = kMchid;
        p.appId = kAppId;
        p.merchantSerial = QStringLiteral("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C");
        p.privateKeyPem = fuzz::key("wechat_merchant.key.pem");
        p.apiV3Key = kApiV3Key;
        p.platformPublicKeyId = kKeyId;
        p.platformPublicKeyPem = fuzz::key("wechat_platform.pub.pem");
        p.platformCertificates = {fuzz::key("wechat_platform.cert.pem")};
        p.gatewayUrl = QStringLiteral("https://api.mch.weixin.qq.com");
        auto channel = WeChatPayChannel::create(p, out->clock);
        if (!channel)
            fuzz::fail("the fuzz WeChat profile does not validate", channel.error().message);
        out->channel = std::move(channel.value());
        return out;
    }();
    return *w;
}

QMap<QByteArray, QByteArray> signedHeaders(const QByteArray &body)
{
    const QByteArray timestamp = QByteArray::number(fuzz::kNowMs / 1000);
    const QByteArray nonce = "fuzzNonce0123456789abcdef";
    const QByteArray signature =
        world().platformKey.signSha256(wechatpay::responseMessage(timestamp, nonce, body)).value().toBase64();
    return {{"Wechatpay-Timestamp", timestamp}, {"Wechatpay-Nonce", nonce}, {"Wechatpay-Serial", kKeyId.toLatin1()},
            {"Wechatpay-Signature", signature}, {"Wechatpay-Signature-Type", wechatpay::kSchema}};
}

void check(const ChannelReply<ChannelNotification> &reply, const QJsonObject &resource)
{
    if (!reply.ok()) {
        if (reply.error().message.isEmpty())
            fuzz::fail("a refusal without message");
        return;
    }
    if (reply->kind == ChannelNotification::Kind::Payment && reply->payment.amountMinor < 0)
        fuzz::fail("a payment with a negative amount was accepted");
    // `resource` is empty when the harness does not know the plaintext (a whole envelope from
    // the input); otherwise an accepted notification must be ours.
    if (resource.isEmpty())
        return;
    const QString mchid = resource.value(QStringLiteral("mchid")).toString();
    if (mchid != kMchid)
        fuzz::fail("a notification for another merchant, or naming none, was accepted", mchid);
    if (reply->kind == ChannelNotification::Kind::Payment && resource.value(QStringLiteral("appid")).toString() != kAppId)
        fuzz::fail("a payment notification for another app, or naming none, was accepted");
}
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    (void)world();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::Input in(data, size);
    const WeChatPayChannel &channel = *world().channel;
    switch (in.byte() % 3) {
    case 0: {
        static const char *const kEvents[] = {"TRANSACTION.SUCCESS", "REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED",
                                              "TRANSACTION.", "REFUND.", "PING"};
        const QString event = QString::fromLatin1(kEvents[in.byte() % 7]);
        const QByteArray plain = in.rest();
        const QByteArray aad = event.startsWith(u'T') ? "transaction" : "refund";
        auto resource = wechatpay::encryptResource(kApiV3Key, QString::fromLatin1(aad), aad, plain);
        const QJsonObject envelope{{QStringLiteral("id"), QStringLiteral("EV-2018022511223320873")},
                                   {QStringLiteral("create_time"), wechatpay::rfc3339(fuzz::kNowMs)},
                                   {QStringLiteral("resource_type"), QStringLiteral("encrypt-resource")},
                                   {QStringLiteral("event_type"), event},
                                   {QStringLiteral("resource"), resource.value()}};
        const QByteArray body = QJsonDocument(envelope).toJson(QJsonDocument::Compact);
        check(channel.decodeNotification(signedHeaders(body), body), QJsonDocument::fromJson(plain).object());
        break;
    }
    case 1: {
        const QByteArray body = in.rest();
        check(channel.decodeNotification(signedHeaders(body), body), {});
        break;
    }
    default: {
        QMap<QByteArray, QByteArray> headers;
        for (QByteArray line = in.until('\n'); !line.isEmpty(); line = in.until('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0)
                headers.insert(line.left(colon), line.mid(colon + 1));
        }
        const auto reply = channel.decodeNotification(headers, in.rest());
        if (reply.ok())
            fuzz::fail("a notification nobody signed was accepted");
        break;
    }
    }
    return 0;
}
