#include "PaymentPanel.h"

#include "Delegates.h"
#include "Labels.h"
#include "QrWidget.h"
#include "services/PaymentService.h"
#include "util/Clock.h"

#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace paydesk::ui {

PaymentPanel::PaymentPanel(const Clock &clock, QWidget *parent)
    : QWidget(parent), m_clock(clock), m_qr(new QrWidget(this)), m_amount(new QLabel(this)), m_countdown(new QLabel(this)),
      m_status(new QLabel(this)), m_payload(new QLabel(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    QFont big = m_amount->font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    big.setBold(true);
    m_amount->setFont(big);
    m_amount->setAlignment(Qt::AlignCenter);
    QFont mono = m_countdown->font();
    mono.setPointSizeF(mono.pointSizeF() * 1.3);
    m_countdown->setFont(mono);
    m_countdown->setAlignment(Qt::AlignCenter);
    m_countdown->setObjectName(QStringLiteral("attemptCountdown"));
    m_status->setAlignment(Qt::AlignCenter);
    m_status->setWordWrap(true);
    m_status->setObjectName(QStringLiteral("payStatus"));
    m_payload->setAlignment(Qt::AlignCenter);
    m_payload->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_payload->setForegroundRole(QPalette::PlaceholderText);
    m_payload->setWordWrap(true);
    layout->addWidget(m_amount);
    layout->addWidget(m_qr, 1);
    layout->addWidget(m_countdown);
    layout->addWidget(m_status);
    layout->addWidget(m_payload);
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &PaymentPanel::tick);
}

void PaymentPanel::show(const Order &order, const PaymentAttempt &attempt, PayTask *task)
{
    m_expiresAt = attempt.expiresAt;
    m_order = order;
    m_qr->setCover(QString());
    m_amount->setText(tr("%1 — %2").arg(Money(attempt.amountMinor, order.amount().currency()).toDisplayString(QLocale()),
                                        m_channelLabel.isEmpty() ? Labels::of(attempt.channel) : m_channelLabel));
    m_qr->setPayload(attempt.codeUrl);
    m_payload->setText(attempt.outTradeNo);
    m_task = task;
    if (task) {
        connect(task, &PayTask::progressed, this, [this](const QString &message) { m_status->setText(message); });
        connect(task, &PayTask::finished, this, [this, task] {
            const bool ok = task->state() == PayTask::State::Succeeded;
            if (ok) {
                m_qr->setPayload(task->attempt().codeUrl);
                m_expiresAt = task->attempt().expiresAt;
                if (!m_order || m_order->state == OrderState::Pending)
                    m_status->setText(tr("Show this code to the customer. The order is paid once they confirm in the app."));
                tick();
            } else {
                m_status->setText(tr("The channel refused the payment: %1").arg(task->error().message));
            }
            emit taskFinished(ok);
        });
        if (task->state() == PayTask::State::Running)
            m_status->setText(tr("Asking the channel for a payment code…"));
    }
    if (!task || task->state() == PayTask::State::Succeeded) {
        if (!attempt.codeUrl.isEmpty())
            m_status->setText(tr("Show this code to the customer. The order is paid once they confirm in the app."));
    }
    tick();
    m_timer.start();
}

void PaymentPanel::setOrder(const Order &order)
{
    const bool wasPending = !m_order || m_order->state == OrderState::Pending;
    m_order = order;
    if (wasPending && order.state != OrderState::Pending) {
        const QLocale loc;
        switch (order.state) {
        case OrderState::Paid:
        case OrderState::PartiallyRefunded:
        case OrderState::Refunded:
            m_status->setText(tr("Paid at %1. The customer need not scan again.").arg(Labels::time(order.paidAt)));
            break;
        case OrderState::Closed:
            m_status->setText(order.closeReason == CloseReason::Expired ? tr("The order was closed: the time to pay ran out.")
                                                                        : tr("The order was closed; this code no longer takes payments."));
            break;
        case OrderState::Pending: break;
        }
    }
    tick();
}

void PaymentPanel::clear()
{
    m_timer.stop();
    m_order.reset();
    m_qr->setCover(QString());
    m_qr->setPayload(QString());
    m_amount->clear();
    m_countdown->clear();
    m_status->clear();
    m_payload->clear();
}

QString PaymentPanel::statusText() const { return m_status->text(); }
QString PaymentPanel::countdownText() const { return m_countdown->text(); }

void PaymentPanel::tick()
{
    const qint64 left = m_expiresAt - m_clock.nowMs();
    const OrderState state = m_order ? m_order->state : OrderState::Pending;
    QPalette pal = m_countdown->palette();
    if (state != OrderState::Pending) {
        // Nothing left to count down: the order is settled one way or the other.
        const bool paid = state != OrderState::Closed;
        m_countdown->setText(paid ? tr("Paid") : tr("Closed"));
        m_qr->setCover(paid ? tr("Paid") : tr("Closed"), paid ? Labels::colour(OrderState::Paid) : QColor(0x75, 0x75, 0x75));
        pal.setColor(QPalette::WindowText, paid ? Labels::colour(OrderState::Paid) : palette().color(QPalette::PlaceholderText));
        m_countdown->setPalette(pal);
        m_timer.stop();
        return;
    }
    m_countdown->setText(tr("This code expires in %1").arg(CountdownDelegate::text(left)));
    if (left <= 0) {
        m_countdown->setText(tr("This code has expired"));
        if (!m_qr->payload().isEmpty() && m_qr->cover().isEmpty()) {
            m_qr->setCover(tr("Expired"), QColor(0xD9, 0x3B, 0x3B));
            m_status->setText(tr("This code can no longer be paid. While the order is open, Repay issues a new one."));
        }
    }
    pal.setColor(QPalette::WindowText, CountdownDelegate::colour(left, palette()));
    m_countdown->setPalette(pal);
}

} // namespace paydesk::ui
