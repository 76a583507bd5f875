#pragma once

#include "UiContext.h"

#include <QDialog>
#include <QTimer>

class QComboBox;
class QLabel;
class QPushButton;
class QStackedWidget;

namespace paydesk::ui {

class OrderWatch;
class PaymentPanel;

/// Re-issues the payment of a pending order: pick a channel, see how much time the new code
/// would give the customer (or why it is refused), then show the new QR with its countdown.
class RepayDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RepayDialog)
public:
    RepayDialog(UiContext &ctx, const Order &order, QWidget *parent = nullptr);
    PaymentPanel *panel() const { return m_panel; }
    QPushButton *issueButton() const { return m_issue; }
    QComboBox *channelBox() const { return m_channel; }
    QString windowText() const;
    bool isShowingCode() const;
    /// What became of the order while the dialog was open (paid, closed…); empty while payable.
    QString orderStateText() const;
    OrderWatch *watch() const { return m_watch; }

    /// Starts the repay (what the button does).
    void issue();

private:
    void updateWindow();
    void orderChanged(const Order &order);
    UiContext &m_ctx;
    Order m_order;
    OrderWatch *m_watch;
    QLabel *m_state;
    QComboBox *m_channel;
    QLabel *m_window;
    QLabel *m_error;
    QPushButton *m_issue;
    QStackedWidget *m_stack;
    PaymentPanel *m_panel;
    QTimer m_timer;
};

} // namespace paydesk::ui
