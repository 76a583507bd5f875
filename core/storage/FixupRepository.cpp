#include "storage/FixupRepository.h"

namespace paydesk {

QString FixupRepository::select()
{
    return QStringLiteral(
        "SELECT f.id, f.kind, f.order_id, f.attempt_id, o.order_no, a.out_trade_no, a.channel, f.channel_txn_id, f.amount_minor, "
        "f.currency, f.reason, f.state, f.requested_by, f.requested_at, f.reviewed_by, f.reviewed_at, f.review_note, f.verification "
        "FROM fixups f JOIN orders o ON o.id = f.order_id JOIN payment_attempts a ON a.id = f.attempt_id");
}

Fixup FixupRepository::read(const QSqlQuery &q)
{
    Fixup f;
    f.id = q.value(0).toLongLong();
    f.kind = q.value(1).toString();
    f.orderId = q.value(2).toLongLong();
    f.attemptId = q.value(3).toLongLong();
    f.orderNo = q.value(4).toString();
    f.outTradeNo = q.value(5).toString();
    f.channel = fromString<ChannelKind>(q.value(6).toString()).value_or(ChannelKind::Sim);
    f.channelTxnId = q.value(7).toString();
    f.amountMinor = q.value(8).toLongLong();
    f.currency = q.value(9).toString();
    f.reason = q.value(10).toString();
    f.state = fromString<FixupState>(q.value(11).toString()).value_or(FixupState::Requested);
    f.requestedBy = q.value(12).toString();
    f.requestedAt = q.value(13).toLongLong();
    f.reviewedBy = q.value(14).toString();
    f.reviewedAt = q.value(15).toLongLong();
    f.reviewNote = q.value(16).toString();
    f.verification = fixupVerificationFrom(q.value(17).toString());
    return f;
}

Status FixupRepository::insert(QSqlDatabase &conn, Fixup &f)
{
    auto open = Sql::exec(conn, QStringLiteral("SELECT COUNT(*) FROM fixups WHERE attempt_id = :a AND state = 'REQUESTED'"),
                          {{":a", f.attemptId}});
    if (!open || !open.value().next())
        return open ? Error::storage(QStringLiteral("count failed")) : open.error();
    if (open.value().value(0).toLongLong() > 0)
        return Error::conflict(QStringLiteral("fixup.already_requested"),
                               tr("Payment %1 already has a fix-up waiting for review.").arg(f.outTradeNo));
    auto ins = Sql::exec(conn, QStringLiteral(
        "INSERT INTO fixups (kind, order_id, attempt_id, channel_txn_id, amount_minor, currency, reason, state, requested_by, requested_at) "
        "VALUES (:k, :o, :a, :t, :m, :c, :r, 'REQUESTED', :by, :at)"),
        {{":k", f.kind}, {":o", f.orderId}, {":a", f.attemptId}, {":t", f.channelTxnId}, {":m", f.amountMinor}, {":c", f.currency},
         {":r", f.reason}, {":by", f.requestedBy}, {":at", f.requestedAt}});
    if (!ins)
        return ins.error();
    auto id = Sql::exec(conn, QStringLiteral("SELECT id FROM fixups WHERE attempt_id = :a AND state = 'REQUESTED'"), {{":a", f.attemptId}});
    if (!id || !id.value().next())
        return id ? Error::storage(QStringLiteral("inserted fix-up vanished")) : id.error();
    f.id = id.value().value(0).toLongLong();
    f.state = FixupState::Requested;
    return {};
}

Result<Fixup> FixupRepository::byId(qint64 id)
{
    auto q = Sql::exec(m_db.connection(), select() + QStringLiteral(" WHERE f.id = :id"), {{":id", id}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return Error::notFound(QStringLiteral("fixup.not_found"), tr("There is no fix-up %1.").arg(id));
    return read(q.value());
}

Result<Fixup> FixupRepository::lock(Transaction &tx, qint64 id)
{
    // FOR UPDATE cannot stand beside the joins' nullable side on PostgreSQL: lock the row
    // itself first, then read it whole.
    auto l = Sql::exec(tx.connection(), QStringLiteral("SELECT id FROM fixups WHERE id = :id") + tx.database().forUpdate(), {{":id", id}});
    if (!l)
        return l.error();
    if (!l.value().next())
        return Error::notFound(QStringLiteral("fixup.not_found"), tr("There is no fix-up %1.").arg(id));
    auto q = Sql::exec(tx.connection(), select() + QStringLiteral(" WHERE f.id = :id"), {{":id", id}});
    if (!q || !q.value().next())
        return q ? Error::storage(QStringLiteral("locked fix-up vanished")) : q.error();
    return read(q.value());
}

Result<QList<Fixup>> FixupRepository::list(std::optional<FixupState> state, int limit)
{
    auto q = state ? Sql::exec(m_db.connection(), select() + QStringLiteral(" WHERE f.state = :s ORDER BY f.id DESC LIMIT :l"),
                               {{":s", toString(*state)}, {":l", limit}})
                   : Sql::exec(m_db.connection(), select() + QStringLiteral(" ORDER BY f.id DESC LIMIT :l"), {{":l", limit}});
    if (!q)
        return q.error();
    QList<Fixup> out;
    while (q.value().next())
        out << read(q.value());
    return out;
}

Result<QList<Fixup>> FixupRepository::ofOrder(qint64 orderId)
{
    auto q = Sql::exec(m_db.connection(), select() + QStringLiteral(" WHERE f.order_id = :o ORDER BY f.id"), {{":o", orderId}});
    if (!q)
        return q.error();
    QList<Fixup> out;
    while (q.value().next())
        out << read(q.value());
    return out;
}

Status FixupRepository::decide(QSqlDatabase &conn, qint64 id, FixupState to, const QString &by, qint64 at, const QString &note,
                               FixupVerification verification)
{
    if (to == FixupState::Requested)
        return Error::invalid(QStringLiteral("fixup.bad_decision"), tr("A fix-up is decided as applied or rejected."));
    return Sql::compareAndSet(conn, QStringLiteral("fixups"), id, toString(FixupState::Requested), toString(to),
                              {{QStringLiteral("reviewed_by"), by}, {QStringLiteral("reviewed_at"), at},
                               {QStringLiteral("review_note"), note}, {QStringLiteral("verification"), toString(verification)}},
                              tr("Fix-up %1 was decided by someone else first.").arg(id));
}

} // namespace paydesk
