#pragma once

#include "Page.h"
#include "UiContext.h"

#include <QTimer>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTableView;

namespace paydesk {
class AuditModel;
}

namespace paydesk::ui {

/// The audit log: searchable, newest first, read as you scroll; and the hash chain
/// verification, run in the background with a progress bar.
class AuditPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditPage)
public:
    AuditPage(UiContext &ctx, QWidget *parent = nullptr);
    void refresh() override;
    AuditModel *model() const { return m_model; }
    QLineEdit *searchEdit() const { return m_search; }
    QPushButton *verifyButton() const { return m_verify; }
    QProgressBar *progressBar() const { return m_progress; }
    QString resultText() const;
    void verify();

signals:
    void verified(bool intact);

private:
    UiContext &m_ctx;
    AuditModel *m_model;
    QLineEdit *m_search;
    QTableView *m_table;
    QPushButton *m_verify;
    QProgressBar *m_progress;
    QLabel *m_result;
    QTimer m_searchDelay;
};

} // namespace paydesk::ui
