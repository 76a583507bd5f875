#include "channels/BillWriter.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QStringDecoder>
#include <QStringEncoder>
#include <QTemporaryDir>
#include <QTimeZone>

#include <minizip/unzip.h>
#include <minizip/zip.h>
#include <zlib.h>

namespace paydesk::bills {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("paydesk::BillWriter", text);
}

const QTimeZone &beijing()
{
    static const QTimeZone tz(8 * 3600);
    return tz;
}

QString beijingTime(qint64 ms, const QString &format = QStringLiteral("yyyy-MM-dd HH:mm:ss"))
{
    return QDateTime::fromMSecsSinceEpoch(ms, beijing()).toString(format);
}

qint64 startOfDay(const QDate &date)
{
    return QDateTime(date, QTime(0, 0), beijing()).toMSecsSinceEpoch();
}

/// A fee in yuan with five decimals, as WeChat writes 手续费 ("0.06000", "-0.06000").
QString fee5(qint64 minor)
{
    return yuan(minor) + QStringLiteral("000");
}

qint64 orderTotal(const BillRow &r)
{
    return r.orderTotalMinor > 0 ? r.orderTotalMinor : r.amountMinor;
}

/// A CSV line of WeChat fields, each prefixed with a backquote. WeChat does not quote: a comma
/// inside a field (a 商品名称 with one) would break its own file, so we never write one.
QString wechatLine(const QStringList &fields)
{
    QString out;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        if (i)
            out += u',';
        QString f = fields.at(i);
        f.replace(u',', u'，').replace(u'\r', u' ').replace(u'\n', u' ');
        out += u'`' + f;
    }
    return out + QStringLiteral("\r\n");
}

QString alipayField(QString f)
{
    return f.replace(u',', u'，').replace(u'\r', u' ').replace(u'\n', u' ');
}

QString chineseDate(const QDate &d)
{
    return d.toString(QStringLiteral("yyyy年MM月dd日"));
}

} // namespace

qint64 standardFee(qint64 amountMinor)
{
    // 0.6 % rounded half up: (amount * 6 + 500) / 1000, in integers.
    return amountMinor <= 0 ? 0 : (amountMinor * 6 + 500) / 1000;
}

QString yuan(qint64 minor)
{
    const bool negative = minor < 0;
    const quint64 abs = negative ? quint64(0) - quint64(minor) : quint64(minor);
    return (negative ? QStringLiteral("-") : QString()) + QString::number(abs / 100) + u'.'
        + QString::number(abs % 100).rightJustified(2, u'0');
}

QByteArray weChatTradeBill(const BillMeta &meta, const QList<BillRow> &rows)
{
    QString out = QStringLiteral("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
                                 "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
                                 "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n");
    qint64 settled = 0, refunded = 0, fees = 0, ordered = 0, refundAsked = 0;
    for (const BillRow &r : rows) {
        const bool refund = r.kind == BillRow::Kind::Refund;
        const qint64 payment = refund ? 0 : r.amountMinor;
        const qint64 refundAmount = refund ? r.amountMinor : 0;
        const qint64 rowFee = refund ? -r.feeMinor : r.feeMinor;
        const qint64 order = refund ? 0 : orderTotal(r);
        settled += payment;
        refunded += refundAmount;
        fees += rowFee;
        ordered += order;
        refundAsked += refundAmount;
        out += wechatLine({beijingTime(r.atMs), meta.appId, meta.merchantId, QStringLiteral("0"), QString(), r.channelTxnId,
                           r.outTradeNo, r.payer, r.tradeType, refund ? QStringLiteral("REFUND") : QStringLiteral("SUCCESS"),
                           QStringLiteral("OTHERS"), r.currency, yuan(payment), yuan(0),
                           refund ? r.channelRefundId : QStringLiteral("0"), refund ? r.outRefundNo : QStringLiteral("0"),
                           yuan(refundAmount), yuan(0), refund ? QStringLiteral("ORIGINAL") : QString(),
                           refund ? r.refundStatus : QString(), r.description, QString(), fee5(rowFee), meta.rate, yuan(order),
                           yuan(refundAmount), QString()});
    }
    out += QStringLiteral("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n");
    out += wechatLine({QString::number(rows.size()), yuan(settled), yuan(refunded), yuan(0), fee5(fees), yuan(ordered),
                       yuan(refundAsked)});
    return out.toUtf8();
}

QByteArray weChatFundFlowBill(const BillMeta &meta, const QList<BillRow> &rows)
{
    QString out = QStringLiteral("记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,"
                                 "资金变更提交申请人,备注,业务凭证号\r\n");
    qint64 balance = 0, incomeCount = 0, income = 0, outCount = 0, spent = 0, seq = 0;
    const QString day = meta.date.toString(QStringLiteral("yyyyMMdd"));
    auto line = [&](const BillRow &r, const QString &businessId, const QString &name, const QString &type, bool in, qint64 amount,
                    const QString &voucher) {
        balance += in ? amount : -amount;
        (in ? incomeCount : outCount) += 1;
        (in ? income : spent) += amount;
        const QString flowId = QStringLiteral("4200") + day + QString::number(++seq).rightJustified(10, u'0');
        out += wechatLine({beijingTime(r.atMs), businessId, flowId, name, type, in ? QStringLiteral("收入") : QStringLiteral("支出"),
                           yuan(amount), yuan(balance), QStringLiteral("system"), QString(), voucher});
    };
    for (const BillRow &r : rows) {
        if (r.kind == BillRow::Kind::Payment) {
            line(r, r.channelTxnId, QStringLiteral("交易"), QStringLiteral("交易"), true, r.amountMinor, r.outTradeNo);
            if (r.feeMinor > 0)
                line(r, r.channelTxnId, QStringLiteral("扣除交易手续费"), QStringLiteral("扣除交易手续费"), false, r.feeMinor, r.outTradeNo);
        } else if (r.refundStatus == QStringLiteral("SUCCESS")) {
            line(r, r.channelRefundId, QStringLiteral("退款"), QStringLiteral("退款"), false, r.amountMinor, r.outRefundNo);
            if (r.feeMinor > 0)
                line(r, r.channelRefundId, QStringLiteral("退还交易手续费"), QStringLiteral("退还交易手续费"), true, r.feeMinor, r.outRefundNo);
        }
    }
    out += QStringLiteral("资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\r\n");
    out += wechatLine({QString::number(incomeCount + outCount), QString::number(incomeCount), yuan(income), QString::number(outCount),
                       yuan(spent)});
    return out.toUtf8();
}

QString weChatBillFileName(const BillMeta &meta, bool fundFlow)
{
    return meta.merchantId + u'_' + meta.date.toString(Qt::ISODate) + (fundFlow ? QStringLiteral("_BASIC.csv") : QStringLiteral("_ALL.csv"));
}

QByteArray alipayDetailCsv(const BillMeta &meta, const QList<BillRow> &rows)
{
    const qint64 exported = meta.exportedAtMs > 0 ? meta.exportedAtMs : startOfDay(meta.date.addDays(1)) + 5 * 3600'000;
    QString out;
    out += QStringLiteral("#支付宝业务明细查询\r\n");
    out += QStringLiteral("#账号：[%1]\r\n").arg(meta.merchantId);
    out += QStringLiteral("#起始日期：[%1 00:00:00]   终止日期：[%2 00:00:00]\r\n")
               .arg(chineseDate(meta.date), chineseDate(meta.date.addDays(1)));
    out += QStringLiteral("#-----------------------------------------业务明细列表----------------------------------------\r\n");
    out += QStringLiteral("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
                          "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
                          "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\r\n");
    qint64 trades = 0, tradeSum = 0, refunds = 0, refundSum = 0;
    const QString tab = QStringLiteral("\t");
    for (const BillRow &r : rows) {
        const bool refund = r.kind == BillRow::Kind::Refund;
        const qint64 sign = refund ? -1 : 1;
        const qint64 amount = sign * r.amountMinor;
        const qint64 order = refund ? amount : orderTotal(r);
        // Alipay keeps its service fee as a negative number on a payment, positive on a refund.
        const qint64 serviceFee = refund ? r.feeMinor : -r.feeMinor;
        if (refund)
            ++refunds, refundSum += amount;
        else
            ++trades, tradeSum += amount;
        const QStringList fields{r.channelTxnId + tab,
                                 r.outTradeNo + tab,
                                 (refund ? QStringLiteral("退款") : QStringLiteral("交易")) + tab,
                                 alipayField(r.description),
                                 beijingTime(r.createdAtMs > 0 ? r.createdAtMs : r.atMs),
                                 beijingTime(r.atMs),
                                 tab, tab, tab, tab,
                                 alipayField(r.payer) + tab,
                                 yuan(order), yuan(amount),
                                 yuan(0), yuan(0), yuan(0), yuan(0), yuan(0),
                                 QString(),
                                 yuan(0) + tab,
                                 yuan(0),
                                 (refund ? r.outRefundNo : QString()) + tab,
                                 yuan(serviceFee), yuan(0),
                                 QString()};
        out += fields.join(u',') + QStringLiteral("\r\n");
    }
    out += QStringLiteral("#-----------------------------------------业务明细列表结束------------------------------------\r\n");
    out += QStringLiteral("#交易合计：%1笔，商家实收共%2元，商家优惠共0.00元\r\n").arg(trades).arg(yuan(tradeSum));
    out += QStringLiteral("#退款合计：%1笔，商家实收退款共%2元，商家优惠退款共0.00元\r\n").arg(refunds).arg(yuan(refundSum));
    out += QStringLiteral("#导出时间：[%1]\r\n").arg(beijingTime(exported, QStringLiteral("yyyy年MM月dd日 HH:mm:ss")));
    return toGbk(out);
}

QByteArray alipaySummaryCsv(const BillMeta &meta, const QList<BillRow> &rows)
{
    const qint64 exported = meta.exportedAtMs > 0 ? meta.exportedAtMs : startOfDay(meta.date.addDays(1)) + 5 * 3600'000;
    qint64 trades = 0, refunds = 0, ordered = 0, received = 0, fees = 0;
    for (const BillRow &r : rows) {
        const bool refund = r.kind == BillRow::Kind::Refund;
        (refund ? refunds : trades) += 1;
        ordered += refund ? -r.amountMinor : orderTotal(r);
        received += refund ? -r.amountMinor : r.amountMinor;
        fees += refund ? r.feeMinor : -r.feeMinor;
    }
    QString out;
    out += QStringLiteral("#支付宝业务汇总查询\r\n");
    out += QStringLiteral("#账号：[%1]\r\n").arg(meta.merchantId);
    out += QStringLiteral("#起始日期：[%1 00:00:00]   终止日期：[%2 00:00:00]\r\n")
               .arg(chineseDate(meta.date), chineseDate(meta.date.addDays(1)));
    out += QStringLiteral("#-----------------------------------------业务汇总列表----------------------------------------\r\n");
    out += QStringLiteral("门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,"
                          "卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）\r\n");
    const QStringList totals{QString::number(trades), QString::number(refunds), yuan(ordered), yuan(received), yuan(0), yuan(0),
                             yuan(0), yuan(fees), yuan(0), yuan(received + fees)};
    out += QStringLiteral("\t,\t,") + totals.join(u',') + QStringLiteral("\r\n");
    out += QStringLiteral("合计,,") + totals.join(u',') + QStringLiteral("\r\n");
    out += QStringLiteral("#-----------------------------------------业务汇总列表结束------------------------------------\r\n");
    out += QStringLiteral("#导出时间：[%1]\r\n").arg(beijingTime(exported, QStringLiteral("yyyy年MM月dd日 HH:mm:ss")));
    return toGbk(out);
}

QString alipayDetailName(const BillMeta &meta)
{
    return meta.merchantId + u'_' + meta.date.toString(QStringLiteral("yyyyMMdd")) + QStringLiteral("_业务明细.csv");
}

QString alipaySummaryName(const BillMeta &meta)
{
    return meta.merchantId + u'_' + meta.date.toString(QStringLiteral("yyyyMMdd")) + QStringLiteral("_业务明细(汇总).csv");
}

QString alipayZipName(const BillMeta &meta)
{
    return meta.merchantId + u'_' + meta.date.toString(QStringLiteral("yyyyMMdd")) + QStringLiteral(".csv.zip");
}

Result<QByteArray> alipayTradeBillZip(const BillMeta &meta, const QList<BillRow> &rows)
{
    return writeZip({ZipEntry{alipayDetailName(meta), alipayDetailCsv(meta, rows)},
                     ZipEntry{alipaySummaryName(meta), alipaySummaryCsv(meta, rows)}});
}

Result<QByteArray> writeZip(const QList<ZipEntry> &entries)
{
    // minizip writes to a file; a private temporary folder holds it for the moment it takes.
    QTemporaryDir dir;
    if (!dir.isValid())
        return Error{Error::Kind::Internal, QStringLiteral("zip.tmp"), tr("Cannot create a temporary folder for the zip.")};
    const QString path = dir.filePath(QStringLiteral("bill.zip"));
    zipFile zf = zipOpen64(QFile::encodeName(path).constData(), APPEND_STATUS_CREATE);
    if (!zf)
        return Error{Error::Kind::Internal, QStringLiteral("zip.open"), tr("Cannot create the zip archive.")};
    for (const ZipEntry &e : entries) {
        zip_fileinfo info{};
        const QByteArray name = toGbk(e.name);
        int rc = zipOpenNewFileInZip64(zf, name.constData(), &info, nullptr, 0, nullptr, 0, nullptr, Z_DEFLATED,
                                       Z_DEFAULT_COMPRESSION, e.data.size() >= 0xffffffffLL ? 1 : 0);
        if (rc == ZIP_OK)
            rc = zipWriteInFileInZip(zf, e.data.constData(), unsigned(e.data.size()));
        if (rc == ZIP_OK)
            rc = zipCloseFileInZip(zf);
        if (rc != ZIP_OK) {
            zipClose(zf, nullptr);
            return Error{Error::Kind::Internal, QStringLiteral("zip.write"), tr("Cannot write %1 into the zip (%2).").arg(e.name).arg(rc)};
        }
    }
    if (zipClose(zf, nullptr) != ZIP_OK)
        return Error{Error::Kind::Internal, QStringLiteral("zip.close"), tr("Cannot finish the zip archive.")};
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error{Error::Kind::Internal, QStringLiteral("zip.read"), tr("Cannot read back the zip archive.")};
    return f.readAll();
}

Result<QList<ZipEntry>> readZip(const QByteArray &zip)
{
    QTemporaryDir dir;
    if (!dir.isValid())
        return Error{Error::Kind::Internal, QStringLiteral("zip.tmp"), tr("Cannot create a temporary folder for the zip.")};
    const QString path = dir.filePath(QStringLiteral("bill.zip"));
    {
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(zip) != zip.size())
            return Error{Error::Kind::Internal, QStringLiteral("zip.tmp"), tr("Cannot write the zip to a temporary file.")};
    }
    unzFile uf = unzOpen64(QFile::encodeName(path).constData());
    if (!uf)
        return Error::invalid(QStringLiteral("zip.bad"), tr("The file is not a zip archive."));
    QList<ZipEntry> out;
    auto fail = [&uf](const QString &message) {
        unzClose(uf);
        return Error::invalid(QStringLiteral("zip.bad"), message);
    };
    unz_global_info64 global{};
    if (unzGetGlobalInfo64(uf, &global) != UNZ_OK)
        return fail(tr("The zip archive's directory cannot be read."));
    int rc = unzGoToFirstFile(uf);
    if (global.number_entry == 0) {
        // An empty archive, unless a directory entry is there all the same.
        if (rc == UNZ_OK)
            return fail(tr("The zip archive's directory is corrupt."));
        unzClose(uf);
        return out;
    }
    for (; rc == UNZ_OK; rc = unzGoToNextFile(uf)) {
        unz_file_info64 info{};
        char name[1024] = {};
        if (unzGetCurrentFileInfo64(uf, &info, name, sizeof name - 1, nullptr, 0, nullptr, 0) != UNZ_OK)
            return fail(tr("A zip entry cannot be read."));
        ZipEntry e;
        const QByteArray raw(name);
        e.name = (info.flag & (1u << 11)) ? QString::fromUtf8(raw) : fromGbk(raw);
        if (info.uncompressed_size > quint64(512) * 1024 * 1024)
            return fail(tr("The zip entry %1 is too large.").arg(e.name));
        if (unzOpenCurrentFile(uf) != UNZ_OK)
            return fail(tr("The zip entry %1 cannot be opened.").arg(e.name));
        e.data.resize(qsizetype(info.uncompressed_size));
        qsizetype got = 0;
        while (got < e.data.size()) {
            const int n = unzReadCurrentFile(uf, e.data.data() + got, unsigned(qMin<qsizetype>(e.data.size() - got, 1 << 20)));
            if (n <= 0)
                break;
            got += n;
        }
        const bool crcOk = unzCloseCurrentFile(uf) == UNZ_OK;
        if (got != e.data.size() || !crcOk)
            return fail(tr("The zip entry %1 is truncated or corrupt.").arg(e.name));
        out << e;
    }
    // A directory that cannot be walked to its end (or holds fewer entries than the end record
    // says) is a corrupt archive, not a shorter one: refuse it rather than return what was read.
    if (rc != UNZ_END_OF_LIST_OF_FILE || quint64(out.size()) != global.number_entry)
        return fail(tr("The zip archive's directory is corrupt."));
    unzClose(uf);
    return out;
}

QByteArray gzip(const QByteArray &data)
{
    z_stream s{};
    // 15 window bits + 16: a gzip header and trailer instead of zlib's.
    if (deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    QByteArray out;
    out.resize(qsizetype(deflateBound(&s, uLong(data.size()))) + 32);
    s.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    s.avail_in = uInt(data.size());
    s.next_out = reinterpret_cast<Bytef *>(out.data());
    s.avail_out = uInt(out.size());
    const int rc = deflate(&s, Z_FINISH);
    out.resize(qsizetype(s.total_out));
    deflateEnd(&s);
    return rc == Z_STREAM_END ? out : QByteArray();
}

Result<QByteArray> gunzip(const QByteArray &data, qint64 maxBytes)
{
    z_stream s{};
    if (inflateInit2(&s, 15 + 16) != Z_OK)
        return Error{Error::Kind::Internal, QStringLiteral("gzip.init"), tr("Cannot start decompressing.")};
    s.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    s.avail_in = uInt(data.size());
    QByteArray out;
    char buffer[64 * 1024];
    int rc = Z_OK;
    while (rc == Z_OK) {
        s.next_out = reinterpret_cast<Bytef *>(buffer);
        s.avail_out = sizeof buffer;
        rc = inflate(&s, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END)
            break;
        out.append(buffer, qsizetype(sizeof buffer - s.avail_out));
        if (out.size() > maxBytes) {
            inflateEnd(&s);
            return Error::invalid(QStringLiteral("gzip.too_large"), tr("The file inflates to more than %1 bytes.").arg(maxBytes));
        }
        if (rc == Z_OK && s.avail_in == 0 && s.avail_out != 0)
            break; // input ended before the stream did
    }
    const bool trailing = rc == Z_STREAM_END && s.avail_in != 0;
    inflateEnd(&s);
    if (rc != Z_STREAM_END || trailing)
        return Error::invalid(QStringLiteral("gzip.bad"), tr("The file is not a complete gzip stream."));
    return out;
}

QByteArray toGbk(const QString &text)
{
    QStringEncoder encoder("GBK");
    return encoder.isValid() ? QByteArray(encoder(text)) : text.toUtf8();
}

QString fromGbk(const QByteArray &bytes)
{
    QStringDecoder decoder("GBK");
    return decoder.isValid() ? QString(decoder(bytes)) : QString::fromUtf8(bytes);
}

} // namespace paydesk::bills
