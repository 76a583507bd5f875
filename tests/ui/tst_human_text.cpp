// Text a person reads, in their language (issue 16, points 4 and 7), with real widgets on the
// offscreen platform, on SQLite and PostgreSQL: what PayDesk writes into the books itself
// (an anomaly's details, a proposed refund's reason, its own actors) is stored as a code with
// facts and shown in the reader's language, older plain-English rows as stored; the audit log
// and an order's timeline read as sentences with local times, the raw JSON one click away; the
// refund dialog's amount label has a working mnemonic, not a literal "&"; the finance charts
// label money as money; a demo shown in Chinese has Chinese titles, buyers and reasons; the
// scripted customers' orders are the counter simulator's, not the clerk's.
#include "AuditModel.h"
#include "AuditPage.h"
#include "DbWorker.h"
#include "DemoDriver.h"
#include "FinancePage.h"
#include "Labels.h"
#include "ListModels.h"
#include "MainWindow.h"
#include "OrderDetailPane.h"
#include "RefundDialog.h"
#include "UiContext.h"

#include "TestSupport.h"
#include "channels/SimulatedChannel.h"
#include "demo/DemoSeeder.h"
#include "domain/SystemText.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QBarCategoryAxis>
#include <QCategoryAxis>
#include <QChart>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QRegularExpression>
#include <QTest>
#include <QTranslator>

using namespace Qt::StringLiterals;
using namespace paydesk;

namespace {

/// The Chinese catalogue and locale while it lives (as `paydesk --lang zh_CN` installs them).
class Chinese
{
public:
    Chinese() : m_old(QLocale())
    {
        m_loaded = m_translator.load(u":/i18n/paydesk_zh_CN.qm"_s);
        QCoreApplication::installTranslator(&m_translator);
        QLocale::setDefault(QLocale(QLocale::Chinese, QLocale::SimplifiedChineseScript, QLocale::China));
    }
    ~Chinese()
    {
        QCoreApplication::removeTranslator(&m_translator);
        QLocale::setDefault(m_old);
    }
    bool loaded() const { return m_loaded; }

private:
    QTranslator m_translator;
    QLocale m_old;
    bool m_loaded = false;
};

/// `text` without the given ids has no English word left (two or more Latin letters in a row).
bool noEnglish(QString text, const QStringList &ids)
{
    for (const QString &id : ids)
        text.remove(id);
    return !text.contains(QRegularExpression(u"[A-Za-z]{2,}"_s));
}

bool hasChinese(const QString &text)
{
    return text.contains(QRegularExpression(u"\\p{Han}"_s));
}

} // namespace

class TestHumanText : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void systemTextsAreStoredAsCodesAndShownInTheReadersLanguage();
    void olderPlainRowsAreShownAsStored();
    void statusMessagesNameStatesInWords();
    void auditLogReadsAsSentencesWithTheRawOneClickAway();
    void timelineReadsAsSentencesWithLocalTimes();
    void refundDialogAmountLabelHasAWorkingMnemonic();
    void financeChartsLabelMoneyAsMoney();
    void demoShownInChineseIsMostlyChinese();
    void scriptedCustomersOrdersAreTheCounterSimulators();

private:
    QString pendingOrder(const QString &amount, QString *outTradeNo);
    /// An order closed by the clerk whose payment then arrives: anomaly and refund proposed.
    void paidAfterClose();

    test::ScratchDatabase m_scratch;
    std::unique_ptr<Services> m_s;
    ManualClock *m_clock = nullptr;
    SimulatedChannel *m_sim = nullptr;
    std::unique_ptr<DbWorker> m_worker;
    User m_clerk, m_finance;
    QString m_lateOrder, m_lateTrade;
    qint64 m_firstOrderAt = 0; ///< before this test's own orders
};

void TestHumanText::initTestCase()
{
    PAYDESK_REQUIRE_DB(m_scratch);
    auto books = test::seedDemoBooks(m_scratch.url(), 120, 3, ChannelKind::WeChat);
    m_s = std::move(books.services);
    m_clock = books.clock;
    m_sim = books.sim;
    m_worker = std::make_unique<DbWorker>(*m_s->db);
    auto clerk = m_s->users.login(u"clerk"_s, u"clerk"_s);
    auto finance = m_s->users.login(u"finance"_s, u"finance"_s);
    QVERIFY(clerk.ok() && finance.ok());
    m_clerk = clerk.value();
    m_finance = finance.value();
    m_firstOrderAt = m_clock->nowMs();
    paidAfterClose();
}

void TestHumanText::cleanupTestCase()
{
    m_worker.reset();
}

QString TestHumanText::pendingOrder(const QString &amount, QString *outTradeNo)
{
    NewOrder n;
    n.amount = amount;
    n.title = u"Oolong tea"_s;
    n.timeoutMs = 600'000;
    auto r = m_s->payments.checkout(m_clerk, n, ChannelKind::WeChat);
    if (!r)
        return {};
    const qint64 orderId = r->order.id;
    if (!QTest::qWaitFor([&] { return m_s->orders.attemptsOf(orderId).value().constFirst().state == AttemptState::Paying; }, 5000))
        return {};
    *outTradeNo = m_s->orders.attemptsOf(orderId).value().constFirst().outTradeNo;
    return r->order.orderNo;
}

void TestHumanText::paidAfterClose()
{
    m_lateOrder = pendingOrder(u"1234.50"_s, &m_lateTrade);
    QVERIFY(!m_lateOrder.isEmpty());
    bool closed = false;
    m_s->payments.close(m_clerk, m_lateOrder, this, [&closed](const Result<PaymentService::Closed> &r) { closed = r.ok(); });
    QTRY_VERIFY(closed);
    PaymentStatus paid;
    paid.outTradeNo = m_lateTrade;
    paid.state = TradeState::Success;
    paid.channelTxnId = u"4200000000123"_s;
    paid.paidAtMs = m_clock->nowMs();
    paid.amountMinor = 123450;
    paid.rawState = u"SUCCESS"_s;
    paid.currency = u"CNY"_s;
    auto applied = m_s->reconciler.applyPayment(paid, Reconciler::systemUser(), u"notify"_s);
    QVERIFY(applied.ok());
    QCOMPARE(applied->outcome, Reconciler::Outcome::PaidAfterClose);
}

void TestHumanText::systemTextsAreStoredAsCodesAndShownInTheReadersLanguage()
{
    // Stored: a code with its facts, not English words.
    auto open = m_s->refundService.anomalies(AnomalyState::Open);
    QVERIFY(open.ok());
    const auto it = std::find_if(open->cbegin(), open->cend(), [](const Anomaly &a) { return a.kind == AnomalyKind::PaidAfterClose && a.details.contains(u"PD"_s) && a.refundId > 0 && SystemText::isCoded(a.details); });
    QVERIFY2(it != open->cend(), qPrintable(open->isEmpty() ? QString() : open->constFirst().details));
    QCOMPARE(SystemText::code(it->details), u"payment.paid_after_close"_s);
    QVERIFY(it->details.contains(m_lateTrade));

    AnomalyModel anomalies(m_s->anomalies);
    QAbstractItemModelTester tester(&anomalies, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(anomalies.reload(AnomalyState::Open).ok());
    int row = -1;
    for (int r = 0; r < anomalies.rowCount(); ++r)
        if (anomalies.data(anomalies.index(r, AnomalyModel::Id), RawRole).toLongLong() == it->id)
            row = r;
    QVERIFY(row >= 0);
    // English reader.
    const QString en = anomalies.data(anomalies.index(row, AnomalyModel::Details)).toString();
    QCOMPARE(en, u"Payment %1 arrived after order %2 was closed."_s.arg(m_lateTrade, m_lateOrder));

    ReviewQueueModel queue(m_s->refundService, *m_s->clock);
    QVERIFY(queue.reload().ok());
    int q = -1;
    for (int r = 0; r < queue.rowCount(); ++r)
        if (queue.rowAt(r)->refund.id == it->refundId)
            q = r;
    QVERIFY(q >= 0);
    QVERIFY(SystemText::isCoded(queue.rowAt(q)->refund.reason));
    QCOMPARE(queue.data(queue.index(q, ReviewQueueModel::Reason)).toString(), en);
    QCOMPARE(queue.data(queue.index(q, ReviewQueueModel::RequestedBy)).toString(), u"PayDesk"_s);

    // Chinese reader: the same rows in Chinese, ids as they are.
    Chinese zh;
    QVERIFY(zh.loaded());
    const QString details = anomalies.data(anomalies.index(row, AnomalyModel::Details)).toString();
    QVERIFY2(hasChinese(details) && noEnglish(details, {m_lateTrade, m_lateOrder}), qPrintable(details));
    const QString reason = queue.data(queue.index(q, ReviewQueueModel::Reason)).toString();
    QCOMPARE(reason, details);
    const QString requester = queue.data(queue.index(q, ReviewQueueModel::RequestedBy)).toString();
    QVERIFY2(hasChinese(requester) && noEnglish(requester, {}), qPrintable(requester));
    QVERIFY2(hasChinese(Labels::actor(u"timer"_s)) && hasChinese(Labels::actor(u"auto"_s)), qPrintable(Labels::actor(u"timer"_s)));
    // A channel's answer in the review queue's "Channel said" column, in words.
    QVERIFY(hasChinese(Labels::channelAnswer(u"ABNORMAL"_s)));
}

void TestHumanText::olderPlainRowsAreShownAsStored()
{
    // Rows written before the coded form hold English words: shown as they are.
    Anomaly old;
    old.kind = AnomalyKind::RefundClosed;
    old.details = u"Refund RF-OLD-1 was closed by the channel without paying out."_s;
    old.createdAt = m_clock->nowMs();
    {
        Transaction tx(*m_s->db);
        QVERIFY(tx.begun().ok());
        QVERIFY(AnomalyRepository(*m_s->db).insert(tx.connection(), old).ok());
        QVERIFY(tx.commit().ok());
    }
    AnomalyModel anomalies(m_s->anomalies);
    QVERIFY(anomalies.reload(AnomalyState::Open).ok());
    Chinese zh;
    bool seen = false;
    for (int r = 0; r < anomalies.rowCount(); ++r)
        if (anomalies.data(anomalies.index(r, AnomalyModel::Id), RawRole).toLongLong() == old.id) {
            QCOMPARE(anomalies.data(anomalies.index(r, AnomalyModel::Details)).toString(), old.details);
            seen = true;
        }
    QVERIFY(seen);
    QCOMPARE(SystemText::render(u"Goods not returned"_s), u"Goods not returned"_s);
    QCOMPARE(SystemText::render(u"{\"note\":\"typed by a person\"}"_s), u"{\"note\":\"typed by a person\"}"_s);
}

void TestHumanText::statusMessagesNameStatesInWords()
{
    // Closing an order that is already closed says why in words, not "(EXPIRED)"/"(MANUAL)".
    Chinese zh;
    QString message;
    bool done = false;
    m_s->payments.close(m_clerk, m_lateOrder, this, [&](const Result<PaymentService::Closed> &r) {
        done = true;
        message = r ? r->message : r.error().message;
    });
    QTRY_VERIFY(done);
    QVERIFY2(!message.contains(u"MANUAL"_s) && !message.contains(u"EXPIRED"_s), qPrintable(message));
    QVERIFY2(hasChinese(message) && noEnglish(message, {m_lateOrder}), qPrintable(message));
    // The timer's line for an expired order.
    const QString line = SystemText::expiredClose(m_lateOrder, 1500);
    QVERIFY2(!line.contains(u"EXPIRED"_s) && noEnglish(line, {m_lateOrder}), qPrintable(line));
}

void TestHumanText::auditLogReadsAsSentencesWithTheRawOneClickAway()
{
    ui::UiContext ctx{*m_s, *m_worker, nullptr, m_finance, true};
    ui::AuditPage page(ctx);
    page.show();
    AuditModel *model = page.model();
    QTRY_VERIFY(model->rowCount() > 5 && !model->isLoading());
    // The proposed refund's entry: "PayDesk requested refund RF… of ¥1,234.50 on order PD…: Payment … arrived …"
    int row = -1;
    for (int r = 0; r < model->rowCount(); ++r)
        if (model->entryAt(r)->action == u"refund.request"_s && model->entryAt(r)->details.value(u"order"_s).toString() == m_lateOrder)
            row = r;
    QVERIFY(row >= 0);
    const AuditEntry e = *model->entryAt(row);
    const QString refundNo = e.object.mid(QStringLiteral("refund:").size());
    const QModelIndex details = model->index(row, AuditModel::Details);
    const QString en = model->data(details).toString();
    QCOMPARE(en, u"PayDesk requested refund %1 of ¥1,234.50 on order %2: Payment %3 arrived after order %2 was closed."_s.arg(
                     refundNo, m_lateOrder, m_lateTrade));
    // The raw entry is in the tooltip and one click away.
    QVERIFY(model->data(details, Qt::ToolTipRole).toString().startsWith(u'{'));
    auto *raw = page.findChild<QCheckBox *>(u"showRawDetails"_s);
    QVERIFY(raw);
    QTest::mouseClick(raw, Qt::LeftButton);
    QVERIFY(raw->isChecked());
    QCOMPARE(model->data(details).toString(), Labels::rawDetails(e));
    QTest::mouseClick(raw, Qt::LeftButton);
    QCOMPARE(model->data(details).toString(), en);

    Chinese zh;
    const QString cn = model->data(details).toString();
    QVERIFY2(hasChinese(cn) && noEnglish(cn, {refundNo, m_lateOrder, m_lateTrade}), qPrintable(cn));
    QVERIFY2(cn.contains(u"¥1,234.50"_s), qPrintable(cn));
    // Who: PayDesk's own actors in words.
    QVERIFY(hasChinese(model->data(model->index(row, AuditModel::User)).toString()));
    // Every entry of the log reads without a JSON brace; its object in words ("订单 PD…").
    for (int r = 0; r < model->rowCount(); ++r) {
        const QString s = model->data(model->index(r, AuditModel::Details)).toString();
        QVERIFY2(!s.contains(u'{') && !s.contains(u'}'), qPrintable(s));
        const AuditEntry *entry = model->entryAt(r);
        const QString object = model->data(model->index(r, AuditModel::Object)).toString();
        if (entry->object.startsWith(u"order:"_s) || entry->object.startsWith(u"refund:"_s) || entry->object.startsWith(u"user:"_s))
            QVERIFY2(hasChinese(object) && noEnglish(object, {entry->object.section(u':', 1)}), qPrintable(object));
        QCOMPARE(model->data(model->index(r, AuditModel::Object), Qt::ToolTipRole).toString(), entry->object);
    }
}

void TestHumanText::timelineReadsAsSentencesWithLocalTimes()
{
    ui::UiContext ctx{*m_s, *m_worker, nullptr, m_clerk, true};
    ui::OrderDetailPane pane(ctx);
    auto order = m_s->orders.byNo(m_lateOrder);
    QVERIFY(order.ok());
    pane.showOrder(order.value());
    TimelineModel *timeline = pane.timeline();
    QAbstractItemModelTester tester(timeline, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(timeline->rowCount() >= 4);
    auto attempts = m_s->orders.attemptsOf(order->id);
    QVERIFY(attempts.ok());
    const qint64 expiresAt = attempts->constFirst().expiresAt;
    bool sawPayment = false;
    for (int r = 0; r < timeline->rowCount(); ++r) {
        const QString s = timeline->data(timeline->index(r, TimelineModel::Entry)).toString();
        QVERIFY2(!s.contains(u'{') && !s.contains(QString::number(expiresAt)), qPrintable(s));
        if (s.contains(u"issued payment"_s)) {
            // "Clerk issued payment … on WeChat Pay, valid until 2026-… (local time)"
            QVERIFY2(s.contains(Labels::time(expiresAt)), qPrintable(s));
            sawPayment = true;
        }
        // The raw entry in its tooltip.
        QVERIFY(timeline->data(timeline->index(r, TimelineModel::Entry), Qt::ToolTipRole).toString().contains(u'{'));
    }
    QVERIFY(sawPayment);
    QCOMPARE(timeline->data(timeline->index(0, TimelineModel::Entry)).toString(),
             u"clerk created order %1 of ¥1,234.50 (Oolong tea)"_s.arg(m_lateOrder));
    // One click away: the view's "Show raw details" action.
    auto *raw = pane.findChild<QAction *>(u"timelineShowRaw"_s);
    QVERIFY(raw);
    raw->trigger();
    QVERIFY(timeline->data(timeline->index(0, TimelineModel::Entry)).toString().contains(u"order.create"_s));
    raw->trigger();
    Chinese zh;
    for (int r = 0; r < timeline->rowCount(); ++r) {
        const AuditEntry *e = timeline->rowAt(r);
        const QString s = timeline->data(timeline->index(r, TimelineModel::Entry)).toString();
        QVERIFY2(hasChinese(s) && noEnglish(s, {m_lateOrder, m_lateTrade, e->object.section(u':', 1), e->user, u"Oolong tea"_s,
                                                e->details.value(u"channel_txn_id"_s).toString()}),
                 qPrintable(s));
    }
}

void TestHumanText::refundDialogAmountLabelHasAWorkingMnemonic()
{
    auto order = m_s->orders.byNo(m_lateOrder);
    QVERIFY(order.ok());
    ui::UiContext ctx{*m_s, *m_worker, nullptr, m_clerk, true};
    ui::RefundDialog dialog(ctx, order.value());
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    // Every label with a mnemonic names its field: otherwise Qt shows the "&" itself.
    QLabel *amountLabel = nullptr;
    for (QLabel *label : dialog.findChildren<QLabel *>()) {
        if (!label->text().contains(u'&'))
            continue;
        QVERIFY2(label->buddy(), qPrintable(label->text()));
        if (label->buddy() == dialog.amountEdit())
            amountLabel = label;
    }
    QVERIFY(amountLabel);
    QVERIFY(amountLabel->isVisible());
    // Alt+A goes to the amount.
    dialog.reasonEdit()->setFocus();
    QTest::keyClick(&dialog, Qt::Key_A, Qt::AltModifier);
    QTRY_VERIFY(dialog.amountEdit()->hasFocus());
}

void TestHumanText::financeChartsLabelMoneyAsMoney()
{
    ui::UiContext ctx{*m_s, *m_worker, nullptr, m_finance, true};
    ui::FinancePage page(ctx);
    QSignalSpy reloaded(&page, &ui::FinancePage::reloaded);
    page.show();
    page.refresh();
    QTRY_VERIFY(reloaded.count() > 0);
    QTRY_VERIFY(!page.summaryText().isEmpty() && page.summaryText() != page.tr("Adding up…"));
    // Developers' timing is not on the page.
    QVERIFY2(!page.summaryText().contains(u"computed"_s) && !page.summaryText().contains(u" ms"_s), qPrintable(page.summaryText()));
    // The daily chart's money axis: round amounts as money with thousands separators.
    QChart *daily = page.chart(FinanceTableModel::Table::Daily);
    QStringList labels;
    for (QAbstractAxis *axis : daily->axes(Qt::Vertical))
        if (auto *c = qobject_cast<QCategoryAxis *>(axis))
            labels += c->categoriesLabels();
    QVERIFY2(labels.size() >= 3, qPrintable(labels.join(u' ')));
    for (const QString &l : std::as_const(labels))
        QVERIFY2(l.startsWith(u"¥"_s), qPrintable(l));
    QVERIFY2(std::any_of(labels.cbegin(), labels.cend(), [](const QString &l) { return l.contains(u','); }), qPrintable(labels.join(u' ')));
    // The refund backlog names each amount as money ("Requested (2)", "¥1,234.50" below), the chart's
    // own number ("1234.5") nowhere.
    QChart *backlog = page.chart(FinanceTableModel::Table::Backlog);
    QStringList states;
    for (QAbstractAxis *axis : backlog->axes(Qt::Vertical))
        if (auto *c = qobject_cast<QBarCategoryAxis *>(axis))
            states += c->categories();
    QVERIFY(!states.isEmpty());
    static const QRegularExpression asMoney(u"^\\S+ \\(\\d+\\)<br>¥\\d{1,3}(,\\d{3})*\\.\\d\\d$"_s);
    for (const QString &state : std::as_const(states))
        QVERIFY2(asMoney.match(state).hasMatch(), qPrintable(state));
    // The late payment's proposed refund (¥1,234.50) waits among the requested ones.
    QVERIFY2(std::any_of(states.cbegin(), states.cend(), [](const QString &s) { return s.contains(u','); }),
             qPrintable(states.join(u" | "_s)));
}

void TestHumanText::demoShownInChineseIsMostlyChinese()
{
    // Two demos from one seed, one shown in English, one in Chinese: the same books, the
    // people's words in Chinese in the second.
    QList<QStringList> books;
    for (bool chinese : {false, true}) {
        test::ScratchDatabase scratch;
        PAYDESK_REQUIRE_DB(scratch);
        ManualClock *clock = nullptr;
        auto s = test::makeServices(scratch.url(), &clock);
        DemoSeeder seeder(*s->db, s->users, s->settings, *s->clock);
        DemoSeeder::Options o;
        o.orders = 400;
        o.days = 5;
        o.chinese = chinese;
        QVERIFY(seeder.seed(o).ok());
        auto q = Sql::exec(s->db->connection(), u"SELECT order_no, amount_minor, state, title, buyer FROM orders ORDER BY id"_s);
        QVERIFY(q.ok());
        QStringList rows;
        int latinTitles = 0, latinBuyers = 0, n = 0;
        while (q.value().next()) {
            ++n;
            rows << q.value().value(0).toString() + u' ' + q.value().value(1).toString() + u' ' + q.value().value(2).toString();
            if (!hasChinese(q.value().value(3).toString()))
                ++latinTitles;
            if (q.value().value(4).toString().contains(QRegularExpression(u"[A-Za-z]"_s)))
                ++latinBuyers;
        }
        books << rows;
        auto reasons = Sql::exec(s->db->connection(), u"SELECT reason FROM refunds WHERE requested_by = 'clerk'"_s);
        QVERIFY(reasons.ok());
        int latinReasons = 0, refunds = 0;
        while (reasons.value().next()) {
            ++refunds;
            if (!hasChinese(reasons.value().value(0).toString()))
                ++latinReasons;
        }
        QVERIFY(refunds > 0);
        if (chinese) {
            QCOMPARE(latinTitles, 0);
            QCOMPARE(latinBuyers, 0);
            QCOMPARE(latinReasons, 0);
        } else {
            QVERIFY(latinTitles > n / 4); // the English demo keeps its mix
            QCOMPARE(latinReasons, refunds);
        }
        // The counter's walk-ins in a Chinese demo.
        if (chinese) {
            Chinese zh;
            auto sim = SimulatedChannel::createAs(ChannelKind::WeChat, scratch.url(), *s->clock);
            QVERIFY(sim.ok());
            SimulatedChannel *channel = sim.value().get();
            channel->setDefaultScript({SimulatedChannel::Customer::NeverPay, 0});
            s->channels.add(std::move(sim.value()));
            ui::DemoDriver driver(*s, {channel}, ui::DemoDriver::counterActor(*s, User{}));
            driver.setChinese(true);
            for (int i = 0; i < 12; ++i) {
                const QString no = driver.createOrder();
                QVERIFY(!no.isEmpty());
                auto o2 = s->orders.byNo(no);
                QVERIFY(o2.ok());
                QVERIFY2(hasChinese(o2->title), qPrintable(o2->title));
                QVERIFY2(!o2->buyer.contains(QRegularExpression(u"[A-Za-z]"_s)), qPrintable(o2->buyer));
            }
        }
    }
    QCOMPARE(books.at(1), books.at(0));
}

void TestHumanText::scriptedCustomersOrdersAreTheCounterSimulators()
{
    // The counter simulator is an actor of its own: reserved, never signs in.
    const QString counterLogin = QLatin1String(UserDirectory::kDemoCounterLogin);
    auto admin = m_s->users.login(u"admin"_s, u"admin"_s);
    QVERIFY(admin.ok());
    auto taken = m_s->users.add(u"admin"_s, counterLogin, QString(), Role::Clerk, u"long-enough-password"_s);
    QVERIFY(!taken.ok());
    QCOMPARE(taken.error().code, u"user.reserved_login"_s);
    QVERIFY(!m_s->users.login(counterLogin, QString()).ok());
    const User counter = ui::DemoDriver::counterActor(*m_s, m_clerk);
    QCOMPARE(counter.login, counterLogin);
    QVERIFY(counter.role == Role::Clerk);

    // The seeded pending orders (their customers are scripted) are the counter's.
    auto q = Sql::exec(m_s->db->connection(), u"SELECT created_by, COUNT(*) FROM orders WHERE created_at < :t AND state = 'PENDING' "
                                               "GROUP BY created_by"_s, {{":t", m_firstOrderAt}});
    QVERIFY(q.ok() && q.value().next());
    QCOMPARE(q.value().value(0).toString(), counterLogin);
    QVERIFY(q.value().value(1).toLongLong() > 0);
    QVERIFY(!q.value().next()); // and nobody else's
    // A counter order of the demo's driver.
    ui::DemoDriver driver(*m_s, {m_sim}, counter);
    const QString no = driver.createOrder();
    QVERIFY(!no.isEmpty());
    auto order = m_s->orders.byNo(no);
    QVERIFY(order.ok());
    QCOMPARE(order->createdBy, counterLogin);
    ui::UiContext ctx{*m_s, *m_worker, nullptr, m_clerk, true};
    ui::OrderDetailPane pane(ctx);
    pane.showOrder(order.value());
    const QString fields = pane.findChildren<QLabel *>().at(1)->text();
    QVERIFY2(fields.contains(u"by Counter simulator"_s) && !fields.contains(u"by clerk"_s), qPrintable(fields));
    QCOMPARE(pane.timeline()->data(pane.timeline()->index(0, TimelineModel::Entry)).toString().left(17), u"Counter simulator"_s);
    {
        Chinese zh;
        pane.showOrder(order.value());
        const QString cn = pane.findChildren<QLabel *>().at(1)->text();
        QVERIFY2(cn.contains(Labels::actor(counterLogin)) && hasChinese(Labels::actor(counterLogin)), qPrintable(cn));
    }
}

QTEST_MAIN(TestHumanText)
#include "tst_human_text.moc"
