#include "channels/WeChatPayChannel.h"

#include "channels/BillWriter.h"
#include "channels/ChannelHttp.h"
#include "channels/WeChatPayProtocol.h"
#include "crypto/Crypto.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QUrl>

#include <optional>

namespace paydesk {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("paydesk::WeChatPayChannel", text);
}

ChannelError badAnswer(const QString &message, int http = 0)
{
    return ChannelError::make(ChannelError::Kind::Server, QStringLiteral("BAD_RESPONSE"), message, http);
}

ChannelError mismatch(const QString &message)
{
    return ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("MISMATCH"), message);
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QString pathSegment(const QString &s)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(s));
}

/// Whose an answer is. A notification must name our merchant (mchid) and, for a transaction,
/// our app (appid): WeChat Pay signs every merchant's notifications with the same platform
/// key, so a genuine one of another merchant or app must not pay our order. A query answer is
/// checked where it names them.
std::optional<ChannelError> checkOwner(const QJsonObject &o, const QString &mchid, const QString &appid, bool required)
{
    const QString answerMchid = o.value(QStringLiteral("mchid")).toString();
    if (answerMchid.isEmpty() && required)
        return mismatch(tr("The notification names no merchant (mchid); this profile is merchant %1.").arg(mchid));
    if (!answerMchid.isEmpty() && answerMchid != mchid)
        return mismatch(tr("The answer is for merchant %1, not %2.").arg(answerMchid, mchid));
    if (appid.isNull())
        return std::nullopt; // refunds carry no appid
    const QString answerAppid = o.value(QStringLiteral("appid")).toString();
    if (answerAppid.isEmpty() && required)
        return mismatch(tr("The notification names no app (appid); this profile is app %1.").arg(appid));
    if (!answerAppid.isEmpty() && answerAppid != appid)
        return mismatch(tr("The answer is for app %1, not %2.").arg(answerAppid, appid));
    return std::nullopt;
}

/// A transaction (query answer or decrypted TRANSACTION.* resource) as a PaymentStatus.
ChannelReply<PaymentStatus> paymentFrom(const QJsonObject &o, const QString &mchid, const QString &appid,
                                        const QString &expectedOutTradeNo, bool notification = false)
{
    const QString state = o.value(QStringLiteral("trade_state")).toString();
    const auto ts = wechatpay::tradeStateFromWire(state);
    if (!ts)
        return badAnswer(tr("Unknown trade_state \"%1\".").arg(state));
    PaymentStatus p;
    p.outTradeNo = o.value(QStringLiteral("out_trade_no")).toString();
    if (!expectedOutTradeNo.isEmpty() && p.outTradeNo != expectedOutTradeNo)
        return mismatch(tr("Asked about %1 but WeChat Pay answered about \"%2\".").arg(expectedOutTradeNo, p.outTradeNo));
    if (auto wrong = checkOwner(o, mchid, appid, notification))
        return *wrong;
    p.state = *ts;
    p.rawState = state;
    p.channelTxnId = o.value(QStringLiteral("transaction_id")).toString();
    if (p.state == TradeState::Success || p.state == TradeState::Refunded) {
        const QJsonObject amount = o.value(QStringLiteral("amount")).toObject();
        // total is the order's amount (what the merchant is owed, coupons included).
        const QJsonValue total = amount.value(QStringLiteral("total"));
        if (!total.isDouble() || total.toInteger(-1) < 0)
            return badAnswer(tr("A paid transaction without amount.total."));
        p.amountMinor = total.toInteger();
        p.currency = amount.value(QStringLiteral("currency")).toString();
        p.paidAtMs = wechatpay::parseRfc3339(o.value(QStringLiteral("success_time")).toString());
    }
    return p;
}

/// A refund (create/query answer, or a decrypted REFUND.* resource) as a RefundResult.
ChannelReply<RefundResult> refundFrom(const QJsonObject &o, const QString &mchid, const QString &expectedOutRefundNo,
                                      bool notification = false)
{
    QString status = o.value(QStringLiteral("status")).toString();
    if (status.isEmpty())
        status = o.value(QStringLiteral("refund_status")).toString(); // the notification's name for it
    const auto rs = wechatpay::refundStatusFromWire(status);
    if (!rs)
        return badAnswer(tr("Unknown refund status \"%1\".").arg(status));
    RefundResult r;
    r.outRefundNo = o.value(QStringLiteral("out_refund_no")).toString();
    if (!expectedOutRefundNo.isEmpty() && r.outRefundNo != expectedOutRefundNo)
        return mismatch(tr("Asked about refund %1 but WeChat Pay answered about \"%2\".").arg(expectedOutRefundNo, r.outRefundNo));
    if (auto wrong = checkOwner(o, mchid, QString(), notification))
        return *wrong;
    r.outTradeNo = o.value(QStringLiteral("out_trade_no")).toString();
    r.status = *rs;
    r.rawStatus = status;
    r.channelRefundId = o.value(QStringLiteral("refund_id")).toString();
    r.amountMinor = o.value(QStringLiteral("amount")).toObject().value(QStringLiteral("refund")).toInteger();
    r.currency = o.value(QStringLiteral("amount")).toObject().value(QStringLiteral("currency")).toString();
    r.succeededAtMs = wechatpay::parseRfc3339(o.value(QStringLiteral("success_time")).toString());
    return r;
}

} // namespace

struct WeChatPayChannel::Private
{
    Private(const ChannelProfile &p, const Clock &c) : profile(p), clock(c) {}
    ChannelProfile profile;
    const Clock &clock;
    crypto::PrivateKey merchantKey;
    wechatpay::Verifier verifier;
    QString gateway; ///< without a trailing '/'
    ChannelHttp *http = nullptr;
};

Result<std::unique_ptr<WeChatPayChannel>> WeChatPayChannel::create(const ChannelProfile &profile, const Clock &clock,
                                                                   QObject *parent)
{
    if (profile.kind != ChannelKind::WeChat)
        return Error::invalid(QStringLiteral("profile.bad_channel"), tr("This is not a WeChat Pay profile."));
    if (Status s = profile.validate(); !s)
        return s.error();
    auto d = std::make_unique<Private>(profile, clock);
    auto key = crypto::PrivateKey::fromPem(profile.privateKeyPem);
    if (!key)
        return key.error();
    d->merchantKey = key.value();
    if (!profile.platformPublicKeyPem.isEmpty()) {
        auto pub = crypto::PublicKey::fromPem(profile.platformPublicKeyPem);
        if (!pub)
            return pub.error();
        d->verifier.setPublicKey(profile.platformPublicKeyId, pub.value());
    }
    for (const QByteArray &pem : profile.platformCertificates) {
        auto cert = crypto::parseCertificate(pem);
        if (!cert)
            return cert.error();
        d->verifier.addPlatformCertificate(cert->serialHex, cert->publicKey);
    }
    d->gateway = profile.gatewayUrl;
    while (d->gateway.endsWith(u'/'))
        d->gateway.chop(1);
    return std::unique_ptr<WeChatPayChannel>(new WeChatPayChannel(std::move(d), parent));
}

WeChatPayChannel::WeChatPayChannel(std::unique_ptr<Private> dd, QObject *parent) : PaymentChannel(parent), d(std::move(dd))
{
    d->http = new ChannelHttp(QUrl(d->gateway), this);
}

WeChatPayChannel::~WeChatPayChannel()
{
    crypto::wipe(d->profile.privateKeyPem);
    crypto::wipe(d->profile.apiV3Key);
}

void WeChatPayChannel::setTransferTimeoutMs(int ms)
{
    d->http->setTransferTimeoutMs(ms);
}

const ChannelProfile &WeChatPayChannel::profile() const
{
    return d->profile;
}

void WeChatPayChannel::call(const QByteArray &verb, const QString &pathAndQuery, const QByteArray &body,
                            std::function<void(const HttpAnswer &, const ChannelError *)> done)
{
    const QUrl url(d->gateway + pathAndQuery, QUrl::StrictMode);
    QByteArray canonical = url.path(QUrl::FullyEncoded).toLatin1();
    if (url.hasQuery())
        canonical += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    const qint64 timestamp = d->clock.nowMs() / 1000;
    const QByteArray nonce = crypto::randomAlnum(32);
    auto sig = d->merchantKey.signSha256(wechatpay::requestMessage(verb, canonical, timestamp, nonce, body));
    if (!sig) {
        HttpAnswer none;
        const ChannelError e = ChannelError::make(ChannelError::Kind::Config, QStringLiteral("SIGN_FAILED"), sig.error().message);
        // Still never inside the call: answer on the next turn of the event loop.
        QMetaObject::invokeMethod(this, [done, none, e] { done(none, &e); }, Qt::QueuedConnection);
        return;
    }
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", wechatpay::authorizationHeader(d->profile.merchantId, nonce, timestamp,
                                                                         d->profile.merchantSerial, sig->toBase64()));
    request.setRawHeader("Accept", "application/json");
    if (verb != "GET")
        request.setRawHeader("Content-Type", "application/json");
    d->http->send(verb, request, body, [this, done = std::move(done)](const HttpAnswer &a) {
        if (!a.answered) {
            done(a, &a.transportError);
            return;
        }
        const auto signedHeaders = wechatpay::SignedHeaders::from(a.headers);
        const bool success = a.status >= 200 && a.status < 300;
        if (success || signedHeaders.present()) {
            // A 2xx must be signed; a signed error must be signed correctly.
            if (auto bad = d->verifier.verify(signedHeaders, a.body, d->clock.nowMs())) {
                bad->httpStatus = a.status;
                done(a, &*bad);
                return;
            }
        }
        if (!success) {
            // WeChat Pay signs its error answers too, except a 401 for a request it could not
            // authenticate; a proxy's 502/503 is never signed. Those unsigned answers only lead
            // to a retry or a configuration error. Any other unsigned refusal (ORDER_NOT_EXIST,
            // ORDERPAID, ...) could steer the books, so it is refused like an unsigned 2xx.
            const bool harmless = a.status == 401 || a.status == 429 || a.status >= 500;
            if (!signedHeaders.present() && !harmless) {
                ChannelError forged = ChannelError::make(
                    ChannelError::Kind::Signature, QStringLiteral("UNSIGNED"),
                    tr("WeChat Pay's HTTP %1 answer is not signed; it is treated as forged.").arg(a.status), a.status);
                done(a, &forged);
                return;
            }
            const ChannelError e = wechatpay::errorFromAnswer(a.status, a.body, a.headers.value("request-id"));
            done(a, &e);
            return;
        }
        done(a, nullptr);
    });
}

void WeChatPayChannel::createNative(const CreatePaymentRequest &request, QObject *context, Callback<CreatedPayment> done)
{
    QPointer<QObject> ctx(context);
    if (request.currency != QStringLiteral("CNY") || request.amountMinor <= 0) {
        deliverLater<CreatedPayment>(context, std::move(done),
                                     ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("PARAM_ERROR"),
                                                        tr("WeChat Pay native payments take a positive CNY amount.")));
        return;
    }
    QJsonObject body{{QStringLiteral("appid"), d->profile.appId},
                     {QStringLiteral("mchid"), d->profile.merchantId},
                     {QStringLiteral("description"), request.description.left(127)},
                     {QStringLiteral("out_trade_no"), request.outTradeNo},
                     {QStringLiteral("amount"), QJsonObject{{QStringLiteral("total"), request.amountMinor},
                                                            {QStringLiteral("currency"), request.currency}}}};
    if (request.expiresAtMs > 0)
        body.insert(QStringLiteral("time_expire"), wechatpay::rfc3339(request.expiresAtMs));
    // Required by WeChat Pay: never left out (the profile's, else the documented default).
    body.insert(QStringLiteral("notify_url"), request.notifyUrl.isEmpty() ? d->profile.effectiveNotifyUrl() : request.notifyUrl);
    call("POST", QStringLiteral("/v3/pay/transactions/native"), compact(body),
         [ctx, done = std::move(done)](const HttpAnswer &a, const ChannelError *error) {
             if (error)
                 return deliverLater<CreatedPayment>(ctx, done, *error);
             const QString codeUrl = QJsonDocument::fromJson(a.body).object().value(QStringLiteral("code_url")).toString();
             if (codeUrl.isEmpty())
                 return deliverLater<CreatedPayment>(ctx, done, badAnswer(tr("The answer has no code_url."), a.status));
             deliverLater<CreatedPayment>(ctx, done, CreatedPayment{codeUrl});
         });
}

void WeChatPayChannel::queryPayment(const QString &outTradeNo, QObject *context, Callback<PaymentStatus> done)
{
    QPointer<QObject> ctx(context);
    const QString path = QStringLiteral("/v3/pay/transactions/out-trade-no/%1?mchid=%2")
                             .arg(pathSegment(outTradeNo), pathSegment(d->profile.merchantId));
    call("GET", path, {}, [this, ctx, outTradeNo, done = std::move(done)](const HttpAnswer &a, const ChannelError *error) {
        if (error)
            return deliverLater<PaymentStatus>(ctx, done, *error);
        deliverLater<PaymentStatus>(ctx, done,
                                    paymentFrom(QJsonDocument::fromJson(a.body).object(), d->profile.merchantId,
                                                                d->profile.appId, outTradeNo));
    });
}

void WeChatPayChannel::closePayment(const QString &outTradeNo, QObject *context, Callback<Done> done)
{
    QPointer<QObject> ctx(context);
    const QString path = QStringLiteral("/v3/pay/transactions/out-trade-no/%1/close").arg(pathSegment(outTradeNo));
    call("POST", path, compact(QJsonObject{{QStringLiteral("mchid"), d->profile.merchantId}}),
         [ctx, done = std::move(done)](const HttpAnswer &, const ChannelError *error) {
             if (error)
                 return deliverLater<Done>(ctx, done, *error);
             deliverLater<Done>(ctx, done, Done{});
         });
}

void WeChatPayChannel::refund(const RefundRequest &request, QObject *context, Callback<RefundResult> done)
{
    QPointer<QObject> ctx(context);
    if (request.currency != QStringLiteral("CNY") || request.refundMinor <= 0 || request.totalMinor < request.refundMinor) {
        deliverLater<RefundResult>(context, std::move(done),
                                   ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("PARAM_ERROR"),
                                                      tr("A refund needs a positive CNY amount no larger than the payment.")));
        return;
    }
    QJsonObject body{{QStringLiteral("out_trade_no"), request.outTradeNo},
                     {QStringLiteral("out_refund_no"), request.outRefundNo},
                     {QStringLiteral("amount"), QJsonObject{{QStringLiteral("refund"), request.refundMinor},
                                                            {QStringLiteral("total"), request.totalMinor},
                                                            {QStringLiteral("currency"), request.currency}}}};
    if (!request.reason.isEmpty())
        body.insert(QStringLiteral("reason"), request.reason.left(80));
    const QString notify = request.notifyUrl.isEmpty() ? d->profile.notifyUrl : request.notifyUrl;
    if (!notify.isEmpty())
        body.insert(QStringLiteral("notify_url"), notify);
    const QString outRefundNo = request.outRefundNo;
    call("POST", QStringLiteral("/v3/refund/domestic/refunds"), compact(body),
         [this, ctx, outRefundNo, done = std::move(done)](const HttpAnswer &a, const ChannelError *error) {
             if (error)
                 return deliverLater<RefundResult>(ctx, done, *error);
             deliverLater<RefundResult>(ctx, done,
                                        refundFrom(QJsonDocument::fromJson(a.body).object(), d->profile.merchantId, outRefundNo));
         });
}

void WeChatPayChannel::queryRefund(const QString &outRefundNo, const QString &, QObject *context, Callback<RefundResult> done)
{
    QPointer<QObject> ctx(context);
    call("GET", QStringLiteral("/v3/refund/domestic/refunds/%1").arg(pathSegment(outRefundNo)), {},
         [this, ctx, outRefundNo, done = std::move(done)](const HttpAnswer &a, const ChannelError *error) {
             if (error)
                 return deliverLater<RefundResult>(ctx, done, *error);
             deliverLater<RefundResult>(ctx, done,
                                        refundFrom(QJsonDocument::fromJson(a.body).object(), d->profile.merchantId, outRefundNo));
         });
}

void WeChatPayChannel::download(const QUrl &url, std::function<void(const HttpAnswer &, const ChannelError *)> done)
{
    QByteArray canonical = url.path(QUrl::FullyEncoded).toLatin1();
    if (url.hasQuery())
        canonical += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    const qint64 timestamp = d->clock.nowMs() / 1000;
    const QByteArray nonce = crypto::randomAlnum(32);
    auto sig = d->merchantKey.signSha256(wechatpay::requestMessage("GET", canonical, timestamp, nonce, {}));
    if (!sig) {
        HttpAnswer none;
        const ChannelError e = ChannelError::make(ChannelError::Kind::Config, QStringLiteral("SIGN_FAILED"), sig.error().message);
        QMetaObject::invokeMethod(this, [done, none, e] { done(none, &e); }, Qt::QueuedConnection);
        return;
    }
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", wechatpay::authorizationHeader(d->profile.merchantId, nonce, timestamp,
                                                                         d->profile.merchantSerial, sig->toBase64()));
    d->http->send("GET", request, {}, [done = std::move(done)](const HttpAnswer &a) {
        if (!a.answered)
            return done(a, &a.transportError);
        if (a.status != 200) {
            // Unsigned like the file itself; an error here can only mean "no file", never steer the books.
            const ChannelError e = wechatpay::errorFromAnswer(a.status, a.body, a.headers.value("request-id"));
            return done(a, &e);
        }
        done(a, nullptr);
    });
}

void WeChatPayChannel::fetchBill(const BillRequest &request, QObject *context, Callback<BillFile> done)
{
    QPointer<QObject> ctx(context);
    if (!request.date.isValid()) {
        deliverLater<BillFile>(context, std::move(done),
                               ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("PARAM_ERROR"), tr("A bill needs a date.")));
        return;
    }
    const bool fundFlow = request.kind == BillKind::FundFlow;
    const QString date = request.date.toString(Qt::ISODate);
    const QString path = fundFlow ? QStringLiteral("/v3/bill/fundflowbill?bill_date=%1&account_type=BASIC&tar_type=GZIP").arg(date)
                                  : QStringLiteral("/v3/bill/tradebill?bill_date=%1&bill_type=ALL&tar_type=GZIP").arg(date);
    BillFile file;
    file.request = request;
    file.channel = ChannelKind::WeChat;
    bills::BillMeta meta;
    meta.date = request.date;
    meta.merchantId = d->profile.merchantId;
    file.fileName = bills::weChatBillFileName(meta, fundFlow);
    call("GET", path, {}, [this, ctx, file, done = std::move(done)](const HttpAnswer &a, const ChannelError *error) mutable {
        if (error) {
            // Signed refusals that are not errors: no bill that day, or not made yet.
            if (error->code == QStringLiteral("NO_STATEMENT_EXIST") || error->code == QStringLiteral("STATEMENT_CREATING")) {
                file.status = error->code == QStringLiteral("NO_STATEMENT_EXIST") ? BillFile::Status::NoBill : BillFile::Status::NotReady;
                file.message = error->message;
                return deliverLater<BillFile>(ctx, done, file);
            }
            return deliverLater<BillFile>(ctx, done, *error);
        }
        const QJsonObject o = QJsonDocument::fromJson(a.body).object();
        file.hashType = o.value(QStringLiteral("hash_type")).toString();
        file.hashValue = o.value(QStringLiteral("hash_value")).toString().toLower();
        const QString downloadUrl = o.value(QStringLiteral("download_url")).toString();
        if (file.hashType != QStringLiteral("SHA1") || file.hashValue.size() != 40)
            return deliverLater<BillFile>(ctx, done, badAnswer(tr("The bill answer has no SHA1 hash_value."), a.status));
        const QUrl url(downloadUrl, QUrl::StrictMode);
        const QUrl gateway(d->gateway);
        const bool sameOrigin = url.scheme() == gateway.scheme() && url.host().compare(gateway.host(), Qt::CaseInsensitive) == 0
            && url.port(url.scheme() == QStringLiteral("https") ? 443 : 80) == gateway.port(gateway.scheme() == QStringLiteral("https") ? 443 : 80);
        const bool sandboxLoopback = isLoopbackHost(gateway.host()) && isLoopbackHost(url.host())
            && (url.scheme() == QStringLiteral("http") || url.scheme() == QStringLiteral("https"));
        if (!url.isValid() || (!sameOrigin && !sandboxLoopback))
            return deliverLater<BillFile>(
                ctx, done,
                ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("BAD_DOWNLOAD_URL"),
                                   tr("The bill's download_url \"%1\" is not on the gateway %2; PayDesk does not send its signature "
                                      "anywhere else.").arg(url.toDisplayString(QUrl::RemoveQuery), d->gateway)));
        download(url, [ctx, file, done](const HttpAnswer &got, const ChannelError *failed) mutable {
            if (failed)
                return deliverLater<BillFile>(ctx, done, *failed);
            auto plain = bills::gunzip(got.body);
            if (!plain)
                return deliverLater<BillFile>(ctx, done, badAnswer(tr("The bill download is not a valid gzip file: %1").arg(plain.error().message), got.status));
            const QString actual = QString::fromLatin1(QCryptographicHash::hash(plain.value(), QCryptographicHash::Sha1).toHex());
            if (actual != file.hashValue)
                return deliverLater<BillFile>(
                    ctx, done,
                    ChannelError::make(ChannelError::Kind::Signature, QStringLiteral("BILL_HASH_MISMATCH"),
                                       tr("The downloaded bill's SHA-1 %1 is not the %2 WeChat Pay signed: the file was altered or "
                                          "truncated, and is refused.").arg(actual, file.hashValue)));
            file.status = BillFile::Status::Ready;
            file.content = plain.value();
            deliverLater<BillFile>(ctx, done, file);
        });
    });
}

ChannelReply<ChannelNotification> WeChatPayChannel::decodeNotification(const QMap<QByteArray, QByteArray> &headers,
                                                                       const QByteArray &body) const
{
    QHash<QByteArray, QByteArray> lower;
    for (auto it = headers.cbegin(); it != headers.cend(); ++it)
        lower.insert(it.key().toLower(), it.value());
    if (auto bad = d->verifier.verify(wechatpay::SignedHeaders::from(lower), body, d->clock.nowMs()))
        return *bad;
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &perr);
    if (!doc.isObject())
        return ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("BAD_NOTIFICATION"),
                                  tr("The notification is not JSON: %1").arg(perr.errorString()));
    const QJsonObject envelope = doc.object();
    auto plain = wechatpay::decryptResource(d->profile.apiV3Key, envelope.value(QStringLiteral("resource")).toObject());
    if (!plain)
        return ChannelError::make(ChannelError::Kind::Signature, QStringLiteral("DECRYPT_FAILED"),
                                  tr("Cannot decrypt the notification resource (is the APIv3 key right?): %1")
                                      .arg(plain.error().message));
    const QJsonObject resource = QJsonDocument::fromJson(plain.value()).object();
    const QString event = envelope.value(QStringLiteral("event_type")).toString();
    ChannelNotification n;
    n.id = envelope.value(QStringLiteral("id")).toString();
    if (event.startsWith(QStringLiteral("TRANSACTION."))) {
        auto p = paymentFrom(resource, d->profile.merchantId, d->profile.appId, {}, true);
        if (!p.ok())
            return p.error();
        n.kind = ChannelNotification::Kind::Payment;
        n.payment = p.value();
        return n;
    }
    if (event.startsWith(QStringLiteral("REFUND."))) {
        auto r = refundFrom(resource, d->profile.merchantId, {}, true);
        if (!r.ok())
            return r.error();
        n.kind = ChannelNotification::Kind::Refund;
        n.refund = r.value();
        return n;
    }
    return ChannelError::make(ChannelError::Kind::Rejected, QStringLiteral("UNSUPPORTED_EVENT"),
                              tr("Unsupported notification event_type \"%1\".").arg(event));
}

} // namespace paydesk
