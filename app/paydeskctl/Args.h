#pragma once

#include "util/Result.h"

#include <QCoreApplication>
#include <QHash>
#include <QSet>
#include <QStringList>

/// A small, strict argument reader: "--name value", "--name=value" and flags. Values may
/// start with '-' ("--amount -1" is the amount "-1", refused later by the money rules, not
/// mistaken for an option). Unknown options are errors.
class Args
{
    Q_DECLARE_TR_FUNCTIONS(Args)
public:
    struct Spec
    {
        QStringList valued; ///< options that take a value
        QStringList flags;  ///< options that do not
    };
    static paydesk::Result<Args> parse(const QStringList &argv, const Spec &spec);

    QStringList positional;
    bool has(const QString &name) const { return m_values.contains(name) || m_flags.contains(name); }
    QString value(const QString &name, const QString &fallback = {}) const { return m_values.value(name, fallback); }
    bool flag(const QString &name) const { return m_flags.contains(name); }

private:
    QHash<QString, QString> m_values;
    QSet<QString> m_flags;
};
