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

    static QColor colour(OrderState s);
    static QColor colour(RefundState s);
    static QColor colour(ChannelKind c);
};

} // namespace paydesk
