#pragma once

#include "domain/Domain.h"
#include "storage/Database.h"

#include <QDate>
#include <QJsonObject>

#include <optional>

namespace paydesk {

/// One reconciliation of a channel's day against our books.
struct ReconRun
{
    qint64 id = 0;
    ChannelKind channel = ChannelKind::WeChat;
    QDate date;
    qint64 billFileId = 0;
    qint64 runAt = 0;
    QString runBy;
    int billPayments = 0;
    int billRefunds = 0;
    int matched = 0;
    int differences = 0;
    int newDifferences = 0;
    qint64 paidMinor = 0;
    qint64 refundedMinor = 0;
    qint64 feeMinor = 0;
    QString result; ///< MATCHED or DIFFERENCES
};

/// A difference between a bill and our books, kept once per channel, day, kind and key.
struct ReconDifference
{
    qint64 id = 0;
    ChannelKind channel = ChannelKind::WeChat;
    QDate date;
    QString kind;        ///< LONG, SHORT, AMOUNT, CURRENCY, STATE, REFUND_LONG, REFUND_SHORT, REFUND_AMOUNT, REFUND_STATE
    QString ref;         ///< out_trade_no or out_refund_no
    QString outTradeNo;
    QString outRefundNo;
    int billLine = 0;
    qint64 oursMinor = 0;
    qint64 billMinor = 0;
    QJsonObject params;  ///< machine-readable facts (states, currencies) for the message
    qint64 orderId = 0;
    qint64 anomalyId = 0;
    qint64 firstRunId = 0;
    qint64 lastRunId = 0;
};

/// The SQL of reconciliation: bill files (kept once per content hash), runs, differences, and
/// the reads of our books a run needs.
class ReconRepository final
{
    Q_DECLARE_TR_FUNCTIONS(ReconRepository)
public:
    explicit ReconRepository(Database &db) : m_db(db) {}

    /// The id of the stored bill with this hash, storing it first if new (`stored` tells).
    Result<qint64> storeBill(Transaction &tx, ChannelKind channel, const QDate &date, const QString &kind, const QString &fileName,
                             const QByteArray &content, const QString &sha256, const QString &source, qint64 at,
                             const QString &by, bool *stored);
    Result<QByteArray> billContent(qint64 billFileId);

    Status insertRun(Transaction &tx, ReconRun &run);
    Status setNewDifferences(Transaction &tx, qint64 runId, int count);
    // A run's differences are read, moved and inserted as sets: ReconSets.

    Result<QList<ReconRun>> runs(int limit = 200);
    Result<std::optional<ReconRun>> latestRun(ChannelKind channel, const QDate &date);
    Result<QList<ReconDifference>> differencesOfRun(qint64 runId);

    // ---- our books, one row per call, inside a transaction ----
    // ReconService reads them as sets (ReconSets); these are the row-at-a-time reads it did
    // before, kept as bench_recon's naive baseline.
    struct BookRefund
    {
        Refund refund;
        ChannelKind channel = ChannelKind::Sim;
    };
    Result<std::optional<PaymentAttempt>> attempt(Transaction &tx, const QString &outTradeNo);
    Result<QList<PaymentAttempt>> paidAttempts(Transaction &tx, ChannelKind channel, qint64 fromMs, qint64 toMs);
    Result<std::optional<BookRefund>> refund(Transaction &tx, const QString &outRefundNo);
    Result<QList<Refund>> succeededRefunds(Transaction &tx, ChannelKind channel, qint64 fromMs, qint64 toMs);

private:
    static ReconRun readRun(const QSqlQuery &q);
    static ReconDifference readDifference(const QSqlQuery &q);
    Database &m_db;
};

} // namespace paydesk
