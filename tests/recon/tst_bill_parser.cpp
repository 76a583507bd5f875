// BillAmount and BillParser: bills exactly as WeChat Pay and Alipay write them, hand-made line by
// line here (the current and an older WeChat layout, a GBK Alipay zip), and refusals that name the
// line and column, with nothing half read.

#include "channels/BillWriter.h"
#include "recon/BillAmount.h"
#include "recon/BillParser.h"

#include <QDateTime>
#include <QTest>
#include <QTimeZone>

using namespace paydesk;
using namespace paydesk::recon;
using namespace Qt::StringLiterals;

namespace {

qint64 beijing(const char *text)
{
    QDateTime dt = QDateTime::fromString(QString::fromLatin1(text), u"yyyy-MM-dd HH:mm:ss"_s);
    dt.setTimeZone(QTimeZone(8 * 3600));
    return dt.toMSecsSinceEpoch();
}

// WeChat Pay v3 tradebill, current layout (27 columns), a payment, a second payment and a
// partial refund of the first, then the summary.
const char *const kWeChatCurrent =
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,"
    "费率,订单金额,申请退款金额,费率备注\r\n"
    "`2026-12-02 09:15:00,`wxd678efh567hg6787,`1900000109,`0,`,`4200000000202612020000000001,`PD20261202-0001-01,"
    "`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,`12.30,`0.00,`0,`0,`0.00,`0.00,`,`,`咖啡,`,`0.07000,`0.60%,"
    "`12.30,`0.00,`\r\n"
    "`2026-12-02 10:00:00,`wxd678efh567hg6787,`1900000109,`0,`,`4200000000202612020000000002,`PD20261202-0002-01,"
    "`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,`5.00,`0.00,`0,`0,`0.00,`0.00,`,`,`茶,`,`0.03000,`0.60%,"
    "`5.00,`0.00,`\r\n"
    "`2026-12-02 11:30:05,`wxd678efh567hg6787,`1900000109,`0,`,`4200000000202612020000000001,`PD20261202-0001-01,"
    "`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300000000000000000000000001,`RF20261202-0001,"
    "`2.30,`0.00,`ORIGINAL,`SUCCESS,`咖啡,`,`-0.01000,`0.60%,`0.00,`2.30,`\r\n"
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n"
    "`3,`17.30,`2.30,`0.00,`0.09000,`17.30,`2.30\r\n";

// An older layout (the v2 download's 24 columns): 总金额 instead of 应结订单金额/订单金额, the
// columns in another order, and the older summary names; refund rows repeat the payment's total.
const char *const kWeChatOlder =
    "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额,"
    "企业红包金额,微信退款单号,商户退款单号,退款金额,企业红包退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率\n"
    "`2014-11-10 16:33:45,`wx2421b1c4370ec43b,`10000100,`0,`1000,`1001690740201411100005734289,`1415640626,"
    "`085e9858e3ba5186aafcbaed1,`MICROPAY,`SUCCESS,`CFT,`CNY,`0.01,`0.0,`0,`0,`0,`0,`,`,`被扫支付测试,`订单额外描述,`0,`0.60%\n"
    "`2014-11-10 16:46:14,`wx2421b1c4370ec43b,`10000100,`0,`1000,`1002780740201411100005729794,`1415635270,"
    "`085e9858e90ca40c0b5aee463,`MICROPAY,`SUCCESS,`CFT,`CNY,`0.02,`0.0,`0,`0,`0,`0,`,`,`被扫支付测试,`订单额外描述,`0,`0.60%\n"
    "`2014-11-10 16:50:00,`wx2421b1c4370ec43b,`10000100,`0,`1000,`1002780740201411100005729794,`1415635270,"
    "`085e9858e90ca40c0b5aee463,`MICROPAY,`REFUND,`CFT,`CNY,`0.02,`0.0,`2008450740201411110000174436,`1415701182,`0.02,`0.0,"
    "`ORIGINAL,`SUCCESS,`被扫支付测试,`订单额外描述,`0,`0.60%\n"
    "总交易单,总交易额,总退款金额,总企业红包退款金额,手续费总金额\n"
    "`3,`0.05,`0.02,`0.0,`0\n";

QByteArray alipayDetail(const QString &body)
{
    return bills::toGbk(
        u"#支付宝业务明细查询\r\n#账号：[20880000000000000156]\r\n"
        "#起始日期：[2026年12月02日 00:00:00]   终止日期：[2026年12月03日 00:00:00]\r\n"
        "#-----------------------------------------业务明细列表----------------------------------------\r\n"
        "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,"
        "商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,"
        "卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\r\n"_s
        + body);
}

// Two payments and a refund of the first, ids padded with a tab as Alipay writes them.
const QString kAlipayBody =
    u"2026120222001400000000000001\t,PD20261202-0003-01\t,交易\t,咖啡,2026-12-02 09:14:50,2026-12-02 09:15:00,\t,\t,\t,\t,"
    "buyer@example.com\t,12.30,12.30,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,-0.07,0.00,\r\n"
    "2026120222001400000000000002\t,PD20261202-0004-01\t,交易\t,茶,2026-12-02 09:59:00,2026-12-02 10:00:00,\t,\t,\t,\t,"
    "buyer@example.com\t,5.00,5.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,-0.03,0.00,\r\n"
    "2026120222001400000000000001\t,PD20261202-0003-01\t,退款\t,咖啡,2026-12-02 09:14:50,2026-12-02 11:30:05,\t,\t,\t,\t,"
    "buyer@example.com\t,-2.30,-2.30,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,RF20261202-0002\t,0.01,0.00,\r\n"
    "#-----------------------------------------业务明细列表结束------------------------------------\r\n"_s;

QString alipayFooter(const char *tradeSum, const char *refundSum)
{
    return u"#交易合计：2笔，商家实收共%1元，商家优惠共0.00元\r\n#退款合计：1笔，商家实收退款共%2元，商家优惠退款共0.00元\r\n"
           "#导出时间：[2026年12月03日 05:00:00]\r\n"_s.arg(QString::fromLatin1(tradeSum), QString::fromLatin1(refundSum));
}

QByteArray alipayZip(const QByteArray &detail)
{
    auto zip = bills::writeZip({bills::ZipEntry{u"20880000000000000156_20261202_业务明细.csv"_s, detail},
                                bills::ZipEntry{u"20880000000000000156_20261202_业务明细(汇总).csv"_s, bills::toGbk(u"#支付宝业务汇总查询\r\n"_s)}});
    return zip ? zip.value() : QByteArray();
}

} // namespace

class TestBillParser : public QObject
{
    Q_OBJECT
private slots:
    // fuzz_bill_parser's first crash, replayed: a WeChat bill without the refund amount column
    // and a line the parser refuses by naming that column read header.at(-1) (ASan: SEGV in
    // LineReader::name). It must be refused with a message, not crash.
    void weChatBillWithoutRefundColumnIsRefusedNotCrashed()
    {
        const QByteArray bill = QByteArray::fromBase64(
            "5Lqk5piT5pe26Ze0LOWFrOS8l+i0puWPt0lELOWVhuaIt+WPtyznibnnuqbllYbmiLflj7cs6K6+5aSH5Y+3LOW+ruS/oeiu"
            "ouWNleWPtyzllYbmiLforqLljZXlj7cs55So5oi35qCH6K+GLOS6pOaYk+exu+WeiyzkuqTmmJPnirbmgIEs5LuY5qy+6ZO2"
            "6KGMLOi0p+W4geenjeexuyzlupTnu5PorqLljZXph5Hpop0s5Luj6YeR5Yi46YeR6aKdLOW+ruS/oemAgOasvuWNleWPtyzl"
            "lYbmiLfpgIDmrL7ljZXlj7cs6YCA5qy+6ZGR6aKdLOWFheWAvOWIuOmAgOasvumHkeminSzpgIDmrL7nsbvlnoss6YCA5qy+"
            "54q25oCBLOWVhuWTgeWQjeensCzllYbmiLfmlbDmja7ljIUs5omL57ut6LS5LOi0ueeOhyzorqLljZXph5Hpop0s55Sz6K+3"
            "6YCA5qy+6YeR6aKdLOi0ueeOh+Wkh+azqA0KYDIwMjYtMTItMDIgMDk6MTU6MDAsYHd4ZDY3OGVmaDU2N2hnNjc4NyxgMTkw"
            "MDAwMDEwOSxgMCxgLGA0MjAwMDAwMDAwMjAyNjEyMDIwMDAwMDAwMDAxLGBQRDIwMjYxMjAyLTAwMDEtMDEsYCxgTkFUSVZF"
            "LGBTVUNDRVNTLGBPVEhFUlMsYENOWSxgMTIuMzAsYDAuMDAsYDAsYDAsYDAuMDAsYDAuMDAsYCxgLGDlkpbllaHvvIwg5aSn"
            "5p2vLGAsYDAuMDcwMDAsYDAuNjAlLGAxMi4zMCxgMC4wMCxgDQpgMjAyNi0xMi0wMiAxMDoxNTowMCxgd3hkNjc4ZWZoNTY3"
            "aGc2Nzg3LGAxOTAwMDAwMTA5LGAwLGAsYDQyMDAwMDAwMDAyMDI2MTIwMjAwMDAwMDAwMDEsYFBEMjAyNjEyMDItMDAwMS0w"
            "MSxgLGBOQVRJVkUsYFJFRlVORCxgT1RIRVJTLGBDTlksYDAuMDAsYDAuMDAsYDUwMzAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw"
            "MDAxLGBSRjIwMjYxMjAyLTAwMDEsYDIuMzAsYDAuMDAsYE9SSUdJTkFMLGBTVUNDRVNTLGDlkpbllaHvvIwg5aSn5p2vLGAs"
            "YC0wLjAxMDAwLGAwLjYwJSxgMC4wMCxgMi4zMCxgDQrmgLvkuqTmmJPljZXmlbAs5bqU57uT6K6i5Y2V5oC76YeR6aKdLOmA"
            "gOasvuaAu+mHkeminSzlhYXlgLzliLjpgIDmrL7mgLvph5Hpop0s5omL57ut6LS55oC76YeR6aKdLOiuouWNleaAu+mHkemi"
            "nSznlLPor7fpgIDmrL7mgLvph5Hpop0NCmAyLGAxMi4zMCxgMjEzMCxgMC4wMCxgMC4wNjAwMCwwYDIzLC4xYDIuMzANCg==");
        auto parsed = BillParser::parseWeChatTrade(bill);
        QVERIFY(!parsed);
        QCOMPARE(parsed.error().code, QStringLiteral("bill.malformed"));
        QVERIFY(!parsed.error().message.isEmpty());
    }

    void amounts_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<qint64>("minor");
        QTest::newRow("plain") << u"12.30"_s << true << qint64(1230);
        QTest::newRow("backquote") << u"`0.01"_s << true << qint64(1);
        QTest::newRow("negative") << u"-5.00"_s << true << qint64(-500);
        QTest::newRow("one decimal") << u"0.0"_s << true << qint64(0);
        QTest::newRow("whole") << u"7"_s << true << qint64(700);
        QTest::newRow("fee five places") << u"`-0.06000"_s << true << qint64(-6);
        QTest::newRow("large exact") << u"99999999.99"_s << true << qint64(9999999999);
        QTest::newRow("past a double's digits") << u"123456789012345.67"_s << true << qint64(12345678901234567);
        QTest::newRow("fraction of a fen") << u"0.005"_s << false << qint64(0);
        QTest::newRow("empty") << u"`"_s << false << qint64(0);
        QTest::newRow("exponent") << u"1e3"_s << false << qint64(0);
        QTest::newRow("grouping") << u"1,000.00"_s << false << qint64(0);
        QTest::newRow("plus") << u"+1.00"_s << false << qint64(0);
        QTest::newRow("dot only") << u"1."_s << false << qint64(0);
        QTest::newRow("too long") << u"1234567890123456"_s << false << qint64(0);
    }
    void amounts()
    {
        QFETCH(QString, text);
        QFETCH(bool, ok);
        QFETCH(qint64, minor);
        const auto r = BillAmount::toMinor(text);
        QCOMPARE(r.ok(), ok);
        if (ok)
            QCOMPARE(r.value(), minor);
        else
            QCOMPARE(r.error().code, u"bill.bad_amount"_s);
    }

    void weChatCurrentLayout()
    {
        const auto bill = BillParser::parseWeChatTrade(QByteArray(kWeChatCurrent));
        QVERIFY2(bill.ok(), qPrintable(bill.ok() ? QString() : bill.error().message));
        QCOMPARE(bill->entries.size(), 3);
        QCOMPARE(bill->payments, 2);
        QCOMPARE(bill->refunds, 1);
        QCOMPARE(bill->paidMinor, qint64(1730));
        QCOMPARE(bill->refundedMinor, qint64(230));
        QCOMPARE(bill->feeMinor, qint64(9));
        const BillEntry &pay = bill->entries.at(0);
        QVERIFY(pay.kind == BillEntry::Kind::Payment);
        QCOMPARE(pay.line, 2);
        QCOMPARE(pay.outTradeNo, u"PD20261202-0001-01"_s);
        QCOMPARE(pay.channelTxnId, u"4200000000202612020000000001"_s);
        QCOMPARE(pay.amountMinor, qint64(1230));
        QCOMPARE(pay.orderTotalMinor, qint64(1230));
        QCOMPARE(pay.feeMinor, qint64(7));
        QCOMPARE(pay.currency, u"CNY"_s);
        QCOMPARE(pay.atMs, beijing("2026-12-02 09:15:00"));
        const BillEntry &refund = bill->entries.at(2);
        QVERIFY(refund.kind == BillEntry::Kind::Refund);
        QCOMPARE(refund.outRefundNo, u"RF20261202-0001"_s);
        QCOMPARE(refund.channelRefundId, u"50300000000000000000000000001"_s);
        QCOMPARE(refund.refundStatus, u"SUCCESS"_s);
        QCOMPARE(refund.amountMinor, qint64(230));
        QCOMPARE(refund.feeMinor, qint64(-1));
    }

    void weChatTimesReadExactly_data()
    {
        QTest::addColumn<QString>("time");
        QTest::newRow("midnight") << u"2026-01-01 00:00:00"_s;
        QTest::newRow("leap day, last second") << u"2024-02-29 23:59:59"_s;
        QTest::newRow("before 1970") << u"1969-12-31 23:59:59"_s;
        QTest::newRow("far ahead") << u"2099-12-31 12:34:56"_s;
    }
    void weChatTimesReadExactly()
    {
        QFETCH(QString, time);
        const QByteArray w = QByteArray(kWeChatCurrent).replace("`2026-12-02 10:00:00", QByteArray("`" + time.toLatin1()));
        auto bill = BillParser::parse(ChannelKind::WeChat, w);
        QVERIFY2(bill.ok(), qPrintable(bill.ok() ? QString() : bill.error().message));
        QCOMPARE(bill->entries.at(1).atMs, beijing(time.toLatin1().constData()));
    }

    void weChatWithBomAndLfOnly()
    {
        // A UTF-8 byte order mark and "\n" line ends read as the plain file does.
        const QByteArray plainFile(kWeChatCurrent);
        auto plain = BillParser::parse(ChannelKind::WeChat, plainFile);
        auto marked = BillParser::parse(ChannelKind::WeChat, QByteArray("\xEF\xBB\xBF") + QByteArray(plainFile).replace("\r\n", "\n"));
        QVERIFY(plain.ok());
        QVERIFY2(marked.ok(), qPrintable(marked.ok() ? QString() : marked.error().message));
        QCOMPARE(marked->entries.size(), plain->entries.size());
        QCOMPARE(marked->entries.first().outTradeNo, plain->entries.first().outTradeNo);
        QCOMPARE(marked->paidMinor, plain->paidMinor);
    }

    void weChatOlderLayout()
    {
        const auto bill = BillParser::parseWeChatTrade(QByteArray(kWeChatOlder));
        QVERIFY2(bill.ok(), qPrintable(bill.ok() ? QString() : bill.error().message));
        QCOMPARE(bill->payments, 2);
        QCOMPARE(bill->refunds, 1);
        QCOMPARE(bill->entries.at(1).outTradeNo, u"1415635270"_s);
        QCOMPARE(bill->entries.at(1).amountMinor, qint64(2));
        QCOMPARE(bill->entries.at(1).orderTotalMinor, qint64(2));
        QCOMPARE(bill->entries.at(2).outRefundNo, u"1415701182"_s);
        QCOMPARE(bill->entries.at(2).amountMinor, qint64(2));
    }

    void weChatWrittenByBillWriterReadsBack()
    {
        bills::BillMeta meta;
        meta.date = QDate(2026, 12, 2);
        meta.merchantId = u"1900000109"_s;
        meta.appId = u"wx1"_s;
        QList<bills::BillRow> rows;
        for (int i = 0; i < 50; ++i) {
            bills::BillRow r;
            r.outTradeNo = u"PD-%1"_s.arg(i);
            r.channelTxnId = u"42%1"_s.arg(i);
            r.amountMinor = 101 + i * 37;
            r.feeMinor = bills::standardFee(r.amountMinor);
            r.atMs = beijing("2026-12-02 08:00:00") + i * 60'000;
            rows << r;
        }
        const auto bill = BillParser::parseWeChatTrade(bills::weChatTradeBill(meta, rows));
        QVERIFY2(bill.ok(), qPrintable(bill.ok() ? QString() : bill.error().message));
        QCOMPARE(bill->entries.size(), 50);
        for (int i = 0; i < 50; ++i) {
            QCOMPARE(bill->entries.at(i).outTradeNo, rows.at(i).outTradeNo);
            QCOMPARE(bill->entries.at(i).amountMinor, rows.at(i).amountMinor);
            QCOMPARE(bill->entries.at(i).feeMinor, rows.at(i).feeMinor);
            QCOMPARE(bill->entries.at(i).atMs, rows.at(i).atMs);
        }
    }

    void alipayGbkZip()
    {
        const QByteArray zip = alipayZip(alipayDetail(kAlipayBody + alipayFooter("17.30", "-2.30")));
        QVERIFY(!zip.isEmpty());
        const auto bill = BillParser::parseAlipayTradeZip(zip);
        QVERIFY2(bill.ok(), qPrintable(bill.ok() ? QString() : bill.error().message));
        QVERIFY(bill->channel == ChannelKind::Alipay);
        QCOMPARE(bill->payments, 2);
        QCOMPARE(bill->refunds, 1);
        const BillEntry &pay = bill->entries.at(0);
        QCOMPARE(pay.outTradeNo, u"PD20261202-0003-01"_s); // the tab Alipay pads ids with is gone
        QCOMPARE(pay.channelTxnId, u"2026120222001400000000000001"_s);
        QCOMPARE(pay.amountMinor, qint64(1230));
        QCOMPARE(pay.feeMinor, qint64(7));
        QCOMPARE(pay.line, 6);
        QCOMPARE(pay.atMs, beijing("2026-12-02 09:15:00"));
        const BillEntry &refund = bill->entries.at(2);
        QVERIFY(refund.kind == BillEntry::Kind::Refund);
        QCOMPARE(refund.outRefundNo, u"RF20261202-0002"_s);
        QCOMPARE(refund.amountMinor, qint64(230));
        QCOMPARE(refund.feeMinor, qint64(-1));
    }

    void alipayFromBillWriterReadsBack()
    {
        bills::BillMeta meta;
        meta.date = QDate(2026, 12, 2);
        meta.merchantId = u"2088000000000001"_s;
        bills::BillRow pay;
        pay.outTradeNo = u"PD-A"_s;
        pay.channelTxnId = u"2026A"_s;
        pay.amountMinor = 4321;
        pay.feeMinor = 26;
        pay.atMs = beijing("2026-12-02 12:00:00");
        bills::BillRow refund = pay;
        refund.kind = bills::BillRow::Kind::Refund;
        refund.outRefundNo = u"RF-A"_s;
        refund.amountMinor = 321;
        refund.feeMinor = 2;
        auto zip = bills::alipayTradeBillZip(meta, {pay, refund});
        QVERIFY(zip.ok());
        const auto bill = BillParser::parse(ChannelKind::Alipay, zip.value());
        QVERIFY2(bill.ok(), qPrintable(bill.ok() ? QString() : bill.error().message));
        QCOMPARE(bill->entries.size(), 2);
        QCOMPARE(bill->entries.at(0).amountMinor, qint64(4321));
        QCOMPARE(bill->entries.at(0).feeMinor, qint64(26));
        QCOMPARE(bill->entries.at(1).amountMinor, qint64(321));
        QCOMPARE(bill->entries.at(1).outRefundNo, u"RF-A"_s);
    }

    void refused_data()
    {
        QTest::addColumn<int>("channel");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("named"); ///< what the message must name
        QByteArray w(kWeChatCurrent);
        QTest::newRow("wechat summary does not add up")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`3,`17.30", "`3,`17.31") << u"bill.totals_mismatch"_s << u"17.31"_s;
        QTest::newRow("wechat count does not add up")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`3,`17.30", "`4,`17.30") << u"bill.totals_mismatch"_s << u"总交易单数"_s;
        QTest::newRow("wechat fee total does not add up")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`0.09000", "`0.10000") << u"bill.totals_mismatch"_s << u"手续费总金额"_s;
        QTest::newRow("wechat bad amount names line and column")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`5.00,`0.00,`0,", "`5.0O,`0.00,`0,") << u"bill.malformed"_s
            << u"line 3, column 应结订单金额"_s;
        QTest::newRow("wechat missing field")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`茶,`,", "`茶,") << u"bill.malformed"_s << u"line 3"_s;
        QTest::newRow("wechat unknown state")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`NATIVE,`SUCCESS,`OTHERS,`CNY,`5.00", "`NATIVE,`NOTPAY,`OTHERS,`CNY,`5.00")
            << u"bill.malformed"_s << u"column 交易状态"_s;
        QTest::newRow("wechat bad time")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`2026-12-02 10:00:00", "`2026-12-32 10:00:00") << u"bill.malformed"_s
            << u"line 3, column 交易时间"_s;
        // The time is read by hand (not through local time): the same strictness as the format.
        QTest::newRow("wechat time on a day that does not exist")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`2026-12-02 10:00:00", "`2026-02-30 10:00:00") << u"bill.malformed"_s
            << u"line 3, column 交易时间"_s;
        QTest::newRow("wechat hour 24")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`2026-12-02 10:00:00", "`2026-12-02 24:00:00") << u"bill.malformed"_s
            << u"line 3, column 交易时间"_s;
        QTest::newRow("wechat time with one-digit hour")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`2026-12-02 10:00:00", "`2026-12-02 9:00:00") << u"bill.malformed"_s
            << u"line 3, column 交易时间"_s;
        QTest::newRow("wechat time with a T")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`2026-12-02 10:00:00", "`2026-12-02T10:00:00") << u"bill.malformed"_s
            << u"line 3, column 交易时间"_s;
        // Read line by line from the bytes: a byte that is not UTF-8 names its line.
        QTest::newRow("wechat not UTF-8 names its line")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`2026-12-02 10:00:00", "`2026-12-02 10:00:0\xff") << u"bill.malformed"_s
            << u"line 3: the file is not UTF-8"_s;
        QTest::newRow("wechat cut short") << int(ChannelKind::WeChat) << w.left(w.indexOf("总交易单数")) << u"bill.malformed"_s
                                          << u"总交易单数"_s;
        QTest::newRow("wechat no out_trade_no column")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("商户订单号", "商户单号") << u"bill.malformed"_s << u"商户订单号"_s;
        QTest::newRow("wechat fraction of a fen")
            << int(ChannelKind::WeChat) << QByteArray(w).replace("`0.07000", "`0.07500") << u"bill.malformed"_s << u"column 手续费"_s;
        QTest::newRow("alipay footer does not add up")
            << int(ChannelKind::Alipay) << alipayZip(alipayDetail(kAlipayBody + alipayFooter("17.31", "-2.30")))
            << u"bill.totals_mismatch"_s << u"商家实收共"_s;
        QTest::newRow("alipay refund footer does not add up")
            << int(ChannelKind::Alipay) << alipayZip(alipayDetail(kAlipayBody + alipayFooter("17.30", "-2.00")))
            << u"bill.totals_mismatch"_s << u"-2.00"_s;
        QTest::newRow("alipay footer missing")
            << int(ChannelKind::Alipay) << alipayZip(alipayDetail(kAlipayBody)) << u"bill.malformed"_s << u"#交易合计"_s;
        QString badAmount = kAlipayBody;
        badAmount.replace(u",5.00,5.00,"_s, u",5.00,5.x0,"_s);
        QTest::newRow("alipay bad amount names line and column")
            << int(ChannelKind::Alipay) << alipayZip(alipayDetail(badAmount + alipayFooter("17.30", "-2.30"))) << u"bill.malformed"_s
            << u"line 7, column 商家实收（元）"_s;
        QString badType = kAlipayBody;
        badType.replace(u",退款\t,"_s, u",冻结\t,"_s);
        QTest::newRow("alipay unknown business type")
            << int(ChannelKind::Alipay) << alipayZip(alipayDetail(badType + alipayFooter("17.30", "-2.30"))) << u"bill.malformed"_s
            << u"line 8, column 业务类型"_s;
        QTest::newRow("alipay zip without the detail file")
            << int(ChannelKind::Alipay)
            << bills::writeZip({bills::ZipEntry{u"x_业务明细(汇总).csv"_s, QByteArray("#")}}).value() << u"bill.malformed"_s
            << u"_业务明细.csv"_s;
        QTest::newRow("alipay not a zip") << int(ChannelKind::Alipay) << QByteArray("PK\x03\x04garbage") << u"bill.malformed"_s << QString();
    }
    void refused()
    {
        QFETCH(int, channel);
        QFETCH(QByteArray, content);
        QFETCH(QString, code);
        QFETCH(QString, named);
        const auto bill = BillParser::parse(ChannelKind(channel), content);
        QVERIFY(!bill.ok());
        QCOMPARE(bill.error().code, code);
        QVERIFY2(bill.error().message.contains(named), qPrintable(bill.error().message));
    }
};

QTEST_GUILESS_MAIN(TestBillParser)
#include "tst_bill_parser.moc"
