#include "ReviewPage.h"

#include "ActionPolicy.h"
#include "FixupReviewBox.h"
#include "Labels.h"
#include "ListModels.h"
#include "MessageBox.h"
#include "services/Services.h"
#include "sync/SyncEngine.h"

#include <QAction>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace paydesk::ui {

ReviewPage::ReviewPage(UiContext &ctx, QWidget *parent)
    : Page(parent), m_ctx(ctx), m_model(new ReviewQueueModel(ctx.services.refundService, *ctx.services.clock, this)),
      m_table(new QTableView(this)), m_note(new QLineEdit(this)), m_approve(new QPushButton(tr("&Approve"), this)),
      m_reject(new QPushButton(tr("Re&ject"), this)), m_retry(new QPushButton(tr("Send a&gain"), this)),
      m_queue(new QComboBox(this)), m_summary(new QLabel(this)), m_refusal(new QLabel(this))
{
    setObjectName(QStringLiteral("reviewPage"));
    auto *layout = new QVBoxLayout(this);
    auto *heading = new QLabel(tr("Refund review"), this);
    QFont f = heading->font();
    f.setPointSizeF(f.pointSizeF() * 1.3);
    f.setBold(true);
    heading->setFont(f);
    auto *top = new QHBoxLayout;
    top->addWidget(heading);
    top->addStretch(1);
    auto *queueLabel = new QLabel(tr("&Queue:"), this);
    queueLabel->setBuddy(m_queue);
    m_queue->setObjectName(QStringLiteral("reviewQueue"));
    m_queue->addItem(tr("Waiting for review"));
    m_queue->addItem(tr("Refused by the channel"));
    top->addWidget(queueLabel);
    top->addWidget(m_queue);
    layout->addLayout(top);
    m_summary->setObjectName(QStringLiteral("reviewSummary"));
    layout->addWidget(m_summary);
    m_table->setModel(m_model);
    m_table->setObjectName(QStringLiteral("reviewTable"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    m_table->setTabKeyNavigation(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(ReviewQueueModel::Reason, QHeaderView::Stretch);
    layout->addWidget(m_table, 2);
    auto *row = new QHBoxLayout;
    auto *noteLabel = new QLabel(tr("&Note:"), this);
    noteLabel->setBuddy(m_note);
    m_note->setPlaceholderText(tr("What you checked (required to reject)"));
    m_note->setObjectName(QStringLiteral("reviewNote"));
    row->addWidget(noteLabel);
    row->addWidget(m_note, 1);
    row->addWidget(m_approve);
    row->addWidget(m_reject);
    row->addWidget(m_retry);
    layout->addLayout(row);
    m_refusal->setObjectName(QStringLiteral("reviewRefusal"));
    m_refusal->setWordWrap(true);
    m_refusal->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_refusal->hide();
    layout->addWidget(m_refusal);
    m_fixups = new FixupReviewBox(ctx.services.fixupService, ctx.services.fixups, ctx.user.login, ctx.user.role == Role::Finance, this);
    connect(m_fixups, &FixupReviewBox::message, this, &Page::message);
    connect(m_fixups, &FixupReviewBox::booksChanged, this, &Page::booksChanged);
    layout->addWidget(m_fixups, 1);
    m_retry->setObjectName(QStringLiteral("retryButton"));
    m_retry->hide();
    m_table->setColumnHidden(ReviewQueueModel::ChannelSaid, true);
    connect(m_retry, &QPushButton::clicked, this, &ReviewPage::retry);
    connect(m_queue, &QComboBox::currentIndexChanged, this, [this](int index) {
        const bool refused = index == 1;
        m_model->setState(refused ? RefundState::Failed : RefundState::Requested);
        m_approve->setVisible(!refused);
        m_reject->setVisible(!refused);
        m_retry->setVisible(refused);
        m_table->setColumnHidden(ReviewQueueModel::ChannelSaid, !refused);
        m_note->setPlaceholderText(refused ? tr("Why it can go out now (required)") : tr("What you checked (required to reject)"));
        refresh();
    });
    // Ctrl+Return on a disabled button would do nothing and say nothing: the page's own
    // action approves, or says why not (your own request, no selection, a clerk).
    auto *approveKey = new QAction(tr("Approve"), this);
    approveKey->setObjectName(QStringLiteral("approveAction"));
    approveKey->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)});
    approveKey->setShortcutContext(Qt::WindowShortcut);
    addAction(approveKey);
    connect(approveKey, &QAction::triggered, this, &ReviewPage::approveFromKeyboard);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, m_refusal, &QLabel::hide);
    connect(m_approve, &QPushButton::clicked, this, &ReviewPage::approve);
    connect(m_reject, &QPushButton::clicked, this, &ReviewPage::reject);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ReviewPage::updateButtons);
    connect(m_model, &QAbstractItemModel::modelReset, this, &ReviewPage::updateButtons);
    connect(m_note, &QLineEdit::textChanged, this, &ReviewPage::updateButtons);
    auto *refresh = new QAction(this);
    refresh->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_R), QKeySequence(Qt::Key_F5)});
    addAction(refresh);
    connect(refresh, &QAction::triggered, this, &ReviewPage::refresh);
    ReviewPage::refresh();
}

void ReviewPage::refresh()
{
    const QString current = m_table->currentIndex().isValid()
        ? m_model->data(m_model->index(m_table->currentIndex().row(), 0), RawRole).toString() : QString();
    if (Status s = m_model->reload(); !s)
        emit message(s.error().message);
    if (m_fixups)
        m_fixups->refresh();
    if (!current.isEmpty())
        selectRefund(current);
    qint64 total = 0;
    for (const auto &r : m_model->rows())
        total += r.refund.amountMinor;
    m_summary->setText(m_model->state() == RefundState::Failed
                           ? tr("%n refund(s) refused by the channel, %1 in total: the customer has not been paid.", nullptr,
                                m_model->rowCount())
                                 .arg(Money::cny(total).toDisplayString(QLocale()))
                           : tr("%n refund(s) waiting, %1 in total.", nullptr, m_model->rowCount())
                                 .arg(Money::cny(total).toDisplayString(QLocale())));
    updateButtons();
}

bool ReviewPage::selectRefund(const QString &outRefundNo)
{
    for (int r = 0; r < m_model->rowCount(); ++r) {
        if (m_model->data(m_model->index(r, 0), RawRole).toString() == outRefundNo) {
            m_table->setCurrentIndex(m_model->index(r, 0));
            return true;
        }
    }
    return false;
}

void ReviewPage::updateButtons()
{
    const auto *row = m_model->rowAt(m_table->currentIndex().row());
    ActionVerdict v = ActionPolicy::check(ActionPolicy::Action::ReviewRefund, m_ctx.user.role, nullptr, 0);
    if (v.allowed && !row)
        v = {false, tr("Select a refund in the queue first.")};
    if (v.allowed && row->refund.requestedBy == m_ctx.user.login)
        v = {false, tr("You requested this refund; another FINANCE user must review it.")};
    m_approve->setEnabled(v.allowed);
    m_approve->setToolTip(v.allowed ? tr("Approve: the timer sends the refund to the channel (Ctrl+Enter)") : v.reason);
    const bool noteOk = !m_note->text().trimmed().isEmpty();
    m_reject->setEnabled(v.allowed && noteOk);
    m_reject->setToolTip(!v.allowed ? v.reason : noteOk ? tr("Reject: the amount becomes refundable again") : tr("Write a note saying why."));
    if (v.allowed && row && row->refund.state != RefundState::Failed)
        v = {false, tr("Only a refund the channel refused can be sent again.")};
    m_retry->setEnabled(v.allowed && noteOk);
    m_retry->setToolTip(!v.allowed ? v.reason
                        : noteOk   ? tr("Send again with the same refund number; the timer sends it at once")
                                   : tr("Write a note saying why it can go out now."));
}

void ReviewPage::retry()
{
    const auto *row = m_model->rowAt(m_table->currentIndex().row());
    if (!row || row->refund.state != RefundState::Failed)
        return;
    const QString no = row->refund.outRefundNo;
    const QString amount = Money(row->refund.amountMinor, Currency::cny()).toDisplayString(QLocale());
    const QString question = tr("Send refund %1 of %2 on order %3 again?\n\nThe channel refused it: \"%4\". "
                                "It goes out with the same refund number, so the customer is paid at most once.")
                                 .arg(no, amount, row->orderNo, Labels::channelAnswer(row->refund.lastError));
    if (MessageBox::question(this, tr("Send refund again"), question) != QMessageBox::Yes)
        return;
    auto r = m_ctx.services.refundService.retry(m_ctx.user, no, m_note->text().trimmed());
    if (!r) {
        MessageBox::warning(this, tr("Not sent again"), r.error().message);
    } else {
        m_note->clear();
        emit message(tr("Refund %1 goes out again.").arg(no));
        if (m_ctx.sync)
            m_ctx.sync->poke();
        emit booksChanged();
    }
    refresh();
}

QString ReviewPage::refusalText() const { return m_refusal->isVisibleTo(this) ? m_refusal->text() : QString(); }

void ReviewPage::approveFromKeyboard()
{
    if (m_approve->isVisible() && m_approve->isEnabled()) {
        m_refusal->hide();
        approve();
        return;
    }
    const QString why = m_approve->isVisible() ? m_approve->toolTip()
                                               : tr("Refunds the channel refused are not approved again; use Send again.");
    m_refusal->setText(tr("Not approved: %1").arg(why));
    m_refusal->show();
    emit message(m_refusal->text());
}

void ReviewPage::approve() { review(true); }
void ReviewPage::reject() { review(false); }

void ReviewPage::review(bool approve)
{
    const auto *row = m_model->rowAt(m_table->currentIndex().row());
    if (!row)
        return;
    const QString no = row->refund.outRefundNo;
    const QString note = m_note->text().trimmed();
    const QString amount = Money(row->refund.amountMinor, Currency::cny()).toDisplayString(QLocale());
    // Money leaves the shop once a refund is approved (the timer sends it at once): ask first,
    // naming the refund, the order and the amount, with "No" as the default answer.
    const QString question = approve
        ? tr("Approve refund %1 of %2 on order %3 (requested by %4)?\n\nThe timer sends it to the channel right away; "
             "money that reached the customer cannot be taken back.")
              .arg(no, amount, row->orderNo, Labels::actor(row->refund.requestedBy))
        : tr("Reject refund %1 of %2 on order %3?\n\nNo money moves; %4 is refundable again and %5 sees your note.")
              .arg(no, amount, row->orderNo, amount, Labels::actor(row->refund.requestedBy));
    if (MessageBox::question(this, approve ? tr("Approve refund") : tr("Reject refund"), question) != QMessageBox::Yes)
        return;
    auto r = approve ? m_ctx.services.refundService.approve(m_ctx.user, no, note)
                     : m_ctx.services.refundService.reject(m_ctx.user, no, note);
    if (!r) {
        MessageBox::warning(this, approve ? tr("Not approved") : tr("Not rejected"), r.error().message);
    } else {
        m_note->clear();
        emit message(approve ? tr("Refund %1 approved.").arg(no) : tr("Refund %1 rejected.").arg(no));
        if (m_ctx.sync)
            m_ctx.sync->poke();
        emit booksChanged();
    }
    refresh();
}

} // namespace paydesk::ui
