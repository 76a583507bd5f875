#pragma once

#include <QMessageBox>

#include <functional>

namespace paydesk::ui {

/// Every question and notice the GUI asks goes through here, so tests can answer the next
/// one without a modal loop (after KeePassXC's MessageBox::setNextAnswer).
class MessageBox final
{
public:
    static QMessageBox::StandardButton question(QWidget *parent, const QString &title, const QString &text,
                                                QMessageBox::StandardButtons buttons = QMessageBox::Yes | QMessageBox::No,
                                                QMessageBox::StandardButton defaultButton = QMessageBox::No);
    /// A question that can change while it is open (the order it is about was paid meanwhile):
    /// `whileOpen` gets the box before it shows, to connect what updates its text and buttons.
    static QMessageBox::StandardButton question(QWidget *parent, const QString &title, const QString &text,
                                                QMessageBox::StandardButtons buttons, QMessageBox::StandardButton defaultButton,
                                                const std::function<void(QMessageBox &)> &whileOpen);
    static void information(QWidget *parent, const QString &title, const QString &text);
    static void warning(QWidget *parent, const QString &title, const QString &text);

    /// The next message box returns `answer` at once instead of showing itself.
    static void setNextAnswer(QMessageBox::StandardButton answer);
    /// What the last message box said (title + text), for tests.
    static QString lastText();

private:
    static QMessageBox::StandardButton show(QWidget *parent, QMessageBox::Icon icon, const QString &title, const QString &text,
                                            QMessageBox::StandardButtons buttons, QMessageBox::StandardButton defaultButton,
                                            const std::function<void(QMessageBox &)> &whileOpen = {});
};

} // namespace paydesk::ui
