// BillWriter: the daily bill files as WeChat Pay and Alipay write them, line by line, the Alipay
// zip (GBK inside and in its entry names) and the gzip WeChat's download uses.

#include "channels/BillWriter.h"

#include <QDateTime>
#include <QTest>
#include <QTimeZone>

using namespace paydesk;
using namespace paydesk::bills;
using namespace Qt::StringLiterals;

namespace {

qint64 at(const char *text)
{
    QDateTime dt = QDateTime::fromString(QString::fromLatin1(text), u"yyyy-MM-dd HH:mm:ss"_s);
    dt.setTimeZone(QTimeZone(8 * 3600));
    return dt.toMSecsSinceEpoch();
}

BillMeta meta()
{
    BillMeta m;
    m.date = QDate(2026, 12, 2);
    m.merchantId = u"1900000109"_s;
    m.appId = u"wxd678efh567hg6787"_s;
    return m;
}

QList<BillRow> rows()
{
    BillRow pay;
    pay.outTradeNo = u"PD20261202-0001-01"_s;
    pay.channelTxnId = u"4200000000202612020000000001"_s;
    pay.amountMinor = 1230;
    pay.feeMinor = standardFee(1230); // 7.38 fen -> 7
    pay.atMs = at("2026-12-02 09:15:00");
    pay.description = u"咖啡, 大杯"_s; // a comma of the title must not split the field
    pay.payer = u"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"_s;
    BillRow pay2 = pay;
    pay2.outTradeNo = u"PD20261202-0002-01"_s;
    pay2.channelTxnId = u"4200000000202612020000000002"_s;
    pay2.amountMinor = 500;
    pay2.feeMinor = 3;
    pay2.atMs = at("2026-12-02 10:00:00");
    pay2.description = u"茶"_s;
    BillRow refund;
    refund.kind = BillRow::Kind::Refund;
    refund.outTradeNo = pay.outTradeNo;
    refund.channelTxnId = pay.channelTxnId;
    refund.outRefundNo = u"RF20261202-0001"_s;
    refund.channelRefundId = u"50300000000000000000000000001"_s;
    refund.amountMinor = 230;
    refund.orderTotalMinor = 1230;
    refund.feeMinor = 1;
    refund.atMs = at("2026-12-02 11:30:05");
    refund.description = u"咖啡"_s;
    return {pay, pay2, refund};
}

QStringList lines(const QString &text)
{
    QStringList out = text.split(u"\r\n"_s);
    if (!out.isEmpty() && out.last().isEmpty())
        out.removeLast();
    return out;
}

} // namespace

class TestBillWriter : public QObject
{
    Q_OBJECT
private slots:
    void yuanIsExact_data()
    {
        QTest::addColumn<qint64>("minor");
        QTest::addColumn<QString>("text");
        QTest::newRow("zero") << qint64(0) << u"0.00"_s;
        QTest::newRow("fen") << qint64(5) << u"0.05"_s;
        QTest::newRow("yuan") << qint64(1230) << u"12.30"_s;
        QTest::newRow("negative") << qint64(-5) << u"-0.05"_s;
        QTest::newRow("max") << qint64(10'000'000'000) << u"100000000.00"_s;
    }
    void yuanIsExact()
    {
        QFETCH(qint64, minor);
        QFETCH(QString, text);
        QCOMPARE(yuan(minor), text);
    }

    void standardFeeRoundsHalfUp()
    {
        QCOMPARE(standardFee(1230), 7);   // 7.38
        QCOMPARE(standardFee(250), 2);    // 1.5 -> 2
        QCOMPARE(standardFee(83), 0);     // 0.498
        QCOMPARE(standardFee(0), 0);
    }

    void weChatTradeBillLines()
    {
        const QStringList l = lines(QString::fromUtf8(weChatTradeBill(meta(), rows())));
        QCOMPARE(l.size(), 6);
        QCOMPARE(l.at(0), u"交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
                          "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
                          "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"_s);
        QCOMPARE(l.at(1), u"`2026-12-02 09:15:00,`wxd678efh567hg6787,`1900000109,`0,`,`4200000000202612020000000001,"
                          "`PD20261202-0001-01,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,`12.30,`0.00,`0,`0,"
                          "`0.00,`0.00,`,`,`咖啡， 大杯,`,`0.07000,`0.60%,`12.30,`0.00,`"_s);
        QCOMPARE(l.at(3), u"`2026-12-02 11:30:05,`wxd678efh567hg6787,`1900000109,`0,`,`4200000000202612020000000001,"
                          "`PD20261202-0001-01,`,`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300000000000000000000000001,"
                          "`RF20261202-0001,`2.30,`0.00,`ORIGINAL,`SUCCESS,`咖啡,`,`-0.01000,`0.60%,`0.00,`2.30,`"_s);
        QCOMPARE(l.at(1).split(u',').size(), 27);
        QCOMPARE(l.at(3).split(u',').size(), 27);
        QCOMPARE(l.at(4), u"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"_s);
        // 12.30 + 5.00 settled, 2.30 refunded, fees 0.07 + 0.03 - 0.01.
        QCOMPARE(l.at(5), u"`3,`17.30,`2.30,`0.00,`0.09000,`17.30,`2.30"_s);
        QCOMPARE(weChatBillFileName(meta(), false), u"1900000109_2026-12-02_ALL.csv"_s);
    }

    void weChatEmptyDayHasOnlyHeadersAndZeroSummary()
    {
        const QStringList l = lines(QString::fromUtf8(weChatTradeBill(meta(), {})));
        QCOMPARE(l.size(), 3);
        QCOMPARE(l.at(2), u"`0,`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00"_s);
    }

    void weChatFundFlowBill()
    {
        const QStringList l = lines(QString::fromUtf8(bills::weChatFundFlowBill(meta(), rows())));
        QCOMPARE(l.at(0), u"记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,"
                          "资金变更提交申请人,备注,业务凭证号"_s);
        // 2 payments + 2 fees + 1 refund + 1 fee given back = 6 lines, then the summary.
        QCOMPARE(l.size(), 1 + 6 + 2);
        QVERIFY(l.at(1).contains(u"`交易,`交易,`收入,`12.30,`12.30,"_s));
        QVERIFY(l.at(2).contains(u"`扣除交易手续费,`扣除交易手续费,`支出,`0.07,`12.23,"_s));
        QCOMPARE(l.at(7), u"资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"_s);
        // in: 12.30 + 5.00 + 0.01; out: 0.07 + 0.03 + 2.30
        QCOMPARE(l.at(8), u"`6,`3,`17.31,`3,`2.40"_s);
    }

    void alipayDetailIsGbkWithHashLines()
    {
        BillMeta m = meta();
        m.merchantId = u"2088102177846880"_s;
        m.exportedAtMs = at("2026-12-03 05:46:49");
        const QByteArray bytes = alipayDetailCsv(m, rows());
        // GBK, not UTF-8: "支付宝" is D6A7 B8B6 B1A6.
        QVERIFY(bytes.contains(QByteArray::fromHex("d6a7b8b6b1a6")));
        QVERIFY(!bytes.contains(u"支付宝"_s.toUtf8()));
        const QStringList l = lines(fromGbk(bytes));
        QCOMPARE(l.size(), 4 + 1 + 3 + 4);
        QCOMPARE(l.at(0), u"#支付宝业务明细查询"_s);
        QCOMPARE(l.at(1), u"#账号：[2088102177846880]"_s);
        QCOMPARE(l.at(2), u"#起始日期：[2026年12月02日 00:00:00]   终止日期：[2026年12月03日 00:00:00]"_s);
        QCOMPARE(l.at(3), u"#-----------------------------------------业务明细列表----------------------------------------"_s);
        QCOMPARE(l.at(4), u"支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
                          "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
                          "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"_s);
        QCOMPARE(l.at(5), u"4200000000202612020000000001\t,PD20261202-0001-01\t,交易\t,咖啡， 大杯,2026-12-02 09:15:00,"
                          "2026-12-02 09:15:00,\t,\t,\t,\t,oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\t,12.30,12.30,0.00,0.00,0.00,0.00,0.00,,"
                          "0.00\t,0.00,\t,-0.07,0.00,"_s);
        QCOMPARE(l.at(7), u"4200000000202612020000000001\t,PD20261202-0001-01\t,退款\t,咖啡,2026-12-02 11:30:05,"
                          "2026-12-02 11:30:05,\t,\t,\t,\t,\t,-2.30,-2.30,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,RF20261202-0001\t,"
                          "0.01,0.00,"_s);
        QCOMPARE(l.at(5).split(u',').size(), 25);
        QCOMPARE(l.at(8), u"#-----------------------------------------业务明细列表结束------------------------------------"_s);
        QCOMPARE(l.at(9), u"#交易合计：2笔，商家实收共17.30元，商家优惠共0.00元"_s);
        QCOMPARE(l.at(10), u"#退款合计：1笔，商家实收退款共-2.30元，商家优惠退款共0.00元"_s);
        QCOMPARE(l.at(11), u"#导出时间：[2026年12月03日 05:46:49]"_s);
    }

    void alipayZipOpensWithBothFiles()
    {
        BillMeta m = meta();
        m.merchantId = u"2088102177846880"_s;
        auto zip = alipayTradeBillZip(m, rows());
        QVERIFY2(zip, zip ? "" : qPrintable(zip.error().message));
        QVERIFY(zip->startsWith("PK\x03\x04"));
        // The entry names are GBK in the archive, as Alipay's are.
        QVERIFY(zip->contains(toGbk(u"_业务明细.csv"_s)));
        auto entries = readZip(zip.value());
        QVERIFY2(entries, entries ? "" : qPrintable(entries.error().message));
        QCOMPARE(entries->size(), 2);
        QCOMPARE(entries->at(0).name, u"2088102177846880_20261202_业务明细.csv"_s);
        QCOMPARE(entries->at(1).name, u"2088102177846880_20261202_业务明细(汇总).csv"_s);
        QCOMPARE(entries->at(0).data, alipayDetailCsv(m, rows()));
        const QStringList summary = lines(fromGbk(entries->at(1).data));
        QCOMPARE(summary.at(0), u"#支付宝业务汇总查询"_s);
        QVERIFY(summary.contains(u"合计,,2,1,15.00,15.00,0.00,0.00,0.00,-0.09,0.00,14.91"_s));
        QCOMPARE(alipayZipName(m), u"2088102177846880_20261202.csv.zip"_s);
    }

    void readZipRefusesGarbage()
    {
        QVERIFY(!readZip(QByteArrayLiteral("not a zip at all")));
        auto zip = alipayTradeBillZip(meta(), rows());
        QVERIFY(zip);
        QVERIFY(!readZip(zip->left(zip->size() / 2)));
    }

    // A zip whose end record is fine but whose central directory cannot be walked used to read
    // as a bill archive with no files at all (found by fuzz_bill_archive): a corrupt download
    // must be refused, never taken for an empty day.
    void readZipRefusesACorruptDirectory()
    {
        auto zip = alipayTradeBillZip(meta(), rows());
        QVERIFY(zip);
        QCOMPARE(readZip(zip.value())->size(), 2);
        const qsizetype central = zip->indexOf(QByteArrayLiteral("PK\x01\x02"));
        QVERIFY(central > 0);
        QByteArray corrupt = zip.value();
        corrupt[central + 3] = '\x03'; // the first directory entry's signature
        auto read = readZip(corrupt);
        QVERIFY2(!read, read ? qPrintable(u"read %1 entries"_s.arg(read->size())) : "");
        QCOMPARE(read.error().code, u"zip.bad"_s);
        // The second entry's directory record broken: not one entry short, refused whole.
        QByteArray second = zip.value();
        second[second.indexOf(QByteArrayLiteral("PK\x01\x02"), central + 4) + 3] = '\x03';
        QVERIFY(!readZip(second));
        // The end record says no entries while the directory holds two: corrupt, not empty.
        QByteArray none = zip.value();
        const qsizetype end = none.lastIndexOf(QByteArrayLiteral("PK\x05\x06"));
        QVERIFY(end > 0);
        for (int i = 8; i < 12; ++i) // entries on this disk, entries in total (2 bytes each)
            none[end + i] = '\0';
        QVERIFY(!readZip(none));
    }

    void gzipRoundTripAndRefusals()
    {
        const QByteArray text = weChatTradeBill(meta(), rows());
        const QByteArray gz = gzip(text);
        QVERIFY(gz.startsWith("\x1f\x8b"));
        auto back = gunzip(gz);
        QVERIFY2(back, back ? "" : qPrintable(back.error().message));
        QCOMPARE(back.value(), text);
        QVERIFY(!gunzip(gz.left(gz.size() - 6)));           // truncated
        QVERIFY(!gunzip(QByteArrayLiteral("plain text")));   // not gzip
        QVERIFY(!gunzip(gz, 10));                            // inflates past the cap
        QByteArray corrupt = gz;
        corrupt[corrupt.size() - 5] = char(corrupt.at(corrupt.size() - 5) ^ 0x55); // the CRC no longer matches
        QVERIFY(!gunzip(corrupt));
    }
};

QTEST_GUILESS_MAIN(TestBillWriter)
#include "tst_bill_writer.moc"
