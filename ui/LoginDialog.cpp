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
    const auto users = services.users.count();
    if (!demo && users && users.value() == 0) {
        // A new database: its first account is the ADMIN who then adds the staff.
        setWindowTitle(tr("Set up PayDesk"));
        auto *first = new QLabel(tr("This database has no users yet. Create the first administrator account; it adds "
                                    "the other staff in Settings."),
                                 this);
        first->setWordWrap(true);
        first->setObjectName(QStringLiteral("firstRun"));
        layout->addWidget(first);
        m_repeat = new QLineEdit(this);
        m_repeat->setObjectName(QStringLiteral("repeatPassword"));
        m_repeat->setEchoMode(QLineEdit::Password);
        m_password->setPlaceholderText(tr("At least %n characters", nullptr, UserDirectory::kMinPasswordLength));
        m_login->setPlaceholderText(tr("e.g. admin"));
        form->addRow(tr("&Repeat:"), m_repeat);
        m_signIn->setText(tr("&Create and sign in"));
    }
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
    if (m_repeat) {
        if (m_password->text() != m_repeat->text()) {
            m_problem->setText(tr("The two passwords differ."));
            m_repeat->clear();
            m_repeat->setFocus();
            return;
        }
        auto added = m_services.users.add(QString(), m_login->text().trimmed(), QString(), Role::Admin, m_password->text());
        if (!added) {
            m_problem->setText(added.error().message);
            m_password->clear();
            m_repeat->clear();
            m_password->setFocus();
            return;
        }
    }
    auto r = m_services.users.login(m_login->text().trimmed(), m_password->text());
    if (m_repeat)
        m_repeat->clear();
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
