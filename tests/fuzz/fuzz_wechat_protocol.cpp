// WeChat Pay v3 wire parsing (core/channels/WeChatPayProtocol): the Authorization header,
// the signed headers and their verification, RFC 3339 times, error answers, the encrypted
// notification resource. The first byte picks what the rest is.

#include "FuzzSupport.h"

#include "channels/WeChatPayProtocol.h"

#include <QJsonDocument>
#include <QJsonObject>

using namespace paydesk;

namespace {
const QByteArray kApiV3Key = "fuzzApiV3Key0123456789abcdefABCD";
const QString kKeyId = QStringLiteral("PUB_KEY_ID_0114232134912410000000000000");

wechatpay::Verifier &verifier()
{
    static wechatpay::Verifier v = [] {
        wechatpay::Verifier out;
        out.setPublicKey(kKeyId, crypto::PublicKey::fromPem(fuzz::key("wechat_platform.pub.pem")).value());
        auto cert = crypto::parseCertificate(fuzz::key("wechat_platform.cert.pem")).value();
        out.addPlatformCertificate(cert.serialHex, cert.publicKey);
        return out;
    }();
    return v;
}
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    (void)verifier();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::Input in(data, size);
    switch (in.byte() % 6) {
    case 0: { // an Authorization header, as the sandbox reads the client's
        const QByteArray header = in.rest();
        if (auto a = wechatpay::parseAuthorization(header)) {
            // What we write, we read back.
            const QByteArray again = wechatpay::authorizationHeader(a->mchid, a->nonce, a->timestamp, a->serial, a->signature);
            (void)wechatpay::parseAuthorization(again);
        }
        break;
    }
    case 1: { // signed headers (one per line, "name: value"), then an empty line, then the body
        QHash<QByteArray, QByteArray> headers;
        for (QByteArray line = in.until('\n'); !line.isEmpty(); line = in.until('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0)
                headers.insert(line.left(colon).trimmed().toLower(), line.mid(colon + 1));
        }
        const QByteArray body = in.rest();
        const auto h = wechatpay::SignedHeaders::from(headers);
        (void)h.present();
        if (!verifier().verify(h, body, fuzz::kNowMs))
            fuzz::fail("a forged answer verified"); // nobody but the committed key can sign
        break;
    }
    case 2: { // RFC 3339 times
        const QString text = QString::fromUtf8(in.rest());
        const qint64 ms = wechatpay::parseRfc3339(text);
        if (ms != 0) {
            const qint64 seconds = ms - ms % 1000;
            if (wechatpay::parseRfc3339(wechatpay::rfc3339(seconds)) != seconds && seconds > 0)
                fuzz::fail("parseRfc3339(rfc3339(x)) differs", text);
        }
        break;
    }
    case 3: { // an error answer: HTTP status (2 bytes), request id up to '\n', body
        const int status = in.byte() << 8 | in.byte();
        const QByteArray requestId = in.until('\n');
        const ChannelError e = wechatpay::errorFromAnswer(status, in.rest(), requestId);
        if (e.message.isEmpty())
            fuzz::fail("an error without message");
        break;
    }
    case 4: { // a key up to '\n', then the notification resource (a JSON object)
        const QByteArray otherKey = in.until('\n');
        const QJsonObject resource = QJsonDocument::fromJson(in.rest()).object();
        (void)wechatpay::decryptResource(kApiV3Key, resource);
        (void)wechatpay::decryptResource(otherKey, resource); // a key of any length is refused, not used
        break;
    }
    default: { // states on the wire
        const QString s = QString::fromUtf8(in.rest());
        if (auto t = wechatpay::tradeStateFromWire(s))
            (void)wechatpay::tradeStateToWire(*t);
        (void)wechatpay::refundStatusFromWire(s);
        break;
    }
    }
    return 0;
}
