#pragma once

#include "UiContext.h"

#include <QWidget>

#include <optional>

class QAbstractItemModel;
class QLabel;
class QTabWidget;
class QTableView;

namespace paydesk {
class AttemptModel;
class RefundModel;
class TimelineModel;
} // namespace paydesk

namespace paydesk::ui {

/// Everything about one order: its fields, its payment attempts, its refunds and what
/// happened to it (the audit log's entries for the order and its refunds).
class OrderDetailPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OrderDetailPane)
public:
    OrderDetailPane(UiContext &ctx, QWidget *parent = nullptr);
    /// Shows `order` (re-reading attempts, refunds and timeline), or nothing.
    void showOrder(const std::optional<Order> &order);
    const std::optional<Order> &order() const { return m_order; }

    AttemptModel *attempts() const { return m_attempts; }
    RefundModel *refunds() const { return m_refunds; }
    TimelineModel *timeline() const { return m_timeline; }
    QString headline() const;

private:
    QTableView *makeTable(QAbstractItemModel *model);
    UiContext &m_ctx;
    std::optional<Order> m_order;
    QLabel *m_title;
    QLabel *m_fields;
    QTabWidget *m_tabs;
    AttemptModel *m_attempts;
    RefundModel *m_refunds;
    TimelineModel *m_timeline;
};

} // namespace paydesk::ui
