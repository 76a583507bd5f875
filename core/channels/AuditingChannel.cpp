#include "channels/AuditingChannel.h"

#include "storage/AuditLog.h"
#include "storage/OrderRepository.h"

#include <QJsonObject>

namespace paydesk {

AuditingChannel::AuditingChannel(std::unique_ptr<PaymentChannel> inner, AuditLog &audit, QObject *parent)
    : PaymentChannel(parent), m_inner(std::move(inner)), m_audit(audit)
{
    m_inner->setParent(nullptr); // owned by the unique_ptr, not by the QObject tree
}

QString AuditingChannel::objectOf(const QString &outTradeNo)
{
    // Both numberings: "PD..._02" and, made before migration 009, "PD...-02".
    const QString orderNo = Ids::orderNoOf(outTradeNo);
    return !orderNo.isEmpty() ? QStringLiteral("order:") + orderNo : QStringLiteral("payment:") + outTradeNo;
}

void AuditingChannel::record(const QString &op, const QString &outTradeNo, const QString &ref, const ChannelError &error)
{
    QJsonObject details{{QStringLiteral("channel"), toString(kind())},
                        {QStringLiteral("op"), op},
                        {QStringLiteral("code"), error.code},
                        {QStringLiteral("message"), error.message}};
    if (!outTradeNo.isEmpty())
        details.insert(QStringLiteral("out_trade_no"), outTradeNo);
    if (ref != outTradeNo && !ref.isEmpty())
        details.insert(QStringLiteral("out_refund_no"), ref);
    m_audit.recordRefusal(QStringLiteral("system"), QStringLiteral("channel.answer.refused"),
                          outTradeNo.isEmpty() ? QStringLiteral("refund:") + ref : objectOf(outTradeNo), details);
}

template <typename T>
PaymentChannel::Callback<T> AuditingChannel::audited(const QString &op, const QString &outTradeNo, const QString &ref,
                                                     Callback<T> done)
{
    return [this, op, outTradeNo, ref, done = std::move(done)](const ChannelReply<T> &reply) {
        if (!reply.ok() && reply.error().kind == ChannelError::Kind::Signature)
            record(op, outTradeNo, ref, reply.error());
        done(reply);
    };
}

void AuditingChannel::createNative(const CreatePaymentRequest &request, QObject *context, Callback<CreatedPayment> done)
{
    m_inner->createNative(request, context,
                          audited<CreatedPayment>(QStringLiteral("create"), request.outTradeNo, request.outTradeNo, std::move(done)));
}

void AuditingChannel::queryPayment(const QString &outTradeNo, QObject *context, Callback<PaymentStatus> done)
{
    m_inner->queryPayment(outTradeNo, context, audited<PaymentStatus>(QStringLiteral("query"), outTradeNo, outTradeNo, std::move(done)));
}

void AuditingChannel::closePayment(const QString &outTradeNo, QObject *context, Callback<Done> done)
{
    m_inner->closePayment(outTradeNo, context, audited<Done>(QStringLiteral("close"), outTradeNo, outTradeNo, std::move(done)));
}

void AuditingChannel::refund(const RefundRequest &request, QObject *context, Callback<RefundResult> done)
{
    m_inner->refund(request, context,
                    audited<RefundResult>(QStringLiteral("refund"), request.outTradeNo, request.outRefundNo, std::move(done)));
}

void AuditingChannel::queryRefund(const QString &outRefundNo, const QString &outTradeNo, QObject *context,
                                  Callback<RefundResult> done)
{
    m_inner->queryRefund(outRefundNo, outTradeNo, context,
                         audited<RefundResult>(QStringLiteral("query_refund"), outTradeNo, outRefundNo, std::move(done)));
}

void AuditingChannel::fetchBill(const BillRequest &request, QObject *context, Callback<BillFile> done)
{
    m_inner->fetchBill(request, context, [this, request, done = std::move(done)](const ChannelReply<BillFile> &reply) {
        if (!reply.ok() && reply.error().kind == ChannelError::Kind::Signature) {
            const QString date = request.date.toString(Qt::ISODate);
            const QJsonObject details{{QStringLiteral("channel"), toString(kind())},
                                      {QStringLiteral("op"), QStringLiteral("bill")},
                                      {QStringLiteral("bill_date"), date},
                                      {QStringLiteral("bill_kind"), request.kind == BillKind::FundFlow ? QStringLiteral("fundflow")
                                                                                                     : QStringLiteral("trade")},
                                      {QStringLiteral("code"), reply.error().code},
                                      {QStringLiteral("message"), reply.error().message}};
            m_audit.recordRefusal(QStringLiteral("system"), QStringLiteral("channel.answer.refused"),
                                  QStringLiteral("bill:") + toString(kind()) + u':' + date, details);
        }
        done(reply);
    });
}

ChannelReply<ChannelNotification> AuditingChannel::decodeNotification(const QMap<QByteArray, QByteArray> &headers,
                                                                      const QByteArray &body) const
{
    return m_inner->decodeNotification(headers, body);
}

} // namespace paydesk
