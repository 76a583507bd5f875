// Receipts (issue 15): a customer's receipt of a payment or a refund, saved as PDF and printed
// (through a PDF printer), checked the way a person would check the paper: poppler's pdftotext
// reads the words back and pdftoppm renders the page, whose QR code must be the order number
// module for module. Real widgets on the offscreen platform, demo books on SQLite or PostgreSQL.
#include "ActionPolicy.h"
#include "ClosingDialog.h"
#include "DbWorker.h"
#include "OrdersPage.h"
#include "UiContext.h"
#include "FileDialogs.h"
#include "MessageBox.h"
#include "QrWidget.h"
#include "Receipt.h"
#include "ReceiptDialog.h"

#include "TestSupport.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDateEdit>
#include <QTimer>
#include <QLabel>
#include <QLocale>
#include <QPrinter>
#include <QProcess>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace paydesk;
using namespace paydesk::ui;

namespace {

QString run(const QString &program, const QStringList &args)
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(60'000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return u"(%1 failed: %2)"_s.arg(program, QString::fromLocal8Bit(p.readAllStandardError()));
    // NFKC: poppler reads some CJK glyphs back as their Kangxi radicals (⽀ for 支) and "ff"
    // as a ligature; a person sees the same characters.
    return QString::fromUtf8(p.readAllStandardOutput()).normalized(QString::NormalizationForm_KC);
}

/// The page of a one-page PDF as poppler renders it at `dpi`, grey.
QImage render(const QString &pdf, int dpi)
{
    const QString base = pdf + u"-page"_s;
    run(u"pdftoppm"_s, {u"-r"_s, QString::number(dpi), u"-gray"_s, u"-png"_s, u"-singlefile"_s, pdf, base});
    return QImage(base + u".png"_s);
}

/// How many of the code's modules differ from what is drawn in `qrMm` (quiet zone included)
/// on a page rendered at `dpi`; -1 when the area is off the page.
int modulesOff(const QImage &page, int dpi, const QRectF &qrMm, const QString &payload)
{
    const QImage code = QrWidget::encode(payload);
    const int n = code.width();
    const qreal module = qrMm.width() / (n + 8);
    const qreal pxPerMm = dpi / 25.4;
    int off = 0;
    for (int row = -4; row < n + 4; ++row) {
        for (int col = -4; col < n + 4; ++col) {
            const QPointF mm(qrMm.left() + (4 + col + 0.5) * module, qrMm.top() + (4 + row + 0.5) * module);
            const QPoint px = (mm * pxPerMm).toPoint();
            if (!page.rect().contains(px))
                return -1;
            const bool dark = qGray(page.pixel(px)) < 128;
            const bool want = row >= 0 && col >= 0 && row < n && col < n && code.pixelIndex(col, row) == 1;
            off += dark != want;
        }
    }
    return off;
}

QString channelName(ChannelKind c, bool chinese)
{
    switch (c) {
    case ChannelKind::WeChat: return chinese ? u"微信支付"_s : u"WeChat Pay"_s;
    case ChannelKind::Alipay: return chinese ? u"支付宝"_s : u"Alipay"_s;
    default: return chinese ? u"模拟"_s : u"Simulated"_s;
    }
}

} // namespace

class TestReceipt : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void paymentReceiptCarriesTheOrderItsMoneyAndItsQr();
    void chineseReceiptIsInChinese();
    void refundReceiptNamesTheRefundAndTheChannelsIds();
    void noReceiptForMoneyThatDidNotMove();
    void dialogPreviewsSavesAndPrints();
    void ordersPageOffersTheReceiptOfAPaidOrder();
    void shiftAndDayReportsCloseAndPrint();

private:
    Order paidOrder(bool refunded);
    test::ScratchDatabase m_scratch;
    std::unique_ptr<Services> m_s;
    QTemporaryDir m_dir;
};

void TestReceipt::initTestCase()
{
    PAYDESK_REQUIRE_DB(m_scratch);
    if (QStandardPaths::findExecutable(u"pdftoppm"_s).isEmpty() || QStandardPaths::findExecutable(u"pdftotext"_s).isEmpty())
        QFAIL("pdftoppm and pdftotext (poppler-utils, in .ci/debian-packages.txt) are needed to read the receipts back");
    if (qEnvironmentVariableIsSet("PAYDESK_TEST_SHOTS")) { // keep the receipts to look at by hand
        m_dir.setAutoRemove(false);
        qInfo("receipts kept in %s", qPrintable(m_dir.path()));
    }
    auto books = test::seedDemoBooks(m_scratch.url(), 200, 3, ChannelKind::WeChat);
    m_s = std::move(books.services);
}

Order TestReceipt::paidOrder(bool refunded)
{
    OrderFilter f;
    f.states = refunded ? QList<OrderState>{OrderState::Refunded, OrderState::PartiallyRefunded} : QList<OrderState>{OrderState::Paid};
    f.limit = 200;
    for (const Order &o : m_s->orders.list(f).value()) {
        if (!refunded)
            return o;
        const QList<Refund> refunds = m_s->refunds.ofOrder(o.id).value();
        for (const Refund &r : refunds)
            if (r.state == RefundState::Succeeded && !r.channelRefundId.isEmpty())
                return o;
    }
    qFatal("the demo books hold no %s order", refunded ? "refunded" : "paid");
}

void TestReceipt::paymentReceiptCarriesTheOrderItsMoneyAndItsQr()
{
    const Order o = paidOrder(false);
    auto read = Receipt::payment(m_s->orders, o.id);
    QVERIFY2(read.ok(), read.ok() ? "" : qPrintable(read.error().message));
    Receipt::Facts facts = read.value();
    QVERIFY(!facts.paid.channelTxnId.isEmpty());
    facts.printedAt = m_s->clock->nowMs();
    facts.printedBy = u"clerk"_s;
    const QString pdf = m_dir.filePath(u"payment.pdf"_s);
    QRectF qr;
    const Status s = Receipt::writePdf(pdf, facts, Receipt::Language::English, &qr);
    QVERIFY2(s.ok(), s.ok() ? "" : qPrintable(s.error().message));

    const QString words = run(u"pdftotext"_s, {u"-layout"_s, pdf, u"-"_s});
    const QString amount = o.amount().toDisplayString(QLocale(QLocale::English, QLocale::UnitedStates));
    for (const QString &want : {u"Payment receipt"_s, o.orderNo, amount, facts.paid.channelTxnId, facts.paid.outTradeNo,
                                channelName(facts.paid.channel, false), u"Printed"_s, u"clerk"_s})
        QVERIFY2(words.contains(want), qPrintable(u"no \""_s + want + u"\" in:\n"_s + words));

    // The paper is 80 mm wide and the QR on it is the order number, module for module.
    const int dpi = 300;
    const QImage page = render(pdf, dpi);
    QVERIFY(!page.isNull());
    QVERIFY2(qAbs(page.width() - qRound(Receipt::kWidthMm / 25.4 * dpi)) <= 1, qPrintable(QString::number(page.width())));
    QVERIFY(qr.bottom() < page.height() / (dpi / 25.4));
    QCOMPARE(modulesOff(page, dpi, qr, o.orderNo), 0);
    QVERIFY(modulesOff(page, dpi, qr, o.orderNo + u"X"_s) > 20); // the check can tell codes apart
}

void TestReceipt::chineseReceiptIsInChinese()
{
    const Order o = paidOrder(false);
    auto facts = Receipt::payment(m_s->orders, o.id);
    QVERIFY(facts.ok());
    const QString pdf = m_dir.filePath(u"payment-zh.pdf"_s);
    QRectF qr;
    QVERIFY(Receipt::writePdf(pdf, *facts, Receipt::Language::Chinese, &qr).ok());
    const QString words = run(u"pdftotext"_s, {pdf, u"-"_s});
    for (const QString &want : {u"付款凭证"_s, u"订单号"_s, channelName(facts->paid.channel, true), o.orderNo, facts->paid.channelTxnId})
        QVERIFY2(words.contains(want), qPrintable(u"no \""_s + want + u"\" in:\n"_s + words));
    QVERIFY2(!words.contains(u"Payment receipt"_s), qPrintable(words));
    const QImage page = render(pdf, 300);
    QCOMPARE(modulesOff(page, 300, qr, o.orderNo), 0);
}

void TestReceipt::refundReceiptNamesTheRefundAndTheChannelsIds()
{
    const Order o = paidOrder(true);
    Refund done;
    for (const Refund &r : m_s->refunds.ofOrder(o.id).value())
        if (r.state == RefundState::Succeeded)
            done = r;
    auto facts = Receipt::refund(m_s->orders, m_s->refunds, done.outRefundNo);
    QVERIFY2(facts.ok(), facts.ok() ? "" : qPrintable(facts.error().message));
    QCOMPARE(facts->paid.id, done.attemptId);
    const QString pdf = m_dir.filePath(u"refund.pdf"_s);
    QVERIFY(Receipt::writePdf(pdf, *facts, Receipt::Language::English).ok());
    const QString words = run(u"pdftotext"_s, {u"-layout"_s, pdf, u"-"_s});
    const QString amount = Money(done.amountMinor, o.amount().currency()).toDisplayString(QLocale(QLocale::English, QLocale::UnitedStates));
    for (const QString &want : {u"Refund receipt"_s, o.orderNo, done.outRefundNo, done.channelRefundId, amount, facts->paid.channelTxnId})
        QVERIFY2(words.contains(want), qPrintable(u"no \""_s + want + u"\" in:\n"_s + words));
}

void TestReceipt::noReceiptForMoneyThatDidNotMove()
{
    OrderFilter pending;
    pending.states = {OrderState::Pending};
    const QList<Order> open = m_s->orders.list(pending).value();
    QVERIFY(!open.isEmpty());
    auto refused = Receipt::payment(m_s->orders, open.first().id);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, u"receipt.not_paid"_s);
    QVERIFY(refused.error().message.contains(open.first().orderNo));
    const qint64 now = m_s->clock->nowMs();
    QVERIFY(!ActionPolicy::check(ActionPolicy::Action::Receipt, Role::Clerk, &open.first(), now).allowed);
    const Order paid = paidOrder(false);
    QVERIFY(ActionPolicy::check(ActionPolicy::Action::Receipt, Role::Clerk, &paid, now).allowed);
    QVERIFY(ActionPolicy::check(ActionPolicy::Action::Receipt, Role::Finance, &paid, now).allowed);

    // A refund still waiting for review has moved no money: no receipt for it.
    const QList<Refund> waiting = m_s->refunds.inState(RefundState::Requested, 5).value();
    QVERIFY(!waiting.isEmpty());
    auto early = Receipt::refund(m_s->orders, m_s->refunds, waiting.first().outRefundNo);
    QVERIFY(!early.ok());
    QCOMPARE(early.error().code, u"receipt.refund_not_done"_s);
}

void TestReceipt::dialogPreviewsSavesAndPrints()
{
    const Order o = paidOrder(true);
    int succeeded = 0;
    for (const Refund &r : m_s->refunds.ofOrder(o.id).value())
        succeeded += r.state == RefundState::Succeeded;
    ReceiptDialog dialog(m_s->orders, m_s->refunds, *m_s->clock, u"finance"_s, o);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QCOMPARE(dialog.whichBox()->count(), 1 + succeeded); // the payment and every refund paid back
    QVERIFY(dialog.facts().has_value());
    QVERIFY(!dialog.facts()->refund);
    const QImage english = dialog.previewLabel()->pixmap().toImage();
    QVERIFY(!english.isNull());
    dialog.languageBox()->setCurrentIndex(dialog.languageBox()->findData(int(Receipt::Language::Chinese)));
    QCOMPARE(dialog.language(), Receipt::Language::Chinese);
    QVERIFY(dialog.previewLabel()->pixmap().toImage() != english); // the preview follows the choice

    if (qEnvironmentVariableIsSet("PAYDESK_TEST_SHOTS"))
        dialog.grab().save(m_dir.filePath(u"receipt-dialog.png"_s));
    dialog.whichBox()->setCurrentIndex(1);
    QVERIFY(dialog.facts()->refund.has_value());
    const QString refundNo = dialog.facts()->refund->outRefundNo;
    const QString pdf = m_dir.filePath(u"saved.pdf"_s);
    FileDialogs::setNextSaveFileName(pdf);
    MessageBox::setNextAnswer(QMessageBox::Ok);
    QVERIFY(dialog.saveButton()->isEnabled());
    dialog.saveButton()->click();
    QVERIFY2(MessageBox::lastText().contains(pdf), qPrintable(MessageBox::lastText()));
    QString words = run(u"pdftotext"_s, {pdf, u"-"_s});
    QVERIFY2(words.contains(u"退款凭证"_s) && words.contains(refundNo), qPrintable(words));

    // Printing goes through the same drawing (a PDF printer stands in for the counter's).
    QPrinter printer(QPrinter::HighResolution);
    printer.setOutputFormat(QPrinter::PdfFormat);
    const QString printed = m_dir.filePath(u"printed.pdf"_s);
    printer.setOutputFileName(printed);
    dialog.printOn(printer);
    words = run(u"pdftotext"_s, {printed, u"-"_s});
    QVERIFY2(words.contains(refundNo) && words.contains(o.orderNo), qPrintable(words));
}

void TestReceipt::ordersPageOffersTheReceiptOfAPaidOrder()
{
    DbWorker worker(*m_s->db);
    auto clerk = m_s->users.login(u"clerk"_s, u"clerk"_s);
    QVERIFY(clerk.ok());
    UiContext ctx{*m_s, worker, nullptr, clerk.value(), true};
    OrdersPage page(ctx);
    page.resize(1400, 800);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    OrderFilter pending;
    pending.states = {OrderState::Pending};
    const QList<Order> open = m_s->orders.list(pending).value();
    QVERIFY(!open.isEmpty());
    QVERIFY(page.selectOrder(open.first().orderNo));
    QVERIFY(!page.receiptAction()->isEnabled());
    QVERIFY2(page.receiptAction()->toolTip().contains(u"paid order"_s), qPrintable(page.receiptAction()->toolTip()));

    const Order paid = paidOrder(false);
    QVERIFY(page.selectOrder(paid.orderNo));
    QVERIFY(page.receiptAction()->isEnabled());
    QCOMPARE(page.receiptAction()->shortcut(), QKeySequence(QKeySequence::Print));
    QString shown;
    QTimer::singleShot(100, this, [&] {
        if (auto *d = qobject_cast<ReceiptDialog *>(QApplication::activeModalWidget())) {
            shown = d->windowTitle() + u" | "_s + (d->facts() ? d->facts()->order.orderNo : QString());
            d->reject();
        }
    });
    QTimer::singleShot(15000, this, [] { // never hang on a failed check
        if (auto *d = QApplication::activeModalWidget())
            d->close();
    });
    QTest::keySequence(&page, QKeySequence::Print);
    QVERIFY2(shown.contains(paid.orderNo + u" | "_s + paid.orderNo), qPrintable(shown));
}

// Z reports: a clerk closes the shift, finance closes yesterday; both kept, and the PDF says
// what the dialog showed.
void TestReceipt::shiftAndDayReportsCloseAndPrint()
{
    auto clerk = m_s->users.find(u"clerk"_s);
    QVERIFY(clerk.ok());
    ClosingDialog shift(m_s->closingService, clerk.value());
    shift.show();
    QVERIFY(QTest::qWaitForWindowExposed(&shift));
    QCOMPARE(shift.kindBox()->count(), 1); // a clerk closes a shift, not a day
    QVERIFY(shift.report().has_value());
    QCOMPARE(shift.report()->closedAt, qint64(0));
    QVERIFY(!shift.previewLabel()->pixmap().isNull());
    QVERIFY(shift.closeButton()->isEnabled());
    const QString net = Money::cny(shift.report()->totals.netMinor()).toDisplayString(QLocale());
    MessageBox::setNextAnswer(QMessageBox::Yes);
    shift.closeButton()->click();
    QVERIFY2(shift.report()->closedAt > 0, qPrintable(shift.statusLabel()->text()));
    QVERIFY(!shift.closeButton()->isEnabled());
    QCOMPARE(m_s->closings.list().value().size(), 1);
    const QString shiftPdf = m_dir.filePath(u"shift.pdf"_s);
    FileDialogs::setNextSaveFileName(shiftPdf);
    shift.saveButton()->click();
    QString words = run(u"pdftotext"_s, {u"-layout"_s, shiftPdf, u"-"_s});
    QVERIFY2(words.contains(u"Shift report"_s) && words.contains(net) && words.contains(u"Closed"_s), qPrintable(words));

    auto finance = m_s->users.find(u"finance"_s);
    QVERIFY(finance.ok());
    ClosingDialog day(m_s->closingService, finance.value());
    QCOMPARE(day.kindBox()->count(), 1);
    QCOMPARE(day.dateEdit()->date(), m_s->closingService.lastDayOver());
    QVERIFY(day.report().has_value());
    const qint64 paid = day.report()->totals.paidMinor();
    QVERIFY(paid > 0); // the seeded books took money yesterday
    MessageBox::setNextAnswer(QMessageBox::Yes);
    day.closeButton()->click();
    QVERIFY2(day.report()->closedAt > 0, qPrintable(day.statusLabel()->text()));
    const QString dayPdf = m_dir.filePath(u"day.pdf"_s);
    FileDialogs::setNextSaveFileName(dayPdf);
    day.saveButton()->click();
    words = run(u"pdftotext"_s, {u"-layout"_s, dayPdf, u"-"_s});
    QVERIFY2(words.contains(u"Day report (Z) "_s + day.dateEdit()->date().toString(Qt::ISODate)), qPrintable(words));
    QVERIFY2(words.contains(Money::cny(paid).toDisplayString(QLocale())), qPrintable(words));
    QVERIFY2(words.contains(u"not reconciled yet"_s), qPrintable(words));
    // Closed once: the day shows as closed, the button stays off.
    ClosingDialog again(m_s->closingService, finance.value());
    QVERIFY(again.report()->closedAt > 0);
    QVERIFY(!again.closeButton()->isEnabled());
}

QTEST_MAIN(TestReceipt)
#include "tst_receipt.moc"
