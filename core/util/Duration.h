#pragma once

#include "util/Result.h"

#include <QCoreApplication>

namespace paydesk {

struct Duration
{
    Q_DECLARE_TR_FUNCTIONS(Duration)
public:
    /// "90" (seconds), "3s", "500ms", "30m", "2h", "1d" -> milliseconds.
    static Result<qint64> parseMs(QStringView text);
    /// "12:05", "1:02:03", "-0:07" for countdowns; "3d 4h" beyond a day.
    static QString countdown(qint64 ms);
    /// "2 min 5 s" for messages.
    static QString human(qint64 ms);
};

} // namespace paydesk
