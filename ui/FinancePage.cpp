#include "FinancePage.h"

#include "util/Csv.h"

#include "DateRange.h"
#include "DbWorker.h"
#include "FileDialogs.h"
#include "Labels.h"
#include "MessageBox.h"
#include "services/Services.h"

#include <QAction>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateEdit>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHorizontalBarSeries>
#include <QLabel>
#include <QLineSeries>
#include <QLocale>
#include <QLoggingCategory>
#include <QPieSeries>
#include <QPen>
#include <QPieSlice>
#include <QPushButton>
#include <QValueAxis>
#include <QVBoxLayout>

#include <cmath>

namespace paydesk::ui {

Q_LOGGING_CATEGORY(lcFinance, "paydesk.finance")

namespace {

using Table = FinanceTableModel::Table;

/// The chart's last step: minor units become display units (yuan) only here.
qreal toMajor(qint64 minor) { return qreal(minor) / 100.0; }

QColor kPaid(0x2E, 0xA0, 0x4F);
QColor kRefunded(0xD9, 0x3B, 0x3B);
QColor kNet(0x3B, 0x82, 0xC4);
QColor kFees(0x8E, 0x5B, 0xB5);
QColor kNetAfterFees(0x1F, 0x4E, 0x79);

QChart *newChart()
{
    auto *chart = new QChart;
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(0);
    return chart;
}

/// A money axis from 0 to a little above `max` (major units), about `ticks` ticks at round
/// amounts labelled as money in the user's locale ("¥12,000", "¥0.50"), never "12000".
QCategoryAxis *moneyAxis(qreal max, int ticks = 6)
{
    auto *axis = new QCategoryAxis;
    axis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    // Ticks in minor units: the smallest step of 1, 2 or 5 times a power of ten that gives at
    // most `ticks` of them.
    const qint64 topMinor = qMax<qint64>(1, qint64(std::ceil(max * 110.0))); // max * 1.1, in fen
    const qint64 target = qMax<qint64>(1, (topMinor + ticks - 1) / ticks);
    qint64 step = 1;
    while (step < target) {
        if (step * 2 >= target) { step *= 2; break; }
        if (step * 5 >= target) { step *= 5; break; }
        step *= 10;
    }
    const qint64 count = (topMinor + step - 1) / step;
    const QLocale loc;
    axis->setStartValue(0);
    for (qint64 i = 0; i <= count; ++i) {
        const qint64 minor = i * step;
        const QString label = step % 100 == 0 ? Currency::cny().symbol() + loc.toString(minor / 100)
                                              : Money::cny(minor).toDisplayString(loc);
        axis->append(label, toMajor(minor));
    }
    axis->setRange(0, toMajor(count * step));
    return axis;
}

} // namespace

FinancePage::FinancePage(UiContext &ctx, QWidget *parent)
    : Page(parent), m_ctx(ctx), m_range(new QComboBox(this)), m_from(new QDateEdit(this)), m_to(new QDateEdit(this)),
      m_style(new QComboBox(this)), m_summary(new QLabel(this))
{
    setObjectName(QStringLiteral("financePage"));
    for (int i = 0; i < 4; ++i)
        m_tables[i] = new FinanceTableModel(Table(i), this);
    auto *layout = new QVBoxLayout(this);
    auto *top = new QHBoxLayout;
    auto *heading = new QLabel(tr("Finance"), this);
    QFont f = heading->font();
    f.setPointSizeF(f.pointSizeF() * 1.3);
    f.setBold(true);
    heading->setFont(f);
    top->addWidget(heading);
    top->addSpacing(16);
    auto *rangeLabel = new QLabel(tr("&Range:"), this);
    rangeLabel->setBuddy(m_range);
    DateRange::fill(m_range, false);
    m_range->setCurrentIndex(m_range->findData(DateRange::Last7));
    for (QDateEdit *d : {m_from, m_to}) {
        d->setCalendarPopup(true);
        d->setDisplayFormat(QStringLiteral("yyyy-MM-dd"));
        d->setVisible(false);
    }
    m_from->setAccessibleName(tr("From date"));
    m_to->setAccessibleName(tr("To date"));
    auto *styleLabel = new QLabel(tr("&Daily as:"), this);
    styleLabel->setBuddy(m_style);
    m_style->addItem(tr("Bars"));
    m_style->addItem(tr("Lines"));
    top->addWidget(rangeLabel);
    top->addWidget(m_range);
    top->addWidget(m_from);
    top->addWidget(m_to);
    top->addWidget(styleLabel);
    top->addWidget(m_style);
    top->addStretch(1);
    auto *reload = new QPushButton(tr("Re&fresh"), this);
    top->addWidget(reload);
    layout->addLayout(top);
    m_summary->setObjectName(QStringLiteral("financeSummary"));
    m_summary->setTextFormat(Qt::PlainText);
    layout->addWidget(m_summary);
    auto *grid = new QGridLayout;
    grid->addWidget(chartBox(Table::Daily, tr("Daily paid, refunded and net; fees and net after fees from the channels' bills")), 0, 0,
                    1, 2);
    grid->addWidget(chartBox(Table::States, tr("Orders by state")), 1, 0);
    grid->addWidget(chartBox(Table::Channels, tr("Money received by channel")), 1, 1);
    grid->addWidget(chartBox(Table::Backlog, tr("Refund backlog (now)")), 0, 2, 2, 1);
    grid->setColumnStretch(0, 5);
    grid->setColumnStretch(1, 5);
    grid->setColumnStretch(2, 4);
    grid->setRowStretch(0, 3);
    grid->setRowStretch(1, 2);
    layout->addLayout(grid, 1);

    connect(m_range, &QComboBox::currentIndexChanged, this, &FinancePage::rangeChanged);
    connect(m_from, &QDateEdit::dateChanged, this, &FinancePage::refresh);
    connect(m_to, &QDateEdit::dateChanged, this, &FinancePage::refresh);
    connect(m_style, &QComboBox::currentIndexChanged, this, &FinancePage::rebuildCharts);
    connect(reload, &QPushButton::clicked, this, &FinancePage::refresh);
    auto *refreshAction = new QAction(this);
    refreshAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_R), QKeySequence(Qt::Key_F5)});
    addAction(refreshAction);
    connect(refreshAction, &QAction::triggered, this, &FinancePage::refresh);
    markStale(); // computed when first shown
}

QWidget *FinancePage::chartBox(Table which, const QString &title)
{
    auto *box = new QGroupBox(title, this);
    auto *l = new QVBoxLayout(box);
    auto *view = new QChartView(newChart(), box);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(280, 200);
    view->setFocusPolicy(Qt::NoFocus);
    m_views[int(which)] = view;
    l->addWidget(view, 1);
    auto *exportButton = new QPushButton(tr("Export CSV…"), box);
    exportButton->setToolTip(tr("Save the table behind this chart as a CSV file"));
    exportButton->setObjectName(QStringLiteral("export%1").arg(int(which)));
    auto *row = new QHBoxLayout;
    row->addStretch(1);
    row->addWidget(exportButton);
    l->addLayout(row);
    connect(exportButton, &QPushButton::clicked, this, [this, which] { exportClicked(which); });
    return box;
}

FinanceTableModel *FinancePage::table(Table which) const { return m_tables[int(which)]; }
QChart *FinancePage::chart(Table which) const { return m_views[int(which)]->chart(); }
QString FinancePage::summaryText() const { return m_summary->text(); }

void FinancePage::rangeChanged()
{
    const bool custom = DateRange::Kind(m_range->currentData().toInt()) == DateRange::Custom;
    if (custom) {
        const auto [first, last] = DateRange::days(DateRange::Last30, m_ctx.services.clock->now().toLocalTime().date());
        const QSignalBlocker b1(m_from), b2(m_to);
        m_from->setDate(first);
        m_to->setDate(last);
    }
    m_from->setVisible(custom);
    m_to->setVisible(custom);
    refresh();
}

void FinancePage::refresh()
{
    if (m_loading) {
        m_again = true; // one more round when this one ends
        return;
    }
    const auto kind = DateRange::Kind(m_range->currentData().toInt());
    auto [first, last] = DateRange::days(kind, m_ctx.services.clock->now().toLocalTime().date());
    if (kind == DateRange::Custom) {
        first = m_from->date();
        last = m_to->date();
    }
    m_loading = true;
    if (m_report.days.isEmpty())
        m_summary->setText(tr("Adding up…"));
    Database *db = m_ctx.services.db.get();
    m_ctx.worker.run<Result<FinanceReport>>(
        [db, first = first, last = last] { return FinanceStats::compute(*db, first, last); }, this,
        [this](Result<FinanceReport> r) {
            m_loading = false;
            if (!r) {
                m_summary->setText(r.error().message);
            } else {
                m_report = r.value();
                for (auto *t : m_tables)
                    t->setReport(m_report);
                const QLocale loc;
                const int billed = m_report.daysWithFees();
                const QString fees =
                    billed == 0 ? tr("fees: no channel bill reconciled in this range yet")
                                : tr("from the channels' bills of %n day(s): fees %1, net after fees %2", nullptr, billed)
                                      .arg(Money::cny(m_report.totalFees()).toDisplayString(loc),
                                           Money::cny(m_report.totalNetAfterFees()).toDisplayString(loc));
                m_summary->setText(tr("%1 to %2: paid %3, refunded %4, net %5; %6")
                                       .arg(loc.toString(m_report.first, QLocale::ShortFormat), loc.toString(m_report.last, QLocale::ShortFormat),
                                            Money::cny(m_report.totalPaid()).toDisplayString(loc),
                                            Money::cny(m_report.totalRefunded()).toDisplayString(loc),
                                            Money::cny(m_report.totalPaid() - m_report.totalRefunded()).toDisplayString(loc), fees));
                // How long the sums took is for developers: the debug log, not the page.
                qCDebug(lcFinance, "finance report %s..%s computed in %lld ms", qPrintable(m_report.first.toString(Qt::ISODate)),
                        qPrintable(m_report.last.toString(Qt::ISODate)), static_cast<long long>(m_report.elapsedMs));
                rebuildCharts();
            }
            emit reloaded();
            if (m_again) {
                m_again = false;
                refresh();
            }
        });
}

void FinancePage::rebuildCharts()
{
    const QLocale loc;
    // ---- daily ----
    {
        QChart *old = m_views[int(Table::Daily)]->chart();
        QChart *chart = newChart();
        const FinanceTableModel *t = m_tables[int(Table::Daily)];
        QStringList days;
        qreal max = 0;
        for (int r = 0; r < t->rowCount(); ++r) {
            const QDate d = QDate::fromString(t->data(t->index(r, 0), FinanceTableModel::KeyRole).toString(), Qt::ISODate);
            days << (t->rowCount() > 1 ? d.toString(QStringLiteral("MM-dd")) : loc.toString(d, QLocale::ShortFormat));
            max = qMax(max, toMajor(t->value(r, 1)));
        }
        auto *axisX = new QBarCategoryAxis;
        axisX->append(days);
        if (days.size() > 16)
            axisX->setLabelsAngle(-60);
        auto *axisY = moneyAxis(max);
        chart->addAxis(axisX, Qt::AlignBottom);
        chart->addAxis(axisY, Qt::AlignLeft);
        bool anyFees = false;
        qreal maxFee = 0;
        for (int r = 0; r < t->rowCount(); ++r) {
            anyFees = anyFees || t->hasFees(r);
            maxFee = qMax(maxFee, toMajor(t->value(r, FinanceTableModel::FeesColumn)));
        }
        struct Part { int column; QString name; QColor colour; };
        QList<Part> parts{{FinanceTableModel::PaidColumn, tr("Paid"), kPaid},
                          {FinanceTableModel::RefundedColumn, tr("Refunded"), kRefunded},
                          {FinanceTableModel::NetColumn, tr("Net"), kNet}};
        if (anyFees)
            parts.append({FinanceTableModel::NetAfterFeesColumn, tr("Net after fees (channel's bill)"), kNetAfterFees});
        if (m_style->currentIndex() == 0) {
            auto *series = new QBarSeries;
            for (const auto &p : std::as_const(parts)) {
                auto *set = new QBarSet(p.name);
                set->setColor(p.colour);
                set->setBorderColor(p.colour);
                for (int r = 0; r < t->rowCount(); ++r)
                    set->append(toMajor(t->value(r, p.column)));
                series->append(set);
            }
            chart->addSeries(series);
            series->attachAxis(axisX);
            series->attachAxis(axisY);
        } else {
            for (const auto &p : std::as_const(parts)) {
                auto *series = new QLineSeries;
                series->setName(p.name);
                series->setColor(p.colour);
                for (int r = 0; r < t->rowCount(); ++r)
                    if (p.column < FinanceTableModel::FeesColumn || t->hasFees(r)) // no bill: no point, not a zero
                        series->append(r, toMajor(t->value(r, p.column)));
                chart->addSeries(series);
                series->attachAxis(axisX);
                series->attachAxis(axisY);
            }
        }
        if (anyFees) {
            // The fees are a fraction of a percent of the money: on their own axis, or they would
            // not show at all. Points only on days whose bill was reconciled.
            auto *fees = new QLineSeries;
            fees->setName(tr("Fees (channel's bill, right axis)"));
            QPen pen(kFees);
            pen.setWidth(2);
            fees->setPen(pen);
            fees->setPointsVisible(true);
            for (int r = 0; r < t->rowCount(); ++r)
                if (t->hasFees(r))
                    fees->append(r, toMajor(t->value(r, FinanceTableModel::FeesColumn)));
            auto *feeAxis = moneyAxis(maxFee);
            feeAxis->setTitleText(tr("Fees")); // the labels say ¥
            feeAxis->setLabelsColor(kFees);
            feeAxis->setTitleBrush(kFees);
            feeAxis->setGridLineVisible(false);
            chart->addAxis(feeAxis, Qt::AlignRight);
            chart->addSeries(fees);
            fees->attachAxis(axisX);
            fees->attachAxis(feeAxis);
        }
        m_views[int(Table::Daily)]->setChart(chart);
        delete old;
    }
    // ---- state split and channel split: pies ----
    for (Table which : {Table::States, Table::Channels}) {
        QChart *old = m_views[int(which)]->chart();
        QChart *chart = newChart();
        const FinanceTableModel *t = m_tables[int(which)];
        auto *series = new QPieSeries;
        series->setHoleSize(0.45);
        qint64 total = 0;
        for (int r = 0; r < t->rowCount(); ++r)
            total += which == Table::States ? t->value(r, 1) : t->value(r, 2);
        for (int r = 0; r < t->rowCount(); ++r) {
            const QString key = t->data(t->index(r, 0), FinanceTableModel::KeyRole).toString();
            const qint64 v = which == Table::States ? t->value(r, 1) : t->value(r, 2);
            const QString label = t->data(t->index(r, 0)).toString();
            auto *slice = series->append(tr("%1 %2%").arg(label, loc.toString(total > 0 ? v * 100.0 / total : 0, 'f', 1)),
                                         which == Table::States ? qreal(v) : toMajor(v));
            if (which == Table::States) {
                if (auto s = fromString<OrderState>(key))
                    slice->setColor(Labels::colour(*s));
            } else if (auto c = fromString<ChannelKind>(key)) {
                slice->setColor(Labels::colour(*c));
            }
        }
        chart->addSeries(series);
        // One legend entry per line beside the ring, so "Partially refunded 2.1%" is never cut.
        chart->legend()->setAlignment(Qt::AlignRight);
        QFont lf = chart->legend()->font();
        lf.setPointSizeF(lf.pointSizeF() * 0.9);
        chart->legend()->setFont(lf);
        chart->legend()->setShowToolTips(true);
        m_views[int(which)]->setChart(chart);
        delete old;
    }
    // ---- refund backlog ----
    {
        QChart *old = m_views[int(Table::Backlog)]->chart();
        QChart *chart = newChart();
        const FinanceTableModel *t = m_tables[int(Table::Backlog)];
        auto *series = new QHorizontalBarSeries;
        auto *set = new QBarSet(tr("Amount"));
        set->setColor(QColor(0xF5, 0xA6, 0x23));
        set->setLabelColor(palette().color(QPalette::Text));
        QStringList labels;
        qreal max = 0;
        for (int r = 0; r < t->rowCount(); ++r) {
            // The amount as money beside its state ("Requested (3): ¥1,234.00"); a bar label
            // would show the chart's number ("1234.5").
            labels << tr("%1 (%2)").arg(t->data(t->index(r, 0)).toString(), loc.toString(t->value(r, 1))) + QStringLiteral("<br>")
                          + Money::cny(t->value(r, 2)).toDisplayString(loc);
            set->append(toMajor(t->value(r, 2)));
            max = qMax(max, toMajor(t->value(r, 2)));
        }
        series->append(set);
        chart->addSeries(series);
        auto *axisY = new QBarCategoryAxis;
        axisY->append(labels);
        auto *axisX = moneyAxis(max, 3); // a narrow chart: few ticks, so each label fits
        chart->addAxis(axisY, Qt::AlignLeft);
        chart->addAxis(axisX, Qt::AlignBottom);
        series->attachAxis(axisY);
        series->attachAxis(axisX);
        chart->legend()->hide();
        chart->setMargins(QMargins(4, 4, 28, 4)); // room for the last tick's amount
        m_views[int(Table::Backlog)]->setChart(chart);
        delete old;
    }
}

Status FinancePage::exportTable(Table which, const QString &path)
{
    return writeFileAtomically(path, QByteArray(kCsvUtf8Bom) + m_tables[int(which)]->toCsv().toUtf8());
}

void FinancePage::exportClicked(Table which)
{
    static const char *const names[] = {"daily", "states", "channels", "refund-backlog"};
    const QString suggested = QStringLiteral("paydesk-%1-%2_%3.csv")
                                  .arg(QString::fromLatin1(names[int(which)]), m_report.first.toString(Qt::ISODate),
                                       m_report.last.toString(Qt::ISODate));
    const QString path = FileDialogs::saveFileName(this, tr("Export chart data"), suggested, tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    if (Status s = exportTable(which, path); !s)
        MessageBox::warning(this, tr("Export"), s.error().message);
    else
        emit message(tr("Saved %1.").arg(path));
}

} // namespace paydesk::ui
