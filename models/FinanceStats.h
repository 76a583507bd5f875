#pragma once

#include "storage/Database.h"

#include <QAbstractTableModel>
#include <QDate>
#include <QList>

namespace paydesk {

/// Finance figures over a date range, aggregated in SQL (never by loading rows). Money stays
/// in minor units here; charts convert to display units at their very last step.
struct FinanceReport
{
    QDate first;        ///< first day shown (local)
    QDate last;         ///< last day shown (inclusive)
    QString currency = QStringLiteral("CNY");
    struct Day
    {
        QDate date;
        qint64 paidMinor = 0;      ///< money received (successful payments by their paid time)
        qint64 paidCount = 0;
        qint64 refundedMinor = 0;  ///< money returned (succeeded refunds by completion time)
        qint64 refundedCount = 0;
        /// The channels' fees of the day as their bills say (the latest reconciliation of each
        /// channel's bill of that day); only known where a bill was reconciled.
        qint64 feeMinor = 0;
        int feeBills = 0; ///< how many channels' bills of the day were reconciled
        qint64 netMinor() const { return paidMinor - refundedMinor; }
        bool hasFees() const { return feeBills > 0; }
        qint64 netAfterFeesMinor() const { return netMinor() - feeMinor; }
    };
    QList<Day> days;    ///< every day of the range, zero-filled
    struct Split
    {
        QString key;    ///< state or channel name as stored ("PAID", "wechat")
        qint64 count = 0;
        qint64 minor = 0;
    };
    QList<Split> states;    ///< orders created in the range, by state
    QList<Split> channels;  ///< payments received in the range, by channel
    QList<Split> backlog;   ///< refunds not finished yet (requested, approved, processing, failed), now
    qint64 elapsedMs = 0;

    qint64 totalPaid() const;
    qint64 totalRefunded() const;
    qint64 totalFees() const;      ///< over the days with a reconciled bill
    qint64 totalNetAfterFees() const; ///< net minus fees over the days with a reconciled bill
    int daysWithFees() const;
};

class FinanceStats final
{
    Q_DECLARE_TR_FUNCTIONS(FinanceStats)
public:
    /// Local days [first, last]; day boundaries in the local time zone. Safe on any thread
    /// (uses that thread's connection).
    static Result<FinanceReport> compute(Database &db, QDate first, QDate last);
};

/// One table behind a chart: a few labelled columns, money kept in minor units (MinorRole)
/// and formatted for display. The same table is what "Export CSV" writes.
class FinanceTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FinanceTableModel)
public:
    enum class Table { Daily, States, Channels, Backlog };
    static constexpr int MinorRole = Qt::UserRole + 1; ///< qint64 for money cells, count otherwise
    static constexpr int KeyRole = Qt::UserRole + 2;   ///< the stored key of a split row

    explicit FinanceTableModel(Table table, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;

    void setReport(const FinanceReport &report);
    Table table() const { return m_table; }
    bool isMoneyColumn(int column) const;
    /// Minor units (money) or a count at row/column.
    qint64 value(int row, int column) const;
    /// Daily table: whether the row's fee columns are known (a bill of that day was reconciled).
    bool hasFees(int row) const { return row >= 0 && row < m_hasFees.size() && m_hasFees.at(row); }
    enum DailyColumn { DayColumn, PaidColumn, PaymentsColumn, RefundedColumn, RefundsColumn, NetColumn, FeesColumn, NetAfterFeesColumn };
    /// CSV text: header line, then one line per row; money as plain decimal ("12.30").
    QString toCsv() const;

private:
    QString labelFor(const QString &key) const;
    Table m_table;
    QString m_currency = QStringLiteral("CNY");
    QStringList m_labels;          ///< first column
    QStringList m_keys;
    QList<QList<qint64>> m_values; ///< remaining columns
    QList<bool> m_hasFees;         ///< daily table: fees known on that row
};

/// Writes text atomically (QSaveFile): the old file stays whole if anything fails.
Status writeFileAtomically(const QString &path, const QByteArray &bytes);

} // namespace paydesk
