// paydesk-sandbox's request handling (SandboxServer::handle, the same path an HTTP request
// takes without the socket): routing, the WeChat Pay v3 and Alipay gateway request parsing,
// the sandbox control endpoints, and the books they keep.
//
// One input is a short session: up to 8 requests separated by a line "---". Each request is
//   METHOD TARGET            (e.g. "POST /v3/pay/transactions/native")
//   Name: value              (headers, until an empty line)
//   body
// The harness plays a well-behaved client where the input leaves it out: a /v3/ request without
// an Authorization header is signed with the merchant key, a /gateway.do form without "sign"
// gets timestamp, sign_type and an RSA2 signature with the app key. Every session starts from a
// fresh server with fixed ids (mchid 1900000109, Alipay app 2021000000000001). Notifications
// go to an unsupported URL scheme (nothing leaves the process), and /sandbox/notify-url is
// skipped so an input cannot point them elsewhere. PAYDESK_FUZZ_VERBOSE=1 prints each answer.

#include "FuzzSupport.h"

#include "SandboxServer.h"

#include "channels/AlipayProtocol.h"
#include "channels/WeChatPayProtocol.h"

#include <QDateTime>
#include <QUrl>

#include <cstdio>
#include <memory>

using namespace paydesk;
using paydesk::sandbox::SandboxKeys;
using paydesk::sandbox::SandboxServer;

namespace {
const SandboxKeys &keys()
{
    static const SandboxKeys k = [] {
        auto g = SandboxKeys::generate();
        if (!g)
            fuzz::fail("cannot generate the sandbox keys", g.error().message);
        SandboxKeys out = g.value();
        out.mchid = QStringLiteral("1900000109");
        out.appid = QStringLiteral("wxd678efh567hg6787");
        out.merchantSerial = QStringLiteral("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C");
        out.alipayAppId = QStringLiteral("2021000000000001");
        out.alipaySellerId = QStringLiteral("2088000000000001");
        return out;
    }();
    return k;
}

void signWeChat(const QByteArray &method, const QUrl &url, const QByteArray &body, QHash<QByteArray, QByteArray> &headers)
{
    QByteArray canonical = url.path(QUrl::FullyEncoded).toLatin1();
    if (url.hasQuery())
        canonical += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    const qint64 ts = QDateTime::currentSecsSinceEpoch();
    const QByteArray nonce = "fuzzNonce0123456789abcdef";
    const auto sig = keys().merchantKey.signSha256(wechatpay::requestMessage(method, canonical, ts, nonce, body));
    headers.insert("authorization",
                   wechatpay::authorizationHeader(keys().mchid, nonce, ts, keys().merchantSerial, sig.value().toBase64()));
}

QByteArray signAlipay(const QByteArray &body)
{
    alipay::Params params = alipay::parseForm(body);
    if (!params.contains(QStringLiteral("timestamp")))
        params.insert(QStringLiteral("timestamp"), alipay::beijingTime(QDateTime::currentMSecsSinceEpoch()));
    if (!params.contains(QStringLiteral("sign_type")))
        params.insert(QStringLiteral("sign_type"), QStringLiteral("RSA2"));
    const auto sig = keys().alipayAppKey.signSha256(alipay::signContent(params, false));
    params.insert(QStringLiteral("sign"), QString::fromLatin1(sig.value().toBase64()));
    return alipay::encodeForm(params);
}
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    (void)keys();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::Input in(data, size);
    auto server = std::make_unique<SandboxServer>(keys());
    server->setNotifyOverride(QStringLiteral("fuzz-blocked:nowhere"));
    for (int i = 0; i < 8 && !in.atEnd(); ++i) {
        const QByteArray text = in.until(QByteArrayLiteral("\n---\n"));
        fuzz::Input r(reinterpret_cast<const uint8_t *>(text.constData()), size_t(text.size()));
        const QByteArray requestLine = r.until('\n');
        const qsizetype space = requestLine.indexOf(' ');
        const QByteArray method = space < 0 ? requestLine : requestLine.left(space);
        const QUrl url(QString::fromUtf8(space < 0 ? QByteArray("/") : requestLine.mid(space + 1)));
        QHash<QByteArray, QByteArray> headers;
        for (QByteArray line = r.until('\n'); !line.isEmpty(); line = r.until('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0)
                headers.insert(line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed());
        }
        QByteArray body = r.rest();
        if (url.path().startsWith(QStringLiteral("/sandbox/notify-url")))
            continue;
        if (url.path().startsWith(QStringLiteral("/v3/")) && !headers.contains("authorization"))
            signWeChat(method, url, body, headers);
        if (url.path() == QStringLiteral("/gateway.do") && !alipay::parseForm(body).contains(QStringLiteral("sign")))
            body = signAlipay(body);
        const SandboxServer::Reply reply = server->handle(method, url, headers, body);
        if (reply.status < 100 || reply.status > 599)
            fuzz::fail("an HTTP status out of range", QString::number(reply.status));
        static const bool verbose = qEnvironmentVariableIsSet("PAYDESK_FUZZ_VERBOSE");
        if (verbose)
            std::fprintf(stderr, "%s %s -> %d %s\n", method.constData(), qPrintable(url.toString()), reply.status,
                         reply.body.left(200).constData());
    }
    return 0;
}
