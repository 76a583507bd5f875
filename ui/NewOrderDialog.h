#pragma once

#include "UiContext.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;

namespace paydesk::ui {

class OrderWatch;
class PaymentPanel;

/// Counter checkout: amount, title, buyer, timeout and channel, then the QR code for the
/// customer with the payment's countdown.
class NewOrderDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NewOrderDialog)
public:
    NewOrderDialog(UiContext &ctx, QWidget *parent = nullptr);

    QLineEdit *amountEdit() const { return m_amount; }
    QLineEdit *titleEdit() const { return m_title; }
    QLineEdit *buyerEdit() const { return m_buyer; }
    QSpinBox *timeoutBox() const { return m_timeout; }
    QComboBox *channelBox() const { return m_channel; }
    QPushButton *createButton() const { return m_create; }
    PaymentPanel *panel() const { return m_panel; }
    QString problemText() const;
    bool isShowingCode() const;
    /// The order made, once created.
    QString orderNo() const { return m_orderNo; }

    void create();

private:
    void validate();
    UiContext &m_ctx;
    QLineEdit *m_amount;
    QLineEdit *m_title;
    QLineEdit *m_buyer;
    QSpinBox *m_timeout;
    QComboBox *m_channel;
    QLabel *m_problem;
    QPushButton *m_create;
    QStackedWidget *m_stack;
    PaymentPanel *m_panel;
    QString m_orderNo;
    OrderWatch *m_watch = nullptr; ///< follows the order once made
};

} // namespace paydesk::ui
