#pragma once

#include "domain/Domain.h"

#include <QColor>
#include <QCoreApplication>

namespace paydesk {

/// Translated names for the domain's states and kinds, and the chip colours the GUI uses,
/// in one place so the table, the detail pane and the charts agree.
class Labels final
{
    Q_DECLARE_TR_FUNCTIONS(Labels)
public:
    static QString of(OrderState s);
    static QString of(AttemptState s);
    static QString of(RefundState s);
    static QString of(AnomalyKind k);
    static QString of(AnomalyState s);
    static QString of(Role r);
    static QString of(ChannelKind c);
    static QString of(std::optional<ChannelKind> c) { return c ? of(*c) : QString(); }
    static QString of(CloseReason r);
    /// "2026-01-05 14:03:22" in local time, or "" for 0.
    static QString time(qint64 ms);
    /// "3 min ago", "2 h ago", "4 d ago".
    static QString age(qint64 ms);
    /// The user-facing name of an audit action ("refund.approve" -> "Refund approved").
    static QString action(const QString &action);
    /// Who did it, as a person reads it: a login as it is, PayDesk's own actors ("timer",
    /// "system", "auto", the demo's counter) in words.
    static QString actor(const QString &login);
    /// A text PayDesk wrote into the books (an anomaly's details, a proposed refund's reason),
    /// in the reader's language; older plain-text rows as stored.
    static QString systemText(const QString &stored);
    /// What a channel last answered about a payment or refund ("ABNORMAL", "NOT_EXIST", ...),
    /// in words; anything else (the channel's own message) as it is.
    static QString channelAnswer(const QString &lastError);
    /// An audit entry as a sentence ("admin approved refund RF1 of ¥12.00"), times in local
    /// time, amounts in the currency's format. The raw details stay in AuditEntry::details.
    static QString sentence(const AuditEntry &entry);
    /// An audit entry's object in words ("order:PD1" -> "order PD1", "recon:wechat:2026-01-05"
    /// -> "the WeChat Pay bill of 1/5/26").
    static QString object(const QString &object);
    /// The entry's details as compact JSON (what the sentence was made from).
    static QString rawDetails(const AuditEntry &entry);

    static QColor colour(OrderState s);
    static QColor colour(RefundState s);
    static QColor colour(ChannelKind c);
};

} // namespace paydesk
