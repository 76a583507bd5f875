#include "MarkPaidDialog.h"

#include "Labels.h"
#include "services/FixupService.h"
#include "storage/OrderRepository.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QVBoxLayout>

namespace paydesk::ui {

MarkPaidDialog::MarkPaidDialog(FixupService &fixups, OrderRepository &orders, const QString &login, const Order &order, QWidget *parent)
    : QDialog(parent), m_fixups(fixups), m_login(login), m_order(order), m_payment(new QComboBox(this)), m_txn(new QLineEdit(this)),
      m_reason(new QPlainTextEdit(this)), m_error(new QLabel(this)), m_submit(new QPushButton(tr("&Ask for review"), this))
{
    setWindowTitle(tr("Mark order %1 paid").arg(order.orderNo));
    setObjectName(QStringLiteral("markPaidDialog"));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("For money that reached you for %1 (%2) without any answer from the channel. Another FINANCE "
                                "user approves it; the channel is asked once more first, and its answer decides.")
                                 .arg(order.orderNo, order.amount().toDisplayString()),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto *form = new QFormLayout;
    if (auto attempts = orders.attemptsOf(order.id)) {
        for (const PaymentAttempt &a : attempts.value())
            if (a.state != AttemptState::Succeeded)
                m_payment->insertItem(0, tr("%1 · %2 · %3").arg(a.outTradeNo, Labels::of(a.channel), Labels::time(a.createdAt)), a.outTradeNo);
    }
    m_payment->setCurrentIndex(0); // the newest
    m_payment->setAccessibleName(tr("Payment the money came for"));
    auto *paymentLabel = new QLabel(tr("&Payment:"), this);
    paymentLabel->setBuddy(m_payment);
    form->addRow(paymentLabel, m_payment);
    m_txn->setPlaceholderText(tr("e.g. 4200001234202612041234567890"));
    m_txn->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9A-Za-z_\\-]{0,64}")), m_txn));
    m_txn->setAccessibleName(tr("Channel transaction id"));
    auto *txnLabel = new QLabel(tr("Channel &transaction id:"), this);
    txnLabel->setBuddy(m_txn);
    form->addRow(txnLabel, m_txn);
    m_reason->setPlaceholderText(tr("What the customer showed, where the money was seen…"));
    m_reason->setTabChangesFocus(true);
    m_reason->setFixedHeight(fontMetrics().height() * 4);
    m_reason->setAccessibleName(tr("Reason"));
    auto *reasonLabel = new QLabel(tr("&Reason:"), this);
    reasonLabel->setBuddy(m_reason);
    form->addRow(reasonLabel, m_reason);
    layout->addLayout(form);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color:#c62828"));
    m_error->hide();
    layout->addWidget(m_error);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    buttons->addButton(m_submit, QDialogButtonBox::AcceptRole);
    m_submit->setDefault(true);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_submit, &QPushButton::clicked, this, &MarkPaidDialog::submit);
    layout->addWidget(buttons);
    connect(m_txn, &QLineEdit::textChanged, this, &MarkPaidDialog::updateButton);
    connect(m_reason, &QPlainTextEdit::textChanged, this, &MarkPaidDialog::updateButton);
    if (m_payment->count() == 0) {
        m_error->setText(tr("Order %1 has no payment to mark paid.").arg(order.orderNo));
        m_error->show();
    }
    updateButton();
    m_txn->setFocus();
}

QString MarkPaidDialog::errorText() const { return m_error->isVisible() ? m_error->text() : QString(); }

void MarkPaidDialog::updateButton()
{
    m_submit->setEnabled(m_payment->count() > 0 && m_txn->text().trimmed().size() >= 6 && m_reason->toPlainText().trimmed().size() >= 4);
}

void MarkPaidDialog::submit()
{
    if (!m_submit->isEnabled())
        return;
    FixupService::MarkPaid req;
    req.orderNo = m_order.orderNo;
    req.outTradeNo = m_payment->currentData().toString();
    req.channelTxnId = m_txn->text();
    req.reason = m_reason->toPlainText();
    auto f = m_fixups.requestMarkPaid(m_login, req);
    if (!f) {
        m_error->setText(f.error().message);
        m_error->show();
        return;
    }
    m_fixup = f.value();
    accept();
}

} // namespace paydesk::ui
