#pragma once

#include "domain/Fixup.h"
#include "util/Result.h"

#include <QObject>

#include <functional>

namespace paydesk {

class AuditLog;
class ChannelRegistry;
class Clock;
class Database;
class FixupRepository;
class OrderRepository;
class Reconciler;
class Transaction;
class UserDirectory;

/// Fix-ups with four eyes (issue 15). "Mark paid": a CLERK or FINANCE user names the
/// channel's transaction id of money that arrived without any answer, and why; another
/// FINANCE user approves. Before anything changes the channel is asked once more, and its
/// verified answer decides: paid with that transaction -> applied as that answer; not paid,
/// another transaction or an answer that cannot be verified -> refused, nothing changes.
/// Only when the channel cannot be reached at all does the approver's word stand (recorded
/// as UNREACHABLE; the day's bill checks it). What an approval does to the order goes
/// through the Reconciler, the one place payments become books.
class FixupService final : public QObject
{
    Q_OBJECT
public:
    FixupService(Database &db, OrderRepository &orders, FixupRepository &fixups, Reconciler &reconciler, ChannelRegistry &channels,
                 AuditLog &audit, UserDirectory &users, const Clock &clock, QObject *parent = nullptr)
        : QObject(parent), m_db(db), m_orders(orders), m_fixups(fixups), m_reconciler(reconciler), m_channels(channels),
          m_audit(audit), m_users(users), m_clock(clock) {}

    struct MarkPaid
    {
        QString orderNo;
        QString channelTxnId;
        QString reason;
        QString outTradeNo; ///< which payment; empty: the order's newest unpaid one
    };
    /// Records the request (REQUESTED) and audits it. Refused: an order already paid, a
    /// transaction id that is not one or is already in the books, no reason.
    Result<Fixup> requestMarkPaid(const QString &login, const MarkPaid &request);

    struct Decided
    {
        Fixup fixup;
        QString orderState; ///< what the order is now ("PAID", or "CLOSED" with money after close)
        QString message;    ///< what happened, in words
    };
    /// Approves fix-up `id` as `login` (an active FINANCE user who did not request it), after
    /// asking the channel. `done` runs on `context`'s thread.
    void approve(const QString &login, qint64 id, const QString &note, QObject *context,
                 std::function<void(const Result<Decided> &)> done);
    /// Rejects it (any FINANCE user, its requester too: a request taken back); a note is required.
    Result<Fixup> reject(const QString &login, qint64 id, const QString &note);

signals:
    /// An approval changed the books.
    void booksChanged();

private:
    Q_DISABLE_COPY_MOVE(FixupService)
    /// Applies the payment (the channel's verified status, or the approver's word) and decides the fix-up, in one transaction.
    Result<Decided> apply(const QString &login, const Fixup &f, const QString &note, FixupVerification how, qint64 paidAtMs);
    Error refuse(const QString &login, const QString &action, qint64 id, const Error &e);
    Error refuseIn(Transaction &tx, const QString &login, const QString &action, qint64 id, const Error &e);

    Database &m_db;
    OrderRepository &m_orders;
    FixupRepository &m_fixups;
    Reconciler &m_reconciler;
    ChannelRegistry &m_channels;
    AuditLog &m_audit;
    UserDirectory &m_users;
    const Clock &m_clock;
};

} // namespace paydesk
