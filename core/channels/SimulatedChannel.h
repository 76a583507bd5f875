#pragma once

#include "channels/PaymentChannel.h"
#include "storage/Database.h"
#include "util/Clock.h"

#include <QHash>
#include <QList>
#include <QSqlQuery>
#include <QTimer>

#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>

namespace paydesk {

class ChannelRegistry;

/// An in-process payment channel for the demo and the tests. Deterministic from a seed, with
/// scripted customers and injectable faults, and with its own durable books (tables sim_*):
/// every payment, close and refund it saw, so anyone can check afterwards what "the channel"
/// did. Several processes on one database share one simulated channel.
///
/// By default it is the "sim" channel. For the offline demo it also stands in for WeChat Pay
/// and Alipay (createAs / twin / addDemoChannels): the same simulator registered under those
/// kinds, with their one-minute minimum expiry, on one shared ledger, so every order of a demo
/// database is served whichever channel it was taken on. Such a channel says so (simulated()
/// and the paydesk-sim:// payload of its QR codes): no real money ever moves.
///
/// Calls are queued and answered together at the next turn of the event loop, in one
/// transaction on the simulator's own connection, so a timer that sends a thousand queries
/// at once costs one commit, not a thousand. The batch also reads the payments it needs and
/// writes what changed a few hundred rows per statement, not a statement or four per call.
class SimulatedChannel final : public PaymentChannel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SimulatedChannel)
public:
    /// What a simulated customer does with a QR code.
    enum class Customer {
        NeverPay,      ///< lets it expire
        PayAfterDelay, ///< pays `delayMs` after the payment was created (if still open)
        PayAfterClose, ///< pays `delayMs` after the payment was closed: money after close
        PayTwice,      ///< pays every attempt of the order (after `delayMs` each): a duplicate
    };
    struct Script
    {
        Customer customer = Customer::NeverPay;
        qint64 delayMs = 0;
    };
    /// For the demo: who does what, drawn per order from the seed.
    struct Mix
    {
        int payPercent = 70, neverPercent = 24, payAfterClosePercent = 3, payTwicePercent = 3;
        qint64 minDelayMs = 5'000, maxDelayMs = 5 * 60'000;
    };
    enum class RefundOutcome { Success, Abnormal, Closed };
    struct Fault
    {
        QString op;                  ///< create, query, close, refund, query_refund, or * for any
        ChannelError::Kind kind = ChannelError::Kind::Server;
        int times = 1;               ///< how many calls it hits
        bool lands = false;          ///< the call takes effect but the answer is lost (timeouts)
    };

    /// `db` is opened by the simulator itself from `databaseUrl`, so it has its own
    /// connections; on SQLite they commit without fsync (a simulator's books need not survive
    /// a power cut, and this keeps thousands of calls per second cheap).
    static Result<std::unique_ptr<SimulatedChannel>> create(const QString &databaseUrl, const Clock &clock,
                                                            quint32 seed = 1, QObject *parent = nullptr);
    /// The same, registered as `kind`: a simulated stand-in for WeChat Pay or Alipay.
    static Result<std::unique_ptr<SimulatedChannel>> createAs(ChannelKind kind, const QString &databaseUrl, const Clock &clock,
                                                              quint32 seed = 1, QObject *parent = nullptr);
    /// Another simulated channel of kind `kind` on this one's ledger (same database connection,
    /// clock and seed; scripts, mix, latency and refund outcome copied). Faults are not copied.
    std::unique_ptr<SimulatedChannel> twin(ChannelKind kind) const;
    /// The offline demo's channels: a simulator for every kind in `kinds` (all of them by
    /// default), on one ledger, added to `registry` (replacing what was there). Returns them,
    /// owned by the registry, so the caller can connect their notifications and script them.
    static Result<QList<SimulatedChannel *>> addDemoChannels(ChannelRegistry &registry, const QString &databaseUrl,
                                                             const Clock &clock, quint32 seed = 1,
                                                             const QList<ChannelKind> &kinds = {ChannelKind::WeChat, ChannelKind::Alipay,
                                                                                                ChannelKind::Sim});
    ~SimulatedChannel() override;

    ChannelKind kind() const override { return m_kind; }
    /// 1 s as the simulator; as a stand-in, the real channel's minute.
    qint64 minimumExpiryMs() const override { return m_kind == ChannelKind::Sim ? 1000 : 60'000; }
    /// Always true: lets a registry or a window say that no real money moves.
    static constexpr bool simulated() { return true; }

    void createNative(const CreatePaymentRequest &request, QObject *context, Callback<CreatedPayment> done) override;
    void queryPayment(const QString &outTradeNo, QObject *context, Callback<PaymentStatus> done) override;
    void closePayment(const QString &outTradeNo, QObject *context, Callback<Done> done) override;
    void refund(const RefundRequest &request, QObject *context, Callback<RefundResult> done) override;
    void queryRefund(const QString &outRefundNo, const QString &outTradeNo, QObject *context,
                     Callback<RefundResult> done) override;
    /// The day's bill from the simulator's own books, for the payments and refunds taken by this
    /// kind (sim_payments.customer notes which of the simulator's kinds created a payment; rows
    /// without it belong to the "sim" kind). As a stand-in for Alipay the content is Alipay's
    /// zip of GBK CSV files; otherwise WeChat Pay's trade bill (or, for BillKind::FundFlow, its
    /// fund-flow bill). Customers whose scripts paid by now are settled first, so the bill holds
    /// every payment the channel "saw", whether or not anyone asked about it.
    /// The simulator's clock decides the day: a day after today is NotReady; today itself is
    /// served as a preliminary bill (Ready, `message` says so) so the demo and the tests can
    /// reconcile at once; a day with neither payments nor refunds is NoBill. Faults: op "bill".
    void fetchBill(const BillRequest &request, QObject *context, Callback<BillFile> done) override;
    ChannelReply<ChannelNotification> decodeNotification(const QMap<QByteArray, QByteArray> &headers,
                                                         const QByteArray &body) const override;

    /// Differences between the channel and the books, for the demo and the reconciliation tests.
    /// All of them are kept in the simulator's books, so every process on the database sees them.
    enum class BillDiscrepancy {
        UnknownPayment, ///< a payment `ref` of `amountMinor` the books never saw (paid at `atMs`, 0: now)
        WrongAmount,    ///< the bill shows payment `ref` with `amountMinor` instead of what was paid
        MissingRefund,  ///< refund `ref` (an out_refund_no) is left out of the bill
        PaidAfterClose, ///< payment `ref`, closed, is paid at the channel after the close (at `atMs`, 0: now)
    };
    Status injectBillDiscrepancy(BillDiscrepancy kind, const QString &ref, qint64 amountMinor = 0, qint64 atMs = 0);
    static std::optional<BillDiscrepancy> billDiscrepancyFromString(QStringView text); ///< unknown-payment, wrong-amount, ...
    static QString toString(BillDiscrepancy d);
    /// The merchant ids the simulator's bills carry.
    static QString billMerchantId(ChannelKind kind);

    // ---- scripting ----
    void setDefaultScript(Script script) { m_defaultScript = script; m_useMix = false; }
    /// Scripts every payment whose out_trade_no starts with `prefix` (an order number
    /// scripts all of its attempts).
    void setScript(const QString &prefix, Script script) { m_scripts.insert(prefix, script); }
    /// The same, kept in the simulator's books so every process on this database follows it.
    Status storeScript(const QString &prefix, Script script);
    static std::optional<Customer> customerFromString(QStringView text);
    static QString toString(Customer c);
    void setMix(Mix mix) { m_mix = mix; m_useMix = true; }
    void setLatencyMs(qint64 ms) { m_latencyMs = ms; }
    void injectFault(const Fault &fault) { m_faults.push_back(fault); }
    /// Refunds stay PROCESSING for `settleMs`, then end as `outcome`.
    void setRefundOutcome(RefundOutcome outcome, qint64 settleMs) { m_refundOutcome = outcome; m_refundSettleMs = settleMs; }
    /// Notifications for payments are posted this long after the money arrives (0: at once).
    void setNotifyDelayMs(qint64 ms) { m_notifyDelayMs = ms; }

    /// Lets the scripted customers of payments that are still open in the ledger act on their
    /// own time: for every NOTPAY payment whose script pays, a wake-up at the moment they pay
    /// (then the money lands and a notification follows, as for a payment made through
    /// createNative). For a database seeded with open payments (the demo), call it once at start.
    /// Returns how many customers were woken.
    Result<int> wakeCustomers();

    /// A customer pays now (paydeskctl sim pay). `evenIfClosed` lets money land on a closed
    /// payment, as when the customer confirmed in the instant before the close.
    Result<PaymentStatus> customerPays(const QString &outTradeNo, bool evenIfClosed = false);

    /// The books: every call answered, oldest first.
    struct LedgerEvent
    {
        qint64 at = 0;
        QString op, ref, result;
        qint64 amountMinor = 0;
    };
    Result<QList<LedgerEvent>> ledger(const QString &refPrefix = {});
    Database &database() { return *m_db; }

    /// Builds the notification a channel would post for `status` (what notify apply reads).
    static QByteArray encodeNotification(const PaymentStatus &status);
    /// The Sim-Signature header value for a notification body.
    static QByteArray signNotification(const QByteArray &body);

signals:
    /// A payment landed (or money arrived after close): the channel's callback to the
    /// merchant. Connect it to the reconciler.
    void notified(const paydesk::ChannelNotification &notification);

private:
    SimulatedChannel(std::shared_ptr<Database> db, ChannelKind kind, const Clock &clock, quint32 seed, QObject *parent);
    void wakeCustomerAt(const QString &outTradeNo, qint64 atMs);

    /// What one flush (or one customerPays) works on; defined in the .cpp.
    struct Batch;
    struct Call
    {
        QString op;
        QString ref;                      ///< the payment it touches (read up front), or empty
        std::function<void(Batch &)> run; ///< inside the batch transaction
        std::function<void(bool recorded)> answer; ///< after the commit (recorded: it succeeded), on the context's thread
        QPointer<QObject> context;
    };
    void enqueue(const QString &op, const QString &ref, QObject *context, std::function<void(Batch &)> run,
                 std::function<void(bool recorded)> answer);
    void flush();
    std::optional<Fault> takeFault(const QString &op);
    Script scriptFor(const QString &outTradeNo) const;
    /// The scripts kept in the books (sim_scripts), read in one statement.
    struct StoredScripts
    {
        QHash<QString, Script> byPrefix;
        QList<qsizetype> lengths; ///< of the stored prefixes, longest first
    };
    StoredScripts loadScripts(QSqlDatabase &conn) const;
    /// The longest stored prefix of `outTradeNo` wins; without one, scriptFor(outTradeNo).
    Script scriptFor(Batch &b, const QString &outTradeNo) const;
    Script scriptFor(const StoredScripts &stored, const QString &outTradeNo) const;
    struct Payment
    {
        QString outTradeNo, state, txnId;
        qint64 amountMinor = 0, createdAt = 0, expiresAt = 0, paidAt = 0, closedAt = 0;
        bool exists = false;
    };
    /// Reads the rows of `outTradeNos` that `b` does not hold yet, a few hundred per statement.
    void preload(Batch &b, QStringList outTradeNos);
    /// The batch's copy of a payment (exists = false: no such payment), read if not held yet.
    Payment &payment(Batch &b, const QString &outTradeNo);
    /// Lets the scripted customer act up to now.
    void settlePayment(Batch &b, Payment &p);
    void markPaid(Batch &b, Payment &p, qint64 at);
    void logEvent(Batch &b, const QString &op, const QString &ref, const QString &result, qint64 amount);
    /// Writes what the batch changed (closes, payments, ledger lines) on its connection.
    void writeBack(Batch &b);
    RefundResult settleRefund(Batch &b, const QString &outRefundNo, bool &exists);
    void scheduleNotification(const PaymentStatus &status, qint64 atMs);
    static PaymentStatus statusOf(const Payment &p);
    /// One of the hot path's statements, prepared on first use.
    Result<QSqlQuery *> cachedStatement(QSqlDatabase &conn, const QString &sql) const;
    /// Binds and runs one of the hot path's statements, preparing it on first use.
    Result<QSqlQuery *> cachedExec(QSqlDatabase &conn, const QString &sql, Sql::Binds binds) const;
    /// The same with positional binds, for the statements over many rows.
    Result<QSqlQuery *> cachedExec(QSqlDatabase &conn, const QString &sql, const QVariantList &binds) const;

    std::shared_ptr<Database> m_db; ///< shared by twins: one ledger, one connection per thread
    /// The hot path's statements, prepared once per connection (declared after m_db, so they
    /// go before the connection does). Node-based: a pointer stays valid while others are added.
    mutable std::unordered_map<QString, QSqlQuery> m_statements;
    ChannelKind m_kind = ChannelKind::Sim;
    const Clock &m_clock;
    quint32 m_seed;
    Script m_defaultScript;
    QHash<QString, Script> m_scripts;
    Mix m_mix;
    bool m_useMix = false;
    qint64 m_latencyMs = 0;
    std::deque<Fault> m_faults;
    RefundOutcome m_refundOutcome = RefundOutcome::Success;
    qint64 m_refundSettleMs = 0;
    qint64 m_notifyDelayMs = 0;
    QList<Call> m_pending;
    bool m_flushQueued = false;
};

} // namespace paydesk
