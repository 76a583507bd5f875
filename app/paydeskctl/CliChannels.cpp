#include "Cli.h"

#include "channels/AlipayChannel.h"
#include "channels/ChannelProfileStore.h"
#include "channels/SecretStore.h"
#include "channels/WeChatPayChannel.h"
#include "crypto/Crypto.h"
#include "domain/Json.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QTimer>
#include <QUuid>

#include <unistd.h>

using namespace paydesk;

namespace {

const char *const kChannelUsage =
    "Use: channel add wechat|alipay --profile FILE | channel list | channel test [wechat|alipay] [--timeout MS] | "
    "channel remove wechat|alipay";

Result<std::unique_ptr<SecretStore>> openSecrets(Database &db)
{
    return SecretStore::openDefault(ChannelProfileStore::defaultSecretFile(db));
}

Result<ChannelKind> realKind(const QString &name)
{
    const auto kind = fromString<ChannelKind>(name);
    if (!kind || *kind == ChannelKind::Sim)
        return Error::invalid(QStringLiteral("usage"),
                              Cli::tr("\"%1\" is not a payment channel: use wechat or alipay.").arg(name));
    return *kind;
}

/// One round trip that proves the profile works end to end: our request is signed with the
/// merchant key and accepted, and the channel's answer is verified with its key. Asking about
/// a payment that does not exist is harmless and answers ORDER_NOT_EXIST / ACQ.TRADE_NOT_EXIST.
struct Probe
{
    bool ok = false;
    qint64 ms = 0;
    QString answer;
    ChannelError error;
};

Probe probe(PaymentChannel &channel, int timeoutMs)
{
    Probe out;
    const QString outTradeNo = QStringLiteral("PDTEST") + QUuid::createUuid().toString(QUuid::Id128).left(20).toUpper();
    QEventLoop loop;
    bool done = false;
    QElapsedTimer t;
    t.start();
    channel.queryPayment(outTradeNo, &loop, [&](const ChannelReply<PaymentStatus> &r) {
        done = true;
        out.ms = t.elapsed();
        if (r.ok()) {
            out.ok = true;
            out.answer = toString(r->state);
        } else if (r.error().kind == ChannelError::Kind::NotFound) {
            out.ok = true; // a signed, verified "no such payment"
            out.answer = r.error().describe();
        } else {
            out.error = r.error();
            out.answer = r.error().describe();
        }
        loop.quit();
    });
    QTimer::singleShot(timeoutMs + 2000, &loop, &QEventLoop::quit);
    if (!done)
        loop.exec();
    if (!done) {
        out.error = ChannelError::make(ChannelError::Kind::Timeout, QStringLiteral("TIMEOUT"),
                                       Cli::tr("No answer within %1 ms.").arg(timeoutMs));
        out.answer = out.error.describe();
    }
    return out;
}

/// For reading the non-secret part of the profiles without opening a keychain or asking for a
/// passphrase.
class NoSecrets final : public SecretStore
{
public:
    QString kind() const override { return QStringLiteral("none"); }
    QString location() const override { return QStringLiteral("none"); }
    Status write(const QString &, const QByteArray &) override { return refused(); }
    Result<QByteArray> read(const QString &) override { return refused(); }
    Status remove(const QString &) override { return refused(); }

private:
    static Error refused()
    {
        return Error{Error::Kind::Internal, QStringLiteral("secrets.none"), Cli::tr("No secret store is open here.")};
    }
};

} // namespace

Status Cli::loadStoredChannels()
{
    Services &s = *m_services;
    NoSecrets none;
    auto stubs = ChannelProfileStore(*s.db, none, s.audit, s.users, *s.clock).list();
    if (!stubs)
        return stubs.error();
    if (stubs->isEmpty())
        return {}; // nothing configured: no secret store needed
    auto secrets = openSecrets(*s.db);
    if (!secrets)
        return secrets.error();
    ChannelProfileStore store(*s.db, *secrets.value(), s.audit, s.users, *s.clock);
    const ChannelLoadReport report = addConfiguredChannels(store, s.channels, *s.clock);
    // A configured channel that cannot be built is a configuration error to fix, not something
    // to skip quietly (the verb would then fail later with a vaguer "no such channel").
    if (!report.errors.isEmpty())
        return report.errors.first();
    return {};
}

int Cli::cmdChannel(const QStringList &argv)
{
    if (argv.isEmpty())
        return usage(QString::fromLatin1(kChannelUsage));
    const QString sub = argv.first();
    const QStringList rest = argv.mid(1);
    Services &s = *m_services;

    // Configuring channels is an ADMIN's job, always: core checks the login against the
    // database again when it writes. Testing a channel only reads, so there the owner of the
    // SQLite file (who holds every key to it anyway) and a database without users yet may go
    // without a login; the audit names them.
    auto actor = [this, &s](bool adminOnly) -> Result<QString> {
        if (adminOnly && m_userLogin.isEmpty())
            return Error::forbidden(QStringLiteral("login.required"),
                                    tr("Configuring a payment channel needs an ADMIN login: --user LOGIN. The first "
                                       "administrator is made with: paydeskctl user add LOGIN --role ADMIN."));
        if (!adminOnly && m_userLogin.isEmpty()) {
            auto count = s.users.count();
            if (!count)
                return count.error();
            if (count.value() == 0)
                return QStringLiteral("setup");
            if (s.db->dialect() == Database::Dialect::SQLite) {
                const QFileInfo file(s.db->location().path);
                if (file.exists() && file.ownerId() == ::getuid())
                    return QStringLiteral("os:%1").arg(file.owner());
            }
        }
        auto user = loginUser();
        if (!user)
            return user.error();
        if (adminOnly && user->role != Role::Admin)
            return Error::forbidden(QStringLiteral("channel.admin_only"),
                                    tr("Only an ADMIN can configure payment channels; %1 is %2.").arg(user->login, toString(user->role)));
        return user->login;
    };

    if (sub == QStringLiteral("list")) {
        auto args = Args::parse(rest, {{}, {}});
        if (!args)
            return fail(args.error());
        // Listing needs no secrets.
        NoSecrets none;
        ChannelProfileStore store(*s.db, none, s.audit, s.users, *s.clock);
        auto profiles = store.list();
        if (!profiles)
            return fail(profiles.error());
        QJsonArray out;
        for (const ChannelProfile &p : std::as_const(profiles.value())) {
            out.append(p.toPublicJson());
            say(tr("%1  app %2  merchant %3  gateway %4").arg(toString(p.kind), -7).arg(p.appId, p.merchantId, p.gatewayUrl));
        }
        if (profiles->isEmpty())
            say(tr("No payment channels configured. Add one with: paydeskctl channel add wechat --profile FILE"));
        if (m_json)
            emitJson(out);
        return 0;
    }

    if (sub == QStringLiteral("add")) {
        auto args = Args::parse(rest, {{QStringLiteral("profile")}, {}});
        if (!args)
            return fail(args.error());
        if (args->positional.size() != 1 || !args->has(QStringLiteral("profile")))
            return usage(tr("Use: channel add wechat|alipay --profile FILE."));
        auto kind = realKind(args->positional.first());
        if (!kind)
            return fail(kind.error());
        auto who = actor(true);
        if (!who)
            return fail(who.error());
        auto profile = ChannelProfile::fromFile(args->value(QStringLiteral("profile")));
        if (!profile)
            return fail(profile.error());
        if (profile->kind != kind.value())
            return fail(Error::invalid(QStringLiteral("profile.kind_mismatch"),
                                       tr("The profile is for %1, not %2.").arg(toString(profile->kind), toString(kind.value()))));
        auto secrets = openSecrets(*s.db);
        if (!secrets)
            return fail(secrets.error());
        ChannelProfileStore store(*s.db, *secrets.value(), s.audit, s.users, *s.clock);
        const Status saved = store.save(profile.value(), who.value());
        crypto::wipe(profile.value().privateKeyPem);
        crypto::wipe(profile.value().apiV3Key);
        if (!saved)
            return fail(saved.error());
        QJsonObject out = profile->toPublicJson();
        out.insert(QStringLiteral("secret_store"), secrets.value()->kind());
        out.insert(QStringLiteral("secret_location"), secrets.value()->location());
        if (m_json)
            emitJson(out);
        else
            say(tr("Configured the %1 channel (app %2, gateway %3); its secrets are in %4.")
                    .arg(toString(kind.value()), profile->appId, profile->gatewayUrl, secrets.value()->location()));
        return 0;
    }

    if (sub == QStringLiteral("remove")) {
        auto args = Args::parse(rest, {{}, {}});
        if (!args)
            return fail(args.error());
        if (args->positional.size() != 1)
            return usage(tr("Use: channel remove wechat|alipay."));
        auto kind = realKind(args->positional.first());
        if (!kind)
            return fail(kind.error());
        auto who = actor(true);
        if (!who)
            return fail(who.error());
        auto secrets = openSecrets(*s.db);
        if (!secrets)
            return fail(secrets.error());
        ChannelProfileStore store(*s.db, *secrets.value(), s.audit, s.users, *s.clock);
        if (Status st = store.remove(kind.value(), who.value()); !st)
            return fail(st.error());
        if (m_json)
            emitJson(QJsonObject{{QStringLiteral("removed"), toString(kind.value())}});
        else
            say(tr("Removed the %1 channel and its secrets.").arg(toString(kind.value())));
        return 0;
    }

    if (sub == QStringLiteral("test")) {
        auto args = Args::parse(rest, {{QStringLiteral("timeout")}, {}});
        if (!args)
            return fail(args.error());
        if (args->positional.size() > 1)
            return usage(tr("Use: channel test [wechat|alipay] [--timeout MS]."));
        std::optional<ChannelKind> only;
        if (!args->positional.isEmpty()) {
            auto kind = realKind(args->positional.first());
            if (!kind)
                return fail(kind.error());
            only = kind.value();
        }
        bool ok = true;
        const int timeoutMs = args->value(QStringLiteral("timeout"), QStringLiteral("15000")).toInt(&ok);
        if (!ok || timeoutMs <= 0)
            return usage(tr("--timeout takes milliseconds."));
        auto who = actor(false);
        if (!who)
            return fail(who.error());
        auto secrets = openSecrets(*s.db);
        if (!secrets)
            return fail(secrets.error());
        ChannelProfileStore store(*s.db, *secrets.value(), s.audit, s.users, *s.clock);
        auto profiles = store.list();
        if (!profiles)
            return fail(profiles.error());
        QList<ChannelKind> kinds;
        for (const ChannelProfile &p : std::as_const(profiles.value())) {
            if (!only || p.kind == *only)
                kinds << p.kind;
        }
        if (kinds.isEmpty())
            return fail(Error::notFound(QStringLiteral("channel.not_configured"),
                                        only ? tr("No %1 channel is configured.").arg(toString(*only))
                                             : tr("No payment channels configured. Add one with: paydeskctl channel add "
                                                  "wechat --profile FILE")));
        QJsonArray results;
        std::optional<Error> firstFailure;
        for (ChannelKind kind : std::as_const(kinds)) {
            QJsonObject r{{QStringLiteral("channel"), toString(kind)}};
            auto profile = store.load(kind);
            if (!profile) {
                r.insert(QStringLiteral("ok"), false);
                r.insert(QStringLiteral("error"), toJson(profile.error()).value(QStringLiteral("error")));
                say(tr("%1: %2").arg(toString(kind), profile.error().message));
                if (!firstFailure)
                    firstFailure = profile.error();
                results.append(r);
                continue;
            }
            auto channel = makeChannel(profile.value(), *s.clock);
            crypto::wipe(profile.value().privateKeyPem);
            crypto::wipe(profile.value().apiV3Key);
            if (!channel) {
                r.insert(QStringLiteral("ok"), false);
                r.insert(QStringLiteral("error"), toJson(channel.error()).value(QStringLiteral("error")));
                say(tr("%1: %2").arg(toString(kind), channel.error().message));
                if (!firstFailure)
                    firstFailure = channel.error();
                results.append(r);
                continue;
            }
            if (auto *wechat = qobject_cast<WeChatPayChannel *>(channel.value().get()))
                wechat->setTransferTimeoutMs(timeoutMs);
            if (auto *alipay = qobject_cast<AlipayChannel *>(channel.value().get()))
                alipay->setTransferTimeoutMs(timeoutMs);
            const Probe p = probe(*channel.value(), timeoutMs);
            r.insert(QStringLiteral("ok"), p.ok);
            r.insert(QStringLiteral("gateway_url"), profile->gatewayUrl);
            r.insert(QStringLiteral("round_trip_ms"), p.ms);
            r.insert(QStringLiteral("answer"), p.answer);
            if (p.ok) {
                say(tr("%1: ok in %2 ms (signed request accepted, signed answer verified: %3)")
                        .arg(toString(kind)).arg(p.ms).arg(p.answer));
            } else {
                r.insert(QStringLiteral("retry_safe"), p.error.retrySafe);
                say(tr("%1: FAILED: %2").arg(toString(kind), p.answer));
                if (!firstFailure)
                    firstFailure = Error{Error::Kind::Channel, QStringLiteral("channel.test_failed"),
                                         tr("The %1 channel test failed: %2").arg(toString(kind), p.answer)};
            }
            results.append(r);
        }
        if (m_json)
            emitJson(results);
        if (firstFailure) {
            m_err << "paydeskctl: " << firstFailure->message << " [" << firstFailure->code << "]\n";
            m_err.flush();
            return exitCodeFor(*firstFailure);
        }
        return 0;
    }

    return usage(QString::fromLatin1(kChannelUsage));
}
