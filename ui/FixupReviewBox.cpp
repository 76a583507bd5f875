#include "FixupReviewBox.h"

#include "ListModels.h"
#include "services/FixupService.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace paydesk::ui {

FixupReviewBox::FixupReviewBox(FixupService &service, FixupRepository &fixups, const QString &login, bool finance, QWidget *parent)
    : QWidget(parent), m_service(service), m_login(login), m_finance(finance), m_model(new FixupModel(fixups, this)),
      m_table(new QTableView(this)), m_note(new QLineEdit(this)), m_approve(new QPushButton(tr("Appro&ve mark paid"), this)),
      m_reject(new QPushButton(tr("Reject &mark paid"), this)), m_status(new QLabel(this))
{
    setObjectName(QStringLiteral("fixupReview"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *heading = new QLabel(tr("Mark paid: money that came without an answer"), this);
    QFont f = heading->font();
    f.setBold(true);
    heading->setFont(f);
    layout->addWidget(heading);
    m_table->setModel(m_model);
    m_table->setObjectName(QStringLiteral("fixupTable"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    m_table->setTabKeyNavigation(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(FixupModel::Reason, QHeaderView::Stretch);
    m_table->setColumnHidden(FixupModel::State, true);
    m_table->setMinimumHeight(fontMetrics().height() * 6);
    layout->addWidget(m_table, 1);
    auto *row = new QHBoxLayout;
    auto *noteLabel = new QLabel(tr("N&ote:"), this);
    noteLabel->setBuddy(m_note);
    m_note->setPlaceholderText(tr("What you checked (required to reject)"));
    m_note->setObjectName(QStringLiteral("fixupNote"));
    row->addWidget(noteLabel);
    row->addWidget(m_note, 1);
    row->addWidget(m_approve);
    row->addWidget(m_reject);
    layout->addLayout(row);
    m_status->setWordWrap(true);
    m_status->setObjectName(QStringLiteral("fixupStatus"));
    m_status->hide();
    layout->addWidget(m_status);
    m_approve->setToolTip(tr("Asks the channel first: its verified answer decides; only when it cannot be reached does your word stand"));
    connect(m_approve, &QPushButton::clicked, this, &FixupReviewBox::approve);
    connect(m_reject, &QPushButton::clicked, this, &FixupReviewBox::reject);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &FixupReviewBox::updateButtons);
    connect(m_model, &QAbstractItemModel::modelReset, this, &FixupReviewBox::updateButtons);
    connect(m_note, &QLineEdit::textChanged, this, &FixupReviewBox::updateButtons);
    refresh();
}

QString FixupReviewBox::statusText() const { return m_status->isVisible() ? m_status->text() : QString(); }

qint64 FixupReviewBox::selectedId() const
{
    const QModelIndex i = m_table->currentIndex();
    return i.isValid() ? m_model->data(m_model->index(i.row(), 0), RawRole).toLongLong() : 0;
}

bool FixupReviewBox::selectFixup(qint64 id)
{
    for (int r = 0; r < m_model->rowCount(); ++r) {
        if (m_model->data(m_model->index(r, 0), RawRole).toLongLong() == id) {
            m_table->selectRow(r);
            m_table->setCurrentIndex(m_model->index(r, 0));
            return true;
        }
    }
    return false;
}

void FixupReviewBox::refresh()
{
    const qint64 current = selectedId();
    if (Status s = m_model->reload(FixupState::Requested); !s)
        emit message(s.error().message);
    if (current > 0)
        selectFixup(current);
    updateButtons();
}

void FixupReviewBox::updateButtons()
{
    const qint64 id = selectedId();
    const Fixup *f = nullptr;
    for (const Fixup &row : m_model->rows())
        if (row.id == id)
            f = &row;
    const bool mine = f && f->requestedBy == m_login;
    m_approve->setEnabled(m_finance && f && !mine && !m_busy);
    m_reject->setEnabled(m_finance && f && !m_note->text().trimmed().isEmpty() && !m_busy);
    m_approve->setToolTip(!m_finance ? tr("Only a FINANCE user decides a fix-up.")
                          : mine     ? tr("You asked for this one yourself; another FINANCE colleague approves it.")
                                     : tr("Asks the channel first: its verified answer decides; only when it cannot be reached does your word stand"));
}

void FixupReviewBox::show(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color:#c62828") : QString());
    m_status->setVisible(!text.isEmpty());
    emit message(text);
}

void FixupReviewBox::approve()
{
    const qint64 id = selectedId();
    if (id <= 0 || !m_approve->isEnabled())
        return;
    m_busy = true;
    updateButtons();
    show(tr("Asking the channel about fix-up %1…").arg(id), false);
    m_service.approve(m_login, id, m_note->text(), this, [this](const Result<FixupService::Decided> &r) {
        m_busy = false;
        if (!r) {
            show(r.error().message, true);
        } else {
            show(r->message, false);
            m_note->clear();
            emit booksChanged();
        }
        refresh();
    });
}

void FixupReviewBox::reject()
{
    const qint64 id = selectedId();
    if (id <= 0 || !m_reject->isEnabled())
        return;
    auto r = m_service.reject(m_login, id, m_note->text());
    if (!r) {
        show(r.error().message, true);
        return;
    }
    show(tr("Fix-up %1 rejected; order %2 is unchanged.").arg(QString::number(id), r->orderNo), false);
    m_note->clear();
    refresh();
}

} // namespace paydesk::ui
