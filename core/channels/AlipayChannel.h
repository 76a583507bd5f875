#pragma once

#include "channels/ChannelProfile.h"
#include "channels/PaymentChannel.h"
#include "util/Clock.h"

#include <QJsonObject>

#include <memory>

namespace paydesk {

class ChannelHttp;
struct HttpAnswer;

/// Alipay open API (gateway, RSA2): alipay.trade.precreate (QR), .query, .close, .refund and
/// .fastpay.refund.query. Requests are signed with SHA256withRSA over the sorted `k=v&...`
/// string; every answer's `<method>_response` JSON is verified against the Alipay public key
/// (an unsigned success is refused as forged), and notifications are verified with `sign` and
/// `sign_type` left out. Amounts travel as exact yuan strings ("12.30").
///
/// Lives on the thread that created it (its QNetworkAccessManager does); call it from there.
class AlipayChannel final : public PaymentChannel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlipayChannel)
public:
    static Result<std::unique_ptr<AlipayChannel>> create(const ChannelProfile &profile, const Clock &clock,
                                                         QObject *parent = nullptr);
    ~AlipayChannel() override;

    void setTransferTimeoutMs(int ms);

    ChannelKind kind() const override { return ChannelKind::Alipay; }
    qint64 minimumExpiryMs() const override { return 60'000; }
    bool tradeExistsFromCreation() const override { return false; }

    void createNative(const CreatePaymentRequest &request, QObject *context, Callback<CreatedPayment> done) override;
    void queryPayment(const QString &outTradeNo, QObject *context, Callback<PaymentStatus> done) override;
    /// ACQ.TRADE_HAS_CLOSE counts as closed; ACQ.TRADE_NOT_EXIST (the buyer never scanned) is a
    /// NotFound error, which closers record as "did not exist" (see LateLook).
    void closePayment(const QString &outTradeNo, QObject *context, Callback<Done> done) override;
    /// Sends out_request_no = outRefundNo, so a retry is the same refund.
    void refund(const RefundRequest &request, QObject *context, Callback<RefundResult> done) override;
    void queryRefund(const QString &outRefundNo, const QString &outTradeNo, QObject *context,
                     Callback<RefundResult> done) override;
    /// alipay.data.dataservice.bill.downloadurl.query (bill_type=trade), then a GET of the signed
    /// answer's bill_download_url (short-lived; no signature of ours travels with it). Only https
    /// is fetched (an http URL on an alipay.com host is fetched over https), http only on a
    /// loopback sandbox. The content is the zip as downloaded; it must be one.
    /// isp.bill_not_exist is NotReady for yesterday and today (Alipay makes yesterday's bill in
    /// the morning and refuses today's), NoBill for older days. FundFlow is not offered.
    void fetchBill(const BillRequest &request, QObject *context, Callback<BillFile> done) override;
    ChannelReply<ChannelNotification> decodeNotification(const QMap<QByteArray, QByteArray> &headers,
                                                         const QByteArray &body) const override;

    const ChannelProfile &profile() const;

private:
    struct Private;
    AlipayChannel(std::unique_ptr<Private> d, QObject *parent);
    /// Signs and posts one gateway call; `done` gets the verified `<method>_response` object,
    /// or why there is none. A non-10000 answer arrives as an error.
    void call(const QString &method, const QJsonObject &bizContent, const QString &notifyUrl,
              std::function<void(const QJsonObject &node, const ChannelError *error)> done);

    std::unique_ptr<Private> d;
};

} // namespace paydesk
