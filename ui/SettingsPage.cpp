#include "SettingsPage.h"

#include "ActionPolicy.h"
#include "ChannelProfilesBox.h"
#include "Labels.h"
#include "ListModels.h"
#include "MessageBox.h"
#include "Translations.h"
#include "services/Services.h"

#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace paydesk::ui {

SettingsPage::SettingsPage(UiContext &ctx, QWidget *parent)
    : Page(parent), m_ctx(ctx), m_timeout(new QSpinBox(this)), m_buffer(new QSpinBox(this)), m_autoApprove(new QLineEdit(this)),
      m_idleLock(new QSpinBox(this)), m_reconAt(new QSpinBox(this)), m_catchUp(new QSpinBox(this)),
      m_save(new QPushButton(tr("&Save settings"), this)), m_problem(new QLabel(this)), m_users(new UserModel(ctx.services.users, this)),
      m_userTable(new QTableView(this)), m_addUser(new QPushButton(tr("&Add user…"), this)),
      m_toggleUser(new QPushButton(tr("&Disable user"), this)), m_language(new QComboBox(this))
{
    setObjectName(QStringLiteral("settingsPage"));
    const ActionVerdict admin = ActionPolicy::check(ActionPolicy::Action::ManageSettings, ctx.user.role, nullptr, 0);
    auto *outer = new QVBoxLayout(this);
    auto *heading = new QLabel(tr("Settings"), this);
    QFont f = heading->font();
    f.setPointSizeF(f.pointSizeF() * 1.3);
    f.setBold(true);
    heading->setFont(f);
    outer->addWidget(heading);
    if (!admin.allowed) {
        auto *note = new QLabel(admin.reason + u' ' + tr("You can still choose the language."), this);
        note->setWordWrap(true);
        outer->addWidget(note);
    }
    auto *columns = new QHBoxLayout;
    auto *left = new QVBoxLayout;
    auto *right = new QVBoxLayout;
    columns->addLayout(left, 1);
    columns->addLayout(right, 1);
    outer->addLayout(columns, 1);

    // ---- payments ----
    auto *payments = new QGroupBox(tr("Payments"), this);
    auto *form = new QFormLayout(payments);
    m_timeout->setRange(1, 7 * 24 * 60);
    m_timeout->setSuffix(tr(" min"));
    m_timeout->setToolTip(tr("How long a customer has to pay a new order (pay_timeout_s)"));
    form->addRow(tr("Default &time to pay:"), m_timeout);
    m_buffer->setRange(0, 3600);
    m_buffer->setSuffix(tr(" s"));
    m_buffer->setToolTip(tr("A repaid code expires this long before its order, so a late payment never lands on a closed order (repay_buffer_s)"));
    form->addRow(tr("&Repay safety buffer:"), m_buffer);
    m_autoApprove->setPlaceholderText(tr("0 = every refund is reviewed"));
    m_autoApprove->setToolTip(tr("Refunds up to this amount are approved at once (auto_approve_minor); 0 turns it off"));
    form->addRow(tr("Auto-approve refunds up to (¥):"), m_autoApprove);
    m_idleLock->setObjectName(QStringLiteral("idleLock"));
    m_idleLock->setRange(1, 8 * 60);
    m_idleLock->setSuffix(tr(" min"));
    m_idleLock->setToolTip(tr("The window locks after this long without input; a password opens it (idle_lock_s)"));
    form->addRow(tr("&Lock after idle:"), m_idleLock);
    m_reconAt->setObjectName(QStringLiteral("reconAt"));
    m_reconAt->setRange(0, 23);
    m_reconAt->setSuffix(tr(":00 Beijing time"));
    m_reconAt->setToolTip(tr("The timer reconciles yesterday's bills from this hour on (recon_at_minute); "
                             "WeChat Pay and Alipay publish them in the morning"));
    form->addRow(tr("Reconcile &bills from:"), m_reconAt);
    m_catchUp->setObjectName(QStringLiteral("reconCatchUp"));
    m_catchUp->setRange(1, 90);
    m_catchUp->setSuffix(tr(" days"));
    m_catchUp->setToolTip(tr("Days missed while PayDesk was not running are reconciled this far back (recon_catch_up_days)"));
    form->addRow(tr("&Catch up on bills for:"), m_catchUp);
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #c62828;"));
    form->addRow(m_problem);
    form->addRow(QString(), m_save);
    payments->setEnabled(admin.allowed);
    left->addWidget(payments);

    // ---- language ----
    auto *language = new QGroupBox(tr("Language"), this);
    auto *langForm = new QFormLayout(language);
    m_language->addItem(tr("Follow the system"), QString());
    m_language->addItem(QStringLiteral("English"), QStringLiteral("en"));
    m_language->addItem(QStringLiteral("简体中文"), QStringLiteral("zh_CN"));
    m_language->setCurrentIndex(qMax(0, m_language->findData(Translations::preferredLanguage())));
    langForm->addRow(tr("&Language:"), m_language);
    auto *langNote = new QLabel(tr("Applies the next time PayDesk starts (this computer only)."), this);
    langNote->setWordWrap(true);
    langNote->setForegroundRole(QPalette::PlaceholderText);
    langForm->addRow(langNote);
    left->addWidget(language);

    // ---- channel profiles (secrets into the keychain) ----
    m_channels = new ChannelProfilesBox(ctx, admin.allowed, this);
    connect(m_channels, &ChannelProfilesBox::message, this, &SettingsPage::message);
    connect(m_channels, &ChannelProfilesBox::channelsChanged, this, &SettingsPage::channelsChanged);
    right->addWidget(m_channels, 1);
    left->addStretch(1);

    // ---- users ----
    auto *users = new QGroupBox(tr("Staff accounts"), this);
    auto *uLayout = new QVBoxLayout(users);
    m_userTable->setModel(m_users);
    m_userTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_userTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_userTable->verticalHeader()->hide();
    m_userTable->setTabKeyNavigation(false);
    m_userTable->horizontalHeader()->setStretchLastSection(true);
    uLayout->addWidget(m_userTable, 1);
    auto *uButtons = new QHBoxLayout;
    uButtons->addWidget(m_addUser);
    uButtons->addWidget(m_toggleUser);
    uButtons->addStretch(1);
    uLayout->addLayout(uButtons);
    users->setEnabled(admin.allowed);
    right->addWidget(users, 1);

    connect(m_save, &QPushButton::clicked, this, &SettingsPage::save);
    connect(m_addUser, &QPushButton::clicked, this, &SettingsPage::addUserDialog);
    connect(m_toggleUser, &QPushButton::clicked, this, &SettingsPage::toggleUser);
    connect(m_userTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        const User *u = m_users->rowAt(m_userTable->currentIndex().row());
        m_toggleUser->setText(u && !u->active ? tr("&Enable user") : tr("&Disable user"));
        m_toggleUser->setEnabled(u && u->login != m_ctx.user.login);
        m_toggleUser->setToolTip(u && u->login == m_ctx.user.login ? tr("You cannot disable yourself.") : QString());
    });
    connect(m_language, &QComboBox::currentIndexChanged, this, [this] {
        Translations::setPreferredLanguage(m_language->currentData().toString());
        emit message(tr("The language changes the next time PayDesk starts."));
    });
    m_toggleUser->setEnabled(false);
    SettingsPage::refresh();
}

QString SettingsPage::problemText() const { return m_problem->text(); }

void SettingsPage::refresh()
{
    Settings &s = m_ctx.services.settings;
    m_timeout->setValue(int(std::clamp<qint64>(s.payTimeoutS() / 60, 1, 7 * 24 * 60)));
    m_buffer->setValue(int(std::clamp<qint64>(s.repayBufferS(), 0, 3600)));
    m_autoApprove->setText(Money::cny(s.autoApproveMinor()).toPlainString());
    m_idleLock->setValue(int(std::clamp<qint64>(s.idleLockS() / 60, 1, 8 * 60)));
    m_reconAt->setValue(int(s.reconAtMinute() / 60));
    m_catchUp->setValue(int(s.reconCatchUpDays()));
    (void)m_users->reload();
    m_channels->reload();
}

void SettingsPage::save()
{
    auto threshold = Money::parse(m_autoApprove->text().trimmed().isEmpty() ? QStringLiteral("0") : m_autoApprove->text().trimmed(),
                                  Currency::cny(), AmountUse::OrderTotal);
    if (!threshold) {
        m_problem->setText(threshold.error().message);
        return;
    }
    Settings &s = m_ctx.services.settings;
    // Raising the auto-approve limit lets money leave without a second person: ask first.
    if (threshold->minor() > s.autoApproveMinor()
        && MessageBox::question(this, tr("Auto-approve refunds"),
                                tr("Refunds of up to %1 will be approved at once, without a FINANCE review, and sent to the "
                                   "customer. Save this limit?")
                                    .arg(threshold->toDisplayString(QLocale())))
               != QMessageBox::Yes)
        return;
    for (const auto &[key, value] : {std::pair{QStringLiteral("pay_timeout_s"), qint64(m_timeout->value()) * 60},
                                     std::pair{QStringLiteral("repay_buffer_s"), qint64(m_buffer->value())},
                                     std::pair{QStringLiteral("auto_approve_minor"), threshold->minor()},
                                     std::pair{QStringLiteral("idle_lock_s"), qint64(m_idleLock->value()) * 60},
                                     std::pair{QStringLiteral("recon_at_minute"), qint64(m_reconAt->value()) * 60},
                                     std::pair{QStringLiteral("recon_catch_up_days"), qint64(m_catchUp->value())}}) {
        if (Status st = s.change(m_ctx.user.login, key, value); !st) {
            m_problem->setText(st.error().message);
            return;
        }
    }
    m_problem->clear();
    emit message(tr("Settings saved."));
}

Status SettingsPage::addUser(const QString &login, const QString &name, Role role, const QString &password)
{
    auto r = m_ctx.services.users.add(m_ctx.user.login, login, name, role, password);
    if (!r)
        return r.error();
    (void)m_users->reload();
    emit message(tr("User %1 added.").arg(login));
    return {};
}

void SettingsPage::addUserDialog()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Add user"));
    auto *form = new QFormLayout(&dialog);
    auto *login = new QLineEdit(&dialog);
    auto *name = new QLineEdit(&dialog);
    auto *role = new QComboBox(&dialog);
    for (Role r : {Role::Clerk, Role::Finance, Role::Admin})
        role->addItem(Labels::of(r), int(r));
    auto *password = new QLineEdit(&dialog);
    auto *repeat = new QLineEdit(&dialog);
    password->setEchoMode(QLineEdit::Password);
    repeat->setEchoMode(QLineEdit::Password);
    password->setPlaceholderText(tr("At least %n characters", nullptr, UserDirectory::kMinPasswordLength));
    auto *problem = new QLabel(&dialog);
    problem->setWordWrap(true);
    problem->setStyleSheet(QStringLiteral("color: #c62828;"));
    form->addRow(tr("&Login:"), login);
    form->addRow(tr("&Name:"), name);
    form->addRow(tr("&Role:"), role);
    form->addRow(tr("&Password:"), password);
    form->addRow(tr("Re&peat:"), repeat);
    form->addRow(problem);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, [&] {
        if (password->text() != repeat->text()) {
            problem->setText(tr("The two passwords differ."));
            return;
        }
        if (Status s = addUser(login->text().trimmed(), name->text().trimmed(), Role(role->currentData().toInt()), password->text()); !s) {
            problem->setText(s.error().message);
            return;
        }
        dialog.accept();
    });
    dialog.exec();
}

void SettingsPage::toggleUser()
{
    const User *u = m_users->rowAt(m_userTable->currentIndex().row());
    if (!u)
        return;
    const QString login = u->login;
    const bool enable = !u->active;
    if (!enable && MessageBox::question(this, tr("Disable user"), tr("Disable %1? They can no longer sign in.").arg(login))
                       != QMessageBox::Yes)
        return;
    if (Status s = m_ctx.services.users.setActive(m_ctx.user.login, login, enable); !s)
        MessageBox::warning(this, tr("Users"), s.error().message);
    (void)m_users->reload();
}

} // namespace paydesk::ui
