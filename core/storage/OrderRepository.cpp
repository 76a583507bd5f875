#include "storage/OrderRepository.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <QSqlRecord>

namespace paydesk {

QString OrderRepository::orderColumns()
{
    return QStringLiteral("o.id, o.order_no, o.title, o.buyer, o.amount_minor, o.currency, o.state, o.close_reason, "
                          "o.channel, o.refunded_minor, o.created_at, o.expires_at, o.paid_at, o.closed_at, o.created_by");
}

Order OrderRepository::readOrder(const QSqlQuery &q, int f)
{
    Order o;
    o.id = q.value(f + 0).toLongLong();
    o.orderNo = q.value(f + 1).toString();
    o.title = q.value(f + 2).toString();
    o.buyer = q.value(f + 3).toString();
    o.amountMinor = q.value(f + 4).toLongLong();
    o.currency = q.value(f + 5).toString();
    o.state = fromString<OrderState>(q.value(f + 6).toString()).value_or(OrderState::Pending);
    o.closeReason = fromString<CloseReason>(q.value(f + 7).toString()).value_or(CloseReason::None);
    const QString ch = q.value(f + 8).toString();
    if (!ch.isEmpty())
        o.channel = fromString<ChannelKind>(ch);
    o.refundedMinor = q.value(f + 9).toLongLong();
    o.createdAt = q.value(f + 10).toLongLong();
    o.expiresAt = q.value(f + 11).toLongLong();
    o.paidAt = q.value(f + 12).toLongLong();
    o.closedAt = q.value(f + 13).toLongLong();
    o.createdBy = q.value(f + 14).toString();
    return o;
}

QString OrderRepository::attemptColumns()
{
    return QStringLiteral("a.id, a.order_id, a.out_trade_no, a.channel, a.amount_minor, a.currency, a.state, a.created_at, "
                          "a.expires_at, a.code_url, a.channel_txn_id, a.paid_at, a.next_query_at, a.query_count, a.last_error");
}

PaymentAttempt OrderRepository::readAttempt(const QSqlQuery &q, int f)
{
    PaymentAttempt a;
    a.id = q.value(f + 0).toLongLong();
    a.orderId = q.value(f + 1).toLongLong();
    a.outTradeNo = q.value(f + 2).toString();
    a.channel = fromString<ChannelKind>(q.value(f + 3).toString()).value_or(ChannelKind::Sim);
    a.amountMinor = q.value(f + 4).toLongLong();
    a.currency = q.value(f + 5).toString();
    a.state = fromString<AttemptState>(q.value(f + 6).toString()).value_or(AttemptState::Created);
    a.createdAt = q.value(f + 7).toLongLong();
    a.expiresAt = q.value(f + 8).toLongLong();
    a.codeUrl = q.value(f + 9).toString();
    a.channelTxnId = q.value(f + 10).toString();
    a.paidAt = q.value(f + 11).toLongLong();
    a.nextQueryAt = q.value(f + 12).toLongLong();
    a.queryCount = q.value(f + 13).toInt();
    a.lastError = q.value(f + 14).toString();
    return a;
}

QString OrderRepository::searchTextOf(const Order &o)
{
    return (o.orderNo + u' ' + o.title + u' ' + o.buyer).toLower();
}

Status OrderRepository::insert(QSqlDatabase &conn, Order &o)
{
    auto q = Sql::exec(conn, QStringLiteral(
        "INSERT INTO orders (order_no, title, buyer, amount_minor, currency, state, close_reason, channel, refunded_minor, "
        "created_at, expires_at, paid_at, closed_at, created_by, search_text) VALUES "
        "(:no, :title, :buyer, :amount, :cur, :state, :reason, :channel, :refunded, :created, :expires, :paid, :closed, :by, :search)"),
        {{":no", o.orderNo}, {":title", o.title}, {":buyer", o.buyer}, {":amount", o.amountMinor}, {":cur", o.currency},
         {":state", toString(o.state)}, {":reason", toString(o.closeReason)},
         {":channel", o.channel ? QVariant(toString(*o.channel)) : QVariant()},
         {":refunded", o.refundedMinor}, {":created", o.createdAt}, {":expires", o.expiresAt}, {":paid", o.paidAt},
         {":closed", o.closedAt}, {":by", o.createdBy}, {":search", searchTextOf(o)}});
    if (!q)
        return q.error();
    auto id = Sql::exec(conn, QStringLiteral("SELECT id FROM orders WHERE order_no = :no"), {{":no", o.orderNo}});
    if (!id || !id.value().next())
        return id ? Error::storage(QStringLiteral("inserted order vanished")) : id.error();
    o.id = id.value().value(0).toLongLong();
    return {};
}

Status OrderRepository::insertAttempt(QSqlDatabase &conn, PaymentAttempt &a)
{
    auto q = Sql::exec(conn, QStringLiteral(
        "INSERT INTO payment_attempts (order_id, out_trade_no, channel, amount_minor, currency, state, created_at, expires_at, "
        "code_url, channel_txn_id, paid_at, next_query_at, query_count, last_error) VALUES "
        "(:order, :otn, :channel, :amount, :cur, :state, :created, :expires, :code, :txn, :paid, :nq, :qc, :err)"),
        {{":order", a.orderId}, {":otn", a.outTradeNo}, {":channel", toString(a.channel)}, {":amount", a.amountMinor},
         {":cur", a.currency}, {":state", toString(a.state)}, {":created", a.createdAt}, {":expires", a.expiresAt},
         {":code", a.codeUrl}, {":txn", a.channelTxnId}, {":paid", a.paidAt}, {":nq", a.nextQueryAt},
         {":qc", a.queryCount}, {":err", a.lastError}});
    if (!q)
        return q.error();
    auto id = Sql::exec(conn, QStringLiteral("SELECT id FROM payment_attempts WHERE out_trade_no = :otn"), {{":otn", a.outTradeNo}});
    if (!id || !id.value().next())
        return id ? Error::storage(QStringLiteral("inserted attempt vanished")) : id.error();
    a.id = id.value().value(0).toLongLong();
    return {};
}

Result<Order> OrderRepository::byNo(const QString &orderNo)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + orderColumns() + QStringLiteral(" FROM orders o WHERE o.order_no = :no"),
                       {{":no", orderNo}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return Error::notFound(QStringLiteral("order.not_found"), tr("There is no order %1.").arg(orderNo));
    return readOrder(q.value());
}

Result<Order> OrderRepository::byId(qint64 id)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + orderColumns() + QStringLiteral(" FROM orders o WHERE o.id = :id"),
                       {{":id", id}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return Error::notFound(QStringLiteral("order.not_found"), tr("There is no order with id %1.").arg(id));
    return readOrder(q.value());
}

OrderRepository::SqlParts OrderRepository::sqlFor(const OrderFilter &f) const
{
    SqlParts p;
    QStringList where;
    if (!f.states.isEmpty()) {
        QStringList names;
        for (int i = 0; i < f.states.size(); ++i) {
            const QString key = QStringLiteral(":st%1").arg(i);
            names << key;
            p.binds.insert(key, toString(f.states[i]));
        }
        where << QStringLiteral("o.state IN (") + names.join(u',') + u')';
    }
    if (f.channel) {
        where << QStringLiteral("o.channel = :channel");
        p.binds.insert(QStringLiteral(":channel"), toString(*f.channel));
    }
    if (f.createdFrom > 0) {
        where << QStringLiteral("o.created_at >= :from");
        p.binds.insert(QStringLiteral(":from"), f.createdFrom);
    }
    if (f.createdTo > 0) {
        where << QStringLiteral("o.created_at < :to");
        p.binds.insert(QStringLiteral(":to"), f.createdTo);
    }
    const QString needle = f.search.trimmed().toLower();
    if (!needle.isEmpty()) {
        if (m_db.dialect() == Database::Dialect::SQLite && needle.size() >= 3) {
            // FTS5 trigram index: a quoted phrase matches any substring of 3+ characters.
            QString phrase = needle;
            phrase.replace(u'"', QStringLiteral("\"\""));
            where << QStringLiteral("o.id IN (SELECT rowid FROM orders_fts WHERE orders_fts MATCH :fts)");
            p.binds.insert(QStringLiteral(":fts"), QString(u'"' + phrase + u'"'));
        } else {
            QString escaped = needle;
            escaped.replace(u'\\', QStringLiteral("\\\\")).replace(u'%', QStringLiteral("\\%")).replace(u'_', QStringLiteral("\\_"));
            where << QStringLiteral("o.search_text LIKE :like ESCAPE '\\'");
            p.binds.insert(QStringLiteral(":like"), QString(u'%' + escaped + u'%'));
        }
    }
    p.where = where.isEmpty() ? QString() : QStringLiteral(" WHERE ") + where.join(QStringLiteral(" AND "));
    QString col;
    switch (f.sort) {
    case OrderFilter::Sort::CreatedAt: col = QStringLiteral("o.created_at"); break;
    case OrderFilter::Sort::OrderNo: col = QStringLiteral("o.order_no"); break;
    case OrderFilter::Sort::Amount: col = QStringLiteral("o.amount_minor"); break;
    case OrderFilter::Sort::ExpiresAt: col = QStringLiteral("o.expires_at"); break;
    case OrderFilter::Sort::State: col = QStringLiteral("o.state"); break;
    case OrderFilter::Sort::Title: col = QStringLiteral("o.title"); break;
    case OrderFilter::Sort::Buyer: col = QStringLiteral("o.buyer"); break;
    }
    const QString dir = f.descending ? QStringLiteral(" DESC") : QStringLiteral(" ASC");
    p.orderBy = QStringLiteral(" ORDER BY %1%2, o.id%2").arg(col, dir);
    return p;
}

Result<std::optional<qint64>> OrderRepository::orderIdOfAnyId(const QString &id)
{
    const QString raw = id.trimmed();
    if (raw.isEmpty())
        return std::optional<qint64>();
    auto q = Sql::prepare(m_db.connection(), QStringLiteral(
        "SELECT order_id FROM payment_attempts WHERE out_trade_no = :ours_a OR channel_txn_id = :theirs_a "
        "UNION ALL SELECT order_id FROM refunds WHERE out_refund_no = :ours_r OR channel_refund_id = :theirs_r LIMIT 1"));
    if (!q)
        return q.error();
    q.value().bindValue(QStringLiteral(":ours_a"), raw.toUpper());
    q.value().bindValue(QStringLiteral(":theirs_a"), raw);
    q.value().bindValue(QStringLiteral(":ours_r"), raw.toUpper());
    q.value().bindValue(QStringLiteral(":theirs_r"), raw);
    if (Status s = Sql::execPrepared(q.value()); !s)
        return s.error();
    if (!q.value().next())
        return std::optional<qint64>();
    return std::optional<qint64>(q.value().value(0).toLongLong());
}

Result<QList<Order>> OrderRepository::list(const OrderFilter &f)
{
    const SqlParts p = sqlFor(f);
    auto q = Sql::prepare(m_db.connection(), QStringLiteral("SELECT ") + orderColumns() + QStringLiteral(" FROM orders o")
                                                 + p.where + p.orderBy + QStringLiteral(" LIMIT :limit OFFSET :offset"));
    if (!q)
        return q.error();
    for (auto it = p.binds.cbegin(); it != p.binds.cend(); ++it)
        q.value().bindValue(it.key(), Sql::bindable(it.value()));
    q.value().bindValue(QStringLiteral(":limit"), f.limit);
    q.value().bindValue(QStringLiteral(":offset"), f.offset);
    if (Status s = Sql::execPrepared(q.value()); !s)
        return s.error();
    QList<Order> out;
    while (q.value().next())
        out << readOrder(q.value());
    return out;
}

Result<qint64> OrderRepository::firstCreatedAt()
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT MIN(created_at) FROM orders"));
    if (!q)
        return q.error();
    return q.value().next() ? q.value().value(0).toLongLong() : qint64(0);
}

namespace {
// The late look's rows; migration 010's partial index has the same predicate.
const QString kLateLookRows = QStringLiteral("state IN ('CLOSED', 'FAILED') AND next_query_at > 0");
} // namespace

Result<QList<PaymentAttempt>> OrderRepository::dueLateLooks(qint64 nowMs, int limit)
{
    auto q = Sql::exec(m_db.connection(),
                       QStringLiteral("SELECT ") + attemptColumns() + QStringLiteral(" FROM payment_attempts a WHERE ") + kLateLookRows
                           + QStringLiteral(" AND next_query_at <= :now ORDER BY next_query_at, id LIMIT :n"),
                       {{":now", nowMs}, {":n", limit}});
    if (!q)
        return q.error();
    QList<PaymentAttempt> out;
    while (q.value().next())
        out << readAttempt(q.value());
    return out;
}

Result<qint64> OrderRepository::nextLateLookAt()
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT MIN(next_query_at) FROM payment_attempts WHERE ") + kLateLookRows);
    if (!q)
        return q.error();
    return q.value().next() ? q.value().value(0).toLongLong() : qint64(0);
}

Status OrderRepository::setLateLook(qint64 attemptId, qint64 atMs)
{
    auto q = Sql::exec(m_db.connection(),
                       QStringLiteral("UPDATE payment_attempts SET next_query_at = :at WHERE id = :id AND state IN ('CLOSED', 'FAILED')"),
                       {{":at", atMs}, {":id", attemptId}});
    return q ? Status() : Status(q.error());
}

Result<qint64> OrderRepository::count(const OrderFilter &f)
{
    const SqlParts p = sqlFor(f);
    auto q = Sql::prepare(m_db.connection(), QStringLiteral("SELECT COUNT(*) FROM orders o") + p.where);
    if (!q)
        return q.error();
    for (auto it = p.binds.cbegin(); it != p.binds.cend(); ++it)
        q.value().bindValue(it.key(), Sql::bindable(it.value()));
    if (Status s = Sql::execPrepared(q.value()); !s)
        return s.error();
    q.value().next();
    return q.value().value(0).toLongLong();
}

Result<QList<PaymentAttempt>> OrderRepository::attemptsOf(qint64 orderId)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + attemptColumns()
                                              + QStringLiteral(" FROM payment_attempts a WHERE a.order_id = :o ORDER BY a.id"),
                       {{":o", orderId}});
    if (!q)
        return q.error();
    QList<PaymentAttempt> out;
    while (q.value().next())
        out << readAttempt(q.value());
    return out;
}

Result<PaymentAttempt> OrderRepository::attemptByOutTradeNo(const QString &outTradeNo)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT ") + attemptColumns()
                                              + QStringLiteral(" FROM payment_attempts a WHERE a.out_trade_no = :n"),
                       {{":n", outTradeNo}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return Error::notFound(QStringLiteral("attempt.not_found"), tr("There is no payment %1.").arg(outTradeNo));
    return readAttempt(q.value());
}

Status OrderRepository::casOrder(QSqlDatabase &conn, qint64 id, OrderState from, OrderState to, const QVariantMap &sets)
{
    if (Status s = Transitions::check(from, to); !s)
        return s;
    return Sql::compareAndSet(conn, QStringLiteral("orders"), id, toString(from), toString(to), sets,
                              tr("The order is no longer %1: someone else changed it first.").arg(toString(from)));
}

Status OrderRepository::casAttempt(QSqlDatabase &conn, qint64 id, AttemptState from, AttemptState to, const QVariantMap &sets)
{
    if (Status s = Transitions::check(from, to); !s)
        return s;
    return Sql::compareAndSet(conn, QStringLiteral("payment_attempts"), id, toString(from), toString(to), sets,
                              tr("The payment is no longer %1: someone else changed it first.").arg(toString(from)));
}

namespace {
QSet<qint64> returnedIds(QSqlQuery &q)
{
    QSet<qint64> ids;
    while (q.next())
        ids.insert(q.value(0).toLongLong());
    q.finish();
    return ids;
}
} // namespace

Result<QSet<qint64>> OrderRepository::closeOrders(QSqlDatabase &conn, const QList<qint64> &ids, CloseReason reason, qint64 atMs)
{
    if (Status s = Transitions::check(OrderState::Pending, OrderState::Closed); !s)
        return s.error();
    if (ids.isEmpty())
        return QSet<qint64>();
    auto q = Sql::exec(conn, QStringLiteral("UPDATE orders SET state = 'CLOSED', close_reason = :r, closed_at = :c "
                                            "WHERE id IN (%1) AND %2state = 'PENDING' RETURNING id")
                                 .arg(Sql::idList(ids), Sql::byKeyOnly(m_db.dialect())),
                       {{":r", toString(reason)}, {":c", atMs}});
    if (!q)
        return q.error();
    return returnedIds(q.value());
}

Result<QSet<qint64>> OrderRepository::closeAttempts(QSqlDatabase &conn, const QList<qint64> &ids, const QString &channelState)
{
    if (Status s = Transitions::check(AttemptState::Paying, AttemptState::Closed); !s)
        return s.error();
    if (ids.isEmpty())
        return QSet<qint64>();
    auto q = Sql::exec(conn, QStringLiteral("UPDATE payment_attempts SET state = 'CLOSED', next_query_at = 0, last_error = :e "
                                            "WHERE id IN (%1) AND %2state IN ('CREATED', 'PAYING') RETURNING id")
                                 .arg(Sql::idList(ids), Sql::byKeyOnly(m_db.dialect())),
                       {{":e", channelState}});
    if (!q)
        return q.error();
    return returnedIds(q.value());
}

namespace Ids {
QString newOrderNo(qint64 nowMs)
{
    const QString date = QDateTime::fromMSecsSinceEpoch(nowMs, Qt::UTC).toString(QStringLiteral("yyyyMMdd"));
    const quint64 r = QRandomGenerator::system()->bounded(quint64(10'000'000'000ULL));
    return QStringLiteral("PD") + date + QString::number(r).rightJustified(10, u'0');
}
QString outTradeNo(const QString &orderNo, int attemptIndex)
{
    return orderNo + u'_' + QString::number(attemptIndex).rightJustified(2, u'0');
}
namespace {
/// Where the attempt suffix ([_-] and two or more digits) starts, or -1.
qsizetype attemptSuffix(const QString &outTradeNo)
{
    qsizetype i = outTradeNo.size();
    while (i > 0 && outTradeNo[i - 1].isDigit() && outTradeNo[i - 1].unicode() < 128)
        --i;
    const qsizetype digitCount = outTradeNo.size() - i;
    if (digitCount < 2 || i < 2 || (outTradeNo[i - 1] != u'_' && outTradeNo[i - 1] != u'-'))
        return -1;
    return i - 1;
}
} // namespace
QString orderNoOf(const QString &outTradeNo)
{
    const qsizetype at = attemptSuffix(outTradeNo);
    return at < 0 ? QString() : outTradeNo.left(at);
}
int attemptIndexOf(const QString &outTradeNo)
{
    const qsizetype at = attemptSuffix(outTradeNo);
    return at < 0 ? 0 : outTradeNo.mid(at + 1).toInt();
}
QString outRefundNo(const QString &orderNo, int refundIndex)
{
    return u'R' + orderNo.mid(2) + u'-' + QString::number(refundIndex).rightJustified(2, u'0');
}
} // namespace Ids

} // namespace paydesk
