#include "recon/BillParser.h"

#include "channels/BillWriter.h"
#include "recon/BillAmount.h"

#include <QDateTime>
#include <QHash>
#include <QRegularExpression>
#include <QTimeZone>

namespace paydesk::recon {

namespace {

using Kind = BillEntry::Kind;

/// The lines of a file, without their line ends, and a BOM dropped.
QStringList linesOf(QString text)
{
    if (text.startsWith(QChar(0xFEFF)))
        text.remove(0, 1);
    QStringList lines = text.split(u'\n');
    for (QString &l : lines) {
        if (l.endsWith(u'\r'))
            l.chop(1);
    }
    return lines;
}

/// The lines of a UTF-8 file as views into its bytes (no copy), without the BOM and the '\r'
/// of "\r\n": what linesOf gives, for a file too big to hold twice more as UTF-16.
QList<QByteArrayView> byteLinesOf(QByteArrayView bytes)
{
    if (bytes.startsWith("\xEF\xBB\xBF"))
        bytes = bytes.sliced(3);
    QList<QByteArrayView> lines;
    lines.reserve(bytes.count('\n') + 1);
    qsizetype start = 0;
    for (;;) {
        const qsizetype nl = bytes.indexOf('\n', start);
        QByteArrayView l = nl < 0 ? bytes.sliced(start) : bytes.sliced(start, nl - start);
        if (l.endsWith('\r'))
            l.chop(1);
        lines << l;
        if (nl < 0)
            break;
        start = nl + 1;
    }
    return lines;
}

/// A field as written, without the backquote WeChat puts in front and the tabs and spaces
/// Alipay pads ids with.
QString clean(QStringView field)
{
    QStringView f = field.trimmed();
    if (f.startsWith(u'`'))
        f = f.mid(1);
    return f.trimmed().toString();
}

/// Column names compared without full/half-width differences in brackets.
QString normalName(const QString &name)
{
    QString n = clean(name);
    n.replace(u'（', u'(').replace(u'）', u')');
    return n;
}

class Columns
{
public:
    explicit Columns(const QStringList &header)
    {
        for (qsizetype i = 0; i < header.size(); ++i)
            m_index.insert(normalName(header.at(i)), int(i));
    }
    /// The index of the first of `names` present, or -1.
    int find(std::initializer_list<const char16_t *> names) const
    {
        for (const char16_t *n : names) {
            const auto it = m_index.constFind(normalName(QString::fromUtf16(n)));
            if (it != m_index.cend())
                return it.value();
        }
        return -1;
    }

private:
    QHash<QString, int> m_index;
};

Error malformed(int line, const QString &column, const QString &why)
{
    return Error::invalid(QStringLiteral("bill.malformed"),
                          column.isEmpty() ? BillParser::tr("The bill is refused: line %1: %2").arg(line).arg(why)
                                           : BillParser::tr("The bill is refused: line %1, column %2: %3").arg(line).arg(column, why));
}

Error mismatch(const QString &what, const QString &stated, const QString &counted)
{
    return Error::invalid(QStringLiteral("bill.totals_mismatch"),
                          BillParser::tr("The bill is refused: its summary states %1 %2, but its lines add up to %3.")
                              .arg(what, stated, counted));
}

/// "2026-12-02 09:15:00", Beijing time (UTC+8), to ms UTC. Read by hand: QDateTime::fromString
/// makes a local time first, and each local time asks the C library for the zone, which stats
/// /etc/localtime every time (about 18 us a line, most of a million-line bill's parse).
Result<qint64> beijingTime(const QString &text)
{
    const auto refuse = [&text]() {
        return Error::invalid(QStringLiteral("bill.bad_time"), BillParser::tr("\"%1\" is not a time like 2026-12-02 09:15:00.").arg(text));
    };
    // yyyy-MM-dd HH:mm:ss: digits everywhere but the five separators.
    static constexpr char16_t kShape[] = u"dddd-dd-dd dd:dd:dd";
    if (text.size() != 19)
        return refuse();
    int parts[6] = {};
    int part = 0;
    for (qsizetype i = 0; i < 19; ++i) {
        const char16_t c = text.at(i).unicode();
        if (kShape[i] == u'd') {
            if (c < u'0' || c > u'9')
                return refuse();
            parts[part] = parts[part] * 10 + (c - u'0');
        } else {
            if (c != kShape[i])
                return refuse();
            ++part;
        }
    }
    const QDate date(parts[0], parts[1], parts[2]);
    if (!date.isValid() || !QTime::isValid(parts[3], parts[4], parts[5]))
        return refuse();
    constexpr qint64 kUnixEpochJulianDay = 2440588;
    const qint64 secondsOfDay = qint64(parts[3]) * 3600 + parts[4] * 60 + parts[5];
    return ((date.toJulianDay() - kUnixEpochJulianDay) * 86400 + secondsOfDay - 8 * 3600) * 1000;
}

/// Reads the fields of one detail line by column.
struct LineReader
{
    const QStringList &header;
    const QStringList &fields;
    int line;

    // A column the bill does not have (col < 0) reads as empty; never index outside the line.
    QString text(int col) const { return col < 0 || col >= fields.size() ? QString() : clean(fields.at(col)); }
    QString name(int col) const { return col < 0 || col >= header.size() ? QString() : clean(header.at(col)); }
    Result<qint64> amount(int col, int digits = 2) const
    {
        if (col < 0)
            return qint64(0);
        auto a = BillAmount::toMinor(text(col), digits);
        if (!a)
            return malformed(line, name(col), a.error().message);
        return a;
    }
    Result<qint64> time(int col) const
    {
        auto t = beijingTime(text(col));
        if (!t)
            return malformed(line, name(col), t.error().message);
        return t;
    }
};

QString plain(qint64 minor)
{
    return minorToPlain(minor, 2);
}

} // namespace

Result<ParsedBill> BillParser::parse(ChannelKind channel, const QByteArray &content)
{
    switch (channel) {
    case ChannelKind::WeChat: return parseWeChatTrade(content);
    case ChannelKind::Alipay: return parseAlipayTradeZip(content);
    case ChannelKind::Sim: break;
    }
    return Error::invalid(QStringLiteral("bill.no_format"), tr("The simulated channel writes its bills in WeChat Pay's or Alipay's format; "
                                                                "name one of those channels."));
}

Result<ParsedBill> BillParser::parseWeChatTrade(const QByteArray &csv)
{
    // Line by line from the bytes: a million-row bill is about 190 MB of UTF-8; as one QString
    // and a list of its lines it was four times that. Each line is decoded when it is read.
    const QList<QByteArrayView> lines = byteLinesOf(csv);
    const auto lineAt = [&lines](qsizetype i) -> Result<QString> {
        QString l = QString::fromUtf8(lines.at(i));
        if (l.contains(QChar::ReplacementCharacter))
            return malformed(int(i + 1), QString(), tr("the file is not UTF-8 text."));
        return l;
    };
    auto headerLine = lineAt(0);
    if (!headerLine)
        return headerLine.error();
    if (headerLine->trimmed().isEmpty())
        return malformed(1, QString(), tr("there is no column header line."));
    const QStringList header = headerLine->split(u',');
    const Columns cols(header);
    const int cTime = cols.find({u"交易时间"});
    const int cTxn = cols.find({u"微信订单号"});
    const int cOut = cols.find({u"商户订单号"});
    const int cState = cols.find({u"交易状态"});
    const int cSettled = cols.find({u"应结订单金额", u"总金额"});
    const int cTotal = cols.find({u"订单金额", u"总金额"});
    const int cCurrency = cols.find({u"货币种类"});
    const int cRefundId = cols.find({u"微信退款单号"});
    const int cOutRefund = cols.find({u"商户退款单号"});
    const int cRefund = cols.find({u"退款金额"});
    const int cRefundStatus = cols.find({u"退款状态"});
    const int cFee = cols.find({u"手续费"});
    const std::pair<int, const char16_t *> required[] = {{cTime, u"交易时间"}, {cTxn, u"微信订单号"}, {cOut, u"商户订单号"},
                                                         {cState, u"交易状态"}, {cSettled, u"应结订单金额"}};
    for (const auto &[col, name] : required) {
        if (col < 0)
            return malformed(1, QString::fromUtf16(name), tr("the column header line has no such column."));
    }

    ParsedBill bill;
    bill.channel = ChannelKind::WeChat;
    qint64 settledSum = 0, totalSum = 0, refundSum = 0, feeSum = 0;
    qsizetype i = 1;
    bool summaryFound = false;
    for (; i < lines.size(); ++i) {
        const int line = int(i + 1);
        const auto decoded = lineAt(i);
        if (!decoded)
            return decoded.error();
        const QString &raw = decoded.value();
        if (raw.trimmed().isEmpty())
            continue;
        const QStringList fields = raw.split(u',');
        const QString first = clean(fields.first());
        if (first == QStringLiteral("总交易单数") || first == QStringLiteral("总交易单")) {
            summaryFound = true;
            break;
        }
        if (fields.size() != header.size())
            return malformed(line, QString(), tr("%1 fields where the header has %2.").arg(fields.size()).arg(header.size()));
        const LineReader r{header, fields, line};
        BillEntry e;
        e.line = line;
        e.channelTxnId = r.text(cTxn);
        e.outTradeNo = r.text(cOut);
        if (e.outTradeNo.isEmpty())
            return malformed(line, r.name(cOut), tr("it is empty."));
        if (cCurrency >= 0 && !r.text(cCurrency).isEmpty())
            e.currency = r.text(cCurrency);
        auto at = r.time(cTime);
        if (!at)
            return at.error();
        e.atMs = at.value();
        auto settled = r.amount(cSettled);
        auto total = r.amount(cTotal);
        auto refund = r.amount(cRefund);
        auto fee = r.amount(cFee, 2);
        for (const auto *a : {&settled, &total, &refund, &fee}) {
            if (!*a)
                return a->error();
        }
        settledSum += settled.value();
        totalSum += total.value();
        refundSum += refund.value();
        feeSum += fee.value();
        e.feeMinor = fee.value();
        const QString state = r.text(cState);
        if (state == QStringLiteral("REFUND")) {
            e.kind = Kind::Refund;
            e.outRefundNo = r.text(cOutRefund);
            e.channelRefundId = r.text(cRefundId);
            e.refundStatus = r.text(cRefundStatus);
            e.amountMinor = refund.value();
            e.state = state;
            if (cOutRefund < 0 || e.outRefundNo.isEmpty() || e.outRefundNo == QStringLiteral("0"))
                return malformed(line, cOutRefund < 0 ? QStringLiteral("商户退款单号") : r.name(cOutRefund),
                                 tr("a refund line needs its refund number."));
            if (e.amountMinor <= 0)
                return malformed(line, r.name(cRefund), tr("a refund line needs a refund amount above zero."));
            ++bill.refunds;
            bill.refundedMinor += e.amountMinor;
        } else if (state == QStringLiteral("SUCCESS") || state == QStringLiteral("REVOKED")) {
            e.kind = Kind::Payment;
            e.state = state;
            e.amountMinor = settled.value();
            e.orderTotalMinor = cTotal >= 0 ? total.value() : settled.value();
            ++bill.payments;
            if (state == QStringLiteral("SUCCESS"))
                bill.paidMinor += e.amountMinor;
        } else {
            return malformed(line, r.name(cState), tr("\"%1\" is not a trade state of a bill (SUCCESS, REFUND, REVOKED).").arg(state));
        }
        bill.feeMinor += e.feeMinor;
        bill.entries << e;
    }
    if (!summaryFound)
        return malformed(int(lines.size()), QString(), tr("the summary (总交易单数 ...) is missing; the file may be cut short."));

    // The summary header, then its one line of values.
    auto sumHeaderLine = lineAt(i);
    if (!sumHeaderLine)
        return sumHeaderLine.error();
    const QStringList sumHeader = sumHeaderLine->split(u',');
    const Columns sumCols(sumHeader);
    const auto blank = [&lineAt](qsizetype k) -> Result<bool> {
        auto l = lineAt(k);
        if (!l)
            return l.error();
        return l->trimmed().isEmpty();
    };
    qsizetype v = i + 1;
    for (; v < lines.size(); ++v) {
        auto b = blank(v);
        if (!b)
            return b.error();
        if (!b.value())
            break;
    }
    if (v >= lines.size())
        return malformed(int(i + 2), QString(), tr("the summary line after its header is missing."));
    const int sumLine = int(v + 1);
    auto valuesLine = lineAt(v);
    if (!valuesLine)
        return valuesLine.error();
    const QStringList values = valuesLine->split(u',');
    if (values.size() != sumHeader.size())
        return malformed(sumLine, QString(), tr("%1 fields where the summary header has %2.").arg(values.size()).arg(sumHeader.size()));
    for (qsizetype k = v + 1; k < lines.size(); ++k) {
        auto b = blank(k);
        if (!b)
            return b.error();
        if (!b.value())
            return malformed(int(k + 1), QString(), tr("nothing may follow the summary line."));
    }
    const LineReader s{sumHeader, values, sumLine};
    const int sCount = sumCols.find({u"总交易单数", u"总交易单"});
    bool countOk = false;
    const qint64 count = sCount < 0 ? -1 : s.text(sCount).toLongLong(&countOk);
    if (sCount < 0 || !countOk)
        return malformed(sumLine, sCount < 0 ? QStringLiteral("总交易单数") : s.name(sCount), tr("the number of lines is missing."));
    if (count != bill.entries.size())
        return mismatch(s.name(sCount), QString::number(count), QString::number(bill.entries.size()));
    struct Check { std::initializer_list<const char16_t *> names; qint64 counted; bool required; };
    const Check checks[] = {{{u"应结订单总金额", u"总交易额"}, settledSum, true},
                            {{u"退款总金额", u"总退款金额"}, refundSum, cRefund >= 0},
                            {{u"手续费总金额"}, feeSum, cFee >= 0},
                            {{u"订单总金额"}, totalSum, false}};
    for (const Check &c : checks) {
        const int col = sumCols.find(c.names);
        if (col < 0) {
            if (c.required)
                return malformed(sumLine, QString::fromUtf16(*c.names.begin()), tr("the summary has no such column."));
            continue;
        }
        auto stated = s.amount(col);
        if (!stated)
            return stated.error();
        if (stated.value() != c.counted)
            return mismatch(s.name(col), plain(stated.value()), plain(c.counted));
    }
    return bill;
}

Result<ParsedBill> BillParser::parseAlipayTradeZip(const QByteArray &zip)
{
    auto entries = bills::readZip(zip);
    if (!entries)
        return Error::invalid(QStringLiteral("bill.malformed"), tr("The bill is refused: %1").arg(entries.error().message));
    const bills::ZipEntry *detail = nullptr;
    for (const bills::ZipEntry &e : entries.value()) {
        if (e.name.endsWith(QStringLiteral("_业务明细.csv"))) {
            if (detail)
                return Error::invalid(QStringLiteral("bill.malformed"), tr("The bill is refused: the archive holds two files ending in _业务明细.csv."));
            detail = &e;
        }
    }
    if (!detail)
        return Error::invalid(QStringLiteral("bill.malformed"), tr("The bill is refused: the archive holds no file ending in _业务明细.csv."));
    return parseAlipayDetail(detail->data);
}

Result<ParsedBill> BillParser::parseAlipayDetail(const QByteArray &gbk)
{
    const QString text = bills::fromGbk(gbk);
    if (text.contains(QChar::ReplacementCharacter))
        return malformed(1, QString(), tr("the file is not GBK text."));
    const QStringList lines = linesOf(text);
    static const QRegularExpression tradeTotal(QStringLiteral(u"^#交易合计[:：]\\s*(\\d+)\\s*笔[,，]\\s*商家实收共\\s*([-0-9.]+)\\s*元"));
    static const QRegularExpression refundTotal(QStringLiteral(u"^#退款合计[:：]\\s*(\\d+)\\s*笔[,，]\\s*商家实收退款共\\s*([-0-9.]+)\\s*元"));

    ParsedBill bill;
    bill.channel = ChannelKind::Alipay;
    QStringList header;
    int cTxn = -1, cOut = -1, cType = -1, cDone = -1, cTotal = -1, cReceived = -1, cRefundNo = -1, cFee = -1;
    struct Stated { qint64 count = -1; qint64 sum = 0; int line = 0; };
    Stated trades, refunds;
    qint64 refundSumSigned = 0;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const int line = int(i + 1);
        const QString &raw = lines.at(i);
        if (raw.trimmed().isEmpty())
            continue;
        if (raw.startsWith(u'#')) {
            for (auto [re, st] : {std::pair{&tradeTotal, &trades}, std::pair{&refundTotal, &refunds}}) {
                const auto m = re->match(raw);
                if (!m.hasMatch())
                    continue;
                auto sum = BillAmount::toMinor(m.captured(2));
                if (!sum)
                    return malformed(line, QString(), sum.error().message);
                st->count = m.captured(1).toLongLong();
                st->sum = sum.value();
                st->line = line;
            }
            continue;
        }
        const QStringList fields = raw.split(u',');
        if (header.isEmpty()) {
            header = fields;
            const Columns cols(header);
            cTxn = cols.find({u"支付宝交易号"});
            cOut = cols.find({u"商户订单号"});
            cType = cols.find({u"业务类型"});
            cDone = cols.find({u"完成时间"});
            cTotal = cols.find({u"订单金额（元）"});
            cReceived = cols.find({u"商家实收（元）"});
            cRefundNo = cols.find({u"退款批次号/请求号"});
            cFee = cols.find({u"服务费（元）"});
            const std::pair<int, const char16_t *> required[] = {{cTxn, u"支付宝交易号"}, {cOut, u"商户订单号"}, {cType, u"业务类型"},
                                                                 {cDone, u"完成时间"}, {cReceived, u"商家实收（元）"}};
            for (const auto &[col, name] : required) {
                if (col < 0)
                    return malformed(line, QString::fromUtf16(name), tr("the column header line has no such column."));
            }
            continue;
        }
        if (trades.count >= 0 || refunds.count >= 0)
            return malformed(line, QString(), tr("a detail line after the totals."));
        if (fields.size() != header.size())
            return malformed(line, QString(), tr("%1 fields where the header has %2.").arg(fields.size()).arg(header.size()));
        const LineReader r{header, fields, line};
        BillEntry e;
        e.line = line;
        e.channelTxnId = r.text(cTxn);
        e.outTradeNo = r.text(cOut);
        e.state = QStringLiteral("SUCCESS");
        if (e.outTradeNo.isEmpty())
            return malformed(line, r.name(cOut), tr("it is empty."));
        auto at = r.time(cDone);
        if (!at)
            return at.error();
        e.atMs = at.value();
        auto received = r.amount(cReceived);
        auto total = r.amount(cTotal);
        auto fee = r.amount(cFee);
        for (const auto *a : {&received, &total, &fee}) {
            if (!*a)
                return a->error();
        }
        // Alipay writes its service fee negative on a payment and positive on a refund.
        e.feeMinor = -fee.value();
        const QString type = r.text(cType);
        if (type == QStringLiteral("交易")) {
            if (received.value() < 0)
                return malformed(line, r.name(cReceived), tr("a payment cannot be negative."));
            e.kind = Kind::Payment;
            e.amountMinor = received.value();
            e.orderTotalMinor = cTotal >= 0 ? total.value() : received.value();
            ++bill.payments;
            bill.paidMinor += e.amountMinor;
        } else if (type == QStringLiteral("退款")) {
            if (received.value() >= 0)
                return malformed(line, r.name(cReceived), tr("a refund is written as a negative amount."));
            e.kind = Kind::Refund;
            e.amountMinor = -received.value();
            e.outRefundNo = r.text(cRefundNo);
            e.refundStatus = QStringLiteral("SUCCESS");
            if (e.outRefundNo.isEmpty())
                return malformed(line, cRefundNo < 0 ? QStringLiteral("退款批次号/请求号") : r.name(cRefundNo),
                                 tr("a refund line needs its refund number."));
            ++bill.refunds;
            bill.refundedMinor += e.amountMinor;
            refundSumSigned += received.value();
        } else {
            return malformed(line, r.name(cType), tr("\"%1\" is not a business type this bill may hold (交易, 退款).").arg(type));
        }
        bill.feeMinor += e.feeMinor;
        bill.entries << e;
    }
    if (header.isEmpty())
        return malformed(int(lines.size()), QString(), tr("there is no column header line."));
    if (trades.count < 0)
        return malformed(int(lines.size()), QString(), tr("the footer #交易合计 is missing; the file may be cut short."));
    if (refunds.count < 0)
        return malformed(int(lines.size()), QString(), tr("the footer #退款合计 is missing; the file may be cut short."));
    if (trades.count != bill.payments)
        return mismatch(QStringLiteral("交易合计"), tr("%1 lines").arg(trades.count), tr("%1 lines").arg(bill.payments));
    if (trades.sum != bill.paidMinor)
        return mismatch(QStringLiteral("商家实收共"), plain(trades.sum), plain(bill.paidMinor));
    if (refunds.count != bill.refunds)
        return mismatch(QStringLiteral("退款合计"), tr("%1 lines").arg(refunds.count), tr("%1 lines").arg(bill.refunds));
    if (refunds.sum != refundSumSigned)
        return mismatch(QStringLiteral("商家实收退款共"), plain(refunds.sum), plain(refundSumSigned));
    return bill;
}

} // namespace paydesk::recon
