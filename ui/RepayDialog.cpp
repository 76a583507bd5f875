#include "RepayDialog.h"

#include "ChannelSetup.h"
#include "Labels.h"
#include "OrderWatch.h"
#include "PaymentPanel.h"
#include "channels/ChannelRegistry.h"
#include "services/Services.h"
#include "sync/SyncEngine.h"
#include "util/Duration.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace paydesk::ui {

RepayDialog::RepayDialog(UiContext &ctx, const Order &order, QWidget *parent)
    : QDialog(parent), m_ctx(ctx), m_order(order), m_watch(new OrderWatch(ctx, order, this)), m_state(new QLabel(this)),
      m_channel(new QComboBox(this)), m_window(new QLabel(this)),
      m_error(new QLabel(this)), m_issue(new QPushButton(tr("&Issue new code"), this)), m_stack(new QStackedWidget(this)),
      m_panel(new PaymentPanel(*ctx.services.clock, this))
{
    setWindowTitle(tr("Repay %1").arg(order.orderNo));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("Order %1, %2: %3").arg(order.orderNo, order.title, order.amount().toDisplayString(QLocale())), this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    // What became of the order while this dialog was open (the customer paid, the timer closed it).
    m_state->setObjectName(QStringLiteral("repayOrderState"));
    m_state->setWordWrap(true);
    m_state->setStyleSheet(QStringLiteral("background: #fff4e5; border: 1px solid #f5a623; border-radius: 4px; padding: 6px;"));
    m_state->setVisible(false);
    layout->addWidget(m_state);

    auto *choose = new QWidget(this);
    auto *form = new QFormLayout(choose);
    for (ChannelKind kind : ChannelSetup::choices(ctx.services.channels))
        m_channel->addItem(ChannelSetup::label(ctx.services.channels, kind), int(kind));
    if (order.channel) {
        const int i = m_channel->findData(int(*order.channel));
        if (i >= 0)
            m_channel->setCurrentIndex(i);
    }
    form->addRow(tr("&Channel:"), m_channel);
    m_window->setWordWrap(true);
    form->addRow(tr("Time for the customer:"), m_window);
    m_error->setWordWrap(true);
    m_error->setObjectName(QStringLiteral("repayError"));
    m_error->setStyleSheet(QStringLiteral("color: #c62828;"));
    form->addRow(m_error);
    m_stack->addWidget(choose);
    m_stack->addWidget(m_panel);
    layout->addWidget(m_stack, 1);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_issue, QDialogButtonBox::ActionRole);
    m_issue->setDefault(true);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_issue, &QPushButton::clicked, this, &RepayDialog::issue);
    connect(m_channel, &QComboBox::currentIndexChanged, this, &RepayDialog::updateWindow);
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &RepayDialog::updateWindow);
    m_timer.start();
    connect(m_watch, &OrderWatch::changed, this, &RepayDialog::orderChanged);
    updateWindow();
    orderChanged(m_watch->order());
    resize(420, 520);
}

QString RepayDialog::orderStateText() const { return m_state->isVisibleTo(this) ? m_state->text() : QString(); }

void RepayDialog::orderChanged(const Order &order)
{
    m_order = order;
    const QString happened = m_watch->whatHappened();
    m_state->setText(happened.isEmpty() ? QString() : happened + u' ' + tr("There is nothing to repay."));
    m_state->setVisible(!happened.isEmpty());
    if (isShowingCode())
        m_panel->setOrder(order);
    updateWindow();
}

QString RepayDialog::windowText() const { return m_window->text() + u'\n' + m_error->text(); }
bool RepayDialog::isShowingCode() const { return m_stack->currentWidget() == m_panel; }

void RepayDialog::updateWindow()
{
    if (isShowingCode())
        return;
    if (!m_watch->isPayable()) {
        // Paid, closed or out of time while the dialog was open: no new code, and say why.
        m_window->clear();
        m_error->clear();
        m_channel->setEnabled(false);
        m_issue->setEnabled(false);
        m_issue->setToolTip(m_watch->whatHappened());
        return;
    }
    if (m_channel->count() == 0) {
        m_window->clear();
        m_error->setText(tr("No payment channel is set up. Add a channel profile in Settings."));
        m_issue->setEnabled(false);
        return;
    }
    const auto kind = ChannelKind(m_channel->currentData().toInt());
    const auto window = m_ctx.services.payments.repayWindow(m_order, kind);
    if (window) {
        m_window->setText(tr("The new code will be valid for %1.").arg(Duration::human(window.value())));
        m_error->clear();
        m_issue->setEnabled(true);
        m_issue->setToolTip(QString());
    } else {
        m_window->clear();
        m_error->setText(window.error().message);
        m_issue->setEnabled(false);
        m_issue->setToolTip(window.error().message);
    }
}

void RepayDialog::issue()
{
    m_watch->check(); // the freshest word on the order before a channel call
    if (!m_issue->isEnabled())
        return;
    m_issue->setEnabled(false);
    m_error->setText(tr("Closing the previous code and asking the channel for a new one…"));
    const auto kind = ChannelKind(m_channel->currentData().toInt());
    m_ctx.services.payments.repay(m_ctx.user, m_order.orderNo, kind, this, [this](const Result<PaymentService::Started> &r) {
        if (!r) {
            m_error->setText(r.error().message);
            m_issue->setEnabled(true);
            return;
        }
        m_timer.stop();
        m_issue->hide();
        if (m_ctx.sync)
            m_ctx.sync->poke();
        if (r->attempt) {
            m_panel->setChannelLabel(ChannelSetup::label(m_ctx.services.channels, r->attempt->channel));
            m_panel->show(r->order, *r->attempt, r->task.data());
        }
        m_stack->setCurrentWidget(m_panel);
        m_watch->check();
        m_panel->setOrder(m_watch->order());
    });
}

} // namespace paydesk::ui
