#include "storage/AnomalyRepository.h"

namespace paydesk {

QString AnomalyRepository::columns()
{
    return QStringLiteral("n.id, n.kind, n.order_id, n.attempt_id, n.refund_id, n.state, n.details, n.resolution, n.resolved_by, "
                          "n.created_at, n.resolved_at");
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
    auto q = Sql::exec(conn, QStringLiteral("INSERT INTO anomalies (kind, order_id, attempt_id, refund_id, state, details, created_at) "
                                            "VALUES (:k, :o, :a, :r, 'OPEN', :d, :t)"),
                       {{":k", toString(a.kind)}, {":o", a.orderId}, {":a", a.attemptId > 0 ? QVariant(a.attemptId) : QVariant()},
                        {":r", a.refundId > 0 ? QVariant(a.refundId) : QVariant()}, {":d", a.details}, {":t", a.createdAt}});
    if (!q)
        return q.error();
    auto id = Sql::exec(conn, QStringLiteral("SELECT MAX(id) FROM anomalies WHERE order_id = :o AND kind = :k"),
                        {{":o", a.orderId}, {":k", toString(a.kind)}});
    if (!id || !id.value().next())
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
