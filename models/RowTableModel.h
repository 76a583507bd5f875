#pragma once

#include <QAbstractTableModel>
#include <QList>

namespace paydesk {

/// A table model over a short list of plain values (attempts of one order, the review queue,
/// open anomalies, users): small enough to hold, replaced as a whole when reloaded.
/// Subclasses describe the columns; big tables use OrderTableModel's windowed approach instead.
template <typename Row>
class RowTableModel : public QAbstractTableModel
{
public:
    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex &parent = {}) const override { return parent.isValid() ? 0 : int(m_rows.size()); }
    int columnCount(const QModelIndex &parent = {}) const override { return parent.isValid() ? 0 : columns(); }
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override
    {
        if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
            return {};
        return cell(m_rows.at(index.row()), index.column(), role);
    }
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override
    {
        if (orientation == Qt::Horizontal && role == Qt::DisplayRole && section >= 0 && section < columns())
            return header(section);
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    Qt::ItemFlags flags(const QModelIndex &index) const override
    {
        return index.isValid() ? Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren : Qt::NoItemFlags;
    }

    /// Replaces the rows. Same length: one dataChanged (selection and scroll stay); otherwise a reset.
    void setRows(QList<Row> rows)
    {
        if (rows.size() == m_rows.size() && !rows.isEmpty()) {
            m_rows = std::move(rows);
            emit dataChanged(index(0, 0), index(int(m_rows.size()) - 1, columns() - 1));
            return;
        }
        beginResetModel();
        m_rows = std::move(rows);
        endResetModel();
    }
    const QList<Row> &rows() const { return m_rows; }
    const Row *rowAt(int row) const { return row >= 0 && row < m_rows.size() ? &m_rows[row] : nullptr; }

protected:
    virtual int columns() const = 0;
    virtual QVariant header(int column) const = 0;
    virtual QVariant cell(const Row &row, int column, int role) const = 0;

private:
    QList<Row> m_rows;
};

} // namespace paydesk
