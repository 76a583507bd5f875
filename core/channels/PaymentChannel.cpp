#include "channels/PaymentChannel.h"

namespace paydesk {

QString toString(TradeState s)
{
    switch (s) {
    case TradeState::NotPay: return QStringLiteral("NOTPAY");
    case TradeState::UserPaying: return QStringLiteral("USERPAYING");
    case TradeState::Success: return QStringLiteral("SUCCESS");
    case TradeState::Refunded: return QStringLiteral("REFUND");
    case TradeState::Closed: return QStringLiteral("CLOSED");
    case TradeState::PayError: return QStringLiteral("PAYERROR");
    case TradeState::NotExist: return QStringLiteral("NOT_EXIST");
    }
    return {};
}

QString toString(RefundStatus s)
{
    switch (s) {
    case RefundStatus::Processing: return QStringLiteral("PROCESSING");
    case RefundStatus::Success: return QStringLiteral("SUCCESS");
    case RefundStatus::Abnormal: return QStringLiteral("ABNORMAL");
    case RefundStatus::Closed: return QStringLiteral("CLOSED");
    }
    return {};
}

ChannelError ChannelError::make(Kind kind, QString code, QString message, int http)
{
    ChannelError e;
    e.kind = kind;
    e.code = std::move(code);
    e.message = std::move(message);
    e.httpStatus = http;
    e.retrySafe = kind == Kind::Network || kind == Kind::Timeout || kind == Kind::Server || kind == Kind::RateLimited;
    return e;
}

QString ChannelError::describe() const
{
    QString out = code.isEmpty() ? QStringLiteral("error") : code;
    if (httpStatus > 0)
        out += QStringLiteral(" (HTTP %1)").arg(httpStatus);
    if (!message.isEmpty())
        out += QStringLiteral(": ") + message;
    return out;
}

void PaymentChannel::fetchBill(const BillRequest &request, QObject *context, Callback<BillFile> done)
{
    Q_UNUSED(request);
    ChannelError e = ChannelError::make(ChannelError::Kind::Config, QStringLiteral("NO_BILLS"),
                                        QStringLiteral("this channel offers no daily bills"));
    QMetaObject::invokeMethod(context ? context : this, [done = std::move(done), e] { done(e); },
                              Qt::QueuedConnection);
}

} // namespace paydesk
