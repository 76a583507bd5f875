#pragma once

// Shared by the libFuzzer harnesses (tests/fuzz): Qt start-up, the committed test keys, a
// small input splitter and a loud failure for broken invariants.

#include <QByteArray>
#include <QList>
#include <QString>

#include <cstddef>
#include <cstdint>

namespace paydesk::fuzz {

/// A QCoreApplication for the whole run (tr(), QNetworkAccessManager and QTimer want one).
void initQt();

/// A file of tests/fuzz/keys (the committed test-only key set); aborts when it is missing.
QByteArray key(const char *fileName);

/// The one fixed "now" of every harness: 2026-01-01T00:00:00Z.
inline constexpr qint64 kNowMs = 1'767'225'600'000;

/// Reads a fuzz input front to back; running out is not an error (empty results).
class Input
{
public:
    Input(const uint8_t *data, size_t size) : m_data(reinterpret_cast<const char *>(data), qsizetype(size)) {}
    /// The next byte, 0 at the end.
    quint8 byte();
    /// Up to the next `separator` (consumed, not returned), or the rest.
    QByteArray until(char separator);
    QByteArray until(const QByteArray &separator);
    QByteArray rest();
    bool atEnd() const { return m_pos >= m_data.size(); }

private:
    QByteArray m_data;
    qsizetype m_pos = 0;
};

/// A broken invariant: says what and aborts, so libFuzzer keeps the input as a crash.
[[noreturn]] void fail(const char *what, const QString &details = {});

} // namespace paydesk::fuzz
