#include "security/PasswordHasher.h"

#include <QRandomGenerator>
#include <QRegularExpression>

#include <argon2.h>

#include <array>
#include <vector>

namespace paydesk {

namespace {
constexpr quint32 kSaltBytes = 16;
constexpr quint32 kHashBytes = 32;
} // namespace

QString PasswordHasher::hash(const QString &password) const
{
    std::array<quint32, kSaltBytes / 4> salt{};
    QRandomGenerator::system()->fillRange(salt.data(), salt.size());
    const QByteArray pwd = password.toUtf8();
    const size_t encodedLen = argon2_encodedlen(m_params.iterations, m_params.memoryKiB, m_params.parallelism,
                                                kSaltBytes, kHashBytes, Argon2_id);
    std::vector<char> encoded(encodedLen);
    const int rc = argon2id_hash_encoded(m_params.iterations, m_params.memoryKiB, m_params.parallelism,
                                         pwd.constData(), size_t(pwd.size()), salt.data(), kSaltBytes, kHashBytes,
                                         encoded.data(), encoded.size());
    if (rc != ARGON2_OK)
        return {};
    return QString::fromLatin1(encoded.data());
}

bool PasswordHasher::verify(const QString &encoded, const QString &password)
{
    if (!encoded.startsWith(QStringLiteral("$argon2id$")))
        return false;
    const QByteArray enc = encoded.toLatin1();
    const QByteArray pwd = password.toUtf8();
    return argon2id_verify(enc.constData(), pwd.constData(), size_t(pwd.size())) == ARGON2_OK;
}

std::optional<PasswordHasher::Params> PasswordHasher::paramsOf(const QString &encoded)
{
    static const QRegularExpression re(QStringLiteral(R"(^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$)"));
    const auto m = re.match(encoded);
    if (!m.hasMatch())
        return std::nullopt;
    return Params{m.captured(1).toUInt(), m.captured(2).toUInt(), m.captured(3).toUInt()};
}

bool PasswordHasher::needsRehash(const QString &encoded) const
{
    const auto p = paramsOf(encoded);
    return !p || p->memoryKiB < m_params.memoryKiB || p->iterations < m_params.iterations
        || p->parallelism < m_params.parallelism;
}

} // namespace paydesk
