#pragma once

#include "Page.h"
#include "UiContext.h"

#include "FinanceStats.h"

class QComboBox;
class QDateEdit;
class QLabel;
class QPushButton;

class QChartView;
class QChart;

namespace paydesk::ui {

/// Finance: daily paid / refunded / net (and, where a channel's bill was reconciled, its fees and
/// the net after them), the state split, the channel split and the refund
/// backlog over a chosen range, computed in SQL on the background worker; each chart's
/// table can be exported as CSV.
class FinancePage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FinancePage)
public:
    FinancePage(UiContext &ctx, QWidget *parent = nullptr);
    void refresh() override;

    FinanceTableModel *table(FinanceTableModel::Table which) const;
    const FinanceReport &report() const { return m_report; }
    QComboBox *rangeBox() const { return m_range; }
    QComboBox *styleBox() const { return m_style; }
    QChart *chart(FinanceTableModel::Table which) const;
    QString summaryText() const;
    bool isLoading() const { return m_loading; }
    /// Writes the table behind `which` to `path` (QSaveFile).
    Status exportTable(FinanceTableModel::Table which, const QString &path);

signals:
    void reloaded();

private:
    void rangeChanged();
    void rebuildCharts();
    void exportClicked(FinanceTableModel::Table which);
    QWidget *chartBox(FinanceTableModel::Table which, const QString &title);

    UiContext &m_ctx;
    QComboBox *m_range;
    QDateEdit *m_from;
    QDateEdit *m_to;
    QComboBox *m_style;
    QLabel *m_summary;
    FinanceTableModel *m_tables[4];
    QChartView *m_views[4];
    FinanceReport m_report;
    bool m_loading = false;
    bool m_again = false;
};

} // namespace paydesk::ui
