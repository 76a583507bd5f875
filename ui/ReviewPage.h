#pragma once

#include "Page.h"
#include "UiContext.h"

class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;

namespace paydesk {
class ReviewQueueModel;
}

namespace paydesk::ui {

/// Finance's refund review: the queue of REQUESTED refunds, oldest first; approve or reject
/// with a note. A requester cannot review their own request (four eyes).
class ReviewPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReviewPage)
public:
    ReviewPage(UiContext &ctx, QWidget *parent = nullptr);
    void refresh() override;

    ReviewQueueModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    QLineEdit *noteEdit() const { return m_note; }
    QPushButton *approveButton() const { return m_approve; }
    QPushButton *rejectButton() const { return m_reject; }
    bool selectRefund(const QString &outRefundNo);

    void approve();
    void reject();

private:
    void review(bool approve);
    void updateButtons();
    UiContext &m_ctx;
    ReviewQueueModel *m_model;
    QTableView *m_table;
    QLineEdit *m_note;
    QPushButton *m_approve;
    QPushButton *m_reject;
    QLabel *m_summary;
};

} // namespace paydesk::ui
