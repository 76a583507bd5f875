#include "domain/Domain.h"
#include "util/Duration.h"

#include <QSet>
#include <QTest>

using namespace paydesk;
using namespace Qt::StringLiterals;

namespace {
template <typename S>
QSet<QString> edgesOf(std::initializer_list<S> all)
{
    QSet<QString> out;
    for (S a : all)
        for (S b : all)
            if (Transitions::allowed(a, b))
                out.insert(toString(a) + QStringLiteral("->") + toString(b));
    return out;
}
} // namespace

class TestDomain : public QObject
{
    Q_OBJECT
private slots:
    void orderMachine()
    {
        using S = OrderState;
        const QSet<QString> expected{
            u"PENDING->PAID"_s, u"PENDING->CLOSED"_s, u"PAID->PARTIALLY_REFUNDED"_s, u"PAID->REFUNDED"_s, u"PARTIALLY_REFUNDED->REFUNDED"_s};
        QCOMPARE(edgesOf({S::Pending, S::Paid, S::PartiallyRefunded, S::Refunded, S::Closed}), expected);
    }
    void attemptMachine()
    {
        using S = AttemptState;
        const QSet<QString> expected{u"CREATED->PAYING"_s, u"CREATED->FAILED"_s, u"CREATED->CLOSED"_s, u"CREATED->SUCCEEDED"_s,
                                     u"PAYING->SUCCEEDED"_s, u"PAYING->FAILED"_s, u"PAYING->CLOSED"_s,
                                     // late truths: money the channel reports after we closed or gave up
                                     u"CLOSED->SUCCEEDED"_s, u"FAILED->SUCCEEDED"_s};
        QCOMPARE(edgesOf({S::Created, S::Paying, S::Succeeded, S::Failed, S::Closed}), expected);
        QVERIFY(!Transitions::allowed(S::Succeeded, S::Closed)); // money never un-arrives
    }
    void refundMachine()
    {
        using S = RefundState;
        const QSet<QString> expected{u"REQUESTED->APPROVED"_s, u"REQUESTED->REJECTED"_s, u"APPROVED->PROCESSING"_s,
                                     u"APPROVED->SUCCEEDED"_s, u"APPROVED->FAILED"_s, u"APPROVED->CLOSED"_s,
                                     u"PROCESSING->SUCCEEDED"_s, u"PROCESSING->CLOSED"_s,
                                     // FINANCE retries a refused refund with the same number
                                     u"FAILED->APPROVED"_s};
        // ABNORMAL is not final at WeChat: a refund the channel took never fails here.
        QVERIFY(!Transitions::allowed(S::Processing, S::Failed));
        QCOMPARE(edgesOf({S::Requested, S::Approved, S::Rejected, S::Processing, S::Succeeded, S::Failed, S::Closed}), expected);
    }
    void illegalTransitionIsAnError()
    {
        const Status s = Transitions::check(OrderState::Closed, OrderState::Paid);
        QVERIFY(!s.ok());
        QCOMPARE(s.error().code, QStringLiteral("state.illegal_transition"));
        QVERIFY(s.error().message.contains(QStringLiteral("CLOSED")));
        QVERIFY(!Transitions::check(OrderState::Paid, OrderState::Paid).ok()); // not a transition
        QVERIFY(Transitions::check(OrderState::Pending, OrderState::Paid).ok());
        QVERIFY(!Transitions::allowed(AnomalyState::Resolved, AnomalyState::Open));
    }
    void namesRoundTrip()
    {
        for (auto s : {OrderState::Pending, OrderState::Paid, OrderState::PartiallyRefunded, OrderState::Refunded, OrderState::Closed})
            QVERIFY(fromString<OrderState>(toString(s)) == s);
        for (auto s : {RefundState::Requested, RefundState::Approved, RefundState::Rejected, RefundState::Processing,
                       RefundState::Succeeded, RefundState::Failed, RefundState::Closed})
            QVERIFY(fromString<RefundState>(toString(s)) == s);
        QVERIFY(fromString<ChannelKind>(u"WeChat") == ChannelKind::WeChat);
        QVERIFY(fromString<Role>(u"finance") == Role::Finance);
        QVERIFY(!fromString<OrderState>(u"PAYED").has_value());
        QVERIFY(!fromString<ChannelKind>(u"paypal").has_value());
    }
    void refundHoldsAmount()
    {
        QVERIFY(Transitions::holdsAmount(RefundState::Requested));
        QVERIFY(Transitions::holdsAmount(RefundState::Processing));
        QVERIFY(Transitions::holdsAmount(RefundState::Succeeded));
        QVERIFY(!Transitions::holdsAmount(RefundState::Rejected));
        QVERIFY(!Transitions::holdsAmount(RefundState::Failed));
        QVERIFY(!Transitions::holdsAmount(RefundState::Closed));
    }
    void durations_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms"); // -1: refused
        QTest::newRow("plain seconds") << "90" << qint64(90'000);
        QTest::newRow("3s") << "3s" << qint64(3000);
        QTest::newRow("500ms") << "500ms" << qint64(500);
        QTest::newRow("30m") << "30m" << qint64(1'800'000);
        QTest::newRow("2h") << "2h" << qint64(7'200'000);
        QTest::newRow("1d") << "1d" << qint64(86'400'000);
        QTest::newRow("empty") << "" << qint64(-1);
        QTest::newRow("negative") << "-5s" << qint64(-1);
        QTest::newRow("unit only") << "m" << qint64(-1);
        QTest::newRow("unknown unit") << "5w" << qint64(-1);
        QTest::newRow("decimal") << "1.5h" << qint64(-1);
    }
    void durations()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        const auto r = Duration::parseMs(text);
        QCOMPARE(r.ok(), ms >= 0);
        if (ms >= 0)
            QCOMPARE(r.value(), ms);
        else
            QCOMPARE(r.error().code, QStringLiteral("duration.bad"));
    }
    void countdownFormat()
    {
        QCOMPARE(Duration::countdown(0), QStringLiteral("00:00"));
        QCOMPARE(Duration::countdown(65'000), QStringLiteral("01:05"));
        QCOMPARE(Duration::countdown(29 * 60'000 + 59'999), QStringLiteral("29:59"));
        QCOMPARE(Duration::countdown(3'723'000), QStringLiteral("1:02:03"));
        QCOMPARE(Duration::countdown(-7000), QStringLiteral("-00:07"));
    }
};

QTEST_GUILESS_MAIN(TestDomain)
#include "tst_domain.moc"
