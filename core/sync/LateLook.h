#pragma once

#include "channels/PaymentChannel.h"
#include "domain/Domain.h"

#include <QObject>
#include <QTimer>

namespace paydesk {

class ChannelRegistry;
class Clock;
class OrderRepository;
class Reconciler;

/// The timer's late look at payments that "did not exist" (issue 12). When a channel says it
/// never saw a payment (an Alipay code nobody had scanned answers ACQ.TRADE_NOT_EXIST to both
/// query and close), there was nothing to close, so nothing proves the code cannot still be
/// paid until its own expiry. The Reconciler finishes such a payment in the books (FAILED,
/// NOT_EXIST) with one more look due at Reconciler::lateLookAt (expiry + 2 minutes); this job
/// makes that look:
///  - money found goes through Reconciler::applyPayment (the order stays CLOSED and a
///    PAID_AFTER_CLOSE anomaly with a proposed refund opens; an order still PENDING is paid);
///  - a trade that exists by now but is unpaid (scanned after the close) is closed at the
///    channel, then recorded;
///  - "still never seen" or closed: done, nothing changes;
///  - the channel cannot be reached: asked again every kRetryMs, for at most kGiveUpAfterMs
///    past the payment's expiry; after that the daily bill (ReconService) is the check.
/// Wakes only when a look is due (a timer armed at the soonest one), and re-reads that time
/// when the books change (rearm(), coalesced). Several seats may each run it: the query is
/// read-only and the Reconciler's compare-and-set applies an answer once.
class LateLook final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LateLook)
public:
    static constexpr int kBatch = 20;
    static constexpr qint64 kRetryMs = 5 * 60'000;
    static constexpr qint64 kGiveUpAfterMs = 24 * 3600'000;
    static constexpr int kRearmDelayMs = 1000;

    LateLook(OrderRepository &orders, ChannelRegistry &channels, Reconciler &reconciler, const Clock &clock,
             QObject *parent = nullptr);

    /// Arms the timer for the soonest look (due ones run at once).
    void start();
    /// The books changed (a payment may have been finished as "did not exist"): read the soonest
    /// look again shortly. Cheap to call often.
    void rearm();
    /// Looks at every payment due now (the timer calls it; tests call it after moving a
    /// ManualClock). Nothing when a round is still running.
    void runDue();
    bool isIdle() const { return m_pending == 0; }

signals:
    /// One line per look that found something or gave up, for `paydeskctl sync`.
    void actionTaken(const QString &line);
    void booksChanged();
    /// A round of looks finished.
    void becameIdle();

private:
    void look(const PaymentAttempt &a);
    void closeAtChannel(const PaymentAttempt &a);
    void apply(const PaymentAttempt &a, const PaymentStatus &status);
    void retryOrGiveUp(const PaymentAttempt &a, const QString &why);
    void finish(const PaymentAttempt &a, qint64 nextAt);
    void arm();

    OrderRepository &m_orders;
    ChannelRegistry &m_channels;
    Reconciler &m_reconciler;
    const Clock &m_clock;
    QTimer m_timer;
    bool m_rearmQueued = false;
    int m_pending = 0;
    bool m_changed = false;
    bool m_writeFailed = false;
};

} // namespace paydesk
