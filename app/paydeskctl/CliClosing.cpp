// paydeskctl shift / day / closing: Z reports (issue 15). A clerk closes their shift, finance
// closes a business day once it is over (compared with the channels' bills of that day).
#include "Cli.h"

#include <QJsonArray>
#include <QJsonObject>

using namespace paydesk;

namespace {

QJsonObject closingJson(const Closing &c)
{
    QJsonObject o{{QStringLiteral("kind"), toString(c.kind)},
                  {QStringLiteral("business_date"), c.businessDate.toString(Qt::ISODate)},
                  {QStringLiteral("from"), c.fromMs},
                  {QStringLiteral("to"), c.toMs},
                  {QStringLiteral("totals"), c.totals.toJson()},
                  {QStringLiteral("closed"), c.closedAt > 0}};
    if (c.id > 0)
        o.insert(QStringLiteral("id"), c.id);
    if (!c.login.isEmpty())
        o.insert(QStringLiteral("login"), c.login);
    if (c.closedAt > 0) {
        o.insert(QStringLiteral("closed_by"), c.closedBy);
        o.insert(QStringLiteral("closed_at"), c.closedAt);
    }
    return o;
}

} // namespace

int Cli::cmdClosing(const QString &verb, const QStringList &argv)
{
    auto args = Args::parse(argv, {{QStringLiteral("date")}, {}});
    if (!args)
        return fail(args.error());
    const QString sub = args->positional.value(0);
    Services &s = *m_services;
    if (verb == QStringLiteral("closing")) {
        if (sub != QStringLiteral("list"))
            return usage(tr("Use: closing list."));
        auto rows = s.closings.list();
        if (!rows)
            return fail(rows.error());
        QJsonArray arr;
        for (const Closing &c : rows.value())
            arr.append(closingJson(c));
        if (m_json) {
            emitJson(arr);
        } else {
            for (const Closing &c : rows.value())
                say(QStringLiteral("%1  %2  %3  %4  paid %5  refunded %6  net %7  by %8").arg(c.id, 4).arg(toString(c.kind), -5)
                        .arg(c.businessDate.toString(Qt::ISODate), c.login, minorToPlain(c.totals.paidMinor(), 2),
                             minorToPlain(c.totals.refundedMinor(), 2), minorToPlain(c.totals.netMinor(), 2), c.closedBy));
        }
        return 0;
    }
    if (sub != QStringLiteral("report") && sub != QStringLiteral("close"))
        return usage(verb == QStringLiteral("shift") ? tr("Use: shift report | shift close.")
                                                     : tr("Use: day report --date YYYY-MM-DD | day close --date YYYY-MM-DD."));
    auto user = loginUser();
    if (!user)
        return fail(user.error());
    Result<Closing> r = Error::invalid(QStringLiteral("usage"), QString());
    QList<ClosingService::BillCheck> bills;
    if (verb == QStringLiteral("shift")) {
        r = sub == QStringLiteral("close") ? s.closingService.closeShift(user->login) : s.closingService.shiftReport(user->login);
    } else {
        const QDate date = args->has(QStringLiteral("date")) ? QDate::fromString(args->value(QStringLiteral("date")), Qt::ISODate)
                                                             : s.closingService.lastDayOver();
        if (!date.isValid())
            return usage(tr("--date takes YYYY-MM-DD."));
        r = sub == QStringLiteral("close") ? s.closingService.closeDay(user->login, date) : s.closingService.dayReport(user->login, date);
        if (r)
            if (auto b = s.closingService.compareWithBills(r.value()))
                bills = b.value();
    }
    if (!r)
        return fail(r.error());
    const Closing &c = r.value();
    if (m_json) {
        QJsonObject o = closingJson(c);
        if (verb == QStringLiteral("day")) {
            QJsonArray arr;
            for (const auto &b : bills)
                arr.append(QJsonObject{{QStringLiteral("channel"), toString(b.channel)},
                                       {QStringLiteral("reconciled"), b.reconciled},
                                       {QStringLiteral("result"), b.result},
                                       {QStringLiteral("bill_paid"), minorToPlain(b.billPaidMinor, 2)},
                                       {QStringLiteral("bill_refunded"), minorToPlain(b.billRefundedMinor, 2)},
                                       {QStringLiteral("agrees"), b.agrees()}});
            o.insert(QStringLiteral("bills"), arr);
        }
        emitJson(o);
        return 0;
    }
    say(tr("%1 %2 (%3): paid %4, refunded %5, net %6; %7 order(s) still pending.")
            .arg(toString(c.kind), c.kind == Closing::Kind::Shift ? c.login : c.businessDate.toString(Qt::ISODate),
                 c.closedAt > 0 ? tr("closed by %1").arg(c.closedBy) : tr("not closed"), minorToPlain(c.totals.paidMinor(), 2),
                 minorToPlain(c.totals.refundedMinor(), 2), minorToPlain(c.totals.netMinor(), 2))
            .arg(c.totals.pendingOrders));
    for (const auto &b : bills)
        say(b.reconciled ? tr("  %1 bill: paid %2, refunded %3: %4").arg(toString(b.channel), minorToPlain(b.billPaidMinor, 2),
                                                                         minorToPlain(b.billRefundedMinor, 2),
                                                                         b.agrees() ? tr("agrees") : tr("differs"))
                         : tr("  %1: not reconciled yet").arg(toString(b.channel)));
    return 0;
}
