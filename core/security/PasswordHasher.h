#pragma once

#include <QString>
#include <QtGlobal>

#include <optional>

namespace paydesk {

/// Argon2id password hashing (libargon2) in the PHC string format, which carries its own
/// parameters: "$argon2id$v=19$m=19456,t=2,p=1$salt$hash".
class PasswordHasher
{
public:
    struct Params
    {
        quint32 memoryKiB = 19 * 1024; ///< OWASP Password Storage Cheat Sheet: m=19 MiB,
        quint32 iterations = 2;        ///< t=2,
        quint32 parallelism = 1;       ///< p=1 (the minimum it recommends for Argon2id)
        friend bool operator==(const Params &, const Params &) = default;
    };
    static Params owasp() { return Params{}; }

    explicit PasswordHasher(Params params = owasp()) : m_params(params) {}
    const Params &params() const { return m_params; }

    /// A fresh random salt every call. Empty on failure (out of memory).
    QString hash(const QString &password) const;
    /// Constant-time comparison inside libargon2.
    static bool verify(const QString &encoded, const QString &password);
    /// The parameters an encoded hash was made with, or nullopt if it is not Argon2id PHC.
    static std::optional<Params> paramsOf(const QString &encoded);
    /// True when the hash was made with weaker parameters than ours (or is unreadable):
    /// rehash it after the next successful login.
    bool needsRehash(const QString &encoded) const;

private:
    Params m_params;
};

} // namespace paydesk
