#include "DateRange.h"

#include <QComboBox>

namespace paydesk::ui {

void DateRange::fill(QComboBox *box, bool withAny)
{
    if (withAny)
        box->addItem(tr("Any time"), Any);
    box->addItem(tr("Today"), Today);
    box->addItem(tr("Last 7 days"), Last7);
    box->addItem(tr("Last 30 days"), Last30);
    box->addItem(tr("This month"), ThisMonth);
    box->addItem(tr("Custom…"), Custom);
}

std::pair<QDate, QDate> DateRange::days(Kind kind, QDate today)
{
    switch (kind) {
    case Any: return {QDate(), QDate()};
    case Today: return {today, today};
    case Last7: return {today.addDays(-6), today};
    case Last30: return {today.addDays(-29), today};
    case ThisMonth: return {QDate(today.year(), today.month(), 1), today};
    case Custom: return {today.addDays(-6), today};
    }
    return {};
}

} // namespace paydesk::ui
