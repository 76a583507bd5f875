#pragma once

#include "channels/ChannelRegistry.h"
#include "services/AttemptCloser.h"
#include "services/OrderService.h"
#include "services/Reconciler.h"
#include "storage/Settings.h"

#include <QHash>
#include <QObject>
#include <QPointer>

#include <functional>

namespace paydesk {

/// Creating a payment at a channel, carried out asynchronously: the caller gets the task at
/// once and follows it (the GUI shows progress, the CLI waits for finished()). A failure that
/// is safe to retry is retried after 1 s, 2 s, 3 s ... with the same out_trade_no and
/// parameters, never past the attempt's expiry; the outcome is kept on the attempt.
class PayTask final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PayTask)
public:
    enum class State { Running, Succeeded, Failed };
    explicit PayTask(PaymentAttempt attempt, QObject *parent = nullptr) : QObject(parent), m_attempt(std::move(attempt)) {}

    State state() const { return m_state; }
    const PaymentAttempt &attempt() const { return m_attempt; }
    /// When Failed: why (the channel's code and message).
    const Error &error() const { return m_error; }
    int tries() const { return m_tries; }

signals:
    void progressed(const QString &message);
    void finished();

private:
    friend class PaymentService;
    PaymentAttempt m_attempt;
    State m_state = State::Running;
    Error m_error;
    int m_tries = 0;
};

/// Counter actions on payments: checkout, repay, close and refresh. Rules live here, so the
/// GUI, paydeskctl and any other client obey the same ones.
class PaymentService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PaymentService)
public:
    static constexpr int kDefaultRetries = 3;
    static constexpr int kMaxRetries = 5;

    PaymentService(Database &db, OrderRepository &orders, AuditLog &audit, Settings &settings, UserDirectory &users, const Clock &clock,
                   ChannelRegistry &channels, Reconciler &reconciler, OrderService &orderService, QObject *parent = nullptr);

    /// How many times a pay task retries a failure that is safe to retry (0..5).
    void setRetries(int retries) { m_retries = qBound(0, retries, kMaxRetries); }

    struct Started
    {
        Order order;
        std::optional<PaymentAttempt> attempt; ///< none for a zero total (paid at creation)
        QPointer<PayTask> task;                ///< follows the channel call; owned by the service
    };

    /// Counter checkout: creates the order and its first attempt, then the pay task.
    Result<Started> checkout(const User &actor, const NewOrder &request, ChannelKind channel);

    /// Re-issues the payment of a PENDING order: closes the previous open attempt at its channel
    /// first, then creates a new one whose channel expiry is the order's expiry minus the safety
    /// buffer. Refused (with the time left) when too little time remains.
    void repay(const User &actor, const QString &orderNo, ChannelKind channel, QObject *context,
               std::function<void(const Result<Started> &)> done);

    struct Closed
    {
        Order order;
        bool alreadyClosed = false; ///< someone (or the timer) had closed it already
        QString message;
    };
    /// Closes a PENDING order: every open attempt at its channel first, then locally. An
    /// attempt that turns out paid makes the order PAID instead (and the close is refused).
    void close(const User &actor, const QString &orderNo, QObject *context, std::function<void(const Result<Closed> &)> done);

    struct Refreshed
    {
        Order order;
        QList<Reconciler::Applied> applied;
        QStringList problems; ///< channels that could not be asked
    };
    /// Asks the channel about every open attempt of the order now and applies the answers.
    void refresh(const QString &actor, const QString &orderNo, QObject *context, std::function<void(const Result<Refreshed> &)> done);

    /// The time a repay on `order` through `channel` could still give the customer, or the
    /// refusal (with the time left) if it is too little.
    Result<qint64> repayWindow(const Order &order, ChannelKind channel) const;

signals:
    /// Something in the books changed (models refresh, the timer reloads).
    void booksChanged();

private:
    Status checkRole(const User &actor, const QString &what) const; // reads the account from the database
    PayTask *startTask(const PaymentAttempt &attempt, const QString &description);
    void runTask(PayTask *task, QString description);
    /// The channel made the payment, but meanwhile someone gave the attempt up (a close or
    /// repay elsewhere found nothing at the channel yet): close it there too, so no QR code of
    /// an order stays open behind our back, and apply what the channel says.
    void abandonCreated(PayTask *task, const PaymentAttempt &attempt);
    struct Outcomes
    {
        Order order;                          ///< as it is after the transaction
        bool closedHere = false;              ///< this call closed the order
        QList<PaymentAttempt> stillOpen;      ///< payments issued meanwhile (the order was not closed)
    };
    Result<Outcomes> applyOutcomes(const QString &actor, const Order &order, const QList<AttemptOutcome> &outcomes,
                                   bool closeOrder, CloseReason reason, QString *problem);
    void closeRound(const QString &key, const QString &login, const Order &before, const QList<PaymentAttempt> &open, int round);
    void repayAfterClosing(const User &actor, const QString &orderNo, ChannelKind channel,
                           std::function<void(const Result<Started> &)> done);

    Database &m_db;
    OrderRepository &m_orders;
    AuditLog &m_audit;
    Settings &m_settings;
    const Clock &m_clock;
    ChannelRegistry &m_channels;
    Reconciler &m_reconciler;
    OrderService &m_orderService;
    UserDirectory &m_users;
    int m_retries = kDefaultRetries;
    /// Actions running per order ("close:PD...", "repay:PD..."): a second identical
    /// submission joins the first and gets its answer instead of acting twice.
    QHash<QString, QList<std::function<void(const Result<Closed> &)>>> m_closing;
    QHash<QString, QList<std::function<void(const Result<Started> &)>>> m_repaying;
};

} // namespace paydesk
