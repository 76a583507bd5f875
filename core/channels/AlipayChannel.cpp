#include "channels/AlipayChannel.h"

#include "channels/AlipayProtocol.h"
#include "channels/BillWriter.h"
#include "channels/ChannelHttp.h"
#include "crypto/Crypto.h"

#include <QJsonDocument>
#include <QPointer>
#include <QDateTime>
#include <QTimeZone>
#include <QUrl>
#include <QUrlQuery>

namespace paydesk {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("paydesk::AlipayChannel", text);
}

ChannelError badAnswer(const QString &message, int http = 0)
{
    return ChannelError::make(ChannelError::Kind::Server, QStringLiteral("BAD_RESPONSE"), message, http);
}

ChannelError mismatch(const QString &message)
{
    return ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("MISMATCH"), message);
}

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

} // namespace

struct AlipayChannel::Private
{
    Private(const ChannelProfile &p, const Clock &c) : profile(p), clock(c) {}
    ChannelProfile profile;
    const Clock &clock;
    crypto::PrivateKey appKey;
    crypto::PublicKey alipayKey;
    ChannelHttp *http = nullptr;

    bool verify(const QByteArray &content, const QByteArray &signBase64) const
    {
        const auto sig = QByteArray::fromBase64Encoding(signBase64, QByteArray::AbortOnBase64DecodingErrors);
        if (!sig)
            return false;
        if (alipayKey.verifySha256(content, *sig))
            return true;
        // Like the official SDK: some answers were signed before '/' was escaped as "\/".
        if (content.contains("\\/")) {
            QByteArray unescaped = content;
            unescaped.replace("\\/", "/");
            return alipayKey.verifySha256(unescaped, *sig);
        }
        return false;
    }
};

Result<std::unique_ptr<AlipayChannel>> AlipayChannel::create(const ChannelProfile &profile, const Clock &clock,
                                                             QObject *parent)
{
    if (profile.kind != ChannelKind::Alipay)
        return Error::invalid(QStringLiteral("profile.bad_channel"), tr("This is not an Alipay profile."));
    if (Status s = profile.validate(); !s)
        return s.error();
    auto d = std::make_unique<Private>(profile, clock);
    auto key = crypto::PrivateKey::fromPem(profile.privateKeyPem);
    if (!key)
        return key.error();
    d->appKey = key.value();
    auto pub = crypto::PublicKey::fromPem(profile.platformPublicKeyPem);
    if (!pub)
        return pub.error();
    d->alipayKey = pub.value();
    return std::unique_ptr<AlipayChannel>(new AlipayChannel(std::move(d), parent));
}

AlipayChannel::AlipayChannel(std::unique_ptr<Private> dd, QObject *parent) : PaymentChannel(parent), d(std::move(dd))
{
    d->http = new ChannelHttp(QUrl(d->profile.gatewayUrl), this);
}

AlipayChannel::~AlipayChannel()
{
    crypto::wipe(d->profile.privateKeyPem);
}

void AlipayChannel::setTransferTimeoutMs(int ms)
{
    d->http->setTransferTimeoutMs(ms);
}

const ChannelProfile &AlipayChannel::profile() const
{
    return d->profile;
}

void AlipayChannel::call(const QString &method, const QJsonObject &bizContent, const QString &notifyUrl,
                         std::function<void(const QJsonObject &, const ChannelError *)> done)
{
    alipay::Params params{{QStringLiteral("app_id"), d->profile.appId},
                          {QStringLiteral("method"), method},
                          {QStringLiteral("format"), QStringLiteral("JSON")},
                          {QStringLiteral("charset"), QStringLiteral("utf-8")},
                          {QStringLiteral("sign_type"), QStringLiteral("RSA2")},
                          {QStringLiteral("timestamp"), alipay::beijingTime(d->clock.nowMs())},
                          {QStringLiteral("version"), QStringLiteral("1.0")},
                          {QStringLiteral("biz_content"),
                           QString::fromUtf8(QJsonDocument(bizContent).toJson(QJsonDocument::Compact))}};
    if (!notifyUrl.isEmpty())
        params.insert(QStringLiteral("notify_url"), notifyUrl);
    auto sig = d->appKey.signSha256(alipay::signContent(params, false));
    if (!sig) {
        const ChannelError e = ChannelError::make(ChannelError::Kind::Config, QStringLiteral("SIGN_FAILED"), sig.error().message);
        QMetaObject::invokeMethod(this, [done, e] { done({}, &e); }, Qt::QueuedConnection);
        return;
    }
    params.insert(QStringLiteral("sign"), QString::fromLatin1(sig->toBase64()));
    QNetworkRequest request(QUrl(d->profile.gatewayUrl, QUrl::StrictMode));
    request.setRawHeader("Content-Type", "application/x-www-form-urlencoded;charset=utf-8");
    request.setRawHeader("Accept", "application/json");
    const QString node = alipay::responseNode(method);
    d->http->send("POST", request, alipay::encodeForm(params), [this, node, done = std::move(done)](const HttpAnswer &a) {
        if (!a.answered)
            return done({}, &a.transportError);
        if (a.status != 200) {
            const ChannelError e = ChannelError::make(a.status >= 500 ? ChannelError::Kind::Server : ChannelError::Kind::Rejected,
                                                      QStringLiteral("HTTP_%1").arg(a.status),
                                                      tr("The Alipay gateway answered HTTP %1.").arg(a.status), a.status);
            return done({}, &e);
        }
        QString found;
        const auto content = alipay::extractResponseContent(a.body, node, &found);
        if (!content) {
            const ChannelError e = badAnswer(tr("The answer has no %1 object.").arg(node), a.status);
            return done({}, &e);
        }
        const QJsonObject nodeObject = QJsonDocument::fromJson(*content).object();
        const QByteArray sign = QJsonDocument::fromJson(a.body).object().value(QStringLiteral("sign")).toString().toLatin1();
        const QString code = str(nodeObject, "code");
        if (sign.isEmpty()) {
            // Only a gateway-level refusal of our own request (bad app id, bad signature, missing
            // parameter) comes unsigned; anything that could move money must be signed.
            const bool gatewayRefusal = code == QStringLiteral("40001") || code == QStringLiteral("40002")
                || code == QStringLiteral("40006") || code == QStringLiteral("20000") || code == QStringLiteral("20001");
            if (!gatewayRefusal) {
                const ChannelError e = ChannelError::make(ChannelError::Kind::Signature, QStringLiteral("UNSIGNED"),
                                                          tr("The Alipay answer is not signed; it is treated as forged."), a.status);
                return done({}, &e);
            }
        } else if (!d->verify(*content, sign)) {
            const ChannelError e = ChannelError::make(
                ChannelError::Kind::Signature, QStringLiteral("BAD_SIGNATURE"),
                tr("The Alipay answer's signature does not match its content: it was altered or forged."), a.status);
            return done({}, &e);
        }
        if (code != QStringLiteral("10000")) {
            const ChannelError e = alipay::errorFromAnswer(nodeObject, a.status);
            return done(nodeObject, &e);
        }
        done(nodeObject, nullptr);
    });
}

void AlipayChannel::createNative(const CreatePaymentRequest &request, QObject *context, Callback<CreatedPayment> done)
{
    QPointer<QObject> ctx(context);
    if (request.currency != QStringLiteral("CNY") || request.amountMinor <= 0) {
        deliverLater<CreatedPayment>(context, std::move(done),
                                     ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("ACQ.INVALID_PARAMETER"),
                                                        tr("Alipay QR payments take a positive CNY amount.")));
        return;
    }
    QJsonObject biz{{QStringLiteral("out_trade_no"), request.outTradeNo},
                    {QStringLiteral("total_amount"), alipay::yuan(request.amountMinor)},
                    {QStringLiteral("subject"), request.description.isEmpty() ? request.outTradeNo : request.description.left(256)}};
    if (request.expiresAtMs > 0)
        biz.insert(QStringLiteral("time_expire"), alipay::beijingTime(request.expiresAtMs));
    const QString notify = request.notifyUrl.isEmpty() ? d->profile.notifyUrl : request.notifyUrl;
    const QString outTradeNo = request.outTradeNo;
    call(QStringLiteral("alipay.trade.precreate"), biz, notify,
         [ctx, outTradeNo, done = std::move(done)](const QJsonObject &node, const ChannelError *error) {
             if (error)
                 return deliverLater<CreatedPayment>(ctx, done, *error);
             if (str(node, "out_trade_no") != outTradeNo)
                 return deliverLater<CreatedPayment>(ctx, done, mismatch(tr("The answer is about another trade.")));
             const QString qr = str(node, "qr_code");
             if (qr.isEmpty())
                 return deliverLater<CreatedPayment>(ctx, done, badAnswer(tr("The answer has no qr_code.")));
             deliverLater<CreatedPayment>(ctx, done, CreatedPayment{qr});
         });
}

namespace {
ChannelReply<PaymentStatus> paymentFromAlipay(const QJsonObject &o, const QString &expectedOutTradeNo,
                                              const QString &statusKey, const QString &paidAtKey)
{
    const QString state = str(o, statusKey.toLatin1().constData());
    const auto ts = alipay::tradeStateFromWire(state);
    if (!ts)
        return badAnswer(tr("Unknown trade_status \"%1\".").arg(state));
    PaymentStatus p;
    p.outTradeNo = str(o, "out_trade_no");
    if (!expectedOutTradeNo.isEmpty() && p.outTradeNo != expectedOutTradeNo)
        return mismatch(tr("Asked about %1 but Alipay answered about \"%2\".").arg(expectedOutTradeNo, p.outTradeNo));
    p.state = *ts;
    p.rawState = state;
    p.channelTxnId = str(o, "trade_no");
    const QString paidAt = str(o, paidAtKey.toLatin1().constData());
    // TRADE_CLOSED after a payment means it was refunded in full.
    if (p.state == TradeState::Closed && !paidAt.isEmpty())
        p.state = TradeState::Refunded;
    if (p.state == TradeState::Success || p.state == TradeState::Refunded) {
        const auto amount = alipay::parseYuan(str(o, "total_amount"));
        if (!amount)
            return badAnswer(tr("A paid trade with a malformed total_amount \"%1\".").arg(str(o, "total_amount")));
        p.amountMinor = *amount;
        p.paidAtMs = alipay::parseBeijingTime(paidAt);
    }
    return p;
}
} // namespace

void AlipayChannel::queryPayment(const QString &outTradeNo, QObject *context, Callback<PaymentStatus> done)
{
    QPointer<QObject> ctx(context);
    call(QStringLiteral("alipay.trade.query"), QJsonObject{{QStringLiteral("out_trade_no"), outTradeNo}}, {},
         [ctx, outTradeNo, done = std::move(done)](const QJsonObject &node, const ChannelError *error) {
             if (error)
                 return deliverLater<PaymentStatus>(ctx, done, *error);
             deliverLater<PaymentStatus>(ctx, done,
                                         paymentFromAlipay(node, outTradeNo, QStringLiteral("trade_status"),
                                                           QStringLiteral("send_pay_date")));
         });
}

void AlipayChannel::closePayment(const QString &outTradeNo, QObject *context, Callback<Done> done)
{
    QPointer<QObject> ctx(context);
    call(QStringLiteral("alipay.trade.close"), QJsonObject{{QStringLiteral("out_trade_no"), outTradeNo}}, {},
         [ctx, done = std::move(done)](const QJsonObject &, const ChannelError *error) {
             // Already closed: closed. Never scanned (ACQ.TRADE_NOT_EXIST) is told as it is, a
             // NotFound: Alipay had no trade to close, so nothing proves the QR code cannot still
             // be scanned; the closer records it as "did not exist" and the timer looks once more
             // after the code's expiry (LateLook).
             if (error && error->code != QStringLiteral("ACQ.TRADE_HAS_CLOSE"))
                 return deliverLater<Done>(ctx, done, *error);
             deliverLater<Done>(ctx, done, Done{});
         });
}

void AlipayChannel::refund(const RefundRequest &request, QObject *context, Callback<RefundResult> done)
{
    QPointer<QObject> ctx(context);
    if (request.currency != QStringLiteral("CNY") || request.refundMinor <= 0 || request.totalMinor < request.refundMinor) {
        deliverLater<RefundResult>(context, std::move(done),
                                   ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("ACQ.INVALID_PARAMETER"),
                                                      tr("A refund needs a positive CNY amount no larger than the payment.")));
        return;
    }
    QJsonObject biz{{QStringLiteral("out_trade_no"), request.outTradeNo},
                    {QStringLiteral("refund_amount"), alipay::yuan(request.refundMinor)},
                    {QStringLiteral("out_request_no"), request.outRefundNo}};
    if (!request.reason.isEmpty())
        biz.insert(QStringLiteral("refund_reason"), request.reason.left(256));
    const RefundRequest req = request;
    call(QStringLiteral("alipay.trade.refund"), biz, {},
         [ctx, req, done = std::move(done)](const QJsonObject &node, const ChannelError *error) {
             if (error)
                 return deliverLater<RefundResult>(ctx, done, *error);
             if (str(node, "out_trade_no") != req.outTradeNo)
                 return deliverLater<RefundResult>(ctx, done, mismatch(tr("The answer is about another trade.")));
             RefundResult r;
             r.outRefundNo = req.outRefundNo;
             r.outTradeNo = req.outTradeNo;
             r.channelRefundId = str(node, "trade_no");
             r.amountMinor = req.refundMinor;
             // fund_change Y: the money moved now. N: this request changed nothing (a repeat
             // of a refund already made, or not settled yet): the refund query tells which.
             r.rawStatus = str(node, "fund_change") == QStringLiteral("Y") ? QStringLiteral("REFUND_SUCCESS")
                                                                            : QStringLiteral("FUND_CHANGE_N");
             r.status = r.rawStatus == QStringLiteral("REFUND_SUCCESS") ? RefundStatus::Success : RefundStatus::Processing;
             r.succeededAtMs = r.status == RefundStatus::Success ? alipay::parseBeijingTime(str(node, "gmt_refund_pay")) : 0;
             deliverLater<RefundResult>(ctx, done, r);
         });
}

void AlipayChannel::queryRefund(const QString &outRefundNo, const QString &outTradeNo, QObject *context,
                                Callback<RefundResult> done)
{
    QPointer<QObject> ctx(context);
    call(QStringLiteral("alipay.trade.fastpay.refund.query"),
         QJsonObject{{QStringLiteral("out_trade_no"), outTradeNo}, {QStringLiteral("out_request_no"), outRefundNo}}, {},
         [ctx, outRefundNo, outTradeNo, done = std::move(done)](const QJsonObject &node, const ChannelError *error) {
             if (error)
                 return deliverLater<RefundResult>(ctx, done, *error);
             // Alipay's rule: no refund data means no refund was made; it may be sent again with
             // the same out_request_no.
             if (str(node, "out_request_no").isEmpty() && str(node, "refund_amount").isEmpty())
                 return deliverLater<RefundResult>(
                     ctx, done,
                     ChannelError::make(ChannelError::Kind::NotFound, QStringLiteral("RESOURCE_NOT_EXISTS"),
                                        tr("Alipay has no refund %1 for %2.").arg(outRefundNo, outTradeNo)));
             if (str(node, "out_request_no") != outRefundNo)
                 return deliverLater<RefundResult>(ctx, done, mismatch(tr("The answer is about another refund.")));
             const auto amount = alipay::parseYuan(str(node, "refund_amount"));
             if (!amount)
                 return deliverLater<RefundResult>(ctx, done, badAnswer(tr("Malformed refund_amount.")));
             RefundResult r;
             r.outRefundNo = outRefundNo;
             r.outTradeNo = outTradeNo;
             r.channelRefundId = str(node, "trade_no");
             r.amountMinor = *amount;
             const QString status = str(node, "refund_status");
             r.rawStatus = status.isEmpty() ? QStringLiteral("REFUND_SUCCESS") : status;
             // An empty refund_status with refund data is a success (Alipay's documented rule).
             r.status = r.rawStatus == QStringLiteral("REFUND_SUCCESS") ? RefundStatus::Success : RefundStatus::Processing;
             r.succeededAtMs = alipay::parseBeijingTime(str(node, "gmt_refund_pay"));
             deliverLater<RefundResult>(ctx, done, r);
         });
}

void AlipayChannel::fetchBill(const BillRequest &request, QObject *context, Callback<BillFile> done)
{
    QPointer<QObject> ctx(context);
    if (request.kind != BillKind::Trade || !request.date.isValid()) {
        deliverLater<BillFile>(context, std::move(done),
                               ChannelError::make(ChannelError::Kind::Config, QStringLiteral("NO_BILLS"),
                                                  tr("PayDesk fetches Alipay's trade bills only.")));
        return;
    }
    BillFile file;
    file.request = request;
    file.channel = ChannelKind::Alipay;
    const QDate today = QDateTime::fromMSecsSinceEpoch(d->clock.nowMs(), QTimeZone(8 * 3600)).date();
    const QString gatewayHost = QUrl(d->profile.gatewayUrl).host();
    call(QStringLiteral("alipay.data.dataservice.bill.downloadurl.query"),
         QJsonObject{{QStringLiteral("bill_type"), QStringLiteral("trade")}, {QStringLiteral("bill_date"), request.date.toString(Qt::ISODate)}},
         {}, [this, ctx, file, today, gatewayHost, done = std::move(done)](const QJsonObject &node, const ChannelError *error) mutable {
             if (error) {
                 if (error->code == QStringLiteral("isp.bill_not_exist")) {
                     file.status = file.request.date >= today.addDays(-1) ? BillFile::Status::NotReady : BillFile::Status::NoBill;
                     file.message = error->message;
                     return deliverLater<BillFile>(ctx, done, file);
                 }
                 return deliverLater<BillFile>(ctx, done, *error);
             }
             QUrl url(str(node, "bill_download_url"), QUrl::StrictMode);
             const bool loopback = isLoopbackHost(gatewayHost) && isLoopbackHost(url.host());
             if (url.scheme() == QStringLiteral("http") && !loopback
                 && (url.host().endsWith(QStringLiteral(".alipay.com")) || url.host() == gatewayHost))
                 url.setScheme(QStringLiteral("https"));
             if (!url.isValid() || url.host().isEmpty() || (url.scheme() != QStringLiteral("https") && !(loopback && url.scheme() == QStringLiteral("http"))))
                 return deliverLater<BillFile>(ctx, done,
                                               ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("BAD_DOWNLOAD_URL"),
                                                                  tr("The bill_download_url \"%1\" is not https.")
                                                                      .arg(url.toDisplayString(QUrl::RemoveQuery))));
             const QString fileName = QUrlQuery(url).queryItemValue(QStringLiteral("downloadFileName"), QUrl::FullyDecoded);
             QNetworkRequest get(url);
             d->http->send("GET", get, {}, [ctx, file, fileName, done](const HttpAnswer &a) mutable {
                 if (!a.answered)
                     return deliverLater<BillFile>(ctx, done, a.transportError);
                 if (a.status != 200)
                     return deliverLater<BillFile>(ctx, done,
                                                   ChannelError::make(a.status >= 500 ? ChannelError::Kind::Server : ChannelError::Kind::Rejected,
                                                                      QStringLiteral("HTTP_%1").arg(a.status),
                                                                      tr("The bill download answered HTTP %1.").arg(a.status), a.status));
                 // The zip is not signed; at least it must be one whose files all read back whole.
                 auto entries = bills::readZip(a.body);
                 if (!entries)
                     return deliverLater<BillFile>(ctx, done, badAnswer(tr("The bill download is not a readable zip: %1").arg(entries.error().message)));
                 file.status = BillFile::Status::Ready;
                 file.content = a.body;
                 bills::BillMeta meta;
                 meta.date = file.request.date;
                 meta.merchantId = QStringLiteral("alipay");
                 file.fileName = fileName.isEmpty() ? bills::alipayZipName(meta) : fileName;
                 deliverLater<BillFile>(ctx, done, file);
             });
         });
}

ChannelReply<ChannelNotification> AlipayChannel::decodeNotification(const QMap<QByteArray, QByteArray> &,
                                                                    const QByteArray &body) const
{
    const alipay::Params params = alipay::parseForm(body);
    const QByteArray sign = params.value(QStringLiteral("sign")).toLatin1();
    if (sign.isEmpty())
        return ChannelError::make(ChannelError::Kind::Signature, QStringLiteral("UNSIGNED"),
                                  tr("The Alipay notification is not signed; it is treated as forged."));
    const QString signType = params.value(QStringLiteral("sign_type"));
    if (!signType.isEmpty() && signType != QStringLiteral("RSA2"))
        return ChannelError::make(ChannelError::Kind::Signature, QStringLiteral("BAD_SIGNATURE_TYPE"),
                                  tr("Unsupported sign_type \"%1\" (only RSA2).").arg(signType));
    if (!d->verify(alipay::signContent(params, true), sign))
        return ChannelError::make(ChannelError::Kind::Signature, QStringLiteral("BAD_SIGNATURE"),
                                  tr("The Alipay notification's signature does not match: it was altered or forged."));
    // Signed by Alipay, but is it for us, and is it now? A genuine notification of another app
    // or seller (same Alipay key), or an old one replayed, must not move our books.
    if (params.value(QStringLiteral("app_id")) != d->profile.appId)
        return mismatch(tr("The notification is for app %1, not %2.").arg(params.value(QStringLiteral("app_id")), d->profile.appId));
    if (!d->profile.merchantId.isEmpty() && params.value(QStringLiteral("seller_id")) != d->profile.merchantId)
        return mismatch(params.value(QStringLiteral("seller_id")).isEmpty()
                            ? tr("The notification names no seller_id; this profile expects seller %1.").arg(d->profile.merchantId)
                            : tr("The notification is for seller %1, not %2.")
                                  .arg(params.value(QStringLiteral("seller_id")), d->profile.merchantId));
    const QString notifyTime = params.value(QStringLiteral("notify_time"));
    const qint64 notifiedAt = alipay::parseBeijingTime(notifyTime);
    if (!alipay::notifyTimeAcceptable(notifiedAt, d->clock.nowMs()))
        return ChannelError::make(ChannelError::Kind::Signature, QStringLiteral("STALE_TIMESTAMP"),
                                  notifiedAt == 0
                                      ? tr("The notification has no readable notify_time (\"%1\"); it is refused.").arg(notifyTime)
                                      : tr("The notification was sent at %1 (Beijing time), more than 24 hours ago or ahead of "
                                           "our clock: a replay or a wrong clock, refused.")
                                            .arg(notifyTime));
    QJsonObject o;
    for (auto it = params.cbegin(); it != params.cend(); ++it)
        o.insert(it.key(), it.value());
    ChannelNotification n;
    n.id = params.value(QStringLiteral("notify_id"));
    const QString outBizNo = params.value(QStringLiteral("out_biz_no"));
    if (!outBizNo.isEmpty() && !params.value(QStringLiteral("refund_fee")).isEmpty()) {
        const auto amount = alipay::parseYuan(params.value(QStringLiteral("refund_fee")));
        if (!amount)
            return badAnswer(tr("Malformed refund_fee."));
        n.kind = ChannelNotification::Kind::Refund;
        n.refund.outRefundNo = outBizNo;
        n.refund.outTradeNo = params.value(QStringLiteral("out_trade_no"));
        n.refund.channelRefundId = params.value(QStringLiteral("trade_no"));
        n.refund.amountMinor = *amount;
        n.refund.status = RefundStatus::Success;
        n.refund.rawStatus = QStringLiteral("REFUND_SUCCESS");
        n.refund.succeededAtMs = alipay::parseBeijingTime(params.value(QStringLiteral("gmt_refund")));
        return n;
    }
    auto p = paymentFromAlipay(o, {}, QStringLiteral("trade_status"), QStringLiteral("gmt_payment"));
    if (!p.ok())
        return p.error();
    n.kind = ChannelNotification::Kind::Payment;
    n.payment = p.value();
    return n;
}

} // namespace paydesk
