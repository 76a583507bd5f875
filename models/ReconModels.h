#pragma once

#include "RowTableModel.h"

#include "storage/ReconRepository.h"

#include <QMap>
#include <QObject>

namespace paydesk {

class DbWorker;

/// A reconciliation run with our books' totals of the same channel and day beside the bill's.
struct ReconRunRow
{
    ReconRun run;
    ReconBookDay books; ///< what our books say now for that channel's day
    qint64 billNetMinor() const { return run.paidMinor - run.refundedMinor - run.feeMinor; }
    qint64 bookNetMinor() const { return books.paidMinor - books.refundedMinor; }
};

/// The reconciliation runs, by bill day (newest first), channel, then newest run first
/// (Reconciliation page). Read on the DbWorker, so a
/// long history never freezes the window; `loaded` follows every reload.
class ReconRunModel final : public RowTableModel<ReconRunRow>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReconRunModel)
public:
    enum Column {
        Channel, Day, Result, Matched, BillPaid, BookPaid, BillRefunded, BookRefunded, BillFees, BillNet, BookNet, RunAt, RunBy,
        ColumnCount
    };
    ReconRunModel(ReconRepository &recon, DbWorker &worker, QObject *parent = nullptr)
        : RowTableModel(parent), m_recon(recon), m_worker(worker) {}
    /// Reads the runs again in the background; `loaded` (or `queryFailed`) follows.
    void reload();
    bool isLoading() const { return m_loading; }
    /// The row of the run with this id, or -1.
    int rowOfRun(qint64 runId) const;
    /// The first (newest) row of a bill day, or -1.
    int rowOfDay(const QDate &day) const;

    /// What a day of the reconciliation calendar shows: the newest run of each channel that
    /// day decides (an older run's differences may have been settled by a re-run).
    enum class DayResult { Matched, Differences };
    static QMap<QDate, DayResult> dayResults(const QList<ReconRunRow> &rows);
    QMap<QDate, DayResult> dayResults() const { return dayResults(rows()); }

signals:
    void loaded();
    void queryFailed(const QString &message);

protected:
    int columns() const override { return ColumnCount; }
    QVariant header(int column) const override;
    QVariant cell(const ReconRunRow &r, int column, int role) const override;

private:
    ReconRepository &m_recon;
    DbWorker &m_worker;
    quint64 m_generation = 0;
    bool m_loading = false;
};

/// The differences one run found (or kept from an earlier run of the day), with the order
/// each is about and the state of its anomaly.
class ReconDifferenceModel final : public RowTableModel<ReconDifferenceRow>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReconDifferenceModel)
public:
    enum Column { Kind, Payment, RefundNo, Order, BillAmount, BookAmount, State, BillLine, Detail, ColumnCount };
    ReconDifferenceModel(ReconRepository &recon, DbWorker &worker, QObject *parent = nullptr)
        : RowTableModel(parent), m_recon(recon), m_worker(worker) {}
    /// Shows the differences of run `runId` (0: none), read in the background.
    void load(qint64 runId);
    qint64 runId() const { return m_runId; }
    bool isLoading() const { return m_loading; }

    /// "Payment at the channel only" for LONG, and so on.
    static QString kindLabel(const QString &kind);
    /// What the kind means, for the tooltip.
    static QString kindHelp(const QString &kind);

signals:
    void loaded();
    void queryFailed(const QString &message);

protected:
    int columns() const override { return ColumnCount; }
    QVariant header(int column) const override;
    QVariant cell(const ReconDifferenceRow &r, int column, int role) const override;

private:
    ReconRepository &m_recon;
    DbWorker &m_worker;
    qint64 m_runId = 0;
    quint64 m_generation = 0;
    bool m_loading = false;
};

} // namespace paydesk
