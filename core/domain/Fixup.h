#pragma once

#include "domain/Domain.h"

namespace paydesk {

/// A correction of the books that a person asks for and another approves (four eyes). The
/// one kind so far, "mark paid", records money that reached the merchant without any answer
/// the books could apply (a lost notification, a channel that was down all day): the
/// requester names the channel's transaction id and says why.
enum class FixupState { Requested, Applied, Rejected };

/// How an applied fix-up was checked: the channel's verified answer confirmed the payment,
/// or the channel could not be reached and the approver's word stands (the day's bill checks
/// it later).
enum class FixupVerification { None, Confirmed, Unreachable };

struct Fixup
{
    qint64 id = 0;
    QString kind = QStringLiteral("MARK_PAID");
    qint64 orderId = 0;
    qint64 attemptId = 0;
    QString orderNo;    ///< read with the fix-up, not stored in it
    QString outTradeNo; ///< read with the fix-up
    ChannelKind channel = ChannelKind::Sim; ///< the attempt's, read with the fix-up
    QString channelTxnId;
    qint64 amountMinor = 0;
    QString currency = QStringLiteral("CNY");
    QString reason;
    FixupState state = FixupState::Requested;
    QString requestedBy;
    qint64 requestedAt = 0;
    QString reviewedBy;
    qint64 reviewedAt = 0;
    QString reviewNote;
    FixupVerification verification = FixupVerification::None;
};

inline QString toString(FixupState s)
{
    switch (s) {
    case FixupState::Requested: return QStringLiteral("REQUESTED");
    case FixupState::Applied: return QStringLiteral("APPLIED");
    case FixupState::Rejected: return QStringLiteral("REJECTED");
    }
    return {};
}

inline QString toString(FixupVerification v)
{
    switch (v) {
    case FixupVerification::None: return QString();
    case FixupVerification::Confirmed: return QStringLiteral("CONFIRMED");
    case FixupVerification::Unreachable: return QStringLiteral("UNREACHABLE");
    }
    return {};
}

template <> inline std::optional<FixupState> fromString<FixupState>(QStringView text)
{
    for (FixupState s : {FixupState::Requested, FixupState::Applied, FixupState::Rejected})
        if (text.compare(toString(s), Qt::CaseInsensitive) == 0)
            return s;
    return std::nullopt;
}

inline FixupVerification fixupVerificationFrom(QStringView text)
{
    if (text == u"CONFIRMED")
        return FixupVerification::Confirmed;
    if (text == u"UNREACHABLE")
        return FixupVerification::Unreachable;
    return FixupVerification::None;
}

} // namespace paydesk
