#include "storage/ReconRepository.h"

#include "storage/OrderRepository.h"
#include "storage/RefundRepository.h"

#include <QJsonDocument>
#include <QSqlRecord>

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
