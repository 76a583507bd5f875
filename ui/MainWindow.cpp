#include "MainWindow.h"

#include "ClosingDialog.h"

#include "AnomaliesPage.h"
#include "AuditPage.h"
#include "ChannelSetup.h"
#include "DbWorker.h"
#include "FinancePage.h"
#include "Labels.h"
#include "LoginDialog.h"
#include "OrdersPage.h"
#include "ReconPage.h"
#include "ReviewPage.h"
#include "SettingsPage.h"
#include "channels/ChannelRegistry.h"
#include "services/Services.h"
#include "sync/SyncEngine.h"
#include "util/Duration.h"

#include <QAbstractItemView>
#include <QAction>
#include <QApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QPushButton>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTableWidget>
#include <QVBoxLayout>

namespace paydesk::ui {

MainWindow::MainWindow(UiContext &ctx, QWidget *parent)
    : QMainWindow(parent), m_ctx(ctx), m_nav(new QListWidget(this)), m_stack(new QStackedWidget(this)),
      m_dbLabel(new QLabel(this)), m_timerLabel(new QLabel(this)), m_channelLabel(new QLabel(this)), m_userLabel(new QLabel(this)),
      m_workerLabel(new QLabel(this)), m_screens(new QStackedWidget(this)), m_lockScreen(new QWidget(this)),
      m_lockLabel(new QLabel(this))
{
    setObjectName(QStringLiteral("mainWindow"));
    auto *central = new QWidget(this);
    auto *row = new QHBoxLayout(central);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(0);

    // ---- side navigation ----
    auto *side = new QWidget(central);
    side->setObjectName(QStringLiteral("sideBar"));
    side->setAutoFillBackground(true);
    QPalette sidePal = side->palette();
    sidePal.setColor(QPalette::Window, sidePal.color(QPalette::AlternateBase));
    side->setPalette(sidePal);
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(8, 12, 8, 8);
    auto *brand = new QLabel(tr("PayDesk"), side);
    QFont bf = brand->font();
    bf.setPointSizeF(bf.pointSizeF() * 1.5);
    bf.setBold(true);
    brand->setFont(bf);
    sideLayout->addWidget(brand);
    if (ctx.demo) {
        auto *badge = new QLabel(tr("DEMO — simulated payments"), side);
        badge->setObjectName(QStringLiteral("demoBadge"));
        badge->setAlignment(Qt::AlignCenter);
        badge->setWordWrap(true);
        badge->setStyleSheet(QStringLiteral("background: #f5a623; color: #ffffff; font-weight: bold; border-radius: 4px; padding: 4px;"));
        badge->setToolTip(tr("Offline demo: a simulated channel and scripted customers; no real money moves."));
        sideLayout->addWidget(badge);
    }
    if (const double rate = ctx.services.clock->rate(); rate > 1.0) {
        // --time-scale: a 15-minute window passes in seconds; say so where everyone looks.
        auto *fast = new QLabel(tr("Time runs %1× faster").arg(QLocale().toString(rate, 'g', 6)), side);
        fast->setObjectName(QStringLiteral("timeScaleBadge"));
        fast->setAlignment(Qt::AlignCenter);
        fast->setWordWrap(true);
        fast->setStyleSheet(QStringLiteral("background: #d93b3b; color: #ffffff; font-weight: bold; border-radius: 4px; padding: 4px;"));
        fast->setToolTip(tr("Demo time: every clock, countdown and pay-by time here runs %1 times faster than the wall clock.")
                             .arg(QLocale().toString(rate, 'g', 6)));
        sideLayout->addWidget(fast);
    }
    m_nav->setObjectName(QStringLiteral("navigation"));
    m_nav->setFrameShape(QFrame::NoFrame);
    m_nav->setSpacing(2);
    QFont nf = m_nav->font();
    nf.setPointSizeF(nf.pointSizeF() * 1.1);
    m_nav->setFont(nf);
    m_nav->setAccessibleName(tr("Pages"));
    const QString names[] = {tr("Orders"), tr("Refund review"), tr("Anomalies"), tr("Finance"), tr("Reconciliation"), tr("Audit log"),
                             tr("Settings")};
    for (int i = 0; i < PageCount; ++i) {
        auto *item = new QListWidgetItem(names[i], m_nav);
        item->setSizeHint(QSize(160, m_nav->fontMetrics().height() + 14));
        item->setToolTip(tr("%1 (Ctrl+%2)").arg(names[i]).arg(i + 1));
    }
    sideLayout->addWidget(m_nav, 1);
    m_userLabel->setWordWrap(true);
    m_userLabel->setObjectName(QStringLiteral("userLabel"));
    sideLayout->addWidget(m_userLabel);
    auto *signOutButton = new QPushButton(tr("Sign &out (Ctrl+Shift+L)"), side);
    signOutButton->setObjectName(QStringLiteral("signOutButton"));
    signOutButton->setFlat(true);
    signOutButton->setFocusPolicy(Qt::TabFocus);
    signOutButton->setStyleSheet(QStringLiteral("text-align: left; padding: 2px 0px;"));
    sideLayout->addWidget(signOutButton);
    auto *closingButton = new QPushButton(tr("Close shift or &day… (Ctrl+Shift+Z)"), side);
    closingButton->setObjectName(QStringLiteral("closingButton"));
    closingButton->setFlat(true);
    closingButton->setFocusPolicy(Qt::TabFocus);
    closingButton->setStyleSheet(QStringLiteral("text-align: left; padding: 2px 0px;"));
    sideLayout->addWidget(closingButton);
    auto *shortcutsButton = new QPushButton(tr("Keyboard shortcuts (F1)"), side);
    shortcutsButton->setObjectName(QStringLiteral("shortcutsButton"));
    shortcutsButton->setFlat(true);
    shortcutsButton->setFocusPolicy(Qt::TabFocus);
    shortcutsButton->setStyleSheet(QStringLiteral("text-align: left; padding: 2px 0px;"));
    sideLayout->addWidget(shortcutsButton);
    side->setFixedWidth(190);
    row->addWidget(side);
    row->addWidget(m_stack, 1);

    // ---- the lock screen: nothing of the books shows behind it ----
    m_lockScreen->setObjectName(QStringLiteral("lockScreen"));
    auto *lockLayout = new QVBoxLayout(m_lockScreen);
    lockLayout->addStretch(1);
    auto *lockTitle = new QLabel(tr("PayDesk is locked"), m_lockScreen);
    QFont lf = lockTitle->font();
    lf.setPointSizeF(lf.pointSizeF() * 1.8);
    lf.setBold(true);
    lockTitle->setFont(lf);
    lockTitle->setAlignment(Qt::AlignCenter);
    lockLayout->addWidget(lockTitle);
    m_lockLabel->setParent(m_lockScreen);
    m_lockLabel->setObjectName(QStringLiteral("lockLabel"));
    m_lockLabel->setAlignment(Qt::AlignCenter);
    m_lockLabel->setWordWrap(true);
    lockLayout->addWidget(m_lockLabel);
    auto *unlock = new QPushButton(tr("&Sign in…"), m_lockScreen);
    unlock->setObjectName(QStringLiteral("unlockButton"));
    unlock->setDefault(true);
    lockLayout->addWidget(unlock, 0, Qt::AlignCenter);
    lockLayout->addStretch(2);
    connect(unlock, &QPushButton::clicked, this, &MainWindow::promptUnlock);
    m_screens->addWidget(central);
    m_screens->addWidget(m_lockScreen);
    setCentralWidget(m_screens);

    // ---- pages ----
    buildPages();
    showUser();
    connect(m_nav, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);
    for (int i = 0; i < PageCount; ++i) {
        auto *go = new QAction(this);
        go->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        addAction(go);
        connect(go, &QAction::triggered, this, [this, i] { showPage(i); });
        m_sessionActions << go;
    }
    auto *signOut = new QAction(tr("Sign out"), this);
    signOut->setObjectName(QStringLiteral("signOutAction"));
    signOut->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    addAction(signOut);
    connect(signOut, &QAction::triggered, this, [this] { lock(true); });
    connect(signOutButton, &QPushButton::clicked, signOut, &QAction::trigger);
    m_sessionActions << signOut;
    auto *closing = new QAction(tr("Close shift or day"), this);
    closing->setObjectName(QStringLiteral("closingAction"));
    closing->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z));
    addAction(closing);
    connect(closing, &QAction::triggered, this, [this] {
        ClosingDialog dialog(m_ctx.services.closingService, m_ctx.user, this);
        dialog.exec();
    });
    connect(closingButton, &QPushButton::clicked, closing, &QAction::trigger);
    m_sessionActions << closing;
    auto *quit = new QAction(tr("Quit"), this);
    quit->setShortcut(QKeySequence::Quit);
    addAction(quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);
    auto *help = new QAction(tr("Keyboard shortcuts"), this);
    help->setObjectName(QStringLiteral("shortcutsAction"));
    help->setShortcuts({QKeySequence::HelpContents, QKeySequence(Qt::CTRL | Qt::Key_Slash)});
    addAction(help);
    connect(help, &QAction::triggered, this, &MainWindow::showShortcuts);
    connect(shortcutsButton, &QPushButton::clicked, this, &MainWindow::showShortcuts);
    m_sessionActions << help;

    // ---- status bar ----
    m_dbLabel->setText(tr("Database: %1").arg(ctx.services.db->location().display()));
    m_dbLabel->setObjectName(QStringLiteral("statusDatabase"));
    m_timerLabel->setObjectName(QStringLiteral("statusTimer"));
    m_channelLabel->setObjectName(QStringLiteral("statusChannel"));
    statusBar()->addPermanentWidget(m_workerLabel);
    statusBar()->addPermanentWidget(m_channelLabel);
    statusBar()->addPermanentWidget(m_timerLabel);
    statusBar()->addPermanentWidget(m_dbLabel);
    if (ctx.demo) {
        auto *badge = new QLabel(tr(" DEMO "), this);
        badge->setStyleSheet(QStringLiteral("background: #f5a623; color: white; font-weight: bold; border-radius: 3px;"));
        statusBar()->addPermanentWidget(badge);
    }
    connect(&ctx.worker, &DbWorker::busyChanged, this, [this](bool busy) { m_workerLabel->setText(busy ? tr("Working…") : QString()); });
    if (ctx.sync) {
        connect(ctx.sync, &SyncEngine::statusChanged, this, &MainWindow::syncStatusChanged);
        connect(ctx.sync, &SyncEngine::booksChanged, this, &MainWindow::booksChanged);
        syncStatusChanged(ctx.sync->status());
    } else {
        m_timerLabel->setText(tr("Timer: off"));
        updateChannelLabel();
    }
    connect(&ctx.services.payments, &PaymentService::booksChanged, this, &MainWindow::booksChanged);
    m_refreshDelay.setSingleShot(true);
    m_refreshDelay.setInterval(300);
    connect(&m_refreshDelay, &QTimer::timeout, this, &MainWindow::refreshNow);
    // The status bar's "next due in" only; cheap (one label) and only while visible.
    m_statusTick.setInterval(1000);
    connect(&m_statusTick, &QTimer::timeout, this, &MainWindow::updateTimerLabel);
    m_statusTick.start();

    // ---- idle lock: any key or mouse input in the program counts as presence ----
    m_idleLockMs = ctx.services.settings.idleLockS() * 1000;
    m_lastInput.start();
    qApp->installEventFilter(this);
    m_idleCheck.setInterval(1000);
    connect(&m_idleCheck, &QTimer::timeout, this, &MainWindow::checkIdle);
    m_idleCheck.start();
    resize(1440, 860);
}

MainWindow::~MainWindow() = default;

void MainWindow::buildPages()
{
    for (Page *p : std::as_const(m_pages)) {
        m_stack->removeWidget(p);
        p->deleteLater();
    }
    m_orders = new OrdersPage(m_ctx, m_stack);
    m_review = new ReviewPage(m_ctx, m_stack);
    m_anomalies = new AnomaliesPage(m_ctx, m_stack);
    m_finance = new FinancePage(m_ctx, m_stack);
    m_recon = new ReconPage(m_ctx, m_stack);
    m_audit = new AuditPage(m_ctx, m_stack);
    m_settings = new SettingsPage(m_ctx, m_stack);
    m_pages = {m_orders, m_review, m_anomalies, m_finance, m_recon, m_audit, m_settings};
    for (Page *p : std::as_const(m_pages)) {
        m_stack->addWidget(p);
        connect(p, &Page::message, this, &MainWindow::showMessage);
        connect(p, &Page::booksChanged, this, [this, p] {
            for (Page *other : std::as_const(m_pages))
                if (other != p)
                    other->markStale();
        });
    }
    // A table with focus but no current row looks like one without: frame every table and
    // light the frame of the one with keyboard focus (the same width, so nothing shifts).
    const auto views = m_stack->findChildren<QAbstractItemView *>();
    for (QAbstractItemView *v : views)
        if (v->styleSheet().isEmpty() && v->window() == this) // not the combo boxes' popup lists
            v->setStyleSheet(QStringLiteral("QAbstractItemView { border: 1px solid palette(mid); padding: 1px; } "
                                            "QAbstractItemView:focus { border: 2px solid palette(highlight); padding: 0px; }"));
    connect(m_settings, &SettingsPage::channelsChanged, this, &MainWindow::channelsChanged);
    const auto openOrder = [this](const QString &no) {
        showPage(Orders);
        m_orders->selectOrder(no);
    };
    connect(m_anomalies, &AnomaliesPage::openOrder, this, openOrder);
    connect(m_recon, &ReconPage::openOrder, this, openOrder);
    // The default page for the role: finance starts in the review queue.
    showPage(m_ctx.user.role == Role::Finance ? Review : Orders);
}

void MainWindow::showUser()
{
    const User &u = m_ctx.user;
    setWindowTitle(m_ctx.demo ? tr("PayDesk — %1 (%2) — DEMO").arg(u.login, Labels::of(u.role))
                              : tr("PayDesk — %1 (%2)").arg(u.login, Labels::of(u.role)));
    m_userLabel->setText(tr("Signed in as %1\n%2").arg(u.displayName.isEmpty() ? u.login : u.displayName, Labels::of(u.role)));
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    switch (event->type()) {
    case QEvent::KeyPress:
    case QEvent::MouseButtonPress:
    case QEvent::MouseMove:
    case QEvent::Wheel:
    case QEvent::TouchBegin:
        m_lastInput.restart();
        break;
    default:
        break;
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::setIdleLockMs(qint64 ms)
{
    m_idleLockMs = ms;
    m_idleOverridden = true;
    m_idleCheck.setInterval(int(qBound<qint64>(qint64(20), ms / 4, qint64(1000))));
    m_lastInput.restart();
}

void MainWindow::checkIdle()
{
    if (!m_locked && m_idleLockMs > 0 && m_lastInput.elapsed() >= m_idleLockMs)
        lock(false);
}

LoginDialog *MainWindow::unlockDialog() const { return m_unlockDialog.data(); }

QString MainWindow::lockText() const { return m_lockLabel->text(); }

void MainWindow::lock(bool signOut)
{
    if (m_locked)
        return;
    m_locked = true;
    m_signedOut = signOut;
    // Open dialogs (a QR code, a refund form) go with the books: nothing is left on screen.
    const auto dialogs = findChildren<QDialog *>();
    for (QDialog *d : dialogs)
        if (d->isVisible())
            d->reject();
    for (QAction *a : std::as_const(m_sessionActions))
        a->setEnabled(false);
    m_screens->setCurrentWidget(m_lockScreen);
    const QString who = m_ctx.user.login;
    m_lockLabel->setText(signOut ? tr("%1 signed out. Sign in to go on.").arg(who)
                                 : tr("Locked after %1 without input. %2 or a colleague signs in to go on.")
                                       .arg(Duration::human(m_idleLockMs), who));
    // Best effort: a lock that cannot be written down still locks.
    (void)m_ctx.services.audit.record(who, signOut ? QStringLiteral("session.sign_out") : QStringLiteral("session.lock"),
                                QStringLiteral("user:") + who,
                                signOut ? QJsonObject{} : QJsonObject{{QStringLiteral("idle_ms"), m_idleLockMs}});
    m_lockScreen->findChild<QPushButton *>(QStringLiteral("unlockButton"))->setFocus();
}

void MainWindow::promptUnlock()
{
    if (!m_locked)
        return;
    if (m_unlockDialog) {
        m_unlockDialog->raise();
        return;
    }
    auto *dialog = new LoginDialog(m_ctx.services, m_ctx.demo, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    if (!m_signedOut) {
        dialog->loginEdit()->setText(m_ctx.user.login);
        dialog->passwordEdit()->setFocus();
    }
    connect(dialog, &QDialog::accepted, this, [this, dialog] { signedIn(dialog->user()); });
    m_unlockDialog = dialog;
    dialog->open();
}

void MainWindow::signedIn(const User &user)
{
    const bool someoneElse = user.login != m_ctx.user.login || user.role != m_ctx.user.role;
    m_ctx.user = user;
    showUser();
    if (someoneElse)
        buildPages(); // what a page offers follows the role it was built for
    m_locked = false;
    for (QAction *a : std::as_const(m_sessionActions))
        a->setEnabled(true);
    m_screens->setCurrentIndex(0);
    if (!m_idleOverridden) // ADMIN may have changed it meanwhile
        m_idleLockMs = m_ctx.services.settings.idleLockS() * 1000;
    m_lastInput.restart();
    refreshNow();
}

void MainWindow::showPage(int index)
{
    if (index < 0 || index >= PageCount)
        return;
    m_nav->setCurrentRow(index);
    m_stack->setCurrentIndex(index);
}

int MainWindow::currentPage() const { return m_stack->currentIndex(); }

void MainWindow::booksChanged()
{
    if (!m_refreshDelay.isActive())
        m_refreshDelay.start();
}

void MainWindow::refreshNow()
{
    m_refreshDelay.stop();
    ++m_refreshes;
    auto *current = qobject_cast<Page *>(m_stack->currentWidget());
    for (Page *p : std::as_const(m_pages)) {
        if (p == current)
            p->refresh();
        else
            p->markStale();
    }
}

QList<std::pair<QString, QString>> MainWindow::shortcutList()
{
    auto keys = [](std::initializer_list<QKeySequence> seqs) {
        QStringList out;
        for (const QKeySequence &k : seqs)
            out << k.toString(QKeySequence::NativeText);
        return out.join(tr(" or "));
    };
    return {
        {keys({QKeySequence(Qt::CTRL | Qt::Key_1)}) + tr(" … ") + keys({QKeySequence(Qt::CTRL | Qt::Key(int(Qt::Key_1) + int(PageCount) - 1))}),
         tr("Go to Orders, Refund review, Anomalies, Finance, Reconciliation, Audit log, Settings")},
        {keys({QKeySequence::Find}), tr("Search the orders (order no, title, buyer, any payment or refund id)")},
        {keys({QKeySequence::New}), tr("New order at the counter (shows the QR code)")},
        {keys({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P)}) + tr(" or Enter on an order"), tr("Repay: a new payment code for the selected order")},
        {keys({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C)}), tr("Close the selected unpaid order (asks first)")},
        {keys({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R)}), tr("Request a refund on the selected paid order")},
        {keys({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Q)}), tr("Ask the channel about the selected order now")},
        {keys({QKeySequence(Qt::CTRL | Qt::Key_R), QKeySequence(Qt::Key_F5)}), tr("Refresh the page")},
        {keys({QKeySequence(Qt::CTRL | Qt::Key_E)}), tr("Export the filtered orders as CSV")},
        {keys({QKeySequence::Print}), tr("Receipt of the selected paid order or its refund: print or save as PDF")},
        {keys({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z)}), tr("Close your shift, or a business day (finance): the Z report to print or save")},
        {keys({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M)}), tr("Mark the selected unpaid order paid (money without an answer; another FINANCE user approves)")},
        {keys({QKeySequence(Qt::CTRL | Qt::Key_Return)}), tr("Refund review: approve the selected refund (asks first)")},
        {keys({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B)}), tr("Reconciliation: fetch a channel's daily bill and reconcile it")},
        {keys({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_I)}), tr("Reconciliation: import a downloaded bill file")},
        {keys({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O)}) + tr(" or Enter on a difference"),
         tr("Reconciliation: open the difference's order")},
        {tr("Alt+underlined letter"), tr("Jump to that field or press that button")},
        {tr("Tab / Shift+Tab, arrows"), tr("Move between fields; move in tables")},
        {keys({QKeySequence::HelpContents}), tr("This list")},
        {keys({QKeySequence::Quit}), tr("Quit PayDesk")},
    };
}

void MainWindow::showShortcuts()
{
    QDialog dialog(this);
    dialog.setObjectName(QStringLiteral("shortcutsDialog"));
    dialog.setWindowTitle(tr("Keyboard shortcuts"));
    auto *layout = new QVBoxLayout(&dialog);
    auto *table = new QTableWidget(&dialog);
    const auto list = shortcutList();
    table->setColumnCount(2);
    table->setRowCount(int(list.size()));
    table->setHorizontalHeaderLabels({tr("Keys"), tr("What it does")});
    for (int r = 0; r < list.size(); ++r) {
        table->setItem(r, 0, new QTableWidgetItem(list.at(r).first));
        table->setItem(r, 1, new QTableWidgetItem(list.at(r).second));
    }
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionMode(QAbstractItemView::NoSelection);
    table->verticalHeader()->hide();
    table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    table->horizontalHeader()->setStretchLastSection(true);
    table->resizeColumnsToContents();
    layout->addWidget(table);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog.resize(qMax(640, table->horizontalHeader()->length() + 60), 520);
    dialog.exec();
}

void MainWindow::showMessage(const QString &text)
{
    statusBar()->showMessage(text, 8000);
}

QString MainWindow::statusText() const
{
    return QStringList{statusBar()->currentMessage(), m_timerLabel->text(), m_channelLabel->text(), m_dbLabel->text()}.join(u'\n');
}

void MainWindow::syncStatusChanged(const SyncStatus &status)
{
    m_nextDueAt = status.nextDueAt;
    m_inFlight = status.inFlight;
    m_syncErrors = status.lastError;
    updateChannelLabel();
    updateTimerLabel();
}

void MainWindow::showChannelProblem(const QString &text)
{
    if (!m_setupProblems.contains(text))
        m_setupProblems << text;
    updateChannelLabel();
}

void MainWindow::channelsChanged()
{
    m_setupProblems.clear();
    updateChannelLabel();
    m_orders->refresh();
}

void MainWindow::updateChannelLabel()
{
    QStringList errors = m_setupProblems;
    QStringList names(m_syncErrors.keys());
    names.sort();
    for (const QString &name : std::as_const(names)) {
        const QString text = m_syncErrors.value(name);
        if (text.isEmpty())
            continue;
        const auto kind = fromString<ChannelKind>(name);
        errors << tr("%1: %2").arg(kind ? Labels::of(*kind) : name, text);
    }
    const ChannelRegistry &registry = m_ctx.services.channels;
    QStringList connected;
    bool allSimulated = true;
    for (ChannelKind kind : ChannelSetup::choices(registry)) {
        connected << Labels::of(kind);
        allSimulated = allSimulated && registry.isSimulated(kind);
    }
    if (!errors.isEmpty()) {
        m_channelLabel->setText(tr("Channel error — %1").arg(errors.join(QStringLiteral("; "))));
        m_channelLabel->setStyleSheet(QStringLiteral("color: #c62828;"));
    } else if (connected.isEmpty()) {
        m_channelLabel->setText(tr("No payment channel connected"));
        m_channelLabel->setStyleSheet(QStringLiteral("color: #c62828;"));
    } else {
        const QString list = QLocale().createSeparatedList(connected);
        m_channelLabel->setText(allSimulated ? tr("Channels (simulated): %1").arg(list) : tr("Channels: %1").arg(list));
        m_channelLabel->setStyleSheet(QString());
    }
    m_channelLabel->setToolTip(allSimulated && !connected.isEmpty()
                                   ? tr("Every channel is simulated: scripted customers pay, ignore or pay late; no real money moves.")
                                   : tr("The payment channels this window talks to, and the last error the timer met on each."));
}

void MainWindow::updateTimerLabel()
{
    if (!m_ctx.sync)
        return;
    QString next = tr("idle");
    if (m_nextDueAt > 0) {
        const qint64 left = m_nextDueAt - m_ctx.services.clock->nowMs();
        next = left > 0 ? tr("next in %1").arg(Duration::countdown(left)) : tr("running");
    }
    m_timerLabel->setText(tr("Timer: %1 · %n job(s) in flight", nullptr, m_inFlight).arg(next));
}

} // namespace paydesk::ui
