// paydeskctl recon/bill verbs end to end: the real binary on a demo SQLite file, a hand-made
// WeChat bill imported (differences found, the re-run opens nothing new), a bill fetched from the
// demo's WeChat stand-in, refusals for clerks and malformed files.

#include "TestSupport.h"

#include "channels/BillWriter.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace paydesk;
using namespace paydesk::test;
using namespace Qt::StringLiterals;

namespace {

struct Ran
{
    int code = -1;
    QString out;
    QString err;
    QJsonObject obj() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
    QString said() const { return u"exit "_s + QString::number(code) + u"\nstdout: "_s + out + u"\nstderr: "_s + err; }
};

Ran ctl(const QStringList &args, const QString &password = {})
{
    QProcess p;
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.remove(u"PAYDESK_PASSWORD"_s);
    if (!password.isEmpty())
        e.insert(u"PAYDESK_PASSWORD"_s, password);
    p.setProcessEnvironment(e);
    p.setProgram(binary(u"paydeskctl"_s));
    p.setArguments(args);
    p.start();
    p.closeWriteChannel();
    Ran r;
    if (!p.waitForFinished(300'000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace

class TestReconCli : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_db;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = u"sqlite:"_s + m_dir.filePath(u"demo.db"_s);
        const Ran r = ctl({u"--db"_s, m_db, u"--json"_s, u"demo"_s, u"seed"_s, u"--orders"_s, u"60"_s, u"--days"_s, u"3"_s,
                       u"--seed"_s, u"3"_s});
        QVERIFY2(r.code == 0, qPrintable(r.said()));
    }

    void importFindsDifferencesOnceAndShowsThem()
    {
        bills::BillMeta meta;
        meta.date = QDate(2020, 1, 2);
        meta.merchantId = u"1900000109"_s;
        meta.appId = u"wx1"_s;
        bills::BillRow row;
        row.outTradeNo = u"NOT-OURS-01"_s;
        row.channelTxnId = u"4200000001"_s;
        row.amountMinor = 990;
        row.atMs = QDateTime(meta.date, QTime(9, 0), QTimeZone(8 * 3600)).toMSecsSinceEpoch();
        const QString file = m_dir.filePath(u"bill.csv"_s);
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bills::weChatTradeBill(meta, {row}));
        f.close();
        const QStringList import{u"--db"_s, m_db, u"--json"_s, u"--user"_s, u"finance"_s, u"bill"_s, u"import"_s, u"--channel"_s,
                                 u"wechat"_s, u"--file"_s, file, u"--date"_s, u"2020-01-02"_s};
        Ran r = ctl(import, u"finance"_s);
        QVERIFY2(r.code == 0, qPrintable(r.said()));
        QCOMPARE(r.obj().value(u"result"_s).toString(), u"DIFFERENCES"_s);
        QCOMPARE(r.obj().value(u"new_differences"_s).toInt(), 1);
        const QJsonObject diff = r.obj().value(u"differences_list"_s).toArray().at(0).toObject();
        QCOMPARE(diff.value(u"kind"_s).toString(), u"LONG"_s);
        QCOMPARE(diff.value(u"ref"_s).toString(), u"NOT-OURS-01"_s);
        QCOMPARE(diff.value(u"bill"_s).toString(), u"9.90"_s);

        r = ctl(import, u"finance"_s);
        QVERIFY2(r.code == 0, qPrintable(r.said()));
        QCOMPARE(r.obj().value(u"differences"_s).toInt(), 1);
        QCOMPARE(r.obj().value(u"new_differences"_s).toInt(), 0);
        QCOMPARE(r.obj().value(u"bill_stored"_s).toBool(), false);

        r = ctl({u"--db"_s, m_db, u"--json"_s, u"recon"_s, u"show"_s, u"--channel"_s, u"wechat"_s, u"--date"_s, u"2020-01-02"_s});
        QVERIFY2(r.code == 0, qPrintable(r.said()));
        QCOMPARE(r.obj().value(u"differences_list"_s).toArray().size(), 1);
        r = ctl({u"--db"_s, m_db, u"--json"_s, u"recon"_s, u"list"_s});
        QVERIFY2(r.code == 0, qPrintable(r.said()));
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).array().size(), 2);

        // The payment our books never saw is an anomaly without an order, named by the channel's facts.
        r = ctl({u"--db"_s, m_db, u"--json"_s, u"anomaly"_s, u"list"_s, u"--state"_s, u"OPEN"_s});
        QVERIFY2(r.code == 0, qPrintable(r.said()));
        int strangers = 0;
        for (const QJsonValue &v : QJsonDocument::fromJson(r.out.toUtf8()).array()) {
            const QJsonObject a = v.toObject();
            if (a.value(u"out_trade_no"_s).toString() != u"NOT-OURS-01"_s)
                continue;
            ++strangers;
            QVERIFY(a.value(u"order_no"_s).isNull());
            QCOMPARE(a.value(u"kind"_s).toString(), u"RECON_DIFFERENCE"_s);
            QCOMPARE(a.value(u"channel"_s).toString(), u"wechat"_s);
            QCOMPARE(a.value(u"channel_txn_id"_s).toString(), u"4200000001"_s);
            QCOMPARE(a.value(u"amount"_s).toString(), u"9.90"_s);
            QVERIFY2(a.value(u"details"_s).toString().contains(u"2020-01-02"_s), qPrintable(a.value(u"details"_s).toString()));
        }
        QCOMPARE(strangers, 1); // the re-import opened no second one
        r = ctl({u"--db"_s, m_db, u"anomaly"_s, u"list"_s, u"--state"_s, u"OPEN"_s});
        QVERIFY2(r.code == 0 && r.out.contains(u"(no order) NOT-OURS-01"_s), qPrintable(r.said()));

        // A clerk may not; a malformed file is refused with its line named, and leaves no run.
        QStringList asClerk = import;
        asClerk[4] = u"clerk"_s;
        r = ctl(asClerk, u"clerk"_s);
        QVERIFY2(r.code == 4, qPrintable(r.said()));
        QFile bad(m_dir.filePath(u"bad.csv"_s));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write(bills::weChatTradeBill(meta, {row}).replace("`9.90", "`9.9x"));
        bad.close();
        QStringList badImport = import;
        badImport[10] = bad.fileName();
        r = ctl(badImport, u"finance"_s);
        QVERIFY2(r.code == 1 && r.err.contains(u"line 2"_s), qPrintable(r.said()));
        r = ctl({u"--db"_s, m_db, u"--json"_s, u"recon"_s, u"list"_s});
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).array().size(), 2);
    }

    void runFetchesFromTheChannel()
    {
        // Yesterday in Beijing, the channels' bill day: three days of 60 seeded orders always
        // leave payments on it, whatever the hour and the host's zone.
        const QString day = QDateTime::currentDateTimeUtc().toTimeZone(QTimeZone(8 * 3600)).date().addDays(-1).toString(Qt::ISODate);
        const QStringList run{u"--db"_s, m_db, u"--json"_s, u"--user"_s, u"finance"_s, u"recon"_s, u"run"_s, u"--channel"_s, u"wechat"_s,
                              u"--date"_s, day};
        Ran r = ctl(run, u"finance"_s);
        QVERIFY2(r.code == 0, qPrintable(r.said()));
        QCOMPARE(r.obj().value(u"source"_s).toString(), u"fetched"_s);
        const int differences = r.obj().value(u"differences"_s).toInt();
        r = ctl(run, u"finance"_s);
        QVERIFY2(r.code == 0, qPrintable(r.said()));
        QCOMPARE(r.obj().value(u"differences"_s).toInt(), differences);
        QCOMPARE(r.obj().value(u"new_differences"_s).toInt(), 0);
        const QString out = m_dir.filePath(u"fetched.csv"_s);
        r = ctl({u"--db"_s, m_db, u"--user"_s, u"finance"_s, u"bill"_s, u"fetch"_s, u"--channel"_s, u"wechat"_s, u"--date"_s, day,
                 u"--out"_s, out},
                u"finance"_s);
        QVERIFY2(r.code == 0, qPrintable(r.said()));
        QFile fetched(out);
        QVERIFY(fetched.open(QIODevice::ReadOnly));
        QVERIFY(fetched.readAll().startsWith("交易时间"));
    }

    // `sim bill-difference`: the demo's channel bills money the books never saw; the next
    // reconciliation finds exactly it and opens an anomaly without an order.
    void injectedBillDifferenceIsFound()
    {
        Ran r = ctl({u"--db"_s, m_db, u"sim"_s, u"bill-difference"_s, u"nonsense"_s, u"X"_s, u"--channel"_s, u"wechat"_s});
        QCOMPARE(r.code, 2);
        r = ctl({u"--db"_s, m_db, u"sim"_s, u"bill-difference"_s, u"unknown-payment"_s, u"PDLATE-UNKNOWN-1"_s, u"--channel"_s, u"sim"_s});
        QCOMPARE(r.code, 2);
        r = ctl({u"--db"_s, m_db, u"--json"_s, u"sim"_s, u"bill-difference"_s, u"unknown-payment"_s, u"PDLATE-UNKNOWN-1"_s,
                 u"--channel"_s, u"wechat"_s, u"--amount"_s, u"12.34"_s});
        QVERIFY2(r.code == 0, qPrintable(r.said()));
        const QString today = QDateTime::currentDateTimeUtc().toTimeZone(QTimeZone(8 * 3600)).date().toString(Qt::ISODate);
        r = ctl({u"--db"_s, m_db, u"--json"_s, u"--user"_s, u"finance"_s, u"recon"_s, u"run"_s, u"--channel"_s, u"wechat"_s,
                 u"--date"_s, today},
                u"finance"_s);
        QVERIFY2(r.code == 0, qPrintable(r.said()));
        QJsonObject found;
        for (const QJsonValue &v : r.obj().value(u"differences_list"_s).toArray())
            if (v.toObject().value(u"out_trade_no"_s).toString() == u"PDLATE-UNKNOWN-1"_s)
                found = v.toObject();
        QVERIFY2(!found.isEmpty(), qPrintable(r.out.left(600)));
        QCOMPARE(found.value(u"bill"_s).toString(), u"12.34"_s);
        QVERIFY(found.value(u"anomaly_id"_s).toInteger() > 0);
    }
};

QTEST_GUILESS_MAIN(TestReconCli)
#include "tst_recon_cli.moc"
