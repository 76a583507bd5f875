// Reconciliation at scale: a WeChat Pay trade bill of (by default) 1,000,000 payments matched
// against 1,000,000 paid payments in our books, by ReconService::run (set-based: the day's
// payments and refunds read in one statement each into hashes, the bill's other keys in IN
// lists of 500), and in the same run by a naive baseline that does what ReconService did
// before: one SELECT per bill row (ReconRepository::attempt / refund, prepared per call).
//
//   bench_recon [--rows N] [--naive-sample K] [--db URL | --pg]
//
// Without --db the books are a SQLite file in a temporary directory. --pg uses the server in
// PAYDESK_TEST_PG_URL (`.ci/with-postgres.sh bench_recon --pg --rows 100000`: a throwaway one).
// --naive-sample K runs the baseline on the first K bill rows only and extrapolates its time to
// N rows (it says so); the differences are then compared on those rows (and the short ones).
//
// The bill carries injected differences, and both sides must find exactly them: 3 payments our
// books never saw (LONG), 2 wrong amounts (AMOUNT), 2 payments missing from the bill (SHORT),
// 1 payment closed here and paid there (STATE, outside the day's window: an IN-list key),
// 1 refund we never made (REFUND_LONG) and 1 refund missing from the bill (REFUND_SHORT). Five
// payments paid just before midnight the day before (the window's slack) and one paid three
// days before (an IN-list key) match.
#include "BenchSupport.h"
#include "channels/BillWriter.h"
#include "recon/BillParser.h"
#include "services/Services.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QSysInfo>
#include <QTemporaryDir>

#include <cstdio>

using namespace paydesk;
using namespace Qt::StringLiterals;

namespace {

const QDate kDay(2026, 11, 30);
constexpr qint64 kDayMs = 24 * 3600'000;

void say(const QString &line)
{
    std::fprintf(stderr, "%s\n", qPrintable(line));
    std::fflush(stderr);
}

QString fmt(qint64 n)
{
    QString s = QString::number(n);
    for (qsizetype i = s.size() - 3; i > 0; i -= 3)
        s.insert(i, u',');
    return s;
}

[[noreturn]] void die(const QString &what)
{
    qFatal("bench_recon: %s", qPrintable(what));
}

QString outTradeNo(int i)
{
    return u"BR"_s + QString::number(i).rightJustified(8, u'0') + u"-01"_s;
}

qint64 amountOf(int i)
{
    return 100 + (i % 5000);
}

/// Peak RSS since the last reset (Linux: writing 5 to clear_refs resets VmHWM).
void resetPeak()
{
    QFile f(u"/proc/self/clear_refs"_s);
    if (f.open(QIODevice::WriteOnly))
        f.write("5");
}

qint64 mb(qint64 kb)
{
    return kb / 1024;
}

/// Runs `head` + `rows` groups of `values` binds as multi-row INSERTs of up to 500 rows.
class BatchInsert
{
public:
    BatchInsert(QSqlDatabase &conn, QString head, QString group, int perRow)
        : m_conn(conn), m_head(std::move(head)), m_group(std::move(group)), m_perRow(perRow) {}
    void add(std::initializer_list<QVariant> values)
    {
        for (const QVariant &v : values)
            m_pending << v;
        if (m_pending.size() == kRows * m_perRow)
            flush();
    }
    void flush()
    {
        const qsizetype rows = m_pending.size() / m_perRow;
        if (rows == 0)
            return;
        QSqlQuery *q = nullptr;
        QSqlQuery partial(m_conn);
        if (rows == kRows) {
            if (!m_fullPrepared) {
                m_full = QSqlQuery(m_conn);
                if (!m_full.prepare(sql(rows)))
                    die(m_full.lastError().text());
                m_fullPrepared = true;
            }
            q = &m_full;
        } else {
            if (!partial.prepare(sql(rows)))
                die(partial.lastError().text());
            q = &partial;
        }
        for (qsizetype i = 0; i < m_pending.size(); ++i)
            q->bindValue(int(i), m_pending.at(i));
        if (!q->exec())
            die(m_head.left(40) + u": "_s + q->lastError().text());
        m_pending.clear();
    }

private:
    static constexpr int kRows = 500;
    QString sql(qsizetype rows) const
    {
        QString s = m_head;
        for (qsizetype i = 0; i < rows; ++i)
            s += (i ? u", "_s : u" "_s) + m_group;
        return s;
    }
    QSqlDatabase &m_conn;
    QString m_head, m_group;
    int m_perRow;
    QList<QVariant> m_pending;
    QSqlQuery m_full;
    bool m_fullPrepared = false;
};

struct Books
{
    int payments = 0;
    int refunds = 0;
    QStringList closedHere;  ///< STATE: closed in our books
    QStringList longAgo;     ///< paid three days before (outside the window)
};

/// Our books: `rows` orders, each PAID with one SUCCEEDED WeChat payment during the day, and a
/// succeeded refund on every 50th; plus the payments that test the window's edges.
Books buildBooks(Database &db, int rows, qint64 dayStart)
{
    if (db.dialect() == Database::Dialect::SQLite)
        QSqlQuery(db.connection()).exec(u"PRAGMA cache_size = -262144"_s);
    Transaction tx(db);
    if (!tx.begun())
        die(tx.begun().error().message);
    QSqlDatabase &conn = tx.connection();
    BatchInsert orders(conn, u"INSERT INTO orders (id, order_no, title, amount_minor, currency, state, channel, created_at, expires_at, "
                             "paid_at, created_by) VALUES"_s,
                       u"(?, ?, 'bench tea', ?, 'CNY', ?, 'wechat', ?, ?, ?, 'bench')"_s, 7);
    BatchInsert attempts(conn, u"INSERT INTO payment_attempts (id, order_id, out_trade_no, channel, amount_minor, currency, state, "
                               "created_at, expires_at, channel_txn_id, paid_at) VALUES"_s,
                         u"(?, ?, ?, 'wechat', ?, 'CNY', ?, ?, ?, ?, ?)"_s, 9);
    BatchInsert refunds(conn, u"INSERT INTO refunds (out_refund_no, order_id, attempt_id, amount_minor, currency, state, reason, "
                              "requested_by, requested_at, completed_at) VALUES"_s,
                        u"(?, ?, ?, 50, 'CNY', 'SUCCEEDED', 'bench', 'bench', ?, ?)"_s, 5);
    Books b;
    const int extra = 2 + 1; // one closed here (STATE), one paid long ago, one spare
    QList<std::pair<int, qint64>> refunded; // written after their payments (the foreign key)
    for (int i = 0; i < rows + extra; ++i) {
        const qint64 id = i + 1;
        qint64 paidAt = dayStart + qint64(i) * kDayMs / qMax(1, rows);
        QString state = u"SUCCEEDED"_s;
        if (i >= 1 && i <= 5)
            paidAt = dayStart - 60'000 * i; // just before midnight the day before: the window's slack
        if (i == rows) {                    // closed here, paid at the channel
            state = u"CLOSED"_s;
            paidAt = 0;
            b.closedHere << outTradeNo(i);
        } else if (i == rows + 1) {         // paid three days before, in this bill (an IN-list key)
            paidAt = dayStart - 3 * kDayMs;
            b.longAgo << outTradeNo(i);
        } else if (i == rows + 2) {
            paidAt = dayStart - 10 * kDayMs; // not in this bill at all, and not this day's: no difference
        }
        const qint64 created = (paidAt > 0 ? paidAt : dayStart) - 60'000;
        orders.add({id, QString(u"PD-BR"_s + QString::number(i)), amountOf(i), state == u"CLOSED"_s ? u"CLOSED"_s : u"PAID"_s, created,
                    qint64(created + 1800'000), paidAt});
        attempts.add({id, id, outTradeNo(i), amountOf(i), state, created, qint64(created + 1740'000), QString(u"42000"_s + QString::number(i)), paidAt});
        if (state == u"SUCCEEDED"_s && paidAt >= dayStart && i % 50 == 7) {
            const qint64 done = qMin(paidAt + 60'000, dayStart + kDayMs - 1);
            refunded << std::pair(i, done);
            ++b.refunds;
        }
        ++b.payments;
    }
    orders.flush();
    attempts.flush();
    for (const auto &[i, done] : std::as_const(refunded))
        refunds.add({QString(u"RF"_s + QString::number(i)), qint64(i + 1), qint64(i + 1), qint64(done - 1000), done});
    refunds.flush();
    if (Status s = tx.commit(); !s)
        die(s.error().message);
    return b;
}

/// The channel's bill of the day: every payment of the day (and the slack/IN-list ones), with
/// the injected differences.
QByteArray buildBill(int rows, qint64 dayStart, QSet<QString> *expected)
{
    QList<bills::BillRow> out;
    out.reserve(rows + 16);
    auto pay = [&](const QString &no, qint64 amount, qint64 at) {
        bills::BillRow r;
        r.outTradeNo = no;
        r.channelTxnId = u"4200"_s + no;
        r.amountMinor = amount;
        r.feeMinor = bills::standardFee(amount);
        r.atMs = at;
        out << r;
    };
    auto refund = [&](const QString &outTradeNo, const QString &no, qint64 amount, qint64 at) {
        bills::BillRow r;
        r.kind = bills::BillRow::Kind::Refund;
        r.outTradeNo = outTradeNo;
        r.channelTxnId = u"4200"_s + outTradeNo;
        r.outRefundNo = no;
        r.amountMinor = amount;
        r.atMs = at;
        out << r;
    };
    // The injected differences first, so a sampled baseline sees them too.
    for (int k = 1; k <= 3; ++k) {
        pay(u"LONG-%1"_s.arg(k), 990 + k, dayStart + 3600'000 * k);
        expected->insert(u"LONG:LONG-%1"_s.arg(k));
    }
    refund(outTradeNo(0), u"RF-LONG"_s, 77, dayStart + 7200'000);
    expected->insert(u"REFUND_LONG:RF-LONG"_s);
    pay(outTradeNo(rows), amountOf(rows), dayStart + 4000'000); // closed in our books
    expected->insert(u"STATE:"_s + outTradeNo(rows));
    pay(outTradeNo(rows + 1), amountOf(rows + 1), dayStart + 5000'000); // paid long ago here, today there
    for (int i = 0; i < rows; ++i) {
        const qint64 at = i >= 1 && i <= 5 ? dayStart + 1000 * i : dayStart + qint64(i) * kDayMs / qMax(1, rows);
        if (i == 30 || i == 40) { // missing from the bill
            expected->insert(u"SHORT:"_s + outTradeNo(i));
            continue;
        }
        qint64 amount = amountOf(i);
        if (i == 10 || i == 20) {
            amount += 1;
            expected->insert(u"AMOUNT:"_s + outTradeNo(i));
        }
        pay(outTradeNo(i), amount, at);
        if (i % 50 == 7 && !(i >= 1 && i <= 5)) {
            const qint64 done = qMin(at + 60'000, dayStart + kDayMs - 1);
            if (i == 57) {
                expected->insert(u"REFUND_SHORT:RF57"_s);
                continue;
            }
            refund(outTradeNo(i), u"RF"_s + QString::number(i), 50, done);
        }
    }
    bills::BillMeta meta;
    meta.date = kDay;
    meta.merchantId = u"1900000109"_s;
    meta.appId = u"wx8888888888888888"_s;
    return bills::weChatTradeBill(meta, out);
}

struct NaiveResult
{
    QSet<QString> differences;
    int rowsLooked = 0;
    int matched = 0;
    qint64 lookupMs = 0;
    qint64 totalMs = 0;
};

/// What ReconService::run did before it was set-based: one SELECT per bill row (prepared per
/// call, as ReconRepository::attempt / refund do), then the day's paid payments and refunds for
/// the short ones. Matching rules as in ReconService; nothing is written.
NaiveResult naive(Services &s, const recon::ParsedBill &bill, int sample, qint64 from, qint64 to)
{
    using recon::BillEntry;
    NaiveResult out;
    QElapsedTimer total;
    total.start();
    Transaction tx(*s.db);
    if (!tx.begun())
        die(tx.begun().error().message);
    QSet<QString> seenPayments, seenRefunds;
    for (const BillEntry &e : bill.entries)
        (e.kind == BillEntry::Kind::Payment ? seenPayments : seenRefunds).insert(e.kind == BillEntry::Kind::Payment ? e.outTradeNo : e.outRefundNo);
    QElapsedTimer lookups;
    lookups.start();
    const int n = sample > 0 ? qMin(sample, int(bill.entries.size())) : int(bill.entries.size());
    for (int i = 0; i < n; ++i) {
        const BillEntry &e = bill.entries.at(i);
        ++out.rowsLooked;
        if (e.kind == BillEntry::Kind::Payment) {
            auto a = s.recon.attempt(tx, e.outTradeNo);
            if (!a)
                die(a.error().message);
            const bool revoked = e.state != u"SUCCESS"_s;
            if (!a.value() || a.value()->channel != ChannelKind::WeChat) {
                if (!revoked)
                    out.differences.insert(u"LONG:"_s + e.outTradeNo);
                continue;
            }
            const PaymentAttempt &at = *a.value();
            bool same = true;
            if (at.currency.compare(e.currency, Qt::CaseInsensitive) != 0) {
                out.differences.insert(u"CURRENCY:"_s + e.outTradeNo);
                same = false;
            } else if (!revoked && at.amountMinor != e.orderTotalMinor) {
                out.differences.insert(u"AMOUNT:"_s + e.outTradeNo);
                same = false;
            }
            if ((at.state == AttemptState::Succeeded) == revoked) {
                out.differences.insert(u"STATE:"_s + e.outTradeNo);
                same = false;
            }
            out.matched += same ? 1 : 0;
        } else {
            auto r = s.recon.refund(tx, e.outRefundNo);
            if (!r)
                die(r.error().message);
            if (!r.value() || r.value()->channel != ChannelKind::WeChat) {
                out.differences.insert(u"REFUND_LONG:"_s + e.outRefundNo);
                continue;
            }
            const Refund &rf = r.value()->refund;
            bool same = true;
            if (rf.amountMinor != e.amountMinor) {
                out.differences.insert(u"REFUND_AMOUNT:"_s + e.outRefundNo);
                same = false;
            }
            if ((e.refundStatus == u"SUCCESS"_s) != (rf.state == RefundState::Succeeded)) {
                out.differences.insert(u"REFUND_STATE:"_s + e.outRefundNo);
                same = false;
            }
            out.matched += same ? 1 : 0;
        }
    }
    out.lookupMs = lookups.elapsed();
    auto paid = s.recon.paidAttempts(tx, ChannelKind::WeChat, from, to);
    auto refunded = s.recon.succeededRefunds(tx, ChannelKind::WeChat, from, to);
    if (!paid || !refunded)
        die(u"naive: day's payments"_s);
    for (const PaymentAttempt &a : paid.value())
        if (!seenPayments.contains(a.outTradeNo))
            out.differences.insert(u"SHORT:"_s + a.outTradeNo);
    for (const Refund &r : refunded.value())
        if (!seenRefunds.contains(r.outRefundNo))
            out.differences.insert(u"REFUND_SHORT:"_s + r.outRefundNo);
    out.totalMs = total.elapsed();
    return out;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int rows = 1'000'000;
    int sample = 0;
    QString url;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i < args.size(); ++i) {
        const QString &a = args[i];
        const QString v = i + 1 < args.size() ? args[i + 1] : QString();
        if (a == u"--rows"_s) rows = v.toInt(), ++i;
        else if (a == u"--naive-sample"_s) sample = v.toInt(), ++i;
        else if (a == u"--db"_s) url = v, ++i;
        else if (a == u"--pg"_s) url = qEnvironmentVariable("PAYDESK_TEST_PG_URL");
        else {
            std::fprintf(stderr, "usage: bench_recon [--rows N] [--naive-sample K] [--db URL | --pg]\n");
            return 2;
        }
    }
    if (rows < 100)
        die(u"--rows must be at least 100"_s);
    if (args.contains(u"--pg"_s) && url.isEmpty())
        die(u"--pg: PAYDESK_TEST_PG_URL is not set (run under .ci/with-postgres.sh)"_s);
    QTemporaryDir tmp(QDir::tempPath() + u"/bench_recon-XXXXXX"_s);
    if (url.isEmpty())
        url = u"sqlite:"_s + tmp.filePath(u"recon.db"_s);

    auto opened = Database::open(url);
    if (!opened)
        die(opened.error().message);
    if (Status m = opened.value()->migrate(); !m)
        die(m.error().message);
    Services s(std::move(opened.value()), std::make_unique<SystemClock>());
    const bool pg = s.db->dialect() == Database::Dialect::PostgreSQL;
    say(u"bench_recon: %1 rows on %2 (%3), Qt %4, %5"_s.arg(fmt(rows), pg ? u"PostgreSQL"_s : u"SQLite"_s,
                                                           s.db->location().display(), QString::fromLatin1(qVersion()),
                                                           QSysInfo::prettyProductName()));
    if (!s.users.add(QString(), u"admin"_s, QString(), Role::Admin, u"bench-password-1"_s)
        || !s.users.add(u"admin"_s, u"finance"_s, QString(), Role::Finance, u"bench-password-2"_s))
        die(u"users"_s);
    const User finance = s.users.find(u"finance"_s).value();
    const auto [from, to] = ReconService::dayWindow(kDay);

    QElapsedTimer t;
    t.start();
    const Books books = buildBooks(*s.db, rows, from);
    say(u"books: %1 payments, %2 refunds in %3 ms"_s.arg(fmt(books.payments), fmt(books.refunds)).arg(t.elapsed()));
    if (!pg)
        QSqlQuery(s.db->connection()).exec(u"PRAGMA wal_checkpoint(TRUNCATE)"_s);
    else
        QSqlQuery(s.db->connection()).exec(u"ANALYZE"_s);

    t.restart();
    QSet<QString> expected;
    const QByteArray file = buildBill(rows, from, &expected);
    say(u"bill: %1 MB of WeChat CSV written in %2 ms; %3 injected differences"_s.arg(file.size() / (1024 * 1024)).arg(t.elapsed()).arg(expected.size()));

    // The parse alone (ReconService::run parses again: its time includes this), then (a) the
    // naive baseline on it; the parsed bill is gone before (b) runs.
    qint64 parseMs = 0;
    int billRows = 0;
    NaiveResult nv;
    {
        t.restart();
        auto parsed = recon::BillParser::parse(ChannelKind::WeChat, file);
        if (!parsed)
            die(parsed.error().message);
        parseMs = t.elapsed();
        billRows = int(parsed->entries.size());
        say(u"parse alone: %1 bill rows in %2 ms (%3 rows/s)"_s.arg(fmt(billRows)).arg(parseMs).arg(fmt(billRows * 1000LL / qMax<qint64>(1, parseMs))));
        nv = naive(s, parsed.value(), sample, from, to);
    }
    const bool sampled = nv.rowsLooked < billRows;
    const qint64 naivePerRowUs = nv.lookupMs * 1000 / qMax(1, nv.rowsLooked);
    const qint64 naiveAllMs = sampled ? nv.lookupMs * billRows / qMax(1, nv.rowsLooked) + (nv.totalMs - nv.lookupMs) : nv.totalMs;
    say(u"(a) naive, one SELECT per bill row: %1 rows looked up in %2 ms (%3 us/row, %4 rows/s); with the day's short ones %5 ms"_s
            .arg(fmt(nv.rowsLooked)).arg(nv.lookupMs).arg(naivePerRowUs).arg(fmt(nv.rowsLooked * 1000LL / qMax<qint64>(1, nv.lookupMs)))
            .arg(nv.totalMs));
    if (sampled)
        say(u"    SAMPLED: %1 of %2 rows; extrapolated to the whole bill: %3 ms (plus the parse)"_s.arg(fmt(nv.rowsLooked), fmt(billRows)).arg(naiveAllMs));

    // (b) ReconService::run, the whole thing: parse, store the bill, match, write, audit.
    resetPeak();
    const qint64 rssBefore = bench::procStatusKb("VmRSS:");
    const double cpu0 = bench::cpuMs();
    t.restart();
    auto report = s.reconService.run(finance, ChannelKind::WeChat, kDay, file, u"1900000109_2026-11-30_ALL.csv"_s, ReconService::Source::Imported);
    const qint64 runMs = t.elapsed();
    const double cpuRun = bench::cpuMs() - cpu0;
    const qint64 peak = bench::procStatusKb("VmHWM:");
    if (!report)
        die(report.error().message);
    QSet<QString> found;
    for (const ReconDifference &d : report->differences)
        found.insert(d.kind + u':' + d.ref);
    say(u"(b) ReconService::run: %1 bill rows in %2 ms (%3 rows/s), CPU %4 ms; matched %5, differences %6"_s.arg(fmt(billRows)).arg(runMs)
            .arg(fmt(billRows * 1000LL / qMax<qint64>(1, runMs))).arg(qint64(cpuRun)).arg(fmt(report->run.matched)).arg(report->run.differences));
    say(u"    memory: RSS %1 MB before the run, peak %2 MB during it (+%3 MB; the bill itself is %4 MB)"_s.arg(mb(rssBefore)).arg(mb(peak))
            .arg(mb(peak - rssBefore)).arg(file.size() / (1024 * 1024)));
    say(u"    speed-up over the naive lookups: %1x (naive whole bill %2 ms vs %3 ms)"_s.arg(double(naiveAllMs + parseMs) / qMax<qint64>(1, runMs), 0, 'f', 1)
            .arg(naiveAllMs + parseMs).arg(runMs));

    // A re-run of the day answers the same and opens nothing new.
    t.restart();
    auto again = s.reconService.run(finance, ChannelKind::WeChat, kDay, file, u"1900000109_2026-11-30_ALL.csv"_s, ReconService::Source::Imported);
    if (!again)
        die(again.error().message);
    say(u"    re-run of the day: %1 ms, %2 differences, %3 new"_s.arg(t.elapsed()).arg(again->run.differences).arg(again->run.newDifferences));

    // Both found the injected differences and nothing else.
    bool ok = true;
    if (found != expected) {
        say(u"MISMATCH: ReconService found %1, expected %2"_s.arg(QStringList(found.cbegin(), found.cend()).join(u' '),
                                                                QStringList(expected.cbegin(), expected.cend()).join(u' ')));
        ok = false;
    }
    // A sampled baseline still sees every injected row (they come first in the bill) and the
    // day's short ones (one query over the day, as before).
    const QSet<QString> &naiveExpected = expected;
    if (nv.differences != naiveExpected) {
        say(u"MISMATCH: naive found %1"_s.arg(QStringList(nv.differences.cbegin(), nv.differences.cend()).join(u' ')));
        ok = false;
    }
    if (again->run.newDifferences != 0 || again->run.differences != report->run.differences) {
        say(u"MISMATCH: the re-run differs"_s);
        ok = false;
    }
    say(ok ? u"both found the same %1 differences (the injected ones)"_s.arg(expected.size()) : u"FAILED"_s);
    return ok ? 0 : 1;
}
