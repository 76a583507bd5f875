#include "AppOptions.h"

#include <QCommandLineParser>
#include <QCoreApplication>

QStringList AppOptions::pageNames()
{
    // The order of ui::MainWindow::PageIndex (main() checks the count).
    return {QStringLiteral("orders"), QStringLiteral("review"),         QStringLiteral("anomalies"), QStringLiteral("finance"),
            QStringLiteral("reconciliation"), QStringLiteral("audit"), QStringLiteral("settings")};
}

AppOptions AppOptions::parse(const QStringList &arguments)
{
    QCommandLineParser p;
    p.setApplicationDescription(QCoreApplication::translate("main", "PayDesk: back office for WeChat Pay and Alipay merchants."));
    p.addHelpOption();
    p.addVersionOption();
    const QCommandLineOption demo(QStringLiteral("demo"), QCoreApplication::translate("main", "Run the offline demo (simulated channel, scripted customers)."));
    const QCommandLineOption demoDir(QStringLiteral("demo-dir"), QCoreApplication::translate("main", "Keep the demo database in DIR (default: a temporary folder)."), QStringLiteral("DIR"));
    const QCommandLineOption demoOrders(QStringLiteral("demo-orders"), QCoreApplication::translate("main", "Orders in the demo history (default 2000)."), QStringLiteral("N"));
    const QCommandLineOption demoInterval(QStringLiteral("demo-interval"), QCoreApplication::translate("main", "Seconds between new demo counter orders (default 6)."), QStringLiteral("S"));
    const QCommandLineOption timeScale(QStringLiteral("time-scale"), QCoreApplication::translate("main", "Run time N times faster (demo)."), QStringLiteral("N"));
    const QCommandLineOption db(QStringLiteral("db"), QCoreApplication::translate("main", "Database URL: sqlite:/path/file.db or postgresql://user@host/db."), QStringLiteral("URL"));
    const QCommandLineOption lang(QStringLiteral("lang"), QCoreApplication::translate("main", "Language: en or zh_CN (default: settings, then the system)."), QStringLiteral("LANG"));
    const QCommandLineOption user(QStringLiteral("user"), QCoreApplication::translate("main", "Sign in as LOGIN; the password comes from PAYDESK_PASSWORD."), QStringLiteral("LOGIN"));
    const QCommandLineOption page(QStringLiteral("page"), QCoreApplication::translate("main", "Open this page: orders, review, anomalies, finance, reconciliation, audit, settings."), QStringLiteral("PAGE"));
    const QCommandLineOption select(QStringLiteral("select"), QCoreApplication::translate("main", "Select this order on the Orders page (first-pending: the newest pending order)."), QStringLiteral("ORDER_NO"));
    const QCommandLineOption open(QStringLiteral("open"), QCoreApplication::translate("main", "Open a dialog at start: repay (for the selected order, code issued), new-order, reconcile (fetch a bill) or shortcuts."), QStringLiteral("DIALOG"));
    const QCommandLineOption shot(QStringLiteral("screenshot"), QCoreApplication::translate("main", "Save a screenshot of the main window to FILE and quit."), QStringLiteral("FILE"));
    const QCommandLineOption shotAfter(QStringLiteral("screenshot-after"), QCoreApplication::translate("main", "Milliseconds to wait before the screenshot (default 2500)."), QStringLiteral("MS"));
    p.addOptions({demo, demoDir, demoOrders, demoInterval, timeScale, db, lang, user, page, select, open, shot, shotAfter});
    p.process(arguments);
    AppOptions o;
    o.demo = p.isSet(demo);
    o.demoDir = p.value(demoDir);
    o.dbUrl = p.value(db);
    o.language = p.value(lang);
    o.login = p.value(user);
    o.page = p.value(page);
    o.select = p.value(select);
    const QStringList pages = pageNames();
    if (!o.page.isEmpty() && !pages.contains(o.page))
        o.error = QCoreApplication::translate("main", "--page takes one of: %1.").arg(pages.join(QStringLiteral(", ")));
    o.open = p.value(open);
    if (!o.open.isEmpty() && !QStringList{QStringLiteral("repay"), QStringLiteral("new-order"), QStringLiteral("reconcile"),
                                             QStringLiteral("shortcuts")}.contains(o.open))
        o.error = QCoreApplication::translate("main", "--open takes repay, new-order, reconcile or shortcuts.");
    o.screenshot = p.value(shot);
    bool ok = true;
    if (p.isSet(timeScale)) {
        o.timeScale = p.value(timeScale).toDouble(&ok);
        if (!ok || o.timeScale < 1 || o.timeScale > 10000)
            o.error = QCoreApplication::translate("main", "--time-scale takes a number from 1 to 10000.");
    }
    if (p.isSet(demoOrders)) {
        o.demoOrders = p.value(demoOrders).toInt(&ok);
        if (!ok || o.demoOrders < 0 || o.demoOrders > 5'000'000)
            o.error = QCoreApplication::translate("main", "--demo-orders takes a number from 0 to 5000000.");
    }
    if (p.isSet(demoInterval)) {
        const double s = p.value(demoInterval).toDouble(&ok);
        if (!ok || s < 0.2 || s > 3600)
            o.error = QCoreApplication::translate("main", "--demo-interval takes seconds from 0.2 to 3600.");
        o.demoIntervalMs = int(s * 1000);
    }
    if (p.isSet(shotAfter))
        o.screenshotAfterMs = qMax(0, p.value(shotAfter).toInt());
    if (o.demo && !o.dbUrl.isEmpty() && !o.demoDir.isEmpty())
        o.error = QCoreApplication::translate("main", "Use either --db or --demo-dir for the demo, not both.");
    return o;
}
