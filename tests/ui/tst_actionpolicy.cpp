// Which counter actions are offered to whom, and the reason shown when not.
#include "ActionPolicy.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace paydesk;

Q_DECLARE_METATYPE(paydesk::ActionPolicy::Action)
Q_DECLARE_METATYPE(paydesk::Role)
Q_DECLARE_METATYPE(paydesk::OrderState)

class TestActionPolicy : public QObject
{
    Q_OBJECT
private slots:
    void check_data();
    void check();
    void noOrderSelected();
};

void TestActionPolicy::check_data()
{
    using A = ActionPolicy::Action;
    QTest::addColumn<A>("action");
    QTest::addColumn<Role>("role");
    QTest::addColumn<OrderState>("state");
    QTest::addColumn<qint64>("msLeft");
    QTest::addColumn<qint64>("refundable");
    QTest::addColumn<bool>("allowed");
    QTest::addColumn<QString>("reasonContains");
    QTest::newRow("clerk repays pending") << A::Repay << Role::Clerk << OrderState::Pending << 600'000LL << -1LL << true << QString();
    QTest::newRow("repay paid") << A::Repay << Role::Clerk << OrderState::Paid << 600'000LL << -1LL << false << u"pending"_s;
    QTest::newRow("repay expired") << A::Repay << Role::Clerk << OrderState::Pending << -1000LL << -1LL << false << u"time"_s;
    QTest::newRow("finance cannot repay") << A::Repay << Role::Finance << OrderState::Pending << 600'000LL << -1LL << false << u"CLERK"_s;
    QTest::newRow("admin closes") << A::Close << Role::Admin << OrderState::Pending << 600'000LL << -1LL << true << QString();
    QTest::newRow("close closed") << A::Close << Role::Clerk << OrderState::Closed << 0LL << -1LL << false << u"pending"_s;
    QTest::newRow("clerk refunds paid") << A::Refund << Role::Clerk << OrderState::Paid << 0LL << 500LL << true << QString();
    QTest::newRow("refund nothing left") << A::Refund << Role::Clerk << OrderState::PartiallyRefunded << 0LL << 0LL << false << u"left"_s;
    QTest::newRow("refund pending") << A::Refund << Role::Finance << OrderState::Pending << 0LL << -1LL << false << u"paid"_s;
    QTest::newRow("admin no refunds") << A::Refund << Role::Admin << OrderState::Paid << 0LL << 500LL << false << u"CLERK or FINANCE"_s;
    QTest::newRow("review finance") << A::ReviewRefund << Role::Finance << OrderState::Paid << 0LL << -1LL << true << QString();
    QTest::newRow("review clerk") << A::ReviewRefund << Role::Clerk << OrderState::Paid << 0LL << -1LL << false << u"FINANCE"_s;
    QTest::newRow("settings admin") << A::ManageSettings << Role::Admin << OrderState::Paid << 0LL << -1LL << true << QString();
    QTest::newRow("reconcile finance") << A::Reconcile << Role::Finance << OrderState::Paid << 0LL << -1LL << true << QString();
    QTest::newRow("reconcile admin") << A::Reconcile << Role::Admin << OrderState::Paid << 0LL << -1LL << true << QString();
    QTest::newRow("reconcile clerk") << A::Reconcile << Role::Clerk << OrderState::Paid << 0LL << -1LL << false << u"FINANCE or ADMIN"_s;
    QTest::newRow("settings clerk") << A::ManageSettings << Role::Clerk << OrderState::Paid << 0LL << -1LL << false << u"ADMIN"_s;
}

void TestActionPolicy::check()
{
    QFETCH(ActionPolicy::Action, action);
    QFETCH(Role, role);
    QFETCH(OrderState, state);
    QFETCH(qint64, msLeft);
    QFETCH(qint64, refundable);
    QFETCH(bool, allowed);
    QFETCH(QString, reasonContains);
    const qint64 now = 1'767'225'600'000;
    Order o;
    o.orderNo = u"PD1"_s;
    o.amountMinor = 1000;
    o.state = state;
    o.expiresAt = now + msLeft;
    const ActionVerdict v = ActionPolicy::check(action, role, &o, now, refundable);
    QCOMPARE(v.allowed, allowed);
    QCOMPARE(v.reason.isEmpty(), allowed);
    if (!reasonContains.isEmpty())
        QVERIFY2(v.reason.contains(reasonContains, Qt::CaseInsensitive), qPrintable(v.reason));
}

void TestActionPolicy::noOrderSelected()
{
    const ActionVerdict v = ActionPolicy::check(ActionPolicy::Action::Repay, Role::Clerk, nullptr, 0);
    QVERIFY(!v.allowed);
    QVERIFY(v.reason.contains(u"Select"_s));
}

QTEST_GUILESS_MAIN(TestActionPolicy)
#include "tst_actionpolicy.moc"
