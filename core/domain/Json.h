#pragma once

#include "domain/Domain.h"

#include <QJsonObject>

namespace paydesk {

/// Machine-readable forms (paydeskctl --json). Amounts appear twice: exact minor units and
/// the plain decimal string; times as ISO 8601 UTC.
QString isoTime(qint64 ms);
QJsonObject toJson(const Order &o);
QJsonObject toJson(const PaymentAttempt &a);
QJsonObject toJson(const Refund &r);
QJsonObject toJson(const Anomaly &a);
QJsonObject toJson(const AuditEntry &e);
QJsonObject toJson(const User &u);
QJsonObject toJson(const Error &e);

} // namespace paydesk
