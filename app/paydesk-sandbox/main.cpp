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
  POST /v3/pay/transactions/native
  GET  /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=...
  POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close          (204)
  POST /v3/refund/domestic/refunds
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
  GET  /downloadBillFile.resource?...&token=...   the zip (GBK 业务明细 and 业务明细(汇总) CSV)
Sandbox only:
  POST /sandbox/pay/{out_trade_no}     a customer pays ({"channel":..,"even_if_closed":true})
  POST /sandbox/scan/{out_trade_no}    an Alipay buyer scans (the trade starts to exist)
  POST /sandbox/faults                 {"channel":"wechat|alipay|*","op":"create|query|close|refund|
                                        query_refund|notify|*","kind":"latency|http_500|drop|unsigned|
                                        stale_timestamp|bad_signature|wrong_serial|tamper_body|
                                        pay_before_close|unscanned_stays_payable|refund_fail|
                                        bad_bill_hash|bill_not_ready|
                                        foreign_download_url|foreign_app|foreign_merchant|
                                        no_merchant|stale_notify_time",
                                        "times":1,"latency_ms":2000,"lands":false}
                                       (op "bill" = the bill API, "bill_download" = the file;
                                        notify only, genuinely signed: foreign_app = another
                                        app_id/appid, foreign_merchant = another seller_id/mchid,
                                        no_merchant = without seller_id/mchid, stale_notify_time =
                                        an Alipay notify_time 25 hours ago;
                                        bad_bill_hash: the signed hash_value does not match the file;
                                        bill_not_ready: STATEMENT_CREATING / isp.bill_not_exist;
                                        foreign_download_url: WeChat's download_url on another host)
  POST /sandbox/bill-discrepancy       {"channel":"wechat|alipay","kind":"unknown-payment|wrong-amount|
                                        missing-refund|paid-after-close","ref":"out_trade_no or
                                        out_refund_no","amount":123}  (amount in fen: the unknown
                                        payment, or what the bill shows for wrong-amount); a closed
                                        payment paid after close sends no notification
  DELETE /sandbox/bill-discrepancy     forget wrong-amount / missing-refund
  DELETE /sandbox/faults
  POST /sandbox/refund-plan            {"outcome":"SUCCESS|ABNORMAL|CLOSED","after_queries":1}
  POST /sandbox/key-mode               {"mode":"certificate|public_key"} (which key signs WeChat answers)
  POST /sandbox/notify-url             {"url":"http://..."} (post every notification there)
  POST /sandbox/notify/{out_trade_no}  post the payment notification again
  GET  /sandbox/state
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
                                     + QString::fromLatin1(kEndpoints));
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
