#include "NewOrderDialog.h"

#include "ChannelSetup.h"
#include "Labels.h"
#include "OrderWatch.h"
#include "PaymentPanel.h"
#include "channels/ChannelRegistry.h"
#include "services/Services.h"
#include "sync/SyncEngine.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace paydesk::ui {

NewOrderDialog::NewOrderDialog(UiContext &ctx, QWidget *parent)
    : QDialog(parent), m_ctx(ctx), m_amount(new QLineEdit(this)), m_title(new QLineEdit(this)), m_buyer(new QLineEdit(this)),
      m_timeout(new QSpinBox(this)), m_channel(new QComboBox(this)), m_problem(new QLabel(this)),
      m_create(new QPushButton(tr("&Create and show code"), this)), m_stack(new QStackedWidget(this)),
      m_panel(new PaymentPanel(*ctx.services.clock, this))
{
    setWindowTitle(tr("New order"));
    auto *layout = new QVBoxLayout(this);
    auto *formPage = new QWidget(this);
    auto *form = new QFormLayout(formPage);
    m_amount->setPlaceholderText(tr("e.g. 25.00"));
    form->addRow(tr("&Amount (¥):"), m_amount);
    m_title->setMaxLength(OrderService::kMaxTitleLength);
    m_title->setPlaceholderText(tr("What the customer buys"));
    form->addRow(tr("&Title:"), m_title);
    m_buyer->setPlaceholderText(tr("Optional"));
    form->addRow(tr("&Buyer:"), m_buyer);
    m_timeout->setRange(1, 7 * 24 * 60);
    m_timeout->setSuffix(tr(" min"));
    m_timeout->setValue(int(std::clamp<qint64>(ctx.services.settings.payTimeoutS() / 60, 1, 7 * 24 * 60)));
    form->addRow(tr("Time to &pay:"), m_timeout);
    for (ChannelKind kind : ChannelSetup::choices(ctx.services.channels))
        m_channel->addItem(ChannelSetup::label(ctx.services.channels, kind), int(kind));
    form->addRow(tr("C&hannel:"), m_channel);
    m_problem->setWordWrap(true);
    m_problem->setObjectName(QStringLiteral("newOrderProblem"));
    m_problem->setStyleSheet(QStringLiteral("color: #c62828;"));
    form->addRow(m_problem);
    m_stack->addWidget(formPage);
    m_stack->addWidget(m_panel);
    layout->addWidget(m_stack, 1);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_create, QDialogButtonBox::ActionRole);
    m_create->setDefault(true);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_create, &QPushButton::clicked, this, &NewOrderDialog::create);
    connect(m_amount, &QLineEdit::textChanged, this, &NewOrderDialog::validate);
    connect(m_title, &QLineEdit::textChanged, this, &NewOrderDialog::validate);
    connect(m_timeout, &QSpinBox::valueChanged, this, &NewOrderDialog::validate);
    connect(m_channel, &QComboBox::currentIndexChanged, this, &NewOrderDialog::validate);
    validate();
    resize(420, 520);
}

QString NewOrderDialog::problemText() const { return m_problem->text(); }
bool NewOrderDialog::isShowingCode() const { return m_stack->currentWidget() == m_panel; }

void NewOrderDialog::validate()
{
    QString problem;
    if (!m_amount->text().trimmed().isEmpty()) {
        auto money = Money::parse(m_amount->text().trimmed(), Currency::cny(), AmountUse::Payment);
        if (!money)
            problem = money.error().message;
    }
    if (problem.isEmpty() && m_channel->count() > 0) {
        // The channel must accept the code's lifetime: at least its minimum, with some margin.
        const auto kind = ChannelKind(m_channel->currentData().toInt());
        if (const PaymentChannel *ch = m_ctx.services.channels.channel(kind)) {
            const qint64 needed = ch->minimumExpiryMs() + 30'000;
            if (qint64(m_timeout->value()) * 60'000 < needed)
                problem = tr("%1 needs more time to pay than %2 min: choose at least %3 min.")
                              .arg(m_channel->currentText())
                              .arg(m_timeout->value())
                              .arg((needed + 59'999) / 60'000);
        }
    }
    if (m_channel->count() == 0)
        problem = tr("No payment channel is set up. Add a channel profile in Settings.");
    m_problem->setText(problem);
    const bool hasAmount = !m_amount->text().trimmed().isEmpty();
    const bool hasTitle = !m_title->text().trimmed().isEmpty();
    m_create->setEnabled(problem.isEmpty() && hasAmount && hasTitle);
    m_create->setToolTip(!problem.isEmpty() ? problem
                         : !hasAmount       ? tr("Enter the amount the customer pays.")
                         : !hasTitle        ? tr("Enter a title: what the customer buys (they see it when paying).")
                                            : tr("Create the order and show its payment code (Enter)"));
}

void NewOrderDialog::create()
{
    if (!m_create->isEnabled())
        return;
    NewOrder req;
    req.amount = m_amount->text().trimmed();
    req.title = m_title->text().trimmed();
    req.buyer = m_buyer->text().trimmed();
    req.timeoutMs = qint64(m_timeout->value()) * 60'000;
    const auto kind = ChannelKind(m_channel->currentData().toInt());
    auto r = m_ctx.services.payments.checkout(m_ctx.user, req, kind);
    if (!r) {
        m_problem->setText(r.error().message);
        return;
    }
    m_orderNo = r->order.orderNo;
    if (m_ctx.sync)
        m_ctx.sync->poke();
    m_create->hide();
    if (r->attempt) {
        m_panel->setChannelLabel(ChannelSetup::label(m_ctx.services.channels, r->attempt->channel));
        m_panel->show(r->order, *r->attempt, r->task.data());
    }
    m_stack->setCurrentWidget(m_panel);
    // The customer pays (or the time runs out) while the code shows: the panel says so.
    m_watch = new OrderWatch(m_ctx, r->order, this);
    connect(m_watch, &OrderWatch::changed, m_panel, &PaymentPanel::setOrder);
}

} // namespace paydesk::ui
