#include "storage/ReconRepository.h"

#include "storage/OrderRepository.h"
#include "storage/RefundRepository.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QMap>
#include <QSqlRecord>
#include <QTimeZone>

namespace paydesk {

namespace {
const QString kRunColumns = QStringLiteral(
    "id, channel, bill_date, bill_file_id, run_at, run_by, bill_payments, bill_refunds, matched, differences, new_differences, "
    "paid_minor, refunded_minor, fee_minor, result");
const QString kDiffColumns = QStringLiteral(
    "id, channel, bill_date, kind, ref, out_trade_no, out_refund_no, bill_line, ours_minor, bill_minor, params, order_id, anomaly_id, "
    "first_run_id, last_run_id");
} // namespace

ReconRun ReconRepository::readRun(const QSqlQuery &q)
{
    ReconRun r;
    r.id = q.value(0).toLongLong();
    r.channel = fromString<ChannelKind>(q.value(1).toString()).value_or(ChannelKind::Sim);
    r.date = QDate::fromString(q.value(2).toString(), Qt::ISODate);
    r.billFileId = q.value(3).toLongLong();
    r.runAt = q.value(4).toLongLong();
    r.runBy = q.value(5).toString();
    r.billPayments = q.value(6).toInt();
    r.billRefunds = q.value(7).toInt();
    r.matched = q.value(8).toInt();
    r.differences = q.value(9).toInt();
    r.newDifferences = q.value(10).toInt();
    r.paidMinor = q.value(11).toLongLong();
    r.refundedMinor = q.value(12).toLongLong();
    r.feeMinor = q.value(13).toLongLong();
    r.result = q.value(14).toString();
    return r;
}

QString ReconRepository::differenceColumns() { return kDiffColumns; }

ReconDifference ReconRepository::readDifference(const QSqlQuery &q)
{
    ReconDifference d;
    d.id = q.value(0).toLongLong();
    d.channel = fromString<ChannelKind>(q.value(1).toString()).value_or(ChannelKind::Sim);
    d.date = QDate::fromString(q.value(2).toString(), Qt::ISODate);
    d.kind = q.value(3).toString();
    d.ref = q.value(4).toString();
    d.outTradeNo = q.value(5).toString();
    d.outRefundNo = q.value(6).toString();
    d.billLine = q.value(7).toInt();
    d.oursMinor = q.value(8).toLongLong();
    d.billMinor = q.value(9).toLongLong();
    d.params = QJsonDocument::fromJson(q.value(10).toString().toUtf8()).object();
    d.orderId = q.value(11).toLongLong();
    d.anomalyId = q.value(12).toLongLong();
    d.firstRunId = q.value(13).toLongLong();
    d.lastRunId = q.value(14).toLongLong();
    return d;
}

Result<qint64> ReconRepository::storeBill(Transaction &tx, ChannelKind channel, const QDate &date, const QString &kind,
                                          const QString &fileName, const QByteArray &content, const QString &sha256,
                                          const QString &source, qint64 at, const QString &by, bool *stored)
{
    const auto find = [&]() -> Result<qint64> {
        auto q = Sql::exec(tx.connection(), QStringLiteral("SELECT id FROM bill_files WHERE channel = :c AND bill_date = :d AND kind = :k AND sha256 = :h"),
                           {{":c", toString(channel)}, {":d", date.toString(Qt::ISODate)}, {":k", kind}, {":h", sha256}});
        if (!q)
            return q.error();
        return q.value().next() ? q.value().value(0).toLongLong() : qint64(0);
    };
    auto have = find();
    if (!have)
        return have;
    *stored = false;
    if (have.value() > 0)
        return have;
    auto ins = Sql::exec(tx.connection(),
                         QStringLiteral("INSERT INTO bill_files (channel, bill_date, kind, file_name, content, sha256, source, imported_at, imported_by) "
                                        "VALUES (:c, :d, :k, :f, :b, :h, :s, :t, :u)"),
                         {{":c", toString(channel)}, {":d", date.toString(Qt::ISODate)}, {":k", kind}, {":f", fileName},
                          {":b", content}, {":h", sha256}, {":s", source}, {":t", at}, {":u", by}});
    if (!ins)
        return ins.error();
    *stored = true;
    return find();
}

Result<QByteArray> ReconRepository::billContent(qint64 billFileId)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT content FROM bill_files WHERE id = :id"), {{":id", billFileId}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return Error::notFound(QStringLiteral("bill.not_found"), tr("There is no stored bill %1.").arg(billFileId));
    return q.value().value(0).toByteArray();
}

Status ReconRepository::insertRun(Transaction &tx, ReconRun &r)
{
    auto q = Sql::exec(tx.connection(),
                       QStringLiteral("INSERT INTO recon_runs (channel, bill_date, bill_file_id, run_at, run_by, bill_payments, bill_refunds, "
                                      "matched, differences, new_differences, paid_minor, refunded_minor, fee_minor, result) VALUES "
                                      "(:c, :d, :b, :t, :u, :p, :r, :m, :x, :n, :pm, :rm, :fm, :res)"),
                       {{":c", toString(r.channel)}, {":d", r.date.toString(Qt::ISODate)}, {":b", r.billFileId}, {":t", r.runAt},
                        {":u", r.runBy}, {":p", r.billPayments}, {":r", r.billRefunds}, {":m", r.matched}, {":x", r.differences},
                        {":n", r.newDifferences}, {":pm", r.paidMinor}, {":rm", r.refundedMinor}, {":fm", r.feeMinor}, {":res", r.result}});
    if (!q)
        return q.error();
    auto id = Sql::exec(tx.connection(), QStringLiteral("SELECT MAX(id) FROM recon_runs WHERE channel = :c AND bill_date = :d"),
                        {{":c", toString(r.channel)}, {":d", r.date.toString(Qt::ISODate)}});
    if (!id || !id.value().next())
        return id ? Error::storage(QStringLiteral("inserted run vanished")) : id.error();
    r.id = id.value().value(0).toLongLong();
    return {};
}

Status ReconRepository::setNewDifferences(Transaction &tx, qint64 runId, int count)
{
    auto q = Sql::exec(tx.connection(), QStringLiteral("UPDATE recon_runs SET new_differences = :n WHERE id = :id"), {{":n", count}, {":id", runId}});
    return q ? Status() : Status(q.error());
}

Result<QList<ReconRun>> ReconRepository::runs(int limit)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + kRunColumns + QStringLiteral(" FROM recon_runs ORDER BY id DESC LIMIT :l"),
                       {{":l", limit}});
    if (!q)
        return q.error();
    QList<ReconRun> out;
    while (q.value().next())
        out << readRun(q.value());
    return out;
}

Result<std::optional<ReconRun>> ReconRepository::latestRun(ChannelKind channel, const QDate &date)
{
    auto q = Sql::exec(m_db.connection(),
                       QStringLiteral("SELECT ") + kRunColumns
                           + QStringLiteral(" FROM recon_runs WHERE channel = :c AND bill_date = :d ORDER BY id DESC LIMIT 1"),
                       {{":c", toString(channel)}, {":d", date.toString(Qt::ISODate)}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return std::optional<ReconRun>();
    return std::optional<ReconRun>(readRun(q.value()));
}

Result<QList<ReconDifference>> ReconRepository::differencesOfRun(qint64 runId)
{
    auto q = Sql::exec(m_db.connection(),
                       QStringLiteral("SELECT ") + kDiffColumns + QStringLiteral(" FROM recon_differences WHERE last_run_id = :r ORDER BY id"),
                       {{":r", runId}});
    if (!q)
        return q.error();
    QList<ReconDifference> out;
    while (q.value().next())
        out << readDifference(q.value());
    return out;
}

Result<QList<ReconDifferenceRow>> ReconRepository::differenceRowsOfRun(qint64 runId)
{
    QString columns = kDiffColumns;
    columns.replace(QStringLiteral(", "), QStringLiteral(", d."));
    auto q = Sql::exec(m_db.connection(),
                       QStringLiteral("SELECT d.") + columns
                           + QStringLiteral(", o.order_no, n.state FROM recon_differences d LEFT JOIN orders o ON o.id = d.order_id "
                                            "LEFT JOIN anomalies n ON n.id = d.anomaly_id WHERE d.last_run_id = :r ORDER BY d.id"),
                       {{":r", runId}});
    if (!q)
        return q.error();
    QList<ReconDifferenceRow> out;
    const int extra = int(kDiffColumns.count(u',')) + 1;
    while (q.value().next()) {
        ReconDifferenceRow row;
        row.difference = readDifference(q.value());
        row.orderNo = q.value().value(extra).toString();
        if (!q.value().isNull(extra + 1))
            row.anomalyState = fromString<AnomalyState>(q.value().value(extra + 1).toString());
        out << row;
    }
    return out;
}

Result<QList<ReconBookDay>> ReconRepository::bookDays(const QDate &first, const QDate &last)
{
    // Day buckets in SQL: (t + 8 h) / 1 day is the Beijing day, counted from 1970-01-01.
    const QTimeZone beijing(8 * 3600);
    const qint64 from = QDateTime(first, QTime(0, 0), beijing).toMSecsSinceEpoch();
    const qint64 to = QDateTime(last.addDays(1), QTime(0, 0), beijing).toMSecsSinceEpoch();
    const QDate epoch(1970, 1, 1);
    QMap<std::pair<QString, qint64>, ReconBookDay> days;
    auto day = [&](const QString &channel, qint64 bucket) -> ReconBookDay & {
        ReconBookDay &d = days[{channel, bucket}];
        d.channel = fromString<ChannelKind>(channel).value_or(ChannelKind::Sim);
        d.date = epoch.addDays(bucket);
        return d;
    };
    auto paid = Sql::exec(m_db.connection(),
                          QStringLiteral("SELECT a.channel, (a.paid_at + 28800000) / 86400000, SUM(a.amount_minor), COUNT(*) FROM payment_attempts a "
                                         "WHERE a.state = 'SUCCEEDED' AND a.paid_at >= :f AND a.paid_at < :t "
                                         "GROUP BY a.channel, (a.paid_at + 28800000) / 86400000"),
                          {{":f", from}, {":t", to}});
    if (!paid)
        return paid.error();
    while (paid.value().next()) {
        ReconBookDay &d = day(paid.value().value(0).toString(), paid.value().value(1).toLongLong());
        d.paidMinor = paid.value().value(2).toLongLong();
        d.payments = paid.value().value(3).toInt();
    }
    auto refunded = Sql::exec(m_db.connection(),
                              QStringLiteral("SELECT a.channel, (r.completed_at + 28800000) / 86400000, SUM(r.amount_minor), COUNT(*) FROM refunds r "
                                             "JOIN payment_attempts a ON a.id = r.attempt_id WHERE r.state = 'SUCCEEDED' "
                                             "AND r.completed_at >= :f AND r.completed_at < :t "
                                             "GROUP BY a.channel, (r.completed_at + 28800000) / 86400000"),
                              {{":f", from}, {":t", to}});
    if (!refunded)
        return refunded.error();
    while (refunded.value().next()) {
        ReconBookDay &d = day(refunded.value().value(0).toString(), refunded.value().value(1).toLongLong());
        d.refundedMinor = refunded.value().value(2).toLongLong();
        d.refunds = refunded.value().value(3).toInt();
    }
    return QList<ReconBookDay>(days.cbegin(), days.cend());
}

Result<QList<ReconFeeDay>> ReconRepository::feesByDay(const QDate &first, const QDate &last)
{
    auto q = Sql::exec(m_db.connection(),
                       QStringLiteral("SELECT r.bill_date, SUM(r.fee_minor), COUNT(*) FROM recon_runs r WHERE r.bill_date >= :f "
                                      "AND r.bill_date <= :l AND r.id = (SELECT MAX(r2.id) FROM recon_runs r2 "
                                      "WHERE r2.channel = r.channel AND r2.bill_date = r.bill_date) "
                                      "GROUP BY r.bill_date ORDER BY r.bill_date"),
                       {{":f", first.toString(Qt::ISODate)}, {":l", last.toString(Qt::ISODate)}});
    if (!q)
        return q.error();
    QList<ReconFeeDay> out;
    while (q.value().next())
        out << ReconFeeDay{QDate::fromString(q.value().value(0).toString(), Qt::ISODate), q.value().value(1).toLongLong(),
                           q.value().value(2).toInt()};
    return out;
}

Result<std::optional<PaymentAttempt>> ReconRepository::attempt(Transaction &tx, const QString &outTradeNo)
{
    auto q = Sql::exec(tx.connection(), QStringLiteral("SELECT ") + OrderRepository::attemptColumns()
                                            + QStringLiteral(" FROM payment_attempts a WHERE a.out_trade_no = :n"),
                       {{":n", outTradeNo}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return std::optional<PaymentAttempt>();
    return std::optional<PaymentAttempt>(OrderRepository::readAttempt(q.value()));
}

Result<QList<PaymentAttempt>> ReconRepository::paidAttempts(Transaction &tx, ChannelKind channel, qint64 fromMs, qint64 toMs)
{
    auto q = Sql::exec(tx.connection(), QStringLiteral("SELECT ") + OrderRepository::attemptColumns()
                                            + QStringLiteral(" FROM payment_attempts a WHERE a.state = 'SUCCEEDED' AND a.paid_at >= :f "
                                                             "AND a.paid_at < :t AND a.channel = :c"),
                       {{":f", fromMs}, {":t", toMs}, {":c", toString(channel)}});
    if (!q)
        return q.error();
    QList<PaymentAttempt> out;
    while (q.value().next())
        out << OrderRepository::readAttempt(q.value());
    return out;
}

Result<std::optional<ReconRepository::BookRefund>> ReconRepository::refund(Transaction &tx, const QString &outRefundNo)
{
    auto q = Sql::exec(tx.connection(), QStringLiteral("SELECT ") + RefundRepository::refundColumns()
                                            + QStringLiteral(", a.channel FROM refunds r JOIN payment_attempts a ON a.id = r.attempt_id "
                                                             "WHERE r.out_refund_no = :n"),
                       {{":n", outRefundNo}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return std::optional<BookRefund>();
    BookRefund b;
    b.refund = RefundRepository::readRefund(q.value());
    b.channel = fromString<ChannelKind>(q.value().value(q.value().record().count() - 1).toString()).value_or(ChannelKind::Sim);
    return std::optional<BookRefund>(b);
}

Result<QList<Refund>> ReconRepository::succeededRefunds(Transaction &tx, ChannelKind channel, qint64 fromMs, qint64 toMs)
{
    auto q = Sql::exec(tx.connection(), QStringLiteral("SELECT ") + RefundRepository::refundColumns()
                                            + QStringLiteral(" FROM refunds r JOIN payment_attempts a ON a.id = r.attempt_id "
                                                             "WHERE r.state = 'SUCCEEDED' AND r.completed_at >= :f AND r.completed_at < :t "
                                                             "AND a.channel = :c"),
                       {{":f", fromMs}, {":t", toMs}, {":c", toString(channel)}});
    if (!q)
        return q.error();
    QList<Refund> out;
    while (q.value().next())
        out << RefundRepository::readRefund(q.value());
    return out;
}

} // namespace paydesk
