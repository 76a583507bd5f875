#pragma once

#include "domain/Domain.h"

#include <QList>
#include <QObject>
#include <QRandomGenerator>
#include <QTimer>

namespace paydesk {
class Services;
class SimulatedChannel;
struct ChannelNotification;
} // namespace paydesk

namespace paydesk::ui {

/// The offline demo's shop floor: every few seconds a counter order is checked out on one of
/// the simulated channels (WeChat Pay, Alipay or the simulator itself, in a shop's usual mix),
/// whose scripted customers pay, ignore it, pay late or pay twice; and the channels' payment
/// notifications are applied to the books like a real callback.
class DemoDriver final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DemoDriver)
public:
    /// Listens to every channel in `channels`; counter orders go to those of them registered in
    /// `services.channels`.
    DemoDriver(Services &services, const QList<SimulatedChannel *> &channels, User clerk, QObject *parent = nullptr);
    /// The actor of the scripted customers' orders: the demo's counter simulator (added to a
    /// demo database if missing), or `fallback` when there is none (not a demo).
    static User counterActor(Services &services, const User &fallback);
    /// Buyers' names as a Chinese shop's (for a demo shown in Chinese); titles follow the
    /// installed translation.
    void setChinese(bool chinese) { m_chinese = chinese; }
    /// Real milliseconds between new orders (jittered ±50%).
    void setIntervalMs(int ms) { m_intervalMs = ms; }
    /// Starts taking counter orders (notifications are applied from construction on).
    void start();
    void stop() { m_timer.stop(); }
    bool isRunning() const { return m_timer.isActive(); }
    int ordersCreated() const { return m_created; }
    int paymentsNotified() const { return m_notified; }
    /// Creates one order now; returns its number (empty if refused).
    QString createOrder();

signals:
    void booksChanged();
    void orderCreated(const QString &orderNo);

private:
    void notified(const ChannelNotification &notification);
    ChannelKind pickChannel();
    Services &m_services;
    QList<ChannelKind> m_kinds;
    User m_clerk;
    QTimer m_timer;
    QRandomGenerator m_random{20260101};
    int m_intervalMs = 6000;
    bool m_chinese = false;
    int m_created = 0;
    int m_notified = 0;
};

} // namespace paydesk::ui
