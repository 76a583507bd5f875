#pragma once

#include "storage/OrderRepository.h"

#include <atomic>
#include <functional>

namespace paydesk {

/// Writes the orders matching a filter (in its sort order) to a CSV file, streaming one
/// forward-only query into a QSaveFile: the file appears whole or not at all. Meant for the
/// DbWorker thread; `progress(done, total)` is called every few thousand rows and `stop`
/// cancels (the half-written file is discarded).
class OrderExport final
{
    Q_DECLARE_TR_FUNCTIONS(OrderExport)
public:
    static Result<qint64> toCsv(Database &db, OrderRepository &orders, OrderFilter filter, const QString &path,
                                const std::function<void(qint64 done, qint64 total)> &progress = {},
                                const std::atomic_bool *stop = nullptr);
};

} // namespace paydesk
