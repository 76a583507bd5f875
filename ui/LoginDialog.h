#pragma once

#include "domain/Domain.h"

#include <QDialog>

class QLabel;
class QLineEdit;
class QPushButton;

namespace paydesk {
class Services;
}

namespace paydesk::ui {

/// Sign in: login and password, checked by UserDirectory (which slows down repeated
/// failures and audits every attempt). A demo database shows its demo logins; nothing is
/// filled in for you. A database without any user yet asks for its first ADMIN account
/// instead (login, password twice), creates it and signs in with it.
class LoginDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LoginDialog)
public:
    LoginDialog(Services &services, bool demo, QWidget *parent = nullptr);
    const User &user() const { return m_user; }
    QLineEdit *loginEdit() const { return m_login; }
    QLineEdit *passwordEdit() const { return m_password; }
    QPushButton *signInButton() const { return m_signIn; }
    QString problemText() const;
    bool isFirstRun() const { return m_repeat != nullptr; }
    QLineEdit *repeatEdit() const { return m_repeat; }
    void signIn();

private:
    Services &m_services;
    QLineEdit *m_login;
    QLineEdit *m_password;
    QLineEdit *m_repeat = nullptr; ///< only when creating the first ADMIN
    QLabel *m_problem;
    QPushButton *m_signIn;
    User m_user;
};

} // namespace paydesk::ui
