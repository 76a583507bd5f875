#include "security/PasswordHasher.h"

#include <QElapsedTimer>
#include <QTest>

using namespace paydesk;

class TestPassword : public QObject
{
    Q_OBJECT
private slots:
    void owaspParametersAreStoredWithTheHash()
    {
        const PasswordHasher hasher; // the production parameters
        const QString h = hasher.hash(QStringLiteral("correct horse"));
        QVERIFY2(h.startsWith(QStringLiteral("$argon2id$v=19$m=19456,t=2,p=1$")), qPrintable(h));
        const auto p = PasswordHasher::paramsOf(h);
        QVERIFY(p.has_value());
        QCOMPARE(p->memoryKiB, 19456u);
        QCOMPARE(p->iterations, 2u);
        QCOMPARE(p->parallelism, 1u);
        QVERIFY(PasswordHasher::verify(h, QStringLiteral("correct horse")));
        QVERIFY(!PasswordHasher::verify(h, QStringLiteral("correct horsE")));
        QVERIFY(!PasswordHasher::verify(h, QString()));
    }
    void saltsDiffer()
    {
        const PasswordHasher hasher(PasswordHasher::Params{1024, 1, 1});
        const QString a = hasher.hash(QStringLiteral("same"));
        const QString b = hasher.hash(QStringLiteral("same"));
        QVERIFY(a != b);
        QVERIFY(PasswordHasher::verify(a, QStringLiteral("same")));
        QVERIFY(PasswordHasher::verify(b, QStringLiteral("same")));
    }
    void unicodePasswords()
    {
        const PasswordHasher hasher(PasswordHasher::Params{1024, 1, 1});
        const QString h = hasher.hash(QStringLiteral("密码-пароль-🔑"));
        QVERIFY(PasswordHasher::verify(h, QStringLiteral("密码-пароль-🔑")));
        QVERIFY(!PasswordHasher::verify(h, QStringLiteral("密码-пароль")));
    }
    void rehashWhenParametersRise()
    {
        const PasswordHasher weak(PasswordHasher::Params{1024, 1, 1});
        const PasswordHasher strong;
        const QString h = weak.hash(QStringLiteral("pw"));
        QVERIFY(strong.needsRehash(h));
        QVERIFY(!weak.needsRehash(h));
        QVERIFY(!strong.needsRehash(strong.hash(QStringLiteral("pw"))));
        QVERIFY(strong.needsRehash(QStringLiteral("plaintext")));                    // unreadable: rehash
        QVERIFY(strong.needsRehash(QStringLiteral("$argon2i$v=19$m=65536,t=3,p=1$x$y"))); // not Argon2id
    }
    void otherSchemesAreRefused()
    {
        QVERIFY(!PasswordHasher::verify(QStringLiteral("$argon2i$v=19$m=16,t=2,p=1$c29tZXNhbHQ$aGFzaA"), QStringLiteral("x")));
        QVERIFY(!PasswordHasher::verify(QStringLiteral("secret"), QStringLiteral("secret")));
    }
    void hashingCostsRealTime()
    {
        // OWASP parameters are meant to cost tens of milliseconds, not microseconds.
        const PasswordHasher hasher;
        QElapsedTimer t;
        t.start();
        const QString h = hasher.hash(QStringLiteral("pw"));
        QVERIFY(!h.isEmpty());
        QVERIFY2(t.nsecsElapsed() > 2'000'000, "an OWASP-strength Argon2id hash cannot take under 2 ms");
    }
};

QTEST_GUILESS_MAIN(TestPassword)
#include "tst_password.moc"
