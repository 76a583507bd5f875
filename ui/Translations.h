#pragma once

#include <QStringList>

class QCoreApplication;

namespace paydesk::ui {

/// English and Simplified Chinese through Qt Linguist: paydesk_<lang>.qm (GUI and core
/// strings, built from resources/translations/*.ts) plus Qt's own qtbase_<lang>.qm.
class Translations final
{
public:
    /// The saved choice ("" = follow the system, "en", "zh_CN").
    static QString preferredLanguage();
    static void setPreferredLanguage(const QString &language);
    /// Installs translators for `language`, or for the saved choice, or for the system
    /// locale. Returns the language in use ("en" when nothing matched).
    static QString install(QCoreApplication &app, const QString &language = {});
    static QStringList available() { return {QStringLiteral("en"), QStringLiteral("zh_CN")}; }
};

} // namespace paydesk::ui
