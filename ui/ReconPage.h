#pragma once

#include "Page.h"
#include "UiContext.h"

#include "ReconModels.h"
#include "services/ReconService.h"

#include <QColor>
#include <QDialog>
#include <QPointer>

class QAction;
class QCalendarWidget;
class QComboBox;
class QDateEdit;
class QGroupBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTableView;

namespace paydesk {
class ReconDifferenceModel;
class ReconRunModel;
}

namespace paydesk::ui {

/// Asks which channel's bill of which day to reconcile: fetched from the channel, or imported
/// from a file downloaded by hand from the merchant platform.
class ReconRunDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReconRunDialog)
public:
    enum class Mode { Fetch, Import };
    /// `channels`: the choices with their labels; `day`: the default (yesterday in Beijing);
    /// `lastDay`: the latest day that may be chosen (today in Beijing).
    ReconRunDialog(Mode mode, const QList<std::pair<ChannelKind, QString>> &channels, const QDate &day, const QDate &lastDay,
                   QWidget *parent = nullptr);

    Mode mode() const { return m_mode; }
    ChannelKind channel() const;
    QDate date() const;
    QString filePath() const;
    QComboBox *channelBox() const { return m_channel; }
    QDateEdit *dateEdit() const { return m_date; }
    QLineEdit *fileEdit() const { return m_file; }
    QPushButton *browseButton() const { return m_browse; }
    QPushButton *okButton() const { return m_ok; }

private:
    void browse();
    void updateOk();
    Mode m_mode;
    QComboBox *m_channel;
    QDateEdit *m_date;
    QLineEdit *m_file = nullptr;
    QPushButton *m_browse = nullptr;
    QPushButton *m_ok = nullptr;
};

/// Reconciliation (对账) for finance: every run of a channel's daily bill against our books,
/// the bill's totals beside our books', and the differences of the selected run with the
/// order each is about. FINANCE and ADMIN fetch a bill from a connected channel or import a
/// downloaded bill file; everyone else sees the results read-only. Fetching goes through the
/// channel (asynchronous), matching runs on the background worker, so the window never freezes.
class ReconPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReconPage)
public:
    ReconPage(UiContext &ctx, QWidget *parent = nullptr);
    ~ReconPage() override;
    void refresh() override;

    ReconRunModel *runs() const { return m_runs; }
    ReconDifferenceModel *differences() const { return m_diffs; }
    QTableView *runTable() const { return m_runTable; }
    QTableView *differenceTable() const { return m_diffTable; }
    /// The days reconciled, coloured by result (dayBackground); clicking one shows its run.
    QCalendarWidget *calendar() const { return m_calendar; }
    static QColor dayBackground(ReconRunModel::DayResult result);
    QAction *fetchAction() const { return m_fetchAction; }
    QAction *importAction() const { return m_importAction; }
    QAction *openOrderAction() const { return m_openAction; }
    QPushButton *fetchButton() const { return m_fetchButton; }
    QPushButton *importButton() const { return m_importButton; }
    QPushButton *openOrderButton() const { return m_openButton; }
    QPushButton *exportButton() const { return m_exportButton; }
    QPushButton *resolveButton() const { return m_resolveButton; }
    QLineEdit *resolveNote() const { return m_resolveNote; }
    /// Resolves the selected difference's anomaly with the note (FINANCE/ADMIN, audited).
    void resolveSelected();
    /// Writes the shown run's differences as CSV (asks for the file); false when nothing was written.
    bool exportDifferences();
    /// The fetch or import dialog while it is open.
    ReconRunDialog *runDialog() const { return m_dialog.data(); }
    bool isBusy() const { return m_busy; }
    /// The last outcome line ("Reconciled WeChat Pay for 2026-12-03: …" or the error).
    QString statusText() const;
    /// Whether the page shows its "no reconciliation yet" text instead of the table.
    bool showsEmptyState() const;
    QString emptyText() const;
    /// Why the actions are off for this user (empty when they may reconcile).
    QString readOnlyReason() const { return m_readOnlyReason; }

    /// Opens the dialogs (the buttons and shortcuts call these).
    void fetchAndReconcile();
    void importBill();
    /// What the dialogs start; also for scripts and tests.
    void startFetch(ChannelKind channel, const QDate &date);
    void startImport(ChannelKind channel, const QDate &date, const QString &path);
    /// Selects the run with this id; false if it is not listed.
    bool selectRun(qint64 runId);
    void openSelectedOrder();

    /// Yesterday in Beijing time (the channels' business day) at `nowMs`.
    static QDate yesterdayInBeijing(qint64 nowMs);

signals:
    void openOrder(const QString &orderNo);
    /// A run finished (its id), after the list shows it.
    void reconciled(qint64 runId);
    /// A fetch or a run was refused or failed (the message also shown to the user).
    void failed(const QString &message);

private:
    QList<std::pair<ChannelKind, QString>> fetchChoices() const;
    QList<std::pair<ChannelKind, QString>> importChoices() const;
    void runBill(ChannelKind channel, const QDate &date, QByteArray content, const QString &path, const QString &fileName,
                 ReconService::Source source);
    void finishedRun(const Result<ReconService::Report> &report, ChannelKind channel, const QDate &date, ReconService::Source source);
    void fail(const QString &title, const QString &text);
    void setBusy(bool busy, const QString &text = {});
    void runsLoaded();
    void paintCalendar();
    void daySelected(const QDate &day);
    void runSelected();
    void updateActions();
    void showStatus(const QString &text, bool error);

    UiContext &m_ctx;
    ReconRunModel *m_runs;
    ReconDifferenceModel *m_diffs;
    QCalendarWidget *m_calendar = nullptr;
    QStackedWidget *m_runStack;
    QTableView *m_runTable;
    QLabel *m_empty;
    QGroupBox *m_diffBox;
    QStackedWidget *m_diffStack;
    QTableView *m_diffTable;
    QPushButton *m_exportButton = nullptr;
    QPushButton *m_resolveButton = nullptr;
    QLineEdit *m_resolveNote = nullptr;
    QLabel *m_noDiffs;
    QLabel *m_status;
    QLabel *m_readOnly;
    QProgressBar *m_progress;
    QPushButton *m_fetchButton;
    QPushButton *m_importButton;
    QPushButton *m_openButton;
    QAction *m_fetchAction;
    QAction *m_importAction;
    QAction *m_openAction;
    QPointer<ReconRunDialog> m_dialog;
    QString m_readOnlyReason;
    QString m_billNote; ///< what the channel said with the bill ("preliminary: …")
    qint64 m_selectRun = 0;
    bool m_busy = false;
    bool m_loadedOnce = false;
};

} // namespace paydesk::ui
