#pragma once

// What both benchmarks read about their own process: CPU time and /proc/self/status figures.

#include <QByteArray>
#include <QFile>
#include <QString>

#include <ctime>

namespace bench {

/// CPU time of the whole process so far, in milliseconds.
inline double cpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1000.0 + double(ts.tv_nsec) / 1e6;
}

/// A "kB" line of /proc/self/status ("VmRSS:", "VmHWM:"), -1 if it cannot be read.
inline qint64 procStatusKb(const char *key)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray k(key);
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(k))
            return line.mid(k.size()).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

} // namespace bench
