#include "storage/ClosingRepository.h"

#include "domain/Money.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace paydesk {

namespace {
const ChannelKind kChannels[] = {ChannelKind::WeChat, ChannelKind::Alipay, ChannelKind::Sim};
}

QString toString(Closing::Kind k) { return k == Closing::Kind::Day ? QStringLiteral("DAY") : QStringLiteral("SHIFT"); }

qint64 ClosingTotals::paidMinor() const
{
    qint64 sum = 0;
    for (const Channel &c : channels)
        sum += c.paidMinor;
    return sum;
}

qint64 ClosingTotals::refundedMinor() const
{
    qint64 sum = 0;
    for (const Channel &c : channels)
        sum += c.refundedMinor;
    return sum;
}

QJsonObject ClosingTotals::toJson() const
{
    QJsonArray arr;
    for (const Channel &c : channels)
        arr.append(QJsonObject{{QStringLiteral("channel"), toString(c.channel)},
                               {QStringLiteral("payments"), c.payments},
                               {QStringLiteral("paid"), minorToPlain(c.paidMinor, 2)},
                               {QStringLiteral("paid_minor"), c.paidMinor},
                               {QStringLiteral("refunds"), c.refunds},
                               {QStringLiteral("refunded"), minorToPlain(c.refundedMinor, 2)},
                               {QStringLiteral("refunded_minor"), c.refundedMinor}});
    return {{QStringLiteral("channels"), arr},
            {QStringLiteral("paid"), minorToPlain(paidMinor(), 2)},
            {QStringLiteral("refunded"), minorToPlain(refundedMinor(), 2)},
            {QStringLiteral("net"), minorToPlain(netMinor(), 2)},
            {QStringLiteral("pending_orders"), pendingOrders},
            {QStringLiteral("pending"), minorToPlain(pendingMinor, 2)},
            {QStringLiteral("pending_minor"), pendingMinor}};
}

ClosingTotals ClosingTotals::fromJson(const QJsonObject &o)
{
    ClosingTotals t;
    for (const QJsonValue &v : o.value(QStringLiteral("channels")).toArray()) {
        const QJsonObject c = v.toObject();
        Channel ch;
        ch.channel = fromString<ChannelKind>(c.value(QStringLiteral("channel")).toString()).value_or(ChannelKind::Sim);
        ch.payments = c.value(QStringLiteral("payments")).toInteger();
        ch.paidMinor = c.value(QStringLiteral("paid_minor")).toInteger();
        ch.refunds = c.value(QStringLiteral("refunds")).toInteger();
        ch.refundedMinor = c.value(QStringLiteral("refunded_minor")).toInteger();
        t.channels << ch;
    }
    t.pendingOrders = o.value(QStringLiteral("pending_orders")).toInteger();
    t.pendingMinor = o.value(QStringLiteral("pending_minor")).toInteger();
    return t;
}

Result<ClosingTotals> ClosingRepository::totals(const QSqlDatabase &conn, qint64 fromMs, qint64 toMs, const QString &createdBy)
{
    const QString who = createdBy.isEmpty() ? QString() : QStringLiteral(" AND o.created_by = :by");
    auto bindAll = [&](QSqlQuery &q) {
        q.bindValue(QStringLiteral(":f"), fromMs);
        q.bindValue(QStringLiteral(":t"), toMs);
        if (!createdBy.isEmpty())
            q.bindValue(QStringLiteral(":by"), createdBy);
    };
    ClosingTotals out;
    for (ChannelKind k : kChannels)
        out.channels.append({k, 0, 0, 0, 0});
    auto slot = [&out](const QString &channel) -> ClosingTotals::Channel * {
        for (ClosingTotals::Channel &c : out.channels)
            if (toString(c.channel) == channel)
                return &c;
        return nullptr;
    };
    auto paid = Sql::prepare(conn, QStringLiteral("SELECT a.channel, COUNT(*), COALESCE(SUM(a.amount_minor), 0) FROM payment_attempts a "
                                                  "JOIN orders o ON o.id = a.order_id WHERE a.state = 'SUCCEEDED' AND a.paid_at >= :f "
                                                  "AND a.paid_at < :t") + who + QStringLiteral(" GROUP BY a.channel"));
    if (!paid)
        return paid.error();
    bindAll(paid.value());
    if (Status s = Sql::execPrepared(paid.value()); !s)
        return s.error();
    while (paid.value().next())
        if (auto *c = slot(paid.value().value(0).toString())) {
            c->payments = paid.value().value(1).toLongLong();
            c->paidMinor = paid.value().value(2).toLongLong();
        }
    auto refunded = Sql::prepare(conn, QStringLiteral("SELECT a.channel, COUNT(*), COALESCE(SUM(r.amount_minor), 0) FROM refunds r "
                                                      "JOIN payment_attempts a ON a.id = r.attempt_id JOIN orders o ON o.id = r.order_id "
                                                      "WHERE r.state = 'SUCCEEDED' AND r.completed_at >= :f AND r.completed_at < :t")
                                           + who + QStringLiteral(" GROUP BY a.channel"));
    if (!refunded)
        return refunded.error();
    bindAll(refunded.value());
    if (Status s = Sql::execPrepared(refunded.value()); !s)
        return s.error();
    while (refunded.value().next())
        if (auto *c = slot(refunded.value().value(0).toString())) {
            c->refunds = refunded.value().value(1).toLongLong();
            c->refundedMinor = refunded.value().value(2).toLongLong();
        }
    auto pending = Sql::prepare(conn, QStringLiteral("SELECT COUNT(*), COALESCE(SUM(o.amount_minor), 0) FROM orders o WHERE o.state = 'PENDING'")
                                          + (createdBy.isEmpty() ? QString() : QStringLiteral(" AND o.created_by = :by")));
    if (!pending)
        return pending.error();
    if (!createdBy.isEmpty())
        pending.value().bindValue(QStringLiteral(":by"), createdBy);
    if (Status s = Sql::execPrepared(pending.value()); !s)
        return s.error();
    if (pending.value().next()) {
        out.pendingOrders = pending.value().value(0).toLongLong();
        out.pendingMinor = pending.value().value(1).toLongLong();
    }
    return out;
}

Status ClosingRepository::insert(QSqlDatabase &conn, Closing &c)
{
    auto q = Sql::exec(conn, QStringLiteral("INSERT INTO closings (kind, login, business_date, from_ms, to_ms, totals, closed_by, closed_at) "
                                            "VALUES (:k, :l, :d, :f, :t, :j, :by, :at)"),
                       {{":k", toString(c.kind)}, {":l", c.login}, {":d", c.businessDate.toString(Qt::ISODate)}, {":f", c.fromMs},
                        {":t", c.toMs}, {":j", QString::fromUtf8(QJsonDocument(c.totals.toJson()).toJson(QJsonDocument::Compact))},
                        {":by", c.closedBy}, {":at", c.closedAt}});
    if (!q)
        return q.error().code == QStringLiteral("storage") && c.kind == Closing::Kind::Day
            ? Error::conflict(QStringLiteral("closing.day_closed"), tr("%1 is closed already.").arg(c.businessDate.toString(Qt::ISODate)))
            : q.error();
    auto id = Sql::exec(conn, QStringLiteral("SELECT MAX(id) FROM closings WHERE closed_by = :by AND closed_at = :at"),
                        {{":by", c.closedBy}, {":at", c.closedAt}});
    if (!id || !id.value().next())
        return id ? Error::storage(QStringLiteral("inserted closing vanished")) : id.error();
    c.id = id.value().value(0).toLongLong();
    return {};
}

Result<qint64> ClosingRepository::lastShiftEnd(const QSqlDatabase &conn, const QString &login)
{
    auto q = Sql::exec(conn, QStringLiteral("SELECT COALESCE(MAX(to_ms), 0) FROM closings WHERE kind = 'SHIFT' AND login = :l"), {{":l", login}});
    if (!q || !q.value().next())
        return q ? Error::storage(QStringLiteral("no row")) : q.error();
    return q.value().value(0).toLongLong();
}

Closing ClosingRepository::read(const QSqlQuery &q)
{
    Closing c;
    c.id = q.value(0).toLongLong();
    c.kind = q.value(1).toString() == QStringLiteral("DAY") ? Closing::Kind::Day : Closing::Kind::Shift;
    c.login = q.value(2).toString();
    c.businessDate = QDate::fromString(q.value(3).toString(), Qt::ISODate);
    c.fromMs = q.value(4).toLongLong();
    c.toMs = q.value(5).toLongLong();
    c.totals = ClosingTotals::fromJson(QJsonDocument::fromJson(q.value(6).toString().toUtf8()).object());
    c.closedBy = q.value(7).toString();
    c.closedAt = q.value(8).toLongLong();
    return c;
}

Result<std::optional<Closing>> ClosingRepository::dayClosing(const QDate &date)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT id, kind, login, business_date, from_ms, to_ms, totals, closed_by, closed_at "
                                                         "FROM closings WHERE kind = 'DAY' AND business_date = :d"),
                       {{":d", date.toString(Qt::ISODate)}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return std::optional<Closing>();
    return std::optional<Closing>(read(q.value()));
}

Result<QList<Closing>> ClosingRepository::list(int limit)
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT id, kind, login, business_date, from_ms, to_ms, totals, closed_by, closed_at "
                                                         "FROM closings ORDER BY id DESC LIMIT :l"),
                       {{":l", limit}});
    if (!q)
        return q.error();
    QList<Closing> out;
    while (q.value().next())
        out << read(q.value());
    return out;
}

} // namespace paydesk
