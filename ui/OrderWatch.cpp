#include "OrderWatch.h"

#include "Labels.h"
#include "services/Services.h"
#include "sync/SyncEngine.h"

#include <QLocale>

namespace paydesk::ui {

OrderWatch::OrderWatch(UiContext &ctx, const Order &order, QObject *parent) : QObject(parent), m_ctx(ctx), m_order(order)
{
    connect(&ctx.services.payments, &PaymentService::booksChanged, this, &OrderWatch::check, Qt::QueuedConnection);
    if (ctx.sync)
        connect(ctx.sync, &SyncEngine::booksChanged, this, &OrderWatch::check, Qt::QueuedConnection);
    m_wasPayable = isPayable();
    m_poll.setInterval(1000);
    m_poll.setTimerType(Qt::CoarseTimer);
    connect(&m_poll, &QTimer::timeout, this, &OrderWatch::check);
    m_poll.start();
}

bool OrderWatch::isPayable() const
{
    return m_order.state == OrderState::Pending && m_order.expiresAt > m_ctx.services.clock->nowMs();
}

void OrderWatch::check()
{
    auto fresh = m_ctx.services.orders.byId(m_order.id);
    if (!fresh)
        return; // a read that failed says nothing about the order; the next one will
    const Order &o = fresh.value();
    const bool payable = o.state == OrderState::Pending && o.expiresAt > m_ctx.services.clock->nowMs();
    const bool same = o.state == m_order.state && o.closeReason == m_order.closeReason && o.refundedMinor == m_order.refundedMinor
        && o.expiresAt == m_order.expiresAt && o.paidAt == m_order.paidAt && o.closedAt == m_order.closedAt
        && o.channel == m_order.channel && payable == m_wasPayable;
    m_order = o;
    m_wasPayable = payable;
    if (!same)
        emit changed(m_order);
    emit checked();
}

QString OrderWatch::whatHappened() const { return whatHappened(m_order, m_ctx.services.clock->nowMs()); }

QString OrderWatch::whatHappened(const Order &o, qint64 nowMs)
{
    const QLocale loc;
    switch (o.state) {
    case OrderState::Pending:
        return o.expiresAt > nowMs ? QString() : tr("The time to pay order %1 has run out; it is being closed.").arg(o.orderNo);
    case OrderState::Paid:
        return tr("Order %1 was paid at %2.").arg(o.orderNo, Labels::time(o.paidAt));
    case OrderState::PartiallyRefunded:
        return tr("Order %1 is paid and partly refunded (%2).")
            .arg(o.orderNo, Money(o.refundedMinor, o.amount().currency()).toDisplayString(loc));
    case OrderState::Refunded:
        return tr("Order %1 has been refunded in full.").arg(o.orderNo);
    case OrderState::Closed:
        return o.closeReason == CloseReason::Expired ? tr("Order %1 was closed: the time to pay ran out.").arg(o.orderNo)
                                                     : tr("Order %1 was closed.").arg(o.orderNo);
    }
    return {};
}

} // namespace paydesk::ui
