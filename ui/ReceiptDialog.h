#pragma once

#include "Receipt.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QPrinter;
class QPushButton;
class QScrollArea;

namespace paydesk {
class Clock;
class OrderRepository;
class RefundRepository;
}

namespace paydesk::ui {

/// A customer's receipt for an order: the payment or one of its refunds the channel paid
/// back, in Chinese or English, previewed as it will come out, saved as PDF or printed.
class ReceiptDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReceiptDialog)
public:
    ReceiptDialog(OrderRepository &orders, RefundRepository &refunds, const Clock &clock, const QString &login, const Order &order,
                  QWidget *parent = nullptr);

    QComboBox *whichBox() const { return m_which; }
    QComboBox *languageBox() const { return m_language; }
    QLabel *previewLabel() const { return m_preview; }
    QPushButton *saveButton() const { return m_save; }
    QPushButton *printButton() const { return m_print; }
    /// The facts the preview shows now (empty when they could not be read).
    const std::optional<Receipt::Facts> &facts() const { return m_facts; }
    Receipt::Language language() const;

    /// Asks for a file and writes the PDF (what "Save as PDF…" does).
    void savePdf();
    /// Asks for a printer and prints (what "Print…" does).
    void print();
    /// Prints on `printer` as it is set up (a PDF printer in tests).
    void printOn(QPrinter &printer);

private:
    void reload();
    OrderRepository &m_orders;
    RefundRepository &m_refunds;
    const Clock &m_clock;
    QString m_login;
    Order m_order;
    std::optional<Receipt::Facts> m_facts;
    QComboBox *m_which;
    QComboBox *m_language;
    QLabel *m_preview;
    QLabel *m_error;
    QPushButton *m_save;
    QPushButton *m_print;
};

} // namespace paydesk::ui
