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
    QString page;           ///< one of pageNames()
    QString select;         ///< select this order on the Orders page ("first-pending": the newest pending one)
    QString open;           ///< open a dialog at start: repay (code issued), new-order, reconcile, shortcuts
    QString screenshot;     ///< grab the window to this PNG and quit
    int screenshotAfterMs = 2500;
    QString error;          ///< set when the command line is wrong

    static AppOptions parse(const QStringList &arguments);
    /// The --page names, in the order of the main window's pages.
    static QStringList pageNames();
};
