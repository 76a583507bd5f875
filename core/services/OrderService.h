#pragma once

#include "domain/Domain.h"
#include "storage/AuditLog.h"
#include "storage/OrderRepository.h"
#include "storage/Settings.h"
#include "storage/UserDirectory.h"
#include "util/Clock.h"

namespace paydesk {

struct NewOrder
{
    QString amount;      ///< as typed: "12.30"
    QString currency = QStringLiteral("CNY");
    QString title;
    QString buyer;
    qint64 timeoutMs = 0; ///< 0: the merchant's default pay timeout
    /// A free order (fully discounted, a gift): total 0, PAID at creation, never sent to a
    /// channel. Without this, the amount must be payable (at least 0.01).
    bool zeroTotal = false;
};

/// Counter checkout: creating orders. (Channels, repay, close and refunds build on this.)
class OrderService final
{
    Q_DECLARE_TR_FUNCTIONS(OrderService)
public:
    static constexpr int kMaxTitleLength = 127; ///< WeChat Pay's description limit
    static constexpr qint64 kMinTimeoutMs = 1000;
    static constexpr qint64 kMaxTimeoutMs = 7LL * 24 * 3600 * 1000;

    OrderService(Database &db, OrderRepository &orders, AuditLog &audit, Settings &settings, UserDirectory &users,
                 const Clock &clock)
        : m_db(db), m_orders(orders), m_audit(audit), m_settings(settings), m_users(users), m_clock(clock) {}

    /// Validates everything first and changes nothing on refusal (the refusal is audited).
    /// A zero total is PAID at once and never reaches a channel.
    Result<Order> create(const User &actor, const NewOrder &request);

private:
    Result<Order> validate(const NewOrder &request);

    Database &m_db;
    OrderRepository &m_orders;
    AuditLog &m_audit;
    Settings &m_settings;
    UserDirectory &m_users;
    const Clock &m_clock;
};

} // namespace paydesk
