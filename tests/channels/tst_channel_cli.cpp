// paydeskctl channel add|list|test|remove, end to end: the real paydeskctl binary against the
// real paydesk-sandbox, secrets in the encrypted file.

#include "SandboxFixture.h"
#include "TestSupport.h"

#include <QRegularExpression>

#include <QFile>
#include <QMap>
#include <QTimeZone>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace paydesk;
using namespace paydesk::test;
using namespace Qt::StringLiterals;

class TestChannelCli : public QObject
{
    Q_OBJECT

    SandboxProcess m_sandbox;
    QTemporaryDir m_dir;
    QSet<QString> m_notifyDbs; ///< databases notifyApplyChecksWhoseAndWhen has set up

    struct Run
    {
        int exitCode = -1;
        QByteArray out, err;
        QJsonDocument json() const { return QJsonDocument::fromJson(out); }
    };

    Run ctl(const QString &db, const QStringList &args, const QHash<QString, QString> &env = {})
    {
        QProcess p;
        QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
        e.insert(u"PAYDESK_SECRET_STORE"_s, u"file"_s);
        e.insert(u"PAYDESK_SECRET_PASSPHRASE"_s, u"a long test passphrase"_s);
        e.remove(u"PAYDESK_SECRET_FILE"_s);
        for (auto it = env.cbegin(); it != env.cend(); ++it) {
            if (it.value().isNull())
                e.remove(it.key());
            else
                e.insert(it.key(), it.value());
        }
        p.setProcessEnvironment(e);
        p.start(binary(u"paydeskctl"_s), QStringList{u"--db"_s, db, u"--json"_s} + args);
        if (!p.waitForFinished(120'000))
            qFatal("paydeskctl hung");
        return Run{p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
    }

    QString db(const char *name) const { return u"sqlite:"_s + m_dir.filePath(QString::fromLatin1(name)); }

    static QString strong() { return u"Correct-Horse-42-Battery!"_s; }
    /// The first account of a fresh database: an ADMIN with a strong password.
    void addAdmin(const QString &url)
    {
        Run admin = ctl(url, {u"user"_s, u"add"_s, u"admin"_s, u"--role"_s, u"ADMIN"_s}, {{u"PAYDESK_NEW_PASSWORD"_s, strong()}});
        QVERIFY2(admin.exitCode == 0, admin.err.constData());
    }
    /// A verb as that ADMIN.
    Run asAdmin(const QString &url, const QStringList &args, const QString &password = strong())
    {
        return ctl(url, QStringList{u"--user"_s, u"admin"_s} + args, {{u"PAYDESK_PASSWORD"_s, password}});
    }

private slots:
    void initTestCase()
    {
        const QString err = m_sandbox.start();
        QVERIFY2(err.isEmpty(), qPrintable(err));
    }

    // Issue 12's acceptance, end to end: orders paid through the sandbox over the real
    // protocol, a refund sent, three differences injected at the channel; `recon run` finds
    // exactly them, each an anomaly, and a second run finds nothing new. First among the
    // tests: the sandbox's bill of the day holds every payment it took, this test's alone.
    void reconciliationAgainstTheSandboxFindsTheInjectedDifferences_data()
    {
        QTest::addColumn<QString>("channel");
        QTest::newRow("wechat") << u"wechat"_s;
        QTest::newRow("alipay") << u"alipay"_s;
    }
    void reconciliationAgainstTheSandboxFindsTheInjectedDifferences()
    {
        QFETCH(QString, channel);
        const QString url = db(channel == u"wechat"_s ? "recon-w.db" : "recon-a.db");
        QCOMPARE(ctl(url, {u"demo"_s, u"seed"_s, u"--orders"_s, u"0"_s}).exitCode, 0);
        const ChannelKind kind = channel == u"wechat"_s ? ChannelKind::WeChat : ChannelKind::Alipay;
        Run add = asAdmin(url, {u"channel"_s, u"add"_s, channel, u"--profile"_s, m_sandbox.profilePath(kind)}, u"admin"_s);
        QVERIFY2(add.exitCode == 0, add.err.constData());
        const QHash<QString, QString> clerk{{u"PAYDESK_PASSWORD"_s, u"clerk"_s}};
        const QHash<QString, QString> finance{{u"PAYDESK_PASSWORD"_s, u"finance"_s}};
        Run made = ctl(url, {u"--user"_s, u"clerk"_s, u"order"_s, u"create"_s, u"--amount"_s, u"3.20"_s, u"--title"_s, u"tea"_s,
                             u"--channel"_s, channel, u"--count"_s, u"12"_s},
                       clerk);
        QVERIFY2(made.exitCode == 0, made.err.constData());
        const QJsonArray orders = made.json().array();
        QCOMPARE(orders.size(), 12);
        // Every number is one both channels take (issue 17: Alipay's [A-Za-z0-9_]{1,64}); the
        // sandbox, as strict as the real gateways, created them all.
        static const QRegularExpression everyChannel(u"^[A-Za-z0-9_]{1,64}$"_s);
        for (const QJsonValue &o : orders)
            QVERIFY2(everyChannel.match(o.toObject().value(u"out_trade_no"_s).toString()).hasMatch(),
                     qPrintable(o.toObject().value(u"out_trade_no"_s).toString()));
        int status = 0;
        for (int i = 0; i < 11; ++i) { // the twelfth is closed unpaid
            m_sandbox.control("POST", u"/sandbox/pay/"_s + orders[i].toObject().value(u"out_trade_no"_s).toString(), {}, &status);
            QCOMPARE(status, 200);
        }
        Run synced = ctl(url, {u"sync"_s, u"--until-idle"_s, u"--exit-after"_s, u"60s"_s});
        QVERIFY2(synced.exitCode == 0, synced.err.constData());
        const QString closedNo = orders[11].toObject().value(u"order_no"_s).toString();
        Run closed = ctl(url, {u"--user"_s, u"clerk"_s, u"order"_s, u"close"_s, closedNo}, clerk);
        QVERIFY2(closed.exitCode == 0, QByteArray(closed.err + closed.out).constData());
        for (int i = 0; i < 11; ++i) {
            const QString no = orders[i].toObject().value(u"order_no"_s).toString();
            QCOMPARE(ctl(url, {u"order"_s, u"show"_s, no}).json().object().value(u"state"_s).toString(), u"PAID"_s);
        }
        // A refund, approved by finance and sent by the timer.
        Run asked = ctl(url, {u"--user"_s, u"clerk"_s, u"refund"_s, u"request"_s, orders[0].toObject().value(u"order_no"_s).toString(),
                              u"--amount"_s, u"1.00"_s, u"--reason"_s, u"cold"_s},
                        clerk);
        QVERIFY2(asked.exitCode == 0, asked.err.constData());
        const QString refundNo = asked.json().object().value(u"out_refund_no"_s).toString();
        QCOMPARE(ctl(url, {u"--user"_s, u"finance"_s, u"refund"_s, u"approve"_s, refundNo}, finance).exitCode, 0);
        synced = ctl(url, {u"sync"_s, u"--until-idle"_s, u"--exit-after"_s, u"60s"_s});
        QVERIFY2(synced.exitCode == 0, synced.err.constData());

        // Three differences at the channel.
        const QString unknown = u"PDX-UNKNOWN-"_s + channel;
        const QString wrong = orders[1].toObject().value(u"out_trade_no"_s).toString();
        const QString late = orders[11].toObject().value(u"out_trade_no"_s).toString();
        m_sandbox.control("POST", u"/sandbox/bill-discrepancy"_s,
                          {{u"channel"_s, channel}, {u"kind"_s, u"unknown-payment"_s}, {u"ref"_s, unknown}, {u"amount"_s, 4321}}, &status);
        QCOMPARE(status, 200);
        m_sandbox.control("POST", u"/sandbox/bill-discrepancy"_s,
                          {{u"channel"_s, channel}, {u"kind"_s, u"wrong-amount"_s}, {u"ref"_s, wrong}, {u"amount"_s, 319}}, &status);
        QCOMPARE(status, 200);
// WeChat Pay: money after the close. Alipay never had the unscanned trade (the close
        // answered "does not exist"), so there the third is a refund left out of the bill.
        const bool wechat = kind == ChannelKind::WeChat;
        m_sandbox.control("POST", u"/sandbox/bill-discrepancy"_s,
                          {{u"channel"_s, channel}, {u"kind"_s, wechat ? u"paid-after-close"_s : u"missing-refund"_s},
                           {u"ref"_s, wechat ? late : refundNo}},
                          &status);
        QCOMPARE(status, 200);

        const QString today = QDateTime::currentDateTimeUtc().toTimeZone(QTimeZone(8 * 3600)).date().toString(Qt::ISODate);
        const QStringList run{u"--user"_s, u"finance"_s, u"recon"_s, u"run"_s, u"--channel"_s, channel, u"--date"_s, today};
        Run first = ctl(url, run, finance);
        QVERIFY2(first.exitCode == 0, first.err.constData());
        const QJsonObject report = first.json().object();
        QMap<QString, QString> kinds; // key -> kind
        for (const QJsonValue &v : report.value(u"differences_list"_s).toArray()) {
            const QJsonObject d = v.toObject();
            const QString key = d.value(u"out_refund_no"_s).toString();
            kinds.insert(key.isEmpty() ? d.value(u"out_trade_no"_s).toString() : key, d.value(u"kind"_s).toString());
            QVERIFY2(d.value(u"anomaly_id"_s).toInteger() > 0, QJsonDocument(d).toJson().constData());
        }
        QMap<QString, QString> expected{{unknown, u"LONG"_s}, {wrong, u"AMOUNT"_s}};
        if (wechat)
            expected.insert(late, u"STATE"_s);
        else
            expected.insert(refundNo, u"REFUND_SHORT"_s);
        QCOMPARE(kinds, expected);
        // Everything else matched: the other ten payments (and, on WeChat Pay, the refund).
        QVERIFY2(report.value(u"matched"_s).toInt() >= 10, first.out.constData());
        Run again = ctl(url, run, finance);
        QVERIFY2(again.exitCode == 0, again.err.constData());
        QCOMPARE(again.json().object().value(u"differences"_s).toInt(), 3);
        QCOMPARE(again.json().object().value(u"new_differences"_s).toInt(), 0);
        m_sandbox.control("DELETE", u"/sandbox/bill-discrepancy"_s);
    }

    void addListTestRemove()
    {
        const QString url = db("a.db");
        Run list = ctl(url, {u"channel"_s, u"list"_s});
        QCOMPARE(list.exitCode, 0);
        QVERIFY(list.json().array().isEmpty());
        addAdmin(url);

        Run add = asAdmin(url, {u"channel"_s, u"add"_s, u"wechat"_s, u"--profile"_s, m_sandbox.profilePath(ChannelKind::WeChat)});
        QVERIFY2(add.exitCode == 0, add.err.constData());
        QCOMPARE(add.json().object().value(u"secret_store"_s).toString(), u"file"_s);
        QCOMPARE(add.json().object().value(u"channel"_s).toString(), u"wechat"_s);
        QVERIFY(!add.out.contains("PRIVATE KEY"));
        Run addAli = asAdmin(url, {u"channel"_s, u"add"_s, u"alipay"_s, u"--profile"_s, m_sandbox.profilePath(ChannelKind::Alipay)});
        QVERIFY2(addAli.exitCode == 0, addAli.err.constData());

        Run mismatch = asAdmin(url, {u"channel"_s, u"add"_s, u"alipay"_s, u"--profile"_s, m_sandbox.profilePath(ChannelKind::WeChat)});
        QCOMPARE(mismatch.exitCode, 1);
        QCOMPARE(mismatch.json().object().value(u"error"_s).toObject().value(u"code"_s).toString(), u"profile.kind_mismatch"_s);
        Run sim = asAdmin(url, {u"channel"_s, u"add"_s, u"sim"_s, u"--profile"_s, m_sandbox.profilePath(ChannelKind::WeChat)});
        QCOMPARE(sim.exitCode, 2);

        list = ctl(url, {u"channel"_s, u"list"_s});
        QCOMPARE(list.exitCode, 0);
        QCOMPARE(list.json().array().size(), 2);
        QVERIFY(!list.out.contains("PRIVATE KEY"));
        QVERIFY(!list.out.contains(m_sandbox.profile(ChannelKind::WeChat).apiV3Key));

        Run test = ctl(url, {u"channel"_s, u"test"_s});
        QVERIFY2(test.exitCode == 0, test.err.constData());
        const QJsonArray results = test.json().array();
        QCOMPARE(results.size(), 2);
        for (const QJsonValue &r : results)
            QVERIFY2(r.toObject().value(u"ok"_s).toBool(), QJsonDocument(r.toObject()).toJson().constData());

        // A forged answer fails the test with the channel exit code.
        m_sandbox.fault(u"wechat"_s, u"query"_s, u"unsigned"_s);
        Run forged = ctl(url, {u"channel"_s, u"test"_s, u"wechat"_s});
        QCOMPARE(forged.exitCode, 7);
        QCOMPARE(forged.json().array().at(0).toObject().value(u"ok"_s).toBool(), false);
        QVERIFY(forged.json().array().at(0).toObject().value(u"answer"_s).toString().contains(u"UNSIGNED"_s));

        // The wrong passphrase cannot read the secrets.
        Run wrong = ctl(url, {u"channel"_s, u"test"_s}, {{u"PAYDESK_SECRET_PASSPHRASE"_s, u"not it"_s}});
        QCOMPARE(wrong.exitCode, 4);
        QVERIFY(wrong.err.contains("secrets.wrong_passphrase"));
        // No passphrase at all: a clear refusal.
        Run none = ctl(url, {u"channel"_s, u"test"_s}, {{u"PAYDESK_SECRET_PASSPHRASE"_s, QString()}});
        QCOMPARE(none.exitCode, 1);
        QVERIFY(none.err.contains("secrets.no_passphrase"));

        // Nothing secret in the database.
        QByteArray all;
        for (const QString &suffix : {QString(), u"-wal"_s}) {
            QFile f(m_dir.filePath(u"a.db"_s) + suffix);
            if (f.open(QIODevice::ReadOnly))
                all += f.readAll();
        }
        QVERIFY(!all.contains("PRIVATE KEY"));
        QVERIFY(!all.contains(m_sandbox.profile(ChannelKind::WeChat).apiV3Key));
        QVERIFY(QFile::exists(m_dir.filePath(u"a.db.secrets"_s)));

        Run removed = asAdmin(url, {u"channel"_s, u"remove"_s, u"alipay"_s});
        QCOMPARE(removed.exitCode, 0);
        QCOMPARE(ctl(url, {u"channel"_s, u"list"_s}).json().array().size(), 1);
        Run testGone = ctl(url, {u"channel"_s, u"test"_s, u"alipay"_s});
        QCOMPARE(testGone.exitCode, 3);
    }

    void adminOnly()
    {
        const QString url = db("b.db");
        const QString strong = TestChannelCli::strong();
        const QStringList add{u"channel"_s, u"add"_s, u"wechat"_s, u"--profile"_s, m_sandbox.profilePath(ChannelKind::WeChat)};
        // Not even on a fresh database: a channel is configured by an ADMIN login (issue 13 item 10).
        Run setup = ctl(url, add);
        QCOMPARE(setup.exitCode, 4);
        QCOMPARE(setup.json().object().value(u"error"_s).toObject().value(u"code"_s).toString(), u"login.required"_s);
        addAdmin(url);
        Run clerk = ctl(url, {u"--user"_s, u"admin"_s, u"user"_s, u"add"_s, u"clerk"_s, u"--role"_s, u"CLERK"_s},
                        {{u"PAYDESK_PASSWORD"_s, strong}, {u"PAYDESK_NEW_PASSWORD"_s, strong}});
        QVERIFY2(clerk.exitCode == 0, clerk.err.constData());
        Run asClerk = ctl(url, QStringList{u"--user"_s, u"clerk"_s} + add, {{u"PAYDESK_PASSWORD"_s, strong}});
        QCOMPARE(asClerk.exitCode, 4);
        QCOMPARE(asClerk.json().object().value(u"error"_s).toObject().value(u"code"_s).toString(), u"channel.admin_only"_s);
        Run asAdmin = ctl(url, QStringList{u"--user"_s, u"admin"_s} + add, {{u"PAYDESK_PASSWORD"_s, strong}});
        QVERIFY2(asAdmin.exitCode == 0, asAdmin.err.constData());
        Run audit = ctl(url, {u"--user"_s, u"admin"_s, u"audit"_s, u"list"_s, u"--object"_s, u"channel:wechat"_s},
                        {{u"PAYDESK_PASSWORD"_s, strong}});
        QVERIFY(audit.out.contains("channel.profile_change"));
        QVERIFY(audit.out.contains("merchant_key_sha256"));
        QVERIFY(!audit.out.contains("PRIVATE KEY"));

        // Without a login, the owner of the SQLite file can no longer change a profile, nor remove
        // one; testing the channels (read only) still works for them.
        Run owner = ctl(url, {u"channel"_s, u"add"_s, u"alipay"_s, u"--profile"_s, m_sandbox.profilePath(ChannelKind::Alipay)});
        QCOMPARE(owner.exitCode, 4);
        QCOMPARE(owner.json().object().value(u"error"_s).toObject().value(u"code"_s).toString(), u"login.required"_s);
        QCOMPARE(ctl(url, {u"channel"_s, u"remove"_s, u"wechat"_s}).exitCode, 4);
        QCOMPARE(ctl(url, {u"channel"_s, u"list"_s}).json().array().size(), 1);
        Run test = ctl(url, {u"channel"_s, u"test"_s, u"wechat"_s});
        QVERIFY2(test.exitCode == 0, test.err.constData());
    }

    // Issue 13 item 12, as a merchant would see it: a notification that is genuinely signed
    // but for another app or merchant, names no merchant, or is a day old is refused by
    // `notify apply`, audited, and the order stays unpaid; the sandbox's own one pays it.
    void notifyApplyChecksWhoseAndWhen_data()
    {
        QTest::addColumn<QString>("channel");
        QTest::addColumn<QString>("fault");
        QTest::addColumn<QString>("code");
        QTest::newRow("wechat, genuine") << u"wechat"_s << QString() << QString();
        QTest::newRow("wechat, another appid") << u"wechat"_s << u"foreign_app"_s << u"MISMATCH"_s;
        QTest::newRow("wechat, another mchid") << u"wechat"_s << u"foreign_merchant"_s << u"MISMATCH"_s;
        QTest::newRow("wechat, no mchid") << u"wechat"_s << u"no_merchant"_s << u"MISMATCH"_s;
        QTest::newRow("alipay, genuine") << u"alipay"_s << QString() << QString();
        QTest::newRow("alipay, another app_id") << u"alipay"_s << u"foreign_app"_s << u"MISMATCH"_s;
        QTest::newRow("alipay, another seller_id") << u"alipay"_s << u"foreign_merchant"_s << u"MISMATCH"_s;
        QTest::newRow("alipay, no seller_id") << u"alipay"_s << u"no_merchant"_s << u"MISMATCH"_s;
        QTest::newRow("alipay, stale notify_time") << u"alipay"_s << u"stale_notify_time"_s << u"STALE_TIMESTAMP"_s;
    }
    void notifyApplyChecksWhoseAndWhen()
    {
        QFETCH(QString, channel);
        QFETCH(QString, fault);
        QFETCH(QString, code);
        const ChannelKind kind = channel == u"wechat"_s ? ChannelKind::WeChat : ChannelKind::Alipay;
        const QString url = db(channel == u"wechat"_s ? "n-wechat.db" : "n-alipay.db");
        if (!m_notifyDbs.contains(url)) {
            QCOMPARE(ctl(url, {u"demo"_s, u"seed"_s, u"--orders"_s, u"0"_s}).exitCode, 0);
            Run add = asAdmin(url, {u"channel"_s, u"add"_s, channel, u"--profile"_s, m_sandbox.profilePath(kind)}, u"admin"_s);
            QVERIFY2(add.exitCode == 0, add.err.constData());
            m_notifyDbs.insert(url);
        }
        const QHash<QString, QString> clerk{{u"PAYDESK_PASSWORD"_s, u"clerk"_s}};
        Run created = ctl(url, {u"--user"_s, u"clerk"_s, u"order"_s, u"create"_s, u"--amount"_s, u"0.30"_s, u"--title"_s,
                                u"tea"_s, u"--channel"_s, channel}, clerk);
        QVERIFY2(created.exitCode == 0, created.err.constData());
        const QString orderNo = created.json().object().value(u"order_no"_s).toString();
        const QString outTradeNo = created.json().object().value(u"out_trade_no"_s).toString();

        NotificationSink sink;
        m_sandbox.control("POST", u"/sandbox/notify-url"_s, {{u"url"_s, sink.url()}});
        if (!fault.isEmpty())
            m_sandbox.fault(channel, u"notify"_s, fault);
        int status = 0;
        m_sandbox.control("POST", u"/sandbox/pay/"_s + outTradeNo, {{u"channel"_s, channel}}, &status);
        QCOMPARE(status, 200);
        QVERIFY(spinUntil([&] { return !sink.received.isEmpty(); }));
        m_sandbox.control("POST", u"/sandbox/notify-url"_s, {{u"url"_s, QString()}});
        m_sandbox.control("DELETE", u"/sandbox/faults"_s);

        QJsonObject headers;
        for (auto it = sink.received.first().headers.cbegin(); it != sink.received.first().headers.cend(); ++it)
            headers.insert(QString::fromLatin1(it.key()), QString::fromLatin1(it.value()));
        const QString headersFile = m_dir.filePath(u"headers.json"_s);
        const QString bodyFile = m_dir.filePath(u"body.bin"_s);
        QFile h(headersFile);
        QVERIFY(h.open(QIODevice::WriteOnly | QIODevice::Truncate));
        h.write(QJsonDocument(headers).toJson());
        h.close();
        QFile b(bodyFile);
        QVERIFY(b.open(QIODevice::WriteOnly | QIODevice::Truncate));
        b.write(sink.received.first().body);
        b.close();

        Run applied = ctl(url, {u"notify"_s, u"apply"_s, u"--channel"_s, channel, u"--headers"_s, headersFile, u"--body"_s, bodyFile});
        const QString state = ctl(url, {u"order"_s, u"show"_s, orderNo}).json().object().value(u"state"_s).toString();
        if (code.isEmpty()) {
            QVERIFY2(applied.exitCode == 0, applied.err.constData());
            QCOMPARE(state, u"PAID"_s);
            return;
        }
        QCOMPARE(applied.exitCode, 4);
        QCOMPARE(applied.json().object().value(u"error"_s).toObject().value(u"code"_s).toString(), u"notify.refused"_s);
        const QByteArray said = applied.out + applied.err;
        QVERIFY2(said.contains(code.toLatin1()), said.constData());
        QCOMPARE(state, u"PENDING"_s);
        Run audit = ctl(url, {u"--user"_s, u"clerk"_s, u"audit"_s, u"list"_s, u"--object"_s, u"channel:"_s + channel}, clerk);
        QVERIFY2(audit.out.contains("notify.refused"), audit.out.constData());
        QVERIFY(audit.out.contains(code.toLatin1()));
    }

    // Issue 3's acceptance, as written: a payment made at the sandbox becomes PAID through
    // `order refresh`; with a forged answer the order stays PENDING and the refusal is audited.
    void refreshAppliesTheChannelsAnswer_data()
    {
        QTest::addColumn<QString>("channel");
        QTest::newRow("wechat") << u"wechat"_s;
        QTest::newRow("alipay") << u"alipay"_s;
    }
    void refreshAppliesTheChannelsAnswer()
    {
        QFETCH(QString, channel);
        const QString url = db(channel == u"wechat"_s ? "c.db" : "d.db");
        QCOMPARE(ctl(url, {u"demo"_s, u"seed"_s, u"--orders"_s, u"0"_s}).exitCode, 0);
        const ChannelKind kind = channel == u"wechat"_s ? ChannelKind::WeChat : ChannelKind::Alipay;
        Run add = asAdmin(url, {u"channel"_s, u"add"_s, channel, u"--profile"_s, m_sandbox.profilePath(kind)}, u"admin"_s);
        QVERIFY2(add.exitCode == 0, add.err.constData());
        const QHash<QString, QString> clerk{{u"PAYDESK_PASSWORD"_s, u"clerk"_s}};

        auto create = [&] {
            Run r = ctl(url, {u"--user"_s, u"clerk"_s, u"order"_s, u"create"_s, u"--amount"_s, u"0.50"_s, u"--title"_s, u"tea"_s,
                              u"--channel"_s, channel}, clerk);
            if (r.exitCode != 0)
                qWarning("order create: %s", r.err.constData());
            return r.json().object();
        };
        auto stateOf = [&](const QString &orderNo) {
            return ctl(url, {u"order"_s, u"show"_s, orderNo}).json().object().value(u"state"_s).toString();
        };

        const QJsonObject paid = create();
        const QString orderNo = paid.value(u"order_no"_s).toString();
        QVERIFY(!orderNo.isEmpty());
        QVERIFY(!paid.value(u"code_url"_s).toString().isEmpty());
        int status = 0;
        m_sandbox.control("POST", u"/sandbox/pay/"_s + paid.value(u"out_trade_no"_s).toString(), {}, &status);
        QCOMPARE(status, 200);
        QCOMPARE(stateOf(orderNo), u"PENDING"_s); // nothing changes until someone asks the channel
        Run refresh = ctl(url, {u"order"_s, u"refresh"_s, orderNo});
        QVERIFY2(refresh.exitCode == 0, refresh.err.constData());
        QCOMPARE(stateOf(orderNo), u"PAID"_s);

        const QJsonObject forged = create();
        const QString forgedNo = forged.value(u"order_no"_s).toString();
        m_sandbox.control("POST", u"/sandbox/pay/"_s + forged.value(u"out_trade_no"_s).toString(), {}, &status);
        m_sandbox.fault(channel, u"query"_s, u"bad_signature"_s);
        Run refused = ctl(url, {u"order"_s, u"refresh"_s, forgedNo});
        QCOMPARE(refused.exitCode, 7);
        const QByteArray said = refused.out + refused.err;
        QVERIFY2(said.contains("BAD_SIGNATURE"), said.constData());
        QCOMPARE(stateOf(forgedNo), u"PENDING"_s);
        Run audit = ctl(url, {u"--user"_s, u"clerk"_s, u"audit"_s, u"list"_s, u"--object"_s, u"order:"_s + forgedNo}, clerk);
        QVERIFY2(audit.out.contains("channel.answer.refused"), audit.out.constData());
        QVERIFY(audit.out.contains("BAD_SIGNATURE"));
        QCOMPARE(ctl(url, {u"audit"_s, u"verify"_s}).exitCode, 0);
    }
};

QTEST_GUILESS_MAIN(TestChannelCli)
#include "tst_channel_cli.moc"
