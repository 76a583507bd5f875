#pragma once

#include "storage/AuditLog.h"
#include "storage/Database.h"
#include "storage/Settings.h"
#include "storage/UserDirectory.h"
#include "util/Clock.h"

#include <QCoreApplication>

#include <functional>

namespace paydesk {

/// A reproducible demo history: the same seed and clock give the same orders. The mix is
/// what a shop's books look like after a month: mostly paid, some closed on expiry, a few
/// closed by hand, partial and full refunds in every state, a few anomalies, and pending
/// orders whose deadlines lie in the next 30 minutes.
class DemoSeeder final
{
    Q_DECLARE_TR_FUNCTIONS(DemoSeeder)
public:
    struct Options
    {
        int orders = 2000;
        int days = 30;
        quint32 seed = 1;
        /// The texts people typed (titles, buyers, reasons, notes) in Chinese, for a demo shown
        /// in Chinese; the books (amounts, states, times) are the same for a seed either way.
        bool chinese = false;
        /// One expired order of the last day whose customer did pay (the channel has the
        /// money, the books never got the answer), with the clerk's "mark paid" request for
        /// finance to approve: the fix-up flow with something to do. Off for tests that count
        /// the seeded books.
        bool lostPayment = false;
    };
    struct Summary
    {
        qint64 orders = 0, pending = 0, paid = 0, closed = 0, refunds = 0, anomalies = 0, auditEntries = 0;
    };

    DemoSeeder(Database &db, UserDirectory &users, Settings &settings, const Clock &clock)
        : m_db(db), m_users(users), m_settings(settings), m_clock(clock) {}

    /// Marks the database as a demo and adds the users clerk, finance and admin (password =
    /// login) if missing. Refuses a database that has real users or already has orders.
    Result<Summary> seed(const Options &options, const std::function<void(int done, int total)> &progress = {});
    /// The demo's counter simulator (UserDirectory::kDemoCounterLogin, a CLERK that never signs
    /// in), added if missing: the actor of the orders the scripted customers pay. Only on a demo
    /// database.
    Result<User> counterActor();

private:
    Database &m_db;
    UserDirectory &m_users;
    Settings &m_settings;
    const Clock &m_clock;
};

} // namespace paydesk
