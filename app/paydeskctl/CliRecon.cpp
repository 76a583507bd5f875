// paydeskctl recon run|list|show and bill import|fetch: reconciliation against the channels'
// daily bills (issue 12). FINANCE or ADMIN only; all rules live in core's ReconService.

#include "Cli.h"

#include "domain/Json.h"

#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QSaveFile>

using namespace paydesk;

namespace {

QJsonObject runJson(const ReconRun &r)
{
    return {{QStringLiteral("id"), r.id},
            {QStringLiteral("channel"), toString(r.channel)},
            {QStringLiteral("date"), r.date.toString(Qt::ISODate)},
            {QStringLiteral("bill_file_id"), r.billFileId},
            {QStringLiteral("run_at"), r.runAt},
            {QStringLiteral("run_by"), r.runBy},
            {QStringLiteral("bill_payments"), r.billPayments},
            {QStringLiteral("bill_refunds"), r.billRefunds},
            {QStringLiteral("matched"), r.matched},
            {QStringLiteral("differences"), r.differences},
            {QStringLiteral("new_differences"), r.newDifferences},
            {QStringLiteral("paid"), minorToPlain(r.paidMinor, 2)},
            {QStringLiteral("refunded"), minorToPlain(r.refundedMinor, 2)},
            {QStringLiteral("fees"), minorToPlain(r.feeMinor, 2)},
            {QStringLiteral("result"), r.result}};
}

QJsonObject differenceJson(const ReconDifference &d)
{
    return {{QStringLiteral("id"), d.id},
            {QStringLiteral("kind"), d.kind},
            {QStringLiteral("ref"), d.ref},
            {QStringLiteral("out_trade_no"), d.outTradeNo},
            {QStringLiteral("out_refund_no"), d.outRefundNo},
            {QStringLiteral("bill_line"), d.billLine},
            {QStringLiteral("ours"), minorToPlain(d.oursMinor, 2)},
            {QStringLiteral("bill"), minorToPlain(d.billMinor, 2)},
            {QStringLiteral("params"), d.params},
            {QStringLiteral("anomaly_id"), d.anomalyId},
            {QStringLiteral("first_run_id"), d.firstRunId}};
}

} // namespace

Result<BillFile> Cli::fetchBill(ChannelKind channel, const QDate &date)
{
    if (Status st = setupChannels(); !st)
        return st.error();
    PaymentChannel *ch = m_services->channels.channel(channel);
    if (!ch)
        return Error::invalid(QStringLiteral("channel.not_configured"), tr("The %1 channel is not set up.").arg(toString(channel)));
    QEventLoop loop;
    std::optional<Result<BillFile>> out;
    BillRequest req;
    req.date = date;
    ch->fetchBill(req, &loop, [&](const ChannelReply<BillFile> &r) {
        if (r.ok())
            out = r.value();
        else
            out = Result<BillFile>(Error{Error::Kind::Channel, QStringLiteral("channel.bill"), r.error().describe()});
        loop.quit();
    });
    if (!out)
        loop.exec();
    if (out->ok() && out->value().status != BillFile::Status::Ready)
        return Error{Error::Kind::Channel,
                     out->value().status == BillFile::Status::NotReady ? QStringLiteral("bill.not_ready") : QStringLiteral("bill.none"),
                     out->value().status == BillFile::Status::NotReady
                         ? tr("The %1 bill of %2 is not ready yet; try again later (%3).").arg(toString(channel), date.toString(Qt::ISODate), out->value().message)
                         : tr("%1 has no bill for %2 (%3).").arg(toString(channel), date.toString(Qt::ISODate), out->value().message)};
    return *out;
}

int Cli::reconRun(ChannelKind channel, const QDate &date, const QString &file, bool import)
{
    auto user = loginUser();
    if (!user)
        return fail(user.error());
    if (Status s = m_services->reconService.checkRole(user.value()); !s)
        return fail(s.error());
    QByteArray content;
    QString name;
    ReconService::Source source = ReconService::Source::Imported;
    if (!file.isEmpty()) {
        QFile f(file);
        if (!f.open(QIODevice::ReadOnly))
            return fail(Error::invalid(QStringLiteral("usage"), tr("Cannot read %1.").arg(file)));
        content = f.readAll();
        name = QFileInfo(file).fileName();
    } else {
        auto bill = fetchBill(channel, date);
        if (!bill)
            return fail(bill.error());
        content = bill->content;
        name = bill->fileName;
        source = ReconService::Source::Fetched;
    }
    auto report = m_services->reconService.run(user.value(), channel, date, content, name, source);
    if (!report)
        return fail(report.error());
    QJsonArray diffs;
    for (const ReconDifference &d : report->differences)
        diffs.append(differenceJson(d));
    if (m_json) {
        QJsonObject o = runJson(report->run);
        o.insert(QStringLiteral("bill_stored"), report->billStored);
        o.insert(QStringLiteral("source"), source == ReconService::Source::Fetched ? QStringLiteral("fetched") : QStringLiteral("imported"));
        o.insert(QStringLiteral("differences_list"), diffs);
        emitJson(o);
    } else {
        say((import ? tr("Imported the %1 bill of %2: %3 matched, %4 differences (%5 new).")
                    : tr("Reconciled %1 for %2: %3 matched, %4 differences (%5 new)."))
                .arg(toString(channel), date.toString(Qt::ISODate))
                .arg(report->run.matched).arg(report->run.differences).arg(report->run.newDifferences));
        for (const ReconDifference &d : report->differences)
            say(QStringLiteral("  %1  %2  ours %3  bill %4").arg(d.kind, -14).arg(d.ref, -24).arg(minorToPlain(d.oursMinor, 2), minorToPlain(d.billMinor, 2)));
    }
    return 0;
}

int Cli::cmdRecon(const QStringList &argv)
{
    auto args = Args::parse(argv, {{QStringLiteral("channel"), QStringLiteral("date"), QStringLiteral("file")}, {}});
    if (!args)
        return fail(args.error());
    const QString sub = args->positional.value(0);
    if (sub == QStringLiteral("list")) {
        auto runs = m_services->reconService.runs();
        if (!runs)
            return fail(runs.error());
        QJsonArray arr;
        for (const ReconRun &r : runs.value())
            arr.append(runJson(r));
        if (m_json) {
            emitJson(arr);
        } else {
            for (const ReconRun &r : runs.value())
                say(QStringLiteral("%1  %2  %3  %4  matched %5  differences %6").arg(r.id, 5).arg(toString(r.channel), -7)
                        .arg(r.date.toString(Qt::ISODate), r.result).arg(r.matched).arg(r.differences));
        }
        return 0;
    }
    if (sub != QStringLiteral("run") && sub != QStringLiteral("show"))
        return usage(tr("Use: recon run --channel C --date D [--file F] | recon list | recon show --channel C --date D."));
    const auto channel = fromString<ChannelKind>(args->value(QStringLiteral("channel")));
    const QDate date = QDate::fromString(args->value(QStringLiteral("date")), Qt::ISODate);
    if (!channel || !date.isValid())
        return usage(tr("recon %1 needs --channel wechat|alipay|sim and --date YYYY-MM-DD.").arg(sub));
    if (sub == QStringLiteral("run"))
        return reconRun(*channel, date, args->value(QStringLiteral("file")), false);
    auto shown = m_services->reconService.show(*channel, date);
    if (!shown)
        return fail(shown.error());
    QJsonArray diffs;
    for (const ReconDifference &d : shown->differences)
        diffs.append(differenceJson(d));
    if (m_json) {
        QJsonObject o = runJson(shown->run);
        o.insert(QStringLiteral("differences_list"), diffs);
        emitJson(o);
    } else {
        say(tr("%1 %2: %3, %4 matched, %5 differences (run %6 by %7).").arg(toString(*channel), date.toString(Qt::ISODate), shown->run.result)
                .arg(shown->run.matched).arg(shown->run.differences).arg(shown->run.id).arg(shown->run.runBy));
        for (const ReconDifference &d : shown->differences)
            say(QStringLiteral("  %1  %2  ours %3  bill %4").arg(d.kind, -14).arg(d.ref, -24).arg(minorToPlain(d.oursMinor, 2), minorToPlain(d.billMinor, 2)));
    }
    return 0;
}

int Cli::cmdBill(const QStringList &argv)
{
    auto args = Args::parse(argv, {{QStringLiteral("channel"), QStringLiteral("date"), QStringLiteral("file"), QStringLiteral("out")}, {}});
    if (!args)
        return fail(args.error());
    const QString sub = args->positional.value(0);
    const auto channel = fromString<ChannelKind>(args->value(QStringLiteral("channel")));
    const QDate date = QDate::fromString(args->value(QStringLiteral("date")), Qt::ISODate);
    if (sub == QStringLiteral("import")) {
        if (!channel || !args->has(QStringLiteral("file")) || !date.isValid())
            return usage(tr("Use: bill import --channel C --file F --date YYYY-MM-DD."));
        return reconRun(*channel, date, args->value(QStringLiteral("file")), true);
    }
    if (sub == QStringLiteral("fetch")) {
        if (!channel || !date.isValid() || !args->has(QStringLiteral("out")))
            return usage(tr("Use: bill fetch --channel C --date YYYY-MM-DD --out F."));
        auto user = loginUser();
        if (!user)
            return fail(user.error());
        if (Status s = m_services->reconService.checkRole(user.value()); !s)
            return fail(s.error());
        auto bill = fetchBill(*channel, date);
        if (!bill)
            return fail(bill.error());
        QSaveFile out(args->value(QStringLiteral("out")));
        if (!out.open(QIODevice::WriteOnly) || out.write(bill->content) != bill->content.size() || !out.commit())
            return fail(Error::invalid(QStringLiteral("usage"), tr("Cannot write %1.").arg(args->value(QStringLiteral("out")))));
        if (m_json)
            emitJson(QJsonObject{{QStringLiteral("file"), args->value(QStringLiteral("out"))}, {QStringLiteral("name"), bill->fileName},
                                 {QStringLiteral("bytes"), bill->content.size()}, {QStringLiteral("hash_type"), bill->hashType},
                                 {QStringLiteral("hash_value"), bill->hashValue}});
        else
            say(tr("Wrote the %1 bill of %2 (%3 bytes) to %4.").arg(toString(*channel), date.toString(Qt::ISODate)).arg(bill->content.size())
                    .arg(args->value(QStringLiteral("out"))));
        return 0;
    }
    return usage(tr("Use: bill import --channel C --file F --date D | bill fetch --channel C --date D --out F."));
}
