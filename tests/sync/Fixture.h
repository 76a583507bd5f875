#pragma once

#include "TestSupport.h"
#include "channels/SimulatedChannel.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

// QTRY_VERIFY inside a non-void helper: a loop that gives up quietly (the caller's checks fail).
#define QTRY_VERIFY_WITH_TIMEOUT_IMPL(expr, timeout)                                              \
    do {                                                                                          \
        QElapsedTimer t_;                                                                         \
        t_.start();                                                                               \
        while (!(expr) && t_.elapsed() < (timeout))                                               \
            QTest::qWait(5);                                                                      \
    } while (false)

namespace paydesk::test {

/// A migrated scratch database with the four kinds of staff, a ManualClock and the simulated
/// channel registered: what the service and timer tests start from.
struct Books
{
    ScratchDatabase scratch;
    std::unique_ptr<Services> s;
    ManualClock *clock = nullptr;
    SimulatedChannel *sim = nullptr;
    User admin, clerk, clerk2, finance, finance2;

    bool open()
    {
        if (scratch.url().isEmpty())
            return false;
        s = makeServices(scratch.url(), &clock);
        auto simulator = SimulatedChannel::create(scratch.url(), *clock, 7);
        if (!simulator)
            qFatal("simulator: %s", qPrintable(simulator.error().message));
        sim = simulator.value().get();
        s->channels.add(std::move(simulator.value()));
        const QString pw = QStringLiteral("correct-horse-1");
        auto add = [&](const char *login, Role role) {
            auto u = s->users.add(admin.login, QString::fromLatin1(login), QString(), role, pw);
            if (!u)
                qFatal("user %s: %s", login, qPrintable(u.error().message));
            return u.value();
        };
        admin = add("admin", Role::Admin);
        clerk = add("clerk", Role::Clerk);
        clerk2 = add("clerk2", Role::Clerk);
        finance = add("finance", Role::Finance);
        finance2 = add("finance2", Role::Finance);
        return true;
    }

    /// Checkout on the simulator and wait until the payment is at the channel.
    PaymentService::Started checkout(const QString &amount, qint64 timeoutMs = 30 * 60'000, const QString &title = QStringLiteral("tea"))
    {
        NewOrder req;
        req.amount = amount;
        req.title = title;
        req.timeoutMs = timeoutMs;
        auto st = s->payments.checkout(clerk, req, ChannelKind::Sim);
        if (!st)
            qFatal("checkout: %s", qPrintable(st.error().message));
        if (st->task) {
            QSignalSpy done(st->task.data(), &PayTask::finished);
            if (!done.wait(5000))
                qFatal("pay task did not finish");
        }
        return st.value();
    }

    Order order(const QString &orderNo) { return s->orders.byNo(orderNo).value(); }
    QList<PaymentAttempt> attempts(const QString &orderNo) { return s->orders.attemptsOf(order(orderNo).id).value(); }

    /// Simulator ledger events of one kind for a payment or refund.
    int events(const QString &op, const QString &ref, const QString &result = {})
    {
        int n = 0;
        const auto ledger = sim->ledger(ref); // keep the Result alive for the loop
        for (const auto &e : ledger.value())
            if (e.op == op && e.ref == ref && (result.isEmpty() || e.result == result))
                ++n;
        return n;
    }

    /// Runs the event loop until `done` was called.
    template <typename T, typename Start>
    Result<T> await(Start start)
    {
        std::optional<Result<T>> out;
        QObject ctx;
        start(&ctx, [&](const Result<T> &r) { out = r; });
        QTRY_VERIFY_WITH_TIMEOUT_IMPL(out.has_value(), 10000);
        return *out;
    }

    /// A paid order: checkout then the customer pays (applied like a notification).
    Order paidOrder(const QString &amount)
    {
        const auto st = checkout(amount);
        const auto paid = sim->customerPays(st.attempt->outTradeNo);
        if (!paid)
            qFatal("pay: %s", qPrintable(paid.error().message));
        const auto applied = s->reconciler.applyPayment(paid.value(), QStringLiteral("system"), QStringLiteral("test"));
        if (!applied)
            qFatal("apply: %s", qPrintable(applied.error().message));
        return order(st.order.orderNo);
    }
};

} // namespace paydesk::test

