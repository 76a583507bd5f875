#pragma once

#include "domain/Domain.h"

#include <QByteArray>
#include <QDate>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <variant>

namespace paydesk {

// ---- values on the wire, channel-neutral ---------------------------------------------------

struct CreatePaymentRequest
{
    QString outTradeNo;
    qint64 amountMinor = 0;
    QString currency = QStringLiteral("CNY");
    qint64 expiresAtMs = 0;   ///< absolute; WeChat time_expire / Alipay time_expire
    QString description;      ///< order title
    QString notifyUrl;        ///< where the channel posts the payment notification (may be empty)
};

struct CreatedPayment
{
    QString codeUrl;          ///< the QR payload (weixin://..., https://qr.alipay.com/...)
};

enum class TradeState {
    NotPay,      ///< WeChat NOTPAY, Alipay WAIT_BUYER_PAY
    UserPaying,  ///< WeChat USERPAYING
    Success,     ///< WeChat SUCCESS, Alipay TRADE_SUCCESS / TRADE_FINISHED
    Refunded,    ///< WeChat REFUND (paid, then refunded)
    Closed,      ///< WeChat CLOSED, Alipay TRADE_CLOSED (unpaid and closed)
    PayError,    ///< WeChat PAYERROR
    NotExist,    ///< the channel has never seen it (ORDER_NOT_EXIST / ACQ.TRADE_NOT_EXIST)
};
QString toString(TradeState s);

struct PaymentStatus
{
    QString outTradeNo;
    TradeState state = TradeState::NotPay;
    QString channelTxnId;     ///< transaction_id / trade_no
    qint64 paidAtMs = 0;
    qint64 amountMinor = 0;   ///< what the payer actually paid (0 when unpaid)
    QString rawState;         ///< the channel's own word, for audit
    QString currency;         ///< the currency the channel states, empty when it states none
    /// For NotExist: the channel makes a trade only when the buyer scans the code (Alipay's
    /// precreate), so "never seen" is what an unscanned code always answers, not an answer
    /// older than the payment (see PaymentChannel::tradeExistsFromCreation).
    bool unscannedCode = false;
};

struct RefundRequest
{
    QString outRefundNo;      ///< made once, reused on every retry
    QString outTradeNo;
    qint64 refundMinor = 0;
    qint64 totalMinor = 0;    ///< the payment's total
    QString currency = QStringLiteral("CNY");
    QString reason;
    QString notifyUrl;
};

enum class RefundStatus { Processing, Success, Abnormal, Closed };
QString toString(RefundStatus s);

struct RefundResult
{
    QString outRefundNo;
    QString outTradeNo;
    RefundStatus status = RefundStatus::Processing;
    QString channelRefundId;
    qint64 amountMinor = 0;
    qint64 succeededAtMs = 0;
    QString rawStatus;
    QString currency;         ///< the currency the channel states, empty when it states none
};

/// A decoded, verified notification.
struct ChannelNotification
{
    enum class Kind { Payment, Refund };
    Kind kind = Kind::Payment;
    QString id;               ///< the channel's notification id (for duplicate detection)
    PaymentStatus payment;    ///< when kind == Payment
    RefundResult refund;      ///< when kind == Refund
};

/// Which daily bill (对账单) to fetch.
enum class BillKind {
    Trade,    ///< WeChat tradebill (bill_type=ALL), Alipay bill_type=trade: one row per payment/refund
    FundFlow, ///< WeChat fundflowbill (account_type=BASIC): fees and net settled; Alipay: signcustomer
};

struct BillRequest
{
    QDate date;               ///< the channel's business day (Beijing time)
    BillKind kind = BillKind::Trade;
};

/// A bill file as the channel wrote it, fetched and checked (WeChat: SHA-1 of the decompressed
/// file equals the signed hash_value; a mismatch is an error, never a BillFile). Parsing is the
/// reconciliation code's job (core/recon), not the channel's.
struct BillFile
{
    enum class Status {
        Ready,    ///< `content` holds the file
        NotReady, ///< the channel has not produced that day's bill yet: ask again later
        NoBill,   ///< the channel says there is no bill for that day (no trades): nothing to match
    };
    Status status = Status::Ready;
    BillRequest request;
    ChannelKind channel = ChannelKind::Sim;
    /// WeChat: the decompressed CSV text (UTF-8, backquote-prefixed fields).
    /// Alipay: the zip archive as downloaded (GBK CSV files inside).
    QByteArray content;
    QString fileName;         ///< a name for the file as the channel would give it
    QString hashType;         ///< "SHA1" when the channel stated a hash (WeChat), else empty
    QString hashValue;        ///< the hash the channel stated (hex), else empty
    QString message;          ///< the channel's words for NotReady / NoBill
};

/// Why a channel call failed, and whether repeating it with the same key is safe.
struct ChannelError
{
    enum class Kind {
        Network,       ///< connection refused/reset/dropped, DNS, TLS handshake
        Timeout,       ///< no answer in time (the request may or may not have landed)
        Server,        ///< 5xx, SYSTEM_ERROR
        RateLimited,   ///< FREQUENCY_LIMITED
        Signature,     ///< the answer was unsigned, badly signed, stale, or from an unknown key
        NotFound,      ///< ORDER_NOT_EXIST, RESOURCE_NOT_EXISTS, ACQ.TRADE_NOT_EXIST
        AlreadyPaid,   ///< ORDERPAID (close of a paid order), ACQ.TRADE_HAS_SUCCESS
        AlreadyClosed, ///< ORDER_CLOSED
        Rejected,      ///< a business refusal: NOT_ENOUGH, PARAM_ERROR, INVALID_REQUEST ...
        Config,        ///< no profile, missing key: nothing was sent
    };
    Kind kind = Kind::Network;
    bool retrySafe = false;
    QString code;             ///< the channel's own code (SYSTEM_ERROR, ACQ.SYSTEM_ERROR, HTTP_503 ...)
    QString message;          ///< the channel's own message, or ours
    int httpStatus = 0;
    qint64 retryAfterMs = 0;  ///< a hint from the channel (rate limits), 0 if none

    static ChannelError make(Kind kind, QString code, QString message, int http = 0);
    QString describe() const; ///< "SYSTEM_ERROR (HTTP 500): message" for logs and the status bar
};

/// The answer to a channel call: a value or a ChannelError.
template <typename T>
class ChannelReply
{
public:
    ChannelReply(T value) : m_v(std::move(value)) {}          // NOLINT(google-explicit-constructor)
    ChannelReply(ChannelError error) : m_v(std::move(error)) {} // NOLINT(google-explicit-constructor)
    bool ok() const { return m_v.index() == 0; }
    const T &value() const { return std::get<0>(m_v); }
    const T *operator->() const { return &value(); }
    const ChannelError &error() const { return std::get<1>(m_v); }

private:
    std::variant<T, ChannelError> m_v;
};

struct Done {}; ///< the value of a call that answers nothing but success (close)

/// A payment channel. Every call is asynchronous and never blocks the calling thread: the
/// callback runs later on the thread of `context` (never inside the call itself), and not at
/// all if `context` was destroyed first.
class PaymentChannel : public QObject
{
    Q_OBJECT
public:
    template <typename T>
    using Callback = std::function<void(const ChannelReply<T> &)>;

    using QObject::QObject;
    ~PaymentChannel() override = default;

    virtual ChannelKind kind() const = 0;
    /// The shortest time from now to expiry the channel accepts for a new payment
    /// (WeChat: 1 minute; Alipay: 1 minute; the simulator: 1 second).
    virtual qint64 minimumExpiryMs() const = 0;
    /// Whether the channel holds a trade from the moment it confirms creating the code (WeChat
    /// Native: yes, so a later "does not exist" is a stale answer). Alipay's precreate makes the
    /// trade only when the buyer scans: until then query and close answer ACQ.TRADE_NOT_EXIST.
    virtual bool tradeExistsFromCreation() const { return true; }

    virtual void createNative(const CreatePaymentRequest &request, QObject *context, Callback<CreatedPayment> done) = 0;
    virtual void queryPayment(const QString &outTradeNo, QObject *context, Callback<PaymentStatus> done) = 0;
    /// Closing a paid payment answers ChannelError::Kind::AlreadyPaid.
    virtual void closePayment(const QString &outTradeNo, QObject *context, Callback<Done> done) = 0;
    virtual void refund(const RefundRequest &request, QObject *context, Callback<RefundResult> done) = 0;
    virtual void queryRefund(const QString &outRefundNo, const QString &outTradeNo, QObject *context,
                             Callback<RefundResult> done) = 0;
    /// Fetches one day's bill. "Not ready yet" and "no bill for that day" are values
    /// (BillFile::Status), not errors; an unverifiable or mismatching file is an error.
    /// The default answers ChannelError::Kind::Config ("this channel has no bills").
    virtual void fetchBill(const BillRequest &request, QObject *context, Callback<BillFile> done);
    /// Verifies the signature (and timestamp) and decrypts the body of a callback the channel
    /// posted. Pure computation, so synchronous. Header names are matched case-insensitively.
    virtual ChannelReply<ChannelNotification> decodeNotification(const QMap<QByteArray, QByteArray> &headers,
                                                                 const QByteArray &body) const = 0;
};

} // namespace paydesk
