#include "SandboxServer.h"

#include "channels/AlipayProtocol.h"
#include "channels/WeChatPayProtocol.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QTimeZone>
#include <QDir>
#include <QFile>
#include <QHttpServerRequest>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPointer>
#include <QSaveFile>
#include <QTcpSocket>
#include <QTimer>
#include <QUuid>

#include <cstdio>

namespace paydesk::sandbox {

namespace {

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

QString digits(int n)
{
    QString out;
    const QByteArray bytes = crypto::randomBytes(n);
    for (char b : bytes)
        out.append(QChar(u'0' + quint8(b) % 10));
    return out;
}

SandboxServer::Reply jsonReply(int status, const QJsonObject &o)
{
    SandboxServer::Reply r;
    r.status = status;
    r.body = compact(o);
    r.headers << qMakePair(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json"));
    return r;
}

SandboxServer::Reply plainError(int status, const QString &message)
{
    return jsonReply(status, QJsonObject{{QStringLiteral("error"), message}});
}

bool asciiAlnum(QChar c)
{
    return (c >= u'0' && c <= u'9') || (c >= u'A' && c <= u'Z') || (c >= u'a' && c <= u'z');
}

/// WeChat Pay's alphabet for out_trade_no / out_refund_no: digits, letters and _-|*@.
bool validOutNo(const QString &s, qsizetype min = 1, qsizetype max = 64)
{
    if (s.size() < min || s.size() > max)
        return false;
    for (QChar c : s) {
        if (!asciiAlnum(c) && c != u'_' && c != u'-' && c != u'|' && c != u'*' && c != u'@')
            return false;
    }
    return true;
}

/// Alipay's out_trade_no: letters, digits and underscore, at most 64.
bool validAlipayOutTradeNo(const QString &s)
{
    if (s.isEmpty() || s.size() > 64)
        return false;
    for (QChar c : s) {
        if (!asciiAlnum(c) && c != u'_')
            return false;
    }
    return true;
}

/// WeChat Pay's notify_url: an absolute http(s) URL without a query (the real API takes https
/// only; the sandbox also takes http, so a test can receive on loopback).
bool validNotifyUrl(const QString &s)
{
    const QUrl u(s, QUrl::StrictMode);
    return u.isValid() && (u.scheme() == QStringLiteral("https") || u.scheme() == QStringLiteral("http")) && !u.host().isEmpty()
        && !u.hasQuery() && s.size() <= 256;
}

/// The decoded last-but-n path segment.
QString segment(const QString &path, int fromEnd)
{
    const QStringList parts = path.split(u'/');
    if (parts.size() <= fromEnd)
        return {};
    return QUrl::fromPercentEncoding(parts.at(parts.size() - 1 - fromEnd).toUtf8());
}

} // namespace

SandboxServer::SandboxServer(SandboxKeys keys, QObject *parent)
    : QAbstractHttpServer(parent), m_keys(std::move(keys)), m_nam(new QNetworkAccessManager(this))
{
    m_nam->setProxy(QNetworkProxy(QNetworkProxy::NoProxy));
}

SandboxServer::~SandboxServer() = default;

void SandboxServer::setStateDir(const QString &dir)
{
    if (dir.isEmpty())
        return;
    m_booksPath = QDir(dir).filePath(QStringLiteral("sandbox-books.json"));
    QFile file(m_booksPath);
    if (!file.open(QIODevice::ReadOnly))
        return;
    const QJsonObject o = QJsonDocument::fromJson(file.readAll()).object();
    const QJsonArray payments = o.value(QStringLiteral("payments")).toArray();
    for (const QJsonValue &v : payments) {
        const QJsonObject j = v.toObject();
        Payment p;
        p.channel = j.value(QStringLiteral("channel")).toString();
        p.outTradeNo = j.value(QStringLiteral("out_trade_no")).toString();
        p.amount = j.value(QStringLiteral("amount")).toInteger();
        p.description = j.value(QStringLiteral("description")).toString();
        p.state = j.value(QStringLiteral("state")).toString();
        p.txnId = j.value(QStringLiteral("txn_id")).toString();
        p.codeUrl = j.value(QStringLiteral("code_url")).toString();
        p.createdAt = j.value(QStringLiteral("created_at")).toInteger();
        p.expiresAt = j.value(QStringLiteral("expires_at")).toInteger();
        p.paidAt = j.value(QStringLiteral("paid_at")).toInteger();
        p.refunded = j.value(QStringLiteral("refunded")).toInteger();
        p.notifyUrl = j.value(QStringLiteral("notify_url")).toString();
        m_payments.insert(p.channel + u'/' + p.outTradeNo, p);
    }
    const QJsonArray refunds = o.value(QStringLiteral("refunds")).toArray();
    for (const QJsonValue &v : refunds) {
        const QJsonObject j = v.toObject();
        Refund f;
        f.channel = j.value(QStringLiteral("channel")).toString();
        f.outRefundNo = j.value(QStringLiteral("out_refund_no")).toString();
        f.outTradeNo = j.value(QStringLiteral("out_trade_no")).toString();
        f.refundId = j.value(QStringLiteral("refund_id")).toString();
        f.amount = j.value(QStringLiteral("amount")).toInteger();
        f.status = j.value(QStringLiteral("status")).toString();
        f.outcome = j.value(QStringLiteral("outcome")).toString();
        f.queriesLeft = j.value(QStringLiteral("queries_left")).toInt();
        f.createdAt = j.value(QStringLiteral("created_at")).toInteger();
        f.successAt = j.value(QStringLiteral("success_at")).toInteger();
        f.notifyUrl = j.value(QStringLiteral("notify_url")).toString();
        m_refunds.insert(f.channel + u'/' + f.outRefundNo, f);
    }
}

void SandboxServer::saveBooks() const
{
    if (m_booksPath.isEmpty())
        return;
    QJsonArray payments;
    for (const Payment &p : m_payments)
        payments.append(QJsonObject{{QStringLiteral("channel"), p.channel},
                                    {QStringLiteral("out_trade_no"), p.outTradeNo},
                                    {QStringLiteral("amount"), p.amount},
                                    {QStringLiteral("description"), p.description},
                                    {QStringLiteral("state"), p.state},
                                    {QStringLiteral("txn_id"), p.txnId},
                                    {QStringLiteral("code_url"), p.codeUrl},
                                    {QStringLiteral("created_at"), p.createdAt},
                                    {QStringLiteral("expires_at"), p.expiresAt},
                                    {QStringLiteral("paid_at"), p.paidAt},
                                    {QStringLiteral("refunded"), p.refunded},
                                    {QStringLiteral("notify_url"), p.notifyUrl}});
    QJsonArray refunds;
    for (const Refund &f : m_refunds)
        refunds.append(QJsonObject{{QStringLiteral("channel"), f.channel},
                                   {QStringLiteral("out_refund_no"), f.outRefundNo},
                                   {QStringLiteral("out_trade_no"), f.outTradeNo},
                                   {QStringLiteral("refund_id"), f.refundId},
                                   {QStringLiteral("amount"), f.amount},
                                   {QStringLiteral("status"), f.status},
                                   {QStringLiteral("outcome"), f.outcome},
                                   {QStringLiteral("queries_left"), f.queriesLeft},
                                   {QStringLiteral("created_at"), f.createdAt},
                                   {QStringLiteral("success_at"), f.successAt},
                                   {QStringLiteral("notify_url"), f.notifyUrl}});
    QSaveFile out(m_booksPath);
    if (!out.open(QIODevice::WriteOnly))
        return;
    out.write(QJsonDocument(QJsonObject{{QStringLiteral("payments"), payments}, {QStringLiteral("refunds"), refunds}})
                  .toJson(QJsonDocument::Compact));
    out.commit();
}

qint64 SandboxServer::now() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

SandboxServer::Payment *SandboxServer::payment(const QString &channel, const QString &outTradeNo)
{
    auto it = m_payments.find(channel + u'/' + outTradeNo);
    return it == m_payments.end() ? nullptr : &it.value();
}

// ---- transport ----------------------------------------------------------------------------

SandboxServer::Reply SandboxServer::handle(const QByteArray &method, const QUrl &url,
                                           const QHash<QByteArray, QByteArray> &headers, const QByteArray &body)
{
    Request r;
    r.method = method;
    r.path = url.path();
    r.canonicalUrl = url.path(QUrl::FullyEncoded).toLatin1();
    if (url.hasQuery())
        r.canonicalUrl += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    for (auto it = headers.cbegin(); it != headers.cend(); ++it)
        r.headers.insert(it.key().toLower(), it.value());
    r.body = body;
    r.query = QUrlQuery(url.query()); // as QHttpServerRequest::query() does
    r.rawQuery = url.query(QUrl::FullyEncoded).toLatin1();
    return route(r);
}

bool SandboxServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    QByteArray method;
    switch (request.method()) {
    case QHttpServerRequest::Method::Get: method = "GET"; break;
    case QHttpServerRequest::Method::Post: method = "POST"; break;
    case QHttpServerRequest::Method::Delete: method = "DELETE"; break;
    case QHttpServerRequest::Method::Put: method = "PUT"; break;
    default: method = "OTHER"; break;
    }
    QHash<QByteArray, QByteArray> headers;
    for (const auto &[name, value] : request.headers())
        headers.insert(name.toLower(), value);
    const Reply reply = handle(method, request.url(), headers, request.body());
    const QString path = request.url().path();
    if (method != "GET")
        saveBooks();
    std::fprintf(stderr, "sandbox: %s %s -> %s\n", method.constData(), qPrintable(path),
                 reply.drop ? "dropped" : QByteArray::number(reply.status).constData());
    std::fflush(stderr);
    QPointer<QTcpSocket> guard(socket);
    // Answer on a later turn of the event loop, never inside the server's read handler.
    QTimer::singleShot(reply.delayMs, this, [this, guard, reply] {
        if (guard)
            send(guard, reply);
    });
    return true;
}

void SandboxServer::missingHandler(const QHttpServerRequest &, QTcpSocket *socket)
{
    send(socket, plainError(404, QStringLiteral("no such endpoint")));
}

void SandboxServer::send(QTcpSocket *socket, const Reply &reply)
{
    if (reply.drop) {
        socket->abort();
        return;
    }
    QByteArray out = "HTTP/1.1 " + QByteArray::number(reply.status) + ' ' + reason(reply.status) + "\r\n";
    for (const auto &[name, value] : reply.headers)
        out += name + ": " + value + "\r\n";
    if (reply.status != 204)
        out += "Content-Length: " + QByteArray::number(reply.body.size()) + "\r\n";
    out += "\r\n";
    if (reply.status != 204)
        out += reply.body;
    socket->write(out);
}

SandboxServer::Reply SandboxServer::route(const Request &r)
{
    if (r.path.startsWith(QStringLiteral("/v3/")))
        return wechat(r);
    if (r.path == QStringLiteral("/gateway.do"))
        return alipay(r);
    if (r.path == QStringLiteral("/downloadBillFile.resource"))
        return billDownload(r, QStringLiteral("alipay"));
    if (r.path.startsWith(QStringLiteral("/sandbox/")))
        return control(r);
    return plainError(404, QStringLiteral("no such endpoint"));
}

std::optional<SandboxServer::Fault> SandboxServer::takeFaultAny(const QString &channel, const QString &op)
{
    for (auto it = m_faults.begin(); it != m_faults.end(); ++it) {
        if ((it->channel == QStringLiteral("*") || it->channel == channel) && (it->op == QStringLiteral("*") || it->op == op)) {
            Fault f = *it;
            if (--it->times <= 0)
                m_faults.erase(it);
            return f;
        }
    }
    return std::nullopt;
}

// ---- WeChat Pay v3 ------------------------------------------------------------------------

QList<QPair<QByteArray, QByteArray>> SandboxServer::wechatSignedHeaders(QByteArray &body, const std::optional<Fault> &fault)
{
    const auto is = [&fault](FaultKind k) { return fault && fault->kind == k; };
    QList<QPair<QByteArray, QByteArray>> h;
    if (is(FaultKind::Unsigned))
        return h;
    qint64 ts = now() / 1000;
    if (is(FaultKind::StaleTimestamp))
        ts -= 10 * 60;
    const QByteArray timestamp = QByteArray::number(ts);
    const QByteArray nonce = crypto::randomAlnum(32);
    const crypto::PrivateKey &key = m_publicKeyMode ? m_keys.wechatPayKey : m_keys.platformKey;
    QString serial = m_publicKeyMode ? m_keys.wechatPayKeyId : m_keys.platformSerial;
    if (is(FaultKind::WrongSerial))
        serial = QStringLiteral("7B2E0D1C5A4F3E2D1C0B9A8F7E6D5C4B3A291807");
    QByteArray message = wechatpay::responseMessage(timestamp, nonce, body);
    if (is(FaultKind::BadSignature))
        message += "forged";
    const QByteArray signature = key.signSha256(message).value().toBase64();
    QByteArray sentNonce = nonce;
    if (is(FaultKind::TamperBody)) {
        // Change what the answer says after it was signed (for an empty 204 body, the signed
        // nonce is all there is to change).
        if (body.isEmpty())
            sentNonce = crypto::randomAlnum(32);
        else if (body.contains("NOTPAY"))
            body.replace("NOTPAY", "SUCCESS");
        else if (body.contains("PROCESSING"))
            body.replace("PROCESSING", "SUCCESS");
        else if (body.contains("weixin://"))
            body.replace("weixin://", "weixin://evil/");
        else
            body.append(' ');
    }
    h << qMakePair(QByteArrayLiteral("Wechatpay-Timestamp"), timestamp)
      << qMakePair(QByteArrayLiteral("Wechatpay-Nonce"), sentNonce)
      << qMakePair(QByteArrayLiteral("Wechatpay-Serial"), serial.toLatin1())
      << qMakePair(QByteArrayLiteral("Wechatpay-Signature"), signature)
      << qMakePair(QByteArrayLiteral("Wechatpay-Signature-Type"), QByteArray(wechatpay::kSchema));
    return h;
}

SandboxServer::Reply SandboxServer::wechatAnswer(int status, const QByteArray &payload, const std::optional<Fault> &fault)
{
    Reply r;
    r.status = status;
    r.body = payload;
    r.headers = wechatSignedHeaders(r.body, fault);
    r.headers << qMakePair(QByteArrayLiteral("Request-ID"), QUuid::createUuid().toByteArray(QUuid::WithoutBraces));
    if (!r.body.isEmpty())
        r.headers << qMakePair(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json; charset=utf-8"));
    return r;
}

SandboxServer::Reply SandboxServer::wechatError(int status, const QString &code, const QString &message,
                                                const std::optional<Fault> &fault)
{
    return wechatAnswer(status, compact(QJsonObject{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}}), fault);
}

QJsonObject SandboxServer::wechatTransaction(const Payment &p) const
{
    QJsonObject o{{QStringLiteral("appid"), m_keys.appid},
                  {QStringLiteral("mchid"), m_keys.mchid},
                  {QStringLiteral("out_trade_no"), p.outTradeNo},
                  {QStringLiteral("trade_type"), QStringLiteral("NATIVE")},
                  {QStringLiteral("trade_state"), p.state},
                  {QStringLiteral("trade_state_desc"), p.state == QStringLiteral("SUCCESS") ? QStringLiteral("支付成功")
                                                                                             : QString(QStringLiteral("订单状态：") + p.state)},
                  {QStringLiteral("attach"), QString()}};
    if (!p.txnId.isEmpty()) {
        o.insert(QStringLiteral("transaction_id"), p.txnId);
        o.insert(QStringLiteral("bank_type"), QStringLiteral("OTHERS"));
        o.insert(QStringLiteral("success_time"), wechatpay::rfc3339(p.paidAt));
        o.insert(QStringLiteral("payer"), QJsonObject{{QStringLiteral("openid"), QString(QStringLiteral("oSandbox") + p.txnId.right(8))}});
        o.insert(QStringLiteral("amount"), QJsonObject{{QStringLiteral("total"), p.amount},
                                                       {QStringLiteral("payer_total"), p.amount},
                                                       {QStringLiteral("currency"), QStringLiteral("CNY")},
                                                       {QStringLiteral("payer_currency"), QStringLiteral("CNY")}});
    } else {
        o.insert(QStringLiteral("amount"), QJsonObject{{QStringLiteral("total"), p.amount},
                                                       {QStringLiteral("currency"), QStringLiteral("CNY")}});
    }
    return o;
}

QJsonObject SandboxServer::wechatRefund(const Refund &f, const Payment &p) const
{
    QJsonObject o{{QStringLiteral("refund_id"), f.refundId},
                  {QStringLiteral("out_refund_no"), f.outRefundNo},
                  {QStringLiteral("transaction_id"), p.txnId},
                  {QStringLiteral("out_trade_no"), p.outTradeNo},
                  {QStringLiteral("channel"), QStringLiteral("ORIGINAL")},
                  {QStringLiteral("user_received_account"), QStringLiteral("支付用户零钱")},
                  {QStringLiteral("create_time"), wechatpay::rfc3339(f.createdAt)},
                  {QStringLiteral("status"), f.status},
                  {QStringLiteral("funds_account"), QStringLiteral("AVAILABLE")},
                  {QStringLiteral("amount"), QJsonObject{{QStringLiteral("total"), p.amount},
                                                         {QStringLiteral("refund"), f.amount},
                                                         {QStringLiteral("payer_total"), p.amount},
                                                         {QStringLiteral("payer_refund"), f.amount},
                                                         {QStringLiteral("settlement_total"), p.amount},
                                                         {QStringLiteral("settlement_refund"), f.amount},
                                                         {QStringLiteral("discount_refund"), 0},
                                                         {QStringLiteral("currency"), QStringLiteral("CNY")}}}};
    if (f.successAt > 0)
        o.insert(QStringLiteral("success_time"), wechatpay::rfc3339(f.successAt));
    return o;
}

void SandboxServer::settleRefundQuery(Refund &f)
{
    if (f.status != QStringLiteral("PROCESSING"))
        return;
    if (--f.queriesLeft > 0)
        return;
    f.status = f.outcome;
    Payment *p = payment(f.channel, f.outTradeNo);
    if (f.status == QStringLiteral("SUCCESS")) {
        f.successAt = now();
        if (p) {
            p->refunded += f.amount;
            p->state = QStringLiteral("REFUND");
        }
    }
    if (p)
        notifyRefund(f, *p);
}

SandboxServer::Reply SandboxServer::wechat(const Request &r)
{
    // Which operation?
    QString op;
    const QString base = QStringLiteral("/v3/pay/transactions/out-trade-no/");
    if (r.method == "POST" && r.path == QStringLiteral("/v3/pay/transactions/native"))
        op = QStringLiteral("create");
    else if (r.method == "GET" && r.path.startsWith(base) && r.path.count(u'/') == 5)
        op = QStringLiteral("query");
    else if (r.method == "POST" && r.path.startsWith(base) && r.path.endsWith(QStringLiteral("/close")))
        op = QStringLiteral("close");
    else if (r.method == "POST" && r.path == QStringLiteral("/v3/refund/domestic/refunds"))
        op = QStringLiteral("refund");
    else if (r.method == "GET" && r.path.startsWith(QStringLiteral("/v3/refund/domestic/refunds/")))
        op = QStringLiteral("query_refund");
    else if (r.method == "GET" && (r.path == QStringLiteral("/v3/bill/tradebill") || r.path == QStringLiteral("/v3/bill/fundflowbill")))
        op = QStringLiteral("bill");
    else if (r.method == "GET" && r.path == QStringLiteral("/v3/billdownload/file"))
        op = QStringLiteral("bill_download");
    else
        return wechatError(404, QStringLiteral("NOT_FOUND"), QStringLiteral("no such API in the sandbox"));
    ++m_calls[QStringLiteral("wechat.") + op];

    // The client's signature.
    const auto auth = wechatpay::parseAuthorization(r.headers.value("authorization"));
    if (!auth)
        return wechatError(401, QStringLiteral("SIGN_ERROR"), QStringLiteral("Authorization header missing or malformed"));
    if (auth->mchid != m_keys.mchid)
        return wechatError(401, QStringLiteral("SIGN_ERROR"), QStringLiteral("mchid in Authorization is not this merchant"));
    if (auth->serial.toUpper() != m_keys.merchantSerial)
        return wechatError(401, QStringLiteral("SIGN_ERROR"), QStringLiteral("serial_no is not the merchant certificate serial"));
    if (!wechatpay::withinClockSkew(auth->timestamp, now()))
        return wechatError(401, QStringLiteral("SIGN_ERROR"), QStringLiteral("timestamp is more than 5 minutes off"));
    const auto sig = QByteArray::fromBase64Encoding(auth->signature, QByteArray::AbortOnBase64DecodingErrors);
    if (!sig || !m_keys.merchantKey.publicKey().verifySha256(
            wechatpay::requestMessage(r.method, r.canonicalUrl, auth->timestamp, auth->nonce, r.body), *sig))
        return wechatError(401, QStringLiteral("SIGN_ERROR"), QStringLiteral("signature verification failed"));

    const auto fault = takeFaultAny(QStringLiteral("wechat"), op);
    const auto is = [&fault](FaultKind k) { return fault && fault->kind == k; };
    if (is(FaultKind::Http500) && !fault->lands)
        return wechatError(500, QStringLiteral("SYSTEM_ERROR"), QStringLiteral("sandbox: injected system error"));
    if (is(FaultKind::Drop) && !fault->lands) {
        Reply dropped;
        dropped.drop = true;
        dropped.delayMs = fault->latencyMs;
        return dropped;
    }

    Reply reply;
    const QJsonObject body = QJsonDocument::fromJson(r.body).object();
    if (op == QStringLiteral("create")) {
        const QString no = body.value(QStringLiteral("out_trade_no")).toString();
        const QJsonObject amount = body.value(QStringLiteral("amount")).toObject();
        const qint64 total = amount.value(QStringLiteral("total")).toInteger(-1);
        const QString currency = amount.value(QStringLiteral("currency")).toString(QStringLiteral("CNY"));
        const QString description = body.value(QStringLiteral("description")).toString();
        const QString timeExpire = body.value(QStringLiteral("time_expire")).toString();
        const qint64 expiresAt = timeExpire.isEmpty() ? 0 : wechatpay::parseRfc3339(timeExpire);
        Payment *existing = payment(QStringLiteral("wechat"), no);
        if (body.value(QStringLiteral("appid")).toString() != m_keys.appid
            || body.value(QStringLiteral("mchid")).toString() != m_keys.mchid)
            reply = wechatError(400, QStringLiteral("APPID_MCHID_NOT_MATCH"), QStringLiteral("appid and mchid do not match"), fault);
        else if (!validOutNo(no, 6, 32))
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"),
                                QStringLiteral("out_trade_no must be 6-32 of digits, letters and _-|*@"), fault);
        else if (!body.contains(QStringLiteral("notify_url")))
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"),
                                QStringLiteral("输入源“/body/notify_url”映射到字段“通知地址”必填性规则校验失败，此字段为必填项"), fault);
        else if (!validNotifyUrl(body.value(QStringLiteral("notify_url")).toString()))
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"),
                                QStringLiteral("notify_url must be an absolute URL without a query"), fault);
        else if (description.isEmpty())
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"), QStringLiteral("description is required"), fault);
        else if (total <= 0 || currency != QStringLiteral("CNY"))
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"), QStringLiteral("amount.total must be a positive CNY amount in fen"), fault);
        else if (!timeExpire.isEmpty() && expiresAt == 0)
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"), QStringLiteral("time_expire is not RFC 3339 with an offset"), fault);
        else if (expiresAt != 0 && expiresAt < now())
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"), QStringLiteral("time_expire has already passed"), fault);
        else if (existing && existing->state == QStringLiteral("CLOSED"))
            reply = wechatError(400, QStringLiteral("ORDER_CLOSED"), QStringLiteral("the order is closed"), fault);
        else if (existing && existing->state != QStringLiteral("NOTPAY"))
            reply = wechatError(400, QStringLiteral("ORDERPAID"), QStringLiteral("the order is already paid"), fault);
        else if (existing && (existing->amount != total || existing->description != description))
            reply = wechatError(400, QStringLiteral("INVALID_REQUEST"), QStringLiteral("out_trade_no was used with other parameters"), fault);
        else {
            if (!existing) {
                Payment p;
                p.channel = QStringLiteral("wechat");
                p.outTradeNo = no;
                p.amount = total;
                p.description = description;
                p.state = QStringLiteral("NOTPAY");
                p.codeUrl = QStringLiteral("weixin://wxpay/bizpayurl?pr=") + QString::fromLatin1(crypto::randomAlnum(7));
                p.createdAt = now();
                p.expiresAt = expiresAt;
                p.notifyUrl = body.value(QStringLiteral("notify_url")).toString();
                existing = &m_payments.insert(QStringLiteral("wechat/") + no, p).value();
            }
            reply = wechatAnswer(200, compact(QJsonObject{{QStringLiteral("code_url"), existing->codeUrl}}), fault);
        }
    } else if (op == QStringLiteral("query")) {
        const QString no = segment(r.path, 0);
        const Payment *p = payment(QStringLiteral("wechat"), no);
        if (r.query.queryItemValue(QStringLiteral("mchid")) != m_keys.mchid)
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"), QStringLiteral("mchid is missing or wrong"), fault);
        else if (!p)
            reply = wechatError(404, QStringLiteral("ORDER_NOT_EXIST"), QStringLiteral("订单不存在"), fault);
        else
            reply = wechatAnswer(200, compact(wechatTransaction(*p)), fault);
    } else if (op == QStringLiteral("close")) {
        const QString no = segment(r.path, 1);
        if (is(FaultKind::PayBeforeClose))
            (void)customerPays(QStringLiteral("wechat/") + no, false); // the customer confirms in that instant
        Payment *p = payment(QStringLiteral("wechat"), no);
        if (body.value(QStringLiteral("mchid")).toString() != m_keys.mchid)
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"), QStringLiteral("mchid is missing or wrong"), fault);
        else if (!p)
            reply = wechatError(404, QStringLiteral("ORDER_NOT_EXIST"), QStringLiteral("订单不存在"), fault);
        else if (p->state == QStringLiteral("SUCCESS") || p->state == QStringLiteral("REFUND"))
            reply = wechatError(400, QStringLiteral("ORDERPAID"), QStringLiteral("订单已支付"), fault);
        else {
            p->state = QStringLiteral("CLOSED");
            reply = wechatAnswer(204, {}, fault);
        }
    } else if (op == QStringLiteral("refund")) {
        const QString no = body.value(QStringLiteral("out_trade_no")).toString();
        const QString refundNo = body.value(QStringLiteral("out_refund_no")).toString();
        const QJsonObject amount = body.value(QStringLiteral("amount")).toObject();
        const qint64 refund = amount.value(QStringLiteral("refund")).toInteger(-1);
        const qint64 total = amount.value(QStringLiteral("total")).toInteger(-1);
        Payment *p = payment(QStringLiteral("wechat"), no);
        Refund *existing = nullptr;
        if (auto it = m_refunds.find(QStringLiteral("wechat/") + refundNo); it != m_refunds.end())
            existing = &it.value();
        qint64 held = 0;
        for (const Refund &f : std::as_const(m_refunds)) {
            if (f.channel == QStringLiteral("wechat") && f.outTradeNo == no && f.status != QStringLiteral("CLOSED"))
                held += f.amount;
        }
        if (!validOutNo(refundNo))
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"), QStringLiteral("out_refund_no is required"), fault);
        else if (!p)
            reply = wechatError(404, QStringLiteral("RESOURCE_NOT_EXISTS"), QStringLiteral("订单不存在"), fault);
        else if (existing && (existing->amount != refund || existing->outTradeNo != no))
            reply = wechatError(400, QStringLiteral("INVALID_REQUEST"), QStringLiteral("out_refund_no was used with other parameters"), fault);
        else if (existing)
            reply = wechatAnswer(200, compact(wechatRefund(*existing, *p)), fault);
        else if (p->state != QStringLiteral("SUCCESS") && p->state != QStringLiteral("REFUND"))
            reply = wechatError(400, QStringLiteral("INVALID_REQUEST"), QStringLiteral("the order is not paid"), fault);
        else if (refund <= 0 || total != p->amount || amount.value(QStringLiteral("currency")).toString() != QStringLiteral("CNY"))
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"), QStringLiteral("amount.refund/total/currency are wrong"), fault);
        else if (held + refund > p->amount)
            reply = wechatError(400, QStringLiteral("INVALID_REQUEST"), QStringLiteral("申请退款金额超过订单可退金额"), fault);
        else if (is(FaultKind::RefundFail)) // NOT_ENOUGH: the merchant's balance is short, not the payment
            reply = wechatError(403, QStringLiteral("NOT_ENOUGH"), QStringLiteral("基本账户余额不足，请充值后重新发起"), fault);
        else {
            Refund f;
            f.channel = QStringLiteral("wechat");
            f.outRefundNo = refundNo;
            f.outTradeNo = no;
            f.refundId = QStringLiteral("50") + digits(27);
            f.amount = refund;
            f.status = QStringLiteral("PROCESSING");
            f.outcome = m_refundOutcome;
            f.queriesLeft = m_refundQueries;
            f.createdAt = now();
            f.notifyUrl = body.value(QStringLiteral("notify_url")).toString();
            Refund &stored = m_refunds.insert(QStringLiteral("wechat/") + refundNo, f).value();
            if (m_refundQueries <= 0) {
                stored.queriesLeft = 1;
                settleRefundQuery(stored);
            }
            reply = wechatAnswer(200, compact(wechatRefund(stored, *p)), fault);
        }
    } else if (op == QStringLiteral("bill")) {
        const bool fundFlow = r.path.endsWith(QStringLiteral("fundflowbill"));
        const QDate day = QDate::fromString(r.query.queryItemValue(QStringLiteral("bill_date")), Qt::ISODate);
        const QDate today = QDateTime::fromMSecsSinceEpoch(now(), QTimeZone(8 * 3600)).date();
        const QString type = r.query.queryItemValue(fundFlow ? QStringLiteral("account_type") : QStringLiteral("bill_type"));
        const QList<bills::BillRow> rows = day.isValid() ? billRows(QStringLiteral("wechat"), day) : QList<bills::BillRow>();
        if (!day.isValid() || day < today.addDays(-90))
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"), QStringLiteral("bill_date must be yyyy-MM-DD within three months"), fault);
        else if ((fundFlow && type != QStringLiteral("BASIC")) || (!fundFlow && !type.isEmpty() && type != QStringLiteral("ALL")))
            reply = wechatError(400, QStringLiteral("PARAM_ERROR"), QStringLiteral("the sandbox serves bill_type=ALL and account_type=BASIC"), fault);
        else if (is(FaultKind::BillNotReady) || day > today)
            reply = wechatError(400, QStringLiteral("STATEMENT_CREATING"), QStringLiteral("账单生成中"), fault);
        else if (rows.isEmpty())
            reply = wechatError(400, QStringLiteral("NO_STATEMENT_EXIST"), QStringLiteral("请求的账单文件不存在"), fault);
        else {
            bills::BillMeta meta;
            meta.date = day;
            meta.merchantId = m_keys.mchid;
            meta.appId = m_keys.appid;
            const QByteArray csv = fundFlow ? bills::weChatFundFlowBill(meta, rows) : bills::weChatTradeBill(meta, rows);
            QByteArray hashed = csv;
            if (is(FaultKind::BadBillHash))
                hashed += "tampered"; // the signed hash no longer matches the file served
            const QString token = QString::fromLatin1(crypto::randomAlnum(24));
            const bool gzip = r.query.queryItemValue(QStringLiteral("tar_type")) == QStringLiteral("GZIP");
            m_billFiles.insert(token, gzip ? bills::gzip(csv) : csv);
            // foreign_download_url: a host that is not the gateway (a client must not send its signature there).
            const QString host = is(FaultKind::ForeignDownloadUrl) ? QStringLiteral("203.0.113.7") : QString::fromLatin1(r.headers.value("host"));
            const QString url = QStringLiteral("http://") + host + QStringLiteral("/v3/billdownload/file?token=") + token;
            reply = wechatAnswer(200, compact(QJsonObject{{QStringLiteral("hash_type"), QStringLiteral("SHA1")},
                                                          {QStringLiteral("hash_value"), QString::fromLatin1(QCryptographicHash::hash(hashed, QCryptographicHash::Sha1).toHex())},
                                                          {QStringLiteral("download_url"), url}}),
                                 fault);
        }
    } else if (op == QStringLiteral("bill_download")) {
        reply = billDownload(r, QStringLiteral("wechat"));
    } else { // query_refund
        const QString refundNo = segment(r.path, 0);
        auto it = m_refunds.find(QStringLiteral("wechat/") + refundNo);
        if (it == m_refunds.end()) {
            reply = wechatError(404, QStringLiteral("RESOURCE_NOT_EXISTS"), QStringLiteral("退款单不存在"), fault);
        } else {
            settleRefundQuery(it.value());
            const Payment *p = payment(QStringLiteral("wechat"), it->outTradeNo);
            reply = wechatAnswer(200, compact(wechatRefund(it.value(), *p)), fault);
        }
    }
    if (fault && fault->lands && fault->kind == FaultKind::Http500)
        reply = wechatError(500, QStringLiteral("SYSTEM_ERROR"), QStringLiteral("sandbox: injected system error"));
    if (fault && fault->lands && fault->kind == FaultKind::Drop)
        reply.drop = true;
    if (fault && (fault->kind == FaultKind::Latency || fault->kind == FaultKind::Drop))
        reply.delayMs = fault->latencyMs;
    return reply;
}

// ---- Alipay gateway -----------------------------------------------------------------------

SandboxServer::Reply SandboxServer::alipayGatewayError(const QString &code, const QString &msg, const QString &subCode,
                                                       const QString &subMsg)
{
    // Gateway-level refusals come unsigned, under error_response.
    const QJsonObject node{{QStringLiteral("code"), code},
                           {QStringLiteral("msg"), msg},
                           {QStringLiteral("sub_code"), subCode},
                           {QStringLiteral("sub_msg"), subMsg}};
    Reply r;
    r.body = "{\"error_response\":" + compact(node) + '}';
    r.headers << qMakePair(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json;charset=utf-8"));
    return r;
}

SandboxServer::Reply SandboxServer::alipaySignedRefusal(const QString &method, const QString &subCode, const QString &subMsg)
{
    return alipayAnswer(method,
                        QJsonObject{{QStringLiteral("code"), QStringLiteral("40002")},
                                    {QStringLiteral("msg"), QStringLiteral("Invalid Arguments")},
                                    {QStringLiteral("sub_code"), subCode},
                                    {QStringLiteral("sub_msg"), subMsg}},
                        std::nullopt);
}

SandboxServer::Reply SandboxServer::alipayAnswer(const QString &method, const QJsonObject &node, const std::optional<Fault> &fault)
{
    const auto is = [&fault](FaultKind k) { return fault && fault->kind == k; };
    QByteArray content = compact(node);
    QByteArray signed_ = content;
    if (is(FaultKind::BadSignature))
        signed_ += "forged";
    const QByteArray sign = m_keys.alipayKey.signSha256(signed_).value().toBase64();
    if (is(FaultKind::TamperBody)) {
        if (content.contains("WAIT_BUYER_PAY"))
            content.replace("WAIT_BUYER_PAY", "TRADE_SUCCESS");
        else if (content.contains("\"msg\":\"Success\""))
            content.replace("\"msg\":\"Success\"", "\"msg\":\"Success!\"");
        else
            content.replace("\"code\":", "\"code\" :");
    }
    Reply r;
    r.body = "{\"" + alipay::responseNode(method).toUtf8() + "\":" + content;
    if (!is(FaultKind::Unsigned))
        r.body += ",\"sign\":\"" + sign + '"';
    r.body += '}';
    r.headers << qMakePair(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json;charset=utf-8"));
    return r;
}

SandboxServer::Reply SandboxServer::alipay(const Request &r)
{
    if (r.method != "POST")
        return plainError(405, QStringLiteral("the gateway takes POST"));
    // Like the real gateway: the query and the form body are both application/x-www-form-urlencoded
    // ('+' is a space) and read together. The official SDKs put the common parameters (and the
    // sign) in the query and biz_content in the body.
    alipay::Params params = alipay::parseForm(r.body);
    const alipay::Params fromQuery = alipay::parseForm(r.rawQuery);
    for (auto it = fromQuery.cbegin(); it != fromQuery.cend(); ++it)
        params.insert(it.key(), it.value());
    const QString method = params.value(QStringLiteral("method"));
    static const QHash<QString, QString> ops{{QStringLiteral("alipay.trade.precreate"), QStringLiteral("create")},
                                             {QStringLiteral("alipay.trade.query"), QStringLiteral("query")},
                                             {QStringLiteral("alipay.trade.close"), QStringLiteral("close")},
                                             {QStringLiteral("alipay.trade.refund"), QStringLiteral("refund")},
                                             {QStringLiteral("alipay.trade.fastpay.refund.query"), QStringLiteral("query_refund")},
                                             {QStringLiteral("alipay.data.dataservice.bill.downloadurl.query"), QStringLiteral("bill")}};
    const QString op = ops.value(method);
    if (op.isEmpty())
        return alipayGatewayError(QStringLiteral("40002"), QStringLiteral("Invalid Arguments"), QStringLiteral("isv.invalid-method"),
                                  QStringLiteral("unknown method ") + method);
    ++m_calls[QStringLiteral("alipay.") + op];
    if (params.value(QStringLiteral("app_id")) != m_keys.alipayAppId)
        return alipayGatewayError(QStringLiteral("40002"), QStringLiteral("Invalid Arguments"), QStringLiteral("isv.invalid-app-id"),
                                  QStringLiteral("无效的AppID参数"));
    // From here the method and the app are known: refusals come as the real gateway sends them,
    // under the method's *_response node and signed.
    if (params.value(QStringLiteral("sign_type")) != QStringLiteral("RSA2"))
        return alipaySignedRefusal(method, QStringLiteral("isv.invalid-signature-type"), QStringLiteral("sign_type must be RSA2"));
    const auto sig = QByteArray::fromBase64Encoding(params.value(QStringLiteral("sign")).toLatin1(),
                                                    QByteArray::AbortOnBase64DecodingErrors);
    if (!sig || !m_keys.alipayAppKey.publicKey().verifySha256(alipay::signContent(params, false), *sig))
        return alipaySignedRefusal(method, QStringLiteral("isv.invalid-signature"),
                                   QStringLiteral("验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：")
                                       + QString::fromUtf8(alipay::signContent(params, false)));
    // The format only: SDKs send their host's local time, and the gateway documents no window.
    // A window is an injectable fault (timestamp_window).
    const QString timestamp = params.value(QStringLiteral("timestamp"));
    if (timestamp.isEmpty())
        return alipaySignedRefusal(method, QStringLiteral("isv.missing-timestamp"), QStringLiteral("缺少时间戳参数"));
    const qint64 sentAt = alipay::parseBeijingTime(timestamp);
    if (sentAt == 0)
        return alipaySignedRefusal(method, QStringLiteral("isv.invalid-timestamp"), QStringLiteral("非法的时间戳参数"));

    auto fault = takeFaultAny(QStringLiteral("alipay"), op);
    if (fault && fault->kind == FaultKind::TimestampWindow) {
        if (qAbs(now() - sentAt) > fault->windowMs)
            return alipaySignedRefusal(method, QStringLiteral("isv.invalid-timestamp"),
                                       QStringLiteral("sandbox: the timestamp is more than %1 s from Beijing time").arg(fault->windowMs / 1000));
        fault.reset();
    }
    const auto is = [&fault](FaultKind k) { return fault && fault->kind == k; };
    if (is(FaultKind::Http500) && !fault->lands)
        return plainError(500, QStringLiteral("sandbox: injected server error"));
    if (is(FaultKind::Drop) && !fault->lands) {
        Reply dropped;
        dropped.drop = true;
        dropped.delayMs = fault->latencyMs;
        return dropped;
    }

    const QJsonObject biz = QJsonDocument::fromJson(params.value(QStringLiteral("biz_content")).toUtf8()).object();
    const QString no = biz.value(QStringLiteral("out_trade_no")).toString();
    Payment *p = payment(QStringLiteral("alipay"), no);
    auto business = [](const QString &subCode, const QString &subMsg) {
        return QJsonObject{{QStringLiteral("code"), QStringLiteral("40004")},
                           {QStringLiteral("msg"), QStringLiteral("Business Failed")},
                           {QStringLiteral("sub_code"), subCode},
                           {QStringLiteral("sub_msg"), subMsg}};
    };
    const QJsonObject ok{{QStringLiteral("code"), QStringLiteral("10000")}, {QStringLiteral("msg"), QStringLiteral("Success")}};
    QJsonObject node;
    if (op == QStringLiteral("create")) {
        const auto total = alipay::parseYuan(biz.value(QStringLiteral("total_amount")).toString());
        const QString subject = biz.value(QStringLiteral("subject")).toString();
        const QString timeExpire = biz.value(QStringLiteral("time_expire")).toString();
        const qint64 expiresAt = timeExpire.isEmpty() ? 0 : alipay::parseBeijingTime(timeExpire);
        if (!validAlipayOutTradeNo(no))
            node = business(QStringLiteral("ACQ.INVALID_PARAMETER"), QStringLiteral("参数无效: out_trade_no 只能是字母、数字和下划线，最长64位"));
        else if (!total || *total <= 0 || subject.isEmpty() || (!timeExpire.isEmpty() && expiresAt == 0))
            node = business(QStringLiteral("ACQ.INVALID_PARAMETER"), QStringLiteral("参数无效: out_trade_no, total_amount, subject, time_expire"));
        else if (p && p->state == QStringLiteral("TRADE_CLOSED"))
            node = business(QStringLiteral("ACQ.TRADE_HAS_CLOSE"), QStringLiteral("交易已经关闭"));
        else if (p && p->state == QStringLiteral("TRADE_SUCCESS"))
            node = business(QStringLiteral("ACQ.TRADE_HAS_SUCCESS"), QStringLiteral("交易已被支付"));
        else if (p && (p->amount != *total || p->description != subject))
            node = business(QStringLiteral("ACQ.INVALID_PARAMETER"), QStringLiteral("out_trade_no was used with other parameters"));
        else {
            if (!p) {
                Payment np;
                np.channel = QStringLiteral("alipay");
                np.outTradeNo = no;
                np.amount = *total;
                np.description = subject;
                np.state = QStringLiteral("CREATED");
                np.codeUrl = QStringLiteral("https://qr.alipay.com/bax0") + QString::fromLatin1(crypto::randomAlnum(20));
                np.createdAt = now();
                np.expiresAt = expiresAt;
                np.notifyUrl = params.value(QStringLiteral("notify_url"));
                p = &m_payments.insert(QStringLiteral("alipay/") + no, np).value();
            }
            node = ok;
            node.insert(QStringLiteral("out_trade_no"), no);
            node.insert(QStringLiteral("qr_code"), p->codeUrl);
        }
    } else if (op == QStringLiteral("query")) {
        if (!p || p->state == QStringLiteral("CREATED") || p->state == QStringLiteral("CLOSED_UNSCANNED"))
            node = business(QStringLiteral("ACQ.TRADE_NOT_EXIST"), QStringLiteral("交易不存在"));
        else {
            node = ok;
            node.insert(QStringLiteral("out_trade_no"), no);
            node.insert(QStringLiteral("trade_no"), p->txnId);
            node.insert(QStringLiteral("trade_status"), p->state);
            node.insert(QStringLiteral("total_amount"), alipay::yuan(p->amount));
            node.insert(QStringLiteral("buyer_logon_id"), QStringLiteral("san***@example.com"));
            if (p->paidAt > 0) {
                node.insert(QStringLiteral("buyer_pay_amount"), alipay::yuan(p->amount));
                node.insert(QStringLiteral("receipt_amount"), alipay::yuan(p->amount));
                node.insert(QStringLiteral("send_pay_date"), alipay::beijingTime(p->paidAt));
            }
        }
    } else if (op == QStringLiteral("close")) {
        if (is(FaultKind::PayBeforeClose))
            (void)customerPays(QStringLiteral("alipay/") + no, false);
        p = payment(QStringLiteral("alipay"), no);
        if (!p || p->state == QStringLiteral("CREATED")) {
            // Never scanned: Alipay has no trade yet. Merchants report the code locked after
            // this; unscanned_stays_payable plays the other reading (no trade, nothing closed,
            // the code still pays until its time_expire), which PayDesk's late look covers.
            if (p && !is(FaultKind::UnscannedStaysPayable))
                p->state = QStringLiteral("CLOSED_UNSCANNED");
            node = business(QStringLiteral("ACQ.TRADE_NOT_EXIST"), QStringLiteral("交易不存在"));
        } else if (p->state == QStringLiteral("CLOSED_UNSCANNED")) {
            node = business(QStringLiteral("ACQ.TRADE_NOT_EXIST"), QStringLiteral("交易不存在"));
        } else if (p->state == QStringLiteral("TRADE_SUCCESS") || p->state == QStringLiteral("TRADE_FINISHED") || p->paidAt > 0) {
            node = business(QStringLiteral("ACQ.TRADE_HAS_SUCCESS"), QStringLiteral("交易已被支付"));
        } else if (p->state == QStringLiteral("TRADE_CLOSED")) {
            node = business(QStringLiteral("ACQ.TRADE_HAS_CLOSE"), QStringLiteral("交易已经关闭"));
        } else {
            p->state = QStringLiteral("TRADE_CLOSED");
            node = ok;
            node.insert(QStringLiteral("out_trade_no"), no);
            node.insert(QStringLiteral("trade_no"), p->txnId);
        }
    } else if (op == QStringLiteral("refund")) {
        QString requestNo = biz.value(QStringLiteral("out_request_no")).toString();
        if (requestNo.isEmpty())
            requestNo = no;
        const auto amount = alipay::parseYuan(biz.value(QStringLiteral("refund_amount")).toString());
        auto it = m_refunds.find(QStringLiteral("alipay/") + requestNo);
        if (!p || p->paidAt == 0)
            node = business(p ? QStringLiteral("ACQ.TRADE_STATUS_ERROR") : QStringLiteral("ACQ.TRADE_NOT_EXIST"),
                            QStringLiteral("交易状态不合法"));
        else if (!amount || *amount <= 0)
            node = business(QStringLiteral("ACQ.INVALID_PARAMETER"), QStringLiteral("refund_amount is invalid"));
        else if (it != m_refunds.end() && it->amount != *amount)
            node = business(QStringLiteral("ACQ.INVALID_PARAMETER"), QStringLiteral("out_request_no was used with another amount"));
        else if (it == m_refunds.end() && is(FaultKind::RefundFail))
            node = business(QStringLiteral("ACQ.SELLER_BALANCE_NOT_ENOUGH"), QStringLiteral("卖家余额不足"));
        else if (it == m_refunds.end() && p->refunded + *amount > p->amount)
            node = business(QStringLiteral("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"), QStringLiteral("退款金额超限"));
        else {
            const bool fresh = it == m_refunds.end();
            if (fresh) {
                Refund f;
                f.channel = QStringLiteral("alipay");
                f.outRefundNo = requestNo;
                f.outTradeNo = no;
                f.refundId = p->txnId;
                f.amount = *amount;
                f.status = QStringLiteral("SUCCESS");
                f.createdAt = now();
                f.successAt = now();
                m_refunds.insert(QStringLiteral("alipay/") + requestNo, f);
                p->refunded += *amount;
                if (p->refunded == p->amount)
                    p->state = QStringLiteral("TRADE_CLOSED");
            }
            node = ok;
            node.insert(QStringLiteral("out_trade_no"), no);
            node.insert(QStringLiteral("trade_no"), p->txnId);
            node.insert(QStringLiteral("buyer_logon_id"), QStringLiteral("san***@example.com"));
            node.insert(QStringLiteral("fund_change"), fresh ? QStringLiteral("Y") : QStringLiteral("N"));
            node.insert(QStringLiteral("refund_fee"), alipay::yuan(p->refunded));
            node.insert(QStringLiteral("gmt_refund_pay"), alipay::beijingTime(now()));
        }
    } else if (op == QStringLiteral("bill")) {
        const QDate day = QDate::fromString(biz.value(QStringLiteral("bill_date")).toString(), Qt::ISODate);
        const QDate today = QDateTime::fromMSecsSinceEpoch(now(), QTimeZone(8 * 3600)).date();
        // Unlike Alipay (T+1 only), the sandbox also serves today's bill so far, for tests and the demo.
        if (biz.value(QStringLiteral("bill_type")).toString() != QStringLiteral("trade") || !day.isValid() || day > today)
            node = business(QStringLiteral("isv.invalid_arguments"), QStringLiteral("bill_type must be trade, bill_date yyyy-MM-dd, not after today"));
        else if (is(FaultKind::BillNotReady) || billRows(QStringLiteral("alipay"), day).isEmpty())
            node = business(QStringLiteral("isp.bill_not_exist"), QStringLiteral("账单不存在"));
        else {
            bills::BillMeta meta;
            meta.date = day;
            meta.merchantId = m_keys.alipaySellerId;
            auto zip = bills::alipayTradeBillZip(meta, billRows(QStringLiteral("alipay"), day));
            if (!zip) {
                node = business(QStringLiteral("isp.unknow-error"), zip.error().message);
            } else {
                const QString token = QString::fromLatin1(crypto::randomAlnum(24));
                m_billFiles.insert(token, zip.value());
                QUrlQuery q;
                q.addQueryItem(QStringLiteral("fileType"), QStringLiteral("csv.zip"));
                q.addQueryItem(QStringLiteral("bizDates"), day.toString(QStringLiteral("yyyyMMdd")));
                q.addQueryItem(QStringLiteral("downloadFileName"), QString::fromLatin1(QUrl::toPercentEncoding(bills::alipayZipName(meta))));
                q.addQueryItem(QStringLiteral("token"), token);
                node = ok;
                node.insert(QStringLiteral("bill_download_url"), QString(QStringLiteral("http://") + QString::fromLatin1(r.headers.value("host"))
                                                                    + QStringLiteral("/downloadBillFile.resource?") + q.toString(QUrl::FullyEncoded)));
            }
        }
    } else { // query_refund
        const QString requestNo = biz.value(QStringLiteral("out_request_no")).toString();
        auto it = m_refunds.find(QStringLiteral("alipay/") + requestNo);
        if (!p || p->state == QStringLiteral("CREATED") || p->state == QStringLiteral("CLOSED_UNSCANNED")) {
            node = business(QStringLiteral("ACQ.TRADE_NOT_EXIST"), QStringLiteral("交易不存在"));
        } else {
            node = ok;
            if (it != m_refunds.end() && it->outTradeNo == no) {
                node.insert(QStringLiteral("out_trade_no"), no);
                node.insert(QStringLiteral("trade_no"), p->txnId);
                node.insert(QStringLiteral("out_request_no"), requestNo);
                node.insert(QStringLiteral("total_amount"), alipay::yuan(p->amount));
                node.insert(QStringLiteral("refund_amount"), alipay::yuan(it->amount));
                node.insert(QStringLiteral("refund_status"), QStringLiteral("REFUND_SUCCESS"));
                node.insert(QStringLiteral("gmt_refund_pay"), alipay::beijingTime(it->successAt));
            }
        }
    }
    Reply reply = alipayAnswer(method, node, fault);
    if (fault && fault->lands && fault->kind == FaultKind::Http500)
        reply = plainError(500, QStringLiteral("sandbox: injected server error"));
    if (fault && fault->lands && fault->kind == FaultKind::Drop)
        reply.drop = true;
    if (fault && (fault->kind == FaultKind::Latency || fault->kind == FaultKind::Drop))
        reply.delayMs = fault->latencyMs;
    return reply;
}

// ---- daily bills --------------------------------------------------------------------------

QList<bills::BillRow> SandboxServer::billRows(const QString &channel, const QDate &day) const
{
    const QTimeZone beijing(8 * 3600);
    const qint64 from = QDateTime(day, QTime(0, 0), beijing).toMSecsSinceEpoch();
    const qint64 to = QDateTime(day.addDays(1), QTime(0, 0), beijing).toMSecsSinceEpoch();
    QList<bills::BillRow> rows;
    for (const Payment &p : m_payments) {
        if (p.channel != channel || p.paidAt < from || p.paidAt >= to)
            continue;
        bills::BillRow r;
        r.outTradeNo = p.outTradeNo;
        r.channelTxnId = p.txnId;
        r.amountMinor = m_billAmounts.value(channel + u'/' + p.outTradeNo, p.amount);
        r.feeMinor = bills::standardFee(r.amountMinor);
        r.atMs = p.paidAt;
        r.createdAtMs = p.createdAt;
        r.description = p.description;
        r.payer = channel == QStringLiteral("wechat") ? QString(QStringLiteral("oSandbox") + p.txnId.right(8)) : QStringLiteral("san***@example.com");
        rows << r;
    }
    for (const Refund &f : m_refunds) {
        if (f.channel != channel || f.status != QStringLiteral("SUCCESS") || f.successAt < from || f.successAt >= to
            || m_billDroppedRefunds.contains(channel + u'/' + f.outRefundNo))
            continue;
        const auto it = m_payments.constFind(channel + u'/' + f.outTradeNo);
        bills::BillRow r;
        r.kind = bills::BillRow::Kind::Refund;
        r.outTradeNo = f.outTradeNo;
        r.outRefundNo = f.outRefundNo;
        r.channelRefundId = f.refundId;
        r.amountMinor = f.amount;
        r.feeMinor = bills::standardFee(f.amount);
        r.atMs = f.successAt;
        if (it != m_payments.cend()) {
            r.channelTxnId = it->txnId;
            r.orderTotalMinor = it->amount;
            r.description = it->description;
        }
        rows << r;
    }
    std::sort(rows.begin(), rows.end(), [](const bills::BillRow &a, const bills::BillRow &b) {
        return a.atMs != b.atMs ? a.atMs < b.atMs : (a.outRefundNo + a.outTradeNo) < (b.outRefundNo + b.outTradeNo);
    });
    return rows;
}

SandboxServer::Reply SandboxServer::billDownload(const Request &r, const QString &channel)
{
    ++m_calls[channel + QStringLiteral(".bill_download")];
    const auto fault = takeFaultAny(channel, QStringLiteral("bill_download"));
    if (fault && fault->kind == FaultKind::Http500)
        return plainError(500, QStringLiteral("sandbox: injected server error"));
    const auto it = m_billFiles.constFind(r.query.queryItemValue(QStringLiteral("token")));
    if (it == m_billFiles.cend())
        return plainError(404, QStringLiteral("no such bill file (the link is used up or wrong)"));
    Reply reply;
    reply.body = it.value();
    reply.headers << qMakePair(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/octet-stream"));
    if (fault && fault->kind == FaultKind::Drop)
        reply.drop = true;
    if (fault && (fault->kind == FaultKind::Latency || fault->kind == FaultKind::Drop))
        reply.delayMs = fault->latencyMs;
    return reply;
}

// ---- sandbox control ----------------------------------------------------------------------

Result<QJsonObject> SandboxServer::customerPays(const QString &key, bool evenIfClosed)
{
    auto it = m_payments.find(key);
    if (it == m_payments.end())
        return Error::notFound(QStringLiteral("sandbox.no_payment"), QStringLiteral("no payment ") + key);
    Payment &p = it.value();
    const bool wechat = p.channel == QStringLiteral("wechat");
    if (p.paidAt > 0)
        return Error::conflict(QStringLiteral("sandbox.already_paid"), QStringLiteral("already paid"));
    const bool closed = p.state == QStringLiteral("CLOSED") || p.state == QStringLiteral("TRADE_CLOSED")
        || p.state == QStringLiteral("CLOSED_UNSCANNED");
    if (closed && !evenIfClosed)
        return Error::conflict(QStringLiteral("sandbox.closed"), QStringLiteral("the payment is closed"));
    if (p.expiresAt > 0 && now() > p.expiresAt && !evenIfClosed)
        return Error::conflict(QStringLiteral("sandbox.expired"), QStringLiteral("the payment expired"));
    p.paidAt = now();
    if (wechat || p.txnId.isEmpty())
        p.txnId = wechat ? QStringLiteral("42000") + digits(23) : QStringLiteral("2026") + digits(24);
    p.state = wechat ? QStringLiteral("SUCCESS") : QStringLiteral("TRADE_SUCCESS");
    notifyPayment(p);
    return QJsonObject{{QStringLiteral("channel"), p.channel},
                       {QStringLiteral("out_trade_no"), p.outTradeNo},
                       {QStringLiteral("state"), p.state},
                       {QStringLiteral("transaction_id"), p.txnId},
                       {QStringLiteral("amount"), p.amount}};
}

QJsonObject SandboxServer::stateJson() const
{
    QJsonArray payments;
    for (const Payment &p : m_payments)
        payments.append(QJsonObject{{QStringLiteral("channel"), p.channel},
                                    {QStringLiteral("out_trade_no"), p.outTradeNo},
                                    {QStringLiteral("amount"), p.amount},
                                    {QStringLiteral("state"), p.state},
                                    {QStringLiteral("transaction_id"), p.txnId},
                                    {QStringLiteral("refunded"), p.refunded},
                                    {QStringLiteral("expires_at"), p.expiresAt},
                                    {QStringLiteral("notify_url"), p.notifyUrl}});
    QJsonArray refunds;
    for (const Refund &f : m_refunds)
        refunds.append(QJsonObject{{QStringLiteral("channel"), f.channel},
                                   {QStringLiteral("out_refund_no"), f.outRefundNo},
                                   {QStringLiteral("out_trade_no"), f.outTradeNo},
                                   {QStringLiteral("amount"), f.amount},
                                   {QStringLiteral("status"), f.status}});
    QJsonObject calls;
    for (auto it = m_calls.cbegin(); it != m_calls.cend(); ++it)
        calls.insert(it.key(), it.value());
    return QJsonObject{{QStringLiteral("payments"), payments},
                       {QStringLiteral("refunds"), refunds},
                       {QStringLiteral("calls"), calls},
                       {QStringLiteral("faults_pending"), qint64(m_faults.size())},
                       {QStringLiteral("key_mode"), m_publicKeyMode ? QStringLiteral("public_key") : QStringLiteral("certificate")},
                       {QStringLiteral("notifications_sent"), m_notificationsSent},
                       {QStringLiteral("notifications_acked"), m_notificationsAcked},
                       {QStringLiteral("notifications_received"), m_notificationsReceived}};
}

SandboxServer::Reply SandboxServer::control(const Request &r)
{
    const QJsonObject body = QJsonDocument::fromJson(r.body).object();
    const QString path = r.path;
    if (r.method == "GET" && path == QStringLiteral("/sandbox/state"))
        return jsonReply(200, stateJson());
    if (r.method == "POST" && path == QStringLiteral("/sandbox/notify-sink")) {
        // The notify_url of the generated profiles: takes any notification and says so.
        ++m_notificationsReceived;
        return jsonReply(200, QJsonObject{{QStringLiteral("code"), QStringLiteral("SUCCESS")}});
    }
    if (r.method == "POST" && path.startsWith(QStringLiteral("/sandbox/pay/"))) {
        const QString no = segment(path, 0);
        QString channel = body.value(QStringLiteral("channel")).toString();
        if (channel.isEmpty())
            channel = m_payments.contains(QStringLiteral("wechat/") + no) ? QStringLiteral("wechat") : QStringLiteral("alipay");
        auto paid = customerPays(channel + u'/' + no, body.value(QStringLiteral("even_if_closed")).toBool());
        if (!paid)
            return plainError(paid.error().kind == Error::Kind::NotFound ? 404 : 409, paid.error().message);
        return jsonReply(200, paid.value());
    }
    if (r.method == "POST" && path.startsWith(QStringLiteral("/sandbox/scan/"))) {
        Payment *p = payment(QStringLiteral("alipay"), segment(path, 0));
        if (!p)
            return plainError(404, QStringLiteral("no such Alipay payment"));
        if (p->state == QStringLiteral("CREATED")) {
            p->state = QStringLiteral("WAIT_BUYER_PAY");
            p->txnId = QStringLiteral("2026") + digits(24); // Alipay numbers the trade when the buyer scans
        }
        return jsonReply(200, QJsonObject{{QStringLiteral("state"), p->state}});
    }
    if (path == QStringLiteral("/sandbox/bill-discrepancy") && r.method == "POST") {
        const QString channel = body.value(QStringLiteral("channel")).toString(QStringLiteral("wechat"));
        const QString kind = body.value(QStringLiteral("kind")).toString();
        const QString ref = body.value(QStringLiteral("ref")).toString();
        const qint64 amount = body.value(QStringLiteral("amount")).toInteger(0);
        const bool wechat = channel == QStringLiteral("wechat");
        if ((channel != QStringLiteral("wechat") && channel != QStringLiteral("alipay")) || !validOutNo(ref))
            return plainError(400, QStringLiteral("channel must be wechat or alipay, ref an out_trade_no / out_refund_no"));
        if (kind == QStringLiteral("unknown-payment")) {
            if (amount <= 0 || payment(channel, ref))
                return plainError(400, QStringLiteral("unknown-payment needs a positive amount and a ref the sandbox has not seen"));
            Payment p;
            p.channel = channel;
            p.outTradeNo = ref;
            p.amount = amount;
            p.description = QStringLiteral("unknown payment");
            p.state = wechat ? QStringLiteral("SUCCESS") : QStringLiteral("TRADE_SUCCESS");
            p.txnId = wechat ? QStringLiteral("42000") + digits(23) : QStringLiteral("2026") + digits(24);
            p.createdAt = now() - 1000;
            p.paidAt = now();
            m_payments.insert(channel + u'/' + ref, p);
        } else if (kind == QStringLiteral("paid-after-close")) {
            Payment *p = payment(channel, ref);
            if (!p || p->paidAt > 0 || (p->state != QStringLiteral("CLOSED") && p->state != QStringLiteral("TRADE_CLOSED")))
                return plainError(409, QStringLiteral("paid-after-close needs a closed, unpaid payment"));
            p->paidAt = now(); // no notification: only the bill tells
            if (p->txnId.isEmpty() || wechat)
                p->txnId = wechat ? QStringLiteral("42000") + digits(23) : QStringLiteral("2026") + digits(24);
            p->state = wechat ? QStringLiteral("SUCCESS") : QStringLiteral("TRADE_SUCCESS");
        } else if (kind == QStringLiteral("wrong-amount")) {
            if (amount <= 0)
                return plainError(400, QStringLiteral("wrong-amount needs the positive amount the bill shows"));
            m_billAmounts.insert(channel + u'/' + ref, amount);
        } else if (kind == QStringLiteral("missing-refund")) {
            m_billDroppedRefunds.insert(channel + u'/' + ref);
        } else {
            return plainError(400, QStringLiteral("kind must be unknown-payment, wrong-amount, missing-refund or paid-after-close"));
        }
        return jsonReply(200, QJsonObject{{QStringLiteral("channel"), channel}, {QStringLiteral("kind"), kind}, {QStringLiteral("ref"), ref}});
    }
    if (path == QStringLiteral("/sandbox/bill-discrepancy") && r.method == "DELETE") {
        m_billAmounts.clear();
        m_billDroppedRefunds.clear();
        return jsonReply(200, QJsonObject{{QStringLiteral("cleared"), true}});
    }
    if (path == QStringLiteral("/sandbox/faults") && r.method == "DELETE") {
        m_faults.clear();
        return jsonReply(200, QJsonObject{{QStringLiteral("faults_pending"), 0}});
    }
    if (path == QStringLiteral("/sandbox/faults") && r.method == "POST") {
        static const QHash<QString, FaultKind> kinds{
            {QStringLiteral("latency"), FaultKind::Latency},          {QStringLiteral("http_500"), FaultKind::Http500},
            {QStringLiteral("drop"), FaultKind::Drop},                {QStringLiteral("unsigned"), FaultKind::Unsigned},
            {QStringLiteral("stale_timestamp"), FaultKind::StaleTimestamp}, {QStringLiteral("bad_signature"), FaultKind::BadSignature},
            {QStringLiteral("wrong_serial"), FaultKind::WrongSerial}, {QStringLiteral("tamper_body"), FaultKind::TamperBody},
            {QStringLiteral("pay_before_close"), FaultKind::PayBeforeClose}, {QStringLiteral("unscanned_stays_payable"), FaultKind::UnscannedStaysPayable}, {QStringLiteral("refund_fail"), FaultKind::RefundFail},
            {QStringLiteral("bad_bill_hash"), FaultKind::BadBillHash},   {QStringLiteral("bill_not_ready"), FaultKind::BillNotReady},
            {QStringLiteral("foreign_download_url"), FaultKind::ForeignDownloadUrl},
            {QStringLiteral("foreign_app"), FaultKind::ForeignApp},   {QStringLiteral("foreign_merchant"), FaultKind::ForeignMerchant},
            {QStringLiteral("no_merchant"), FaultKind::NoMerchant},   {QStringLiteral("stale_notify_time"), FaultKind::StaleNotifyTime},
            {QStringLiteral("not_enough"), FaultKind::RefundFail},    {QStringLiteral("timestamp_window"), FaultKind::TimestampWindow}};
        const QString kind = body.value(QStringLiteral("kind")).toString();
        if (!kinds.contains(kind))
            return plainError(400, QStringLiteral("kind must be one of: ") + QStringList(kinds.keys()).join(QStringLiteral(", ")));
        Fault f;
        f.kind = kinds.value(kind);
        f.channel = body.value(QStringLiteral("channel")).toString(QStringLiteral("*"));
        f.op = body.value(QStringLiteral("op")).toString(QStringLiteral("*"));
        f.times = body.value(QStringLiteral("times")).toInt(1);
        f.latencyMs = body.value(QStringLiteral("latency_ms")).toInteger(f.kind == FaultKind::Latency ? 2000 : 0);
        f.lands = body.value(QStringLiteral("lands")).toBool(false);
        f.windowMs = body.value(QStringLiteral("window_s")).toInteger(15 * 60) * 1000;
        m_faults.push_back(f);
        return jsonReply(200, QJsonObject{{QStringLiteral("faults_pending"), qint64(m_faults.size())}});
    }
    if (path == QStringLiteral("/sandbox/refund-plan") && r.method == "POST") {
        const QString outcome = body.value(QStringLiteral("outcome")).toString(QStringLiteral("SUCCESS"));
        if (outcome != QStringLiteral("SUCCESS") && outcome != QStringLiteral("ABNORMAL") && outcome != QStringLiteral("CLOSED"))
            return plainError(400, QStringLiteral("outcome must be SUCCESS, ABNORMAL or CLOSED"));
        m_refundOutcome = outcome;
        m_refundQueries = body.value(QStringLiteral("after_queries")).toInt(1);
        return jsonReply(200, QJsonObject{{QStringLiteral("outcome"), m_refundOutcome},
                                          {QStringLiteral("after_queries"), m_refundQueries}});
    }
    if (path == QStringLiteral("/sandbox/key-mode") && r.method == "POST") {
        const QString mode = body.value(QStringLiteral("mode")).toString();
        if (mode != QStringLiteral("certificate") && mode != QStringLiteral("public_key"))
            return plainError(400, QStringLiteral("mode must be certificate or public_key"));
        m_publicKeyMode = mode == QStringLiteral("public_key");
        return jsonReply(200, QJsonObject{{QStringLiteral("mode"), mode}});
    }
    if (path == QStringLiteral("/sandbox/notify-url") && r.method == "POST") {
        m_notifyOverride = body.value(QStringLiteral("url")).toString();
        return jsonReply(200, QJsonObject{{QStringLiteral("url"), m_notifyOverride}});
    }
    if (r.method == "POST" && path.startsWith(QStringLiteral("/sandbox/notify/"))) {
        const QString no = segment(path, 0);
        QString channel = body.value(QStringLiteral("channel")).toString();
        if (channel.isEmpty())
            channel = m_payments.contains(QStringLiteral("wechat/") + no) ? QStringLiteral("wechat") : QStringLiteral("alipay");
        Payment *p = payment(channel, no);
        if (!p || p->paidAt == 0)
            return plainError(404, QStringLiteral("no paid payment ") + no);
        notifyPayment(*p);
        return jsonReply(200, QJsonObject{{QStringLiteral("notified"), no}});
    }
    return plainError(404, QStringLiteral("no such sandbox endpoint"));
}

// ---- notifications ------------------------------------------------------------------------

void SandboxServer::notifyPayment(const Payment &p)
{
    const QString url = m_notifyOverride.isEmpty() ? p.notifyUrl : m_notifyOverride;
    if (url.isEmpty())
        return;
    const auto fault = takeFaultAny(p.channel, QStringLiteral("notify"));
    const auto is = [&fault](FaultKind k) { return fault && fault->kind == k; };
    if (p.channel == QStringLiteral("wechat")) {
        QJsonObject transaction = wechatTransaction(p);
        if (is(FaultKind::ForeignApp))
            transaction.insert(QStringLiteral("appid"), QStringLiteral("wx0000000000000000"));
        if (is(FaultKind::ForeignMerchant))
            transaction.insert(QStringLiteral("mchid"), QStringLiteral("1900000000"));
        if (is(FaultKind::NoMerchant))
            transaction.remove(QStringLiteral("mchid"));
        auto resource = wechatpay::encryptResource(m_keys.apiV3Key, QStringLiteral("transaction"), "transaction",
                                                   compact(transaction));
        const QJsonObject envelope{{QStringLiteral("id"), QUuid::createUuid().toString(QUuid::WithoutBraces)},
                                   {QStringLiteral("create_time"), wechatpay::rfc3339(now())},
                                   {QStringLiteral("resource_type"), QStringLiteral("encrypt-resource")},
                                   {QStringLiteral("event_type"), QStringLiteral("TRANSACTION.SUCCESS")},
                                   {QStringLiteral("summary"), QStringLiteral("支付成功")},
                                   {QStringLiteral("resource"), resource.value()}};
        QByteArray body = compact(envelope);
        auto headers = wechatSignedHeaders(body, fault);
        headers << qMakePair(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json"));
        postNotification(url, body, headers);
        return;
    }
    alipay::Params params{{QStringLiteral("notify_time"), alipay::beijingTime(now())},
                          {QStringLiteral("notify_type"), QStringLiteral("trade_status_sync")},
                          {QStringLiteral("notify_id"), QString::fromLatin1(crypto::randomBytes(16).toHex())},
                          {QStringLiteral("app_id"), m_keys.alipayAppId},
                          {QStringLiteral("charset"), QStringLiteral("utf-8")},
                          {QStringLiteral("version"), QStringLiteral("1.0")},
                          {QStringLiteral("sign_type"), QStringLiteral("RSA2")},
                          {QStringLiteral("trade_no"), p.txnId},
                          {QStringLiteral("out_trade_no"), p.outTradeNo},
                          {QStringLiteral("seller_id"), m_keys.alipaySellerId},
                          {QStringLiteral("trade_status"), p.state},
                          {QStringLiteral("total_amount"), alipay::yuan(p.amount)},
                          {QStringLiteral("receipt_amount"), alipay::yuan(p.amount)},
                          {QStringLiteral("buyer_pay_amount"), alipay::yuan(p.amount)},
                          {QStringLiteral("subject"), p.description},
                          {QStringLiteral("gmt_create"), alipay::beijingTime(p.createdAt)},
                          {QStringLiteral("gmt_payment"), alipay::beijingTime(p.paidAt)}};
    if (is(FaultKind::ForeignApp))
        params.insert(QStringLiteral("app_id"), QStringLiteral("2021000000000000"));
    if (is(FaultKind::ForeignMerchant))
        params.insert(QStringLiteral("seller_id"), QStringLiteral("2088000000000000"));
    if (is(FaultKind::NoMerchant))
        params.remove(QStringLiteral("seller_id"));
    if (is(FaultKind::StaleNotifyTime))
        params.insert(QStringLiteral("notify_time"), alipay::beijingTime(now() - 25 * 3600 * 1000LL));
    QByteArray content = alipay::signContent(params, true);
    if (fault && fault->kind == FaultKind::BadSignature)
        content += "forged";
    if (!(fault && fault->kind == FaultKind::Unsigned))
        params.insert(QStringLiteral("sign"), QString::fromLatin1(m_keys.alipayKey.signSha256(content).value().toBase64()));
    if (fault && fault->kind == FaultKind::TamperBody)
        params.insert(QStringLiteral("total_amount"), alipay::yuan(p.amount + 100));
    postNotification(url, alipay::encodeForm(params),
                     {qMakePair(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/x-www-form-urlencoded;charset=utf-8"))});
}

void SandboxServer::notifyRefund(const Refund &f, const Payment &p)
{
    const QString url = m_notifyOverride.isEmpty() ? f.notifyUrl : m_notifyOverride;
    if (url.isEmpty() || f.channel != QStringLiteral("wechat"))
        return;
    const auto fault = takeFaultAny(f.channel, QStringLiteral("notify"));
    const auto is = [&fault](FaultKind k) { return fault && fault->kind == k; };
    QJsonObject plain{{QStringLiteral("mchid"), m_keys.mchid},
                      {QStringLiteral("out_trade_no"), p.outTradeNo},
                      {QStringLiteral("transaction_id"), p.txnId},
                      {QStringLiteral("out_refund_no"), f.outRefundNo},
                      {QStringLiteral("refund_id"), f.refundId},
                      {QStringLiteral("refund_status"), f.status},
                      {QStringLiteral("user_received_account"), QStringLiteral("支付用户零钱")},
                      {QStringLiteral("amount"), QJsonObject{{QStringLiteral("total"), p.amount},
                                                             {QStringLiteral("refund"), f.amount},
                                                             {QStringLiteral("payer_total"), p.amount},
                                                             {QStringLiteral("payer_refund"), f.amount}}}};
    if (f.successAt > 0)
        plain.insert(QStringLiteral("success_time"), wechatpay::rfc3339(f.successAt));
    if (is(FaultKind::ForeignMerchant))
        plain.insert(QStringLiteral("mchid"), QStringLiteral("1900000000"));
    if (is(FaultKind::NoMerchant))
        plain.remove(QStringLiteral("mchid"));
    auto resource = wechatpay::encryptResource(m_keys.apiV3Key, QStringLiteral("refund"), "refund", compact(plain));
    const QJsonObject envelope{{QStringLiteral("id"), QUuid::createUuid().toString(QUuid::WithoutBraces)},
                               {QStringLiteral("create_time"), wechatpay::rfc3339(now())},
                               {QStringLiteral("resource_type"), QStringLiteral("encrypt-resource")},
                               {QStringLiteral("event_type"), QString(QStringLiteral("REFUND.") + f.status)},
                               {QStringLiteral("summary"), QStringLiteral("退款状态变更")},
                               {QStringLiteral("resource"), resource.value()}};
    QByteArray body = compact(envelope);
    auto headers = wechatSignedHeaders(body, fault);
    headers << qMakePair(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json"));
    postNotification(url, body, headers);
}

void SandboxServer::postNotification(const QString &url, const QByteArray &body,
                                     const QList<QPair<QByteArray, QByteArray>> &headers)
{
    QNetworkRequest request{QUrl(url)};
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    request.setTransferTimeout(5000);
    ++m_notificationsSent;
    QNetworkReply *reply = m_nam->post(request, body);
    connect(reply, &QNetworkReply::finished, this, [this, reply, url] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status >= 200 && status < 300)
            ++m_notificationsAcked;
        std::fprintf(stderr, "sandbox: notification to %s -> %d\n", qPrintable(url), status);
        std::fflush(stderr);
    });
}

} // namespace paydesk::sandbox
