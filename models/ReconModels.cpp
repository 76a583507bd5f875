#include "ReconModels.h"

#include "DbWorker.h"
#include "Labels.h"
#include "ListModels.h"

#include <QColor>
#include <QDateTime>
#include <QHash>
#include <QLocale>
#include <QMap>

#include <algorithm>

namespace paydesk {

namespace {

QString money(qint64 minor) { return Money::cny(minor).toDisplayString(QLocale()); }
QVariant rightAligned() { return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter); }
const QColor kDiffers(0xC6, 0x28, 0x28);
const QColor kMatched(0x2E, 0xA0, 0x4F);

struct Loaded
{
    QList<ReconRunRow> rows;
    QString error;
};

} // namespace

// ---- runs -----------------------------------------------------------------------------------

void ReconRunModel::reload()
{
    const quint64 generation = ++m_generation;
    m_loading = true;
    ReconRepository *recon = &m_recon;
    m_worker.run<Loaded>(
        [recon]() -> Loaded {
            Loaded out;
            auto runs = recon->runs();
            if (!runs) {
                out.error = runs.error().message;
                return out;
            }
            QDate first, last;
            for (const ReconRun &r : runs.value()) {
                if (!first.isValid() || r.date < first)
                    first = r.date;
                if (!last.isValid() || r.date > last)
                    last = r.date;
            }
            QHash<QString, ReconBookDay> books;
            if (first.isValid()) {
                auto days = recon->bookDays(first, last);
                if (!days) {
                    out.error = days.error().message;
                    return out;
                }
                for (const ReconBookDay &d : days.value())
                    books.insert(toString(d.channel) + u'/' + d.date.toString(Qt::ISODate), d);
            }
            QList<ReconRun> sorted = runs.value();
            std::stable_sort(sorted.begin(), sorted.end(), [](const ReconRun &a, const ReconRun &b) {
                if (a.date != b.date)
                    return a.date > b.date;
                if (a.channel != b.channel)
                    return int(a.channel) < int(b.channel);
                return a.id > b.id;
            });
            for (const ReconRun &r : std::as_const(sorted)) {
                ReconRunRow row;
                row.run = r;
                row.books = books.value(toString(r.channel) + u'/' + r.date.toString(Qt::ISODate));
                row.books.channel = r.channel;
                row.books.date = r.date;
                out.rows << row;
            }
            return out;
        },
        this,
        [this, generation](Loaded result) {
            if (generation != m_generation)
                return; // a newer reload is on its way
            m_loading = false;
            if (!result.error.isEmpty()) {
                emit queryFailed(result.error);
            } else {
                setRows(std::move(result.rows));
            }
            emit loaded();
        });
}

int ReconRunModel::rowOfRun(qint64 runId) const
{
    const auto &all = rows();
    for (int i = 0; i < all.size(); ++i)
        if (all.at(i).run.id == runId)
            return i;
    return -1;
}

int ReconRunModel::rowOfDay(const QDate &day) const
{
    const auto &all = rows();
    for (int i = 0; i < all.size(); ++i)
        if (all.at(i).run.date == day)
            return i;
    return -1;
}

QMap<QDate, ReconRunModel::DayResult> ReconRunModel::dayResults(const QList<ReconRunRow> &rows)
{
    QHash<std::pair<int, qint64>, const ReconRunRow *> newest; // (channel, julian day) -> its newest run
    for (const ReconRunRow &r : rows) {
        const std::pair<int, qint64> key{int(r.run.channel), r.run.date.toJulianDay()};
        const ReconRunRow *&slot = newest[key];
        if (!slot || r.run.id > slot->run.id)
            slot = &r;
    }
    QMap<QDate, DayResult> out;
    for (const ReconRunRow *r : std::as_const(newest)) {
        const DayResult mine = r->run.differences > 0 ? DayResult::Differences : DayResult::Matched;
        auto it = out.find(r->run.date);
        if (it == out.end())
            out.insert(r->run.date, mine);
        else if (mine == DayResult::Differences)
            it.value() = mine;
    }
    return out;
}

QVariant ReconRunModel::header(int column) const
{
    switch (column) {
    case Channel: return tr("Channel");
    case Day: return tr("Bill day");
    case Result: return tr("Result");
    case Matched: return tr("Matched");
    case BillPaid: return tr("Paid (bill)");
    case BookPaid: return tr("Paid (books)");
    case BillRefunded: return tr("Refunded (bill)");
    case BookRefunded: return tr("Refunded (books)");
    case BillFees: return tr("Fees (bill)");
    case BillNet: return tr("Net after fees (bill)");
    case BookNet: return tr("Net (books)");
    case RunAt: return tr("Reconciled at");
    case RunBy: return tr("By");
    }
    return {};
}

QVariant ReconRunModel::cell(const ReconRunRow &r, int column, int role) const
{
    const ReconRun &run = r.run;
    if (role == RawRole)
        return run.id;
    if (role == MinorRole) {
        switch (column) {
        case BillPaid: return run.paidMinor;
        case BookPaid: return r.books.paidMinor;
        case BillRefunded: return run.refundedMinor;
        case BookRefunded: return r.books.refundedMinor;
        case BillFees: return run.feeMinor;
        case BillNet: return r.billNetMinor();
        case BookNet: return r.bookNetMinor();
        default: return {};
        }
    }
    const bool matched = run.result == QStringLiteral("MATCHED");
    if (role == Qt::TextAlignmentRole && column >= Matched && column <= BookNet)
        return rightAligned();
    if (role == Qt::ForegroundRole) {
        if (column == Result)
            return matched ? kMatched : kDiffers;
        if (column == BookPaid && r.books.paidMinor != run.paidMinor)
            return kDiffers;
        if (column == BookRefunded && r.books.refundedMinor != run.refundedMinor)
            return kDiffers;
        return {};
    }
    if (role == Qt::ToolTipRole) {
        switch (column) {
        case Result:
            return matched ? tr("Every row of the bill matched our books")
                           : tr("%n difference(s) between the bill and our books; %1 new in this run", nullptr, run.differences)
                                 .arg(run.newDifferences);
        case Matched: return tr("%1 payment(s) and %2 refund(s) on the bill").arg(run.billPayments).arg(run.billRefunds);
        case BookPaid:
        case BookRefunded:
        case BookNet:
            return tr("What our books say now for this channel's Beijing day (%1 payment(s), %2 refund(s))")
                .arg(r.books.payments)
                .arg(r.books.refunds);
        case BillFees:
        case BillNet:
            return tr("From the channel's bill: its fee total, and paid − refunded − fees");
        default: break;
        }
    }
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    const QLocale loc;
    switch (column) {
    case Channel: return Labels::of(run.channel);
    case Day: return run.date.toString(Qt::ISODate);
    case Result:
        if (matched)
            return tr("Matched");
        return run.newDifferences > 0 ? tr("%n difference(s), %1 new", nullptr, run.differences).arg(loc.toString(run.newDifferences))
                                      : tr("%n difference(s)", nullptr, run.differences);
    case Matched: return tr("%1 of %2").arg(loc.toString(run.matched), loc.toString(run.billPayments + run.billRefunds));
    case BillPaid: return money(run.paidMinor);
    case BookPaid: return money(r.books.paidMinor);
    case BillRefunded: return money(run.refundedMinor);
    case BookRefunded: return money(r.books.refundedMinor);
    case BillFees: return money(run.feeMinor);
    case BillNet: return money(r.billNetMinor());
    case BookNet: return money(r.bookNetMinor());
    case RunAt:
        // Short in the cell ("12-04 09:30"), whole in the tooltip.
        return role == Qt::ToolTipRole ? Labels::time(run.runAt)
                                       : QDateTime::fromMSecsSinceEpoch(run.runAt).toString(QStringLiteral("MM-dd HH:mm"));
    case RunBy: return Labels::actor(run.runBy);
    }
    return {};
}

// ---- differences ----------------------------------------------------------------------------

QString ReconDifferenceModel::kindLabel(const QString &kind)
{
    if (kind == QStringLiteral("LONG")) return tr("Payment at the channel only");
    if (kind == QStringLiteral("SHORT")) return tr("Payment in our books only");
    if (kind == QStringLiteral("AMOUNT")) return tr("Payment amount differs");
    if (kind == QStringLiteral("CURRENCY")) return tr("Currency differs");
    if (kind == QStringLiteral("STATE")) return tr("Payment state differs");
    if (kind == QStringLiteral("REFUND_LONG")) return tr("Refund at the channel only");
    if (kind == QStringLiteral("REFUND_SHORT")) return tr("Refund in our books only");
    if (kind == QStringLiteral("REFUND_AMOUNT")) return tr("Refund amount differs");
    if (kind == QStringLiteral("REFUND_STATE")) return tr("Refund state differs");
    return kind;
}

QString ReconDifferenceModel::kindHelp(const QString &kind)
{
    if (kind == QStringLiteral("LONG")) return tr("The channel took this money, but our books have no such payment.");
    if (kind == QStringLiteral("SHORT")) return tr("Our books show this payment as paid that day, but the channel's bill does not.");
    if (kind == QStringLiteral("AMOUNT")) return tr("The bill shows another amount for this payment than our books.");
    if (kind == QStringLiteral("CURRENCY")) return tr("The bill shows another currency for this payment than our books.");
    if (kind == QStringLiteral("STATE")) return tr("Paid at the channel but not in our books (money after a close), or the other way round.");
    if (kind == QStringLiteral("REFUND_LONG")) return tr("The channel paid back this refund, but our books have no such refund.");
    if (kind == QStringLiteral("REFUND_SHORT")) return tr("Our books show this refund as paid back that day, but the channel's bill does not.");
    if (kind == QStringLiteral("REFUND_AMOUNT")) return tr("The bill shows another amount for this refund than our books.");
    if (kind == QStringLiteral("REFUND_STATE")) return tr("The refund ended differently at the channel than in our books.");
    return {};
}

void ReconDifferenceModel::load(qint64 runId)
{
    m_runId = runId;
    const quint64 generation = ++m_generation;
    if (runId <= 0) {
        m_loading = false;
        setRows({});
        emit loaded();
        return;
    }
    m_loading = true;
    ReconRepository *recon = &m_recon;
    m_worker.run<Result<QList<ReconDifferenceRow>>>(
        [recon, runId] { return recon->differenceRowsOfRun(runId); }, this,
        [this, generation](Result<QList<ReconDifferenceRow>> result) {
            if (generation != m_generation)
                return;
            m_loading = false;
            if (!result)
                emit queryFailed(result.error().message);
            else
                setRows(result.value());
            emit loaded();
        });
}

QVariant ReconDifferenceModel::header(int column) const
{
    switch (column) {
    case Kind: return tr("Difference");
    case Payment: return tr("Payment no");
    case RefundNo: return tr("Refund no");
    case Order: return tr("Order");
    case BillAmount: return tr("Bill says");
    case BookAmount: return tr("Our books say");
    case Detail: return tr("Detail");
    case State: return tr("State");
    case BillLine: return tr("Bill line");
    }
    return {};
}

QVariant ReconDifferenceModel::cell(const ReconDifferenceRow &r, int column, int role) const
{
    const ReconDifference &d = r.difference;
    if (role == RawRole)
        return d.id;
    if (role == MinorRole) {
        if (column == BillAmount)
            return d.billMinor;
        if (column == BookAmount)
            return d.oursMinor;
        return {};
    }
    if (role == Qt::TextAlignmentRole && (column == BillAmount || column == BookAmount || column == BillLine))
        return rightAligned();
    if (role == Qt::ForegroundRole && column == State && r.anomalyState == AnomalyState::Open)
        return kDiffers;
    if (role == Qt::ToolTipRole && column == Kind)
        return kindHelp(d.kind);
    if (role == Qt::ToolTipRole && column == Order && r.orderNo.isEmpty())
        return tr("No order of ours: the money is only at the channel");
    if (role == Qt::ToolTipRole && column == State && !r.anomalyState)
        return tr("Without an order of ours no anomaly can be opened: settle it with the channel.");
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (column) {
    case Kind: return kindLabel(d.kind);
    case Payment: return d.outTradeNo;
    case RefundNo: return d.outRefundNo;
    case Order: return r.orderNo.isEmpty() ? tr("—") : r.orderNo;
    case BillAmount:
        return d.kind == QStringLiteral("SHORT") || d.kind == QStringLiteral("REFUND_SHORT") ? tr("not on the bill") : money(d.billMinor);
    case BookAmount:
        return d.kind == QStringLiteral("LONG") || d.kind == QStringLiteral("REFUND_LONG") ? tr("not in our books") : money(d.oursMinor);
    case Detail: {
        const QString ours = d.params.value(QStringLiteral("ours")).toString();
        const QString bill = d.params.value(QStringLiteral("bill")).toString();
        if (!ours.isEmpty() || !bill.isEmpty()) {
            // States in words: ours as the books name them, the bill's as the channel's answer.
            QString oursText = ours;
            if (auto a = fromString<AttemptState>(ours))
                oursText = Labels::of(*a);
            else if (auto rs = fromString<RefundState>(ours))
                oursText = Labels::of(*rs);
            return role == Qt::ToolTipRole ? tr("ours %1, bill %2").arg(ours, bill)
                                           : tr("ours %1, bill %2").arg(oursText, Labels::channelAnswer(bill));
        }
        if (const QString txn = d.params.value(QStringLiteral("txn_id")).toString(); !txn.isEmpty())
            return tr("channel transaction %1").arg(txn);
        if (const QString no = d.params.value(QStringLiteral("out_trade_no")).toString(); !no.isEmpty())
            return tr("of payment %1").arg(no);
        return QString();
    }
    case State:
        if (!r.anomalyState)
            return tr("No anomaly opened");
        return tr("%1 (anomaly %2)").arg(Labels::of(*r.anomalyState)).arg(d.anomalyId);
    case BillLine: return d.billLine > 0 ? QVariant(d.billLine) : QVariant(QString());
    }
    return {};
}

} // namespace paydesk
