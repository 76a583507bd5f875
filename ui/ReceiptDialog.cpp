#include "ReceiptDialog.h"

#include "FileDialogs.h"
#include "Labels.h"
#include "MessageBox.h"
#include "storage/OrderRepository.h"
#include "storage/RefundRepository.h"
#include "util/Clock.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QPageLayout>
#include <QPageSize>
#include <QPixmap>
#include <QPrintDialog>
#include <QPrinter>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

namespace paydesk::ui {

ReceiptDialog::ReceiptDialog(OrderRepository &orders, RefundRepository &refunds, const Clock &clock, const QString &login,
                             const Order &order, QWidget *parent)
    : QDialog(parent), m_orders(orders), m_refunds(refunds), m_clock(clock), m_login(login), m_order(order),
      m_which(new QComboBox(this)), m_language(new QComboBox(this)), m_preview(new QLabel(this)), m_error(new QLabel(this)),
      m_save(new QPushButton(tr("&Save as PDF…"), this)), m_print(new QPushButton(tr("&Print…"), this))
{
    setWindowTitle(tr("Receipt for %1").arg(order.orderNo));
    setObjectName(QStringLiteral("receiptDialog"));
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    form->addRow(tr("&Receipt for:"), m_which);
    form->addRow(tr("&Language:"), m_language);
    layout->addLayout(form);

    // The payment, then every refund the channel has paid back (a receipt for money that moved).
    m_which->addItem(tr("The payment (%1)").arg(order.amount().toDisplayString()), QString());
    if (auto list = refunds.ofOrder(order.id)) {
        for (const Refund &r : list.value())
            if (r.state == RefundState::Succeeded)
                m_which->addItem(tr("Refund %1 (%2)").arg(r.outRefundNo, Money(r.amountMinor, order.amount().currency()).toDisplayString()),
                                 r.outRefundNo);
    }
    m_which->setAccessibleName(tr("Which receipt"));
    m_language->addItem(QStringLiteral("中文"), int(Receipt::Language::Chinese));
    m_language->addItem(QStringLiteral("English"), int(Receipt::Language::English));
    m_language->setCurrentIndex(Receipt::defaultLanguage() == Receipt::Language::Chinese ? 0 : 1);
    m_language->setAccessibleName(tr("Receipt language"));

    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_preview);
    scroll->setWidgetResizable(false);
    scroll->setAlignment(Qt::AlignHCenter);
    scroll->setMinimumSize(380, 480);
    scroll->setBackgroundRole(QPalette::Dark);
    m_preview->setObjectName(QStringLiteral("receiptPreview"));
    m_preview->setAccessibleName(tr("Receipt preview"));
    layout->addWidget(scroll, 1);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color:#c62828"));
    m_error->hide();
    layout->addWidget(m_error);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_save->setShortcut(QKeySequence::Save);
    m_print->setShortcut(QKeySequence::Print);
    m_save->setToolTip(tr("Write the receipt to a PDF file (%1)").arg(QKeySequence(QKeySequence::Save).toString(QKeySequence::NativeText)));
    m_print->setToolTip(tr("Print the receipt (%1)").arg(QKeySequence(QKeySequence::Print).toString(QKeySequence::NativeText)));
    m_save->setAutoDefault(false);
    m_print->setAutoDefault(false);
    buttons->addButton(m_save, QDialogButtonBox::ActionRole);
    buttons->addButton(m_print, QDialogButtonBox::ActionRole);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_save, &QPushButton::clicked, this, &ReceiptDialog::savePdf);
    connect(m_print, &QPushButton::clicked, this, &ReceiptDialog::print);
    layout->addWidget(buttons);

    connect(m_which, &QComboBox::currentIndexChanged, this, &ReceiptDialog::reload);
    connect(m_language, &QComboBox::currentIndexChanged, this, &ReceiptDialog::reload);
    reload();
}

Receipt::Language ReceiptDialog::language() const { return Receipt::Language(m_language->currentData().toInt()); }

void ReceiptDialog::reload()
{
    const QString refundNo = m_which->currentData().toString();
    auto facts = refundNo.isEmpty() ? Receipt::payment(m_orders, m_order.id) : Receipt::refund(m_orders, m_refunds, refundNo);
    if (!facts) {
        m_facts.reset();
        m_error->setText(facts.error().message);
        m_error->show();
        m_preview->clear();
        m_save->setEnabled(false);
        m_print->setEnabled(false);
        return;
    }
    m_facts = facts.value();
    m_facts->printedAt = m_clock.nowMs();
    m_facts->printedBy = m_login;
    m_error->hide();
    m_save->setEnabled(true);
    m_print->setEnabled(true);
    const qreal dpr = devicePixelRatioF();
    QImage image = Receipt::preview(*m_facts, language(), 4.2 * dpr);
    image.setDevicePixelRatio(dpr);
    m_preview->setPixmap(QPixmap::fromImage(image));
    m_preview->resize(m_preview->sizeHint());
}

void ReceiptDialog::savePdf()
{
    if (!m_facts)
        return;
    const QString suggested = (m_facts->refund ? m_facts->refund->outRefundNo : m_order.orderNo) + QStringLiteral(".pdf");
    const QString path = FileDialogs::saveFileName(this, tr("Save receipt"), suggested, tr("PDF files (*.pdf)"));
    if (path.isEmpty())
        return;
    if (Status s = Receipt::writePdf(path, *m_facts, language()); !s) {
        MessageBox::warning(this, tr("Save receipt"), s.error().message);
        return;
    }
    MessageBox::information(this, tr("Save receipt"), tr("The receipt was saved to %1.").arg(path));
}

void ReceiptDialog::print()
{
    if (!m_facts)
        return;
    QPrinter printer(QPrinter::HighResolution);
    printer.setDocName(windowTitle());
    printer.setPageSize(QPageSize(QSizeF(Receipt::kWidthMm, Receipt::heightMm(*m_facts, language())), QPageSize::Millimeter,
                                  tr("Receipt"), QPageSize::ExactMatch));
    printer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout::Millimeter);
    QPrintDialog dialog(&printer, this);
    dialog.setWindowTitle(tr("Print receipt"));
    if (dialog.exec() != QDialog::Accepted)
        return;
    printOn(printer);
}

void ReceiptDialog::printOn(QPrinter &printer)
{
    if (m_facts)
        Receipt::paint(printer, *m_facts, language());
}

} // namespace paydesk::ui
