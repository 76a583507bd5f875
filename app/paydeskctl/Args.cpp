#include "Args.h"

using paydesk::Error;

paydesk::Result<Args> Args::parse(const QStringList &argv, const Spec &spec)
{
    Args a;
    for (qsizetype i = 0; i < argv.size(); ++i) {
        const QString &arg = argv[i];
        if (!arg.startsWith(QStringLiteral("--")) || arg == QStringLiteral("--")) {
            a.positional << arg;
            continue;
        }
        QString name = arg.mid(2);
        QString value;
        bool inlineValue = false;
        if (const qsizetype eq = name.indexOf(u'='); eq >= 0) {
            value = name.mid(eq + 1);
            name = name.left(eq);
            inlineValue = true;
        }
        if (spec.valued.contains(name)) {
            if (!inlineValue) {
                if (i + 1 >= argv.size())
                    return Error::invalid(QStringLiteral("usage"), tr("--%1 needs a value.").arg(name));
                value = argv[++i];
            }
            a.m_values.insert(name, value);
        } else if (spec.flags.contains(name) && !inlineValue) {
            a.m_flags.insert(name);
        } else {
            return Error::invalid(QStringLiteral("usage"), tr("Unknown option --%1.").arg(name));
        }
    }
    return a;
}
