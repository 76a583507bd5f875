#include "FinanceStats.h"

#include "Labels.h"
#include "domain/Money.h"
#include "storage/ReconRepository.h"
#include "util/Csv.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QLocale>
#include <QSaveFile>
#include <QTimeZone>

#include <algorithm>

namespace paydesk {

namespace {

constexpr qint64 kDayMs = 86'400'000;

qint64 startOfDayMs(QDate d) { return d.startOfDay().toMSecsSinceEpoch(); }

Result<QSqlQuery> run(QSqlDatabase conn, const QString &sql, qint64 from, qint64 to, qint64 tz)
{
    auto q = Sql::prepare(conn, sql);
    if (!q)
        return q.error();
    if (sql.contains(QStringLiteral(":from")))
        q.value().bindValue(QStringLiteral(":from"), from);
    if (sql.contains(QStringLiteral(":to")))
        q.value().bindValue(QStringLiteral(":to"), to);
    if (sql.contains(QStringLiteral(":tz")))
        q.value().bindValue(QStringLiteral(":tz"), tz);
    if (Status s = Sql::execPrepared(q.value()); !s)
        return s.error();
    return q;
}

Result<QList<FinanceReport::Split>> splits(QSqlDatabase conn, const QString &sql, qint64 from, qint64 to)
{
    auto q = run(conn, sql, from, to, 0);
    if (!q)
        return q.error();
    QList<FinanceReport::Split> out;
    while (q.value().next())
        out << FinanceReport::Split{q.value().value(0).toString(), q.value().value(1).toLongLong(), q.value().value(2).toLongLong()};
    return out;
}

} // namespace

qint64 FinanceReport::totalPaid() const
{
    qint64 sum = 0;
    for (const Day &d : days)
        sum += d.paidMinor;
    return sum;
}

qint64 FinanceReport::totalRefunded() const
{
    qint64 sum = 0;
    for (const Day &d : days)
        sum += d.refundedMinor;
    return sum;
}

qint64 FinanceReport::totalFees() const
{
    qint64 sum = 0;
    for (const Day &d : days)
        sum += d.hasFees() ? d.feeMinor : 0;
    return sum;
}

qint64 FinanceReport::totalNetAfterFees() const
{
    qint64 sum = 0;
    for (const Day &d : days)
        sum += d.hasFees() ? d.netAfterFeesMinor() : 0;
    return sum;
}

int FinanceReport::daysWithFees() const
{
    return int(std::count_if(days.cbegin(), days.cend(), [](const Day &d) { return d.hasFees(); }));
}

Result<FinanceReport> FinanceStats::compute(Database &db, QDate first, QDate last)
{
    QElapsedTimer timer;
    timer.start();
    if (!first.isValid() || !last.isValid() || last < first)
        return Error::invalid(QStringLiteral("finance.bad_range"), tr("Choose a range whose end is not before its start."));
    if (first.daysTo(last) > 366 * 3)
        return Error::invalid(QStringLiteral("finance.range_too_long"), tr("Choose a range of at most three years."));
    FinanceReport r;
    r.first = first;
    r.last = last;
    const qint64 from = startOfDayMs(first);
    const qint64 to = startOfDayMs(last.addDays(1));
    // Day buckets in SQL: (t + offset) / day, with the local offset at the start of the range.
    const qint64 tz = qint64(QDateTime(first, QTime(12, 0)).offsetFromUtc()) * 1000;
    QSqlDatabase conn = db.connection();

    QHash<qint64, FinanceReport::Day> byDay;
    // The bucket is computed once in a subquery: PostgreSQL binds each :tz as its own parameter,
    // so "GROUP BY (t + :tz) / day" would not be the selected expression there.
    auto paid = run(conn, QStringLiteral("SELECT x.d, SUM(x.m), COUNT(*) FROM (SELECT (a.paid_at + :tz) / 86400000 AS d, "
                                         "a.amount_minor AS m FROM payment_attempts a WHERE a.state = 'SUCCEEDED' "
                                         "AND a.paid_at >= :from AND a.paid_at < :to) x GROUP BY x.d"),
                    from, to, tz);
    if (!paid)
        return paid.error();
    while (paid.value().next()) {
        auto &d = byDay[paid.value().value(0).toLongLong()];
        d.paidMinor = paid.value().value(1).toLongLong();
        d.paidCount = paid.value().value(2).toLongLong();
    }
    auto refunded = run(conn, QStringLiteral("SELECT x.d, SUM(x.m), COUNT(*) FROM (SELECT (r.completed_at + :tz) / 86400000 AS d, "
                                             "r.amount_minor AS m FROM refunds r WHERE r.state = 'SUCCEEDED' "
                                             "AND r.completed_at >= :from AND r.completed_at < :to) x GROUP BY x.d"),
                        from, to, tz);
    if (!refunded)
        return refunded.error();
    while (refunded.value().next()) {
        auto &d = byDay[refunded.value().value(0).toLongLong()];
        d.refundedMinor = refunded.value().value(1).toLongLong();
        d.refundedCount = refunded.value().value(2).toLongLong();
    }
    // The channels' fees, from their bills (the latest reconciliation of each channel's day).
    QHash<QDate, ReconFeeDay> fees;
    auto feeDays = ReconRepository(db).feesByDay(first, last);
    if (!feeDays)
        return feeDays.error();
    for (const ReconFeeDay &f : feeDays.value())
        fees.insert(f.date, f);
    for (QDate d = first; d <= last; d = d.addDays(1)) {
        const qint64 bucket = (startOfDayMs(d) + tz + kDayMs / 2) / kDayMs;
        FinanceReport::Day day = byDay.value(bucket);
        day.date = d;
        if (const auto it = fees.constFind(d); it != fees.cend()) {
            day.feeMinor = it->feeMinor;
            day.feeBills = it->channels;
        }
        r.days << day;
    }

    auto states = splits(conn, QStringLiteral("SELECT o.state, COUNT(*), SUM(o.amount_minor) FROM orders o "
                                              "WHERE o.created_at >= :from AND o.created_at < :to GROUP BY o.state ORDER BY o.state"),
                         from, to);
    if (!states)
        return states.error();
    r.states = states.value();
    auto channels = splits(conn, QStringLiteral("SELECT a.channel, COUNT(*), SUM(a.amount_minor) FROM payment_attempts a "
                                                "WHERE a.state = 'SUCCEEDED' AND a.paid_at >= :from AND a.paid_at < :to "
                                                "GROUP BY a.channel ORDER BY a.channel"),
                           from, to);
    if (!channels)
        return channels.error();
    r.channels = channels.value();
    auto backlog = splits(conn, QStringLiteral("SELECT r.state, COUNT(*), SUM(r.amount_minor) FROM refunds r "
                                               "WHERE r.state IN ('REQUESTED', 'APPROVED', 'PROCESSING', 'FAILED') "
                                               "GROUP BY r.state"),
                          from, to);
    if (!backlog)
        return backlog.error();
    // Always the four states, in the order work flows through them.
    for (const char16_t *state : {u"REQUESTED", u"APPROVED", u"PROCESSING", u"FAILED"}) {
        FinanceReport::Split s{QString::fromUtf16(state), 0, 0};
        for (const auto &b : backlog.value())
            if (b.key == s.key)
                s = b;
        r.backlog << s;
    }
    r.elapsedMs = timer.elapsed();
    return r;
}

// ---- table model ----------------------------------------------------------------------------

FinanceTableModel::FinanceTableModel(Table table, QObject *parent) : QAbstractTableModel(parent), m_table(table) {}

int FinanceTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_labels.size());
}

int FinanceTableModel::columnCount(const QModelIndex &parent) const
{
    if (parent.isValid())
        return 0;
    return m_table == Table::Daily ? 8 : 3;
}

bool FinanceTableModel::isMoneyColumn(int column) const
{
    if (m_table == Table::Daily)
        return column == PaidColumn || column == RefundedColumn || column == NetColumn || column == FeesColumn
               || column == NetAfterFeesColumn;
    return column == 2;
}

Qt::ItemFlags FinanceTableModel::flags(const QModelIndex &index) const
{
    return index.isValid() ? Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren : Qt::NoItemFlags;
}

QVariant FinanceTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (m_table == Table::Daily) {
        switch (section) {
        case 0: return tr("Day");
        case 1: return tr("Paid");
        case 2: return tr("Payments");
        case 3: return tr("Refunded");
        case 4: return tr("Refunds");
        case 5: return tr("Net");
        case 6: return tr("Fees (channel's bill)");
        case 7: return tr("Net after fees (channel's bill)");
        }
        return {};
    }
    switch (section) {
    case 0:
        return m_table == Table::States ? tr("State") : m_table == Table::Channels ? tr("Channel") : tr("Refund state");
    case 1: return m_table == Table::States ? tr("Orders") : m_table == Table::Channels ? tr("Payments") : tr("Refunds");
    case 2: return tr("Amount");
    }
    return {};
}

qint64 FinanceTableModel::value(int row, int column) const
{
    if (row < 0 || row >= m_values.size() || column < 1 || column > m_values[row].size())
        return 0;
    return m_values[row][column - 1];
}

QVariant FinanceTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int c = index.column();
    if (role == KeyRole)
        return m_keys.value(index.row());
    if (c == 0)
        return role == Qt::DisplayRole ? QVariant(m_labels.at(index.row())) : QVariant();
    const bool unknown = m_table == Table::Daily && c >= FeesColumn && !hasFees(index.row());
    if (unknown && role == Qt::ToolTipRole)
        return tr("No bill of this day was reconciled: the channels' fees are not known yet.");
    if (!unknown && m_table == Table::Daily && c >= FeesColumn && role == Qt::ToolTipRole)
        return tr("From the channel's bill (the latest reconciliation of each channel's day)");
    if (unknown && (role == Qt::DisplayRole || role == MinorRole))
        return role == Qt::DisplayRole ? QVariant(tr("—")) : QVariant();
    const qint64 v = value(index.row(), c);
    if (role == MinorRole)
        return v;
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::DisplayRole) {
        if (isMoneyColumn(c))
            return Money(v, Currency::fromCode(m_currency).value_or(Currency::cny())).toDisplayString(QLocale());
        return QLocale().toString(v);
    }
    return {};
}

QString FinanceTableModel::labelFor(const QString &key) const
{
    if (m_table == Table::States)
        if (auto s = fromString<OrderState>(key))
            return Labels::of(*s);
    if (m_table == Table::Channels)
        if (auto c = fromString<ChannelKind>(key))
            return Labels::of(*c);
    if (m_table == Table::Backlog)
        if (auto s = fromString<RefundState>(key))
            return Labels::of(*s);
    return key;
}

void FinanceTableModel::setReport(const FinanceReport &report)
{
    beginResetModel();
    m_currency = report.currency;
    m_labels.clear();
    m_keys.clear();
    m_values.clear();
    m_hasFees.clear();
    if (m_table == Table::Daily) {
        for (const auto &d : report.days) {
            m_labels << d.date.toString(Qt::ISODate);
            m_keys << d.date.toString(Qt::ISODate);
            m_values << QList<qint64>{d.paidMinor,   d.paidCount, d.refundedMinor, d.refundedCount, d.netMinor(),
                                      d.hasFees() ? d.feeMinor : 0, d.hasFees() ? d.netAfterFeesMinor() : 0};
            m_hasFees << d.hasFees();
        }
    } else {
        const auto &list = m_table == Table::States ? report.states : m_table == Table::Channels ? report.channels : report.backlog;
        for (const auto &s : list) {
            m_labels << labelFor(s.key);
            m_keys << s.key;
            m_values << QList<qint64>{s.count, s.minor};
        }
    }
    endResetModel();
}

QString FinanceTableModel::toCsv() const
{
    const Currency currency = Currency::fromCode(m_currency).value_or(Currency::cny());
    QString out;
    QStringList header;
    for (int c = 0; c < columnCount(); ++c) {
        QString h = headerData(c, Qt::Horizontal).toString();
        if (isMoneyColumn(c))
            h = QStringLiteral("%1 (%2)").arg(h, m_currency);
        header << csvTextCell(h);
    }
    out += header.join(u',') + u'\n';
    for (int r = 0; r < rowCount(); ++r) {
        // Keys, not translated labels, so a spreadsheet can match rows whatever the language.
        QStringList line{csvTextCell(m_keys.at(r))};
        for (int c = 1; c < columnCount(); ++c) {
            if (m_table == Table::Daily && c >= FeesColumn && !hasFees(r))
                line << QString(); // not known: no bill of that day was reconciled
            else
                line << (isMoneyColumn(c) ? Money(value(r, c), currency).toPlainString() : QString::number(value(r, c)));
        }
        out += line.join(u',') + u'\n';
    }
    return out;
}

Status writeFileAtomically(const QString &path, const QByteArray &bytes)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error::invalid(QStringLiteral("file.open"), FinanceStats::tr("Cannot write %1: %2").arg(path, file.errorString()));
    if (file.write(bytes) != bytes.size() || !file.commit())
        return Error::invalid(QStringLiteral("file.write"), FinanceStats::tr("Cannot write %1: %2").arg(path, file.errorString()));
    return {};
}

} // namespace paydesk
