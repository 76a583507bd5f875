#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QDate>
#include <QList>
#include <QString>

namespace paydesk::bills {

/// One line of a channel's daily bill, channel-neutral: what the simulator and paydesk-sandbox
/// know about a payment or a refund, from which BillWriter writes the file exactly as WeChat Pay
/// or Alipay would. The reconciliation parser (core/recon) reads those files back; a test can
/// write rows here and check that the parser finds the same rows again.
///
/// Amounts are minor units (fen), never negative here: the writer puts the sign where the
/// channel does (Alipay refunds and WeChat refund fees are written negative).
struct BillRow
{
    enum class Kind {
        Payment, ///< a payment that succeeded that day (WeChat 交易状态 SUCCESS, Alipay 业务类型 交易)
        Refund,  ///< a refund made that day (WeChat 交易状态 REFUND, Alipay 业务类型 退款)
    };
    Kind kind = Kind::Payment;
    QString outTradeNo;       ///< 商户订单号 (our attempt's out_trade_no)
    QString channelTxnId;     ///< 微信订单号 / 支付宝交易号 (the payment's id, also on its refunds)
    QString outRefundNo;      ///< refunds: 商户退款单号 / 退款批次号/请求号
    QString channelRefundId;  ///< refunds: 微信退款单号 (WeChat only)
    qint64 amountMinor = 0;   ///< payment: the amount paid (应结订单金额 / 商家实收); refund: the amount refunded
    qint64 orderTotalMinor = 0; ///< the payment's order amount (订单金额); 0 means "= amountMinor" for a payment
    qint64 feeMinor = 0;      ///< the channel's fee on this line (WeChat 手续费 / Alipay 服务费); on a refund, the fee given back
    QString currency = QStringLiteral("CNY");
    /// WeChat 退款状态 of a refund: SUCCESS (default), PROCESSING, ABNORMAL, CLOSED.
    QString refundStatus = QStringLiteral("SUCCESS");
    qint64 atMs = 0;          ///< payment: paid at (交易时间 / 完成时间); refund: when it was made
    qint64 createdAtMs = 0;   ///< the payment's creation (Alipay 创建时间); 0: atMs
    QString description;      ///< 商品名称
    QString payer;            ///< WeChat 用户标识 (openid) / Alipay 对方账户
    QString tradeType = QStringLiteral("NATIVE"); ///< WeChat 交易类型
};

/// Who the bill is for, and for which day.
struct BillMeta
{
    QDate date;               ///< the business day (Beijing time, UTC+8)
    QString merchantId;       ///< WeChat 商户号 / Alipay 账号 (the 2088... partner id)
    QString appId;            ///< WeChat 公众账号ID
    QString rate = QStringLiteral("0.60%"); ///< WeChat 费率, as the text the channel writes
    qint64 exportedAtMs = 0;  ///< Alipay #导出时间 (0: the end of `date`)
};

/// The fee a channel at 0.6 % charges on `amountMinor`, rounded half up to the fen (what the
/// simulator and the sandbox use for their bills).
qint64 standardFee(qint64 amountMinor);

/// "12.30", "-0.05": exact, from minor units.
QString yuan(qint64 minor);

/// WeChat Pay v3 trade bill (tradebill, bill_type=ALL), decompressed: UTF-8 CSV, lines ending in
/// "\r\n". The column header line (27 columns), one line per row with every field prefixed with
/// a backquote, then the summary header (总交易单数,应结订单总金额,退款总金额,充值券退款总金额,
/// 手续费总金额,订单总金额,申请退款总金额) and the summary line. Amounts are yuan with two
/// decimals; fees have five (`0.06000), as WeChat writes them; a refund's fee is negative.
QByteArray weChatTradeBill(const BillMeta &meta, const QList<BillRow> &rows);

/// WeChat Pay v3 fund-flow bill (fundflowbill, account_type=BASIC): one 收入 line per payment,
/// one 支出 line per successful refund and one 支出 line per fee (扣除交易手续费), with the
/// running balance of the day starting from 0; then the summary (资金流水总笔数,收入笔数,收入金额,
/// 支出笔数,支出金额).
QByteArray weChatFundFlowBill(const BillMeta &meta, const QList<BillRow> &rows);

/// The name WeChat's download would carry ("1900000109_2026-12-03_ALL.csv"; fund flow: _BASIC).
QString weChatBillFileName(const BillMeta &meta, bool fundFlow);

/// Alipay 业务明细 CSV of a trade bill, GBK bytes: the # header lines (#支付宝业务明细查询,
/// #账号：[pid], #起始日期：[...]   终止日期：[...], the list start line), the 25-column header,
/// one line per row (ids followed by a tab; a refund's amounts negative), the list end line and
/// the # footer lines (#交易合计：N笔，商家实收共X元，商家优惠共0.00元, #退款合计：M笔，商家实收退款共-Y元，
/// 商家优惠退款共0.00元, #导出时间：[...]). Lines end in "\r\n".
QByteArray alipayDetailCsv(const BillMeta &meta, const QList<BillRow> &rows);
/// Alipay 业务明细(汇总) CSV, GBK: one line per store (all rows are the empty store) and a 合计 line.
QByteArray alipaySummaryCsv(const BillMeta &meta, const QList<BillRow> &rows);

/// The names Alipay gives: "<pid>_<yyyyMMdd>_业务明细.csv", "<pid>_<yyyyMMdd>_业务明细(汇总).csv",
/// and the zip itself "<pid>_<yyyyMMdd>.csv.zip".
QString alipayDetailName(const BillMeta &meta);
QString alipaySummaryName(const BillMeta &meta);
QString alipayZipName(const BillMeta &meta);

/// The zip Alipay's bill_download_url serves: both CSV files above. Entry names are stored in
/// GBK without the zip UTF-8 flag, as Alipay's own archives are (readZip decodes them).
Result<QByteArray> alipayTradeBillZip(const BillMeta &meta, const QList<BillRow> &rows);

/// One file of a zip archive.
struct ZipEntry
{
    QString name;     ///< decoded: UTF-8 when the entry says so, else GBK
    QByteArray data;
};
/// Every file of a zip archive held in memory (refused whole if any entry cannot be read).
Result<QList<ZipEntry>> readZip(const QByteArray &zip);
/// A zip archive of `entries` (names written in GBK, like Alipay's).
Result<QByteArray> writeZip(const QList<ZipEntry> &entries);

/// gzip (RFC 1952) of `data`, as WeChat's tar_type=GZIP download is.
QByteArray gzip(const QByteArray &data);
/// Decompresses a gzip stream; refuses a truncated or corrupt one, and one that inflates to more
/// than `maxBytes` (a bill bomb).
Result<QByteArray> gunzip(const QByteArray &data, qint64 maxBytes = qint64(2) * 1024 * 1024 * 1024);

/// GBK <-> Unicode (through Qt's ICU-backed string converters).
QByteArray toGbk(const QString &text);
QString fromGbk(const QByteArray &bytes);

} // namespace paydesk::bills
