#pragma once

#include <QString>
#include <QStringList>

/// The command line of `paydesk`.
struct AppOptions
{
    bool demo = false;
    QString demoDir;        ///< empty: a temporary directory
    int demoOrders = 2000;
    int demoIntervalMs = 6000;
    double timeScale = 1.0;
    QString dbUrl;          ///< empty: the default (or the demo's)
    QString language;       ///< "", "en", "zh_CN"
    QString login;          ///< sign in as this user; password from PAYDESK_PASSWORD
    QString page;           ///< orders, review, anomalies, finance, audit, settings
    QString select;         ///< select this order on the Orders page ("first-pending": the newest pending one)
    QString open;           ///< open a dialog at start: repay (code issued), new-order, shortcuts
    QString screenshot;     ///< grab the window to this PNG and quit
    int screenshotAfterMs = 2500;
    QString error;          ///< set when the command line is wrong

    static AppOptions parse(const QStringList &arguments);
};
