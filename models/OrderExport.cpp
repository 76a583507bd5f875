#include "OrderExport.h"

#include "domain/Money.h"
#include "util/Csv.h"

#include <QDateTime>
#include <QSaveFile>

namespace paydesk {

Result<qint64> OrderExport::toCsv(Database &db, OrderRepository &orders, OrderFilter filter, const QString &path,
                                  const std::function<void(qint64, qint64)> &progress, const std::atomic_bool *stop)
{
    const auto parts = orders.sqlFor(filter);
    QSqlDatabase conn = db.connection();
    qint64 total = 0;
    {
        auto c = Sql::prepare(conn, QStringLiteral("SELECT COUNT(*) FROM orders o") + parts.where);
        if (!c)
            return c.error();
        for (auto it = parts.binds.cbegin(); it != parts.binds.cend(); ++it)
            c.value().bindValue(it.key(), Sql::bindable(it.value()));
        if (Status s = Sql::execPrepared(c.value()); !s)
            return s.error();
        if (c.value().next())
            total = c.value().value(0).toLongLong();
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error::invalid(QStringLiteral("file.open"), tr("Cannot write %1: %2").arg(path, file.errorString()));
    QSqlQuery q(conn);
    q.setForwardOnly(true);
    if (!q.prepare(QStringLiteral("SELECT ") + OrderRepository::orderColumns() + QStringLiteral(" FROM orders o") + parts.where + parts.orderBy))
        return Sql::errorOf(q, QStringLiteral("export"));
    for (auto it = parts.binds.cbegin(); it != parts.binds.cend(); ++it)
        q.bindValue(it.key(), Sql::bindable(it.value()));
    if (Status s = Sql::execPrepared(q); !s)
        return s.error();
    file.write(kCsvUtf8Bom);
    file.write("order_no,created_at,title,buyer,amount,currency,state,close_reason,channel,refunded,expires_at,paid_at\n");
    qint64 done = 0;
    QString chunk;
    while (q.next()) {
        const Order o = OrderRepository::readOrder(q);
        const Currency cur = o.amount().currency();
        chunk += QStringList{csvTextCell(o.orderNo),
                             QDateTime::fromMSecsSinceEpoch(o.createdAt, Qt::UTC).toString(Qt::ISODateWithMs),
                             csvTextCell(o.title),
                             csvTextCell(o.buyer),
                             o.amount().toPlainString(),
                             o.currency,
                             toString(o.state),
                             toString(o.closeReason),
                             o.channel ? toString(*o.channel) : QString(),
                             Money(o.refundedMinor, cur).toPlainString(),
                             QDateTime::fromMSecsSinceEpoch(o.expiresAt, Qt::UTC).toString(Qt::ISODateWithMs),
                             o.paidAt > 0 ? QDateTime::fromMSecsSinceEpoch(o.paidAt, Qt::UTC).toString(Qt::ISODateWithMs) : QString()}
                     .join(u',');
        chunk += u'\n';
        if (++done % 5000 == 0) {
            file.write(chunk.toUtf8());
            chunk.clear();
            if (stop && stop->load()) {
                file.cancelWriting();
                return Error::conflict(QStringLiteral("export.cancelled"), tr("The export was cancelled; no file was written."));
            }
            if (progress)
                progress(done, total);
        }
    }
    file.write(chunk.toUtf8());
    if (!file.commit())
        return Error::invalid(QStringLiteral("file.write"), tr("Cannot write %1: %2").arg(path, file.errorString()));
    if (progress)
        progress(done, total);
    return done;
}

} // namespace paydesk
