#pragma once

#include "RowTableModel.h"

#include "services/RefundService.h"
#include "storage/AnomalyRepository.h"
#include "storage/AuditLog.h"
#include "storage/FixupRepository.h"
#include "storage/OrderRepository.h"
#include "storage/UserDirectory.h"
#include "util/Clock.h"

#include <QObject>

namespace paydesk {

/// Roles shared by the small list models.
enum ListRole {
    RawRole = Qt::UserRole + 100, ///< the row's key (id, out_refund_no, login ...)
    MinorRole,                    ///< money columns: minor units
    StateColourRole,              ///< a QColor for chip-painted state columns
};

/// The payment attempts of one order (detail pane).
class AttemptModel final : public RowTableModel<PaymentAttempt>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AttemptModel)
public:
    enum Column { OutTradeNo, Channel, Amount, State, Created, Expires, Paid, LastError, ColumnCount };
    using RowTableModel::RowTableModel;
    Status load(OrderRepository &orders, qint64 orderId);

protected:
    int columns() const override { return ColumnCount; }
    QVariant header(int column) const override;
    QVariant cell(const PaymentAttempt &a, int column, int role) const override;
};

/// Refunds with their order: one order's refunds in the detail pane, or a list by state.
class RefundModel final : public RowTableModel<RefundService::Row>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RefundModel)
public:
    enum Column { RefundNo, OrderNo, Payment, Amount, State, RequestedBy, Reason, Requested, ReviewedBy, Note, ColumnCount };
    using RowTableModel::RowTableModel;
    Status load(RefundService &refunds, const RefundService::Filter &filter);

protected:
    int columns() const override { return ColumnCount; }
    QVariant header(int column) const override;
    QVariant cell(const RefundService::Row &r, int column, int role) const override;
};

/// Finance's queue: REQUESTED refunds, oldest first, with their age.
class ReviewQueueModel final : public RowTableModel<RefundService::Row>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReviewQueueModel)
public:
    enum Column { RefundNo, OrderNo, Payment, Amount, RequestedBy, Reason, Age, ChannelSaid, ColumnCount };
    ReviewQueueModel(RefundService &refunds, const Clock &clock, QObject *parent = nullptr)
        : RowTableModel(parent), m_refunds(refunds), m_clock(clock) {}
    /// Which queue: REQUESTED (waiting for review, the default) or FAILED (refused by the
    /// channel, to be sent again); loaded at the next reload().
    void setState(RefundState state) { m_state = state; }
    RefundState state() const { return m_state; }
    Status reload();

protected:
    int columns() const override { return ColumnCount; }
    QVariant header(int column) const override;
    QVariant cell(const RefundService::Row &r, int column, int role) const override;

private:
    RefundService &m_refunds;
    const Clock &m_clock;
    RefundState m_state = RefundState::Requested;
};

/// What happened to an order, from the audit log (its own entries and its refunds').
class TimelineModel final : public RowTableModel<AuditEntry>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelineModel)
public:
    /// Entry: the entry as a sentence ("Admin approved refund RF1 of ¥12.00").
    enum Column { Time, Entry, ColumnCount };
    using RowTableModel::RowTableModel;
    /// Entries whose object is one of `objects` ("order:PD...", "refund:RF..."), oldest first.
    Status load(AuditLog &audit, const QStringList &objects);
    /// The raw entries (actor, action, object, JSON details) instead of sentences.
    void setShowRaw(bool raw);
    bool showRaw() const { return m_showRaw; }

protected:
    int columns() const override { return ColumnCount; }
    QVariant header(int column) const override;
    QVariant cell(const AuditEntry &e, int column, int role) const override;

private:
    bool m_showRaw = false;
};

using AnomalyRow = AnomalyListing;

/// Anomalies joined with their order numbers (a read-only SQL helper of its own).
class AnomalyModel final : public RowTableModel<AnomalyRow>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AnomalyModel)
public:
    enum Column { Id, Kind, OrderNo, State, Details, Created, Resolution, ResolvedBy, ColumnCount };
    AnomalyModel(AnomalyRepository &anomalies, QObject *parent = nullptr) : RowTableModel(parent), m_anomalies(anomalies) {}
    /// nullopt: all states.
    Status reload(std::optional<AnomalyState> state, int limit = 1000);

protected:
    int columns() const override { return ColumnCount; }
    QVariant header(int column) const override;
    QVariant cell(const AnomalyRow &r, int column, int role) const override;

private:
    AnomalyRepository &m_anomalies;
};

/// Fix-ups (mark paid) for finance's review, newest first.
class FixupModel final : public RowTableModel<Fixup>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FixupModel)
public:
    enum Column { Id, OrderNo, Payment, Transaction, Amount, RequestedBy, Requested, Reason, State, ColumnCount };
    FixupModel(FixupRepository &fixups, QObject *parent = nullptr) : RowTableModel(parent), m_fixups(fixups) {}
    /// nullopt: all states.
    Status reload(std::optional<FixupState> state);

protected:
    int columns() const override { return ColumnCount; }
    QVariant header(int column) const override;
    QVariant cell(const Fixup &f, int column, int role) const override;

private:
    FixupRepository &m_fixups;
};

/// Staff accounts (Settings page).
class UserModel final : public RowTableModel<User>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UserModel)
public:
    enum Column { Login, Name, Role_, Active, ColumnCount };
    UserModel(UserDirectory &users, QObject *parent = nullptr) : RowTableModel(parent), m_users(users) {}
    Status reload();

protected:
    int columns() const override { return ColumnCount; }
    QVariant header(int column) const override;
    QVariant cell(const User &u, int column, int role) const override;

private:
    UserDirectory &m_users;
};

} // namespace paydesk
