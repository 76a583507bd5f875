#include "LoginDialog.h"

#include "services/Services.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace paydesk::ui {

LoginDialog::LoginDialog(Services &services, bool demo, QWidget *parent)
    : QDialog(parent), m_services(services), m_login(new QLineEdit(this)), m_password(new QLineEdit(this)),
      m_problem(new QLabel(this)), m_signIn(new QPushButton(tr("&Sign in"), this))
{
    setWindowTitle(tr("Sign in to PayDesk"));
    auto *layout = new QVBoxLayout(this);
    auto *title = new QLabel(tr("PayDesk"), this);
    QFont f = title->font();
    f.setPointSizeF(f.pointSizeF() * 1.8);
    f.setBold(true);
    title->setFont(f);
    layout->addWidget(title);
    auto *where = new QLabel(tr("Database: %1").arg(services.db->location().display()), this);
    where->setForegroundRole(QPalette::PlaceholderText);
    where->setWordWrap(true);
    layout->addWidget(where);
    auto *form = new QFormLayout;
    m_login->setObjectName(QStringLiteral("login"));
    m_password->setObjectName(QStringLiteral("password"));
    m_password->setEchoMode(QLineEdit::Password);
    form->addRow(tr("&User:"), m_login);
    form->addRow(tr("&Password:"), m_password);
    layout->addLayout(form);
    if (demo) {
        auto *hint = new QLabel(tr("Demo logins (password = login): clerk (counter), finance (refund review), admin (settings)."), this);
        hint->setObjectName(QStringLiteral("demoLogins"));
        hint->setWordWrap(true);
        hint->setStyleSheet(QStringLiteral("background: #fff4e0; color: #7a4b00; padding: 6px; border-radius: 4px;"));
        layout->addWidget(hint);
    }
    m_problem->setObjectName(QStringLiteral("loginProblem"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #c62828;"));
    layout->addWidget(m_problem);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    buttons->addButton(m_signIn, QDialogButtonBox::AcceptRole);
    m_signIn->setDefault(true);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_signIn, &QPushButton::clicked, this, &LoginDialog::signIn);
    setMinimumWidth(380);
}

QString LoginDialog::problemText() const { return m_problem->text(); }

void LoginDialog::signIn()
{
    if (m_login->text().trimmed().isEmpty()) {
        m_problem->setText(tr("Enter your user name."));
        m_login->setFocus();
        return;
    }
    auto r = m_services.users.login(m_login->text().trimmed(), m_password->text());
    m_password->clear();
    if (!r) {
        m_problem->setText(r.error().message);
        m_password->setFocus();
        return;
    }
    m_user = r.value();
    accept();
}

} // namespace paydesk::ui
