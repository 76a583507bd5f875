#pragma once

#include "Receipt.h"
#include "services/ClosingService.h"

#include <QDialog>

class QComboBox;
class QDateEdit;
class QLabel;
class QPrinter;
class QPushButton;

namespace paydesk::ui {

/// Shift and day close (Z reports): the report previewed as it will print, then closed (kept
/// and audited, with a confirmation), saved as PDF or printed. A clerk closes their shift;
/// finance closes a business day that is over and sees it beside the channels' bills.
class ClosingDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClosingDialog)
public:
    ClosingDialog(ClosingService &closings, const User &user, QWidget *parent = nullptr);

    QComboBox *kindBox() const { return m_kind; }
    QDateEdit *dateEdit() const { return m_date; }
    QLabel *previewLabel() const { return m_preview; }
    QPushButton *closeButton() const { return m_close; }
    QPushButton *saveButton() const { return m_save; }
    QLabel *statusLabel() const { return m_status; }
    /// The report shown (closed or a preview).
    const std::optional<Closing> &report() const { return m_report; }
    /// The slip the report prints as.
    Receipt::Slip slip() const;

    /// What "Close shift" / "Close day" does (asks first).
    void closeReport();
    void savePdf();
    void printOn(QPrinter &printer);

    /// A report's slip, in the window's language.
    static Receipt::Slip slipOf(const Closing &c, const QList<ClosingService::BillCheck> &bills);

private:
    void reload();
    ClosingService &m_closings;
    User m_user;
    std::optional<Closing> m_report;
    QList<ClosingService::BillCheck> m_bills;
    QComboBox *m_kind;
    QDateEdit *m_date;
    QLabel *m_preview;
    QLabel *m_status;
    QPushButton *m_close;
    QPushButton *m_save;
    QPushButton *m_print;
};

} // namespace paydesk::ui
