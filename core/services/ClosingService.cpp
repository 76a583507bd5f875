#include "services/ClosingService.h"

#include "domain/SystemText.h"
#include "storage/AuditLog.h"
#include "storage/ReconRepository.h"
#include "storage/UserDirectory.h"
#include "util/Clock.h"

#include <QDateTime>
#include <QTimeZone>

namespace paydesk {

namespace {
const QTimeZone kBeijing(8 * 3600);
}

QDate ClosingService::businessDate(qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, kBeijing).date(); }

qint64 ClosingService::dayStartMs(const QDate &date) { return date.startOfDay(kBeijing).toMSecsSinceEpoch(); }

QDate ClosingService::lastDayOver() const { return businessDate(m_clock.nowMs()).addDays(-1); }

Result<Closing> ClosingService::shiftWindow(const QString &login)
{
    const auto me = m_users.actor(login);
    if (!me)
        return me.error();
    if (me->role != Role::Clerk && me->role != Role::Admin)
        return Error::forbidden(QStringLiteral("role.counter"),
                                tr("A shift is closed by counter staff (CLERK or ADMIN); %1 is %2.").arg(login, SystemText::of(me->role)));
    auto last = m_closings.lastShiftEnd(login);
    if (!last)
        return last.error();
    Closing c;
    c.kind = Closing::Kind::Shift;
    c.login = login;
    c.toMs = m_clock.nowMs() + 1; // up to and including now: the next shift starts after it
    // Since the last close; a first shift starts with the day.
    c.fromMs = last.value() > 0 ? last.value() : dayStartMs(businessDate(c.toMs));
    c.businessDate = businessDate(c.toMs);
    return c;
}

Result<Closing> ClosingService::shiftReport(const QString &login)
{
    auto c = shiftWindow(login);
    if (!c)
        return c.error();
    Closing out = c.value();
    auto t = m_closings.totals(out.fromMs, out.toMs, login);
    if (!t)
        return t.error();
    out.totals = t.value();
    return out;
}

Result<Closing> ClosingService::closeShift(const QString &login)
{
    auto c = shiftWindow(login);
    if (!c) {
        m_audit.recordRefusal(login, QStringLiteral("shift.close.refused"), QStringLiteral("shift:") + login,
                              {{QStringLiteral("code"), c.error().code}, {QStringLiteral("message"), c.error().message}});
        return c.error();
    }
    Closing out = c.value();
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    // Read again inside the write lock: two windows closing the same shift make one closing.
    auto last = ClosingRepository::lastShiftEnd(tx.connection(), login);
    if (!last)
        return last.error();
    if (last.value() > out.fromMs)
        out.fromMs = last.value();
    auto t = ClosingRepository::totals(tx.connection(), out.fromMs, out.toMs, login);
    if (!t)
        return t.error();
    out.totals = t.value();
    out.closedBy = login;
    out.closedAt = out.toMs;
    if (Status s = m_closings.insert(tx.connection(), out); !s)
        return s.error();
    QJsonObject details = out.totals.toJson();
    details.insert(QStringLiteral("from"), out.fromMs);
    details.insert(QStringLiteral("to"), out.toMs);
    if (Status s = m_audit.append(tx, login, QStringLiteral("shift.close"), QStringLiteral("closing:") + QString::number(out.id), details); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return out;
}

Result<Closing> ClosingService::dayReport(const QString &login, const QDate &date)
{
    const auto me = m_users.actor(login);
    if (!me)
        return me.error();
    if (me->role != Role::Finance && me->role != Role::Admin)
        return Error::forbidden(QStringLiteral("role.finance_only"),
                                tr("A day is closed by FINANCE or ADMIN users; %1 is %2.").arg(login, SystemText::of(me->role)));
    if (!date.isValid())
        return Error::invalid(QStringLiteral("closing.bad_date"), tr("Give the day as YYYY-MM-DD."));
    auto closed = m_closings.dayClosing(date);
    if (!closed)
        return closed.error();
    if (closed.value())
        return *closed.value();
    Closing c;
    c.kind = Closing::Kind::Day;
    c.businessDate = date;
    c.fromMs = dayStartMs(date);
    c.toMs = dayStartMs(date.addDays(1));
    auto t = m_closings.totals(c.fromMs, c.toMs, QString());
    if (!t)
        return t.error();
    c.totals = t.value();
    return c;
}

Result<Closing> ClosingService::closeDay(const QString &login, const QDate &date)
{
    auto refuse = [&](const Error &e) -> Result<Closing> {
        m_audit.recordRefusal(login, QStringLiteral("day.close.refused"), QStringLiteral("day:") + date.toString(Qt::ISODate),
                              {{QStringLiteral("code"), e.code}, {QStringLiteral("message"), e.message}});
        return e;
    };
    auto report = dayReport(login, date);
    if (!report)
        return refuse(report.error());
    if (report->closedAt > 0)
        return refuse(Error::conflict(QStringLiteral("closing.day_closed"),
                                      tr("%1 was closed already, by %2.").arg(date.toString(Qt::ISODate), report->closedBy)));
    const qint64 now = m_clock.nowMs();
    if (report->toMs > now)
        return refuse(Error::conflict(QStringLiteral("closing.day_not_over"),
                                      tr("%1 is not over yet; close it once the day has ended.").arg(date.toString(Qt::ISODate))));
    Closing out = report.value();
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    auto t = ClosingRepository::totals(tx.connection(), out.fromMs, out.toMs, QString());
    if (!t)
        return t.error();
    out.totals = t.value();
    out.closedBy = login;
    out.closedAt = now;
    if (Status s = m_closings.insert(tx.connection(), out); !s) {
        tx.rollback();
        return refuse(s.error());
    }
    QJsonObject details = out.totals.toJson();
    details.insert(QStringLiteral("date"), date.toString(Qt::ISODate));
    if (Status s = m_audit.append(tx, login, QStringLiteral("day.close"), QStringLiteral("closing:") + QString::number(out.id), details); !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return out;
}

Result<QList<ClosingService::BillCheck>> ClosingService::compareWithBills(const Closing &day)
{
    QList<BillCheck> out;
    for (const ClosingTotals::Channel &c : day.totals.channels) {
        if (c.channel == ChannelKind::Sim && c.payments == 0 && c.refunds == 0)
            continue;
        BillCheck b;
        b.channel = c.channel;
        b.booksPaidMinor = c.paidMinor;
        b.booksRefundedMinor = c.refundedMinor;
        auto run = m_recon.latestRun(c.channel, day.businessDate);
        if (!run)
            return run.error();
        if (run.value()) {
            b.reconciled = true;
            b.result = run.value()->result;
            b.billPaidMinor = run.value()->paidMinor;
            b.billRefundedMinor = run.value()->refundedMinor;
        }
        out << b;
    }
    return out;
}

} // namespace paydesk
