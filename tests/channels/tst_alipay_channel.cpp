// AlipayChannel against the real paydesk-sandbox binary over loopback.

#include "SandboxFixture.h"

#include "channels/AlipayChannel.h"
#include "channels/AlipayProtocol.h"
#include "crypto/Crypto.h"
#include "util/Clock.h"

#include "channels/BillWriter.h"
#include "TestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>

#include <QDateTime>
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

/// java.net.URLEncoder.encode(s, "UTF-8"), as the official Java SDK encodes every parameter:
/// letters, digits and .-*_ stay, a space becomes '+', everything else %XX.
QByteArray javaUrlEncode(const QString &s)
{
    QByteArray out = s.toUtf8().toPercentEncoding(" *", "~");
    out.replace(' ', '+');
    return out;
}

/// "yyyy-MM-dd HH:mm:ss" of this host's wall clock read as UTC: what an SDK on a UTC server
/// sends (eight hours behind Beijing).
QString utcWallClock()
{
    return QDateTime::currentDateTimeUtc().toString(u"yyyy-MM-dd HH:mm:ss"_s);
}
} // namespace

class TestAlipayChannel : public QObject
{
    Q_OBJECT

    SandboxProcess m_sandbox;
    SystemClock m_clock;
    std::unique_ptr<AlipayChannel> m_channel;

    CreatePaymentRequest request(const QString &no, qint64 amount = 12345) const
    {
        CreatePaymentRequest r;
        r.outTradeNo = no;
        r.amountMinor = amount;
        r.description = u"PayDesk 支付宝测试"_s;
        r.expiresAtMs = m_clock.nowMs() + 30 * 60'000;
        return r;
    }
    template <typename T>
    static ChannelReply<T> wait(const std::function<void(QObject *, PaymentChannel::Callback<T>)> &call)
    {
        bool inside = true;
        auto out = await<T>(call, &inside);
        if (inside)
            qFatal("a channel call answered inside the call");
        if (!out)
            return ChannelError::make(ChannelError::Kind::Timeout, u"TEST_TIMEOUT"_s, u"no answer"_s);
        return *out;
    }
    ChannelReply<CreatedPayment> create(AlipayChannel &ch, const CreatePaymentRequest &r)
    {
        return wait<CreatedPayment>([&](QObject *ctx, auto done) { ch.createNative(r, ctx, done); });
    }
    ChannelReply<PaymentStatus> query(AlipayChannel &ch, const QString &no)
    {
        return wait<PaymentStatus>([&](QObject *ctx, auto done) { ch.queryPayment(no, ctx, done); });
    }
    ChannelReply<Done> close(AlipayChannel &ch, const QString &no)
    {
        return wait<Done>([&](QObject *ctx, auto done) { ch.closePayment(no, ctx, done); });
    }
    ChannelReply<RefundResult> refund(AlipayChannel &ch, const QString &no, const QString &refundNo, qint64 amount, qint64 total)
    {
        RefundRequest r;
        r.outTradeNo = no;
        r.outRefundNo = refundNo;
        r.refundMinor = amount;
        r.totalMinor = total;
        r.reason = u"退货"_s;
        return wait<RefundResult>([&](QObject *ctx, auto done) { ch.refund(r, ctx, done); });
    }
    ChannelReply<RefundResult> queryRefund(AlipayChannel &ch, const QString &refundNo, const QString &no)
    {
        return wait<RefundResult>([&](QObject *ctx, auto done) { ch.queryRefund(refundNo, no, ctx, done); });
    }
    struct GatewayAnswer
    {
        int status = 0;
        QByteArray raw;
        QString node;        ///< which node the answer came under
        QJsonObject content; ///< that node
        bool signedByAlipay = false; ///< "sign" verifies over the node's raw bytes with the Alipay key
    };
    /// A request built exactly as the official Java SDK (DefaultAlipayClient) builds it: the
    /// common parameters and the sign in the URL query, URLEncoder-encoded ('+' for a space),
    /// biz_content (and any `bodyExtra`) in the form body; the signature over all of them, sorted.
    GatewayAnswer sdkShapedCall(const QString &method, const QJsonObject &biz, const QString &timestamp,
                                const crypto::PrivateKey *key = nullptr)
    {
        const ChannelProfile profile = m_sandbox.profile(ChannelKind::Alipay);
        alipay::Params query{{u"app_id"_s, profile.appId},
                             {u"method"_s, method},
                             {u"format"_s, u"json"_s},
                             {u"charset"_s, u"utf-8"_s},
                             {u"sign_type"_s, u"RSA2"_s},
                             {u"timestamp"_s, timestamp},
                             {u"version"_s, u"1.0"_s},
                             {u"alipay_sdk"_s, u"alipay-sdk-java-dynamicVersionNo"_s}};
        const alipay::Params body{{u"biz_content"_s, QString::fromUtf8(QJsonDocument(biz).toJson(QJsonDocument::Compact))}};
        alipay::Params all = query;
        all.insert(body);
        auto appKey = crypto::PrivateKey::fromPem(profile.privateKeyPem);
        const crypto::PrivateKey &signer = key ? *key : appKey.value();
        query.insert(u"sign"_s, QString::fromLatin1(signer.signSha256(alipay::signContent(all, false)).value().toBase64()));
        QByteArray target = "/gateway.do?";
        for (auto it = query.cbegin(); it != query.cend(); ++it) {
            if (it != query.cbegin())
                target += '&';
            target += javaUrlEncode(it.key()) + '=' + javaUrlEncode(it.value());
        }
        QByteArray form;
        for (auto it = body.cbegin(); it != body.cend(); ++it)
            form += javaUrlEncode(it.key()) + '=' + javaUrlEncode(it.value());
        GatewayAnswer a;
        a.raw = m_sandbox.raw("POST", target, form,
                              {{"Content-Type", "application/x-www-form-urlencoded;charset=utf-8"}}, &a.status);
        const auto content = alipay::extractResponseContent(a.raw, alipay::responseNode(method), &a.node);
        if (!content)
            return a;
        a.content = QJsonDocument::fromJson(*content).object();
        const QByteArray sign = QJsonDocument::fromJson(a.raw).object().value(u"sign"_s).toString().toLatin1();
        auto alipayKey = crypto::PublicKey::fromPem(profile.platformPublicKeyPem);
        a.signedByAlipay = !sign.isEmpty() && alipayKey && alipayKey->verifySha256(*content, QByteArray::fromBase64(sign));
        return a;
    }

    QString paidOrder(qint64 amount)
    {
        const QString no = newNo("ALP");
        if (!create(*m_channel, request(no, amount)).ok())
            return {};
        int status = 0;
        m_sandbox.control("POST", u"/sandbox/pay/"_s + no, {{u"channel"_s, u"alipay"_s}}, &status);
        return status == 200 ? no : QString();
    }

private slots:
    void initTestCase()
    {
        const QString err = m_sandbox.start();
        QVERIFY2(err.isEmpty(), qPrintable(err));
        auto ch = AlipayChannel::create(m_sandbox.profile(ChannelKind::Alipay), m_clock);
        QVERIFY2(ch, ch ? "" : qPrintable(ch.error().message));
        m_channel = std::move(ch.value());
        m_channel->setTransferTimeoutMs(5000);
        QVERIFY(m_channel->kind() == ChannelKind::Alipay);
    }
    void init() { m_sandbox.control("DELETE", u"/sandbox/faults"_s); }
    void cleanupTestCase() { m_channel.reset(); }

    void precreateScanPayClose()
    {
        const QString no = newNo("AL");
        auto created = create(*m_channel, request(no, 12345));
        QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.error().describe()));
        QVERIFY(created->codeUrl.startsWith(u"https://qr.alipay.com/"_s));
        QCOMPARE(create(*m_channel, request(no, 12345))->codeUrl, created->codeUrl);
        // Before the buyer scans, Alipay has no trade.
        auto before = query(*m_channel, no);
        QVERIFY(!before.ok());
        QCOMPARE(before.error().kind, ChannelError::Kind::NotFound);
        QCOMPARE(before.error().code, u"ACQ.TRADE_NOT_EXIST"_s);
        m_sandbox.control("POST", u"/sandbox/scan/"_s + no);
        auto waiting = query(*m_channel, no);
        QVERIFY(waiting.ok());
        QVERIFY(waiting->state == TradeState::NotPay);
        QCOMPARE(waiting->rawState, u"WAIT_BUYER_PAY"_s);
        int status = 0;
        m_sandbox.control("POST", u"/sandbox/pay/"_s + no, {{u"channel"_s, u"alipay"_s}}, &status);
        QCOMPARE(status, 200);
        auto paid = query(*m_channel, no);
        QVERIFY(paid.ok());
        QVERIFY(paid->state == TradeState::Success);
        QCOMPARE(paid->amountMinor, qint64(12345)); // "123.45" converted exactly
        QVERIFY(!paid->channelTxnId.isEmpty());
        QVERIFY(qAbs(paid->paidAtMs - m_clock.nowMs()) < 120'000);
        auto closePaid = close(*m_channel, no);
        QVERIFY(!closePaid.ok());
        QCOMPARE(closePaid.error().kind, ChannelError::Kind::AlreadyPaid);
        QCOMPARE(closePaid.error().code, u"ACQ.TRADE_HAS_SUCCESS"_s);
    }

    void closeUnscannedIsToldAsNotFound()
    {
        // Alipay makes the trade when the buyer scans: before that, close has nothing to close
        // and says so (ACQ.TRADE_NOT_EXIST), which the closer records as "did not exist" with a
        // late look due (tst_late_look), not as a close the channel confirmed.
        QVERIFY(!m_channel->tradeExistsFromCreation());
        const QString no = newNo("AL");
        QVERIFY(create(*m_channel, request(no)).ok());
        auto c = close(*m_channel, no);
        QVERIFY(!c.ok());
        QCOMPARE(c.error().kind, ChannelError::Kind::NotFound);
        QCOMPARE(c.error().code, u"ACQ.TRADE_NOT_EXIST"_s);
        int status = 0;
        m_sandbox.control("POST", u"/sandbox/pay/"_s + no, {{u"channel"_s, u"alipay"_s}}, &status);
        QCOMPARE(status, 409); // the sandbox's default reading: the code is locked
        auto never = close(*m_channel, u"ALNEVERSEEN0001"_s);
        QVERIFY(!never.ok());
        QCOMPARE(never.error().kind, ChannelError::Kind::NotFound);
        // A scanned one really closes.
        const QString scanned = newNo("AL");
        QVERIFY(create(*m_channel, request(scanned)).ok());
        m_sandbox.control("POST", u"/sandbox/scan/"_s + scanned);
        QVERIFY(close(*m_channel, scanned).ok());
        QVERIFY(query(*m_channel, scanned)->state == TradeState::Closed);
        QVERIFY(close(*m_channel, scanned).ok()); // ACQ.TRADE_HAS_CLOSE: closed
    }

    void refunds()
    {
        const QString no = paidOrder(1000);
        QVERIFY(!no.isEmpty());
        const QString refundNo = newNo("RF");
        auto r = refund(*m_channel, no, refundNo, 1, 1000); // "0.01"
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().describe()));
        QVERIFY(r->status == RefundStatus::Success);
        QCOMPARE(r->amountMinor, qint64(1));
        QCOMPARE(r->outRefundNo, refundNo);
        // The same out_request_no again: no second refund (fund_change N), confirmed by query.
        auto again = refund(*m_channel, no, refundNo, 1, 1000);
        QVERIFY(again.ok());
        QVERIFY(again->status == RefundStatus::Processing);
        auto q = queryRefund(*m_channel, refundNo, no);
        QVERIFY(q.ok());
        QVERIFY(q->status == RefundStatus::Success);
        QCOMPARE(q->amountMinor, qint64(1));
        // Unknown refund: NotFound (it may be sent again with the same out_request_no).
        auto unknown = queryRefund(*m_channel, u"RFNEVERSEEN"_s, no);
        QVERIFY(!unknown.ok());
        QCOMPARE(unknown.error().kind, ChannelError::Kind::NotFound);
        // Over the rest: refused. The rest exactly: fine, and the trade is then closed (refunded).
        auto over = refund(*m_channel, no, newNo("RF"), 1000, 1000);
        QVERIFY(!over.ok());
        QCOMPARE(over.error().code, u"ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"_s);
        QVERIFY(refund(*m_channel, no, newNo("RF"), 999, 1000).ok());
        auto trade = query(*m_channel, no);
        QVERIFY(trade.ok());
        QVERIFY(trade->state == TradeState::Refunded);
        // A business refusal.
        const QString other = paidOrder(500);
        m_sandbox.fault(u"alipay"_s, u"refund"_s, u"refund_fail"_s);
        auto fail = refund(*m_channel, other, newNo("RF"), 100, 500);
        QVERIFY(!fail.ok());
        QCOMPARE(fail.error().kind, ChannelError::Kind::Rejected);
        QCOMPARE(fail.error().code, u"ACQ.SELLER_BALANCE_NOT_ENOUGH"_s);
    }

    void faults_data()
    {
        QTest::addColumn<QString>("op");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("expectedKind");
        QTest::addColumn<QString>("expectedCode");
        using K = ChannelError::Kind;
        for (const QString &op : {u"create"_s, u"query"_s, u"close"_s, u"refund"_s, u"query_refund"_s}) {
            QTest::newRow(qPrintable(op + u" 5xx"_s)) << op << u"http_500"_s << int(K::Server) << u"HTTP_500"_s;
            QTest::newRow(qPrintable(op + u" drop"_s)) << op << u"drop"_s << int(K::Network) << u"NETWORK"_s;
            QTest::newRow(qPrintable(op + u" latency"_s)) << op << u"latency"_s << int(K::Timeout) << u"TIMEOUT"_s;
            QTest::newRow(qPrintable(op + u" unsigned"_s)) << op << u"unsigned"_s << int(K::Signature) << u"UNSIGNED"_s;
            QTest::newRow(qPrintable(op + u" bad signature"_s)) << op << u"bad_signature"_s << int(K::Signature) << u"BAD_SIGNATURE"_s;
            QTest::newRow(qPrintable(op + u" tampered"_s)) << op << u"tamper_body"_s << int(K::Signature) << u"BAD_SIGNATURE"_s;
        }
    }
    void faults()
    {
        QFETCH(QString, op);
        QFETCH(QString, kind);
        QFETCH(int, expectedKind);
        QFETCH(QString, expectedCode);
        const QString paid = paidOrder(2000);
        QVERIFY(!paid.isEmpty());
        const QString refundNo = newNo("RF");
        if (op == u"query_refund"_s)
            QVERIFY(refund(*m_channel, paid, refundNo, 100, 2000).ok());
        const QString open = newNo("ALF");
        QVERIFY(create(*m_channel, request(open)).ok());
        m_sandbox.control("POST", u"/sandbox/scan/"_s + open);
        m_channel->setTransferTimeoutMs(kind == u"latency"_s ? 700 : 5000);
        m_sandbox.fault(u"alipay"_s, op, kind, kind == u"drop"_s ? 5 : 1, kind == u"latency"_s ? 3000 : 0);
        ChannelError error;
        bool ok = true;
        auto take = [&](const auto &reply) {
            ok = reply.ok();
            if (!ok)
                error = reply.error();
        };
        if (op == u"create"_s)
            take(create(*m_channel, request(newNo("ALF"))));
        else if (op == u"query"_s)
            take(query(*m_channel, open));
        else if (op == u"close"_s)
            take(close(*m_channel, open));
        else if (op == u"refund"_s)
            take(refund(*m_channel, paid, newNo("RF"), 100, 2000));
        else
            take(queryRefund(*m_channel, refundNo, paid));
        m_channel->setTransferTimeoutMs(5000);
        QVERIFY2(!ok, "a faulty answer was accepted");
        QCOMPARE(int(error.kind), expectedKind);
        QCOMPARE(error.code, expectedCode);
        QCOMPARE(error.retrySafe, expectedKind == int(ChannelError::Kind::Server) || expectedKind == int(ChannelError::Kind::Network)
                                      || expectedKind == int(ChannelError::Kind::Timeout));
    }

    void paymentLandsBetweenQueryAndClose()
    {
        const QString no = newNo("AL");
        QVERIFY(create(*m_channel, request(no)).ok());
        m_sandbox.control("POST", u"/sandbox/scan/"_s + no);
        QVERIFY(query(*m_channel, no)->state == TradeState::NotPay);
        m_sandbox.fault(u"alipay"_s, u"close"_s, u"pay_before_close"_s);
        auto c = close(*m_channel, no);
        QVERIFY(!c.ok());
        QCOMPARE(c.error().kind, ChannelError::Kind::AlreadyPaid);
        QVERIFY(query(*m_channel, no)->state == TradeState::Success);
    }

    void wrongAppKey()
    {
        ChannelProfile p = m_sandbox.profile(ChannelKind::Alipay);
        p.privateKeyPem = crypto::PrivateKey::generateRsa(2048).value().toPem();
        auto ch = AlipayChannel::create(p, m_clock);
        QVERIFY(ch);
        auto r = query(*ch.value(), u"ALANY0001"_s);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, ChannelError::Kind::Rejected);
        QCOMPARE(r.error().code, u"isv.invalid-signature"_s);
        // The wrong Alipay public key: every signed answer is refused.
        ChannelProfile k = m_sandbox.profile(ChannelKind::Alipay);
        k.platformPublicKeyPem = crypto::PrivateKey::generateRsa(2048).value().publicKey().toPem();
        auto ch2 = AlipayChannel::create(k, m_clock);
        QVERIFY(ch2);
        QCOMPARE(query(*ch2.value(), u"ALANY0001"_s).error().code, u"BAD_SIGNATURE"_s);
    }

    // ---- protocol fidelity (issue 17) ----
    void sdkShapedRequestGetsASignedAnswer()
    {
        // As the official SDK sends it from a host on UTC: common parameters in the query with
        // '+' for the space of the timestamp, biz_content in the body, local (not Beijing) time.
        const QString no = newNo("ALSDK_");
        const QString timestamp = utcWallClock();
        const GatewayAnswer a = sdkShapedCall(u"alipay.trade.precreate"_s,
                                              {{u"out_trade_no"_s, no},
                                               {u"total_amount"_s, u"0.01"_s},
                                               {u"subject"_s, u"tea + cake 奶茶"_s}},
                                              timestamp);
        QCOMPARE(a.status, 200);
        QCOMPARE(a.node, u"alipay_trade_precreate_response"_s);
        QVERIFY2(a.content.value(u"code"_s).toString() == u"10000"_s, a.raw.constData());
        QCOMPARE(a.content.value(u"out_trade_no"_s).toString(), no);
        QVERIFY(a.content.value(u"qr_code"_s).toString().startsWith(u"https://qr.alipay.com/"_s));
        QVERIFY2(a.signedByAlipay, a.raw.constData());
        // What the sandbox booked is what was sent: the subject's '+' (%2B) and space ('+') both.
        const QJsonArray payments = m_sandbox.control("GET", u"/sandbox/state"_s).value(u"payments"_s).toArray();
        bool found = false;
        for (const QJsonValue &v : payments)
            found = found || v.toObject().value(u"out_trade_no"_s).toString() == no;
        QVERIFY(found);
        auto q = query(*m_channel, no); // not scanned yet: the trade does not exist, signed
        QCOMPARE(q.error().code, u"ACQ.TRADE_NOT_EXIST"_s);
    }

    void signatureRefusalIsSignedUnderTheMethodNode()
    {
        auto wrong = crypto::PrivateKey::generateRsa(2048);
        QVERIFY(wrong);
        const GatewayAnswer a = sdkShapedCall(u"alipay.trade.query"_s, {{u"out_trade_no"_s, u"ALANY0001"_s}},
                                              alipay::beijingTime(m_clock.nowMs()), &wrong.value());
        QCOMPARE(a.status, 200);
        QVERIFY2(!a.raw.contains("error_response"), a.raw.constData());
        QCOMPARE(a.node, u"alipay_trade_query_response"_s);
        QCOMPARE(a.content.value(u"code"_s).toString(), u"40002"_s);
        QCOMPARE(a.content.value(u"sub_code"_s).toString(), u"isv.invalid-signature"_s);
        QVERIFY2(a.signedByAlipay, a.raw.constData());
        // An unknown method has no node of its own: error_response, as the gateway does.
        const GatewayAnswer unknown = sdkShapedCall(u"alipay.trade.nothing"_s, {}, alipay::beijingTime(m_clock.nowMs()));
        QCOMPARE(unknown.node, u"error_response"_s);
        QCOMPARE(unknown.content.value(u"sub_code"_s).toString(), u"isv.invalid-method"_s);
    }

    void timestampsAreReadForTheirFormatOnly()
    {
        const QJsonObject biz{{u"out_trade_no"_s, u"ALANY0001"_s}};
        // Eight hours from Beijing time (a UTC host) and a day away: accepted.
        QCOMPARE(sdkShapedCall(u"alipay.trade.query"_s, biz, utcWallClock()).content.value(u"sub_code"_s).toString(),
                 u"ACQ.TRADE_NOT_EXIST"_s);
        QCOMPARE(sdkShapedCall(u"alipay.trade.query"_s, biz, alipay::beijingTime(m_clock.nowMs() - 86'400'000))
                     .content.value(u"sub_code"_s).toString(),
                 u"ACQ.TRADE_NOT_EXIST"_s);
        // Not the format: refused, signed.
        const GatewayAnswer bad = sdkShapedCall(u"alipay.trade.query"_s, biz, u"2026/12/04 10:00"_s);
        QCOMPARE(bad.content.value(u"sub_code"_s).toString(), u"isv.invalid-timestamp"_s);
        QVERIFY(bad.signedByAlipay);
        // A window only as an injected fault, and only for the calls it names.
        m_sandbox.control("POST", u"/sandbox/faults"_s,
                          {{u"channel"_s, u"alipay"_s}, {u"op"_s, u"query"_s}, {u"kind"_s, u"timestamp_window"_s}, {u"window_s"_s, 900}});
        const GatewayAnswer skewed = sdkShapedCall(u"alipay.trade.query"_s, biz, utcWallClock());
        QCOMPARE(skewed.content.value(u"sub_code"_s).toString(), u"isv.invalid-timestamp"_s);
        QVERIFY(skewed.signedByAlipay);
        QCOMPARE(sdkShapedCall(u"alipay.trade.query"_s, biz, utcWallClock()).content.value(u"sub_code"_s).toString(),
                 u"ACQ.TRADE_NOT_EXIST"_s);
        // Our own client, whose clock is eight hours off, is served too.
        ManualClock utcAsBeijing(m_clock.nowMs() - 8 * 3600'000LL);
        auto shifted = AlipayChannel::create(m_sandbox.profile(ChannelKind::Alipay), utcAsBeijing);
        QVERIFY(shifted);
        QCOMPARE(query(*shifted.value(), u"ALANY0001"_s).error().code, u"ACQ.TRADE_NOT_EXIST"_s);
    }

    void outTradeNoOutsideAlipaysAlphabetIsRefused_data()
    {
        QTest::addColumn<QString>("no");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("PayDesk's new numbering") << newNo("PD20261204") + u"_01"_s << true;
        QTest::newRow("64 characters") << QString(64, u'A') << true;
        QTest::newRow("the old '-' numbering") << newNo("PD20261204") + u"-01"_s << false;
        QTest::newRow("65 characters") << QString(65, u'A') << false;
        QTest::newRow("'|' (WeChat takes it)") << newNo("AL|") << false;
        QTest::newRow("a space") << newNo("AL ") << false;
    }
    void outTradeNoOutsideAlipaysAlphabetIsRefused()
    {
        QFETCH(QString, no);
        QFETCH(bool, accepted);
        auto r = create(*m_channel, request(no, 100));
        QCOMPARE(r.ok(), accepted);
        if (!accepted) {
            QCOMPARE(r.error().code, u"ACQ.INVALID_PARAMETER"_s);
            QCOMPARE(r.error().kind, ChannelError::Kind::Rejected);
        }
    }

    void sandboxHelpDocumentsTheTestControls()
    {
        QProcess help;
        help.start(binary(u"paydesk-sandbox"_s), {u"--help"_s});
        QVERIFY(help.waitForFinished(30'000));
        const QString text = QString::fromUtf8(help.readAllStandardOutput());
        // Every fault the sandbox takes (it lists them when it refuses an unknown one).
        int status = 0;
        const QString refusal = m_sandbox.control("POST", u"/sandbox/faults"_s, {{u"kind"_s, u"no-such-kind"_s}}, &status)
                                    .value(u"error"_s).toString();
        QCOMPARE(status, 400);
        const QStringList kinds = refusal.section(u':', 1).split(u',', Qt::SkipEmptyParts);
        QVERIFY(kinds.size() > 15);
        for (const QString &kind : kinds)
            QVERIFY2(text.contains(kind.trimmed()), qPrintable(kind));
        for (const char *control : {"/sandbox/pay/", "/sandbox/scan/", "/sandbox/notify/", "/sandbox/notify-url",
                                    "/sandbox/notify-sink", "/sandbox/faults", "/sandbox/refund-plan", "/sandbox/bill-discrepancy",
                                    "/sandbox/key-mode", "/sandbox/state", "Examples", "curl -X POST"})
            QVERIFY2(text.contains(QLatin1String(control)), control);
        QVERIFY(text.contains(u"业务明细"_s)); // the help is UTF-8, not Latin-1
    }

    void notifications()
    {
        NotificationSink sink;
        m_sandbox.control("POST", u"/sandbox/notify-url"_s, {{u"url"_s, sink.url()}});
        const QString no = newNo("ALN");
        QVERIFY(create(*m_channel, request(no, 10)).ok());
        m_sandbox.control("POST", u"/sandbox/pay/"_s + no, {{u"channel"_s, u"alipay"_s}});
        QVERIFY(spinUntil([&] { return sink.received.size() >= 1; }));
        const auto n = m_channel->decodeNotification(sink.received.at(0).headers, sink.received.at(0).body);
        QVERIFY2(n.ok(), qPrintable(n.ok() ? QString() : n.error().describe()));
        QCOMPARE(n->kind, ChannelNotification::Kind::Payment);
        QCOMPARE(n->payment.outTradeNo, no);
        QVERIFY(n->payment.state == TradeState::Success);
        QCOMPARE(n->payment.amountMinor, qint64(10)); // "0.10"
        QVERIFY(!n->id.isEmpty());
        // Changing the amount in a genuine notification breaks it.
        QByteArray tampered = sink.received.at(0).body;
        tampered.replace("total_amount=0.10", "total_amount=9.10");
        QCOMPARE(m_channel->decodeNotification({}, tampered).error().code, u"BAD_SIGNATURE"_s);
        // Genuinely signed by Alipay, but another app's or seller's, or sent long ago (issue 13
        // item 12).
        const struct { const char16_t *kind; const char16_t *code; } cases[] = {
            {u"unsigned", u"UNSIGNED"}, {u"bad_signature", u"BAD_SIGNATURE"}, {u"tamper_body", u"BAD_SIGNATURE"},
            {u"foreign_app", u"MISMATCH"}, {u"foreign_merchant", u"MISMATCH"}, {u"no_merchant", u"MISMATCH"},
            {u"stale_notify_time", u"STALE_TIMESTAMP"}};
        for (const auto &c : cases) {
            m_sandbox.fault(u"alipay"_s, u"notify"_s, QString::fromUtf16(c.kind));
            const qsizetype before = sink.received.size();
            m_sandbox.control("POST", u"/sandbox/notify/"_s + no, {{u"channel"_s, u"alipay"_s}});
            QVERIFY(spinUntil([&] { return sink.received.size() > before; }));
            const auto bad = m_channel->decodeNotification({}, sink.received.last().body);
            QVERIFY2(!bad.ok(), qPrintable(QString::fromUtf16(c.kind)));
            QCOMPARE(bad.error().code, QString::fromUtf16(c.code));
            QVERIFY(!bad.error().message.isEmpty());
        }
        // The sandbox's own notifications name our app and seller and are sent now.
        const alipay::Params genuine = alipay::parseForm(sink.received.at(0).body);
        QCOMPARE(genuine.value(u"app_id"_s), m_sandbox.profile(ChannelKind::Alipay).appId);
        QCOMPARE(genuine.value(u"seller_id"_s), m_sandbox.profile(ChannelKind::Alipay).merchantId);
        QVERIFY(!m_sandbox.profile(ChannelKind::Alipay).merchantId.isEmpty());

        // Freshness by our clock: a day later is a replay, minutes before is a wrong clock.
        const qint64 sentAt = alipay::parseBeijingTime(genuine.value(u"notify_time"_s));
        QVERIFY(sentAt > 0);
        const struct { qint64 offsetMs; bool ok; } clocks[] = {
            {23 * 3600'000LL, true}, {25 * 3600'000LL, false}, {-4 * 60'000LL, true}, {-10 * 60'000LL, false}};
        for (const auto &c : clocks) {
            ManualClock at(sentAt + c.offsetMs);
            auto timed = AlipayChannel::create(m_sandbox.profile(ChannelKind::Alipay), at);
            QVERIFY(timed);
            const auto r = timed.value()->decodeNotification({}, sink.received.at(0).body);
            QVERIFY2(r.ok() == c.ok, qPrintable(QString::number(c.offsetMs)));
            if (!c.ok)
                QCOMPARE(r.error().code, u"STALE_TIMESTAMP"_s);
        }
        // Another seller in the profile refuses it; a profile without seller id does not check it.
        ChannelProfile seller = m_sandbox.profile(ChannelKind::Alipay);
        seller.merchantId = u"2088000000000009"_s;
        auto sellerCh = AlipayChannel::create(seller, m_clock);
        QVERIFY(sellerCh);
        QCOMPARE(sellerCh.value()->decodeNotification({}, sink.received.at(0).body).error().code, u"MISMATCH"_s);
        seller.merchantId.clear();
        auto anySeller = AlipayChannel::create(seller, m_clock);
        QVERIFY(anySeller);
        QVERIFY(anySeller.value()->decodeNotification({}, sink.received.at(0).body).ok());
        // Another app's notification, even correctly signed, is refused.
        ChannelProfile other = m_sandbox.profile(ChannelKind::Alipay);
        other.appId = u"2021000000000000"_s;
        auto ch = AlipayChannel::create(other, m_clock);
        QVERIFY(ch);
        QCOMPARE(ch.value()->decodeNotification({}, sink.received.at(0).body).error().code, u"MISMATCH"_s);
        m_sandbox.control("POST", u"/sandbox/notify-url"_s, {{u"url"_s, QString()}});
    }

private:
    // ---- daily bills (issue 12) ----
    static QDate beijingToday() { return QDateTime::currentDateTimeUtc().toTimeZone(QTimeZone(8 * 3600)).date(); }
    ChannelReply<BillFile> bill(const QDate &date, BillKind kind = BillKind::Trade)
    {
        return wait<BillFile>([&](QObject *ctx, auto done) { m_channel->fetchBill(BillRequest{date, kind}, ctx, done); });
    }

private slots:
    void tradeBillZipWithGbkFiles()
    {
        const QString a = paidOrder(12345), b = paidOrder(200);
        QVERIFY(!a.isEmpty() && !b.isEmpty());
        const QString refundNo = newNo("RF");
        QVERIFY(refund(*m_channel, a, refundNo, 345, 12345).ok());
        auto got = bill(beijingToday());
        QVERIFY2(got.ok(), qPrintable(got.ok() ? QString() : got.error().describe()));
        QCOMPARE(got->status, BillFile::Status::Ready);
        QVERIFY(got->channel == ChannelKind::Alipay);
        QVERIFY(got->content.startsWith("PK"));
        QVERIFY(got->fileName.endsWith(u".csv.zip"_s));
        auto entries = bills::readZip(got->content);
        QVERIFY2(entries, entries ? "" : qPrintable(entries.error().message));
        QCOMPARE(entries->size(), 2);
        QVERIFY(entries->at(0).name.endsWith(u"_业务明细.csv"_s));
        QVERIFY(entries->at(1).name.endsWith(u"_业务明细(汇总).csv"_s));
        QVERIFY(entries->at(0).data.contains(QByteArray::fromHex("d6a7b8b6b1a6"))); // 支付宝 in GBK
        const QString detail = bills::fromGbk(entries->at(0).data);
        QVERIFY(detail.startsWith(u"#支付宝业务明细查询\r\n"_s));
        QVERIFY(detail.contains(a + u"\t,交易\t,"_s));
        QVERIFY(detail.contains(b + u"\t,交易\t,"_s));
        QVERIFY(detail.contains(a + u"\t,退款\t,"_s));
        QVERIFY(detail.contains(u",-3.45,-3.45,"_s));
        QVERIFY(detail.contains(refundNo + u"\t,"_s));
        QVERIFY(detail.contains(u"#交易合计："_s));
    }

    void noBillNotReadyAndDifferences()
    {
        auto quiet = bill(beijingToday().addDays(-10));
        QVERIFY2(quiet.ok(), qPrintable(quiet.ok() ? QString() : quiet.error().describe()));
        QCOMPARE(quiet->status, BillFile::Status::NoBill);
        QVERIFY(!paidOrder(100).isEmpty());
        m_sandbox.fault(u"alipay"_s, u"bill"_s, u"bill_not_ready"_s);
        auto creating = bill(beijingToday());
        QVERIFY(creating.ok());
        QCOMPARE(creating->status, BillFile::Status::NotReady); // isp.bill_not_exist for today: not made yet
        auto future = bill(beijingToday().addDays(1));
        QVERIFY(!future.ok());
        QCOMPARE(future.error().code, u"isv.invalid_arguments"_s);
        auto fund = bill(beijingToday(), BillKind::FundFlow);
        QVERIFY(!fund.ok());
        QCOMPARE(fund.error().kind, ChannelError::Kind::Config);

        const QString unknown = newNo("ALU");
        int status = 0;
        m_sandbox.control("POST", u"/sandbox/bill-discrepancy"_s,
                          {{u"channel"_s, u"alipay"_s}, {u"kind"_s, u"unknown-payment"_s}, {u"ref"_s, unknown}, {u"amount"_s, 5000}}, &status);
        QCOMPARE(status, 200);
        auto got = bill(beijingToday());
        QVERIFY(got.ok());
        auto entries = bills::readZip(got->content);
        QVERIFY(entries);
        QVERIFY(bills::fromGbk(entries->at(0).data).contains(unknown + u"\t,交易\t,unknown payment,"_s));
        // A forged answer to the bill query is refused before anything is downloaded.
        m_sandbox.fault(u"alipay"_s, u"bill"_s, u"bad_signature"_s);
        auto forged = bill(beijingToday());
        QVERIFY(!forged.ok());
        QCOMPARE(forged.error().kind, ChannelError::Kind::Signature);
    }
};

QTEST_GUILESS_MAIN(TestAlipayChannel)
#include "tst_alipay_channel.moc"
