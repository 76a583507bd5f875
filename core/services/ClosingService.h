#pragma once

#include "storage/ClosingRepository.h"

#include <QCoreApplication>

namespace paydesk {

class AuditLog;
class Clock;
class ReconRepository;
class UserDirectory;

/// Shift and day close (Z reports, issue 15). A clerk closes their shift: the payments and
/// refunds of the orders they took since their last close, by channel, and their orders still
/// pending. Finance closes a business day once it is over (Beijing time, as the channels'
/// bills count days): every order's money that day. Both are kept as closed (who, when,
/// totals) and audited; a closed day is compared with that day's reconciliation.
class ClosingService final
{
    Q_DECLARE_TR_FUNCTIONS(ClosingService)
public:
    ClosingService(Database &db, ClosingRepository &closings, ReconRepository &recon, AuditLog &audit, UserDirectory &users,
                   const Clock &clock)
        : m_db(db), m_closings(closings), m_recon(recon), m_audit(audit), m_users(users), m_clock(clock) {}

    /// The business day (Beijing) of an instant, and when a day starts.
    static QDate businessDate(qint64 ms);
    static qint64 dayStartMs(const QDate &date);
    /// The last business day that is over (yesterday, by the books' clock).
    QDate lastDayOver() const;

    /// What `login`'s shift would report now (not closed: closedAt 0).
    Result<Closing> shiftReport(const QString &login);
    /// Closes it: kept and audited; the next shift starts here.
    Result<Closing> closeShift(const QString &login);
    /// What the day would report (FINANCE or ADMIN), or its closing if it was closed.
    Result<Closing> dayReport(const QString &login, const QDate &date);
    /// Closes a day that is over, once.
    Result<Closing> closeDay(const QString &login, const QDate &date);

    /// A closed day beside a channel's bill of that day.
    struct BillCheck
    {
        ChannelKind channel = ChannelKind::Sim;
        bool reconciled = false;  ///< a reconciliation of the day exists
        QString result;           ///< its result (MATCHED, DIFFERENCES)
        qint64 billPaidMinor = 0, billRefundedMinor = 0;
        qint64 booksPaidMinor = 0, booksRefundedMinor = 0;
        bool agrees() const { return reconciled && billPaidMinor == booksPaidMinor && billRefundedMinor == booksRefundedMinor; }
    };
    Result<QList<BillCheck>> compareWithBills(const Closing &day);

private:
    Result<Closing> shiftWindow(const QString &login);
    Database &m_db;
    ClosingRepository &m_closings;
    ReconRepository &m_recon;
    AuditLog &m_audit;
    UserDirectory &m_users;
    const Clock &m_clock;
};

} // namespace paydesk
