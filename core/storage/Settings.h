#pragma once

#include "storage/Database.h"

namespace paydesk {

/// Merchant-wide settings kept in the database (so every seat agrees). Secrets never go here.
class Settings final
{
public:
    static constexpr qint64 kDefaultPayTimeoutS = 30 * 60;
    static constexpr qint64 kDefaultRepayBufferS = 60;

    explicit Settings(Database &db) : m_db(db) {}

    Result<QString> value(const QString &key, const QString &fallback = {});
    Status setValue(const QString &key, const QString &value);

    qint64 payTimeoutS() { return intValue(QStringLiteral("pay_timeout_s"), kDefaultPayTimeoutS); }
    qint64 repayBufferS() { return intValue(QStringLiteral("repay_buffer_s"), kDefaultRepayBufferS); }
    /// Refunds up to this many minor units are approved at once (0: everything is reviewed).
    qint64 autoApproveMinor() { return intValue(QStringLiteral("auto_approve_minor"), 0); }
    bool isDemo() { return intValue(QStringLiteral("demo"), 0) != 0; }

private:
    qint64 intValue(const QString &key, qint64 fallback);
    Database &m_db;
};

} // namespace paydesk
