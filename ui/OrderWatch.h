#pragma once

#include "UiContext.h"

#include <QObject>
#include <QTimer>

namespace paydesk::ui {

/// Follows one order while a dialog about it is open: re-reads it when the books change (the
/// timer's and the payment service's booksChanged) and once a second (another instance, a
/// channel notification, the pay-by time passing), and says when it changed. Dialogs use it so
/// they never offer what no longer applies (issue 16 point 1).
class OrderWatch final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OrderWatch)
public:
    OrderWatch(UiContext &ctx, const Order &order, QObject *parent = nullptr);

    const Order &order() const { return m_order; }
    /// Re-reads the order now; emits changed() if anything a person sees changed.
    void check();
    /// Whether the order still takes payments: pending and its pay-by time not yet passed.
    bool isPayable() const;
    /// A sentence saying what became of the order (paid at…, closed…, refunded…); empty while
    /// it is pending and payable.
    QString whatHappened() const;
    static QString whatHappened(const Order &order, qint64 nowMs);

signals:
    void changed(const paydesk::Order &order);
    /// After every re-read, changed or not (for what depends on more than the order row, such
    /// as what is still refundable).
    void checked();

private:
    UiContext &m_ctx;
    Order m_order;
    QTimer m_poll;
    bool m_wasPayable = true;
};

} // namespace paydesk::ui
