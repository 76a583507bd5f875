#pragma once

#include "channels/ChannelProfile.h"
#include "channels/PaymentChannel.h"
#include "util/Clock.h"

#include <memory>

namespace paydesk {

class ChannelHttp;
struct HttpAnswer;

/// WeChat Pay API v3 (native QR payments and domestic refunds) over HTTPS.
///
/// Every request is signed (WECHATPAY2-SHA256-RSA2048 with the merchant private key). Every
/// answer, errors included when they are signed, and every notification is verified with the
/// WeChat Pay public key or the platform certificate that Wechatpay-Serial names; a timestamp
/// more than 5 minutes from the injected clock, an unknown serial, a bad signature and an
/// unsigned 2xx are all refused as ChannelError::Kind::Signature. Notification resources are
/// decrypted with AEAD_AES_256_GCM and the APIv3 key.
///
/// Lives on the thread that created it (its QNetworkAccessManager does); call it from there.
class WeChatPayChannel final : public PaymentChannel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WeChatPayChannel)
public:
    /// Refuses a profile that does not validate (keys, http to a non-loopback host, ...).
    static Result<std::unique_ptr<WeChatPayChannel>> create(const ChannelProfile &profile, const Clock &clock,
                                                            QObject *parent = nullptr);
    ~WeChatPayChannel() override;

    /// Transfer timeout of each request (default 15 s); a timeout is Kind::Timeout (retry-safe).
    void setTransferTimeoutMs(int ms);

    ChannelKind kind() const override { return ChannelKind::WeChat; }
    qint64 minimumExpiryMs() const override { return 60'000; }

    void createNative(const CreatePaymentRequest &request, QObject *context, Callback<CreatedPayment> done) override;
    void queryPayment(const QString &outTradeNo, QObject *context, Callback<PaymentStatus> done) override;
    void closePayment(const QString &outTradeNo, QObject *context, Callback<Done> done) override;
    void refund(const RefundRequest &request, QObject *context, Callback<RefundResult> done) override;
    void queryRefund(const QString &outRefundNo, const QString &outTradeNo, QObject *context,
                     Callback<RefundResult> done) override;
    /// GET /v3/bill/tradebill (bill_type=ALL) or /v3/bill/fundflowbill (account_type=BASIC), both
    /// with tar_type=GZIP; then, at once, a signed GET of the answer's download_url (which must be
    /// on the profile's gateway: our signature never goes to another host; a loopback sandbox
    /// gateway may hand out any loopback URL). The file answer is unsigned: it is gunzipped and
    /// its SHA-1 must equal the signed hash_value, or it is refused (Kind::Signature).
    /// NO_STATEMENT_EXIST is BillFile::NoBill, STATEMENT_CREATING is NotReady.
    void fetchBill(const BillRequest &request, QObject *context, Callback<BillFile> done) override;
    ChannelReply<ChannelNotification> decodeNotification(const QMap<QByteArray, QByteArray> &headers,
                                                         const QByteArray &body) const override;

    const ChannelProfile &profile() const;

private:
    struct Private;
    WeChatPayChannel(std::unique_ptr<Private> d, QObject *parent);
    /// Signs and sends; `done` gets the verified answer (or why it is not acceptable).
    void call(const QByteArray &verb, const QString &pathAndQuery, const QByteArray &body,
              std::function<void(const HttpAnswer &, const ChannelError *error)> done);

    /// A signed GET of an absolute URL whose answer is a file, not signed (the bill download).
    void download(const QUrl &url, std::function<void(const HttpAnswer &, const ChannelError *error)> done);

    std::unique_ptr<Private> d;
};

} // namespace paydesk
