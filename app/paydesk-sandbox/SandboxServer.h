#pragma once

#include "SandboxKeys.h"

#include "channels/BillWriter.h"

#include <QAbstractHttpServer>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QSet>
#include <QUrlQuery>

#include <deque>
#include <optional>

class QNetworkAccessManager;
class QTcpSocket;

namespace paydesk::sandbox {

/// A loopback look-alike of the WeChat Pay v3 subset and the Alipay gateway subset PayDesk
/// uses: it checks the client's signatures, signs its own answers with real keys, keeps the
/// books of payments and refunds in memory, posts signed (and for WeChat, encrypted)
/// notifications, and injects faults on request. See README-style help in main.cpp.
class SandboxServer final : public QAbstractHttpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SandboxServer)
public:
    explicit SandboxServer(SandboxKeys keys, QObject *parent = nullptr);
    ~SandboxServer() override;

    /// Post every notification here instead of the notify_url of the order (empty: per order).
    void setNotifyOverride(const QString &url) { m_notifyOverride = url; }
    /// Keep the books (payments, refunds) in <dir>/sandbox-books.json, so a restarted sandbox
    /// still knows what it answered. Loads them now.
    void setStateDir(const QString &dir);
    /// Sign WeChat answers with the WeChat Pay public key instead of the platform certificate.
    void setPublicKeyMode(bool on) { m_publicKeyMode = on; }
    const SandboxKeys &keys() const { return m_keys; }

    /// One HTTP answer (headers in order).
    struct Reply
    {
        int status = 200;
        QByteArray body;
        QList<QPair<QByteArray, QByteArray>> headers;
        bool drop = false;        ///< abort the connection instead of answering
        qint64 delayMs = 0;
    };
    struct Request
    {
        QByteArray method;
        QString path;
        QByteArray canonicalUrl; ///< path?query as the client signed it
        QHash<QByteArray, QByteArray> headers; ///< lower-cased names
        QByteArray body;
        QUrlQuery query;          ///< for the WeChat paths ('+' is a literal plus there)
        QByteArray rawQuery;      ///< the query as sent, fully encoded (Alipay decodes it as a form)
    };

    /// Answers one request exactly as if it had come over HTTP, without a socket and without
    /// saving the books: the entry point of tests/fuzz/fuzz_sandbox_request. `headers` are
    /// matched case-insensitively.
    Reply handle(const QByteArray &method, const QUrl &url, const QHash<QByteArray, QByteArray> &headers,
                 const QByteArray &body);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    enum class FaultKind { Latency, Http500, Drop, Unsigned, StaleTimestamp, BadSignature, WrongSerial, TamperBody,
                           PayBeforeClose, UnscannedStaysPayable, RefundFail, BadBillHash, BillNotReady, ForeignDownloadUrl,
                           // notifications, still genuinely signed: whose they are, and when
                           ForeignApp, ForeignMerchant, NoMerchant, StaleNotifyTime,
                           // Alipay requests: refuse a timestamp further than windowMs from Beijing time
                           TimestampWindow };
    struct Fault
    {
        QString channel; ///< wechat, alipay, *
        QString op;      ///< create, query, close, refund, query_refund, notify, *
        FaultKind kind = FaultKind::Http500;
        int times = 1;
        qint64 latencyMs = 0;
        bool lands = false; ///< drop/latency/5xx: the call takes effect, only the answer is lost
        qint64 windowMs = 15 * 60'000; ///< timestamp_window
    };
    struct Payment
    {
        QString channel;
        QString outTradeNo;
        qint64 amount = 0;
        QString description;
        QString state;      ///< WeChat trade_state / Alipay trade_status (or CREATED: not scanned yet)
        QString txnId;
        QString codeUrl;
        qint64 createdAt = 0;
        qint64 expiresAt = 0;
        qint64 paidAt = 0;
        qint64 refunded = 0;
        QString notifyUrl;
    };
    struct Refund
    {
        QString channel;
        QString outRefundNo;
        QString outTradeNo;
        QString refundId;
        qint64 amount = 0;
        QString status;     ///< PROCESSING, SUCCESS, ABNORMAL, CLOSED
        QString outcome;    ///< where PROCESSING ends
        int queriesLeft = 0;
        qint64 createdAt = 0;
        qint64 successAt = 0;
        QString notifyUrl;
    };

    Reply route(const Request &r);
    void send(QTcpSocket *socket, const Reply &reply);
    std::optional<Fault> takeFaultAny(const QString &channel, const QString &op);

    // WeChat Pay v3
    Reply wechat(const Request &r);
    Reply wechatAnswer(int status, const QByteArray &body, const std::optional<Fault> &fault);
    Reply wechatError(int status, const QString &code, const QString &message, const std::optional<Fault> &fault = {});
    QJsonObject wechatTransaction(const Payment &p) const;
    QJsonObject wechatRefund(const Refund &f, const Payment &p) const;
    void settleRefundQuery(Refund &f);

    // Alipay gateway
    Reply alipay(const Request &r);
    Reply alipayAnswer(const QString &method, const QJsonObject &node, const std::optional<Fault> &fault);
    Reply alipayGatewayError(const QString &code, const QString &msg, const QString &subCode, const QString &subMsg);
    /// A refusal of a request whose method and app are known: under the method's *_response
    /// node and signed, as the real gateway sends it.
    Reply alipaySignedRefusal(const QString &method, const QString &subCode, const QString &subMsg);

    // Sandbox control
    Reply control(const Request &r);
    Result<QJsonObject> customerPays(const QString &outTradeNo, bool evenIfClosed);
    QJsonObject stateJson() const;

    // Notifications
    void notifyPayment(const Payment &p);
    void notifyRefund(const Refund &f, const Payment &p);
    void postNotification(const QString &url, const QByteArray &body, const QList<QPair<QByteArray, QByteArray>> &headers);
    QList<QPair<QByteArray, QByteArray>> wechatSignedHeaders(QByteArray &body, const std::optional<Fault> &fault);

    // Daily bills, made from the books (with the injected differences)
    QList<bills::BillRow> billRows(const QString &channel, const QDate &day) const;
    Reply billDownload(const Request &r, const QString &channel);

    void saveBooks() const;
    qint64 now() const;
    Payment *payment(const QString &channel, const QString &outTradeNo);

    SandboxKeys m_keys;
    bool m_publicKeyMode = false;
    QHash<QString, Payment> m_payments; ///< "channel/out_trade_no"
    QHash<QString, Refund> m_refunds;   ///< "channel/out_refund_no"
    std::deque<Fault> m_faults;
    QString m_refundOutcome = QStringLiteral("SUCCESS");
    int m_refundQueries = 1;
    QString m_notifyOverride;
    QHash<QString, int> m_calls;
    int m_notificationsSent = 0;
    int m_notificationsAcked = 0;
    int m_notificationsReceived = 0; ///< posted to /sandbox/notify-sink (the generated profiles' notify_url)
    QNetworkAccessManager *m_nam;
    QString m_booksPath;
    QHash<QString, QByteArray> m_billFiles;   ///< download token -> the file as served (gzip / zip)
    QHash<QString, qint64> m_billAmounts;     ///< "channel/out_trade_no" -> the amount its bill shows
    QSet<QString> m_billDroppedRefunds;       ///< "channel/out_refund_no" left out of the bill
};

} // namespace paydesk::sandbox
