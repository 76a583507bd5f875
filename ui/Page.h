#pragma once

#include <QWidget>

namespace paydesk::ui {

/// A page of the main window. refresh() re-reads what the page shows after the books
/// changed; the main window calls it for the visible page, and marks the others stale so
/// they refresh when shown.
class Page : public QWidget
{
    Q_OBJECT
public:
    using QWidget::QWidget;
    virtual void refresh() = 0;
    void markStale() { m_stale = true; }

signals:
    /// This page changed the books itself (a refund request): other pages are stale.
    void booksChanged();
    /// A line for the status bar.
    void message(const QString &text);

protected:
    void showEvent(QShowEvent *event) override
    {
        QWidget::showEvent(event);
        if (m_stale) {
            m_stale = false;
            refresh();
        }
    }

private:
    bool m_stale = false;
};

} // namespace paydesk::ui
