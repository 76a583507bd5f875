#pragma once

#include "recon/BillParser.h"
#include "services/Reconciler.h"
#include "storage/AnomalyRepository.h"
#include "storage/AuditLog.h"
#include "storage/OrderRepository.h"
#include "storage/ReconRepository.h"
#include "storage/UserDirectory.h"
#include "util/Clock.h"

namespace paydesk {

/// Reconciles one channel's day: the bill (parsed and kept once per hash) against our books,
/// by out_trade_no and out_refund_no, in one transaction with its audit entry. Each difference
/// is kept once per day and key, so a re-run finds the same differences and opens no new
/// anomaly. Money found after a close goes through the Reconciler (anomaly + refund proposed for
/// the four-eyes review) when the bill came from the channel itself; a file imported by hand is
/// not verified by the channel, so its differences open anomalies but move no state.
class ReconService final
{
    Q_DECLARE_TR_FUNCTIONS(ReconService)
public:
    ReconService(Database &db, ReconRepository &recon, AnomalyRepository &anomalies, AuditLog &audit, Reconciler &reconciler,
                 UserDirectory &users, const Clock &clock)
        : m_db(db), m_recon(recon), m_anomalies(anomalies), m_audit(audit), m_reconciler(reconciler), m_users(users),
          m_clock(clock) {}

    enum class Source { Fetched, Imported };
    struct Report
    {
        ReconRun run;
        QList<ReconDifference> differences;
        bool billStored = false; ///< false: the same file was stored before
    };

    /// FINANCE or ADMIN only.
    Result<Report> run(const User &actor, ChannelKind channel, const QDate &date, const QByteArray &content,
                       const QString &fileName, Source source);
    /// The timer's daily run (ReconScheduler): a bill it fetched itself, recorded as "timer".
    Result<Report> runScheduled(ChannelKind channel, const QDate &date, const QByteArray &content, const QString &fileName);
    static constexpr const char *kTimerLogin = "timer";
    Result<Report> show(ChannelKind channel, const QDate &date);
    Result<QList<ReconRun>> runs();

    /// [start, end) of a Beijing business day, ms UTC.
    static std::pair<qint64, qint64> dayWindow(const QDate &date);
    /// FINANCE or ADMIN, as the database holds the account now.
    Status checkRole(const User &actor);

private:
    Result<Report> runChecked(const User &actor, ChannelKind channel, const QDate &date, const QByteArray &content,
                              const QString &fileName, Source source);
    Database &m_db;
    ReconRepository &m_recon;
    AnomalyRepository &m_anomalies;
    AuditLog &m_audit;
    Reconciler &m_reconciler;
    UserDirectory &m_users;
    const Clock &m_clock;
};

} // namespace paydesk
