#include "TestSupport.h"

#include "channels/SimulatedChannel.h"
#include "demo/DemoSeeder.h"

#include <QCoreApplication>
#include <QDir>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUuid>

namespace paydesk::test {

PasswordHasher fastHasher()
{
    return PasswordHasher(PasswordHasher::Params{1024, 1, 1});
}

QString backend()
{
    const QString b = qEnvironmentVariable("PAYDESK_TEST_BACKEND");
    return b.isEmpty() ? QStringLiteral("sqlite") : b;
}

namespace {
// Runs one statement on the server's maintenance database (CREATE/DROP DATABASE cannot run
// inside a transaction or on the database being dropped).
QString onServer(const QUrl &server, const QString &sql)
{
    const QString name = QStringLiteral("paydesk-test-admin-") + QUuid::createUuid().toString(QUuid::Id128);
    QString error;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        db.setHostName(server.host());
        db.setPort(server.port(5432));
        db.setUserName(server.userName());
        db.setPassword(server.password());
        db.setDatabaseName(server.path().mid(1).isEmpty() ? QStringLiteral("postgres") : server.path().mid(1));
        if (!db.open()) {
            error = db.lastError().text();
        } else {
            QSqlQuery q(db);
            if (!q.exec(sql))
                error = q.lastError().text();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return error;
}
} // namespace

ScratchDatabase::ScratchDatabase()
{
    if (backend() == QStringLiteral("sqlite")) {
        m_url = QStringLiteral("sqlite:") + m_dir.filePath(QStringLiteral("test.db"));
        return;
    }
    const QString server = qEnvironmentVariable("PAYDESK_TEST_PG_URL");
    if (server.isEmpty()) {
        m_reason = QStringLiteral("PAYDESK_TEST_PG_URL is not set (postgresql://user@host:port/postgres)");
        return;
    }
    const QUrl u(server);
    m_pgName = QStringLiteral("paydesk_t_") + QUuid::createUuid().toString(QUuid::Id128).left(16);
    if (const QString err = onServer(u, QStringLiteral("CREATE DATABASE ") + m_pgName); !err.isEmpty()) {
        m_reason = QStringLiteral("cannot create a database on %1: %2").arg(u.toDisplayString(QUrl::RemovePassword), err);
        m_pgName.clear();
        return;
    }
    QUrl db = u;
    db.setPath(u'/' + m_pgName);
    m_url = db.toString();
}

ScratchDatabase::~ScratchDatabase()
{
    if (!m_pgName.isEmpty())
        onServer(QUrl(qEnvironmentVariable("PAYDESK_TEST_PG_URL")),
                 QStringLiteral("DROP DATABASE IF EXISTS ") + m_pgName + QStringLiteral(" WITH (FORCE)"));
}

std::unique_ptr<Services> makeServices(const QString &url, ManualClock **clockOut)
{
    auto db = Database::open(url);
    if (!db)
        qFatal("cannot open %s: %s", qPrintable(url), qPrintable(db.error().message));
    if (Status s = db.value()->migrate(); !s)
        qFatal("cannot migrate %s: %s", qPrintable(url), qPrintable(s.error().message));
    auto clock = std::make_unique<ManualClock>();
    if (clockOut)
        *clockOut = clock.get();
    return std::make_unique<Services>(std::move(db.value()), std::move(clock), fastHasher());
}

DemoBooks seedDemoBooks(const QString &url, int orders, int days, ChannelKind simAs, bool lostPayment)
{
    DemoBooks out;
    out.services = makeServices(url, &out.clock);
    Services &s = *out.services;
    DemoSeeder seeder(*s.db, s.users, s.settings, *s.clock);
    DemoSeeder::Options o;
    o.orders = orders;
    o.days = days;
    o.lostPayment = lostPayment;
    if (auto seeded = seeder.seed(o); !seeded)
        qFatal("cannot seed the demo books: %s", qPrintable(seeded.error().message));
    auto sim = simAs == ChannelKind::Sim ? SimulatedChannel::create(url, *s.clock) : SimulatedChannel::createAs(simAs, url, *s.clock);
    if (!sim)
        qFatal("cannot start the simulated channel: %s", qPrintable(sim.error().message));
    out.sim = sim.value().get();
    out.sim->setDefaultScript({SimulatedChannel::Customer::NeverPay, 0});
    s.channels.add(std::move(sim.value()));
    return out;
}

bool liftDatabaseGuards(Database &db)
{
    QSqlQuery q(db.connection());
    if (db.dialect() == Database::Dialect::PostgreSQL)
        return q.exec(QStringLiteral("DROP FUNCTION paydesk_refuse, paydesk_orders_guard, paydesk_attempts_guard, "
                                     "paydesk_refunds_guard, paydesk_anomalies_guard CASCADE"));
    const char *const triggers[] = {"audit_log_no_update", "audit_log_no_delete", "orders_guard", "orders_no_delete",
                                    "attempts_guard", "attempts_no_delete", "refunds_four_eyes_insert", "refunds_guard",
                                    "refunds_four_eyes", "refunds_no_delete", "anomalies_guard", "anomalies_no_delete"};
    for (const char *t : triggers)
        if (!q.exec(QStringLiteral("DROP TRIGGER ") + QLatin1String(t)))
            return false;
    return true;
}

QString binary(const QString &name)
{
    QString dir = qEnvironmentVariable("PAYDESK_BIN_DIR");
    if (dir.isEmpty())
        dir = QCoreApplication::applicationDirPath();
    return QDir(dir).filePath(name);
}

} // namespace paydesk::test
