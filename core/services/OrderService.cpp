#include "services/OrderService.h"

#include "util/Duration.h"

namespace paydesk {

Result<Order> OrderService::validate(const NewOrder &r)
{
    const auto currency = Currency::fromCode(r.currency);
    if (!currency)
        return Error::invalid(QStringLiteral("money.unknown_currency"),
                              tr("Unknown currency \"%1\"; use CNY, USD, HKD, JPY or EUR.").arg(r.currency));
    auto amount = Money::parse(r.amount, *currency, r.zeroTotal ? AmountUse::OrderTotal : AmountUse::Payment);
    if (!amount)
        return amount.error();
    if (r.zeroTotal && !amount->isZero())
        return Error::invalid(QStringLiteral("order.zero_total_mismatch"),
                              tr("A free order has a total of 0, not %1.").arg(amount->toPlainString()));
    const QString title = r.title.trimmed();
    if (title.isEmpty())
        return Error::invalid(QStringLiteral("order.title_required"), tr("An order needs a title (what is being sold)."));
    if (title.size() > kMaxTitleLength)
        return Error::invalid(QStringLiteral("order.title_too_long"),
                              tr("The title is %1 characters; the channels accept at most %2.").arg(title.size()).arg(kMaxTitleLength));
    const qint64 timeout = r.timeoutMs > 0 ? r.timeoutMs : m_settings.payTimeoutS() * 1000;
    if (timeout < kMinTimeoutMs || timeout > kMaxTimeoutMs)
        return Error::invalid(QStringLiteral("order.bad_timeout"),
                              tr("The pay timeout must be between 1 second and 7 days, not %1.").arg(Duration::human(timeout)));
    Order o;
    o.title = title;
    o.buyer = r.buyer.trimmed();
    o.amountMinor = amount->minor();
    o.currency = currency->code();
    o.createdAt = m_clock.nowMs();
    o.expiresAt = o.createdAt + timeout;
    return o;
}

Result<Order> OrderService::create(const User &actor, const NewOrder &request)
{
    auto valid = [&]() -> Result<Order> {
        if (auto me = m_users.actor(actor.login); !me) // an account disabled since it signed in stops here
            return me.error();
        return validate(request);
    }();
    if (!valid) {
        m_audit.recordRefusal(actor.login, QStringLiteral("order.create.refused"), QStringLiteral("order:-"),
                       {{QStringLiteral("code"), valid.error().code}, {QStringLiteral("amount"), request.amount},
                        {QStringLiteral("title"), request.title}});
        return valid.error();
    }
    Order o = valid.value();
    o.createdBy = actor.login;
    if (o.amountMinor == 0) {
        o.state = OrderState::Paid;
        o.paidAt = o.createdAt;
    }
    for (int tries = 0;; ++tries) {
        o.orderNo = Ids::newOrderNo(o.createdAt);
        Transaction tx(m_db);
        if (!tx.begun())
            return tx.begun().error();
        Status s = m_orders.insert(tx.connection(), o);
        if (!s && s.error().kind == Error::Kind::Conflict && tries < 5)
            continue; // an order number collided; draw another
        if (!s)
            return s.error();
        QJsonObject details{{QStringLiteral("amount"), o.amount().toPlainString()},
                            {QStringLiteral("currency"), o.currency},
                            {QStringLiteral("title"), o.title},
                            {QStringLiteral("expires_at"), o.expiresAt}};
        if (o.state == OrderState::Paid)
            details.insert(QStringLiteral("paid_at_creation"), true);
        if (Status a = m_audit.append(tx, actor.login, QStringLiteral("order.create"), QStringLiteral("order:") + o.orderNo, details); !a)
            return a.error();
        if (Status c = tx.commit(); !c)
            return c.error();
        return o;
    }
}

} // namespace paydesk
