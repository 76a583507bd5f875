#pragma once

#include "domain/Domain.h"
#include "util/Result.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QList>
#include <QString>

namespace paydesk::recon {

/// One line of a channel's daily trade bill, channel-neutral.
struct BillEntry
{
    enum class Kind { Payment, Refund };
    int line = 0;              ///< 1-based line in the file it came from
    Kind kind = Kind::Payment;
    QString outTradeNo;        ///< 商户订单号 (our attempt's out_trade_no)
    QString channelTxnId;      ///< 微信订单号 / 支付宝交易号
    QString outRefundNo;       ///< refunds: 商户退款单号 / 退款批次号/请求号
    QString channelRefundId;   ///< refunds: 微信退款单号 (WeChat only)
    QString state;             ///< payments: WeChat 交易状态 (SUCCESS, REVOKED...), Alipay "SUCCESS"
    QString refundStatus;      ///< refunds: WeChat 退款状态 (SUCCESS, PROCESSING...), Alipay "SUCCESS"
    qint64 amountMinor = 0;    ///< payment: settled (应结订单金额 / 商家实收); refund: refunded, positive
    qint64 orderTotalMinor = 0;///< payment: 订单金额 / 总金额 (what the order asked for); refund: 0
    qint64 feeMinor = 0;       ///< the channel's fee: positive when taken, negative when given back
    QString currency = QStringLiteral("CNY");
    qint64 atMs = 0;           ///< 交易时间 / 完成时间 (Beijing time in the file), ms UTC
};

/// A whole trade bill, read and checked against its own totals.
struct ParsedBill
{
    ChannelKind channel = ChannelKind::WeChat;
    QList<BillEntry> entries;
    int payments = 0;
    int refunds = 0;
    qint64 paidMinor = 0;      ///< sum of payments' amountMinor
    qint64 refundedMinor = 0;  ///< sum of refunds' amountMinor
    qint64 feeMinor = 0;       ///< sum of fees (signed)
};

/// Reads daily trade bills exactly as the channels write them. A file is accepted whole or
/// refused whole: any malformed line, unknown value or total that does not add up refuses it
/// with the line and column named (Error code bill.malformed / bill.totals_mismatch).
class BillParser
{
    Q_DECLARE_TR_FUNCTIONS(BillParser)
public:
    /// WeChat Pay v3 tradebill (decompressed, UTF-8): the column header line, detail lines with
    /// every field prefixed by a backquote, the summary header and the summary line. Columns
    /// are found by name, so older layouts (总金额 instead of 订单金额, no 应结订单金额) parse.
    static Result<ParsedBill> parseWeChatTrade(const QByteArray &csv);
    /// Alipay trade bill as downloaded: a zip of GBK CSV files, of which the one whose name
    /// ends in _业务明细.csv is read.
    static Result<ParsedBill> parseAlipayTradeZip(const QByteArray &zip);
    /// The 业务明细 CSV itself (GBK): # header lines, the column header, detail lines with
    /// tab-padded ids, the # footer with 交易合计 / 退款合计 checked against the lines.
    static Result<ParsedBill> parseAlipayDetail(const QByteArray &gbk);
    /// By channel: WeChat text, Alipay zip.
    static Result<ParsedBill> parse(ChannelKind channel, const QByteArray &content);
};

} // namespace paydesk::recon
