#pragma once

#include "channels/ChannelRegistry.h"
#include "services/ClosingService.h"
#include "services/FixupService.h"
#include "services/OrderService.h"
#include "services/PaymentService.h"
#include "services/Reconciler.h"
#include "services/RefundService.h"
#include "services/ReconService.h"
#include "storage/AnomalyRepository.h"
#include "storage/AuditLog.h"
#include "storage/Database.h"
#include "storage/FixupRepository.h"
#include "storage/OrderRepository.h"
#include "storage/RefundRepository.h"
#include "storage/ReconRepository.h"
#include "storage/Settings.h"
#include "storage/UserDirectory.h"
#include "util/Clock.h"

#include <memory>

namespace paydesk {

/// The composition root's bundle: one of each service, wired through constructors in
/// dependency order. The GUI, paydeskctl and tests build one; nothing reaches for globals.
/// Channels are added to `channels` by whoever builds this (simulated, or from profiles).
class Services final
{
    Q_DISABLE_COPY_MOVE(Services)
public:
    Services(std::unique_ptr<Database> database, std::unique_ptr<Clock> clock,
             PasswordHasher hasher = PasswordHasher())
        : db(std::move(database)),
          clock(std::move(clock)),
          audit(*db, *this->clock),
          users(*db, audit, *this->clock, hasher),
          settings(*db, audit, users),
          orders(*db),
          refunds(*db),
          anomalies(*db),
          reconciler(*db, orders, refunds, anomalies, audit, *this->clock),
          orderService(*db, orders, audit, settings, users, *this->clock),
          payments(*db, orders, audit, settings, users, *this->clock, channels, reconciler, orderService),
          refundService(*db, orders, refunds, anomalies, audit, settings, users, *this->clock),
          recon(*db),
          reconService(*db, recon, anomalies, audit, reconciler, users, *this->clock),
          fixups(*db),
          fixupService(*db, orders, fixups, reconciler, channels, audit, users, *this->clock),
          closings(*db),
          closingService(*db, closings, recon, audit, users, *this->clock)
    {
    }

    std::unique_ptr<Database> db;
    std::unique_ptr<Clock> clock;
    AuditLog audit;
    UserDirectory users;
    Settings settings;
    OrderRepository orders;
    RefundRepository refunds;
    AnomalyRepository anomalies;
    ChannelRegistry channels;
    Reconciler reconciler;
    OrderService orderService;
    PaymentService payments;
    RefundService refundService;
    ReconRepository recon;
    ReconService reconService;
    FixupRepository fixups;
    FixupService fixupService;
    ClosingRepository closings;
    ClosingService closingService;
};

} // namespace paydesk
