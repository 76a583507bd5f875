#include "AnomaliesPage.h"

#include "ActionPolicy.h"
#include "Labels.h"
#include "ListModels.h"
#include "MessageBox.h"
#include "services/Services.h"

#include <QAction>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace paydesk::ui {

AnomaliesPage::AnomaliesPage(UiContext &ctx, QWidget *parent)
    : Page(parent), m_ctx(ctx), m_model(new AnomalyModel(ctx.services.anomalies, this)), m_state(new QComboBox(this)),
      m_table(new QTableView(this)), m_note(new QLineEdit(this)), m_resolve(new QPushButton(tr("&Resolve"), this)),
      m_open(new QPushButton(tr("&Open order"), this))
{
    setObjectName(QStringLiteral("anomaliesPage"));
    m_open->setObjectName(QStringLiteral("openOrderButton"));
    auto *layout = new QVBoxLayout(this);
    auto *top = new QHBoxLayout;
    auto *heading = new QLabel(tr("Anomalies"), this);
    QFont f = heading->font();
    f.setPointSizeF(f.pointSizeF() * 1.3);
    f.setBold(true);
    heading->setFont(f);
    top->addWidget(heading);
    top->addStretch(1);
    auto *stateLabel = new QLabel(tr("&Show:"), this);
    stateLabel->setBuddy(m_state);
    m_state->addItem(Labels::of(AnomalyState::Open), int(AnomalyState::Open));
    m_state->addItem(Labels::of(AnomalyState::Resolved), int(AnomalyState::Resolved));
    m_state->addItem(tr("All"), -1);
    top->addWidget(stateLabel);
    top->addWidget(m_state);
    layout->addLayout(top);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    m_table->setTabKeyNavigation(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(AnomalyModel::Details, QHeaderView::Stretch);
    layout->addWidget(m_table, 1);
    auto *row = new QHBoxLayout;
    auto *noteLabel = new QLabel(tr("&Note:"), this);
    noteLabel->setBuddy(m_note);
    m_note->setPlaceholderText(tr("How it was settled (required)"));
    row->addWidget(m_open);
    row->addWidget(noteLabel);
    row->addWidget(m_note, 1);
    row->addWidget(m_resolve);
    layout->addLayout(row);
    auto *hint = new QLabel(tr("Money taken twice or after closing also waits as a refund request in Refund review."), this);
    hint->setWordWrap(true);
    hint->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(hint);
    connect(m_state, &QComboBox::currentIndexChanged, this, &AnomaliesPage::refresh);
    connect(m_resolve, &QPushButton::clicked, this, &AnomaliesPage::resolve);
    // An anomaly found in a channel's bill may have no order of ours: nothing to open.
    connect(m_open, &QPushButton::clicked, this, [this] {
        if (const auto *r = m_model->rowAt(m_table->currentIndex().row()); r && !r->orderNo.isEmpty())
            emit openOrder(r->orderNo);
    });
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &index) {
        if (const auto *r = m_model->rowAt(index.row()); r && !r->orderNo.isEmpty())
            emit openOrder(r->orderNo);
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &AnomaliesPage::updateButtons);
    connect(m_model, &QAbstractItemModel::modelReset, this, &AnomaliesPage::updateButtons);
    connect(m_note, &QLineEdit::textChanged, this, &AnomaliesPage::updateButtons);
    auto *refresh = new QAction(this);
    refresh->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_R), QKeySequence(Qt::Key_F5)});
    addAction(refresh);
    connect(refresh, &QAction::triggered, this, &AnomaliesPage::refresh);
    AnomaliesPage::refresh();
}

void AnomaliesPage::refresh()
{
    const int s = m_state->currentData().toInt();
    if (Status st = m_model->reload(s < 0 ? std::nullopt : std::optional<AnomalyState>(AnomalyState(s))); !st)
        emit message(st.error().message);
    updateButtons();
}

void AnomaliesPage::updateButtons()
{
    const auto *row = m_model->rowAt(m_table->currentIndex().row());
    ActionVerdict v = ActionPolicy::check(ActionPolicy::Action::ResolveAnomaly, m_ctx.user.role, nullptr, 0);
    if (v.allowed && !row)
        v = {false, tr("Select an anomaly first.")};
    if (v.allowed && row->anomaly.state != AnomalyState::Open)
        v = {false, tr("This anomaly is already resolved.")};
    if (v.allowed && m_note->text().trimmed().isEmpty())
        v = {false, tr("Write how it was settled.")};
    m_resolve->setEnabled(v.allowed);
    m_resolve->setToolTip(v.allowed ? tr("Mark as resolved with your note") : v.reason);
    const bool hasOrder = row && !row->orderNo.isEmpty();
    m_open->setEnabled(hasOrder);
    m_open->setToolTip(hasOrder ? tr("Show this anomaly's order") : row ? tr("This anomaly has no order of ours.") : tr("Select an anomaly first."));
}

void AnomaliesPage::resolve()
{
    const auto *row = m_model->rowAt(m_table->currentIndex().row());
    if (!row || !m_resolve->isEnabled())
        return;
    auto r = m_ctx.services.refundService.resolveAnomaly(m_ctx.user, row->anomaly.id, m_note->text().trimmed());
    if (!r) {
        MessageBox::warning(this, tr("Not resolved"), r.error().message);
        return;
    }
    m_note->clear();
    emit message(tr("Anomaly %1 resolved.").arg(r->id));
    emit booksChanged();
    refresh();
}

} // namespace paydesk::ui
