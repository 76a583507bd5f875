#include "AuditPage.h"

#include "AuditModel.h"
#include "DbWorker.h"
#include "services/Services.h"

#include <QAction>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace paydesk::ui {

AuditPage::AuditPage(UiContext &ctx, QWidget *parent)
    : Page(parent), m_ctx(ctx), m_model(new AuditModel(ctx.services.audit, ctx.worker, this)), m_search(new QLineEdit(this)),
      m_table(new QTableView(this)), m_verify(new QPushButton(tr("&Verify chain"), this)), m_progress(new QProgressBar(this)),
      m_result(new QLabel(this))
{
    setObjectName(QStringLiteral("auditPage"));
    auto *layout = new QVBoxLayout(this);
    auto *top = new QHBoxLayout;
    auto *heading = new QLabel(tr("Audit log"), this);
    QFont f = heading->font();
    f.setPointSizeF(f.pointSizeF() * 1.3);
    f.setBold(true);
    heading->setFont(f);
    top->addWidget(heading);
    auto *searchLabel = new QLabel(tr("&Search:"), this);
    searchLabel->setBuddy(m_search);
    m_search->setPlaceholderText(tr("Action, object, user or details"));
    m_search->setClearButtonEnabled(true);
    top->addSpacing(16);
    top->addWidget(searchLabel);
    top->addWidget(m_search, 1);
    top->addWidget(m_verify);
    layout->addLayout(top);
    // Each entry reads as a sentence; the JSON it was made from is one click away.
    auto *raw = new QCheckBox(tr("Show ra&w details"), this);
    raw->setObjectName(QStringLiteral("showRawDetails"));
    raw->setToolTip(tr("Show each entry's details as stored (JSON, times in milliseconds since 1970)"));
    top->insertWidget(top->count() - 1, raw);
    connect(raw, &QCheckBox::toggled, m_model, &AuditModel::setShowRaw);
    auto *status = new QHBoxLayout;
    m_progress->setVisible(false);
    m_progress->setTextVisible(true);
    m_result->setObjectName(QStringLiteral("verifyResult"));
    m_result->setWordWrap(true);
    status->addWidget(m_progress, 1);
    status->addWidget(m_result, 2);
    layout->addLayout(status);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->setAlternatingRowColors(true);
    m_table->setTabKeyNavigation(false);
    m_table->setWordWrap(false);
    const QFontMetrics fm = m_table->fontMetrics();
    m_table->setColumnWidth(AuditModel::Seq, fm.horizontalAdvance(QStringLiteral("00000000")) + 12);
    m_table->setColumnWidth(AuditModel::Time, fm.horizontalAdvance(QStringLiteral("2026-01-01 00:00:00")) + 16);
    m_table->setColumnWidth(AuditModel::User, 90);
    m_table->setColumnWidth(AuditModel::Action, 170);
    m_table->setColumnWidth(AuditModel::Object, 230);
    m_table->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(m_table, 1);

    m_searchDelay.setSingleShot(true);
    m_searchDelay.setInterval(300);
    connect(&m_searchDelay, &QTimer::timeout, this, [this] { m_model->setSearch(m_search->text()); });
    connect(m_search, &QLineEdit::textChanged, this, [this] { m_searchDelay.start(); });
    connect(m_verify, &QPushButton::clicked, this, &AuditPage::verify);
    auto *refresh = new QAction(this);
    refresh->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_R), QKeySequence(Qt::Key_F5)});
    addAction(refresh);
    connect(refresh, &QAction::triggered, this, &AuditPage::refresh);
    m_model->reload();
}

QString AuditPage::resultText() const { return m_result->text(); }

void AuditPage::refresh()
{
    m_model->reload();
}

void AuditPage::verify()
{
    m_verify->setEnabled(false);
    m_progress->setVisible(true);
    m_result->setText(tr("Recomputing every entry's hash…"));
    qint64 total = 0;
    if (auto head = m_ctx.services.audit.head())
        total = head->first;
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    AuditLog *audit = &m_ctx.services.audit;
    QPointer<AuditPage> self(this);
    m_ctx.worker.run<Result<AuditLog::Verification>>(
        [audit, total, page = this, self]() {
            return audit->verify([total, page, self](qint64 checked) {
                DbWorker::report(page, [self, checked, total] {
                    if (self && total > 0)
                        self->m_progress->setValue(int(qMin<qint64>(1000, checked * 1000 / total)));
                    if (self)
                        self->m_progress->setFormat(tr("%1 entries checked").arg(QLocale().toString(checked)));
                });
            });
        },
        this, [this](Result<AuditLog::Verification> r) {
            m_verify->setEnabled(true);
            m_progress->setVisible(false);
            if (!r) {
                m_result->setText(r.error().message);
                emit verified(false);
                return;
            }
            const auto &v = r.value();
            if (v.intact)
                m_result->setText(tr("✔ The chain is intact: %1 entries checked.").arg(QLocale().toString(v.checked)));
            else
                m_result->setText(tr("✘ The chain is broken at entry %1: %2").arg(v.firstBrokenSeq).arg(v.problem));
            m_result->setStyleSheet(v.intact ? QStringLiteral("color: #2e7d32;") : QStringLiteral("color: #c62828; font-weight: bold;"));
            emit verified(v.intact);
        });
}

} // namespace paydesk::ui
