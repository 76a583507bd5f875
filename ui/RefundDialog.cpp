#include "RefundDialog.h"

#include "MessageBox.h"
#include "OrderWatch.h"
#include "services/Services.h"
#include "sync/SyncEngine.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QUuid>
#include <QVBoxLayout>

namespace paydesk::ui {

RefundDialog::RefundDialog(UiContext &ctx, const Order &order, QWidget *parent)
    : QDialog(parent), m_ctx(ctx), m_order(order), m_refundable(0, order.amount().currency()),
      m_requestKey(QUuid::createUuid().toString(QUuid::WithoutBraces)), m_amount(new QLineEdit(this)),
      m_reason(new QPlainTextEdit(this)), m_available(new QLabel(this)), m_problem(new QLabel(this)),
      m_all(new QPushButton(tr("&All that is left"), this)), m_submit(new QPushButton(tr("&Request refund"), this))
{
    setWindowTitle(tr("Refund %1").arg(order.orderNo));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("Order %1, %2, paid %3.").arg(order.orderNo, order.title, order.amount().toDisplayString(QLocale())), this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto *form = new QFormLayout;
    auto refundable = ctx.services.refundService.refundable(order.orderNo);
    if (refundable)
        m_refundable = refundable.value();
    m_available->setText(refundable ? tr("%1 can still be refunded.").arg(m_refundable.toDisplayString(QLocale()))
                                    : refundable.error().message);
    m_available->setObjectName(QStringLiteral("refundable"));
    form->addRow(tr("Refundable:"), m_available);
    auto *amountRow = new QHBoxLayout;
    m_amount->setPlaceholderText(tr("e.g. 12.30"));
    m_amount->setAccessibleName(tr("Refund amount"));
    amountRow->addWidget(m_amount, 1);
    amountRow->addWidget(m_all);
    // A row of a layout gets no buddy from addRow(text, layout): the label names its field
    // itself, so "&A" is a shortcut (Alt+A) and not shown as "&".
    auto *amountLabel = new QLabel(tr("&Amount (%1):").arg(order.amount().currency().symbol()), this);
    amountLabel->setObjectName(QStringLiteral("amountLabel"));
    amountLabel->setBuddy(m_amount);
    form->addRow(amountLabel, amountRow);
    m_reason->setPlaceholderText(tr("Why the money goes back (required; the reviewer reads it)"));
    m_reason->setTabChangesFocus(true);
    m_reason->setMaximumHeight(90);
    form->addRow(tr("R&eason:"), m_reason);
    layout->addLayout(form);
    m_problem->setWordWrap(true);
    m_problem->setObjectName(QStringLiteral("refundProblem"));
    m_problem->setStyleSheet(QStringLiteral("color: #c62828;"));
    layout->addWidget(m_problem);
    auto *note = new QLabel(tr("A FINANCE user other than you reviews the request before any money moves."), this);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(note);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    buttons->addButton(m_submit, QDialogButtonBox::AcceptRole);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_submit, &QPushButton::clicked, this, &RefundDialog::submit);
    connect(m_amount, &QLineEdit::textEdited, this, [this] {
        m_useAll = false;
        validate();
    });
    connect(m_reason, &QPlainTextEdit::textChanged, this, &RefundDialog::validate);
    connect(m_all, &QPushButton::clicked, this, [this] {
        m_amount->setText(m_refundable.toPlainString());
        m_useAll = true;
        validate();
        m_reason->setFocus();
    });
    m_all->setEnabled(m_refundable.minor() > 0);
    m_submit->setDefault(true);
    // Another refund or the channel may change what is refundable while the form is open.
    m_watch = new OrderWatch(ctx, order, this);
    connect(m_watch, &OrderWatch::checked, this, &RefundDialog::followOrder);
    validate();
    resize(460, 340);
}

void RefundDialog::followOrder()
{
    m_order = m_watch->order();
    auto refundable = m_ctx.services.refundService.refundable(m_order.orderNo);
    if (!refundable)
        return;
    const bool paid = m_order.state == OrderState::Paid || m_order.state == OrderState::PartiallyRefunded;
    if (refundable->minor() == m_refundable.minor() && paid == m_gone.isEmpty())
        return;
    m_refundable = refundable.value();
    m_available->setText(tr("%1 can still be refunded.").arg(m_refundable.toDisplayString(QLocale())));
    m_gone.clear();
    if (!paid || m_refundable.minor() <= 0) {
        const QString happened = OrderWatch::whatHappened(m_order, m_ctx.services.clock->nowMs());
        m_gone = m_refundable.minor() <= 0 ? tr("Nothing is left to refund on this order: other refunds took it meanwhile.")
                                           : happened;
        if (m_order.state == OrderState::Refunded)
            m_gone = happened;
    }
    m_all->setEnabled(m_gone.isEmpty() && m_refundable.minor() > 0);
    validate();
}

QString RefundDialog::problemText() const { return m_problem->text(); }

void RefundDialog::validate()
{
    QString problem;
    const QString text = m_amount->text().trimmed();
    bool amountOk = false;
    if (!text.isEmpty()) {
        auto amount = Money::parse(text, m_order.amount().currency(), AmountUse::Refund);
        if (!amount)
            problem = amount.error().message;
        else if (amount->minor() > m_refundable.minor())
            problem = tr("At most %1 can be refunded on this order.").arg(m_refundable.toDisplayString(QLocale()));
        else
            amountOk = true;
    }
    const bool reasonOk = !m_reason->toPlainText().trimmed().isEmpty();
    if (!m_gone.isEmpty()) {
        problem = m_gone;
        amountOk = false;
    }
    m_problem->setText(problem);
    m_amount->setStyleSheet(problem.isEmpty() || !m_gone.isEmpty() ? QString() : QStringLiteral("border: 1px solid #c62828;"));
    m_submit->setEnabled(amountOk && reasonOk);
    m_submit->setToolTip(!m_gone.isEmpty() ? m_gone : !amountOk ? tr("Enter an amount within what is refundable.")
                                   : !reasonOk ? tr("Give a reason for the refund.") : QString());
}

void RefundDialog::submit()
{
    m_watch->check(); // the freshest refundable amount before a money action
    if (!m_submit->isEnabled())
        return;
    const auto amount = Money::parse(m_amount->text().trimmed(), m_order.amount().currency(), AmountUse::Refund);
    if (!amount) {
        m_problem->setText(amount.error().message);
        return;
    }
    // A money action: say what will happen and ask, "No" being the default.
    const qint64 threshold = m_ctx.services.settings.autoApproveMinor();
    const bool automatic = threshold > 0 && amount->minor() <= threshold;
    const QString what = tr("Request a refund of %1 on order %2 (%3)?").arg(amount->toDisplayString(QLocale()), m_order.orderNo, m_order.title);
    const QString next = automatic
        ? tr("It is within the auto-approve limit of %1: it is approved at once and the money goes back to the customer.")
              .arg(Money(threshold, m_order.amount().currency()).toDisplayString(QLocale()))
        : tr("No money moves until a FINANCE user other than you approves it.");
    if (MessageBox::question(this, tr("Request refund"), what + QStringLiteral("\n\n") + next) != QMessageBox::Yes)
        return;
    RefundService::Request req;
    req.orderNo = m_order.orderNo;
    req.amount = m_amount->text().trimmed();
    req.all = m_useAll;
    req.reason = m_reason->toPlainText().trimmed();
    req.requestKey = m_requestKey;
    auto r = m_ctx.services.refundService.request(m_ctx.user, req);
    if (!r) {
        m_problem->setText(r.error().message);
        return;
    }
    m_refundNo = r->refund.outRefundNo;
    m_autoApproved = r->autoApproved;
    if (m_ctx.sync)
        m_ctx.sync->poke();
    accept();
}

} // namespace paydesk::ui
