#pragma once

#include "domain/Domain.h"
#include "storage/Database.h"

#include <QDate>
#include <QJsonObject>

#include <optional>

namespace paydesk {

/// What a shift or day report counts: per channel the payments taken and the refunds paid
/// back in the window, and the orders still waiting for payment.
struct ClosingTotals
{
    struct Channel
    {
        ChannelKind channel = ChannelKind::Sim;
        qint64 payments = 0;
        qint64 paidMinor = 0;
        qint64 refunds = 0;
        qint64 refundedMinor = 0;
    };
    QList<Channel> channels; ///< every channel, in a fixed order (WeChat, Alipay, simulator)
    qint64 pendingOrders = 0;
    qint64 pendingMinor = 0;

    qint64 paidMinor() const;
    qint64 refundedMinor() const;
    qint64 netMinor() const { return paidMinor() - refundedMinor(); }
    QJsonObject toJson() const;
    static ClosingTotals fromJson(const QJsonObject &o);
};

/// A closed shift or day (migration 013), kept as it was closed.
struct Closing
{
    enum class Kind { Shift, Day };
    qint64 id = 0;
    Kind kind = Kind::Shift;
    QString login;       ///< a shift's clerk
    QDate businessDate;  ///< the day (Beijing) the window ends in
    qint64 fromMs = 0;
    qint64 toMs = 0;
    ClosingTotals totals;
    QString closedBy;
    qint64 closedAt = 0; ///< 0 for a report not closed yet (a preview)
};
QString toString(Closing::Kind k);

/// Closings and the sums behind them. All SQL of shift and day reports lives here.
class ClosingRepository final
{
    Q_DECLARE_TR_FUNCTIONS(ClosingRepository)
public:
    explicit ClosingRepository(Database &db) : m_db(db) {}

    /// Sums of the window [fromMs, toMs): payments that succeeded and refunds that were paid
    /// back in it, by the payment's channel; and orders pending now. `createdBy` non-empty:
    /// only orders that login took.
    static Result<ClosingTotals> totals(const QSqlDatabase &conn, qint64 fromMs, qint64 toMs, const QString &createdBy);
    Result<ClosingTotals> totals(qint64 fromMs, qint64 toMs, const QString &createdBy) { return totals(m_db.connection(), fromMs, toMs, createdBy); }

    Status insert(QSqlDatabase &conn, Closing &c);
    /// When `login`'s last shift ended (0: never closed one).
    static Result<qint64> lastShiftEnd(const QSqlDatabase &conn, const QString &login);
    Result<qint64> lastShiftEnd(const QString &login) { return lastShiftEnd(m_db.connection(), login); }
    /// The day's closing, if finance closed it.
    Result<std::optional<Closing>> dayClosing(const QDate &date);
    /// Newest first.
    Result<QList<Closing>> list(int limit = 200);

private:
    static Closing read(const QSqlQuery &q);
    Database &m_db;
};

} // namespace paydesk
