#pragma once

#include "services/OrderService.h"
#include "storage/AuditLog.h"
#include "storage/Database.h"
#include "storage/OrderRepository.h"
#include "storage/RefundRepository.h"
#include "storage/Settings.h"
#include "storage/UserDirectory.h"
#include "util/Clock.h"

#include <memory>

namespace paydesk {

/// The composition root's bundle: one of each service, wired through constructors in
/// dependency order. The GUI, paydeskctl and tests build one; nothing reaches for globals.
class Services final
{
    Q_DISABLE_COPY_MOVE(Services)
public:
    Services(std::unique_ptr<Database> database, std::unique_ptr<Clock> clock,
             PasswordHasher hasher = PasswordHasher())
        : db(std::move(database)),
          clock(std::move(clock)),
          audit(*db, *this->clock),
          settings(*db),
          users(*db, audit, *this->clock, hasher),
          orders(*db),
          refunds(*db),
          orderService(*db, orders, audit, settings, *this->clock)
    {
    }

    std::unique_ptr<Database> db;
    std::unique_ptr<Clock> clock;
    AuditLog audit;
    Settings settings;
    UserDirectory users;
    OrderRepository orders;
    RefundRepository refunds;
    OrderService orderService;
};

} // namespace paydesk
