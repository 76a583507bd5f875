#pragma once

#include "domain/Domain.h"

#include <QObject>
#include <QRandomGenerator>
#include <QTimer>

namespace paydesk {
class Services;
class SimulatedChannel;
struct ChannelNotification;
} // namespace paydesk

namespace paydesk::ui {

/// The offline demo's shop floor: every few seconds a counter order is checked out on the
/// simulated channel (whose scripted customers pay, ignore it, pay late or pay twice), and
/// the channel's payment notifications are applied to the books like a real callback.
class DemoDriver final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DemoDriver)
public:
    DemoDriver(Services &services, SimulatedChannel &channel, User clerk, QObject *parent = nullptr);
    /// Real milliseconds between new orders (jittered ±50%).
    void setIntervalMs(int ms) { m_intervalMs = ms; }
    void start();
    void stop() { m_timer.stop(); }
    int ordersCreated() const { return m_created; }
    /// Creates one order now.
    void createOrder();

signals:
    void booksChanged();
    void orderCreated(const QString &orderNo);

private:
    void notified(const ChannelNotification &notification);
    Services &m_services;
    SimulatedChannel &m_channel;
    User m_clerk;
    QTimer m_timer;
    QRandomGenerator m_random{20260101};
    int m_intervalMs = 6000;
    int m_created = 0;
};

} // namespace paydesk::ui
