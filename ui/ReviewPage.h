#pragma once

#include "Page.h"
#include "UiContext.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;

namespace paydesk {
class ReviewQueueModel;
}

namespace paydesk::ui {
class FixupReviewBox;
}

namespace paydesk::ui {

/// Finance's refund review: the queue of REQUESTED refunds, oldest first; approve or reject
/// with a note. A requester cannot review their own request (four eyes). The second queue
/// holds refunds the channel refused (FAILED): FINANCE sends one again with the same refund
/// number and a note. Below, the "mark paid" fix-ups another FINANCE user approves.
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
    QPushButton *retryButton() const { return m_retry; }
    /// Why the last Ctrl+Return did not approve (empty when it did or was not pressed).
    QString refusalText() const;
    /// What Ctrl+Return does: approves, or says why it cannot.
    void approveFromKeyboard();
    /// 0: waiting for review, 1: refused by the channel.
    QComboBox *queueBox() const { return m_queue; }
    bool selectRefund(const QString &outRefundNo);
    /// The "mark paid" requests waiting for another FINANCE user.
    FixupReviewBox *fixupBox() const { return m_fixups; }

    void approve();
    void reject();
    void retry();

private:
    void review(bool approve);
    void updateButtons();
    UiContext &m_ctx;
    ReviewQueueModel *m_model;
    QTableView *m_table;
    QLineEdit *m_note;
    QPushButton *m_approve;
    QPushButton *m_reject;
    QPushButton *m_retry;
    QComboBox *m_queue;
    QLabel *m_summary;
    QLabel *m_refusal;
    FixupReviewBox *m_fixups = nullptr;
};

} // namespace paydesk::ui
