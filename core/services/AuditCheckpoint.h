#pragma once

#include "storage/AuditLog.h"
#include "util/Result.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QJsonObject>
#include <QString>

namespace paydesk {

class SecretStore;

/// An anchor for the audit chain that a database writer cannot forge (issue 13 item 6).
///
/// The chain's hashes are unkeyed: whoever can write the database can rewrite rows, recompute
/// every hash and the head, and verify() says intact. A checkpoint is the head (entry number
/// and hash) at a moment, signed with HMAC-SHA256 under a key that lives in the secret store
/// (OS keychain or the encrypted secret file), never in the database. Kept outside the
/// database (a file finance archives, a mail), it proves later that entries 1..seq are still
/// the ones that were there: a rewrite up to seq changes the hash at seq, removals shorten the
/// log below it, and an edited checkpoint fails its MAC.
struct AuditCheckpoint
{
    Q_DECLARE_TR_FUNCTIONS(AuditCheckpoint)
public:
    static constexpr const char *kFormat = "paydesk-audit-checkpoint/1";
    /// The secret store entry holding the 32-byte key (made on the first checkpoint).
    static constexpr const char *kKeyName = "audit.checkpoint_key";

    qint64 seq = 0;
    QString hash;
    qint64 madeAt = 0;
    QString database; ///< where it was made, for people (not signed: books move)
    QString keyId;    ///< names the key (a hash of it), so "another key" is told apart from "edited"
    QString mac;

    QJsonObject toJson() const;
    /// Refuses anything that is not a well-formed checkpoint (checkpoint.malformed).
    static Result<AuditCheckpoint> fromJson(const QByteArray &json);

    /// The key from the store; with `create`, a new random one is written when there is none.
    static Result<QByteArray> key(SecretStore &secrets, bool create);

    /// The log's head now, signed with `key`.
    static Result<AuditCheckpoint> make(AuditLog &audit, const QByteArray &key, qint64 nowMs, const QString &database);

    struct Check
    {
        bool intact = false;
        qint64 checked = 0;        ///< entries whose hashes were recomputed
        qint64 firstBrokenSeq = 0; ///< the first entry known to be wrong (0 when intact)
        QString problem;
    };
    /// Verifies the checkpoint's signature (errors: checkpoint.other_key, checkpoint.forged),
    /// then the chain, then that entry `seq` is still the one the checkpoint vouches for.
    static Result<Check> verify(AuditLog &audit, const AuditCheckpoint &checkpoint, const QByteArray &key);

private:
    QByteArray signedText() const;
    static QString keyIdOf(const QByteArray &key);
    static QString macOf(const QByteArray &key, const QByteArray &text);
};

} // namespace paydesk
