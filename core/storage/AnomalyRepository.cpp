#include "storage/AnomalyRepository.h"

namespace paydesk {

QString AnomalyRepository::columns()
{
    return QStringLiteral("n.id, n.kind, n.order_id, n.attempt_id, n.refund_id, n.state, n.details, n.resolution, n.resolved_by, "
                          "n.created_at, n.resolved_at, n.channel, n.out_trade_no, n.out_refund_no, n.channel_txn_id, n.amount_minor, n.currency");
}

Anomaly AnomalyRepository::read(const QSqlQuery &q, int f)
{
    Anomaly a;
    a.id = q.value(f).toLongLong();
    a.kind = fromString<AnomalyKind>(q.value(f + 1).toString()).value_or(AnomalyKind::PaidAfterClose);
    a.orderId = q.value(f + 2).toLongLong();
    a.attemptId = q.value(f + 3).toLongLong();
    a.refundId = q.value(f + 4).toLongLong();
    a.state = fromString<AnomalyState>(q.value(f + 5).toString()).value_or(AnomalyState::Open);
    a.details = q.value(f + 6).toString();
    a.resolution = q.value(f + 7).toString();
    a.resolvedBy = q.value(f + 8).toString();
    a.createdAt = q.value(f + 9).toLongLong();
    a.resolvedAt = q.value(f + 10).toLongLong();
    if (!q.value(f + 11).isNull())
        a.channel = fromString<ChannelKind>(q.value(f + 11).toString());
    a.outTradeNo = q.value(f + 12).toString();
    a.outRefundNo = q.value(f + 13).toString();
    a.channelTxnId = q.value(f + 14).toString();
    if (!q.value(f + 15).isNull())
        a.amountMinor = q.value(f + 15).toLongLong();
    a.currency = q.value(f + 16).toString();
    return a;
}

Result<bool> AnomalyRepository::openFor(QSqlDatabase &conn, AnomalyKind kind, qint64 attemptId)
{
    auto q = Sql::exec(conn, QStringLiteral("SELECT COUNT(*) FROM anomalies WHERE attempt_id = :a AND kind = :k AND state = 'OPEN'"),
                       {{":a", attemptId}, {":k", toString(kind)}});
    if (!q)
        return q.error();
    return q.value().next() && q.value().value(0).toLongLong() > 0;
}

Status AnomalyRepository::insert(QSqlDatabase &conn, Anomaly &a)
{
    const auto idOrNull = [](qint64 id) { return id > 0 ? QVariant(id) : QVariant(QMetaType::fromType<qint64>()); };
    const auto textOrNull = [](const QString &t) { return t.isEmpty() ? QVariant() : QVariant(t); };
    auto q = Sql::exec(conn, QStringLiteral("INSERT INTO anomalies (kind, order_id, attempt_id, refund_id, state, details, created_at, "
                                            "channel, out_trade_no, out_refund_no, channel_txn_id, amount_minor, currency) "
                                            "VALUES (:k, :o, :a, :r, 'OPEN', :d, :t, :ch, :otn, :orn, :txn, :am, :cur)"),
                       {{":k", toString(a.kind)}, {":o", idOrNull(a.orderId)}, {":a", idOrNull(a.attemptId)},
                        {":r", idOrNull(a.refundId)}, {":d", a.details}, {":t", a.createdAt},
                        {":ch", a.channel ? QVariant(toString(*a.channel)) : QVariant()},
                        {":otn", textOrNull(a.outTradeNo)}, {":orn", textOrNull(a.outRefundNo)}, {":txn", textOrNull(a.channelTxnId)},
                        {":am", a.amountMinor ? QVariant(*a.amountMinor) : QVariant(QMetaType::fromType<qint64>())},
                        {":cur", textOrNull(a.currency)}});
    if (!q)
        return q.error();
    // The row just written, by what names it: its order, or for one without an order the
    // channel's keys (COALESCE: NULL never equals NULL).
    auto id = Sql::exec(conn, QStringLiteral("SELECT MAX(id) FROM anomalies WHERE kind = :k AND COALESCE(order_id, 0) = :o "
                                             "AND COALESCE(out_trade_no, '') = :otn AND COALESCE(out_refund_no, '') = :orn "
                                             "AND created_at = :t"),
                        {{":o", a.orderId > 0 ? a.orderId : qint64(0)}, {":k", toString(a.kind)}, {":otn", a.outTradeNo},
                         {":orn", a.outRefundNo}, {":t", a.createdAt}});
    if (!id || !id.value().next() || id.value().value(0).isNull())
        return id ? Error::storage(QStringLiteral("inserted anomaly vanished")) : id.error();
    a.id = id.value().value(0).toLongLong();
    a.state = AnomalyState::Open;
    return {};
}

Result<Anomaly> AnomalyRepository::byId(qint64 id)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + columns() + QStringLiteral(" FROM anomalies n WHERE n.id = :id"), {{":id", id}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return Error::notFound(QStringLiteral("anomaly.not_found"), tr("There is no anomaly %1.").arg(id));
    return read(q.value());
}

Result<QList<Anomaly>> AnomalyRepository::list(std::optional<AnomalyState> state, int limit)
{
    auto q = Sql::exec(m_db.connection(),
                       QStringLiteral("SELECT ") + columns() + QStringLiteral(" FROM anomalies n WHERE (:all = 1 OR n.state = :s) ORDER BY n.created_at DESC, n.id DESC LIMIT :l"),
                       {{":all", state ? 0 : 1}, {":s", state ? toString(*state) : QString()}, {":l", limit}});
    if (!q)
        return q.error();
    QList<Anomaly> out;
    while (q.value().next())
        out << read(q.value());
    return out;
}

Result<QList<AnomalyListing>> AnomalyRepository::listWithOrders(std::optional<AnomalyState> state, int limit)
{
    // LEFT JOIN: an anomaly found in a channel's bill may have no order of ours.
    QString sql = QStringLiteral("SELECT %1, o.order_no, o.amount_minor FROM anomalies n LEFT JOIN orders o ON o.id = n.order_id").arg(columns());
    if (state)
        sql += QStringLiteral(" WHERE n.state = :state");
    sql += QStringLiteral(" ORDER BY n.created_at DESC, n.id DESC LIMIT :limit");
    auto q = Sql::prepare(m_db.connection(), sql);
    if (!q)
        return q.error();
    if (state)
        q.value().bindValue(QStringLiteral(":state"), toString(*state));
    q.value().bindValue(QStringLiteral(":limit"), limit);
    if (Status s = Sql::execPrepared(q.value()); !s)
        return s.error();
    QList<AnomalyListing> rows;
    while (q.value().next()) {
        AnomalyListing r;
        r.anomaly = read(q.value());
        r.orderNo = q.value().value(columnCount()).toString();
        r.orderAmountMinor = q.value().value(columnCount() + 1).toLongLong();
        rows << r;
    }
    return rows;
}

Result<QList<Anomaly>> AnomalyRepository::ofOrder(qint64 orderId)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + columns() + QStringLiteral(" FROM anomalies n WHERE n.order_id = :o ORDER BY n.id"),
                       {{":o", orderId}});
    if (!q)
        return q.error();
    QList<Anomaly> out;
    while (q.value().next())
        out << read(q.value());
    return out;
}

Status AnomalyRepository::resolve(QSqlDatabase &conn, qint64 id, const QString &by, const QString &resolution, qint64 at)
{
    return Sql::compareAndSet(conn, QStringLiteral("anomalies"), id, toString(AnomalyState::Open), toString(AnomalyState::Resolved),
                              {{QStringLiteral("resolved_by"), by}, {QStringLiteral("resolution"), resolution}, {QStringLiteral("resolved_at"), at}},
                              tr("The anomaly was already resolved."));
}

} // namespace paydesk
