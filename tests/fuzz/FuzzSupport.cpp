#include "FuzzSupport.h"

#include <QCoreApplication>
#include <QFile>

#include <cstdio>
#include <cstdlib>

namespace paydesk::fuzz {

void initQt()
{
    static int argc = 1;
    static char name[] = "paydesk-fuzz";
    static char *argv[] = {name, nullptr};
    if (!QCoreApplication::instance())
        new QCoreApplication(argc, argv);
}

QByteArray key(const char *fileName)
{
    QFile f(QStringLiteral(PAYDESK_FUZZ_KEYS_DIR "/") + QString::fromLatin1(fileName));
    if (!f.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "fuzz: cannot read %s\n", qPrintable(f.fileName()));
        std::abort();
    }
    return f.readAll();
}

quint8 Input::byte()
{
    return m_pos < m_data.size() ? quint8(m_data[m_pos++]) : 0;
}

QByteArray Input::until(char separator)
{
    return until(QByteArray(1, separator));
}

QByteArray Input::until(const QByteArray &separator)
{
    if (atEnd())
        return {};
    const qsizetype at = m_data.indexOf(separator, m_pos);
    if (at < 0)
        return rest();
    const QByteArray out = m_data.mid(m_pos, at - m_pos);
    m_pos = at + separator.size();
    return out;
}

QByteArray Input::rest()
{
    const QByteArray out = m_data.mid(m_pos);
    m_pos = m_data.size();
    return out;
}

void fail(const char *what, const QString &details)
{
    std::fprintf(stderr, "fuzz: invariant broken: %s %s\n", what, qPrintable(details));
    std::fflush(stderr);
    std::abort();
}

} // namespace paydesk::fuzz
