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

/// A difference with what the GUI shows beside it: the order it is about and its anomaly's state.
struct ReconDifferenceRow
{
    ReconDifference difference;
    QString orderNo;                         ///< empty: no order of ours (money at the channel only)
    std::optional<AnomalyState> anomalyState; ///< nullopt: no anomaly was opened
};

/// What our books say for one channel's Beijing business day (successful payments by paid
/// time, succeeded refunds by completion time): the other side of a bill's totals.
struct ReconBookDay
{
    ChannelKind channel = ChannelKind::Sim;
    QDate date;
    qint64 paidMinor = 0;
    int payments = 0;
    qint64 refundedMinor = 0;
    int refunds = 0;
};

/// The channels' fees of one day, from the latest reconciliation of each channel's bill.
struct ReconFeeDay
{
    QDate date;
    qint64 feeMinor = 0;
    int channels = 0; ///< how many channels' bills of that day were reconciled
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
    /// The same, with each difference's order number and anomaly state (the GUI's table).
    Result<QList<ReconDifferenceRow>> differenceRowsOfRun(qint64 runId);
    /// Our books per channel and Beijing business day in [first, last] (days with neither
    /// payments nor refunds are left out).
    Result<QList<ReconBookDay>> bookDays(const QDate &first, const QDate &last);
    /// Per bill day in [first, last]: the fee total of the latest run of each channel's day.
    Result<QList<ReconFeeDay>> feesByDay(const QDate &first, const QDate &last);

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

    /// The columns of recon_differences in the order readDifference reads them (ReconSets too).
    static QString differenceColumns();
    static ReconDifference readDifference(const QSqlQuery &q);

private:
    static ReconRun readRun(const QSqlQuery &q);
    Database &m_db;
};

} // namespace paydesk
