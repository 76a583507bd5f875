#pragma once

#include "Args.h"
#include "channels/SimulatedChannel.h"
#include "services/Services.h"

#include <QCoreApplication>
#include <QJsonValue>
#include <QTextStream>

#include <memory>

/// paydeskctl: parses the global options, opens the database, logs the user in when a verb
/// needs one, and runs the verb against core. All rules live in core; this only translates
/// between the command line and core's types.
class Cli
{
    Q_DECLARE_TR_FUNCTIONS(Cli)
public:
    Cli();
    int run(const QStringList &arguments);

    /// Exit codes, also in --help: 0 ok, 1 refused by a rule, 2 usage, 3 not found,
    /// 4 not allowed / login failed, 5 conflict (state changed), 6 database, 7 channel, 8 internal.
    static int exitCodeFor(const paydesk::Error &e);

private:
    int fail(const paydesk::Error &e);
    int usage(const QString &message);
    void emitJson(const QJsonValue &v);
    void say(const QString &line);
    paydesk::Result<paydesk::User> loginUser();
    /// The title of an order created without --title (scripts ringing up a sale).
    /// Not translated: the title is data, stored as typed, whatever the shell's locale.
    static QString defaultTitle() { return QStringLiteral("Counter sale"); }
    paydesk::Status openServices();

    int cmdInit(const QStringList &args);
    int cmdDemo(const QStringList &args);
    int cmdOrder(const QStringList &args);
    int cmdUser(const QStringList &args);
    int cmdAudit(const QStringList &args);
    int cmdStats(const QStringList &args);
    // CliChannels.cpp: channel add|list|test (payment channel profiles and secrets)
    int cmdChannel(const QStringList &args);

    // CliActions.cpp: counter actions with channels, refunds, anomalies, the timer, the
    // simulated channel and notifications.
    int cmdOrderAction(const QString &sub, const QStringList &args);
    int cmdRefund(const QStringList &args);
    int cmdAnomaly(const QStringList &args);
    int cmdSync(const QStringList &args);
    int cmdSim(const QStringList &args);
    int cmdNotify(const QStringList &args);
    // CliRecon.cpp: reconciliation against the channels' daily bills.
    int cmdRecon(const QStringList &args);
    int cmdBill(const QStringList &args);
    // CliFixup.cpp: fix-ups with four eyes (mark paid).
    int cmdFixup(const QStringList &args);
    // CliClosing.cpp: shift and day close (Z reports).
    int cmdClosing(const QString &verb, const QStringList &args);
    int reconRun(paydesk::ChannelKind channel, const QDate &date, const QString &file, bool import);
    paydesk::Result<paydesk::BillFile> fetchBill(paydesk::ChannelKind channel, const QDate &date);
    /// Registers the channels this database can use: the simulator on demo databases, and
    /// the stored WeChat Pay / Alipay profiles.
    paydesk::Status setupChannels();
    /// CliChannels.cpp: adds the stored WeChat Pay / Alipay profiles to the registry.
    paydesk::Status loadStoredChannels();
    paydesk::SimulatedChannel *simulator();
    double m_timeScale = 1.0;
    bool m_channelsReady = false;

    QTextStream m_out;
    QTextStream m_err;
    bool m_json = false;
    QString m_dbUrl;
    QString m_userLogin;
    std::unique_ptr<paydesk::Services> m_services;
};
