#include "channels/ChannelProfileStore.h"

#include "channels/AlipayChannel.h"
#include "channels/AuditingChannel.h"
#include "channels/ChannelRegistry.h"
#include "channels/SecretStore.h"
#include "channels/WeChatPayChannel.h"
#include "storage/AuditLog.h"
#include "storage/Database.h"
#include "storage/UserDirectory.h"
#include "util/Clock.h"

#include <QCryptographicHash>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QUuid>

#include <optional>

namespace paydesk {

namespace {
QString privateKeyRef(const QString &ref) { return ref + QStringLiteral("/private_key"); }
QString apiV3KeyRef(const QString &ref) { return ref + QStringLiteral("/api_v3_key"); }
QString sealRef(const QString &ref) { return ref + QStringLiteral("/seal"); }

QJsonArray certificateArray(const QList<QByteArray> &certs)
{
    QJsonArray out;
    for (const QByteArray &c : certs)
        out.append(QString::fromUtf8(c));
    return out;
}

/// SHA-256 (hex) over every non-secret field of a profile as the row holds it, and the sandbox
/// flag, in one canonical form (a QJsonObject's keys are sorted).
QByteArray sealDigest(const ChannelProfile &p)
{
    const QJsonObject o{{QStringLiteral("kind"), toString(p.kind)},
                        {QStringLiteral("name"), p.name},
                        {QStringLiteral("merchant_id"), p.merchantId},
                        {QStringLiteral("app_id"), p.appId},
                        {QStringLiteral("merchant_serial"), p.merchantSerial},
                        {QStringLiteral("platform_public_key_id"), p.platformPublicKeyId},
                        {QStringLiteral("platform_public_key"), QString::fromUtf8(p.platformPublicKeyPem)},
                        {QStringLiteral("platform_certificates"), certificateArray(p.platformCertificates)},
                        {QStringLiteral("gateway_url"), p.gatewayUrl},
                        {QStringLiteral("notify_url"), p.notifyUrl},
                        {QStringLiteral("secret_ref"), p.secretRef},
                        {QStringLiteral("sandbox"), p.sandbox}};
    return QCryptographicHash::hash(QJsonDocument(o).toJson(QJsonDocument::Compact), QCryptographicHash::Sha256).toHex();
}

QByteArray sealFor(const ChannelProfile &p)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("v"), 1},
                                     {QStringLiteral("sandbox"), p.sandbox},
                                     {QStringLiteral("sha256"), QString::fromLatin1(sealDigest(p))}})
        .toJson(QJsonDocument::Compact);
}

ChannelProfile fromRow(const QSqlQuery &q)
{
    ChannelProfile p;
    p.kind = fromString<ChannelKind>(q.value(0).toString()).value_or(ChannelKind::WeChat);
    p.name = q.value(1).toString();
    p.merchantId = q.value(2).toString();
    p.appId = q.value(3).toString();
    p.merchantSerial = q.value(4).toString();
    p.platformPublicKeyId = q.value(5).toString();
    p.platformPublicKeyPem = q.value(6).toString().toUtf8();
    const QJsonArray certs = QJsonDocument::fromJson(q.value(7).toString().toUtf8()).array();
    for (const QJsonValue &c : certs)
        p.platformCertificates << c.toString().toUtf8();
    p.gatewayUrl = q.value(8).toString();
    p.notifyUrl = q.value(9).toString();
    p.secretRef = q.value(10).toString();
    return p;
}

const char kColumns[] = "kind, name, merchant_id, app_id, merchant_serial, platform_public_key_id, platform_public_key, "
                        "platform_certificates, gateway_url, notify_url, secret_ref, secret_store";
} // namespace

ChannelProfileStore::ChannelProfileStore(Database &db, SecretStore &secrets, AuditLog &audit, UserDirectory &users,
                                         const Clock &clock)
    : m_db(db), m_secrets(secrets), m_audit(audit), m_users(users), m_clock(clock)
{
}

Status ChannelProfileStore::requireAdmin(const QString &actor, const QString &object, const QJsonObject &details)
{
    auto who = m_users.find(actor);
    if (who && who->active && who->role == Role::Admin)
        return {};
    QJsonObject d = details;
    d.insert(QStringLiteral("code"), QStringLiteral("profile.admin_required"));
    m_audit.recordRefusal(actor, QStringLiteral("channel.profile_refused"), object, d);
    return Error::forbidden(QStringLiteral("profile.admin_required"),
                            tr("Only an active administrator can change payment channel profiles; \"%1\" is not one.").arg(actor));
}

Error ChannelProfileStore::distrust(ChannelKind kind, Error e)
{
    m_audit.recordRefusal(QStringLiteral("system"), QStringLiteral("channel.profile_distrusted"),
                          QStringLiteral("channel:") + toString(kind),
                          QJsonObject{{QStringLiteral("code"), e.code}, {QStringLiteral("reason"), e.message}});
    return e;
}

QString ChannelProfileStore::defaultSecretFile(const Database &db)
{
    if (db.dialect() == Database::Dialect::SQLite)
        return db.location().path + QStringLiteral(".secrets");
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath(QStringLiteral("paydesk.secrets"));
}

Status ChannelProfileStore::save(const ChannelProfile &input, const QString &actor)
{
    const QString object = QStringLiteral("channel:") + toString(input.kind);
    const QJsonObject attempted{{QStringLiteral("gateway_url"), input.gatewayUrl}};
    // Who first (before any secret is written), and again inside the write below.
    if (Status s = requireAdmin(actor, object, attempted); !s)
        return s;
    if (Status s = input.validate(); !s)
        return s;
    ChannelProfile p = input;
    // A fresh reference each time: the old secrets stay valid until the new row commits.
    p.secretRef = QStringLiteral("paydesk/%1/%2").arg(toString(p.kind), QUuid::createUuid().toString(QUuid::WithoutBraces));
    auto forgetNew = [this, &p] {
        (void)m_secrets.remove(privateKeyRef(p.secretRef));
        (void)m_secrets.remove(apiV3KeyRef(p.secretRef));
        (void)m_secrets.remove(sealRef(p.secretRef));
    };
    if (Status s = m_secrets.write(privateKeyRef(p.secretRef), p.privateKeyPem); !s)
        return s;
    if (p.kind == ChannelKind::WeChat) {
        if (Status s = m_secrets.write(apiV3KeyRef(p.secretRef), p.apiV3Key); !s)
            return s;
    }
    if (Status s = m_secrets.write(sealRef(p.secretRef), sealFor(p)); !s)
        return s;
    QString oldRef;
    {
        Transaction tx(m_db);
        if (!tx.begun())
            return tx.begun();
        if (auto who = m_users.find(actor); !who || !who->active || who->role != Role::Admin) {
            tx.rollback();
            forgetNew();
            return requireAdmin(actor, object, attempted);
        }
        auto old = Sql::exec(tx.connection(),
                             QStringLiteral("SELECT %1 FROM channel_profiles WHERE kind = :k").arg(QLatin1String(kColumns)),
                             {{":k", toString(p.kind)}});
        if (!old)
            return old.error();
        std::optional<ChannelProfile> before;
        if (old.value().next()) {
            before = fromRow(old.value());
            oldRef = before->secretRef;
            // For the fingerprint only; a lost old key just leaves it out.
            if (auto oldKey = m_secrets.read(privateKeyRef(oldRef))) {
                before->privateKeyPem = oldKey.value();
                crypto::wipe(oldKey.value());
            }
        }
        if (auto del = Sql::exec(tx.connection(), QStringLiteral("DELETE FROM channel_profiles WHERE kind = :k"),
                                 {{":k", toString(p.kind)}});
            !del)
            return del.error();
        const qint64 now = m_clock.nowMs();
        auto ins = Sql::exec(
            tx.connection(),
            QStringLiteral("INSERT INTO channel_profiles (%1, created_at, updated_at, updated_by) VALUES (:kind, :name, "
                           ":mchid, :appid, :serial, :pkid, :pk, :certs, :gw, :notify, :ref, :store, :now, :now2, :by)")
                .arg(QLatin1String(kColumns)),
            {{":kind", toString(p.kind)},
             {":name", p.name},
             {":mchid", p.merchantId},
             {":appid", p.appId},
             {":serial", p.merchantSerial},
             {":pkid", p.platformPublicKeyId},
             {":pk", QString::fromUtf8(p.platformPublicKeyPem)},
             {":certs", QString::fromUtf8(QJsonDocument(certificateArray(p.platformCertificates)).toJson(QJsonDocument::Compact))},
             {":gw", p.gatewayUrl},
             {":notify", p.notifyUrl},
             {":ref", p.secretRef},
             {":store", m_secrets.kind()},
             {":now", now},
             {":now2", now},
             {":by", actor}});
        if (!ins)
            return ins.error();
        QJsonObject details = p.toPublicJson();
        details.insert(QStringLiteral("secret_store"), m_secrets.kind());
        details.insert(QStringLiteral("gateway_url"),
                       QJsonObject{{QStringLiteral("before"), before ? QJsonValue(before->gatewayUrl) : QJsonValue()},
                                   {QStringLiteral("after"), p.gatewayUrl}});
        details.insert(QStringLiteral("fingerprints"),
                       QJsonObject{{QStringLiteral("before"), before ? QJsonValue(before->fingerprints()) : QJsonValue()},
                                   {QStringLiteral("after"), p.fingerprints()}});
        if (before)
            crypto::wipe(before->privateKeyPem);
        if (Status s = m_audit.append(tx, actor, QStringLiteral("channel.profile_change"), object, details); !s)
            return s;
        if (Status s = tx.commit(); !s)
            return s;
    }
    if (!oldRef.isEmpty()) {
        // Best effort: a leftover secret is harmless, a missing one would not be.
        (void)m_secrets.remove(privateKeyRef(oldRef));
        (void)m_secrets.remove(apiV3KeyRef(oldRef));
        (void)m_secrets.remove(sealRef(oldRef));
    }
    return {};
}

Result<QList<ChannelProfile>> ChannelProfileStore::list()
{
    auto q = Sql::exec(m_db.connection(),
                       QStringLiteral("SELECT %1 FROM channel_profiles ORDER BY kind").arg(QLatin1String(kColumns)));
    if (!q)
        return q.error();
    QList<ChannelProfile> out;
    while (q.value().next())
        out << fromRow(q.value());
    return out;
}

Result<ChannelProfile> ChannelProfileStore::load(ChannelKind kind)
{
    auto q = Sql::exec(m_db.connection(),
                       QStringLiteral("SELECT %1 FROM channel_profiles WHERE kind = :k").arg(QLatin1String(kColumns)),
                       {{":k", toString(kind)}});
    if (!q)
        return q.error();
    if (!q.value().next())
        return Error::notFound(QStringLiteral("channel.not_configured"),
                               tr("No %1 channel is configured: add one with paydeskctl channel add %1 --profile FILE.")
                                   .arg(toString(kind)));
    ChannelProfile p = fromRow(q.value());
    const QString store = q.value().value(11).toString();
    if (store != m_secrets.kind())
        return Error::invalid(QStringLiteral("secrets.other_store"),
                              tr("The secrets of the %1 profile are in the %2 store, but this run uses the %3 store (%4). "
                                 "Run with the same secret store, or add the profile again.")
                                  .arg(toString(kind), store, m_secrets.kind(), m_secrets.location()));
    auto key = m_secrets.read(privateKeyRef(p.secretRef));
    if (!key)
        return key.error();
    // The row is only what a database writer says; the seal, in the secret store, is what an
    // ADMIN saved. Nothing in the row is used until the two agree.
    auto seal = m_secrets.read(sealRef(p.secretRef));
    if (!seal) {
        crypto::wipe(key.value());
        if (seal.error().kind != Error::Kind::NotFound)
            return seal.error();
        return distrust(kind, Error::invalid(QStringLiteral("profile.unsealed"),
                                             tr("The %1 profile has no seal in the secret store (it was stored by an older "
                                                "PayDesk, or written past PayDesk), so it is not used. An ADMIN must add it "
                                                "again: paydeskctl channel add %1 --profile FILE.")
                                                 .arg(toString(kind))));
    }
    const QJsonObject sealed = QJsonDocument::fromJson(seal.value()).object();
    p.sandbox = sealed.value(QStringLiteral("sandbox")).toBool(false);
    if (Status g = checkGatewayUrl(p.gatewayUrl, p.sandbox); !g) {
        crypto::wipe(key.value());
        return distrust(kind, g.error());
    }
    if (sealed.value(QStringLiteral("sha256")).toString().toLatin1() != sealDigest(p)) {
        crypto::wipe(key.value());
        return distrust(kind, Error::invalid(QStringLiteral("profile.tampered"),
                                             tr("The stored %1 profile does not match the one an ADMIN saved: its gateway, "
                                                "ids or platform keys were changed past PayDesk. It is not used; an ADMIN "
                                                "must add it again.")
                                                 .arg(toString(kind))));
    }
    p.privateKeyPem = key.value();
    crypto::wipe(key.value());
    if (kind == ChannelKind::WeChat) {
        auto v3 = m_secrets.read(apiV3KeyRef(p.secretRef));
        if (!v3)
            return v3.error();
        p.apiV3Key = v3.value();
        crypto::wipe(v3.value());
    }
    return p;
}

Status ChannelProfileStore::remove(ChannelKind kind, const QString &actor)
{
    const QString object = QStringLiteral("channel:") + toString(kind);
    QString ref;
    {
        Transaction tx(m_db);
        if (!tx.begun())
            return tx.begun();
        if (auto who = m_users.find(actor); !who || !who->active || who->role != Role::Admin) {
            tx.rollback();
            return requireAdmin(actor, object, QJsonObject{{QStringLiteral("remove"), true}});
        }
        auto old = Sql::exec(tx.connection(), QStringLiteral("SELECT secret_ref FROM channel_profiles WHERE kind = :k"),
                             {{":k", toString(kind)}});
        if (!old)
            return old.error();
        if (!old.value().next())
            return Error::notFound(QStringLiteral("channel.not_configured"), tr("No %1 channel is configured.").arg(toString(kind)));
        ref = old.value().value(0).toString();
        if (auto del = Sql::exec(tx.connection(), QStringLiteral("DELETE FROM channel_profiles WHERE kind = :k"),
                                 {{":k", toString(kind)}});
            !del)
            return del.error();
        if (Status s = m_audit.append(tx, actor, QStringLiteral("channel.remove"), object);
            !s)
            return s;
        if (Status s = tx.commit(); !s)
            return s;
    }
    (void)m_secrets.remove(privateKeyRef(ref));
    (void)m_secrets.remove(apiV3KeyRef(ref));
    (void)m_secrets.remove(sealRef(ref));
    return {};
}

Result<std::unique_ptr<PaymentChannel>> makeChannel(const ChannelProfile &profile, const Clock &clock)
{
    if (profile.kind == ChannelKind::WeChat) {
        auto ch = WeChatPayChannel::create(profile, clock);
        if (!ch)
            return ch.error();
        return std::unique_ptr<PaymentChannel>(std::move(ch.value()));
    }
    if (profile.kind == ChannelKind::Alipay) {
        auto ch = AlipayChannel::create(profile, clock);
        if (!ch)
            return ch.error();
        return std::unique_ptr<PaymentChannel>(std::move(ch.value()));
    }
    return Error::invalid(QStringLiteral("profile.bad_channel"),
                          ChannelProfileStore::tr("The simulated channel has no profile."));
}

ChannelLoadReport addConfiguredChannels(ChannelProfileStore &store, ChannelRegistry &registry, const Clock &clock)
{
    ChannelLoadReport report;
    auto profiles = store.list();
    if (!profiles) {
        report.errors << profiles.error();
        return report;
    }
    for (const ChannelProfile &stub : std::as_const(profiles.value())) {
        auto full = store.load(stub.kind);
        if (!full) {
            report.errors << full.error();
            continue;
        }
        auto channel = makeChannel(full.value(), clock);
        crypto::wipe(full.value().privateKeyPem);
        crypto::wipe(full.value().apiV3Key);
        if (!channel) {
            Error e = channel.error();
            e.message = ChannelProfileStore::tr("%1 channel: %2").arg(toString(stub.kind), e.message);
            report.errors << e;
            continue;
        }
        registry.add(std::make_unique<AuditingChannel>(std::move(channel.value()), store.audit()));
        report.added << stub.kind;
    }
    return report;
}

} // namespace paydesk
