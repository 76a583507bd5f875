#pragma once

#include "services/Services.h"

#include <QTemporaryDir>

#include <memory>
#include <optional>

namespace paydesk {
class SimulatedChannel;
}

namespace paydesk::test {

/// Cheap Argon2id parameters so tests that add users stay fast; the real parameters are
/// tested on their own in tst_password.
PasswordHasher fastHasher();

/// Which database a storage test runs on: "sqlite" (a real file in a temp dir) or
/// "postgresql" (a fresh database on the server named by PAYDESK_TEST_PG_URL).
QString backend();

/// A fresh, empty database of the current backend, dropped (PostgreSQL) or deleted (SQLite)
/// when this goes away.
class ScratchDatabase
{
    Q_DISABLE_COPY_MOVE(ScratchDatabase)
public:
    ScratchDatabase();
    ~ScratchDatabase();
    /// Empty with a reason when the backend is not available (the test then skips, or fails
    /// under CI, where PostgreSQL must be there).
    QString url() const { return m_url; }
    QString unavailableReason() const { return m_reason; }

private:
    QTemporaryDir m_dir;
    QString m_url;
    QString m_reason;
    QString m_pgName;
};

/// Services over a migrated database with a ManualClock (returned through `clock`).
std::unique_ptr<Services> makeServices(const QString &url, ManualClock **clock = nullptr);

/// Books seeded with a reproducible demo history (DemoSeeder: `orders` over `days`) and the
/// simulated channel registered as `simAs`, its customers never paying unless a test says so:
/// what the GUI tests start from. A fixture that cannot be built stops the test (qFatal).
struct DemoBooks
{
    std::unique_ptr<Services> services;
    ManualClock *clock = nullptr;
    SimulatedChannel *sim = nullptr;
};
DemoBooks seedDemoBooks(const QString &url, int orders, int days, ChannelKind simAs = ChannelKind::Sim, bool lostPayment = false);

/// Drops the database's own guards (migration 006: audit rows append-only, states forward,
/// four eyes on APPROVED), as a writer with DDL rights could. Tests that play such a writer,
/// or that prove the program's own checks behind the guards, call it first.
bool liftDatabaseGuards(Database &db);

/// Path to a built executable (paydeskctl, paydesk-sandbox) next to the tests.
QString binary(const QString &name);

} // namespace paydesk::test

/// Skips (or fails under CI) when the scratch database could not be made.
#define PAYDESK_REQUIRE_DB(scratch)                                                                    \
    do {                                                                                               \
        if ((scratch).url().isEmpty()) {                                                               \
            if (qEnvironmentVariableIsSet("CI"))                                                       \
                QFAIL(qPrintable(QStringLiteral("database required under CI: ") + (scratch).unavailableReason())); \
            QSKIP(qPrintable((scratch).unavailableReason()));                                          \
        }                                                                                              \
    } while (false)
