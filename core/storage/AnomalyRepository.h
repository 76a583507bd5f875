#pragma once

#include "domain/Domain.h"
#include "storage/Database.h"

namespace paydesk {

/// An anomaly with the order it is about (none for one found only in a channel's bill).
struct AnomalyListing
{
    Anomaly anomaly;
    QString orderNo;
    qint64 orderAmountMinor = 0;
};

class AnomalyRepository final
{
    Q_DECLARE_TR_FUNCTIONS(AnomalyRepository)
public:
    explicit AnomalyRepository(Database &db) : m_db(db) {}

    static QString columns();
    /// How many columns columns() names (a query's own columns follow them).
    static constexpr int columnCount() { return 17; }
    static Anomaly read(const QSqlQuery &q, int first = 0);

    Status insert(QSqlDatabase &conn, Anomaly &a);
    /// Whether an OPEN anomaly of `kind` exists for the payment attempt (so one answer seen
    /// again opens nothing new).
    Result<bool> openFor(QSqlDatabase &conn, AnomalyKind kind, qint64 attemptId);
    Result<Anomaly> byId(qint64 id);
    /// Newest first; `state` nullopt for all.
    Result<QList<Anomaly>> list(std::optional<AnomalyState> state, int limit = 500);
    Result<QList<Anomaly>> ofOrder(qint64 orderId);
    /// Newest first with their orders (the Anomalies page); `state` nullopt for all.
    Result<QList<AnomalyListing>> listWithOrders(std::optional<AnomalyState> state, int limit = 1000);
    Status resolve(QSqlDatabase &conn, qint64 id, const QString &by, const QString &resolution, qint64 at);

private:
    Database &m_db;
};

} // namespace paydesk
