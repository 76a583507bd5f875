// WeChatPayChannel against the real paydesk-sandbox binary over loopback: every call, every
// injected fault, tampered, stale, unsigned and wrongly-keyed answers, and notifications.

#include "SandboxFixture.h"

#include "channels/WeChatPayChannel.h"
#include "channels/WeChatPayProtocol.h"
#include "crypto/Crypto.h"
#include "util/Clock.h"

#include <QDateTime>
#include <QJsonArray>
#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QTimeZone>
#include <QUuid>

using namespace paydesk;
using namespace paydesk::test;
using namespace Qt::StringLiterals;

namespace {
QString newNo(const char *prefix)
{
    return QString::fromLatin1(prefix) + QUuid::createUuid().toString(QUuid::Id128).left(20);
}
} // namespace

class TestWeChatPayChannel : public QObject
{
    Q_OBJECT

    SandboxProcess m_sandbox;
    SystemClock m_clock;
    std::unique_ptr<WeChatPayChannel> m_channel;

    CreatePaymentRequest request(const QString &no, qint64 amount = 1234) const
    {
        CreatePaymentRequest r;
        r.outTradeNo = no;
        r.amountMinor = amount;
        r.description = u"PayDesk 测试订单"_s;
        r.expiresAtMs = m_clock.nowMs() + 30 * 60'000;
        return r;
    }

    ChannelReply<CreatedPayment> create(WeChatPayChannel &ch, const CreatePaymentRequest &r)
    {
        bool inside = true;
        auto out = await<CreatedPayment>([&](QObject *ctx, auto done) { ch.createNative(r, ctx, done); }, &inside);
        if (inside)
            qFatal("createNative answered inside the call");
        if (!out)
            return ChannelError::make(ChannelError::Kind::Timeout, u"TEST_TIMEOUT"_s, u"no answer"_s);
        return *out;
    }
    ChannelReply<PaymentStatus> query(WeChatPayChannel &ch, const QString &no)
    {
        bool inside = true;
        auto out = await<PaymentStatus>([&](QObject *ctx, auto done) { ch.queryPayment(no, ctx, done); }, &inside);
        if (inside)
            qFatal("queryPayment answered inside the call");
        if (!out)
            return ChannelError::make(ChannelError::Kind::Timeout, u"TEST_TIMEOUT"_s, u"no answer"_s);
        return *out;
    }
    ChannelReply<Done> close(WeChatPayChannel &ch, const QString &no)
    {
        auto out = await<Done>([&](QObject *ctx, auto done) { ch.closePayment(no, ctx, done); });
        if (!out)
            return ChannelError::make(ChannelError::Kind::Timeout, u"TEST_TIMEOUT"_s, u"no answer"_s);
        return *out;
    }
    ChannelReply<RefundResult> refund(WeChatPayChannel &ch, const QString &tradeNo, const QString &refundNo, qint64 amount,
                                      qint64 total)
    {
        RefundRequest r;
        r.outTradeNo = tradeNo;
        r.outRefundNo = refundNo;
        r.refundMinor = amount;
        r.totalMinor = total;
        r.reason = u"顾客退货"_s;
        auto out = await<RefundResult>([&](QObject *ctx, auto done) { ch.refund(r, ctx, done); });
        if (!out)
            return ChannelError::make(ChannelError::Kind::Timeout, u"TEST_TIMEOUT"_s, u"no answer"_s);
        return *out;
    }
    ChannelReply<RefundResult> queryRefund(WeChatPayChannel &ch, const QString &refundNo, const QString &tradeNo)
    {
        auto out = await<RefundResult>([&](QObject *ctx, auto done) { ch.queryRefund(refundNo, tradeNo, ctx, done); });
        if (!out)
            return ChannelError::make(ChannelError::Kind::Timeout, u"TEST_TIMEOUT"_s, u"no answer"_s);
        return *out;
    }
    /// A native order posted with the merchant's key but built here, so a test can send what
    /// PayDesk's client never would. Returns the HTTP status; `code` gets the error code.
    int rawCreate(const QJsonObject &order, QString *code = nullptr)
    {
        const ChannelProfile p = m_sandbox.profile(ChannelKind::WeChat);
        const QByteArray body = QJsonDocument(order).toJson(QJsonDocument::Compact);
        const QByteArray path = "/v3/pay/transactions/native";
        const qint64 ts = QDateTime::currentSecsSinceEpoch();
        const QByteArray nonce = crypto::randomAlnum(32);
        auto key = crypto::PrivateKey::fromPem(p.privateKeyPem);
        const QByteArray sig = key->signSha256(wechatpay::requestMessage("POST", path, ts, nonce, body)).value().toBase64();
        int status = 0;
        const QByteArray answer = m_sandbox.raw("POST", path, body,
                                                {{"Authorization", wechatpay::authorizationHeader(p.merchantId, nonce, ts, p.merchantSerial, sig)},
                                                 {"Content-Type", "application/json"},
                                                 {"Accept", "application/json"}},
                                                &status);
        if (code)
            *code = QJsonDocument::fromJson(answer).object().value(u"code"_s).toString();
        return status;
    }
    QJsonObject order(const QString &no, const QString &notifyUrl) const
    {
        const ChannelProfile p = m_sandbox.profile(ChannelKind::WeChat);
        QJsonObject o{{u"appid"_s, p.appId},
                      {u"mchid"_s, p.merchantId},
                      {u"description"_s, u"tea"_s},
                      {u"out_trade_no"_s, no},
                      {u"amount"_s, QJsonObject{{u"total"_s, 100}, {u"currency"_s, u"CNY"_s}}}};
        if (notifyUrl != u"(none)"_s)
            o.insert(u"notify_url"_s, notifyUrl);
        return o;
    }
    QString bookedNotifyUrl(const QString &no)
    {
        const QJsonArray payments = m_sandbox.control("GET", u"/sandbox/state"_s).value(u"payments"_s).toArray();
        for (const QJsonValue &v : payments)
            if (v.toObject().value(u"out_trade_no"_s).toString() == no)
                return v.toObject().value(u"notify_url"_s).toString();
        return u"(no such payment)"_s;
    }

    QString paidOrder(qint64 amount)
    {
        const QString no = newNo("WXP");
        if (!create(*m_channel, request(no, amount)).ok())
            return {};
        int status = 0;
        m_sandbox.control("POST", u"/sandbox/pay/"_s + no, {}, &status);
        return status == 200 ? no : QString();
    }

private slots:
    void initTestCase()
    {
        const QString err = m_sandbox.start();
        QVERIFY2(err.isEmpty(), qPrintable(err));
        auto ch = WeChatPayChannel::create(m_sandbox.profile(ChannelKind::WeChat), m_clock);
        QVERIFY2(ch, ch ? "" : qPrintable(ch.error().message));
        m_channel = std::move(ch.value());
        m_channel->setTransferTimeoutMs(5000);
        QVERIFY(m_channel->kind() == ChannelKind::WeChat);
        QCOMPARE(m_channel->minimumExpiryMs(), 60'000);
    }

    void init()
    {
        m_sandbox.control("DELETE", u"/sandbox/faults"_s);
        m_sandbox.control("POST", u"/sandbox/key-mode"_s, {{u"mode"_s, u"certificate"_s}});
        m_sandbox.control("POST", u"/sandbox/refund-plan"_s, {{u"outcome"_s, u"SUCCESS"_s}, {u"after_queries"_s, 1}});
    }

    void cleanupTestCase()
    {
        m_channel.reset();
    }

    void createQueryPayAndClose()
    {
        const QString no = newNo("WX");
        auto created = create(*m_channel, request(no));
        QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.error().describe()));
        QVERIFY(created->codeUrl.startsWith(u"weixin://wxpay/bizpayurl?pr="_s));
        // The same request again is idempotent: same code.
        auto again = create(*m_channel, request(no));
        QVERIFY(again.ok());
        QCOMPARE(again->codeUrl, created->codeUrl);
        // Same number, other amount: refused.
        auto other = create(*m_channel, request(no, 999));
        QVERIFY(!other.ok());
        QCOMPARE(other.error().kind, ChannelError::Kind::Rejected);
        QCOMPARE(other.error().code, u"INVALID_REQUEST"_s);

        auto unpaid = query(*m_channel, no);
        QVERIFY(unpaid.ok());
        QVERIFY(unpaid->state == TradeState::NotPay);
        QCOMPARE(unpaid->rawState, u"NOTPAY"_s);
        QCOMPARE(unpaid->amountMinor, 0);

        int status = 0;
        const QJsonObject paid = m_sandbox.control("POST", u"/sandbox/pay/"_s + no, {}, &status);
        QCOMPARE(status, 200);
        auto success = query(*m_channel, no);
        QVERIFY(success.ok());
        QVERIFY(success->state == TradeState::Success);
        QCOMPARE(success->outTradeNo, no);
        QCOMPARE(success->amountMinor, 1234);
        QCOMPARE(success->channelTxnId, paid.value(u"transaction_id"_s).toString());
        QVERIFY(qAbs(success->paidAtMs - m_clock.nowMs()) < 120'000);

        // Closing a paid order: AlreadyPaid, never a silent success.
        auto closePaid = close(*m_channel, no);
        QVERIFY(!closePaid.ok());
        QCOMPARE(closePaid.error().kind, ChannelError::Kind::AlreadyPaid);
        QCOMPARE(closePaid.error().code, u"ORDERPAID"_s);
        QVERIFY(!closePaid.error().retrySafe);

        const QString open = newNo("WX");
        QVERIFY(create(*m_channel, request(open)).ok());
        auto closed = close(*m_channel, open); // 204 No Content, signed
        QVERIFY2(closed.ok(), qPrintable(closed.ok() ? QString() : closed.error().describe()));
        auto afterClose = query(*m_channel, open);
        QVERIFY(afterClose.ok());
        QVERIFY(afterClose->state == TradeState::Closed);
        // A closed payment cannot be paid any more, and closing again is fine.
        m_sandbox.control("POST", u"/sandbox/pay/"_s + open, {}, &status);
        QCOMPARE(status, 409);
        QVERIFY(close(*m_channel, open).ok());
    }

    void unknownOrders()
    {
        auto q = query(*m_channel, u"WXNEVERSEEN000001"_s);
        QVERIFY(!q.ok());
        QCOMPARE(q.error().kind, ChannelError::Kind::NotFound);
        QCOMPARE(q.error().code, u"ORDER_NOT_EXIST"_s);
        QCOMPARE(q.error().httpStatus, 404);
        auto c = close(*m_channel, u"WXNEVERSEEN000001"_s);
        QVERIFY(!c.ok());
        QCOMPARE(c.error().kind, ChannelError::Kind::NotFound);
        auto r = queryRefund(*m_channel, u"RFNEVERSEEN"_s, u"WXNEVERSEEN000001"_s);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"RESOURCE_NOT_EXISTS"_s);
        // An unsigned "no such order" could steer the books: refused like an unsigned 2xx.
        m_sandbox.fault(u"wechat"_s, u"query"_s, u"unsigned"_s);
        auto forged = query(*m_channel, u"WXNEVERSEEN000001"_s);
        QVERIFY(!forged.ok());
        QCOMPARE(forged.error().kind, ChannelError::Kind::Signature);
        QCOMPARE(forged.error().code, u"UNSIGNED"_s);
        QCOMPARE(forged.error().httpStatus, 404);
        // So could an unsigned ORDERPAID on close.
        const QString open = newNo("WX");
        QVERIFY(create(*m_channel, request(open)).ok());
        m_sandbox.control("POST", u"/sandbox/pay/"_s + open);
        m_sandbox.fault(u"wechat"_s, u"close"_s, u"unsigned"_s);
        auto paid = close(*m_channel, open);
        QCOMPARE(paid.error().code, u"UNSIGNED"_s);
    }

    void requestValidation()
    {
        CreatePaymentRequest usd = request(newNo("WX"));
        usd.currency = u"USD"_s;
        auto r = create(*m_channel, usd);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ChannelError::Kind::Rejected);
        CreatePaymentRequest zero = request(newNo("WX"), 0);
        QVERIFY(!create(*m_channel, zero).ok());
        CreatePaymentRequest past = request(newNo("WX"));
        past.expiresAtMs = m_clock.nowMs() - 60'000;
        auto p = create(*m_channel, past);
        QVERIFY(!p.ok());
        QCOMPARE(p.error().code, u"PARAM_ERROR"_s);
    }

    void refundOutcomes_data()
    {
        QTest::addColumn<QString>("outcome");
        QTest::addColumn<int>("afterQueries");
        QTest::addColumn<int>("expected");
        QTest::newRow("PROCESSING->SUCCESS") << u"SUCCESS"_s << 1 << int(RefundStatus::Success);
        QTest::newRow("PROCESSING->SUCCESS after 3 queries") << u"SUCCESS"_s << 3 << int(RefundStatus::Success);
        QTest::newRow("PROCESSING->ABNORMAL") << u"ABNORMAL"_s << 1 << int(RefundStatus::Abnormal);
        QTest::newRow("PROCESSING->CLOSED") << u"CLOSED"_s << 2 << int(RefundStatus::Closed);
        QTest::newRow("SUCCESS at once") << u"SUCCESS"_s << 0 << int(RefundStatus::Success);
    }
    void refundOutcomes()
    {
        QFETCH(QString, outcome);
        QFETCH(int, afterQueries);
        QFETCH(int, expected);
        m_sandbox.control("POST", u"/sandbox/refund-plan"_s, {{u"outcome"_s, outcome}, {u"after_queries"_s, afterQueries}});
        const QString no = paidOrder(5000);
        QVERIFY(!no.isEmpty());
        const QString refundNo = newNo("RF");
        auto sent = refund(*m_channel, no, refundNo, 1500, 5000);
        QVERIFY2(sent.ok(), qPrintable(sent.ok() ? QString() : sent.error().describe()));
        QCOMPARE(sent->outRefundNo, refundNo);
        QCOMPARE(sent->outTradeNo, no);
        QCOMPARE(sent->amountMinor, 1500);
        QVERIFY(!sent->channelRefundId.isEmpty());
        if (afterQueries == 0) {
            QCOMPARE(int(sent->status), expected);
            return;
        }
        QVERIFY(sent->status == RefundStatus::Processing);
        // Sending it again (a retry with the same out_refund_no) is the same refund.
        auto retry = refund(*m_channel, no, refundNo, 1500, 5000);
        QVERIFY(retry.ok());
        QCOMPARE(retry->channelRefundId, sent->channelRefundId);
        ChannelReply<RefundResult> last = ChannelError{};
        for (int i = 0; i < afterQueries; ++i) {
            last = queryRefund(*m_channel, refundNo, no);
            QVERIFY(last.ok());
            if (i + 1 < afterQueries)
                QVERIFY(last->status == RefundStatus::Processing);
        }
        QCOMPARE(int(last->status), expected);
        QCOMPARE(last->rawStatus, outcome);
        if (expected == int(RefundStatus::Success)) {
            QVERIFY(last->succeededAtMs > 0);
            auto trade = query(*m_channel, no);
            QVERIFY(trade.ok());
            QVERIFY(trade->state == TradeState::Refunded);
        }
    }

    // ---- protocol fidelity (issue 17) ----
    void ordersAreRefusedAsTheRealApiRefusesThem_data()
    {
        QTest::addColumn<QString>("no");
        QTest::addColumn<QString>("notifyUrl"); // "(none)": left out
        QTest::addColumn<int>("status");
        const QString sink = u"https://shop.example/wechat/notify"_s;
        QTest::newRow("well formed") << newNo("WX") << sink << 200;
        QTest::newRow("every allowed sign") << newNo("WX_-|*@") << sink << 200;
        QTest::newRow("no notify_url") << newNo("WX") << u"(none)"_s << 400;
        QTest::newRow("empty notify_url") << newNo("WX") << u""_s << 400;
        QTest::newRow("notify_url with a query") << newNo("WX") << u"https://shop.example/n?order=1"_s << 400;
        QTest::newRow("notify_url not a URL") << newNo("WX") << u"notify"_s << 400;
        QTest::newRow("5 characters") << u"WX123"_s << sink << 400;
        QTest::newRow("33 characters") << QString(33, u'W') << sink << 400;
        QTest::newRow("'#'") << newNo("WX#") << sink << 400;
        QTest::newRow("'.'") << newNo("WX.") << sink << 400;
    }
    void ordersAreRefusedAsTheRealApiRefusesThem()
    {
        QFETCH(QString, no);
        QFETCH(QString, notifyUrl);
        QFETCH(int, status);
        QString code;
        QCOMPARE(rawCreate(order(no, notifyUrl), &code), status);
        if (status != 200)
            QCOMPARE(code, u"PARAM_ERROR"_s);
    }

    void everyOrderCarriesANotifyUrl()
    {
        // The sandbox's own profile names its sink.
        const ChannelProfile p = m_sandbox.profile(ChannelKind::WeChat);
        QCOMPARE(p.notifyUrl, m_sandbox.baseUrl() + u"/sandbox/notify-sink"_s);
        const QString viaProfile = newNo("WX");
        QVERIFY(create(*m_channel, request(viaProfile)).ok());
        QCOMPARE(bookedNotifyUrl(viaProfile), p.notifyUrl);
        // The customer pays: the notification reaches the sink.
        const int before = m_sandbox.control("GET", u"/sandbox/state"_s).value(u"notifications_received"_s).toInt();
        m_sandbox.control("POST", u"/sandbox/pay/"_s + viaProfile);
        QVERIFY(spinUntil([&] {
            return m_sandbox.control("GET", u"/sandbox/state"_s).value(u"notifications_received"_s).toInt() > before;
        }));
        // A profile without one still sends a valid one: the documented default.
        ChannelProfile bare = p;
        bare.notifyUrl.clear();
        auto ch = WeChatPayChannel::create(bare, m_clock);
        QVERIFY(ch);
        const QString viaDefault = newNo("WX");
        auto created = create(*ch.value(), request(viaDefault));
        QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.error().describe()));
        QCOMPARE(bookedNotifyUrl(viaDefault), QString::fromLatin1(ChannelProfile::kDefaultNotifyUrl));
        QVERIFY(QUrl(bookedNotifyUrl(viaDefault)).scheme() == u"https"_s);
        // The order's own notify URL wins over both.
        CreatePaymentRequest own = request(newNo("WX"));
        own.notifyUrl = u"https://shop.example/own"_s;
        QVERIFY(create(*ch.value(), own).ok());
        QCOMPARE(bookedNotifyUrl(own.outTradeNo), own.notifyUrl);
    }

    void refundRefusals()
    {
        const QString no = paidOrder(1000);
        QVERIFY(!no.isEmpty());
        auto tooMuch = refund(*m_channel, no, newNo("RF"), 1000, 1000);
        QVERIFY(tooMuch.ok());
        // More than is left to refund: WeChat Pay's 400 INVALID_REQUEST (NOT_ENOUGH means the
        // merchant's balance is short, below).
        auto over = refund(*m_channel, no, newNo("RF"), 1, 1000);
        QVERIFY(!over.ok());
        QCOMPARE(over.error().code, u"INVALID_REQUEST"_s);
        QCOMPARE(over.error().httpStatus, 400);
        QCOMPARE(over.error().kind, ChannelError::Kind::Rejected);
        const QString another = paidOrder(1000);
        m_sandbox.fault(u"wechat"_s, u"refund"_s, u"not_enough"_s);
        auto balance = refund(*m_channel, another, newNo("RF"), 100, 1000);
        QVERIFY(!balance.ok());
        QCOMPARE(balance.error().code, u"NOT_ENOUGH"_s);
        QCOMPARE(balance.error().httpStatus, 403);
        QCOMPARE(balance.error().kind, ChannelError::Kind::Rejected);
        QVERIFY(refund(*m_channel, another, newNo("RF"), 100, 1000).ok()); // the fault was one call
        auto unknown = refund(*m_channel, u"WXNEVERSEEN000002"_s, newNo("RF"), 1, 1000);
        QVERIFY(!unknown.ok());
        QCOMPARE(unknown.error().kind, ChannelError::Kind::NotFound);
        const QString unpaid = newNo("WX");
        QVERIFY(create(*m_channel, request(unpaid)).ok());
        auto notPaid = refund(*m_channel, unpaid, newNo("RF"), 1, 1234);
        QVERIFY(!notPaid.ok());
        QCOMPARE(notPaid.error().kind, ChannelError::Kind::Rejected);
        // Refused locally, nothing sent.
        auto local = refund(*m_channel, no, newNo("RF"), 2000, 1000);
        QVERIFY(!local.ok());
        QCOMPARE(local.error().code, u"PARAM_ERROR"_s);
    }

    // ---- every injected fault ----
    void faults_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("times");
        QTest::addColumn<int>("expectedKind");
        QTest::addColumn<QString>("expectedCode");
        QTest::addColumn<bool>("retrySafe");
        using K = ChannelError::Kind;
        QTest::newRow("5xx") << u"http_500"_s << 1 << int(K::Server) << u"SYSTEM_ERROR"_s << true;
        QTest::newRow("dropped connection") << u"drop"_s << 5 << int(K::Network) << u"NETWORK"_s << true;
        QTest::newRow("latency past the timeout") << u"latency"_s << 1 << int(K::Timeout) << u"TIMEOUT"_s << true;
        QTest::newRow("unsigned 2xx") << u"unsigned"_s << 1 << int(K::Signature) << u"UNSIGNED"_s << false;
        QTest::newRow("stale timestamp") << u"stale_timestamp"_s << 1 << int(K::Signature) << u"STALE_TIMESTAMP"_s << false;
        QTest::newRow("bad signature") << u"bad_signature"_s << 1 << int(K::Signature) << u"BAD_SIGNATURE"_s << false;
        QTest::newRow("wrong serial") << u"wrong_serial"_s << 1 << int(K::Signature) << u"UNKNOWN_SERIAL"_s << false;
        QTest::newRow("tampered body") << u"tamper_body"_s << 1 << int(K::Signature) << u"BAD_SIGNATURE"_s << false;
    }
    void faults()
    {
        QFETCH(QString, kind);
        QFETCH(int, times);
        QFETCH(int, expectedKind);
        QFETCH(QString, expectedCode);
        QFETCH(bool, retrySafe);
        const QString no = newNo("WXF");
        QVERIFY(create(*m_channel, request(no)).ok());
        m_channel->setTransferTimeoutMs(kind == u"latency"_s ? 700 : 5000);
        m_sandbox.fault(u"wechat"_s, u"query"_s, kind, times, kind == u"latency"_s ? 3000 : 0);
        auto r = query(*m_channel, no);
        m_channel->setTransferTimeoutMs(5000);
        QVERIFY(!r.ok());
        QCOMPARE(int(r.error().kind), expectedKind);
        QCOMPARE(r.error().code, expectedCode);
        QCOMPARE(r.error().retrySafe, retrySafe);
        QVERIFY(!r.error().message.isEmpty());
        // The fault is used up; the next call goes through and is verified.
        m_sandbox.control("DELETE", u"/sandbox/faults"_s);
        auto ok = query(*m_channel, no);
        QVERIFY2(ok.ok(), qPrintable(ok.ok() ? QString() : ok.error().describe()));
    }

    void faultsOnEveryCall_data()
    {
        QTest::addColumn<QString>("op");
        QTest::addColumn<QString>("kind");
        for (const QString &op : {u"create"_s, u"close"_s, u"refund"_s, u"query_refund"_s})
            for (const QString &kind : {u"http_500"_s, u"unsigned"_s, u"tamper_body"_s, u"stale_timestamp"_s})
                QTest::newRow(qPrintable(op + u' ' + kind)) << op << kind;
    }
    void faultsOnEveryCall()
    {
        QFETCH(QString, op);
        QFETCH(QString, kind);
        const QString paid = paidOrder(3000);
        QVERIFY(!paid.isEmpty());
        const QString refundNo = newNo("RF");
        if (op == u"query_refund"_s)
            QVERIFY(refund(*m_channel, paid, refundNo, 100, 3000).ok());
        const QString open = newNo("WXE");
        if (op == u"close"_s)
            QVERIFY(create(*m_channel, request(open)).ok());
        m_sandbox.fault(u"wechat"_s, op, kind);
        ChannelError error;
        bool ok = true;
        if (op == u"create"_s) {
            auto r = create(*m_channel, request(newNo("WXE")));
            ok = r.ok();
            if (!ok)
                error = r.error();
        } else if (op == u"close"_s) {
            auto r = close(*m_channel, open);
            ok = r.ok();
            if (!ok)
                error = r.error();
        } else if (op == u"refund"_s) {
            auto r = refund(*m_channel, paid, newNo("RF"), 100, 3000);
            ok = r.ok();
            if (!ok)
                error = r.error();
        } else {
            auto r = queryRefund(*m_channel, refundNo, paid);
            ok = r.ok();
            if (!ok)
                error = r.error();
        }
        QVERIFY2(!ok, "a faulty answer was accepted");
        if (kind == u"http_500"_s) {
            QCOMPARE(error.kind, ChannelError::Kind::Server);
            QVERIFY(error.retrySafe);
        } else {
            QCOMPARE(error.kind, ChannelError::Kind::Signature);
        }
    }

    void latencyWithinTimeout()
    {
        const QString no = newNo("WX");
        QVERIFY(create(*m_channel, request(no)).ok());
        m_sandbox.fault(u"wechat"_s, u"query"_s, u"latency"_s, 1, 300);
        QElapsedTimer t;
        t.start();
        auto r = query(*m_channel, no);
        QVERIFY(r.ok());
        QVERIFY(t.elapsed() >= 250);
    }

    void droppedCreateThatLanded()
    {
        // The create reached the channel but the answer was lost: retrying with the same
        // out_trade_no returns the same payment.
        const QString no = newNo("WX");
        // (Several times: QNAM itself resends once when a kept-alive connection drops.)
        m_sandbox.fault(u"wechat"_s, u"create"_s, u"drop"_s, 5, 0, true);
        auto lost = create(*m_channel, request(no));
        QVERIFY(!lost.ok());
        QCOMPARE(lost.error().kind, ChannelError::Kind::Network);
        QVERIFY(lost.error().retrySafe);
        auto q = query(*m_channel, no);
        QVERIFY(q.ok());
        QVERIFY(q->state == TradeState::NotPay);
        m_sandbox.control("DELETE", u"/sandbox/faults"_s);
        auto again = create(*m_channel, request(no));
        QVERIFY(again.ok());
    }

    void serverErrorThatLanded()
    {
        const QString paid = paidOrder(800);
        QVERIFY(!paid.isEmpty());
        const QString refundNo = newNo("RF");
        m_sandbox.fault(u"wechat"_s, u"refund"_s, u"http_500"_s, 1, 0, true);
        auto r = refund(*m_channel, paid, refundNo, 800, 800);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ChannelError::Kind::Server);
        // Same out_refund_no again: the one refund, not a second.
        auto retry = refund(*m_channel, paid, refundNo, 800, 800);
        QVERIFY(retry.ok());
        auto another = refund(*m_channel, paid, newNo("RF"), 1, 800);
        QCOMPARE(another.error().code, u"INVALID_REQUEST"_s);
    }

    void paymentLandsBetweenQueryAndClose()
    {
        const QString no = newNo("WX");
        QVERIFY(create(*m_channel, request(no)).ok());
        auto before = query(*m_channel, no);
        QVERIFY(before.ok());
        QVERIFY(before->state == TradeState::NotPay);
        m_sandbox.fault(u"wechat"_s, u"close"_s, u"pay_before_close"_s);
        auto c = close(*m_channel, no);
        QVERIFY(!c.ok());
        QCOMPARE(c.error().kind, ChannelError::Kind::AlreadyPaid);
        auto after = query(*m_channel, no);
        QVERIFY(after.ok());
        QVERIFY(after->state == TradeState::Success);
    }

    void publicKeyMode()
    {
        // The sandbox signs with the WeChat Pay public key (Wechatpay-Serial: PUB_KEY_ID_...).
        m_sandbox.control("POST", u"/sandbox/key-mode"_s, {{u"mode"_s, u"public_key"_s}});
        const QString no = newNo("WX");
        QVERIFY(create(*m_channel, request(no)).ok());
        QVERIFY(query(*m_channel, no).ok());
        // A client that only holds the platform certificate cannot verify those answers.
        ChannelProfile certOnly = m_sandbox.profile(ChannelKind::WeChat);
        certOnly.platformPublicKeyId.clear();
        certOnly.platformPublicKeyPem.clear();
        auto ch = WeChatPayChannel::create(certOnly, m_clock);
        QVERIFY(ch);
        auto r = query(*ch.value(), no);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"UNKNOWN_SERIAL"_s);
        // And one that only holds the public key cannot verify certificate-signed answers.
        m_sandbox.control("POST", u"/sandbox/key-mode"_s, {{u"mode"_s, u"certificate"_s}});
        ChannelProfile keyOnly = m_sandbox.profile(ChannelKind::WeChat);
        keyOnly.platformCertificates.clear();
        auto ch2 = WeChatPayChannel::create(keyOnly, m_clock);
        QVERIFY(ch2);
        QCOMPARE(query(*ch2.value(), no).error().code, u"UNKNOWN_SERIAL"_s);
    }

    void wrongMerchantCredentials()
    {
        // Our request signed with a key the channel does not know: refused (SIGN_ERROR).
        ChannelProfile p = m_sandbox.profile(ChannelKind::WeChat);
        p.privateKeyPem = crypto::PrivateKey::generateRsa(2048).value().toPem();
        auto ch = WeChatPayChannel::create(p, m_clock);
        QVERIFY(ch);
        auto r = query(*ch.value(), u"WXANY0000001"_s);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, u"SIGN_ERROR"_s);
        QCOMPARE(r.error().kind, ChannelError::Kind::Rejected);
        QCOMPARE(r.error().httpStatus, 401);
        // Wrong merchant serial: the same.
        ChannelProfile s = m_sandbox.profile(ChannelKind::WeChat);
        s.merchantSerial = u"0123456789ABCDEF0123456789ABCDEF01234567"_s;
        auto ch2 = WeChatPayChannel::create(s, m_clock);
        QVERIFY(ch2);
        QCOMPARE(query(*ch2.value(), u"WXANY0000001"_s).error().code, u"SIGN_ERROR"_s);
    }

    void clockSkew()
    {
        // Our clock ten minutes ahead: the sandbox refuses our timestamp, and we refuse its
        // answer as stale (either way nothing is trusted).
        ManualClock ahead(m_clock.nowMs() + 10 * 60'000);
        auto ch = WeChatPayChannel::create(m_sandbox.profile(ChannelKind::WeChat), ahead);
        QVERIFY(ch);
        auto r = query(*ch.value(), u"WXANY0000002"_s);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ChannelError::Kind::Signature);
        QCOMPARE(r.error().code, u"STALE_TIMESTAMP"_s);
        // Four minutes off is still within the 5-minute window.
        ManualClock near(m_clock.nowMs() + 4 * 60'000);
        auto ch2 = WeChatPayChannel::create(m_sandbox.profile(ChannelKind::WeChat), near);
        QVERIFY(ch2);
        QCOMPARE(query(*ch2.value(), u"WXANY0000002"_s).error().code, u"ORDER_NOT_EXIST"_s);
    }

    void transportFailures()
    {
        // Nothing listens there: connection refused, retry-safe.
        ChannelProfile p = m_sandbox.profile(ChannelKind::WeChat);
        p.gatewayUrl = u"http://127.0.0.1:1"_s;
        auto ch = WeChatPayChannel::create(p, m_clock);
        QVERIFY(ch);
        auto r = query(*ch.value(), u"WXANY0000003"_s);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ChannelError::Kind::Network);
        QVERIFY(r.error().retrySafe);
        // http to anything but loopback is refused before anything is sent.
        p.gatewayUrl = u"http://api.mch.weixin.qq.com"_s;
        auto insecure = WeChatPayChannel::create(p, m_clock);
        QVERIFY(!insecure);
        QCOMPARE(insecure.error().code, u"profile.insecure_gateway"_s);
    }

    void callbackSkippedWhenContextIsGone()
    {
        bool called = false;
        {
            QObject context;
            m_channel->queryPayment(u"WXANY0000004"_s, &context, [&called](const ChannelReply<PaymentStatus> &) { called = true; });
        }
        QTest::qWait(1500);
        QVERIFY(!called);
    }

    // ---- notifications ----
    void notifications()
    {
        NotificationSink sink;
        m_sandbox.control("POST", u"/sandbox/notify-url"_s, {{u"url"_s, sink.url()}});
        const QString no = newNo("WXN");
        QVERIFY(create(*m_channel, request(no, 4321)).ok());
        int status = 0;
        m_sandbox.control("POST", u"/sandbox/pay/"_s + no, {}, &status);
        QCOMPARE(status, 200);
        QVERIFY(spinUntil([&] { return sink.received.size() >= 1; }));
        const auto n = m_channel->decodeNotification(sink.received.at(0).headers, sink.received.at(0).body);
        QVERIFY2(n.ok(), qPrintable(n.ok() ? QString() : n.error().describe()));
        QCOMPARE(n->kind, ChannelNotification::Kind::Payment);
        QVERIFY(!n->id.isEmpty());
        QCOMPARE(n->payment.outTradeNo, no);
        QVERIFY(n->payment.state == TradeState::Success);
        QCOMPARE(n->payment.amountMinor, 4321);
        QVERIFY(!n->payment.channelTxnId.isEmpty());
        // Header names in any case.
        QMap<QByteArray, QByteArray> lower;
        for (auto it = sink.received.at(0).headers.cbegin(); it != sink.received.at(0).headers.cend(); ++it)
            lower.insert(it.key().toLower(), it.value());
        QVERIFY(m_channel->decodeNotification(lower, sink.received.at(0).body).ok());
        // A tampered copy of a genuine notification.
        QByteArray tampered = sink.received.at(0).body;
        tampered.replace("TRANSACTION.SUCCESS", "TRANSACTION.SUCCESZ");
        QCOMPARE(m_channel->decodeNotification(sink.received.at(0).headers, tampered).error().code, u"BAD_SIGNATURE"_s);
        // Decrypting with another APIv3 key fails authentication.
        ChannelProfile other = m_sandbox.profile(ChannelKind::WeChat);
        other.apiV3Key = "0123456789abcdef0123456789abcdef";
        auto ch = WeChatPayChannel::create(other, m_clock);
        QVERIFY(ch);
        QCOMPARE(ch.value()->decodeNotification(sink.received.at(0).headers, sink.received.at(0).body).error().code,
                 u"DECRYPT_FAILED"_s);
        // A replay ten minutes later is stale.
        ManualClock later(m_clock.nowMs() + 10 * 60'000);
        auto replay = WeChatPayChannel::create(m_sandbox.profile(ChannelKind::WeChat), later);
        QVERIFY(replay);
        QCOMPARE(replay.value()->decodeNotification(sink.received.at(0).headers, sink.received.at(0).body).error().code,
                 u"STALE_TIMESTAMP"_s);

        // Faulty notifications from the sandbox itself.
        // ... and genuinely signed ones of another app or merchant, or naming none (issue 13
        // item 12: the platform key signs every merchant's notifications).
        const struct { const char16_t *kind; const char16_t *code; } cases[] = {
            {u"unsigned", u"UNSIGNED"}, {u"bad_signature", u"BAD_SIGNATURE"}, {u"tamper_body", u"BAD_SIGNATURE"},
            {u"stale_timestamp", u"STALE_TIMESTAMP"}, {u"wrong_serial", u"UNKNOWN_SERIAL"},
            {u"foreign_app", u"MISMATCH"}, {u"foreign_merchant", u"MISMATCH"}, {u"no_merchant", u"MISMATCH"}};
        for (const auto &c : cases) {
            m_sandbox.fault(u"wechat"_s, u"notify"_s, QString::fromUtf16(c.kind));
            const qsizetype before = sink.received.size();
            m_sandbox.control("POST", u"/sandbox/notify/"_s + no);
            QVERIFY(spinUntil([&] { return sink.received.size() > before; }));
            const auto bad = m_channel->decodeNotification(sink.received.last().headers, sink.received.last().body);
            QVERIFY2(!bad.ok(), qPrintable(QString::fromUtf16(c.kind)));
            QCOMPARE(bad.error().code, QString::fromUtf16(c.code));
            QVERIFY(!bad.error().message.isEmpty());
        }
        // A profile of another app, or of another merchant, refuses the genuine notification.
        ChannelProfile otherApp = m_sandbox.profile(ChannelKind::WeChat);
        otherApp.appId = u"wx1111111111111111"_s;
        auto appCh = WeChatPayChannel::create(otherApp, m_clock);
        QVERIFY(appCh);
        QCOMPARE(appCh.value()->decodeNotification(sink.received.at(0).headers, sink.received.at(0).body).error().code,
                 u"MISMATCH"_s);
        ChannelProfile otherMch = m_sandbox.profile(ChannelKind::WeChat);
        otherMch.merchantId = u"1900000001"_s;
        auto mchCh = WeChatPayChannel::create(otherMch, m_clock);
        QVERIFY(mchCh);
        QCOMPARE(mchCh.value()->decodeNotification(sink.received.at(0).headers, sink.received.at(0).body).error().code,
                 u"MISMATCH"_s);

        // Refund notifications: REFUND.SUCCESS with refund_status.
        m_sandbox.control("POST", u"/sandbox/refund-plan"_s, {{u"outcome"_s, u"ABNORMAL"_s}, {u"after_queries"_s, 0}});
        const qsizetype before = sink.received.size();
        const QString refundNo = newNo("RFN");
        auto r = refund(*m_channel, no, refundNo, 21, 4321);
        QVERIFY(r.ok());
        QVERIFY(r->status == RefundStatus::Abnormal);
        QVERIFY(spinUntil([&] { return sink.received.size() > before; }));
        const auto rn = m_channel->decodeNotification(sink.received.last().headers, sink.received.last().body);
        QVERIFY2(rn.ok(), qPrintable(rn.ok() ? QString() : rn.error().describe()));
        QCOMPARE(rn->kind, ChannelNotification::Kind::Refund);
        QCOMPARE(rn->refund.outRefundNo, refundNo);
        QVERIFY(rn->refund.status == RefundStatus::Abnormal);
        QCOMPARE(rn->refund.amountMinor, 21);
        // A refund notification must name our merchant too.
        for (const char16_t *kind : {u"no_merchant", u"foreign_merchant"}) {
            m_sandbox.fault(u"wechat"_s, u"notify"_s, QString::fromUtf16(kind));
            const qsizetype n0 = sink.received.size();
            QVERIFY(refund(*m_channel, no, newNo("RFM"), 1, 4321).ok());
            QVERIFY(spinUntil([&] { return sink.received.size() > n0; }));
            const auto bad = m_channel->decodeNotification(sink.received.last().headers, sink.received.last().body);
            QVERIFY2(!bad.ok(), qPrintable(QString::fromUtf16(kind)));
            QCOMPARE(bad.error().code, u"MISMATCH"_s);
        }
        m_sandbox.control("POST", u"/sandbox/notify-url"_s, {{u"url"_s, QString()}});
    }

private:
    // ---- daily bills (issue 12) ----
    static QDate beijingToday() { return QDateTime::currentDateTimeUtc().toTimeZone(QTimeZone(8 * 3600)).date(); }
    ChannelReply<BillFile> bill(const QDate &date, BillKind kind = BillKind::Trade)
    {
        auto out = await<BillFile>([&](QObject *ctx, auto done) { m_channel->fetchBill(BillRequest{date, kind}, ctx, done); });
        if (!out)
            return ChannelError::make(ChannelError::Kind::Timeout, u"TEST_TIMEOUT"_s, u"no answer"_s);
        return *out;
    }

private slots:
    void tradeBillAfterPaymentsAndARefund()
    {
        m_sandbox.control("POST", u"/sandbox/refund-plan"_s, {{u"outcome"_s, u"SUCCESS"_s}, {u"after_queries"_s, 0}});
        const QString a = paidOrder(1234), b = paidOrder(500);
        QVERIFY(!a.isEmpty() && !b.isEmpty());
        const QString refundNo = newNo("RF");
        auto r = refund(*m_channel, a, refundNo, 234, 1234);
        QVERIFY2(r.ok() && r->status == RefundStatus::Success, qPrintable(r.ok() ? r->rawStatus : r.error().describe()));
        auto got = bill(beijingToday());
        QVERIFY2(got.ok(), qPrintable(got.ok() ? QString() : got.error().describe()));
        QCOMPARE(got->status, BillFile::Status::Ready);
        QVERIFY(got->channel == ChannelKind::WeChat);
        QCOMPARE(got->hashType, u"SHA1"_s);
        QCOMPARE(got->hashValue, QString::fromLatin1(QCryptographicHash::hash(got->content, QCryptographicHash::Sha1).toHex()));
        QCOMPARE(got->fileName, m_sandbox.profile(ChannelKind::WeChat).merchantId + u"_"_s + beijingToday().toString(Qt::ISODate) + u"_ALL.csv"_s);
        const QString text = QString::fromUtf8(got->content);
        QVERIFY(text.startsWith(u"交易时间,公众账号ID,商户号"_s));
        QVERIFY(text.contains(u",`"_s + a + u",`"_s));
        QVERIFY(text.contains(u",`"_s + b + u",`"_s));
        QVERIFY(text.contains(u"`REFUND,"_s));
        QVERIFY(text.contains(u",`"_s + refundNo + u",`2.34,"_s));
        QVERIFY(text.contains(u"\r\n总交易单数,应结订单总金额"_s));
        // The fund-flow bill of the same day.
        auto flow = bill(beijingToday(), BillKind::FundFlow);
        QVERIFY2(flow.ok(), qPrintable(flow.ok() ? QString() : flow.error().describe()));
        QCOMPARE(flow->status, BillFile::Status::Ready);
        QVERIFY(QString::fromUtf8(flow->content).startsWith(u"记账时间,微信支付业务单号"_s));
        QVERIFY(flow->fileName.endsWith(u"_BASIC.csv"_s));
    }

    void tradeBillWithATamperedHashIsRefused()
    {
        QVERIFY(!paidOrder(800).isEmpty());
        m_sandbox.fault(u"wechat"_s, u"bill"_s, u"bad_bill_hash"_s);
        auto got = bill(beijingToday());
        QVERIFY(!got.ok());
        QCOMPARE(got.error().kind, ChannelError::Kind::Signature);
        QCOMPARE(got.error().code, u"BILL_HASH_MISMATCH"_s);
        // An unsigned bill answer is refused before anything is downloaded.
        m_sandbox.fault(u"wechat"_s, u"bill"_s, u"unsigned"_s);
        const int downloads = m_sandbox.control("GET", u"/sandbox/state"_s).value(u"calls"_s).toObject().value(u"wechat.bill_download"_s).toInt();
        auto unsignedAnswer = bill(beijingToday());
        QVERIFY(!unsignedAnswer.ok());
        QCOMPARE(unsignedAnswer.error().kind, ChannelError::Kind::Signature);
        QCOMPARE(m_sandbox.control("GET", u"/sandbox/state"_s).value(u"calls"_s).toObject().value(u"wechat.bill_download"_s).toInt(), downloads);
        // A download_url off the gateway is never fetched: our signature would go with it.
        m_sandbox.fault(u"wechat"_s, u"bill"_s, u"foreign_download_url"_s);
        auto foreign = bill(beijingToday());
        QVERIFY(!foreign.ok());
        QCOMPARE(foreign.error().code, u"BAD_DOWNLOAD_URL"_s);
        QCOMPARE(m_sandbox.control("GET", u"/sandbox/state"_s).value(u"calls"_s).toObject().value(u"wechat.bill_download"_s).toInt(), downloads);
        // A failed download is an error, not an empty bill.
        m_sandbox.fault(u"wechat"_s, u"bill_download"_s, u"http_500"_s);
        auto failed = bill(beijingToday());
        QVERIFY(!failed.ok());
        QVERIFY(failed.error().retrySafe);
        QVERIFY(bill(beijingToday()).ok());
    }

    void notReadyAndNoBillAreToldApart()
    {
        auto tomorrow = bill(beijingToday().addDays(1));
        QVERIFY2(tomorrow.ok(), qPrintable(tomorrow.ok() ? QString() : tomorrow.error().describe()));
        QCOMPARE(tomorrow->status, BillFile::Status::NotReady);
        auto quiet = bill(beijingToday().addDays(-10)); // no payments that day
        QVERIFY2(quiet.ok(), qPrintable(quiet.ok() ? QString() : quiet.error().describe()));
        QCOMPARE(quiet->status, BillFile::Status::NoBill);
        QVERIFY(quiet->content.isEmpty());
        QVERIFY(!quiet->message.isEmpty());
        m_sandbox.fault(u"wechat"_s, u"bill"_s, u"bill_not_ready"_s);
        QVERIFY(!paidOrder(100).isEmpty());
        auto creating = bill(beijingToday());
        QVERIFY(creating.ok());
        QCOMPARE(creating->status, BillFile::Status::NotReady);
        auto tooOld = bill(beijingToday().addDays(-200));
        QVERIFY(!tooOld.ok());
        QCOMPARE(tooOld.error().code, u"PARAM_ERROR"_s);
    }

    void injectedDifferencesAreOnTheBill()
    {
        const QString paid = paidOrder(1000);
        const QString closed = newNo("WXC");
        QVERIFY(create(*m_channel, request(closed, 700)).ok());
        QVERIFY(close(*m_channel, closed).ok());
        const QString unknown = newNo("WXU");
        int status = 0;
        m_sandbox.control("POST", u"/sandbox/bill-discrepancy"_s,
                          {{u"channel"_s, u"wechat"_s}, {u"kind"_s, u"unknown-payment"_s}, {u"ref"_s, unknown}, {u"amount"_s, 4321}}, &status);
        QCOMPARE(status, 200);
        m_sandbox.control("POST", u"/sandbox/bill-discrepancy"_s,
                          {{u"channel"_s, u"wechat"_s}, {u"kind"_s, u"wrong-amount"_s}, {u"ref"_s, paid}, {u"amount"_s, 999}}, &status);
        QCOMPARE(status, 200);
        m_sandbox.control("POST", u"/sandbox/bill-discrepancy"_s,
                          {{u"channel"_s, u"wechat"_s}, {u"kind"_s, u"paid-after-close"_s}, {u"ref"_s, closed}}, &status);
        QCOMPARE(status, 200);
        m_sandbox.control("POST", u"/sandbox/bill-discrepancy"_s,
                          {{u"channel"_s, u"wechat"_s}, {u"kind"_s, u"paid-after-close"_s}, {u"ref"_s, paid}}, &status);
        QCOMPARE(status, 409); // not closed
        auto got = bill(beijingToday());
        QVERIFY(got.ok());
        const QString text = QString::fromUtf8(got->content);
        QVERIFY(text.contains(u",`"_s + unknown + u",`"_s));
        QVERIFY(text.contains(u"`43.21,"_s));
        QVERIFY(text.contains(u",`"_s + paid + u",`"_s));
        QVERIFY(text.contains(u"`SUCCESS,`OTHERS,`CNY,`9.99,"_s));
        QVERIFY(text.contains(u",`"_s + closed + u",`"_s));
        // The channel now says the closed payment was paid.
        auto q = query(*m_channel, closed);
        QVERIFY(q.ok() && q->state == TradeState::Success);
        m_sandbox.control("DELETE", u"/sandbox/bill-discrepancy"_s);
    }
};

QTEST_GUILESS_MAIN(TestWeChatPayChannel)
#include "tst_wechatpay_channel.moc"
