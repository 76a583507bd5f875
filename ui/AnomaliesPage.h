#pragma once

#include "Page.h"
#include "UiContext.h"

class QComboBox;
class QLineEdit;
class QPushButton;
class QTableView;

namespace paydesk {
class AnomalyModel;
}

namespace paydesk::ui {

/// Money that did not go by the book (paid after close, paid twice, refunds the channel
/// failed): list, open the order, resolve with a note.
class AnomaliesPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AnomaliesPage)
public:
    AnomaliesPage(UiContext &ctx, QWidget *parent = nullptr);
    void refresh() override;
    AnomalyModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    QLineEdit *noteEdit() const { return m_note; }
    QPushButton *resolveButton() const { return m_resolve; }
    void resolve();

signals:
    void openOrder(const QString &orderNo);

private:
    void updateButtons();
    UiContext &m_ctx;
    AnomalyModel *m_model;
    QComboBox *m_state;
    QTableView *m_table;
    QLineEdit *m_note;
    QPushButton *m_resolve;
    QPushButton *m_open;
};

} // namespace paydesk::ui
