// recon's bill parsers (core/recon/BillParser): WeChat Pay's trade bill, Alipay's zipped and
// plain 业务明细 CSV. The first byte picks which. Invariants: an accepted bill's totals are
// the sums of its lines, and its counts match. PAYDESK_FUZZ_WRITE_SEEDS=DIR writes seed bills
// made by core/channels/BillWriter into DIR and exits (how corpus/bill_parser was made).

#include "FuzzSupport.h"

#include "channels/BillWriter.h"
#include "recon/BillParser.h"

#include <QDir>
#include <QFile>
#include <QTimeZone>

#include <cstdlib>

using namespace paydesk;

namespace {
void writeSeeds(const QString &dir)
{
    bills::BillMeta m;
    m.date = QDate(2026, 12, 2);
    m.merchantId = QStringLiteral("1900000109");
    m.appId = QStringLiteral("wxd678efh567hg6787");
    const qint64 at = QDateTime(QDate(2026, 12, 2), QTime(9, 15), QTimeZone(8 * 3600)).toMSecsSinceEpoch();
    bills::BillRow pay;
    pay.outTradeNo = QStringLiteral("PD20261202-0001-01");
    pay.channelTxnId = QStringLiteral("4200000000202612020000000001");
    pay.amountMinor = 1230;
    pay.feeMinor = 7;
    pay.atMs = at;
    pay.description = QStringLiteral("咖啡, 大杯");
    bills::BillRow refund = pay;
    refund.kind = bills::BillRow::Kind::Refund;
    refund.outRefundNo = QStringLiteral("RF20261202-0001");
    refund.channelRefundId = QStringLiteral("50300000000000000000000000001");
    refund.amountMinor = 230;
    refund.orderTotalMinor = 1230;
    refund.feeMinor = 1;
    refund.atMs = at + 3'600'000;
    const QList<bills::BillRow> rows{pay, refund};
    QDir().mkpath(dir);
    auto put = [&dir](const char *name, char mode, const QByteArray &content) {
        QFile f(QDir(dir).filePath(QString::fromLatin1(name)));
        if (!f.open(QIODevice::WriteOnly) || f.write(QByteArray(1, mode) + content) < 0)
            fuzz::fail("cannot write a seed");
    };
    put("wechat_trade", 0, bills::weChatTradeBill(m, rows));
    put("wechat_empty", 0, bills::weChatTradeBill(m, {}));
    put("alipay_zip", 1, bills::alipayTradeBillZip(m, rows).value());
    put("alipay_detail", 2, bills::alipayDetailCsv(m, rows));
    put("alipay_detail_empty", 2, bills::alipayDetailCsv(m, {}));
}
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    if (qEnvironmentVariableIsSet("PAYDESK_FUZZ_WRITE_SEEDS")) {
        writeSeeds(qEnvironmentVariable("PAYDESK_FUZZ_WRITE_SEEDS"));
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::Input in(data, size);
    const quint8 mode = in.byte() % 3;
    const QByteArray rest = in.rest();
    auto bill = mode == 0 ? recon::BillParser::parseWeChatTrade(rest)
        : mode == 1       ? recon::BillParser::parseAlipayTradeZip(rest)
                          : recon::BillParser::parseAlipayDetail(rest);
    if (!bill) {
        if (bill.error().message.isEmpty())
            fuzz::fail("a refusal without message");
        return 0;
    }
    qint64 paid = 0, refunded = 0;
    int payments = 0, refunds = 0;
    for (const recon::BillEntry &e : bill->entries) {
        if (e.kind == recon::BillEntry::Kind::Payment) {
            ++payments;
            paid += e.amountMinor;
        } else {
            ++refunds;
            refunded += e.amountMinor;
            if (e.amountMinor < 0)
                fuzz::fail("a refund line with a negative amount was accepted");
        }
    }
    if (paid != bill->paidMinor || refunded != bill->refundedMinor || payments != bill->payments
        || refunds != bill->refunds)
        fuzz::fail("an accepted bill whose totals are not the sums of its lines");
    return 0;
}
