// The composition root: options -> database (open, migrate) -> Services (with the clock) ->
// channels -> timer -> sign in -> main window. Everything else lives in ui/ and below.
#include "AppOptions.h"

#include "DbWorker.h"
#include "DemoDriver.h"
#include "LoginDialog.h"
#include "MainWindow.h"
#include "Translations.h"
#include "UiContext.h"
#include "channels/SimulatedChannel.h"
#include "demo/DemoSeeder.h"
#include "services/Services.h"
#include "sync/SyncEngine.h"

#include <QApplication>
#include <QDir>
#include <QIcon>
#include <QMessageBox>
#include <QScreen>
#include <QTemporaryDir>
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
    const QStringList names{QStringLiteral("orders"), QStringLiteral("review"), QStringLiteral("anomalies"),
                            QStringLiteral("finance"), QStringLiteral("audit"), QStringLiteral("settings")};
    return int(names.indexOf(name));
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("PayDesk"));
    QApplication::setApplicationName(QStringLiteral("paydesk"));
    QApplication::setApplicationDisplayName(QStringLiteral("PayDesk"));
    QApplication::setApplicationVersion(QStringLiteral(PAYDESK_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/paydesk.svg")));
    QApplication::setDesktopFileName(QStringLiteral("paydesk"));

    const AppOptions opt = AppOptions::parse(QApplication::arguments());
    ui::Translations::install(app, opt.language);
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
            if (auto r = seeder.seed(so); !r)
                return fail(r.error().message);
        }
    }
    const bool demo = services.settings.isDemo();
    SimulatedChannel *sim = nullptr;
    if (demo) {
        auto channel = SimulatedChannel::create(url, *services.clock);
        if (!channel)
            return fail(channel.error().message);
        sim = channel.value().get();
        sim->setMix(SimulatedChannel::Mix{});
        sim->setLatencyMs(300);
        services.channels.add(std::move(channel.value()));
    }
    // Real channels (WeChat Pay, Alipay) come from the stored channel profiles; their loader
    // is being built in core/channels and plugs in here.

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
    std::unique_ptr<ui::DemoDriver> driver;
    if (opt.demo && sim) {
        User clerk = user;
        if (user.role == Role::Finance) {
            if (auto c = services.users.find(QStringLiteral("clerk")); c)
                clerk = c.value();
        }
        driver = std::make_unique<ui::DemoDriver>(services, *sim, clerk);
        driver->setIntervalMs(opt.demoIntervalMs);
        QObject::connect(driver.get(), &ui::DemoDriver::booksChanged, &window, &ui::MainWindow::booksChanged);
        driver->start();
    }
    if (const int page = pageIndex(opt.page); page >= 0)
        window.showPage(page);
    window.show();

    if (!opt.screenshot.isEmpty()) {
        QTimer::singleShot(opt.screenshotAfterMs, &window, [&window, path = opt.screenshot] {
            const bool ok = window.grab().save(path);
            if (!ok)
                qCritical("paydesk: cannot save the screenshot to %s", qPrintable(path));
            QApplication::exit(ok ? 0 : 1);
        });
    }
    return QApplication::exec();
}
