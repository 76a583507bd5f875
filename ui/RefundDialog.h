#pragma once

#include "UiContext.h"

#include "domain/Money.h"

#include <QDialog>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace paydesk::ui {

class OrderWatch;

/// Requests a refund: the amount is checked as it is typed against the money rules and what
/// is still refundable; "All that is left" fills the rest; a reason is required. The request
/// carries one key for the dialog's life, so a double click makes one refund.
class RefundDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RefundDialog)
public:
    RefundDialog(UiContext &ctx, const Order &order, QWidget *parent = nullptr);

    QLineEdit *amountEdit() const { return m_amount; }
    QPlainTextEdit *reasonEdit() const { return m_reason; }
    QPushButton *allButton() const { return m_all; }
    QPushButton *submitButton() const { return m_submit; }
    QString problemText() const;
    /// The refund made (after accept()).
    QString refundNo() const { return m_refundNo; }
    bool autoApproved() const { return m_autoApproved; }

    void submit();

    OrderWatch *watch() const { return m_watch; }

private:
    void validate();
    void followOrder();
    OrderWatch *m_watch = nullptr;
    QString m_gone; ///< why no refund can be asked any more (the order changed meanwhile)
    UiContext &m_ctx;
    Order m_order;
    Money m_refundable;
    bool m_useAll = false;
    QString m_requestKey;
    QLineEdit *m_amount;
    QPlainTextEdit *m_reason;
    QLabel *m_available;
    QLabel *m_problem;
    QPushButton *m_all;
    QPushButton *m_submit;
    QString m_refundNo;
    bool m_autoApproved = false;
};

} // namespace paydesk::ui
