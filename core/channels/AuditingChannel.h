#pragma once

#include "channels/PaymentChannel.h"

#include <memory>

namespace paydesk {

class AuditLog;

/// Wraps a real channel so that every answer refused for its signature (unsigned, badly
/// signed, stale, from an unknown key, undecryptable) is written to the audit log as
/// "channel.answer.refused" on the order it concerns, whoever asked: the timer, a refresh, a
/// close or a repay. A forged answer is a security event finance must be able to find later;
/// the caller still gets the same error and keeps the books unchanged.
///
/// Notifications are not audited here: whoever applies one audits its refusal with the
/// notification's context (see paydeskctl notify apply).
class AuditingChannel final : public PaymentChannel
{
    Q_OBJECT
public:
    AuditingChannel(std::unique_ptr<PaymentChannel> inner, AuditLog &audit, QObject *parent = nullptr);

    ChannelKind kind() const override { return m_inner->kind(); }
    qint64 minimumExpiryMs() const override { return m_inner->minimumExpiryMs(); }
    bool tradeExistsFromCreation() const override { return m_inner->tradeExistsFromCreation(); }
    void createNative(const CreatePaymentRequest &request, QObject *context, Callback<CreatedPayment> done) override;
    void queryPayment(const QString &outTradeNo, QObject *context, Callback<PaymentStatus> done) override;
    void closePayment(const QString &outTradeNo, QObject *context, Callback<Done> done) override;
    void refund(const RefundRequest &request, QObject *context, Callback<RefundResult> done) override;
    void queryRefund(const QString &outRefundNo, const QString &outTradeNo, QObject *context,
                     Callback<RefundResult> done) override;
    /// Forwarded; a bill refused for its signature or its hash is audited on "bill:<channel>:<date>".
    void fetchBill(const BillRequest &request, QObject *context, Callback<BillFile> done) override;
    ChannelReply<ChannelNotification> decodeNotification(const QMap<QByteArray, QByteArray> &headers,
                                                         const QByteArray &body) const override;

    PaymentChannel *inner() const { return m_inner.get(); }

    /// "PD2026..._02" (or the older "PD2026...-02") -> "order:PD2026..."; anything else -> "payment:<ref>".
    static QString objectOf(const QString &outTradeNo);

private:
    template <typename T>
    Callback<T> audited(const QString &op, const QString &outTradeNo, const QString &ref, Callback<T> done);
    void record(const QString &op, const QString &outTradeNo, const QString &ref, const ChannelError &error);

    std::unique_ptr<PaymentChannel> m_inner;
    AuditLog &m_audit;
};

} // namespace paydesk
