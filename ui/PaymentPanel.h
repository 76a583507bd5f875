#pragma once

#include "domain/Domain.h"

#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <optional>

class QLabel;

namespace paydesk {
class Clock;
class PayTask;
} // namespace paydesk

namespace paydesk::ui {

class QrWidget;

/// The customer-facing half of checkout and repay: the QR code of one payment attempt, the
/// attempt's own countdown (to its channel expiry, not the order's) and what the channel
/// call is doing (PayTask progress).
class PaymentPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PaymentPanel)
public:
    PaymentPanel(const Clock &clock, QWidget *parent = nullptr);
    /// Shows `attempt` and follows `task` (may be null) until it finishes.
    void show(const Order &order, const PaymentAttempt &attempt, PayTask *task);
    /// How to name the channel above the code (e.g. "WeChat Pay (simulated)" in the demo);
    /// empty: its plain name.
    void setChannelLabel(const QString &label) { m_channelLabel = label; }
    void clear();
    /// The order as it is now (from an OrderWatch): once it is paid, closed or refunded the
    /// code is covered and the status says what happened.
    void setOrder(const Order &order);
    QrWidget *qr() const { return m_qr; }
    QString statusText() const;
    QString countdownText() const;

signals:
    void taskFinished(bool ok);

private:
    void tick();
    const Clock &m_clock;
    QrWidget *m_qr;
    QLabel *m_amount;
    QLabel *m_countdown;
    QLabel *m_status;
    QLabel *m_payload;
    QTimer m_timer;
    qint64 m_expiresAt = 0;
    std::optional<Order> m_order;
    QPointer<PayTask> m_task;
    QString m_channelLabel;
};

} // namespace paydesk::ui
