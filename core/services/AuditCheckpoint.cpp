#include "services/AuditCheckpoint.h"

#include "channels/SecretStore.h"
#include "crypto/Crypto.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QRegularExpression>

namespace paydesk {

QByteArray AuditCheckpoint::signedText() const
{
    return QByteArray(kFormat) + '\n' + QByteArray::number(seq) + '\n' + hash.toLatin1() + '\n' + QByteArray::number(madeAt);
}

QString AuditCheckpoint::keyIdOf(const QByteArray &key)
{
    // A hash of the key under its own label: names it without helping anyone guess it (32 random bytes).
    return QString::fromLatin1(QCryptographicHash::hash(QByteArray("paydesk-audit-key-id\n").append(key), QCryptographicHash::Sha256).toHex().left(16));
}

QString AuditCheckpoint::macOf(const QByteArray &key, const QByteArray &text)
{
    return QString::fromLatin1(QMessageAuthenticationCode::hash(text, key, QCryptographicHash::Sha256).toHex());
}

QJsonObject AuditCheckpoint::toJson() const
{
    return QJsonObject{{QStringLiteral("format"), QLatin1String(kFormat)},
                       {QStringLiteral("seq"), seq},
                       {QStringLiteral("hash"), hash},
                       {QStringLiteral("made_at"), madeAt},
                       {QStringLiteral("database"), database},
                       {QStringLiteral("key_id"), keyId},
                       {QStringLiteral("mac"), mac}};
}

Result<AuditCheckpoint> AuditCheckpoint::fromJson(const QByteArray &json)
{
    auto bad = [](const QString &why) {
        return Error::invalid(QStringLiteral("checkpoint.malformed"), tr("This is not an audit checkpoint file: %1.").arg(why));
    };
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject())
        return bad(tr("not a JSON object"));
    const QJsonObject o = doc.object();
    if (o.value(QStringLiteral("format")).toString() != QLatin1String(kFormat))
        return bad(tr("format is not %1").arg(QLatin1String(kFormat)));
    static const QRegularExpression hex64(QStringLiteral("^[0-9a-f]{64}$"));
    static const QRegularExpression hex16(QStringLiteral("^[0-9a-f]{16}$"));
    AuditCheckpoint c;
    const QJsonValue seq = o.value(QStringLiteral("seq"));
    const QJsonValue at = o.value(QStringLiteral("made_at"));
    if (!seq.isDouble() || seq.toInteger(-1) < 0 || double(seq.toInteger()) != seq.toDouble())
        return bad(tr("seq is not an entry number"));
    if (!at.isDouble() || at.toInteger(-1) < 0)
        return bad(tr("made_at is not a time"));
    c.seq = seq.toInteger();
    c.madeAt = at.toInteger();
    c.hash = o.value(QStringLiteral("hash")).toString();
    c.database = o.value(QStringLiteral("database")).toString();
    c.keyId = o.value(QStringLiteral("key_id")).toString();
    c.mac = o.value(QStringLiteral("mac")).toString();
    if (!(c.seq == 0 ? c.hash.isEmpty() : hex64.match(c.hash).hasMatch()))
        return bad(tr("hash is not a SHA-256 hex digest"));
    if (!hex16.match(c.keyId).hasMatch() || !hex64.match(c.mac).hasMatch())
        return bad(tr("key_id or mac is missing"));
    return c;
}

Result<QByteArray> AuditCheckpoint::key(SecretStore &secrets, bool create)
{
    auto k = secrets.read(QLatin1String(kKeyName));
    if (k && k->size() == 32)
        return k;
    if (k)
        return Error::invalid(QStringLiteral("checkpoint.bad_key"),
                              tr("The audit checkpoint key in %1 is not 32 bytes; it was not written by PayDesk.").arg(secrets.location()));
    if (k.error().kind != Error::Kind::NotFound)
        return k.error();
    if (!create)
        return Error::notFound(QStringLiteral("checkpoint.no_key"),
                               tr("There is no audit checkpoint key in %1: checkpoints are verified on the machine (or with the "
                                  "secret file) that made them.").arg(secrets.location()));
    QByteArray fresh = crypto::randomBytes(32);
    if (Status s = secrets.write(QLatin1String(kKeyName), fresh); !s)
        return s.error();
    return fresh;
}

Result<AuditCheckpoint> AuditCheckpoint::make(AuditLog &audit, const QByteArray &key, qint64 nowMs, const QString &database)
{
    // Only a chain that verifies is vouched for: a checkpoint must never bless a rewrite.
    auto v = audit.verify();
    if (!v)
        return v.error();
    if (!v->intact)
        return Error::conflict(QStringLiteral("audit.broken"),
                               tr("The audit chain is broken at entry %1 (%2); no checkpoint is made over it.")
                                   .arg(v->firstBrokenSeq).arg(v->problem));
    auto head = audit.head();
    if (!head)
        return head.error();
    AuditCheckpoint c;
    c.seq = head->first;
    c.hash = head->second;
    c.madeAt = nowMs;
    c.database = database;
    c.keyId = keyIdOf(key);
    c.mac = macOf(key, c.signedText());
    return c;
}

Result<AuditCheckpoint::Check> AuditCheckpoint::verify(AuditLog &audit, const AuditCheckpoint &cp, const QByteArray &key)
{
    if (cp.keyId != keyIdOf(key))
        return Error::forbidden(QStringLiteral("checkpoint.other_key"),
                                tr("The checkpoint was signed with another key (%1, this machine has %2).").arg(cp.keyId, keyIdOf(key)));
    // Constant-time comparison: the MAC is the secret-derived part.
    const QByteArray want = macOf(key, cp.signedText()).toLatin1();
    const QByteArray have = cp.mac.toLatin1();
    unsigned char diff = want.size() == have.size() ? 0 : 1;
    for (qsizetype i = 0; i < qMin(want.size(), have.size()); ++i)
        diff |= static_cast<unsigned char>(want[i] ^ have[i]);
    if (diff != 0)
        return Error::forbidden(QStringLiteral("checkpoint.forged"),
                                tr("The checkpoint's signature does not match its contents: the file was edited."));
    auto v = audit.verify();
    if (!v)
        return v.error();
    Check out;
    out.checked = v->checked;
    if (!v->intact) {
        out.firstBrokenSeq = v->firstBrokenSeq;
        out.problem = v->problem;
        return out;
    }
    if (v->checked < cp.seq) {
        out.firstBrokenSeq = v->checked + 1;
        out.problem = tr("the log ends at entry %1 but the checkpoint of %2 vouches for %3 entries (entries were removed "
                         "and the chain rebuilt)").arg(v->checked).arg(QDateTime::fromMSecsSinceEpoch(cp.madeAt, Qt::UTC).toString(Qt::ISODate)).arg(cp.seq);
        return out;
    }
    if (cp.seq > 0) {
        auto at = audit.hashAt(cp.seq);
        if (!at)
            return at.error();
        if (!at.value() || *at.value() != cp.hash) {
            out.firstBrokenSeq = cp.seq;
            out.problem = tr("entry %1 is not the entry the checkpoint vouches for: entries up to it were rewritten and "
                             "their hashes recomputed").arg(cp.seq);
            return out;
        }
    }
    out.intact = true;
    return out;
}

} // namespace paydesk
