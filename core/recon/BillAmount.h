#pragma once

#include "util/Result.h"

#include <QCoreApplication>
#include <QStringView>

namespace paydesk::recon {

/// Exact conversion of an amount as a channel's bill writes it ("12.30", "`0.01", "-5.00",
/// WeChat fees "0.06000") to minor units, never through a double. Grammar: an optional
/// backquote, an optional '-', ASCII digits, optionally '.' and digits. Decimals beyond
/// `digits` are accepted only when they are zeros (a fee written to five places), so no
/// fraction of a minor unit is ever dropped. At most 15 whole digits (no overflow).
class BillAmount
{
    Q_DECLARE_TR_FUNCTIONS(BillAmount)
public:
    static Result<qint64> toMinor(QStringView text, int digits = 2);
};

} // namespace paydesk::recon
