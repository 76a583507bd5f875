// The Reconciliation page with real widgets on the offscreen platform (issue 12): a clerk sees
// it read-only; finance fetches the simulated channel's bill from the page's dialog, sees the
// run and the difference injected at the channel, opens its order; a re-run finds nothing new;
// a day without a bill and a failing channel are told apart; a downloaded bill file is
// imported; the finance charts take the fees from the reconciled bill.
#include "DbWorker.h"
#include "FileDialogs.h"
#include "FinancePage.h"
#include "FinanceStats.h"
#include "ListModels.h"
#include "MainWindow.h"
#include "MessageBox.h"
#include "OrderDetailPane.h"
#include "OrdersPage.h"
#include "ReconModels.h"
#include "ReconPage.h"
#include "UiContext.h"

#include "TestSupport.h"
#include "channels/SimulatedChannel.h"
#include "demo/DemoSeeder.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QCalendarWidget>
#include <QApplication>
#include <QComboBox>
#include <QDateEdit>
#include <QDateTime>
#include <QFile>
#include <QChart>
#include <QLabel>
#include <QLineSeries>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextCharFormat>
#include <QTimeZone>

using namespace Qt::StringLiterals;
using namespace paydesk;

class TestReconPage : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void clerkSeesItReadOnly();
    void financeReconcilesAndOpensTheOrder();
    void reRunFindsNothingNew();
    void calendarColoursEachDayByItsNewestRun();
    void noBillAndFailuresAreToldApart();
    void importsADownloadedBill();
    void financeChartsTakeTheFeesFromTheBill();

private:
    QString paidOrder(const QString &amount, QString *outTradeNo);
    QDate today() const { return QDateTime::fromMSecsSinceEpoch(m_clock->nowMs(), QTimeZone(8 * 3600)).date(); }
    std::unique_ptr<ui::MainWindow> financeWindow();
    /// Clicks `button`, fills the dialog that opens and presses its OK button.
    void runFromDialog(ui::ReconPage *page, QPushButton *button, const QDate &day, const QString &file = {});

    test::ScratchDatabase m_scratch;
    std::unique_ptr<Services> m_s;
    ManualClock *m_clock = nullptr;
    SimulatedChannel *m_sim = nullptr;
    std::unique_ptr<DbWorker> m_worker;
    std::unique_ptr<ui::UiContext> m_financeCtx;
    QString m_orderNo;
    QString m_outTradeNo;
    qint64 m_firstRun = 0;
};

void TestReconPage::initTestCase()
{
    PAYDESK_REQUIRE_DB(m_scratch);
    // The simulator as WeChat Pay's stand-in (as in the demo): its bills are WeChat Pay's files.
    auto books = test::seedDemoBooks(m_scratch.url(), 300, 3, ChannelKind::WeChat);
    m_s = std::move(books.services);
    m_clock = books.clock;
    m_sim = books.sim;
    m_worker = std::make_unique<DbWorker>(*m_s->db);
    auto finance = m_s->users.login(u"finance"_s, u"finance"_s);
    QVERIFY(finance.ok());
    m_financeCtx.reset(new ui::UiContext{*m_s, *m_worker, nullptr, finance.value(), true});
}

void TestReconPage::cleanupTestCase()
{
    m_worker.reset();
}

QString TestReconPage::paidOrder(const QString &amount, QString *outTradeNo)
{
    auto clerk = m_s->users.login(u"clerk"_s, u"clerk"_s);
    if (!clerk)
        return {};
    NewOrder n;
    n.amount = amount;
    n.title = u"Reconciled tea"_s;
    n.timeoutMs = 600'000;
    auto r = m_s->payments.checkout(clerk.value(), n, ChannelKind::WeChat);
    if (!r)
        return {};
    const QString no = r->order.orderNo;
    const qint64 orderId = r->order.id;
    if (!QTest::qWaitFor([&] { return m_s->orders.attemptsOf(orderId).value().constFirst().state == AttemptState::Paying; }, 5000))
        return {};
    const PaymentAttempt attempt = m_s->orders.attemptsOf(orderId).value().constFirst();
    auto paid = m_sim->customerPays(attempt.outTradeNo);
    if (!paid || !m_s->reconciler.applyPayment(paid.value(), Reconciler::systemUser(), u"test"_s))
        return {};
    *outTradeNo = attempt.outTradeNo;
    return no;
}

std::unique_ptr<ui::MainWindow> TestReconPage::financeWindow()
{
    auto window = std::make_unique<ui::MainWindow>(*m_financeCtx);
    window->show();
    if (!QTest::qWaitForWindowExposed(window.get()))
        return nullptr;
    return window;
}

void TestReconPage::runFromDialog(ui::ReconPage *page, QPushButton *button, const QDate &day, const QString &file)
{
    QVERIFY(button->isEnabled());
    QTest::mouseClick(button, Qt::LeftButton);
    QTRY_VERIFY(page->runDialog() && page->runDialog()->isVisible());
    ui::ReconRunDialog *dialog = page->runDialog();
    dialog->channelBox()->setCurrentIndex(dialog->channelBox()->findData(int(ChannelKind::WeChat)));
    QVERIFY(dialog->channelBox()->currentIndex() >= 0);
    dialog->dateEdit()->setDate(day);
    if (!file.isEmpty()) {
        QVERIFY(!dialog->okButton()->isEnabled()); // no file yet: says so
        ui::FileDialogs::setNextOpenFileName(file);
        QTest::mouseClick(dialog->browseButton(), Qt::LeftButton);
        QCOMPARE(dialog->fileEdit()->text(), file);
    }
    QVERIFY(dialog->okButton()->isEnabled());
    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);
    QTRY_VERIFY(!page->runDialog());
}

void TestReconPage::clerkSeesItReadOnly()
{
    auto clerk = m_s->users.login(u"clerk"_s, u"clerk"_s);
    QVERIFY(clerk.ok());
    ui::UiContext ctx{*m_s, *m_worker, nullptr, clerk.value(), true};
    ui::MainWindow window(ctx);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    // Ctrl+5 goes to the new page, between Finance and the Audit log.
    QTest::keyClick(&window, Qt::Key_5, Qt::ControlModifier);
    QCOMPARE(window.currentPage(), int(ui::MainWindow::Reconciliation));
    QCOMPARE(window.navigation()->currentItem()->text(), u"Reconciliation"_s);
    QCOMPARE(int(ui::MainWindow::SettingsPageIndex), 6);
    ui::ReconPage *page = window.reconPage();
    QTRY_VERIFY(page->showsEmptyState());
    QVERIFY2(page->emptyText().contains(u"No reconciliation yet"_s), qPrintable(page->emptyText()));
    QVERIFY(!page->fetchButton()->isEnabled());
    QVERIFY(!page->importButton()->isEnabled());
    QVERIFY(!page->fetchAction()->isEnabled());
    QVERIFY2(page->fetchButton()->toolTip().contains(u"FINANCE or ADMIN"_s), qPrintable(page->fetchButton()->toolTip()));
    QVERIFY(page->importButton()->toolTip().contains(u"FINANCE or ADMIN"_s));
    QVERIFY(page->findChild<QLabel *>(u"reconReadOnly"_s)->isVisible());
    // The shortcut does nothing either.
    QTest::keyClick(&window, Qt::Key_B, Qt::ControlModifier | Qt::ShiftModifier);
    QVERIFY(!page->runDialog());
}

void TestReconPage::financeReconcilesAndOpensTheOrder()
{
    // Money the channel's bill shows differently from our books: 30.00 paid here, 31.00 on the bill.
    m_orderNo = paidOrder(u"30.00"_s, &m_outTradeNo);
    QVERIFY(!m_orderNo.isEmpty());
    QVERIFY(m_sim->injectBillDiscrepancy(SimulatedChannel::BillDiscrepancy::WrongAmount, m_outTradeNo, 3100).ok());

    auto window = financeWindow();
    QVERIFY(window);
    window->showPage(ui::MainWindow::Reconciliation);
    ui::ReconPage *page = window->reconPage();
    QAbstractItemModelTester runTester(page->runs(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester diffTester(page->differences(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_VERIFY(page->showsEmptyState());
    QVERIFY(page->fetchButton()->isEnabled());
    QVERIFY(page->fetchButton()->toolTip().contains(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B).toString(QKeySequence::NativeText)));

    // The dialog starts on yesterday, Beijing time, with the connected channel.
    QTest::mouseClick(page->fetchButton(), Qt::LeftButton);
    QTRY_VERIFY(page->runDialog() && page->runDialog()->isVisible());
    QCOMPARE(page->runDialog()->dateEdit()->date(), today().addDays(-1));
    QCOMPARE(page->runDialog()->channelBox()->count(), 1);
    QCOMPARE(page->runDialog()->channelBox()->currentText(), u"WeChat Pay (simulated)"_s);
    page->runDialog()->reject();
    QTRY_VERIFY(!page->runDialog());

    QSignalSpy done(page, &ui::ReconPage::reconciled);
    QSignalSpy booksChanged(page, &ui::Page::booksChanged);
    connect(page, &ui::ReconPage::failed, this, [](const QString &text) { qWarning("refused: %s", qPrintable(text)); });
    ui::MessageBox::setNextAnswer(QMessageBox::Ok); // should it refuse, the test fails below, not in a modal loop
    runFromDialog(page, page->fetchButton(), today());
    QVERIFY(page->isBusy() || done.count() == 1); // busy while the channel and the worker work
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 20'000);
    QVERIFY(!page->isBusy());
    QVERIFY2(page->statusText().contains(u"Reconciled"_s), qPrintable(page->statusText()));
    QVERIFY(booksChanged.count() >= 1); // an anomaly was opened: the other pages are stale
    m_firstRun = done.at(0).at(0).toLongLong();

    // The run row: channel, day, who, differences, the bill's totals beside the books'.
    QVERIFY(!page->showsEmptyState());
    QCOMPARE(page->runs()->rowCount(), 1);
    const ReconRunModel *runs = page->runs();
    QCOMPARE(runs->data(runs->index(0, ReconRunModel::Channel)).toString(), u"WeChat Pay"_s);
    QCOMPARE(runs->data(runs->index(0, ReconRunModel::Day)).toString(), today().toString(Qt::ISODate));
    QCOMPARE(runs->data(runs->index(0, ReconRunModel::RunBy)).toString(), u"finance"_s);
    QVERIFY2(runs->data(runs->index(0, ReconRunModel::Result)).toString().contains(u"difference"_s),
             qPrintable(runs->data(runs->index(0, ReconRunModel::Result)).toString()));
    const ReconRunRow &row = runs->rows().constFirst();
    QVERIFY(row.run.differences >= 1);
    // The bill says 1.00 more was paid than our books do.
    QCOMPARE(runs->data(runs->index(0, ReconRunModel::BillPaid), MinorRole).toLongLong()
                 - runs->data(runs->index(0, ReconRunModel::BookPaid), MinorRole).toLongLong(),
             qint64(100));
    QCOMPARE(runs->data(runs->index(0, ReconRunModel::BillNet), MinorRole).toLongLong(),
             row.run.paidMinor - row.run.refundedMinor - row.run.feeMinor);
    QVERIFY(row.run.feeMinor > 0); // the simulator charges 0.6 %
    QCOMPARE(page->runTable()->currentIndex().row(), 0);

    // Its differences, with the injected one: kind, payment no, bill vs books, an open anomaly.
    QTRY_VERIFY(!page->differences()->isLoading() && page->differences()->rowCount() == row.run.differences);
    QVERIFY(page->differenceTable()->isVisible());
    const ReconDifferenceModel *diffs = page->differences();
    int found = -1;
    for (int r = 0; r < diffs->rowCount(); ++r)
        if (diffs->data(diffs->index(r, ReconDifferenceModel::Payment)).toString() == m_outTradeNo)
            found = r;
    QVERIFY(found >= 0);
    QCOMPARE(diffs->data(diffs->index(found, ReconDifferenceModel::Kind)).toString(), u"Payment amount differs"_s);
    QCOMPARE(diffs->data(diffs->index(found, ReconDifferenceModel::BillAmount), MinorRole).toLongLong(), qint64(3100));
    QCOMPARE(diffs->data(diffs->index(found, ReconDifferenceModel::BookAmount), MinorRole).toLongLong(), qint64(3000));
    QVERIFY(diffs->data(diffs->index(found, ReconDifferenceModel::BillAmount)).toString().contains(u"31.00"_s));
    QCOMPARE(diffs->data(diffs->index(found, ReconDifferenceModel::Order)).toString(), m_orderNo);
    QVERIFY2(diffs->data(diffs->index(found, ReconDifferenceModel::State)).toString().startsWith(u"Open"_s),
             qPrintable(diffs->data(diffs->index(found, ReconDifferenceModel::State)).toString()));
    const qint64 anomalyId = diffs->rows().at(found).difference.anomalyId;
    QVERIFY(anomalyId > 0);
    QCOMPARE(toString(m_s->anomalies.byId(anomalyId)->state), toString(AnomalyState::Open));

    // Exported as CSV, as the table shows it (header first, the injected row with both amounts).
    {
        QTemporaryDir dir;
        const QString csv = dir.filePath(u"diffs.csv"_s);
        ui::FileDialogs::setNextSaveFileName(csv);
        QTest::mouseClick(page->exportButton(), Qt::LeftButton);
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).remove(QChar(0xFEFF)).split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), diffs->rowCount() + 1);
        QVERIFY2(lines.first().startsWith(diffs->headerData(0, Qt::Horizontal).toString()), qPrintable(lines.first()));
        bool seen = false;
        for (const QString &l : lines)
            seen = seen || (l.contains(m_outTradeNo) && l.contains(u"31.00"_s) && l.contains(u"30.00"_s) && l.contains(m_orderNo));
        QVERIFY2(seen, qPrintable(lines.join(u'\n')));
    }

    // Nothing selected: Open order says why; then the difference's order opens on the Orders page.
    QVERIFY(!page->openOrderButton()->isEnabled());
    QVERIFY(page->openOrderButton()->toolTip().contains(u"Select"_s));
    page->differenceTable()->setCurrentIndex(diffs->index(found, 0));
    QVERIFY(page->openOrderButton()->isEnabled());
    QTest::mouseClick(page->openOrderButton(), Qt::LeftButton);
    QCOMPARE(window->currentPage(), int(ui::MainWindow::Orders));
    QTRY_VERIFY(window->ordersPage()->detail()->headline().contains(m_orderNo));

    // Resolved from the page with a note (required), audited like on the Anomalies page.
    page->differenceTable()->setCurrentIndex(diffs->index(found, 0));
    QVERIFY(!page->resolveButton()->isEnabled());
    QVERIFY(page->resolveButton()->toolTip().contains(u"settled"_s));
    page->resolveNote()->setText(u"bank fee, settled with the channel"_s);
    QVERIFY(page->resolveButton()->isEnabled());
    page->resolveButton()->click();
    QCOMPARE(toString(m_s->anomalies.byId(anomalyId)->state), toString(AnomalyState::Resolved));
    QTRY_VERIFY(!page->differences()->isLoading());
    bool resolvedShown = false;
    for (int r = 0; r < diffs->rowCount(); ++r)
        if (diffs->rows().at(r).difference.anomalyId == anomalyId)
            resolvedShown = diffs->rows().at(r).anomalyState == AnomalyState::Resolved;
    QVERIFY(resolvedShown);
    AuditLog::Filter f;
    f.object = u"anomaly:%1"_s.arg(anomalyId);
    QCOMPARE(m_s->audit.list(f)->first().action, u"anomaly.resolve"_s);
}

void TestReconPage::reRunFindsNothingNew()
{
    // The same day again, from the keyboard: the same differences, none new, no new anomaly.
    auto window = financeWindow();
    QVERIFY(window);
    window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(window.get()));
    QTest::keyClick(window.get(), Qt::Key_5, Qt::ControlModifier);
    ui::ReconPage *page = window->reconPage();
    QTRY_COMPARE(page->runs()->rowCount(), 1);
    const int before = page->runs()->rows().constFirst().run.differences;
    QTest::keyClick(window.get(), Qt::Key_B, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_VERIFY(page->runDialog() && page->runDialog()->isVisible());
    page->runDialog()->dateEdit()->setDate(today());
    QSignalSpy done(page, &ui::ReconPage::reconciled);
    QTest::keyClick(page->runDialog(), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 20'000);
    QCOMPARE(page->runs()->rowCount(), 2);
    const ReconRunRow &latest = page->runs()->rows().constFirst();
    QVERIFY(latest.run.id > m_firstRun);
    QCOMPARE(latest.run.differences, before);
    QCOMPARE(latest.run.newDifferences, 0);
    QCOMPARE(page->runTable()->currentIndex().row(), 0); // the new run is the one shown
    QTRY_COMPARE(page->differences()->runId(), latest.run.id);
    QTRY_COMPARE(page->differences()->rowCount(), before);
}

void TestReconPage::calendarColoursEachDayByItsNewestRun()
{
    // The rule: a channel's newest run of a day decides it (a re-run may have settled an
    // older run's differences); one channel with differences makes the day red.
    auto row = [](qint64 id, ChannelKind channel, const QDate &day, int differences) {
        ReconRunRow r;
        r.run.id = id;
        r.run.channel = channel;
        r.run.date = day;
        r.run.differences = differences;
        return r;
    };
    const QDate a(2026, 11, 2), b(2026, 11, 3), c(2026, 11, 4);
    const auto results = ReconRunModel::dayResults({row(7, ChannelKind::WeChat, a, 0), row(3, ChannelKind::WeChat, a, 2),
                                                    row(4, ChannelKind::WeChat, b, 0), row(5, ChannelKind::Alipay, b, 1)});
    QCOMPARE(results.size(), 2);
    QVERIFY(results.value(a) == ReconRunModel::DayResult::Matched);
    QVERIFY(results.value(b) == ReconRunModel::DayResult::Differences);
    QVERIFY(!results.contains(c));

    // On the page: today's runs found differences, so today is red; a day without a run has
    // no colour and says so when clicked; clicking today shows today's newest run.
    auto window = financeWindow();
    QVERIFY(window);
    window->showPage(ui::MainWindow::Reconciliation);
    ui::ReconPage *page = window->reconPage();
    QTRY_VERIFY(page->runs()->rowCount() >= 2);
    QCalendarWidget *calendar = page->calendar();
    QVERIFY(calendar->isVisible());
    QTRY_COMPARE(calendar->dateTextFormat(today()).background().color(),
                 ui::ReconPage::dayBackground(ReconRunModel::DayResult::Differences));
    QCOMPARE(calendar->dateTextFormat(today().addDays(-3)).background().style(), Qt::NoBrush);
    // Weekends are not drawn red either (red means differences here).
    QCOMPARE(calendar->weekdayTextFormat(Qt::Sunday).foreground(), calendar->weekdayTextFormat(Qt::Monday).foreground());
    QCOMPARE(calendar->selectedDate(), today()); // follows the run shown
    page->runTable()->setCurrentIndex(page->runs()->index(page->runs()->rowCount() - 1, 0));
    emit calendar->clicked(today().addDays(-3));
    QVERIFY2(page->statusText().contains(today().addDays(-3).toString(Qt::ISODate)), qPrintable(page->statusText()));
    QCOMPARE(page->runTable()->currentIndex().row(), page->runs()->rowCount() - 1); // nothing else chosen
    emit calendar->clicked(today());
    QCOMPARE(page->runTable()->currentIndex().row(), page->runs()->rowOfDay(today()));
    QCOMPARE(page->runs()->rows().at(page->runTable()->currentIndex().row()).run.date, today());
}

void TestReconPage::noBillAndFailuresAreToldApart()
{
    auto window = financeWindow();
    QVERIFY(window);
    window->showPage(ui::MainWindow::Reconciliation);
    ui::ReconPage *page = window->reconPage();
    QTRY_VERIFY(page->runs()->rowCount() >= 1);
    const int runs = page->runs()->rowCount();

    // A day long before the demo's history: the channel has no bill, and the user is told so.
    QSignalSpy failed(page, &ui::ReconPage::failed);
    ui::MessageBox::setNextAnswer(QMessageBox::Ok);
    runFromDialog(page, page->fetchButton(), today().addDays(-40));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10'000);
    QVERIFY2(ui::MessageBox::lastText().contains(u"no bill for"_s), qPrintable(ui::MessageBox::lastText()));
    QVERIFY(ui::MessageBox::lastText().contains(today().addDays(-40).toString(Qt::ISODate)));
    QVERIFY(page->statusText().contains(u"nothing to reconcile"_s));
    QVERIFY(!page->isBusy());
    QVERIFY(page->fetchButton()->isEnabled());

    // The channel fails: a different message, with the channel's words.
    m_sim->injectFault({u"bill"_s, ChannelError::Kind::Server, 1, false});
    ui::MessageBox::setNextAnswer(QMessageBox::Ok);
    runFromDialog(page, page->fetchButton(), today());
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, 10'000);
    QVERIFY2(ui::MessageBox::lastText().contains(u"could not be fetched"_s), qPrintable(ui::MessageBox::lastText()));
    QVERIFY(!page->isBusy());

    // A file that is no bill at all: refused whole, nothing recorded.
    QTemporaryDir dir;
    const QString junk = dir.filePath(u"junk.csv"_s);
    QFile f(junk);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not,a,bill\n1,2,3\n");
    f.close();
    ui::MessageBox::setNextAnswer(QMessageBox::Ok);
    runFromDialog(page, page->importButton(), today(), junk);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 3, 10'000);
    QVERIFY2(ui::MessageBox::lastText().contains(u"was not reconciled"_s), qPrintable(ui::MessageBox::lastText()));
    page->refresh();
    QTRY_VERIFY(!page->runs()->isLoading());
    QCOMPARE(page->runs()->rowCount(), runs);
}

void TestReconPage::importsADownloadedBill()
{
    // The bill as a merchant would download it from the platform.
    std::optional<ChannelReply<BillFile>> reply;
    QObject ctx;
    BillRequest req;
    req.date = today();
    m_sim->fetchBill(req, &ctx, [&reply](const ChannelReply<BillFile> &r) { reply = r; });
    QTRY_VERIFY(reply.has_value());
    QVERIFY(reply->ok());
    QTemporaryDir dir;
    const QString path = dir.filePath(reply->value().fileName.isEmpty() ? u"bill.csv"_s : reply->value().fileName);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(reply->value().content);
    f.close();

    auto window = financeWindow();
    QVERIFY(window);
    window->showPage(ui::MainWindow::Reconciliation);
    ui::ReconPage *page = window->reconPage();
    QTRY_VERIFY(page->runs()->rowCount() >= 2);
    const int before = page->runs()->rowCount();
    QSignalSpy done(page, &ui::ReconPage::reconciled);
    runFromDialog(page, page->importButton(), today(), path);
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 20'000);
    QVERIFY2(page->statusText().startsWith(u"Imported"_s), qPrintable(page->statusText()));
    QCOMPARE(page->runs()->rowCount(), before + 1);
    // The same differences as the fetched bill: it is the same file.
    QTRY_VERIFY(page->differences()->rowCount() >= 1);
    bool found = false;
    for (const ReconDifferenceRow &r : page->differences()->rows())
        found = found || r.difference.outTradeNo == m_outTradeNo;
    QVERIFY(found);
}

void TestReconPage::financeChartsTakeTheFeesFromTheBill()
{
    auto latest = m_s->recon.latestRun(ChannelKind::WeChat, today());
    QVERIFY(latest.ok() && latest.value());
    // The finance figures: today's fee is the latest run's fee total; other days are unknown.
    const QDate localToday = m_s->clock->now().toLocalTime().date();
    auto report = FinanceStats::compute(*m_s->db, today().addDays(-1), today());
    QVERIFY2(report.ok(), report.ok() ? "" : qPrintable(report.error().message));
    const auto &days = report->days;
    QCOMPARE(days.size(), 2);
    QVERIFY(!days.at(0).hasFees());
    QVERIFY(days.at(1).hasFees());
    QCOMPARE(days.at(1).feeMinor, latest.value()->feeMinor);
    QCOMPARE(days.at(1).netAfterFeesMinor(), days.at(1).netMinor() - latest.value()->feeMinor);

    // The page shows them, labelled as the bill's.
    auto window = financeWindow();
    QVERIFY(window);
    window->showPage(ui::MainWindow::Finance);
    ui::FinancePage *page = window->financePage();
    QTRY_VERIFY(!page->isLoading() && !page->report().days.isEmpty());
    if (localToday == today()) {
        QVERIFY2(page->summaryText().contains(u"from the channels' bills of 1 day"_s), qPrintable(page->summaryText()));
        QVERIFY(page->summaryText().contains(Money::cny(latest.value()->feeMinor).toDisplayString(QLocale())));
        // The fees are drawn on their own axis (a fraction of a percent of the money), one point
        // per day whose bill was reconciled, at the bill's fee total.
        QLineSeries *fees = nullptr;
        for (QAbstractSeries *series : page->chart(FinanceTableModel::Table::Daily)->series())
            if (series->name().startsWith(u"Fees (channel's bill"_s))
                fees = qobject_cast<QLineSeries *>(series);
        QVERIFY(fees);
        QCOMPARE(fees->count(), 1);
        QCOMPARE(fees->at(0).y(), latest.value()->feeMinor / 100.0);
        QCOMPARE(fees->attachedAxes().size(), 2);
        QVERIFY(fees->attachedAxes().at(1)->alignment() == Qt::AlignRight);
    }
    const FinanceTableModel *daily = page->table(FinanceTableModel::Table::Daily);
    QCOMPARE(daily->headerData(FinanceTableModel::FeesColumn, Qt::Horizontal).toString(), u"Fees (channel's bill)"_s);
    QCOMPARE(daily->headerData(FinanceTableModel::NetAfterFeesColumn, Qt::Horizontal).toString(), u"Net after fees (channel's bill)"_s);
}

QTEST_MAIN(TestReconPage)
#include "tst_recon_page.moc"
