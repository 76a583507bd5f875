// The composition root: options -> database (open, migrate) -> Services (with the clock) ->
// channels -> timer -> sign in -> main window. Everything else lives in ui/ and below.
#include "AppOptions.h"

#include "ChannelSetup.h"
#include "DbWorker.h"
#include "DemoDriver.h"
#include "LoginDialog.h"
#include "MainWindow.h"
#include "OrderTableModel.h"
#include "OrdersPage.h"
#include "ReconPage.h"
#include "RepayDialog.h"
#include "Translations.h"
#include "UiContext.h"
#include "channels/SimulatedChannel.h"
#include "demo/DemoSeeder.h"
#include "services/Services.h"
#include "sync/LateLook.h"
#include "sync/ReconScheduler.h"
#include "sync/SyncEngine.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QIcon>
#include <QLocale>
#include <QMessageBox>
#include <QPainter>
#include <QPixmap>
#include <QProgressDialog>
#include <QPushButton>
#include <QScreen>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>

#include <memory>
#include <optional>

using namespace paydesk;

namespace {

int fail(const QString &message)
{
    QMessageBox::critical(nullptr, QApplication::translate("main", "PayDesk cannot start"), message);
    qCritical("paydesk: %s", qPrintable(message));
    return 1;
}

int pageIndex(const QString &name)
{
    Q_ASSERT(AppOptions::pageNames().size() == ui::MainWindow::PageCount);
    return int(AppOptions::pageNames().indexOf(name));
}

void setNames()
{
    QCoreApplication::setOrganizationName(QStringLiteral("PayDesk"));
    QCoreApplication::setApplicationName(QStringLiteral("paydesk"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PAYDESK_VERSION));
}

/// --help and --version answer on the terminal: a QCoreApplication needs no display, so they
/// work over ssh, in CI and in scripts. Without any display a wrong option is reported the
/// same way, and a right one gets a sentence instead of Qt's abort. Returns -1 to go on.
int answerWithoutDisplay(int argc, char *argv[])
{
    QString language;
    bool asked = false;
    for (int i = 1; i < argc; ++i) {
        const QByteArray a(argv[i]);
        if (a == "--help" || a == "-h" || a == "-?" || a == "--help-all" || a == "--version" || a == "-v")
            asked = true;
        else if (a == "--lang" && i + 1 < argc)
            language = QString::fromLocal8Bit(argv[i + 1]);
        else if (a.startsWith("--lang="))
            language = QString::fromLocal8Bit(a.mid(7));
    }
#if defined(Q_OS_UNIX) && !defined(Q_OS_MACOS) && !defined(Q_OS_ANDROID)
    // X11 and Wayland name their display in the environment; Windows and macOS always have one.
    const bool noDisplay = qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
#else
    const bool noDisplay = false;
#endif
    if (!asked && !noDisplay)
        return -1;
    QCoreApplication core(argc, argv);
    setNames();
    ui::Translations::install(core, language);
    // Prints the help, the version or what is wrong with the command line, and exits.
    const AppOptions opt = AppOptions::parse(QCoreApplication::arguments());
    if (!opt.error.isEmpty()) {
        qCritical("paydesk: %s", qPrintable(opt.error));
        return 1;
    }
    qCritical("paydesk: %s", qPrintable(QCoreApplication::translate("main", "no display to open a window on (DISPLAY is not set). "
                                                                          "Run it in a desktop session, or with QT_QPA_PLATFORM=offscreen "
                                                                          "for screenshots; paydeskctl works without one.")));
    return 1;
}

} // namespace

int main(int argc, char *argv[])
{
    if (const int answered = answerWithoutDisplay(argc, argv); answered >= 0)
        return answered;
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("PayDesk"));
    QApplication::setApplicationName(QStringLiteral("paydesk"));
    QApplication::setApplicationDisplayName(QStringLiteral("PayDesk"));
    QApplication::setApplicationVersion(QStringLiteral(PAYDESK_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/paydesk.svg")));
    QApplication::setDesktopFileName(QStringLiteral("paydesk"));

    const AppOptions opt = AppOptions::parse(QApplication::arguments());
    const bool chinese = ui::Translations::install(app, opt.language) == QStringLiteral("zh_CN");
    if (!opt.error.isEmpty())
        return fail(opt.error);

    // ---- database ----
    std::optional<QTemporaryDir> tempDir;
    QString url = opt.dbUrl;
    if (opt.demo && url.isEmpty()) {
        QString dir = opt.demoDir;
        if (dir.isEmpty()) {
            tempDir.emplace(QDir::temp().filePath(QStringLiteral("paydesk-demo-XXXXXX")));
            dir = tempDir->path();
        }
        QDir().mkpath(dir);
        url = QStringLiteral("sqlite:") + QDir(dir).filePath(QStringLiteral("paydesk-demo.db"));
    }
    if (url.isEmpty())
        url = Database::defaultUrl();
    auto db = Database::open(url);
    if (!db)
        return fail(db.error().message);
    if (Status s = db.value()->migrate(); !s)
        return fail(s.error().message);
    std::unique_ptr<Clock> clock;
    if (opt.timeScale > 1.0)
        clock = std::make_unique<ScaledClock>(opt.timeScale);
    else
        clock = std::make_unique<SystemClock>();
    Services services(std::move(db.value()), std::move(clock));

    // ---- demo data and channels ----
    if (opt.demo) {
        auto orders = services.orders.count({});
        if (orders && orders.value() == 0) {
            DemoSeeder seeder(*services.db, services.users, services.settings, *services.clock);
            DemoSeeder::Options so;
            so.orders = opt.demoOrders;
            so.chinese = chinese; // the demo's people write in the language it is shown in
            so.lostPayment = true; // a "mark paid" request waiting for finance
            // A big demo takes a while to write: say so, and keep the progress moving.
            std::unique_ptr<QProgressDialog> progress;
            if (so.orders >= 20'000) {
                progress = std::make_unique<QProgressDialog>(
                    QApplication::translate("main", "Writing the demo's history (%1 orders)…").arg(QLocale().toString(so.orders)),
                    QString(), 0, so.orders);
                progress->setWindowTitle(QApplication::translate("main", "PayDesk demo"));
                progress->setMinimumDuration(0);
                progress->setValue(0);
            }
            auto r = seeder.seed(so, [&progress](int done, int) {
                if (progress) {
                    progress->setValue(done);
                    QCoreApplication::processEvents();
                }
            });
            progress.reset();
            if (!r)
                return fail(r.error().message);
        }
    }
    const bool demo = services.settings.isDemo();
    if (opt.demo && !demo)
        return fail(QApplication::translate("main", "%1 is not a demo database: --demo opens a new one or an earlier demo. "
                                                    "Leave out --demo to work on it.")
                        .arg(services.db->location().display()));
    // Fake time on real books would run the timer, the refund window, login throttling and
    // the channels' 5-minute signature window on a clock that is not the world's.
    if (opt.timeScale > 1.0 && !demo)
        return fail(QApplication::translate("main", "--time-scale runs only on a demo database; %1 is not one.")
                        .arg(services.db->location().display()));
    QList<SimulatedChannel *> sims;
    QStringList channelProblems;
    if (demo) {
        // Offline: the simulator stands in for every channel the demo's orders use (WeChat Pay,
        // Alipay and itself), on one ledger that the seeder filled with the same history.
        auto channels = SimulatedChannel::addDemoChannels(services.channels, url, *services.clock);
        if (!channels)
            return fail(channels.error().message);
        sims = channels.value();
        for (SimulatedChannel *sim : std::as_const(sims)) {
            sim->setMix(SimulatedChannel::Mix{});
            sim->setLatencyMs(300);
            sim->setRefundOutcome(SimulatedChannel::RefundOutcome::Success, 20'000);
        }
    } else {
        // Real channels (WeChat Pay, Alipay) from the stored channel profiles.
        channelProblems = ui::ChannelSetup::connectConfigured(services);
    }

    // ---- the timer ----
    SyncEngine sync(services, SyncEngine::Options{});
    if (Status s = sync.start(); !s)
        return fail(s.error().message);

    // ---- sign in ----
    User user;
    if (!opt.login.isEmpty()) {
        auto r = services.users.login(opt.login, qEnvironmentVariable("PAYDESK_PASSWORD"));
        if (!r)
            return fail(r.error().message);
        user = r.value();
    } else {
        ui::LoginDialog login(services, demo);
        if (login.exec() != QDialog::Accepted)
            return 0;
        user = login.user();
    }

    DbWorker worker(*services.db);
    ui::UiContext ctx{services, worker, &sync, user, demo};
    ui::MainWindow window(ctx);
    // Yesterday's bills from every channel, from 10:00 Beijing time, and days missed.
    ReconScheduler reconTimer(services);
    QObject::connect(&reconTimer, &ReconScheduler::booksChanged, &window, &ui::MainWindow::booksChanged);
    reconTimer.start();
    // One more look at payments the channel said did not exist, after their codes expire.
    LateLook lateLook(services.orders, services.channels, services.reconciler, *services.clock);
    QObject::connect(&sync, &SyncEngine::booksChanged, &lateLook, &LateLook::rearm);
    QObject::connect(&services.payments, &PaymentService::booksChanged, &lateLook, &LateLook::rearm);
    QObject::connect(&lateLook, &LateLook::booksChanged, &window, &ui::MainWindow::booksChanged);
    lateLook.start();
    for (const QString &problem : std::as_const(channelProblems))
        window.showChannelProblem(problem);
    std::unique_ptr<ui::DemoDriver> driver;
    if (!sims.isEmpty()) {
        // The scripted customers' orders are the counter simulator's, not the signed-in user's.
        User clerk = user;
        if (user.role == Role::Finance) {
            if (auto c = services.users.find(QStringLiteral("clerk")); c)
                clerk = c.value();
        }
        clerk = ui::DemoDriver::counterActor(services, clerk);
        // Payments the scripted customers make reach the books through the channels'
        // notifications; with --demo new counter orders keep coming too.
        driver = std::make_unique<ui::DemoDriver>(services, sims, clerk);
        driver->setIntervalMs(opt.demoIntervalMs);
        driver->setChinese(chinese);
        QObject::connect(driver.get(), &ui::DemoDriver::booksChanged, &window, &ui::MainWindow::booksChanged);
        if (auto woken = sims.constFirst()->wakeCustomers(); !woken)
            qWarning("paydesk: the simulated customers cannot start: %s", qPrintable(woken.error().message));
        if (opt.demo)
            driver->start();
    }
    if (const int page = pageIndex(opt.page); page >= 0)
        window.showPage(page);
    window.show();
    if (!opt.select.isEmpty()) {
        QString no = opt.select;
        if (no == QStringLiteral("first-pending")) {
            no.clear();
            const OrderTableModel *model = window.ordersPage()->model();
            for (int r = 0; r < qMin(model->rowCount(), OrderTableModel::kPageSize) && no.isEmpty(); ++r)
                if (const auto o = model->orderAt(r); o && o->state == OrderState::Pending)
                    no = o->orderNo;
        }
        if (no.isEmpty() || !window.ordersPage()->selectOrder(no))
            qWarning("paydesk: no order %s to select", qPrintable(opt.select));
    }
    if (!opt.open.isEmpty()) {
        // For screenshots and documentation: a dialog open over the window (the repay dialog
        // with a new code issued).
        QTimer::singleShot(300, &window, [&window, what = opt.open] {
            if (what == QStringLiteral("repay")) {
                QTimer::singleShot(1000, &window, [] {
                    if (auto *d = qobject_cast<ui::RepayDialog *>(QApplication::activeModalWidget()))
                        d->issueButton()->click();
                });
                window.ordersPage()->repay();
            } else if (what == QStringLiteral("new-order")) {
                window.ordersPage()->newOrder();
            } else if (what == QStringLiteral("reconcile")) {
                window.showPage(ui::MainWindow::Reconciliation);
                window.reconPage()->fetchAndReconcile();
            } else if (auto *help = window.findChild<QAction *>(QStringLiteral("shortcutsAction"))) {
                help->trigger();
            }
        });
    }

    if (!opt.screenshot.isEmpty()) {
        QTimer::singleShot(opt.screenshotAfterMs, &window, [&window, &sync, &driver, &channelProblems, path = opt.screenshot] {
            QPixmap shot = window.grab();
            if (QWidget *modal = QApplication::activeModalWidget(); modal && modal != &window) {
                // A dialog is open: paint it where it stands over the window, framed.
                QPainter p(&shot);
                const QPoint at = window.mapFromGlobal(modal->mapToGlobal(QPoint(0, 0)));
                p.fillRect(QRect(at + QPoint(4, 6), modal->size()), QColor(0, 0, 0, 60));
                p.drawPixmap(at, modal->grab());
                p.setPen(QColor(0x80, 0x80, 0x80));
                p.drawRect(QRect(at, modal->size()).adjusted(-1, -1, 0, 0));
            }
            const bool ok = shot.save(path);
            if (!ok)
                qCritical("paydesk: cannot save the screenshot to %s", qPrintable(path));
            // What the window showed, for the smoke test and whoever runs this by hand.
            QTextStream out(stdout);
            out << "screenshot: " << path << '\n';
            for (const QString &line : window.statusText().split(u'\n'))
                if (!line.trimmed().isEmpty())
                    out << "status: " << line << '\n';
            const SyncStatus st = sync.status();
            QStringList errors = channelProblems;
            for (auto it = st.lastError.cbegin(); it != st.lastError.cend(); ++it)
                if (!it.value().isEmpty())
                    errors << it.key() + QStringLiteral(": ") + it.value();
            out << "channel errors: " << errors.size() << (errors.isEmpty() ? QString() : QStringLiteral(" (") + errors.join(QStringLiteral("; ")) + u')')
                << '\n';
            out << "timer jobs done: " << st.jobsDone << '\n';
            if (driver)
                out << "demo counter orders: " << driver->ordersCreated() << ", payment notifications: " << driver->paymentsNotified()
                    << '\n';
            out.flush();
            QApplication::exit(ok ? 0 : 1);
        });
    }
    return QApplication::exec();
}
