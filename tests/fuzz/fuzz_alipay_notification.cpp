// Alipay notifications through AlipayChannel::decodeNotification, with the committed test key
// set and a fixed clock. The harness plays Alipay: it parses the fuzzed form, signs it with
// Alipay's key (RSA2 over the sorted content without sign and sign_type) and hands the signed
// form in, so the input reaches the trade/refund parsing behind the verification.
// The first byte picks: 0 signed by the harness, 1 as it is (nobody signed it).

#include "FuzzSupport.h"

#include "channels/AlipayChannel.h"
#include "channels/AlipayProtocol.h"
#include "channels/ChannelProfile.h"
#include "crypto/Crypto.h"
#include "util/Clock.h"

#include <memory>

using namespace paydesk;

namespace {
const QString kAppId = QStringLiteral("2021000000000001");
const QString kSellerId = QStringLiteral("2088000000000001");

struct World
{
    ManualClock clock{fuzz::kNowMs};
    crypto::PrivateKey alipayKey;
    std::unique_ptr<AlipayChannel> channel;
};

World &world()
{
    static World *w = [] {
        auto *out = new World;
        out->alipayKey = crypto::PrivateKey::fromPem(fuzz::key("alipay.key.pem")).value();
        ChannelProfile p;
        p.kind = ChannelKind::Alipay;
        p.merchantId = kSellerId;
        p.appId = kAppId;
        p.privateKeyPem = fuzz::key("alipay_app.key.pem");
        p.platformPublicKeyPem = fuzz::key("alipay.pub.pem");
        p.gatewayUrl = QStringLiteral("https://openapi.alipay.com/gateway.do");
        auto channel = AlipayChannel::create(p, out->clock);
        if (!channel)
            fuzz::fail("the fuzz Alipay profile does not validate", channel.error().message);
        out->channel = std::move(channel.value());
        return out;
    }();
    return *w;
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
    const bool sign = in.byte() % 2 == 0;
    const QByteArray raw = in.rest();
    QByteArray body = raw;
    alipay::Params params = alipay::parseForm(raw);
    if (sign) {
        params.remove(QStringLiteral("sign"));
        const QByteArray signature = world().alipayKey.signSha256(alipay::signContent(params, true)).value();
        params.insert(QStringLiteral("sign"), QString::fromLatin1(signature.toBase64()));
        body = alipay::encodeForm(params);
    }
    const auto reply = world().channel->decodeNotification({}, body);
    if (!reply.ok()) {
        if (reply.error().message.isEmpty())
            fuzz::fail("a refusal without message");
        return 0;
    }
    if (!sign && !raw.contains("sign="))
        fuzz::fail("an unsigned notification was accepted");
    if (params.value(QStringLiteral("app_id")) != kAppId)
        fuzz::fail("a notification for another app was accepted");
    if (params.value(QStringLiteral("seller_id")) != kSellerId)
        fuzz::fail("a notification for another seller was accepted");
    if (!alipay::notifyTimeAcceptable(alipay::parseBeijingTime(params.value(QStringLiteral("notify_time"))), fuzz::kNowMs))
        fuzz::fail("a stale notification was accepted");
    if (reply->kind == ChannelNotification::Kind::Payment && reply->payment.amountMinor < 0)
        fuzz::fail("a payment with a negative amount was accepted");
    if (reply->kind == ChannelNotification::Kind::Refund && reply->refund.amountMinor < 0)
        fuzz::fail("a refund with a negative amount was accepted");
    return 0;
}
