// paydeskctl fixup: corrections of the books with four eyes (issue 15). `fixup mark-paid`
// records money that arrived without any answer; another FINANCE user's `fixup approve` asks
// the channel first (FixupService decides what its answer allows).
#include "Cli.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonObject>

using namespace paydesk;

namespace {

QJsonObject fixupJson(const Fixup &f)
{
    return {{QStringLiteral("id"), f.id},
            {QStringLiteral("kind"), f.kind},
            {QStringLiteral("order_no"), f.orderNo},
            {QStringLiteral("out_trade_no"), f.outTradeNo},
            {QStringLiteral("channel"), toString(f.channel)},
            {QStringLiteral("channel_txn_id"), f.channelTxnId},
            {QStringLiteral("amount"), minorToPlain(f.amountMinor, 2)},
            {QStringLiteral("currency"), f.currency},
            {QStringLiteral("reason"), f.reason},
            {QStringLiteral("state"), toString(f.state)},
            {QStringLiteral("requested_by"), f.requestedBy},
            {QStringLiteral("requested_at"), f.requestedAt},
            {QStringLiteral("reviewed_by"), f.reviewedBy},
            {QStringLiteral("reviewed_at"), f.reviewedAt},
            {QStringLiteral("review_note"), f.reviewNote},
            {QStringLiteral("verification"), toString(f.verification)}};
}

} // namespace

int Cli::cmdFixup(const QStringList &argv)
{
    auto args = Args::parse(argv, {{QStringLiteral("order"), QStringLiteral("txn"), QStringLiteral("reason"), QStringLiteral("payment"),
                                    QStringLiteral("note"), QStringLiteral("state")},
                                   {}});
    if (!args)
        return fail(args.error());
    const QString sub = args->positional.value(0);
    Services &s = *m_services;
    if (sub == QStringLiteral("list")) {
        std::optional<FixupState> state;
        if (args->has(QStringLiteral("state"))) {
            state = fromString<FixupState>(args->value(QStringLiteral("state")));
            if (!state)
                return usage(tr("Unknown fix-up state \"%1\" (REQUESTED, APPLIED, REJECTED).").arg(args->value(QStringLiteral("state"))));
        }
        auto rows = s.fixups.list(state);
        if (!rows)
            return fail(rows.error());
        if (m_json) {
            QJsonArray arr;
            for (const Fixup &f : rows.value())
                arr.append(fixupJson(f));
            emitJson(arr);
        } else {
            for (const Fixup &f : rows.value())
                say(QStringLiteral("%1  %2  %3  %4  %5  %6  %7").arg(f.id, 4).arg(f.orderNo, -22).arg(f.channelTxnId, -30)
                        .arg(minorToPlain(f.amountMinor, 2), 10).arg(toString(f.state), -9).arg(f.requestedBy, -8)
                        .arg(f.reviewedBy.isEmpty() ? f.reason : f.reviewedBy + QStringLiteral(" ") + toString(f.verification)));
        }
        return 0;
    }
    const bool markPaid = sub == QStringLiteral("mark-paid");
    const bool decide = sub == QStringLiteral("approve") || sub == QStringLiteral("reject");
    if (!markPaid && !decide)
        return usage(tr("Use: fixup mark-paid --order ORDER_NO --txn TRANSACTION_ID --reason R [--payment OUT_TRADE_NO] | "
                        "fixup approve ID [--note N] | fixup reject ID --note N | fixup list [--state S]."));
    if (markPaid && (!args->has(QStringLiteral("order")) || !args->has(QStringLiteral("txn"))))
        return usage(tr("fixup mark-paid needs --order ORDER_NO, --txn TRANSACTION_ID and --reason R."));
    bool ok = false;
    const qint64 id = decide ? args->positional.value(1).toLongLong(&ok) : 0;
    if (decide && (!ok || id <= 0 || args->positional.size() != 2))
        return usage(tr("Use: fixup %1 ID (the number `fixup list` shows).").arg(sub));
    auto user = loginUser();
    if (!user)
        return fail(user.error());

    if (markPaid) {
        FixupService::MarkPaid req;
        req.orderNo = args->value(QStringLiteral("order"));
        req.channelTxnId = args->value(QStringLiteral("txn"));
        req.reason = args->value(QStringLiteral("reason"));
        req.outTradeNo = args->value(QStringLiteral("payment"));
        auto f = s.fixupService.requestMarkPaid(user->login, req);
        if (!f)
            return fail(f.error());
        if (m_json)
            emitJson(fixupJson(f.value()));
        else
            say(tr("Fix-up %1 asks to mark payment %2 of order %3 paid with transaction %4; another FINANCE user approves it "
                   "with `fixup approve %1`.")
                    .arg(QString::number(f->id), f->outTradeNo, f->orderNo, f->channelTxnId));
        return 0;
    }
    const QString note = args->value(QStringLiteral("note"));
    if (sub == QStringLiteral("reject")) {
        auto f = s.fixupService.reject(user->login, id, note);
        if (!f)
            return fail(f.error());
        if (m_json)
            emitJson(fixupJson(f.value()));
        else
            say(tr("Fix-up %1 rejected.").arg(id));
        return 0;
    }
    // Approve: the channel is asked first.
    if (Status st = setupChannels(); !st)
        return fail(st.error());
    QEventLoop loop;
    std::optional<Result<FixupService::Decided>> out;
    s.fixupService.approve(user->login, id, note, &loop, [&](const Result<FixupService::Decided> &r) {
        out = r;
        loop.quit();
    });
    if (!out)
        loop.exec();
    if (!*out)
        return fail(out->error());
    const FixupService::Decided &d = out->value();
    if (m_json) {
        QJsonObject o = fixupJson(d.fixup);
        o.insert(QStringLiteral("order_state"), d.orderState);
        o.insert(QStringLiteral("message"), d.message);
        emitJson(o);
    } else {
        say(d.message);
    }
    return 0;
}
