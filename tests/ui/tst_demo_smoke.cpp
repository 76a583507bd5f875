// Starts the real `paydesk --demo` (under xvfb-run when available, else offscreen), signed in
// as the clerk, lets 3 minutes of demo time pass (--time-scale 30) and has it save a screenshot
// of its main window; what the status bar said must hold no channel error.
#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

class TestDemoSmoke : public QObject
{
    Q_OBJECT
private slots:
    void demoStartsAndShowsOrders_data();
    void demoStartsAndShowsOrders();
};

void TestDemoSmoke::demoStartsAndShowsOrders_data()
{
    QTest::addColumn<QString>("lang");
    QTest::newRow("en") << u"en"_s;
    QTest::newRow("zh_CN") << u"zh_CN"_s;
}

void TestDemoSmoke::demoStartsAndShowsOrders()
{
    QFETCH(QString, lang);
    const QString bin = qEnvironmentVariable("PAYDESK_GUI_BIN");
    if (bin.isEmpty())
        QSKIP("PAYDESK_GUI_BIN is not set");
    QTemporaryDir dir;
    const QString shot = dir.filePath(u"demo-%1.png"_s.arg(lang));
    QStringList args{u"--demo"_s, u"--demo-dir"_s, dir.filePath(u"db"_s), u"--demo-orders"_s, u"400"_s,
                     u"--user"_s, u"clerk"_s, u"--lang"_s, lang, u"--screenshot"_s, shot, u"--screenshot-after"_s, u"6000"_s,
                     u"--time-scale"_s, u"30"_s, u"--demo-interval"_s, u"1"_s};
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"PAYDESK_PASSWORD"_s, u"clerk"_s);
    env.insert(u"XDG_CONFIG_HOME"_s, dir.filePath(u"config"_s));
    const QString xvfb = qEnvironmentVariable("PAYDESK_XVFB_RUN");
    if (!xvfb.isEmpty()) {
        env.remove(u"QT_QPA_PLATFORM"_s);
        args = QStringList{u"-a"_s, u"-s"_s, u"-screen 0 1600x1000x24"_s, bin} + args;
        p.setProgram(xvfb);
    } else {
        p.setProgram(bin);
    }
    p.setArguments(args);
    p.setProcessEnvironment(env);
    p.start();
    QVERIFY2(p.waitForFinished(60'000), "paydesk --demo did not finish");
    const QString err = QString::fromUtf8(p.readAllStandardError());
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    QVERIFY2(p.exitCode() == 0, qPrintable(err));
    // Three minutes of demo time went by: the timer worked, counter orders came in, and no
    // channel ever answered with an error (every channel of the demo is simulated, and the
    // simulator knows every payment the seeded books have).
    QVERIFY2(out.contains(u"channel errors: 0\n"_s), qPrintable(out + err));
    QVERIFY2(!out.contains(u"timer jobs done: 0\n"_s), qPrintable(out));
    QVERIFY2(!out.contains(u"demo counter orders: 0,"_s), qPrintable(out));
    QVERIFY2(!err.contains(u"checkout refused"_s), qPrintable(err));
    QImage image(shot);
    QVERIFY2(!image.isNull(), "no screenshot was written");
    QVERIFY(image.width() >= 1000 && image.height() >= 600);
}

QTEST_GUILESS_MAIN(TestDemoSmoke)
#include "tst_demo_smoke.moc"
