#pragma once

#include "domain/Domain.h"
#include "storage/Database.h"

#include <QSet>
#include <QSqlQuery>
#include <QVariantMap>

#include <optional>

namespace paydesk {

/// What the orders table, the CLI and the timer ask for. Filtering and sorting run in SQL.
struct OrderFilter
{
    enum class Sort { CreatedAt, OrderNo, Amount, ExpiresAt, State, Title, Buyer };
    QList<OrderState> states;          ///< empty: any
    std::optional<ChannelKind> channel;
    qint64 createdFrom = 0;            ///< inclusive, ms; 0: open
    qint64 createdTo = 0;              ///< exclusive, ms; 0: open
    QString search;                    ///< order no, title or buyer (case-insensitive substring), or exactly any payment or refund id
    Sort sort = Sort::CreatedAt;
    bool descending = true;
    int limit = 100;
    qint64 offset = 0;
};

/// Orders and their payment attempts. Every state change is a compare-and-set checked
/// against the transition table.
class OrderRepository final
{
    Q_DECLARE_TR_FUNCTIONS(OrderRepository)
public:
    explicit OrderRepository(Database &db) : m_db(db) {}

    static QString orderColumns();
    static Order readOrder(const QSqlQuery &q, int first = 0);
    static QString attemptColumns();
    static PaymentAttempt readAttempt(const QSqlQuery &q, int first = 0);
    static QString searchTextOf(const Order &o);

    /// Inserts and fills in o.id. Runs inside the caller's transaction.
    Status insert(QSqlDatabase &conn, Order &o);
    Status insertAttempt(QSqlDatabase &conn, PaymentAttempt &a);

    Result<Order> byNo(const QString &orderNo);
    Result<Order> byId(qint64 id);
    Result<QList<Order>> list(const OrderFilter &filter);
    Result<qint64> count(const OrderFilter &filter);
    /// When the first order of these books was made (0 for empty books): the timer does not
    /// reconcile days before it.
    Result<qint64> firstCreatedAt();
    Result<QList<PaymentAttempt>> attemptsOf(qint64 orderId);
    Result<PaymentAttempt> attemptByOutTradeNo(const QString &outTradeNo);
    /// The order one of its ids names exactly: a payment's out_trade_no or the channel's
    /// transaction id, a refund's out_refund_no or the channel's refund id (what a customer's
    /// receipt or a channel's bill shows). Our own numbers are matched in any case. Empty when
    /// nothing matches; every lookup is one index probe (migration 011).
    Result<std::optional<qint64>> orderIdOfAnyId(const QString &id);

    /// The late look (LateLook): finished payments (CLOSED or FAILED) with a look still due,
    /// next_query_at in 1..nowMs, soonest first. Only a "did not exist" answer leaves one
    /// (Reconciler::lateLookAt); every other finish writes next_query_at = 0.
    Result<QList<PaymentAttempt>> dueLateLooks(qint64 nowMs, int limit);
    /// When the next late look falls due (0: none).
    Result<qint64> nextLateLookAt();
    /// Moves a finished payment's late look to `atMs` (0: done). Nothing for an open one.
    Status setLateLook(qint64 attemptId, qint64 atMs);

    /// UPDATE orders SET state=:to (and `sets`) WHERE id=:id AND state=:from.
    /// Conflict when zero rows changed (someone else moved it first); illegal transitions are
    /// refused before touching the database.
    Status casOrder(QSqlDatabase &conn, qint64 id, OrderState from, OrderState to, const QVariantMap &sets = {});
    Status casAttempt(QSqlDatabase &conn, qint64 id, AttemptState from, AttemptState to, const QVariantMap &sets = {});

    /// The one close of orders: PENDING -> CLOSED with `reason` and `atMs`, for the counter's
    /// close, the timer's expiry one by one and its batch of a thousand alike. Only rows still
    /// PENDING change (a compare-and-set per row); returns the ids it closed, the others were
    /// paid or closed by someone else first. The caller audits what it closed.
    Result<QSet<qint64>> closeOrders(QSqlDatabase &conn, const QList<qint64> &ids, CloseReason reason, qint64 atMs);
    /// The batch form of casAttempt(open -> CLOSED) for payments the channel says are closed:
    /// last_error records the channel's word, nothing more is due. Returns the ids it closed.
    Result<QSet<qint64>> closeAttempts(QSqlDatabase &conn, const QList<qint64> &ids, const QString &channelState);

    /// Builds WHERE/ORDER BY for a filter; shared with the windowed table model.
    struct SqlParts
    {
        QString where;
        QString orderBy;
        QVariantMap binds;
    };
    SqlParts sqlFor(const OrderFilter &filter) const;

private:
    Database &m_db;
};

/// New identifiers: unique per database, safe for every channel's character rules (WeChat:
/// 6-32 of [0-9A-Za-z_-|*@]; Alipay out_trade_no: [A-Za-z0-9_]{1,64}).
namespace Ids {
QString newOrderNo(qint64 nowMs);
/// "PD2026...0001_02": the order number, '_', the attempt's index (two digits at least).
/// Attempts made before migration 009 were numbered "PD...-02"; they keep their numbers (the
/// channel knows them by those) and are read by orderNoOf / attemptIndexOf alike.
QString outTradeNo(const QString &orderNo, int attemptIndex);
/// The order part of an attempt number in either form ("PD..._02" or the older "PD...-02");
/// empty when it is neither.
QString orderNoOf(const QString &outTradeNo);
/// Its attempt index, 0 when it is not an attempt number.
int attemptIndexOf(const QString &outTradeNo);
QString outRefundNo(const QString &orderNo, int refundIndex);
} // namespace Ids

} // namespace paydesk
