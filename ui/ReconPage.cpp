#include "ReconPage.h"

#include "ActionPolicy.h"
#include "ChannelSetup.h"
#include "DbWorker.h"
#include "FileDialogs.h"
#include "Labels.h"
#include "MessageBox.h"
#include "ReconModels.h"
#include "channels/ChannelRegistry.h"
#include "services/Services.h"
#include "util/Csv.h"

#include <QAction>
#include <QCalendarWidget>
#include <QComboBox>
#include <QDateEdit>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QSaveFile>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTextCharFormat>
#include <QTimeZone>
#include <QVBoxLayout>

#include <algorithm>

namespace paydesk::ui {

namespace {

QString dayText(const QDate &d) { return d.toString(Qt::ISODate); }

QKeySequence fetchKeys() { return QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B); }
QKeySequence importKeys() { return QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_I); }
QKeySequence openKeys() { return QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O); }

QString keysText(const QKeySequence &k) { return k.toString(QKeySequence::NativeText); }

} // namespace

// ---- the dialog -----------------------------------------------------------------------------

ReconRunDialog::ReconRunDialog(Mode mode, const QList<std::pair<ChannelKind, QString>> &channels, const QDate &day,
                               const QDate &lastDay, QWidget *parent)
    : QDialog(parent), m_mode(mode), m_channel(new QComboBox(this)), m_date(new QDateEdit(this))
{
    setObjectName(QStringLiteral("reconRunDialog"));
    setWindowTitle(mode == Mode::Fetch ? tr("Fetch and reconcile a bill") : tr("Import a bill file"));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(mode == Mode::Fetch
                                 ? tr("PayDesk downloads the channel's daily bill and checks every payment and refund on it "
                                      "against our books. Channels publish a day's bill the next morning and keep it for about "
                                      "three months.")
                                 : tr("Choose a trade bill downloaded by hand from the channel's merchant platform (WeChat Pay: "
                                      "the CSV trade bill; Alipay: the zip of the business details). It is checked against our "
                                      "books like a fetched bill; differences open anomalies but change no order."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto *form = new QFormLayout;
    for (const auto &[kind, label] : channels)
        m_channel->addItem(label, int(kind));
    form->addRow(tr("&Channel:"), m_channel);
    m_date->setCalendarPopup(true);
    m_date->setDisplayFormat(QStringLiteral("yyyy-MM-dd"));
    m_date->setMaximumDate(lastDay);
    m_date->setDate(day);
    form->addRow(tr("Bill &day (Beijing time):"), m_date);
    if (mode == Mode::Import) {
        m_file = new QLineEdit(this);
        m_file->setPlaceholderText(tr("The bill file (required)"));
        m_browse = new QPushButton(tr("&Browse…"), this);
        auto *row = new QHBoxLayout;
        row->addWidget(m_file, 1);
        row->addWidget(m_browse);
        form->addRow(tr("&File:"), row);
        connect(m_browse, &QPushButton::clicked, this, &ReconRunDialog::browse);
        connect(m_file, &QLineEdit::textChanged, this, &ReconRunDialog::updateOk);
    }
    layout->addLayout(form);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(mode == Mode::Fetch ? tr("&Reconcile") : tr("&Import and reconcile"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    updateOk();
    resize(qMax(sizeHint().width(), 480), sizeHint().height());
}

ChannelKind ReconRunDialog::channel() const { return ChannelKind(m_channel->currentData().toInt()); }
QDate ReconRunDialog::date() const { return m_date->date(); }
QString ReconRunDialog::filePath() const { return m_file ? m_file->text().trimmed() : QString(); }

void ReconRunDialog::browse()
{
    const QString path = FileDialogs::openFileName(this, tr("Choose a bill file"), tr("Bill files (*.csv *.zip *.txt);;All files (*)"));
    if (!path.isEmpty())
        m_file->setText(path);
}

void ReconRunDialog::updateOk()
{
    QString why;
    if (m_channel->count() == 0)
        why = tr("No channel to choose.");
    else if (m_mode == Mode::Import && filePath().isEmpty())
        why = tr("Choose the bill file first.");
    m_ok->setEnabled(why.isEmpty());
    m_ok->setToolTip(why);
}

// ---- the page -------------------------------------------------------------------------------

ReconPage::ReconPage(UiContext &ctx, QWidget *parent)
    : Page(parent), m_ctx(ctx), m_runs(new ReconRunModel(ctx.services.recon, ctx.worker, this)),
      m_diffs(new ReconDifferenceModel(ctx.services.recon, ctx.worker, this)), m_runStack(new QStackedWidget(this)),
      m_runTable(new QTableView(this)), m_empty(new QLabel(this)), m_diffBox(new QGroupBox(this)),
      m_diffStack(new QStackedWidget(this)), m_diffTable(new QTableView(this)), m_noDiffs(new QLabel(this)),
      m_status(new QLabel(this)), m_readOnly(new QLabel(this)), m_progress(new QProgressBar(this)),
      m_fetchButton(new QPushButton(tr("&Fetch and reconcile…"), this)), m_importButton(new QPushButton(tr("&Import bill file…"), this)),
      m_openButton(new QPushButton(tr("&Open order"), this)), m_fetchAction(new QAction(tr("Fetch and reconcile…"), this)),
      m_importAction(new QAction(tr("Import bill file…"), this)), m_openAction(new QAction(tr("Open order"), this))
{
    setObjectName(QStringLiteral("reconPage"));
    m_fetchButton->setObjectName(QStringLiteral("reconFetchButton"));
    m_importButton->setObjectName(QStringLiteral("reconImportButton"));
    m_openButton->setObjectName(QStringLiteral("reconOpenOrderButton"));
    auto *layout = new QVBoxLayout(this);

    // ---- heading and actions ----
    auto *top = new QHBoxLayout;
    auto *heading = new QLabel(tr("Reconciliation"), this);
    QFont f = heading->font();
    f.setPointSizeF(f.pointSizeF() * 1.3);
    f.setBold(true);
    heading->setFont(f);
    top->addWidget(heading);
    top->addSpacing(16);
    auto *sub = new QLabel(tr("The channels' daily bills against our books"), this);
    sub->setForegroundRole(QPalette::PlaceholderText);
    top->addWidget(sub);
    top->addStretch(1);
    top->addWidget(m_fetchButton);
    top->addWidget(m_importButton);
    auto *reload = new QPushButton(tr("Re&fresh"), this);
    top->addWidget(reload);
    layout->addLayout(top);

    m_readOnly->setObjectName(QStringLiteral("reconReadOnly"));
    m_readOnly->setWordWrap(true);
    m_readOnly->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_readOnly);

    auto *busyRow = new QHBoxLayout;
    m_progress->setRange(0, 0); // busy: how long the channel takes is not known
    m_progress->setMaximumWidth(180);
    m_progress->setTextVisible(false);
    m_progress->setVisible(false);
    m_status->setObjectName(QStringLiteral("reconStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    busyRow->addWidget(m_progress);
    busyRow->addWidget(m_status, 1);
    layout->addLayout(busyRow);

    // ---- runs ----
    m_runTable->setObjectName(QStringLiteral("reconRunTable"));
    m_runTable->setModel(m_runs);
    m_runTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_runTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_runTable->verticalHeader()->hide();
    m_runTable->setAlternatingRowColors(true);
    m_runTable->setTabKeyNavigation(false);
    m_runTable->setWordWrap(false);
    m_runTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_runTable->horizontalHeader()->setStretchLastSection(true);
    m_runTable->setAccessibleName(tr("Reconciliation runs"));
    m_empty->setObjectName(QStringLiteral("reconEmpty"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setMargin(24);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    m_runStack->addWidget(m_runTable);
    m_runStack->addWidget(m_empty);

    // ---- differences of the selected run ----
    m_diffBox->setObjectName(QStringLiteral("reconDifferences"));
    auto *diffLayout = new QVBoxLayout(m_diffBox);
    m_diffTable->setObjectName(QStringLiteral("reconDifferenceTable"));
    m_diffTable->setModel(m_diffs);
    m_diffTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_diffTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_diffTable->verticalHeader()->hide();
    m_diffTable->setAlternatingRowColors(true);
    m_diffTable->setTabKeyNavigation(false);
    m_diffTable->setWordWrap(false);
    m_diffTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_diffTable->horizontalHeader()->setStretchLastSection(true); // the detail
    m_diffTable->setAccessibleName(tr("Differences of the selected run"));
    m_noDiffs->setAlignment(Qt::AlignCenter);
    m_noDiffs->setWordWrap(true);
    m_noDiffs->setForegroundRole(QPalette::PlaceholderText);
    m_diffStack->addWidget(m_diffTable);
    m_diffStack->addWidget(m_noDiffs);
    diffLayout->addWidget(m_diffStack, 1);
    auto *diffRow = new QHBoxLayout;
    auto *hint = new QLabel(tr("Each difference with an order of ours opens an anomaly; money to give back waits in Refund review."),
                            m_diffBox);
    hint->setWordWrap(true);
    hint->setForegroundRole(QPalette::PlaceholderText);
    diffRow->addWidget(hint, 1);
    m_resolveNote = new QLineEdit(m_diffBox);
    m_resolveNote->setObjectName(QStringLiteral("reconResolveNote"));
    m_resolveNote->setPlaceholderText(tr("How it was settled (required to resolve)"));
    m_resolveButton = new QPushButton(tr("Re&solve"), m_diffBox);
    m_resolveButton->setObjectName(QStringLiteral("reconResolveButton"));
    diffRow->addWidget(m_resolveNote, 1);
    diffRow->addWidget(m_resolveButton);
    connect(m_resolveButton, &QPushButton::clicked, this, &ReconPage::resolveSelected);
    connect(m_resolveNote, &QLineEdit::textChanged, this, &ReconPage::updateActions);
    m_exportButton = new QPushButton(tr("E&xport CSV…"), m_diffBox);
    m_exportButton->setObjectName(QStringLiteral("reconExportButton"));
    m_exportButton->setToolTip(tr("Save this run's differences as a CSV file (Ctrl+E)"));
    diffRow->addWidget(m_exportButton);
    diffRow->addWidget(m_openButton);
    diffLayout->addLayout(diffRow);
    auto *exportAction = new QAction(this);
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    addAction(exportAction);
    connect(exportAction, &QAction::triggered, this, &ReconPage::exportDifferences);
    connect(m_exportButton, &QPushButton::clicked, this, &ReconPage::exportDifferences);

    // ---- the calendar of days, coloured by result ----
    m_calendar = new QCalendarWidget(this);
    m_calendar->setObjectName(QStringLiteral("reconCalendar"));
    m_calendar->setGridVisible(true);
    m_calendar->setVerticalHeaderFormat(QCalendarWidget::NoVerticalHeader);
    m_calendar->setAccessibleName(tr("Reconciled days"));
    // Weekends in the calendar's default red would read as "differences": only results colour a day.
    for (Qt::DayOfWeek d : {Qt::Saturday, Qt::Sunday}) {
        QTextCharFormat plain = m_calendar->weekdayTextFormat(Qt::Monday);
        m_calendar->setWeekdayTextFormat(d, plain);
    }
    m_calendar->setToolTip(tr("Green: the bill matched our books. Red: differences. Click a day to see its run."));
    auto *legend = new QLabel(tr("<span style=\"background:%1\">&nbsp;&nbsp;&nbsp;&nbsp;</span> matched&nbsp;&nbsp; "
                                 "<span style=\"background:%2\">&nbsp;&nbsp;&nbsp;&nbsp;</span> differences")
                                  .arg(dayBackground(ReconRunModel::DayResult::Matched).name(),
                                       dayBackground(ReconRunModel::DayResult::Differences).name()),
                              this);
    legend->setObjectName(QStringLiteral("reconCalendarLegend"));
    auto *calendarColumn = new QWidget(this);
    auto *calendarLayout = new QVBoxLayout(calendarColumn);
    calendarLayout->setContentsMargins(0, 0, 0, 0);
    calendarLayout->addWidget(m_calendar);
    calendarLayout->addWidget(legend);
    calendarLayout->addStretch(1);
    // All seven day columns, whatever the language's day names need (the splitter would squeeze it).
    m_calendar->setMinimumSize(m_calendar->sizeHint() + QSize(16, 8));
    connect(m_calendar, &QCalendarWidget::clicked, this, &ReconPage::daySelected);
    connect(m_calendar, &QCalendarWidget::activated, this, &ReconPage::daySelected);
    auto *topSplit = new QSplitter(Qt::Horizontal, this);
    topSplit->addWidget(calendarColumn);
    topSplit->addWidget(m_runStack);
    topSplit->setStretchFactor(0, 0);
    topSplit->setStretchFactor(1, 1);
    topSplit->setChildrenCollapsible(false);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(topSplit);
    split->addWidget(m_diffBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setChildrenCollapsible(false);
    layout->addWidget(split, 1);

    // ---- actions and shortcuts ----
    m_fetchAction->setShortcut(fetchKeys());
    m_importAction->setShortcut(importKeys());
    m_openAction->setShortcut(openKeys());
    for (QAction *a : {m_fetchAction, m_importAction, m_openAction})
        addAction(a);
    auto *refreshAction = new QAction(this);
    refreshAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_R), QKeySequence(Qt::Key_F5)});
    addAction(refreshAction);
    connect(m_fetchAction, &QAction::triggered, this, &ReconPage::fetchAndReconcile);
    connect(m_importAction, &QAction::triggered, this, &ReconPage::importBill);
    connect(m_openAction, &QAction::triggered, this, &ReconPage::openSelectedOrder);
    connect(refreshAction, &QAction::triggered, this, &ReconPage::refresh);
    connect(m_fetchButton, &QPushButton::clicked, m_fetchAction, &QAction::trigger);
    connect(m_importButton, &QPushButton::clicked, m_importAction, &QAction::trigger);
    connect(m_openButton, &QPushButton::clicked, m_openAction, &QAction::trigger);
    connect(reload, &QPushButton::clicked, this, &ReconPage::refresh);

    connect(m_runs, &ReconRunModel::loaded, this, &ReconPage::runsLoaded);
    connect(m_runs, &ReconRunModel::queryFailed, this, [this](const QString &text) { showStatus(text, true); });
    connect(m_diffs, &ReconDifferenceModel::queryFailed, this, [this](const QString &text) { showStatus(text, true); });
    connect(m_diffs, &ReconDifferenceModel::loaded, this, &ReconPage::updateActions);
    connect(m_runTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ReconPage::runSelected);
    connect(m_diffTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ReconPage::updateActions);
    connect(m_diffTable, &QTableView::activated, this, &ReconPage::openSelectedOrder);

    const ActionVerdict v = ActionPolicy::check(ActionPolicy::Action::Reconcile, ctx.user.role, nullptr, 0);
    m_readOnlyReason = v.allowed ? QString() : v.reason;
    m_readOnly->setText(v.allowed ? QString() : tr("%1 You see the results read-only.").arg(v.reason));
    m_readOnly->setVisible(!v.allowed);
    m_empty->setText(v.allowed ? tr("No reconciliation yet.\n\nFetch a channel's daily bill (%1) or import a bill file downloaded "
                                    "from the merchant platform (%2) to check our books against the money the channel moved.")
                                     .arg(keysText(fetchKeys()), keysText(importKeys()))
                               : tr("No reconciliation yet.\n\nFINANCE staff check the channels' daily bills against our books "
                                    "here; the results will show on this page."));
    m_diffBox->setTitle(tr("Differences"));
    m_diffBox->setVisible(false); // until there is a run to show
    m_noDiffs->setText(tr("Select a run to see its differences."));
    updateActions();
    markStale(); // read when first shown
}

ReconPage::~ReconPage() = default;

QDate ReconPage::yesterdayInBeijing(qint64 nowMs)
{
    return QDateTime::fromMSecsSinceEpoch(nowMs, QTimeZone(8 * 3600)).date().addDays(-1);
}

QString ReconPage::statusText() const { return m_status->text(); }
bool ReconPage::showsEmptyState() const { return m_runStack->currentWidget() == m_empty; }
QString ReconPage::emptyText() const { return m_empty->text(); }

void ReconPage::refresh()
{
    m_runs->reload();
}

void ReconPage::runsLoaded()
{
    m_loadedOnce = true;
    m_runStack->setCurrentWidget(m_runs->rowCount() == 0 ? static_cast<QWidget *>(m_empty) : m_runTable);
    m_diffBox->setVisible(m_runs->rowCount() > 0); // nothing to show under the empty state
    // Keep (or make) the selection by run id: rows move when a new run comes in at the top.
    qint64 want = m_selectRun;
    if (want == 0)
        if (const auto *row = m_runs->rowAt(m_runTable->currentIndex().row()))
            want = row->run.id;
    m_selectRun = 0;
    if ((want == 0 || !selectRun(want)) && m_runs->rowCount() > 0) {
        // First the newest run with differences: that is where the work is.
        const auto &all = m_runs->rows();
        const auto it = std::find_if(all.cbegin(), all.cend(), [](const ReconRunRow &r) { return r.run.differences > 0; });
        selectRun(it != all.cend() ? it->run.id : all.constFirst().run.id);
    }
    runSelected(); // a re-run of the same day touches the same differences: read them again
    paintCalendar();
    updateActions();
}

QColor ReconPage::dayBackground(ReconRunModel::DayResult result)
{
    // Light enough for dark text in either theme's calendar; told apart by more than hue
    // (the tooltip and the legend name them).
    return result == ReconRunModel::DayResult::Matched ? QColor(0xC7, 0xE9, 0xD0) : QColor(0xF6, 0xC4, 0xC8);
}

void ReconPage::paintCalendar()
{
    m_calendar->setDateTextFormat(QDate(), QTextCharFormat()); // forget last time's colours
    const QMap<QDate, ReconRunModel::DayResult> days = m_runs->dayResults();
    for (auto it = days.cbegin(); it != days.cend(); ++it) {
        QTextCharFormat f;
        f.setBackground(dayBackground(it.value()));
        f.setForeground(QColor(0x1F, 0x1F, 0x1F));
        f.setFontWeight(QFont::Bold);
        m_calendar->setDateTextFormat(it.key(), f);
    }
    m_calendar->setMaximumDate(yesterdayInBeijing(m_ctx.services.clock->nowMs()).addDays(1));
}

void ReconPage::daySelected(const QDate &day)
{
    const int row = m_runs->rowOfDay(day);
    if (row < 0) {
        showStatus(tr("No reconciliation of %1 yet.").arg(dayText(day)), false);
        return;
    }
    selectRun(m_runs->rows().at(row).run.id);
}

bool ReconPage::selectRun(qint64 runId)
{
    const int row = m_runs->rowOfRun(runId);
    if (row < 0)
        return false;
    m_runTable->setCurrentIndex(m_runs->index(row, 0));
    m_runTable->selectRow(row);
    m_runTable->scrollTo(m_runs->index(row, 0));
    return true;
}

void ReconPage::runSelected()
{
    const auto *row = m_runs->rowAt(m_runTable->currentIndex().row());
    if (!row) {
        m_diffBox->setTitle(tr("Differences"));
        m_noDiffs->setText(m_runs->rowCount() == 0 ? tr("Nothing reconciled yet.") : tr("Select a run to see its differences."));
        m_diffStack->setCurrentWidget(m_noDiffs);
        m_diffs->load(0);
        updateActions();
        return;
    }
    const ReconRun &r = row->run;
    {
        const QSignalBlocker quiet(m_calendar); // following the table, not choosing a day
        m_calendar->setSelectedDate(r.date);
    }
    m_diffBox->setTitle(tr("Differences — %1, bill of %2 (run %3 by %4)").arg(Labels::of(r.channel), dayText(r.date)).arg(r.id).arg(Labels::actor(r.runBy)));
    if (r.differences == 0) {
        m_noDiffs->setText(tr("No differences: all %n row(s) of the bill matched our books.", nullptr, r.billPayments + r.billRefunds));
        m_diffStack->setCurrentWidget(m_noDiffs);
    } else {
        m_diffStack->setCurrentWidget(m_diffTable);
    }
    m_diffs->load(r.id);
    updateActions();
}

QList<std::pair<ChannelKind, QString>> ReconPage::fetchChoices() const
{
    QList<std::pair<ChannelKind, QString>> out;
    const ChannelRegistry &registry = m_ctx.services.channels;
    for (ChannelKind kind : ChannelSetup::choices(registry))
        if (kind != ChannelKind::Sim) // bills come in WeChat Pay's or Alipay's format only
            out.append({kind, ChannelSetup::label(registry, kind)});
    return out;
}

QList<std::pair<ChannelKind, QString>> ReconPage::importChoices() const
{
    // A downloaded bill can be imported whether or not the channel is connected here.
    QList<std::pair<ChannelKind, QString>> out;
    const ChannelRegistry &registry = m_ctx.services.channels;
    for (ChannelKind kind : {ChannelKind::WeChat, ChannelKind::Alipay})
        out.append({kind, registry.channel(kind) ? ChannelSetup::label(registry, kind) : Labels::of(kind)});
    return out;
}

void ReconPage::updateActions()
{
    ActionVerdict v = ActionPolicy::check(ActionPolicy::Action::Reconcile, m_ctx.user.role, nullptr, 0);
    if (v.allowed && m_busy)
        v = {false, tr("A reconciliation is running.")};
    ActionVerdict fetch = v;
    if (fetch.allowed && fetchChoices().isEmpty())
        fetch = {false, tr("Neither WeChat Pay nor Alipay is connected; import a bill file instead.")};
    m_fetchAction->setEnabled(fetch.allowed);
    m_fetchButton->setEnabled(fetch.allowed);
    m_fetchButton->setToolTip(fetch.allowed ? tr("Download a channel's daily bill and check it against our books (%1)").arg(keysText(fetchKeys()))
                                            : fetch.reason);
    m_importAction->setEnabled(v.allowed);
    m_importButton->setEnabled(v.allowed);
    m_importButton->setToolTip(v.allowed ? tr("Check a bill file downloaded from the merchant platform against our books (%1)")
                                               .arg(keysText(importKeys()))
                                         : v.reason);
    const auto *diff = m_diffs->rowAt(m_diffTable->currentIndex().row());
    QString whyNot;
    if (!diff)
        whyNot = tr("Select a difference first.");
    else if (diff->orderNo.isEmpty())
        whyNot = tr("This money is only at the channel: there is no order of ours to open.");
    QString noResolve = ActionPolicy::check(ActionPolicy::Action::ResolveAnomaly, m_ctx.user.role, nullptr, 0).reason;
    if (noResolve.isEmpty() && !diff)
        noResolve = tr("Select a difference first.");
    else if (noResolve.isEmpty() && !diff->anomalyState)
        noResolve = tr("This difference opened no anomaly.");
    else if (noResolve.isEmpty() && *diff->anomalyState == AnomalyState::Resolved)
        noResolve = tr("Its anomaly is resolved already.");
    else if (noResolve.isEmpty() && m_resolveNote->text().trimmed().isEmpty())
        noResolve = tr("Write how it was settled first.");
    if (m_resolveButton) {
        m_resolveButton->setEnabled(noResolve.isEmpty());
        m_resolveButton->setToolTip(noResolve.isEmpty() ? tr("Resolve its anomaly with your note (audited)") : noResolve);
    }
    m_openAction->setEnabled(whyNot.isEmpty());
    m_openButton->setEnabled(whyNot.isEmpty());
    m_openButton->setToolTip(whyNot.isEmpty() ? tr("Show order %1 on the Orders page (%2 or Enter)").arg(diff->orderNo, keysText(openKeys()))
                                              : whyNot);
}

void ReconPage::resolveSelected()
{
    const auto *diff = m_diffs->rowAt(m_diffTable->currentIndex().row());
    const QString note = m_resolveNote->text().trimmed();
    if (!diff || diff->difference.anomalyId <= 0 || note.isEmpty())
        return;
    const qint64 id = diff->difference.anomalyId;
    auto r = m_ctx.services.refundService.resolveAnomaly(m_ctx.user, id, note);
    if (!r) {
        MessageBox::warning(this, tr("Not resolved"), r.error().message);
        return;
    }
    m_resolveNote->clear();
    emit message(tr("Anomaly %1 resolved.").arg(id));
    emit booksChanged();
    m_diffs->load(m_diffs->runId());
}

bool ReconPage::exportDifferences()
{
    if (m_diffs->runId() == 0 || m_diffs->rowCount() == 0) {
        emit message(tr("No differences to export: select a run that has some."));
        return false;
    }
    const QString path = FileDialogs::saveFileName(this, tr("Export differences"),
                                                   QStringLiteral("reconciliation-%1.csv").arg(m_diffs->runId()),
                                                   tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return false;
    QString text;
    QStringList cells;
    for (int c = 0; c < m_diffs->columnCount(); ++c)
        cells << csvTextCell(m_diffs->headerData(c, Qt::Horizontal).toString());
    text += cells.join(u',') + u'\n';
    for (int r = 0; r < m_diffs->rowCount(); ++r) {
        cells.clear();
        for (int c = 0; c < m_diffs->columnCount(); ++c)
            cells << csvTextCell(m_diffs->data(m_diffs->index(r, c)).toString());
        text += cells.join(u',') + u'\n';
    }
    QSaveFile out(path);
    // UTF-8 with a BOM, so a spreadsheet on a Chinese Windows reads it right.
    if (!out.open(QIODevice::WriteOnly) || out.write("\xEF\xBB\xBF") < 0 || out.write(text.toUtf8()) < 0 || !out.commit()) {
        MessageBox::warning(this, tr("Export"), tr("Cannot write %1: %2").arg(path, out.errorString()));
        return false;
    }
    emit message(tr("Exported %n difference(s) to %1.", nullptr, m_diffs->rowCount()).arg(path));
    return true;
}

void ReconPage::openSelectedOrder()
{
    const auto *diff = m_diffs->rowAt(m_diffTable->currentIndex().row());
    if (diff && !diff->orderNo.isEmpty())
        emit openOrder(diff->orderNo);
}

void ReconPage::showStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #c62828;") : QString());
}

void ReconPage::setBusy(bool busy, const QString &text)
{
    m_busy = busy;
    m_progress->setVisible(busy);
    if (busy)
        showStatus(text, false);
    updateActions();
}

void ReconPage::fail(const QString &title, const QString &text)
{
    setBusy(false);
    showStatus(text, true);
    emit message(text);
    emit failed(text);
    MessageBox::warning(this, title, text);
}

void ReconPage::fetchAndReconcile()
{
    if (!m_fetchAction->isEnabled() || m_dialog)
        return;
    const qint64 now = m_ctx.services.clock->nowMs();
    auto *dialog = new ReconRunDialog(ReconRunDialog::Mode::Fetch, fetchChoices(), yesterdayInBeijing(now),
                                      yesterdayInBeijing(now).addDays(1), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    connect(dialog, &QDialog::accepted, this, [this, dialog] { startFetch(dialog->channel(), dialog->date()); });
    m_dialog = dialog;
    dialog->open();
}

void ReconPage::importBill()
{
    if (!m_importAction->isEnabled() || m_dialog)
        return;
    const qint64 now = m_ctx.services.clock->nowMs();
    auto *dialog = new ReconRunDialog(ReconRunDialog::Mode::Import, importChoices(), yesterdayInBeijing(now),
                                      yesterdayInBeijing(now).addDays(1), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { startImport(dialog->channel(), dialog->date(), dialog->filePath()); });
    m_dialog = dialog;
    dialog->open();
}

void ReconPage::startFetch(ChannelKind channel, const QDate &date)
{
    if (m_busy)
        return;
    const QString name = Labels::of(channel);
    PaymentChannel *ch = m_ctx.services.channels.channel(channel);
    if (!ch) {
        fail(tr("Not reconciled"), tr("The %1 channel is not connected here; import its bill file instead.").arg(name));
        return;
    }
    setBusy(true, tr("Fetching the %1 bill of %2…").arg(name, dayText(date)));
    BillRequest req;
    req.date = date;
    req.kind = BillKind::Trade;
    ch->fetchBill(req, this, [this, channel, date, name](const ChannelReply<BillFile> &reply) {
        if (!reply.ok()) {
            fail(tr("Bill not fetched"), tr("The %1 bill of %2 could not be fetched: %3").arg(name, dayText(date), reply.error().describe()));
            return;
        }
        const BillFile &bill = reply.value();
        switch (bill.status) {
        case BillFile::Status::NotReady:
            fail(tr("Bill not ready"),
                 tr("The %1 bill of %2 is not ready yet. Channels publish a day's bill the next morning; try again later.\n\n"
                    "The channel said: %3")
                     .arg(name, dayText(date), bill.message));
            return;
        case BillFile::Status::NoBill:
            fail(tr("No bill for that day"),
                 tr("%1 has no bill for %2: the channel saw neither payments nor refunds that day, so there is nothing to "
                    "reconcile.\n\nThe channel said: %3")
                     .arg(name, dayText(date), bill.message));
            return;
        case BillFile::Status::Ready:
            break;
        }
        m_billNote = bill.message;
        runBill(channel, date, bill.content, QString(), bill.fileName, ReconService::Source::Fetched);
    });
}

void ReconPage::startImport(ChannelKind channel, const QDate &date, const QString &path)
{
    if (m_busy)
        return;
    if (path.isEmpty()) {
        fail(tr("Not reconciled"), tr("Choose the bill file to import."));
        return;
    }
    setBusy(true, tr("Reading %1…").arg(QFileInfo(path).fileName()));
    m_billNote.clear();
    runBill(channel, date, {}, path, QFileInfo(path).fileName(), ReconService::Source::Imported);
}

void ReconPage::runBill(ChannelKind channel, const QDate &date, QByteArray content, const QString &path, const QString &fileName,
                        ReconService::Source source)
{
    setBusy(true, tr("Reconciling the %1 bill of %2 against our books…").arg(Labels::of(channel), dayText(date)));
    ReconService *service = &m_ctx.services.reconService;
    const User actor = m_ctx.user;
    // Parsing and matching a big bill takes a while: on the worker, never on the window's thread.
    m_ctx.worker.run<Result<ReconService::Report>>(
        [service, actor, channel, date, content = std::move(content), path, fileName, source]() -> Result<ReconService::Report> {
            QByteArray bytes = content;
            if (!path.isEmpty()) {
                QFile f(path);
                if (!f.open(QIODevice::ReadOnly))
                    return Error::invalid(QStringLiteral("recon.file"), ReconPage::tr("Cannot read %1: %2").arg(path, f.errorString()));
                bytes = f.readAll();
            }
            return service->run(actor, channel, date, bytes, fileName, source);
        },
        this, [this, channel, date, source](Result<ReconService::Report> report) { finishedRun(report, channel, date, source); });
}

void ReconPage::finishedRun(const Result<ReconService::Report> &report, ChannelKind channel, const QDate &date, ReconService::Source source)
{
    if (!report) {
        fail(tr("Not reconciled"), tr("The %1 bill of %2 was not reconciled: %3").arg(Labels::of(channel), dayText(date), report.error().message));
        return;
    }
    setBusy(false);
    const ReconRun &run = report->run;
    const QString text = (source == ReconService::Source::Imported ? tr("Imported the %1 bill of %2: %3 matched, %4 difference(s), %5 new.")
                                                                    : tr("Reconciled %1 for %2: %3 matched, %4 difference(s), %5 new."))
                             .arg(Labels::of(channel), dayText(date))
                             .arg(run.matched)
                             .arg(run.differences)
                             .arg(run.newDifferences)
                         + (m_billNote.isEmpty() ? QString() : u' ' + tr("The channel said: %1.").arg(m_billNote));
    m_billNote.clear();
    showStatus(text, false);
    emit message(text);
    if (run.newDifferences > 0)
        emit booksChanged(); // anomalies opened (and perhaps refunds proposed)
    m_selectRun = run.id;
    const qint64 id = run.id;
    auto conn = std::make_shared<QMetaObject::Connection>();
    *conn = connect(m_runs, &ReconRunModel::loaded, this, [this, id, conn] {
        disconnect(*conn);
        emit reconciled(id);
    });
    m_runs->reload();
}

} // namespace paydesk::ui
