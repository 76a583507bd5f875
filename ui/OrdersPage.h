#pragma once

#include "Page.h"
#include "UiContext.h"

#include "storage/OrderRepository.h"

#include <QTimer>

#include <optional>

class QAction;
class QComboBox;
class QDateEdit;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QToolButton;

namespace paydesk {
class OrderTableModel;
}

namespace paydesk::ui {

class CountdownTicker;
class OrderDetailPane;

/// Orders: filter bar, the windowed table with live countdowns, the detail pane and the
/// counter actions (New order, Repay, Close, Refund, Ask channel, Receipt, Refresh, Export).
class OrdersPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OrdersPage)
public:
    OrdersPage(UiContext &ctx, QWidget *parent = nullptr);

    void refresh() override;

    OrderTableModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    OrderDetailPane *detail() const { return m_detail; }
    QLineEdit *searchEdit() const { return m_search; }
    QComboBox *stateBox() const { return m_state; }
    QComboBox *channelBox() const { return m_channel; }
    QComboBox *rangeBox() const { return m_range; }
    CountdownTicker *ticker() const { return m_ticker; }
    QAction *newOrderAction() const { return m_newOrder; }
    QAction *repayAction() const { return m_repay; }
    QAction *closeAction() const { return m_close; }
    QAction *refundAction() const { return m_refund; }
    QAction *refreshAction() const { return m_refresh; }
    QAction *exportAction() const { return m_export; }
    QAction *receiptAction() const { return m_receipt; }
    QAction *markPaidAction() const { return m_markPaid; }
    /// "N new orders": shown while new orders are held back so the rows do not move.
    QPushButton *newRowsButton() const { return m_newRows; }
    /// Whether the user is reading the table (pointer over it, or scrolled down): new orders
    /// then wait behind newRowsButton() instead of pushing the rows down.
    bool isReading() const;
    /// The hint drawn over an empty table ("No orders match …"), empty while rows show.
    QString emptyText() const;
    /// "1 match in other states — show all": searched orders the other filters hide.
    QPushButton *otherMatchesButton() const { return m_otherMatches; }
    /// Clears the state, channel and date filters, keeping the search.
    void showAllMatches();
    /// Brings the held-back orders in and scrolls to the top (what newRowsButton() does).
    void showNewRows();

    /// Applies the filter bar now (the search box waits 250 ms after typing otherwise).
    void applyFilter();
    /// Selects the order `orderNo` if it is among the loaded rows (or searches for it).
    bool selectOrder(const QString &orderNo);

    void newOrder();
    void repay();
    void closeOrder();
    void requestRefund();
    void refreshOrder();
    void exportCsv();
    /// Opens the receipt of the selected paid order (its payment or a refund) to print or save.
    void showReceipt();
    /// Asks for the selected unpaid order to be marked paid (money without an answer; four eyes).
    void markPaid();

private:
    /// Every state, channel and day (the filters' signals held: the caller applies them).
    void openFilters();
    void currentChanged();
    /// After the rows changed (refresh, filter, sort): finds the selected order again by its
    /// id, or clears the selection when it left the filter, so the highlighted row, the detail
    /// pane and the actions are always the same order.
    void followSelection(bool reveal = false);
    void showSelected();
    void updateActions();
    void updateCountLabel();
    void updateHints();
    bool eventFilter(QObject *watched, QEvent *event) override;
    void rangeChanged();
    OrderFilter filterFromBar() const;

    UiContext &m_ctx;
    OrderTableModel *m_model;
    QTableView *m_table;
    OrderDetailPane *m_detail;
    CountdownTicker *m_ticker;
    QLineEdit *m_search;
    QComboBox *m_state;
    QComboBox *m_channel;
    QComboBox *m_range;
    QDateEdit *m_from;
    QDateEdit *m_to;
    QLabel *m_count;
    QPushButton *m_newRows;
    QPushButton *m_otherMatches;
    QLabel *m_emptyHint;
    QAction *m_newOrder;
    QAction *m_repay;
    QAction *m_close;
    QAction *m_refund;
    QAction *m_refreshOne;
    QAction *m_refresh;
    QAction *m_export;
    QAction *m_receipt;
    QAction *m_markPaid;
    QTimer m_searchDelay;
    std::optional<Order> m_selected;
    qint64 m_refundable = -1;
};

} // namespace paydesk::ui
