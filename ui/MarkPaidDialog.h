#pragma once

#include "domain/Fixup.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace paydesk {
class FixupService;
class OrderRepository;
}

namespace paydesk::ui {

/// "Mark paid…": money reached the merchant for an unpaid order without any answer from the
/// channel. The user names the channel's transaction id (from the customer's payment record
/// or the merchant platform) and says why; the request then waits for another FINANCE user,
/// whose approval asks the channel first (FixupService).
class MarkPaidDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MarkPaidDialog)
public:
    MarkPaidDialog(FixupService &fixups, OrderRepository &orders, const QString &login, const Order &order, QWidget *parent = nullptr);

    QComboBox *paymentBox() const { return m_payment; }
    QLineEdit *transactionEdit() const { return m_txn; }
    QPlainTextEdit *reasonEdit() const { return m_reason; }
    QPushButton *submitButton() const { return m_submit; }
    QString errorText() const;
    /// The request made (after accept()).
    const Fixup &fixup() const { return m_fixup; }

    /// What the button does: records the request, or shows why not.
    void submit();

private:
    void updateButton();
    FixupService &m_fixups;
    QString m_login;
    Order m_order;
    Fixup m_fixup;
    QComboBox *m_payment;
    QLineEdit *m_txn;
    QPlainTextEdit *m_reason;
    QLabel *m_error;
    QPushButton *m_submit;
};

} // namespace paydesk::ui
