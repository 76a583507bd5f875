#include "util/Duration.h"

namespace paydesk {

Result<qint64> Duration::parseMs(QStringView input)
{
    const QStringView text = input.trimmed();
    qsizetype i = 0;
    while (i < text.size() && text[i].isDigit() && text[i].unicode() < 128)
        ++i;
    const QStringView number = text.left(i);
    const QStringView unit = text.mid(i).trimmed();
    bool ok = !number.isEmpty() && number.size() <= 9;
    const qint64 n = ok ? number.toLongLong(&ok) : 0;
    qint64 factor = 0;
    if (unit.isEmpty() || unit == u"s")
        factor = 1000;
    else if (unit == u"ms")
        factor = 1;
    else if (unit == u"m" || unit == u"min")
        factor = 60'000;
    else if (unit == u"h")
        factor = 3'600'000;
    else if (unit == u"d")
        factor = 86'400'000;
    if (!ok || factor == 0)
        return Error::invalid(QStringLiteral("duration.bad"),
                              tr("\"%1\" is not a duration: use a whole number with ms, s, m, h or d, like 30m.").arg(text.toString()));
    return n * factor;
}

QString Duration::countdown(qint64 ms)
{
    const bool negative = ms < 0;
    qint64 s = (negative ? -ms : ms) / 1000;
    QString out;
    if (s >= 86'400)
        out = tr("%1d %2h").arg(s / 86'400).arg((s % 86'400) / 3600);
    else if (s >= 3600)
        out = QStringLiteral("%1:%2:%3").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QChar(u'0')).arg(s % 60, 2, 10, QChar(u'0'));
    else
        out = QStringLiteral("%1:%2").arg(s / 60, 2, 10, QChar(u'0')).arg(s % 60, 2, 10, QChar(u'0'));
    return negative ? u'-' + out : out;
}

QString Duration::human(qint64 ms)
{
    const qint64 s = qMax<qint64>(0, ms) / 1000;
    if (s < 60)
        return tr("%n s", nullptr, int(s));
    if (s < 3600)
        return tr("%1 min %2 s").arg(s / 60).arg(s % 60);
    return tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

} // namespace paydesk
