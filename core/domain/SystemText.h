#pragma once

#include "domain/Domain.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QString>

namespace paydesk {

/// The texts PayDesk itself writes into the books for people to read (an anomaly's details, the
/// reason of a refund it proposes). They are stored as a code with its facts, a compact JSON
/// object `{"text":"refund.closed","args":{"refund":"RF..."}}`, and put into words when shown,
/// in the reader's language (render()). Rows written before this form hold plain English words
/// and are shown as stored.
///
/// Also the words for states and reasons inside messages ("already closed (time ran out)"),
/// so a message never carries a raw enum such as EXPIRED.
class SystemText final
{
    Q_DECLARE_TR_FUNCTIONS(SystemText)
public:
    /// The stored form of text `code` with its facts.
    static QString make(const QString &code, const QJsonObject &args);
    /// Whether `stored` is in the coded form (else: plain words of an older row).
    static bool isCoded(const QString &stored);
    /// The code of a coded text ("" for plain words).
    static QString code(const QString &stored);
    /// The words of `stored` in the installed translation; plain words as they are.
    static QString render(const QString &stored);

    // ---- the texts PayDesk writes (each returns the stored form) ----
    static QString paidAfterClose(const QString &outTradeNo, const QString &orderNo);
    static QString duplicatePayment(const QString &outTradeNo, const QString &orderNo);
    static QString paymentAmountMismatch(const QString &outTradeNo, qint64 statedMinor, const QString &statedCurrency,
                                         qint64 expectedMinor, const QString &expectedCurrency);
    static QString refundAmountMismatch(const QString &outRefundNo, qint64 statedMinor, const QString &statedCurrency,
                                        qint64 expectedMinor, const QString &expectedCurrency);
    static QString refundAbnormal(const QString &outRefundNo);
    static QString refundClosed(const QString &outRefundNo);
    static QString refundRefused(const QString &outRefundNo, const QString &channelError);
    static QString refundUnconfirmed(const QString &outRefundNo, int tries, const QString &channelError);
    static QString billRefundUnknown(ChannelKind channel, const QString &date, const QString &outRefundNo, qint64 minor,
                                     const QString &currency, const QString &outTradeNo, int line);
    static QString billPaymentUnknown(ChannelKind channel, const QString &date, const QString &outTradeNo, qint64 minor,
                                      const QString &currency, const QString &channelTxnId, int line);
    static QString billDiffers(ChannelKind channel, const QString &date, const QString &kind, const QString &ref,
                               qint64 oursMinor, qint64 billMinor);

    // ---- words inside messages (translated now) ----
    static QString of(OrderState s);
    static QString of(CloseReason r);
    static QString of(AttemptState s);
    static QString of(RefundState s);
    static QString of(Role r);
    static QString of(ChannelKind c);
    /// A reconciliation difference kind ("AMOUNT" -> "payment amount").
    static QString differenceKind(const QString &kind);
    /// "closed PD... (time ran out, 1.2 s after its deadline)", for the timer's status line.
    static QString expiredClose(const QString &orderNo, qint64 lateMs);
    /// "¥1,234.50" from a plain amount ("1234.50") in the current locale; "" stays "".
    static QString plainMoney(const QString &plain, const QString &currency = QStringLiteral("CNY"));
};

} // namespace paydesk
