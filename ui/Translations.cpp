#include "Translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QSettings>
#include <QTranslator>

namespace paydesk::ui {

QString Translations::preferredLanguage()
{
    return QSettings().value(QStringLiteral("ui/language")).toString();
}

void Translations::setPreferredLanguage(const QString &language)
{
    QSettings().setValue(QStringLiteral("ui/language"), language);
}

QString Translations::install(QCoreApplication &app, const QString &requested)
{
    QString language = requested.isEmpty() ? preferredLanguage() : requested;
    QLocale locale = language.isEmpty() ? QLocale::system() : QLocale(language);
    // Only Chinese has a translation; every other locale gets the English source texts.
    const bool chinese = locale.language() == QLocale::Chinese;
    if (!chinese) {
        QLocale::setDefault(language.isEmpty() ? QLocale::system() : QLocale(QLocale::English, QLocale::UnitedStates));
        // The English catalogue holds the plural forms ("1 order", "2 orders") of %n texts.
        auto *english = new QTranslator(&app);
        if (english->load(QStringLiteral(":/i18n/paydesk_en.qm")))
            QCoreApplication::installTranslator(english);
        return QStringLiteral("en");
    }
    locale = QLocale(QLocale::Chinese, QLocale::SimplifiedChineseScript, QLocale::China);
    QLocale::setDefault(locale);
    auto *ours = new QTranslator(&app);
    if (ours->load(QStringLiteral(":/i18n/paydesk_zh_CN.qm")))
        QCoreApplication::installTranslator(ours);
    auto *qt = new QTranslator(&app);
    if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"), QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    return QStringLiteral("zh_CN");
}

} // namespace paydesk::ui
