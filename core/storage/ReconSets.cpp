#include "storage/ReconSets.h"

#include "storage/ReconRepository.h"

#include <QJsonDocument>
#include <QSqlQuery>

#include <algorithm>
#include <optional>

namespace paydesk {

namespace {

/// "?, ?, ?" for n binds.
QString placeholders(qsizetype n)
{
    QString out;
    out.reserve(n * 3);
    for (qsizetype i = 0; i < n; ++i)
        out += i ? QStringLiteral(", ?") : QStringLiteral("?");
    return out;
}

/// Runs `sqlHead + "(?, ...)"` for each slice of at most kKeysPerStatement keys, calling `row`
/// for every row. The statement for a full slice is prepared once.
template <typename Row>
Status inSlices(Transaction &tx, const QString &sqlHead, const QStringList &keys, Row row)
{
    const qsizetype per = ReconSets::kKeysPerStatement;
    std::optional<QSqlQuery> full;
    for (qsizetype at = 0; at < keys.size(); at += per) {
        const qsizetype n = std::min(per, keys.size() - at);
        std::optional<QSqlQuery> partial;
        QSqlQuery *q = nullptr;
        if (n == per && full) {
            q = &*full;
        } else {
            auto prepared = Sql::prepare(tx.connection(), sqlHead + u'(' + placeholders(n) + u')');
            if (!prepared)
                return prepared.error();
            std::optional<QSqlQuery> &slot = n == per ? full : partial;
            slot.emplace(std::move(prepared.value()));
            q = &*slot;
        }
        for (qsizetype i = 0; i < n; ++i)
            q->bindValue(int(i), keys.at(at + i));
        if (Status s = Sql::execPrepared(*q); !s)
            return s;
        while (q->next())
            row(*q);
        q->finish();
    }
    return {};
}

const QString kPaymentColumns = QStringLiteral("a.out_trade_no, a.id, a.order_id, a.channel, a.state, a.amount_minor, a.currency, a.paid_at");
const QString kRefundColumns = QStringLiteral("r.out_refund_no, r.id, r.order_id, a.channel, r.state, r.amount_minor, r.completed_at");
/// The currency of a million payments is one string, not a million copies of "CNY".
QString shared(QString text)
{
    static const QString cny = QStringLiteral("CNY");
    return text == cny ? cny : text;
}

void readPayment(const QSqlQuery &q, ReconSets::Payments &into)
{
    ReconSets::Payment p;
    p.id = q.value(1).toLongLong();
    p.orderId = q.value(2).toLongLong();
    p.channel = fromString<ChannelKind>(q.value(3).toString()).value_or(ChannelKind::Sim);
    p.state = fromString<AttemptState>(q.value(4).toString()).value_or(AttemptState::Created);
    p.amountMinor = q.value(5).toLongLong();
    p.currency = shared(q.value(6).toString());
    p.paidAt = q.value(7).toLongLong();
    into.insert(q.value(0).toString(), p);
}

void readRefund(const QSqlQuery &q, ReconSets::Refunds &into)
{
    ReconSets::Refund r;
    r.id = q.value(1).toLongLong();
    r.orderId = q.value(2).toLongLong();
    r.channel = fromString<ChannelKind>(q.value(3).toString()).value_or(ChannelKind::Sim);
    r.state = fromString<RefundState>(q.value(4).toString()).value_or(RefundState::Requested);
    r.amountMinor = q.value(5).toLongLong();
    r.completedAt = q.value(6).toLongLong();
    into.insert(q.value(0).toString(), r);
}

QVariant idOrNull(qint64 id)
{
    return id > 0 ? QVariant(id) : QVariant(QMetaType::fromType<qint64>());
}

} // namespace

Status ReconSets::paymentsPaidIn(Transaction &tx, ChannelKind channel, qint64 fromMs, qint64 toMs, Payments &into)
{
    // The state as a literal: the planner can use the partial index attempts_state_paid (004).
    auto q = Sql::exec(tx.connection(), QStringLiteral("SELECT ") + kPaymentColumns
                                            + QStringLiteral(" FROM payment_attempts a WHERE a.state = 'SUCCEEDED' AND a.paid_at >= :f "
                                                             "AND a.paid_at < :t AND a.channel = :c"),
                       {{":f", fromMs}, {":t", toMs}, {":c", toString(channel)}});
    if (!q)
        return q.error();
    while (q.value().next())
        readPayment(q.value(), into);
    return {};
}

Status ReconSets::paymentsByKey(Transaction &tx, const QStringList &outTradeNos, Payments &into)
{
    return inSlices(tx, QStringLiteral("SELECT ") + kPaymentColumns + QStringLiteral(" FROM payment_attempts a WHERE a.out_trade_no IN "),
                    outTradeNos, [&into](const QSqlQuery &q) { readPayment(q, into); });
}

Status ReconSets::refundsSucceededIn(Transaction &tx, ChannelKind channel, qint64 fromMs, qint64 toMs, Refunds &into)
{
    auto q = Sql::exec(tx.connection(), QStringLiteral("SELECT ") + kRefundColumns
                                            + QStringLiteral(" FROM refunds r JOIN payment_attempts a ON a.id = r.attempt_id "
                                                             "WHERE r.state = 'SUCCEEDED' AND r.completed_at >= :f AND r.completed_at < :t "
                                                             "AND a.channel = :c"),
                       {{":f", fromMs}, {":t", toMs}, {":c", toString(channel)}});
    if (!q)
        return q.error();
    while (q.value().next())
        readRefund(q.value(), into);
    return {};
}

Status ReconSets::refundsByKey(Transaction &tx, const QStringList &outRefundNos, Refunds &into)
{
    return inSlices(tx,
                    QStringLiteral("SELECT ") + kRefundColumns
                        + QStringLiteral(" FROM refunds r JOIN payment_attempts a ON a.id = r.attempt_id WHERE r.out_refund_no IN "),
                    outRefundNos, [&into](const QSqlQuery &q) { readRefund(q, into); });
}

Result<QHash<QString, ReconDifference>> ReconSets::differencesOfDay(Transaction &tx, ChannelKind channel, const QDate &date)
{
    auto q = Sql::exec(tx.connection(),
                       QStringLiteral("SELECT ") + ReconRepository::differenceColumns() + QStringLiteral(" FROM recon_differences WHERE channel = :c AND bill_date = :d"),
                       {{":c", toString(channel)}, {":d", date.toString(Qt::ISODate)}});
    if (!q)
        return q.error();
    QHash<QString, ReconDifference> out;
    while (q.value().next()) {
        ReconDifference d = ReconRepository::readDifference(q.value());
        out.insert(key(d.kind, d.ref), d);
    }
    return out;
}

Status ReconSets::insertDifferences(Transaction &tx, ChannelKind channel, const QDate &date, const QList<ReconDifference *> &fresh)
{
    if (fresh.isEmpty())
        return {};
    auto q = Sql::prepare(tx.connection(),
                          QStringLiteral("INSERT INTO recon_differences (channel, bill_date, kind, ref, out_trade_no, out_refund_no, bill_line, "
                                         "ours_minor, bill_minor, params, order_id, anomaly_id, first_run_id, last_run_id) VALUES "
                                         "(:c, :d, :k, :r, :o, :rf, :l, :om, :bm, :p, :oid, :aid, :run, :run2)"));
    if (!q)
        return q.error();
    for (const ReconDifference *d : fresh) {
        const std::pair<const char *, QVariant> binds[] = {
            {":c", toString(d->channel)}, {":d", d->date.toString(Qt::ISODate)}, {":k", d->kind}, {":r", d->ref},
            {":o", d->outTradeNo}, {":rf", d->outRefundNo}, {":l", d->billLine}, {":om", d->oursMinor}, {":bm", d->billMinor},
            {":p", QString::fromUtf8(QJsonDocument(d->params).toJson(QJsonDocument::Compact))}, {":oid", idOrNull(d->orderId)},
            {":aid", idOrNull(d->anomalyId)}, {":run", d->firstRunId}, {":run2", d->lastRunId}};
        for (const auto &[name, value] : binds)
            q.value().bindValue(QString::fromLatin1(name), Sql::bindable(value));
        if (Status s = Sql::execPrepared(q.value()); !s)
            return s;
    }
    auto day = differencesOfDay(tx, channel, date);
    if (!day)
        return day.error();
    for (ReconDifference *d : fresh) {
        const auto it = day->constFind(key(d->kind, d->ref));
        if (it == day->cend())
            return Error::storage(QStringLiteral("inserted difference vanished"));
        d->id = it->id;
    }
    return {};
}

Status ReconSets::touchDifferences(Transaction &tx, const QList<qint64> &ids, qint64 runId)
{
    for (qsizetype at = 0; at < ids.size(); at += kKeysPerStatement) {
        const qsizetype n = std::min<qsizetype>(kKeysPerStatement, ids.size() - at);
        auto q = Sql::prepare(tx.connection(),
                              QStringLiteral("UPDATE recon_differences SET last_run_id = ? WHERE id IN (") + placeholders(n) + u')');
        if (!q)
            return q.error();
        q.value().bindValue(0, runId);
        for (qsizetype i = 0; i < n; ++i)
            q.value().bindValue(int(i + 1), ids.at(at + i));
        if (Status s = Sql::execPrepared(q.value()); !s)
            return s;
    }
    return {};
}

} // namespace paydesk
