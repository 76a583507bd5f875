#include "DemoDriver.h"

#include "channels/SimulatedChannel.h"
#include "demo/DemoSeeder.h"
#include "services/Services.h"

namespace paydesk::ui {

namespace {
struct Item { const char *title; qint64 minor; };
// What a demo shop sells at the counter (titles as a customer sees them on the QR page).
constexpr Item kItems[] = {
    {QT_TRANSLATE_NOOP("DemoDriver", "Pearl milk tea"), 1800}, {QT_TRANSLATE_NOOP("DemoDriver", "Americano"), 2500},
    {QT_TRANSLATE_NOOP("DemoDriver", "Caffe latte"), 3200},    {QT_TRANSLATE_NOOP("DemoDriver", "Soup dumplings"), 2200},
    {QT_TRANSLATE_NOOP("DemoDriver", "Beef noodle soup"), 2800}, {QT_TRANSLATE_NOOP("DemoDriver", "Matcha cake"), 3800},
    {QT_TRANSLATE_NOOP("DemoDriver", "Phone case"), 5900},      {QT_TRANSLATE_NOOP("DemoDriver", "Thermos flask"), 15900},
    {QT_TRANSLATE_NOOP("DemoDriver", "Flower bouquet"), 15900}, {QT_TRANSLATE_NOOP("DemoDriver", "Parking fee"), 1000},
};
const char16_t *const kBuyers[] = {u"张伟", u"王芳", u"李娜", u"Emily Chen", u"David Wang", u"", u"刘洋", u"Grace Lin"};
// The same walk-in customers for a demo shown in Chinese (same draws).
const char16_t *const kBuyersZh[] = {u"张伟", u"王芳", u"李娜", u"陈思雨", u"王大卫", u"", u"刘洋", u"林佳慧"};
} // namespace

DemoDriver::DemoDriver(Services &services, const QList<SimulatedChannel *> &channels, User clerk, QObject *parent)
    : QObject(parent), m_services(services), m_clerk(std::move(clerk))
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        createOrder();
        start();
    });
    for (SimulatedChannel *channel : channels) {
        connect(channel, &SimulatedChannel::notified, this, &DemoDriver::notified);
        if (services.channels.channel(channel->kind()) == channel)
            m_kinds << channel->kind();
    }
}

User DemoDriver::counterActor(Services &services, const User &fallback)
{
    auto counter = DemoSeeder(*services.db, services.users, services.settings, *services.clock).counterActor();
    return counter ? counter.value() : fallback;
}

ChannelKind DemoDriver::pickChannel()
{
    // Roughly a Chinese shop's counter: most pay with WeChat, many with Alipay, a few test
    // payments on the simulator itself.
    const QList<std::pair<ChannelKind, int>> weights{{ChannelKind::WeChat, 55}, {ChannelKind::Alipay, 38}, {ChannelKind::Sim, 7}};
    int total = 0;
    for (const auto &[kind, w] : weights)
        if (m_kinds.contains(kind))
            total += w;
    if (total == 0)
        return m_kinds.value(0, ChannelKind::Sim);
    int r = int(m_random.bounded(total));
    for (const auto &[kind, w] : weights) {
        if (!m_kinds.contains(kind))
            continue;
        if (r < w)
            return kind;
        r -= w;
    }
    return m_kinds.constFirst();
}

void DemoDriver::start()
{
    const int jitter = m_intervalMs / 2;
    m_timer.start(m_intervalMs - jitter + int(m_random.bounded(2 * jitter + 1)));
}

QString DemoDriver::createOrder()
{
    const Item &item = kItems[m_random.bounded(int(std::size(kItems)))];
    const int qty = 1 + int(m_random.bounded(3));
    NewOrder req;
    req.amount = Money::cny(item.minor * qty).toPlainString();
    req.title = qty > 1 ? QStringLiteral("%1 × %2").arg(QCoreApplication::translate("DemoDriver", item.title)).arg(qty)
                        : QCoreApplication::translate("DemoDriver", item.title);
    req.buyer = QString::fromUtf16((m_chinese ? kBuyersZh : kBuyers)[m_random.bounded(int(std::size(kBuyers)))]);
    // Short deadlines so the countdowns visibly run out in a demo.
    req.timeoutMs = qint64(3 + m_random.bounded(8)) * 60'000;
    if (m_kinds.isEmpty())
        return {};
    auto r = m_services.payments.checkout(m_clerk, req, pickChannel());
    if (!r) {
        qWarning("demo: checkout refused: %s", qPrintable(r.error().message));
        return {};
    }
    ++m_created;
    emit orderCreated(r->order.orderNo);
    emit booksChanged();
    return r->order.orderNo;
}

void DemoDriver::notified(const ChannelNotification &n)
{
    ++m_notified;
    if (n.kind == ChannelNotification::Kind::Payment) {
        auto r = m_services.reconciler.applyPayment(n.payment, Reconciler::systemUser(), QStringLiteral("notify"));
        if (!r)
            qWarning("demo: notification not applied: %s", qPrintable(r.error().message));
    } else {
        auto r = m_services.reconciler.applyRefund(n.refund, Reconciler::systemUser(), m_services.clock->nowMs() + 60'000);
        if (!r)
            qWarning("demo: refund notification not applied: %s", qPrintable(r.error().message));
    }
    emit booksChanged();
}

} // namespace paydesk::ui
