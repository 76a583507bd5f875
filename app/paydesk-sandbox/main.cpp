// paydesk-sandbox: a loopback WeChat Pay v3 / Alipay gateway look-alike with real keys and
// real signatures, for tests and the "online" demo. Links core only.

#include "SandboxServer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QHostAddress>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTcpServer>

#include <csignal>
#include <cstdio>

using namespace paydesk;
using namespace paydesk::sandbox;

namespace {

const char *const kEndpoints = R"(
WeChat Pay v3 (Authorization: WECHATPAY2-SHA256-RSA2048 checked; answers signed):
  POST /v3/pay/transactions/native        out_trade_no 6-32 of [0-9A-Za-z_-|*@], notify_url
                                          required (absolute, no query), as the real API
  GET  /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=...
  POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close          (204)
  POST /v3/refund/domestic/refunds        more than is left: 400 INVALID_REQUEST
  GET  /v3/refund/domestic/refunds/{out_refund_no}
  GET  /v3/bill/tradebill?bill_date=YYYY-MM-DD&bill_type=ALL&tar_type=GZIP   {hash_type,hash_value,download_url}
  GET  /v3/bill/fundflowbill?bill_date=YYYY-MM-DD&account_type=BASIC&tar_type=GZIP
  GET  /v3/billdownload/file?token=...   the bill (gzip, unsigned); signed request
       A day with no payments or refunds: 400 NO_STATEMENT_EXIST; a later day: STATEMENT_CREATING.
       Today's bill so far is served too (real WeChat Pay makes yesterday's after 10:00).
Alipay gateway (RSA2 checked; answers signed):
  POST /gateway.do   alipay.trade.precreate|query|close|refund|fastpay.refund.query,
                     alipay.data.dataservice.bill.downloadurl.query (bill_type=trade; today too;
                     no trades: isp.bill_not_exist)
       The query string and the form body are both read as application/x-www-form-urlencoded
       ('+' is a space), together: the official SDKs send the common parameters and sign in the
       query and biz_content in the body. Any well-formed timestamp (yyyy-MM-dd HH:mm:ss) is
       taken; no clock window unless injected (timestamp_window). Refusals of a signed request
       (isv.invalid-signature, isv.invalid-timestamp, ...) come under the method's *_response
       node, signed; an unknown method or app_id under error_response. precreate takes an
       out_trade_no of letters, digits and '_' (at most 64) only.
  GET  /downloadBillFile.resource?...&token=...   the zip (GBK 业务明细 and 业务明细(汇总) CSV)

Test controls (sandbox only; JSON bodies; answers are JSON):
  POST /sandbox/pay/{out_trade_no}     a customer pays ({"channel":"wechat|alipay","even_if_closed":true});
                                       the payment notification is posted at once
  POST /sandbox/scan/{out_trade_no}    an Alipay buyer scans (the trade starts to exist: WAIT_BUYER_PAY)
  POST /sandbox/notify/{out_trade_no}  post the payment notification again ({"channel":..})
  POST /sandbox/notify-url             {"url":"http://..."}: post every notification there
                                       (empty: back to each order's notify_url)
  POST /sandbox/notify-sink            takes any notification, answers SUCCESS (the notify_url of
                                       the generated WeChat profile; counted in /sandbox/state)
  POST /sandbox/faults                 inject a fault into the next matching call(s):
       {"channel":"wechat|alipay|*", "op":"create|query|close|refund|query_refund|notify|bill|
        bill_download|*", "kind":KIND, "times":1, "latency_ms":2000, "lands":false, "window_s":900}
       KIND   latency        answer late (latency_ms)
              http_500       a server error (lands=true: the call took effect, only the answer is lost)
              drop           abort the connection (lands as above)
              unsigned       the answer or notification without a signature
              stale_timestamp  WeChat: a Wechatpay-Timestamp 10 minutes old
              bad_signature  a signature over other bytes
              wrong_serial   WeChat: an unknown Wechatpay-Serial
              tamper_body    the answer changed after it was signed
              pay_before_close  the customer pays in the instant before a close
              unscanned_stays_payable  Alipay close of a code nobody scanned: ACQ.TRADE_NOT_EXIST
                             as ever, but the code still pays until its time_expire (by
                             default the sandbox locks it, as merchants report)
              not_enough     refund: the merchant's balance is short (WeChat 403 NOT_ENOUGH, Alipay
                             ACQ.SELLER_BALANCE_NOT_ENOUGH); refund_fail is the same
              timestamp_window  Alipay: refuse a request whose timestamp is more than window_s
                             seconds from Beijing time (isv.invalid-timestamp)
              bad_bill_hash  the signed hash_value does not match the bill file
              bill_not_ready STATEMENT_CREATING / isp.bill_not_exist
              foreign_download_url  WeChat's download_url on another host
              foreign_app, foreign_merchant, no_merchant, stale_notify_time
                             notify only, genuinely signed: another app_id/appid, another
                             seller_id/mchid, none, an Alipay notify_time 25 hours ago
  DELETE /sandbox/faults               forget every pending fault
  POST /sandbox/refund-plan            {"outcome":"SUCCESS|ABNORMAL|CLOSED","after_queries":1}: where
                                       WeChat refunds end, after how many queries (0: at once)
  POST /sandbox/bill-discrepancy       {"channel":"wechat|alipay","kind":"unknown-payment|wrong-amount|
                                        missing-refund|paid-after-close","ref":"out_trade_no or
                                        out_refund_no","amount":123}  (amount in fen: the unknown
                                        payment, or what the bill shows for wrong-amount); a closed
                                        payment paid after close sends no notification
  DELETE /sandbox/bill-discrepancy     forget wrong-amount / missing-refund
  POST /sandbox/key-mode               {"mode":"certificate|public_key"} (which key signs WeChat answers)
  GET  /sandbox/state                  payments, refunds, calls per API, pending faults, notifications

Examples ($URL is what the sandbox prints at start):
  curl -X POST $URL/sandbox/pay/PD20261204000000000_01 -d '{"channel":"wechat"}'
  curl -X POST $URL/sandbox/scan/PD20261204000000001_01
  curl -X POST $URL/sandbox/faults -d '{"channel":"wechat","op":"query","kind":"bad_signature","times":2}'
  curl -X POST $URL/sandbox/faults -d '{"channel":"alipay","op":"refund","kind":"not_enough"}'
  curl -X POST $URL/sandbox/faults -d '{"channel":"alipay","op":"*","kind":"timestamp_window","window_s":900}'
  curl -X POST $URL/sandbox/faults -d '{"channel":"*","op":"create","kind":"http_500","lands":true}'
  curl -X POST $URL/sandbox/notify-url -d '{"url":"http://127.0.0.1:8080/notify"}'
  curl -X POST $URL/sandbox/notify/PD20261204000000000_01 -d '{"channel":"wechat"}'
  curl -X DELETE $URL/sandbox/faults
  curl $URL/sandbox/state
)";

bool writeProfile(const QString &dir, const QString &name, const ChannelProfile &profile)
{
    QDir().mkpath(dir);
    const QString path = QDir(dir).filePath(name);
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    f.write(QJsonDocument(profile.toJson(true)).toJson(QJsonDocument::Indented));
    if (!f.commit())
        return false;
    // It holds the merchant's private key: owner-only, like any key file.
    QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return true;
}

void onSignal(int)
{
    QCoreApplication::quit();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("paydesk-sandbox"));
    QCoreApplication::setApplicationVersion(QStringLiteral("0.1"));
    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Loopback WeChat Pay v3 / Alipay look-alike for PayDesk.")
                                     + QString::fromUtf8(kEndpoints));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption listen(QStringLiteral("listen"), QStringLiteral("Address to listen on (loopback only)."),
                                    QStringLiteral("HOST:PORT"), QStringLiteral("127.0.0.1:0"));
    const QCommandLineOption stateDir(QStringLiteral("state-dir"),
                                      QStringLiteral("Keep the keys (generated on first start) and the books here."), QStringLiteral("DIR"));
    const QCommandLineOption profileOut(QStringLiteral("profile-out"),
                                        QStringLiteral("Write wechat.json and alipay.json client profiles here."),
                                        QStringLiteral("DIR"));
    const QCommandLineOption notifyUrl(QStringLiteral("notify-url"),
                                       QStringLiteral("Post every notification here (default: each order's notify_url)."),
                                       QStringLiteral("URL"));
    const QCommandLineOption publicKey(QStringLiteral("public-key-mode"),
                                       QStringLiteral("Sign WeChat answers with the WeChat Pay public key (PUB_KEY_ID_...) "
                                                      "instead of the platform certificate."));
    parser.addOptions({listen, stateDir, profileOut, notifyUrl, publicKey});
    parser.process(app);

    const QString spec = parser.value(listen);
    const qsizetype colon = spec.lastIndexOf(u':');
    QString host = colon < 0 ? spec : spec.left(colon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    bool portOk = true;
    const quint16 port = colon < 0 ? 0 : spec.mid(colon + 1).toUShort(&portOk);
    QHostAddress address;
    if (host == QStringLiteral("localhost"))
        address = QHostAddress::LocalHost;
    else
        address.setAddress(host);
    if (!portOk || address.isNull() || !address.isLoopback()) {
        std::fprintf(stderr, "paydesk-sandbox: --listen must be a loopback HOST:PORT (got %s)\n", qPrintable(spec));
        return 2;
    }

    auto keys = SandboxKeys::loadOrCreate(parser.value(stateDir));
    if (!keys) {
        std::fprintf(stderr, "paydesk-sandbox: %s\n", qPrintable(keys.error().message));
        return 1;
    }
    SandboxServer server(keys.value());
    server.setNotifyOverride(parser.value(notifyUrl));
    server.setStateDir(parser.value(stateDir));
    auto *tcp = new QTcpServer(&server);
    if (!tcp->listen(address, port)) {
        std::fprintf(stderr, "paydesk-sandbox: cannot listen on %s: %s\n", qPrintable(spec), qPrintable(tcp->errorString()));
        return 1;
    }
    server.bind(tcp);
    const QString hostPart = address.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + address.toString() + u']'
                                                                                 : address.toString();
    const QString baseUrl = QStringLiteral("http://%1:%2").arg(hostPart).arg(tcp->serverPort());
    server.setPublicKeyMode(parser.isSet(publicKey));
    if (parser.isSet(profileOut)) {
        const QString dir = parser.value(profileOut);
        if (!writeProfile(dir, QStringLiteral("wechat.json"), server.keys().wechatProfile(baseUrl))
            || !writeProfile(dir, QStringLiteral("alipay.json"), server.keys().alipayProfile(baseUrl))) {
            std::fprintf(stderr, "paydesk-sandbox: cannot write the profiles to %s\n", qPrintable(dir));
            return 1;
        }
    }
    std::fprintf(stdout, "listening on %s\n", qPrintable(baseUrl));
    std::fflush(stdout);
    return QCoreApplication::exec();
}
