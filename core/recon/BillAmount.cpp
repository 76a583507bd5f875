#include "recon/BillAmount.h"

namespace paydesk::recon {

Result<qint64> BillAmount::toMinor(QStringView input, int digits)
{
    QStringView text = input.trimmed();
    if (text.startsWith(u'`'))
        text = text.mid(1).trimmed();
    const auto refuse = [&input](const QString &why) {
        return Error::invalid(QStringLiteral("bill.bad_amount"),
                              tr("\"%1\" is not a bill amount: %2").arg(input.toString(), why));
    };
    if (text.isEmpty())
        return refuse(tr("it is empty."));
    const bool negative = text.startsWith(u'-');
    if (negative)
        text = text.mid(1);
    const qsizetype dot = text.indexOf(u'.');
    const QStringView whole = dot < 0 ? text : text.left(dot);
    const QStringView frac = dot < 0 ? QStringView() : text.mid(dot + 1);
    if (whole.isEmpty() || (dot >= 0 && frac.isEmpty()))
        return refuse(tr("use digits with an optional decimal point, like 12.30."));
    for (QStringView part : {whole, frac}) {
        for (QChar c : part) {
            if (c < u'0' || c > u'9')
                return refuse(tr("use digits with an optional decimal point, like 12.30."));
        }
    }
    for (qsizetype i = digits; i < frac.size(); ++i) {
        if (frac[i] != u'0')
            return refuse(tr("it has a fraction of a minor unit (at most %1 decimal places).").arg(digits));
    }
    qsizetype first = 0;
    while (first < whole.size() - 1 && whole[first] == u'0')
        ++first;
    if (whole.size() - first > 15)
        return refuse(tr("it is too large."));
    qint64 minor = 0;
    for (QChar c : whole.mid(first))
        minor = minor * 10 + (c.unicode() - u'0');
    for (int i = 0; i < digits; ++i)
        minor = minor * 10 + (i < frac.size() ? frac[i].unicode() - u'0' : 0);
    return negative ? -minor : minor;
}

} // namespace paydesk::recon
