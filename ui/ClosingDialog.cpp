#include "ClosingDialog.h"

#include "FileDialogs.h"
#include "Labels.h"
#include "MessageBox.h"

#include <QComboBox>
#include <QDateEdit>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QPageSize>
#include <QPixmap>
#include <QPrintDialog>
#include <QPrinter>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

namespace paydesk::ui {

namespace {
QString money(qint64 minor) { return Money::cny(minor).toDisplayString(QLocale()); }
}

Receipt::Slip ClosingDialog::slipOf(const Closing &c, const QList<ClosingService::BillCheck> &bills)
{
    const Receipt::Language lang = Receipt::defaultLanguage();
    Receipt::Slip s;
    s.header = tr("PayDesk");
    const bool day = c.kind == Closing::Kind::Day;
    s.title = day ? tr("Day report (Z) %1").arg(c.businessDate.toString(Qt::ISODate)) : tr("Shift report");
    s.documentTitle = s.title;
    if (!day)
        s.rows.append({tr("Clerk"), Labels::actor(c.login)});
    s.rows.append({tr("From"), Labels::time(c.fromMs)});
    s.rows.append({tr("To"), Labels::time(c.toMs)});
    for (const ClosingTotals::Channel &ch : c.totals.channels) {
        if (ch.payments == 0 && ch.refunds == 0)
            continue;
        s.rows.append({Receipt::channelName(ch.channel, lang), QString()});
        s.rows.append({tr("Payments"), QLocale().toString(ch.payments)});
        s.rows.append({tr("Paid"), money(ch.paidMinor)});
        s.rows.append({tr("Refunds"), QLocale().toString(ch.refunds)});
        s.rows.append({tr("Refunded"), money(ch.refundedMinor)});
    }
    s.rows.append({tr("Total"), QString()});
    s.rows.append({tr("Paid"), money(c.totals.paidMinor())});
    s.rows.append({tr("Refunded"), money(c.totals.refundedMinor())});
    s.rows.append({tr("Net"), money(c.totals.netMinor()), true});
    s.rows.append({tr("Still pending"), tr("%n order(s), %1", nullptr, int(c.totals.pendingOrders)).arg(money(c.totals.pendingMinor))});
    if (day) {
        s.rows.append({tr("Against the channels' bills"), QString()});
        for (const ClosingService::BillCheck &b : bills) {
            const QString name = Receipt::channelName(b.channel, lang);
            if (!b.reconciled)
                s.rows.append({name, tr("not reconciled yet")});
            else
                s.rows.append({name, b.agrees() ? tr("bill agrees (%1 paid, %2 refunded)").arg(money(b.billPaidMinor), money(b.billRefundedMinor))
                                                : tr("bill differs: %1 paid, %2 refunded").arg(money(b.billPaidMinor), money(b.billRefundedMinor)),
                               !b.agrees()});
        }
        if (bills.isEmpty())
            s.rows.append({tr("Channels"), tr("no payments")});
    }
    s.footer << (c.closedAt > 0 ? tr("Closed %1 by %2").arg(Labels::time(c.closedAt), Labels::actor(c.closedBy))
                                : tr("Not closed yet: a preview"));
    return s;
}

ClosingDialog::ClosingDialog(ClosingService &closings, const User &user, QWidget *parent)
    : QDialog(parent), m_closings(closings), m_user(user), m_kind(new QComboBox(this)), m_date(new QDateEdit(this)),
      m_preview(new QLabel(this)), m_status(new QLabel(this)), m_close(new QPushButton(this)),
      m_save(new QPushButton(tr("&Save as PDF…"), this)), m_print(new QPushButton(tr("&Print…"), this))
{
    setWindowTitle(tr("Shift and day close"));
    setObjectName(QStringLiteral("closingDialog"));
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    const bool counter = user.role == Role::Clerk || user.role == Role::Admin;
    const bool finance = user.role == Role::Finance || user.role == Role::Admin;
    if (counter)
        m_kind->addItem(tr("My shift"), int(Closing::Kind::Shift));
    if (finance)
        m_kind->addItem(tr("A business day"), int(Closing::Kind::Day));
    m_kind->setAccessibleName(tr("Report"));
    form->addRow(tr("&Report:"), m_kind);
    m_date->setCalendarPopup(true);
    m_date->setDisplayFormat(QStringLiteral("yyyy-MM-dd"));
    m_date->setAccessibleName(tr("Business day"));
    form->addRow(tr("&Day:"), m_date);
    layout->addLayout(form);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_preview);
    scroll->setAlignment(Qt::AlignHCenter);
    scroll->setMinimumSize(380, 520);
    scroll->setBackgroundRole(QPalette::Dark);
    m_preview->setObjectName(QStringLiteral("closingPreview"));
    layout->addWidget(scroll, 1);
    m_status->setWordWrap(true);
    m_status->setObjectName(QStringLiteral("closingStatus"));
    layout->addWidget(m_status);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_close->setObjectName(QStringLiteral("closeReportButton"));
    for (QPushButton *b : {m_close, m_save, m_print}) {
        b->setAutoDefault(false);
        buttons->addButton(b, QDialogButtonBox::ActionRole);
    }
    m_save->setShortcut(QKeySequence::Save);
    m_print->setShortcut(QKeySequence::Print);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_close, &QPushButton::clicked, this, &ClosingDialog::closeReport);
    connect(m_save, &QPushButton::clicked, this, &ClosingDialog::savePdf);
    connect(m_print, &QPushButton::clicked, this, [this] {
        QPrinter printer(QPrinter::HighResolution);
        printer.setDocName(slip().documentTitle);
        printer.setPageSize(QPageSize(QSizeF(Receipt::kWidthMm, Receipt::heightMm(slip())), QPageSize::Millimeter, tr("Report"),
                                      QPageSize::ExactMatch));
        QPrintDialog dialog(&printer, this);
        if (dialog.exec() == QDialog::Accepted)
            printOn(printer);
    });
    layout->addWidget(buttons);
    // Yesterday by default: the last day that is over.
    m_date->setDate(closings.lastDayOver());
    connect(m_kind, &QComboBox::currentIndexChanged, this, &ClosingDialog::reload);
    connect(m_date, &QDateEdit::dateChanged, this, &ClosingDialog::reload);
    reload();
}

Receipt::Slip ClosingDialog::slip() const { return m_report ? slipOf(*m_report, m_bills) : Receipt::Slip(); }

void ClosingDialog::reload()
{
    const bool day = Closing::Kind(m_kind->currentData().toInt()) == Closing::Kind::Day && m_kind->count() > 0;
    m_date->setEnabled(day);
    m_close->setText(day ? tr("&Close day…") : tr("&Close shift…"));
    auto r = m_kind->count() == 0 ? Result<Closing>(Error::forbidden(QStringLiteral("role"), tr("Your role closes no shifts or days.")))
           : day                  ? m_closings.dayReport(m_user.login, m_date->date())
                                  : m_closings.shiftReport(m_user.login);
    m_bills.clear();
    if (!r) {
        m_report.reset();
        m_status->setText(r.error().message);
        m_preview->clear();
        for (QPushButton *b : {m_close, m_save, m_print})
            b->setEnabled(false);
        return;
    }
    m_report = r.value();
    if (day)
        if (auto bills = m_closings.compareWithBills(*m_report))
            m_bills = bills.value();
    m_status->setText(m_report->closedAt > 0 ? tr("Closed %1 by %2.").arg(Labels::time(m_report->closedAt), Labels::actor(m_report->closedBy))
                                             : tr("Not closed yet; closing keeps these totals as they are now."));
    m_close->setEnabled(m_report->closedAt == 0);
    m_save->setEnabled(true);
    m_print->setEnabled(true);
    const qreal dpr = devicePixelRatioF();
    QImage image = Receipt::preview(slip(), 4.2 * dpr);
    image.setDevicePixelRatio(dpr);
    m_preview->setPixmap(QPixmap::fromImage(image));
    m_preview->resize(m_preview->sizeHint());
}

void ClosingDialog::closeReport()
{
    if (!m_report || m_report->closedAt > 0)
        return;
    const bool day = m_report->kind == Closing::Kind::Day;
    const QString question = day ? tr("Close %1 with net %2? A closed day is kept as it is and cannot be closed again.")
                                       .arg(m_report->businessDate.toString(Qt::ISODate), money(m_report->totals.netMinor()))
                                 : tr("Close your shift with net %1? The next shift starts now.").arg(money(m_report->totals.netMinor()));
    if (MessageBox::question(this, day ? tr("Close day") : tr("Close shift"), question) != QMessageBox::Yes)
        return;
    auto r = day ? m_closings.closeDay(m_user.login, m_report->businessDate) : m_closings.closeShift(m_user.login);
    if (!r) {
        m_status->setText(r.error().message);
        return;
    }
    m_report = r.value();
    if (day)
        if (auto bills = m_closings.compareWithBills(*m_report))
            m_bills = bills.value();
    m_status->setText(tr("Closed %1 by %2.").arg(Labels::time(m_report->closedAt), Labels::actor(m_report->closedBy)));
    m_close->setEnabled(false);
    const qreal dpr = devicePixelRatioF();
    QImage image = Receipt::preview(slip(), 4.2 * dpr);
    image.setDevicePixelRatio(dpr);
    m_preview->setPixmap(QPixmap::fromImage(image));
    m_preview->resize(m_preview->sizeHint());
}

void ClosingDialog::savePdf()
{
    if (!m_report)
        return;
    const QString suggested = (m_report->kind == Closing::Kind::Day ? QStringLiteral("day-") + m_report->businessDate.toString(Qt::ISODate)
                                                                    : QStringLiteral("shift-") + m_report->login)
        + QStringLiteral(".pdf");
    const QString path = FileDialogs::saveFileName(this, tr("Save report"), suggested, tr("PDF files (*.pdf)"));
    if (path.isEmpty())
        return;
    if (Status s = Receipt::writePdf(path, slip()); !s) {
        MessageBox::warning(this, tr("Save report"), s.error().message);
        return;
    }
    m_status->setText(tr("The report was saved to %1.").arg(path));
}

void ClosingDialog::printOn(QPrinter &printer)
{
    if (m_report)
        Receipt::paint(printer, slip());
}

} // namespace paydesk::ui
