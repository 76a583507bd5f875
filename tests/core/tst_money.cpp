#include "domain/Money.h"

#include <QTest>

using namespace paydesk;

class TestMoney : public QObject
{
    Q_OBJECT
private slots:
    void parseAccepts_data();
    void parseAccepts();
    void parseRefuses_data();
    void parseRefuses();
    void zeroOnlyAsOrderTotal();
    void format_data();
    void format();
    void displayFollowsLocale();
    void arithmeticIsOverflowChecked();
    void currencies();
};

void TestMoney::parseAccepts_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("currency");
    QTest::addColumn<qint64>("minor");
    QTest::newRow("12.3") << "12.3" << "CNY" << qint64(1230);
    QTest::newRow("12.30") << "12.30" << "CNY" << qint64(1230);
    QTest::newRow("12") << "12" << "CNY" << qint64(1200);
    QTest::newRow("0.01 minimum") << "0.01" << "CNY" << qint64(1);
    QTest::newRow("leading zeros") << "007.50" << "CNY" << qint64(750);
    QTest::newRow("spaces trimmed") << "  8.8 " << "CNY" << qint64(880);
    QTest::newRow("channel maximum") << "100000000.00" << "CNY" << qint64(10'000'000'000);
    QTest::newRow("yen has no decimals") << "1500" << "JPY" << qint64(1500);
    QTest::newRow("usd cents") << "19.99" << "USD" << qint64(1999);
    QTest::newRow("hkd") << "0.5" << "HKD" << qint64(50);
}

void TestMoney::parseAccepts()
{
    QFETCH(QString, text);
    QFETCH(QString, currency);
    QFETCH(qint64, minor);
    const auto r = Money::parse(text, *Currency::fromCode(currency), AmountUse::Payment);
    QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
    QCOMPARE(r->minor(), minor);
    QCOMPARE(r->currency().code(), currency);
}

void TestMoney::parseRefuses_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("currency");
    QTest::addColumn<int>("use");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("messageNames"); // the message must name the rule
    const int pay = int(AmountUse::Payment), refund = int(AmountUse::Refund), total = int(AmountUse::OrderTotal);
    QTest::newRow("empty") << "" << "CNY" << pay << "money.empty" << "Enter an amount";
    QTest::newRow("blank") << "   " << "CNY" << pay << "money.empty" << "Enter an amount";
    QTest::newRow("abc") << "abc" << "CNY" << pay << "money.not_a_number" << "not an amount";
    QTest::newRow("1e3") << "1e3" << "CNY" << pay << "money.not_a_number" << "not an amount";
    QTest::newRow("grouping 12,34.5") << "12,34.5" << "CNY" << pay << "money.not_a_number" << "not an amount";
    QTest::newRow("two dots") << "1.2.3" << "CNY" << pay << "money.not_a_number" << "not an amount";
    QTest::newRow("trailing dot") << "12." << "CNY" << pay << "money.not_a_number" << "not an amount";
    QTest::newRow("leading dot") << ".5" << "CNY" << pay << "money.not_a_number" << "not an amount";
    QTest::newRow("plus sign") << "+5" << "CNY" << pay << "money.not_a_number" << "not an amount";
    QTest::newRow("full-width digits") << "１２" << "CNY" << pay << "money.not_a_number" << "not an amount";
    QTest::newRow("-1") << "-1" << "CNY" << pay << "money.negative" << "negative";
    QTest::newRow("-0.50") << "-0.50" << "CNY" << refund << "money.negative" << "negative";
    QTest::newRow("0.001") << "0.001" << "CNY" << pay << "money.too_many_decimals" << "at most 2 decimal places";
    QTest::newRow("yen decimals") << "1.5" << "JPY" << pay << "money.too_many_decimals" << "no decimals";
    QTest::newRow("0 payment") << "0" << "CNY" << pay << "money.zero" << "at least 0.01";
    QTest::newRow("0.00 refund") << "0.00" << "CNY" << refund << "money.zero" << "at least 0.01";
    QTest::newRow("above maximum") << "100000000.01" << "CNY" << pay << "money.above_maximum" << "channel maximum of 100000000.00";
    QTest::newRow("far above maximum") << "999999999999999999999" << "CNY" << total << "money.above_maximum" << "channel maximum";
}

void TestMoney::parseRefuses()
{
    QFETCH(QString, text);
    QFETCH(QString, currency);
    QFETCH(int, use);
    QFETCH(QString, code);
    QFETCH(QString, messageNames);
    const auto r = Money::parse(text, *Currency::fromCode(currency), AmountUse(use));
    QVERIFY2(!r.ok(), qPrintable(QStringLiteral("accepted ") + text));
    QCOMPARE(r.error().code, code);
    QVERIFY2(r.error().message.contains(messageNames), qPrintable(r.error().message));
}

void TestMoney::zeroOnlyAsOrderTotal()
{
    const auto total = Money::parse(u"0", Currency::cny(), AmountUse::OrderTotal);
    QVERIFY(total.ok());
    QVERIFY(total->isZero());
    QVERIFY(!Money::parse(u"0", Currency::cny(), AmountUse::Payment).ok());
    QVERIFY(!Money::parse(u"0", Currency::cny(), AmountUse::Refund).ok());
    QVERIFY(!Money::validate(0, Currency::cny(), AmountUse::Refund).ok());
    QVERIFY(Money::validate(1, Currency::cny(), AmountUse::Refund).ok());
}

void TestMoney::format_data()
{
    QTest::addColumn<qint64>("minor");
    QTest::addColumn<QString>("currency");
    QTest::addColumn<QString>("plain");
    QTest::addColumn<QString>("display"); // C locale
    QTest::newRow("cents") << qint64(1230) << "CNY" << "12.30" << "¥12.30";
    QTest::newRow("one fen") << qint64(1) << "CNY" << "0.01" << "¥0.01";
    QTest::newRow("zero") << qint64(0) << "CNY" << "0.00" << "¥0.00";
    QTest::newRow("negative net") << qint64(-505) << "CNY" << "-5.05" << "-¥5.05";
    QTest::newRow("grouping") << qint64(123456789) << "CNY" << "1234567.89" << "¥1,234,567.89";
    QTest::newRow("yen") << qint64(1500) << "JPY" << "1500" << "JP¥1,500";
    QTest::newRow("min qint64") << std::numeric_limits<qint64>::min() << "CNY" << "-92233720368547758.08"
                                << "-¥92,233,720,368,547,758.08";
}

void TestMoney::format()
{
    QFETCH(qint64, minor);
    QFETCH(QString, currency);
    QFETCH(QString, plain);
    QFETCH(QString, display);
    const Money m(minor, *Currency::fromCode(currency));
    QCOMPARE(m.toPlainString(), plain);
    QCOMPARE(m.toDisplayString(QLocale(QLocale::English, QLocale::UnitedStates)), display);
    // What we print we can read back exactly (for amounts the rules accept).
    if (minor > 0 && minor <= Money::maxMinor(m.currency()))
        QCOMPARE(Money::parse(plain, m.currency(), AmountUse::Payment)->minor(), minor);
}

void TestMoney::displayFollowsLocale()
{
    const Money m = Money::cny(123456789);
    QCOMPARE(m.toDisplayString(QLocale(QLocale::German, QLocale::Germany)), QStringLiteral("¥1.234.567,89"));
    QCOMPARE(m.toDisplayString(QLocale(QLocale::Chinese, QLocale::China)), QStringLiteral("¥1,234,567.89"));
}

void TestMoney::arithmeticIsOverflowChecked()
{
    const Money a = Money::cny(std::numeric_limits<qint64>::max() - 1);
    QVERIFY(!a.checkedAdd(Money::cny(2)).has_value());
    QCOMPARE(a.checkedAdd(Money::cny(1))->minor(), std::numeric_limits<qint64>::max());
    QVERIFY(!Money::cny(std::numeric_limits<qint64>::min()).checkedSub(Money::cny(1)).has_value());
    QCOMPARE(Money::cny(1000).checkedSub(Money::cny(1500))->minor(), qint64(-500));
    QVERIFY2(!Money::cny(1).checkedAdd(Money(1, *Currency::fromCode(u"USD"))).has_value(), "mixed currencies must not add");
}

void TestMoney::currencies()
{
    QCOMPARE(Currency::fromCode(u"CNY")->minorDigits(), 2);
    QCOMPARE(Currency::fromCode(u"usd")->minorDigits(), 2);
    QCOMPARE(Currency::fromCode(u"HKD")->minorDigits(), 2);
    QCOMPARE(Currency::fromCode(u"JPY")->minorDigits(), 0);
    QCOMPARE(Currency::fromCode(u"JPY")->minorPerMajor(), qint64(1));
    QVERIFY(!Currency::fromCode(u"XXX").has_value());
    QCOMPARE(Money::maxMinor(Currency::cny()), qint64(10'000'000'000));
}

QTEST_GUILESS_MAIN(TestMoney)
#include "tst_money.moc"
