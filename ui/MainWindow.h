#pragma once

#include "UiContext.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMainWindow>
#include <QPointer>
#include <QTimer>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace paydesk {
struct SyncStatus;
}

namespace paydesk::ui {

class AnomaliesPage;
class AuditPage;
class LoginDialog;
class FinancePage;
class OrdersPage;
class Page;
class ReconPage;
class ReviewPage;
class SettingsPage;

/// The main window: side navigation (Orders, Refund review, Anomalies, Finance, Reconciliation,
/// Audit log, Settings), one page at a time, and a status bar with the database, the timer and the
/// channels. Changes made by the timer, the CLI or another instance arrive as booksChanged
/// and refresh the visible page (coalesced), the others when next shown.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    enum PageIndex { Orders, Review, Anomalies, Finance, Reconciliation, Audit, SettingsPageIndex, PageCount };

    explicit MainWindow(UiContext &ctx, QWidget *parent = nullptr);
    ~MainWindow() override;

    void showPage(int index);
    int currentPage() const;
    OrdersPage *ordersPage() const { return m_orders; }
    ReviewPage *reviewPage() const { return m_review; }
    AnomaliesPage *anomaliesPage() const { return m_anomalies; }
    FinancePage *financePage() const { return m_finance; }
    ReconPage *reconPage() const { return m_recon; }
    AuditPage *auditPage() const { return m_audit; }
    SettingsPage *settingsPage() const { return m_settings; }
    QListWidget *navigation() const { return m_nav; }
    QString statusText() const;
    /// Every keyboard shortcut with what it does (the F1 list).
    static QList<std::pair<QString, QString>> shortcutList();
    quint64 refreshCount() const { return m_refreshes; }

    /// The books changed somewhere (timer, channel notification, another instance): refresh
    /// soon, at most a few times a second.
    void booksChanged();
    /// Runs the pending refresh now (tests).
    void refreshNow();
    /// A channel that could not be connected (a broken profile, no keychain): shown in the
    /// status bar with the timer's channel errors.
    void showChannelProblem(const QString &text);
    /// The connected channels changed (a profile was added or removed in Settings).
    void channelsChanged();

    // ---- the session (issue 13 item 4) ----
    /// Hides the books behind the lock screen and closes open dialogs: after the idle time
    /// (Settings idle_lock_s, no key or mouse input) or on sign-out (Ctrl+Shift+L). Only a
    /// password opens it again; whoever signs in then (the same user or another) works on.
    void lock(bool signOut = false);
    bool isLocked() const { return m_locked; }
    /// Opens the sign-in dialog over the lock screen (the lock screen's button, Enter).
    void promptUnlock();
    /// The sign-in dialog over the lock screen, while it is open (tests).
    LoginDialog *unlockDialog() const;
    /// The idle time before the lock, in ms (tests shorten it; normally from Settings).
    void setIdleLockMs(qint64 ms);
    qint64 idleLockMs() const { return m_idleLockMs; }
    QString lockText() const;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void syncStatusChanged(const SyncStatus &status);
    void updateTimerLabel();
    void showMessage(const QString &text);
    void updateChannelLabel();
    void showShortcuts();
    void buildPages();
    void showUser();
    void signedIn(const User &user);
    void checkIdle();

    UiContext &m_ctx;
    QListWidget *m_nav;
    QStackedWidget *m_stack;
    OrdersPage *m_orders;
    ReviewPage *m_review;
    AnomaliesPage *m_anomalies;
    FinancePage *m_finance;
    ReconPage *m_recon;
    AuditPage *m_audit;
    SettingsPage *m_settings;
    QList<Page *> m_pages;
    QLabel *m_dbLabel;
    QLabel *m_timerLabel;
    QLabel *m_channelLabel;
    QLabel *m_userLabel;
    QLabel *m_workerLabel;
    QTimer m_refreshDelay;
    QTimer m_statusTick;
    QStackedWidget *m_screens;
    QWidget *m_lockScreen;
    QLabel *m_lockLabel;
    QList<QAction *> m_sessionActions; ///< off while locked
    QPointer<LoginDialog> m_unlockDialog;
    QTimer m_idleCheck;
    QElapsedTimer m_lastInput;
    qint64 m_idleLockMs = 0;
    bool m_locked = false;
    bool m_signedOut = false;
    bool m_idleOverridden = false;
    QHash<QString, QString> m_syncErrors;
    QStringList m_setupProblems;
    qint64 m_nextDueAt = 0;
    int m_inFlight = 0;
    quint64 m_refreshes = 0;
};

} // namespace paydesk::ui
