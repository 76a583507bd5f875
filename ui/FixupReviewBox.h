#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;

namespace paydesk {
class FixupModel;
class FixupRepository;
class FixupService;
}

namespace paydesk::ui {

/// The review page's queue of "mark paid" requests: another FINANCE user approves (the
/// channel is asked first; its verified answer decides) or rejects with a note.
class FixupReviewBox final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FixupReviewBox)
public:
    FixupReviewBox(FixupService &service, FixupRepository &fixups, const QString &login, bool finance, QWidget *parent = nullptr);
    void refresh();

    FixupModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    QLineEdit *noteEdit() const { return m_note; }
    QPushButton *approveButton() const { return m_approve; }
    QPushButton *rejectButton() const { return m_reject; }
    /// The last refusal or outcome, in words.
    QString statusText() const;
    bool selectFixup(qint64 id);

    void approve();
    void reject();

signals:
    void message(const QString &text);
    void booksChanged();

private:
    qint64 selectedId() const;
    void updateButtons();
    void show(const QString &text, bool error);
    FixupService &m_service;
    QString m_login;
    bool m_finance;
    FixupModel *m_model;
    QTableView *m_table;
    QLineEdit *m_note;
    QPushButton *m_approve;
    QPushButton *m_reject;
    QLabel *m_status;
    bool m_busy = false;
};

} // namespace paydesk::ui
