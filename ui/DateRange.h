#pragma once

#include <QCoreApplication>
#include <QDate>

class QComboBox;

namespace paydesk::ui {

/// The date ranges offered by the orders filter and the finance page.
struct DateRange
{
    Q_DECLARE_TR_FUNCTIONS(DateRange)
public:
    enum Kind { Any, Today, Last7, Last30, ThisMonth, Custom };
    /// Fills a combo box with the kinds (Any only when `withAny`).
    static void fill(QComboBox *box, bool withAny);
    /// [first, last] local days for `kind` relative to `today`; invalid dates for Any.
    static std::pair<QDate, QDate> days(Kind kind, QDate today);
};

} // namespace paydesk::ui
