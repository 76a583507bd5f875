#include "sync/LateLook.h"

#include "channels/ChannelRegistry.h"
#include "services/AttemptCloser.h"
#include "services/Reconciler.h"
#include "storage/OrderRepository.h"
#include "util/Clock.h"

#include <limits>
#include <utility>

namespace paydesk {

namespace {
const QString kTimer = QStringLiteral("timer");
const QString kSource = QStringLiteral("late_look");
} // namespace

LateLook::LateLook(OrderRepository &orders, ChannelRegistry &channels, Reconciler &reconciler, const Clock &clock,
                   QObject *parent)
    : QObject(parent), m_orders(orders), m_channels(channels), m_reconciler(reconciler), m_clock(clock)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &LateLook::runDue);
}

void LateLook::start() { arm(); }

void LateLook::rearm()
{
    if (m_rearmQueued || m_pending > 0)
        return; // a round running re-arms when it ends
    m_rearmQueued = true;
    QTimer::singleShot(kRearmDelayMs, this, [this]() {
        m_rearmQueued = false;
        if (m_pending == 0)
            arm();
    });
}

void LateLook::arm()
{
    auto next = m_orders.nextLateLookAt();
    if (!next) {
        qWarning("paydesk: late look cannot read its next time: %s", qPrintable(next.error().message));
        m_timer.start(int(kRetryMs / qMax(1.0, m_clock.rate())));
        return;
    }
    if (next.value() == 0) {
        m_timer.stop(); // nothing to look at: no wake-ups
        return;
    }
    const double wait = double(qMax<qint64>(0, next.value() - m_clock.nowMs())) / qMax(1e-9, m_clock.rate());
    m_timer.start(int(qMin(wait, double(std::numeric_limits<int>::max() / 2))));
}

void LateLook::runDue()
{
    if (m_pending > 0)
        return;
    auto due = m_orders.dueLateLooks(m_clock.nowMs(), kBatch);
    if (!due) {
        qWarning("paydesk: late look cannot read the payments due: %s", qPrintable(due.error().message));
        m_timer.start(int(kRetryMs / qMax(1.0, m_clock.rate())));
        return;
    }
    if (due.value().isEmpty()) {
        arm();
        emit becameIdle();
        return;
    }
    m_pending = int(due.value().size());
    m_changed = false;
    for (const PaymentAttempt &a : due.value())
        look(a);
}

void LateLook::look(const PaymentAttempt &a)
{
    PaymentChannel *ch = m_channels.channel(a.channel);
    if (!ch)
        return retryOrGiveUp(a, tr("the %1 channel is not set up").arg(toString(a.channel)));
    ch->queryPayment(a.outTradeNo, this, [this, a](const ChannelReply<PaymentStatus> &r) {
        if (!r.ok()) {
            if (r.error().kind == ChannelError::Kind::NotFound)
                return finish(a, 0); // still never seen: no money came
            return retryOrGiveUp(a, r.error().describe());
        }
        switch (r->state) {
        case TradeState::Success:
        case TradeState::Refunded:
            return apply(a, r.value());
        case TradeState::NotPay:
        case TradeState::UserPaying:
            return closeAtChannel(a); // scanned after we gave it up: close it now
        case TradeState::Closed:
        case TradeState::PayError:
        case TradeState::NotExist:
            return finish(a, 0);
        }
        finish(a, 0);
    });
}

void LateLook::closeAtChannel(const PaymentAttempt &a)
{
    closeAttemptsAtChannels(m_channels, {a}, false, this, [this, a](const QList<AttemptOutcome> &outcomes) {
        const AttemptOutcome o = outcomes.value(0);
        switch (o.kind) {
        case AttemptOutcome::Kind::Paid:
            return apply(a, o.status); // paid in the instant between the look and the close
        case AttemptOutcome::Kind::Closed:
            emit actionTaken(tr("payment %1 was scanned after it was given up; closed it at %2")
                                 .arg(a.outTradeNo, toString(a.channel)));
            return finish(a, 0);
        case AttemptOutcome::Kind::Failed:
            return retryOrGiveUp(a, o.error.describe());
        }
        finish(a, 0);
    });
}

void LateLook::apply(const PaymentAttempt &a, const PaymentStatus &status)
{
    auto applied = m_reconciler.applyPayment(status, kTimer, kSource);
    if (!applied)
        return retryOrGiveUp(a, applied.error().message);
    m_changed = true;
    emit actionTaken(tr("payment %1 was paid after the channel said it did not exist: %2")
                         .arg(a.outTradeNo, Reconciler::describe(applied->outcome)));
    // A payment the answer left finished (amount mismatch: an anomaly is open) needs no more looks.
    finish(a, 0);
}

void LateLook::retryOrGiveUp(const PaymentAttempt &a, const QString &why)
{
    const qint64 now = m_clock.nowMs();
    if (now - a.expiresAt > kGiveUpAfterMs) {
        emit actionTaken(tr("payment %1: no late look possible (%2); the daily bill will show any money").arg(a.outTradeNo, why));
        return finish(a, 0);
    }
    finish(a, now + kRetryMs);
}

void LateLook::finish(const PaymentAttempt &a, qint64 nextAt)
{
    if (Status s = m_orders.setLateLook(a.id, nextAt); !s) {
        qWarning("paydesk: late look cannot record its look at %s: %s", qPrintable(a.outTradeNo), qPrintable(s.error().message));
        m_writeFailed = true;
    }
    if (--m_pending > 0)
        return;
    if (m_changed)
        emit booksChanged();
    if (std::exchange(m_writeFailed, false)) {
        // Not recorded: the same looks are still due. Not again at once.
        m_timer.start(int(kRetryMs / qMax(1.0, m_clock.rate())));
        return;
    }
    // Continue from the event loop: more may be due (a batch was full).
    QMetaObject::invokeMethod(this, &LateLook::runDue, Qt::QueuedConnection);
}

} // namespace paydesk
