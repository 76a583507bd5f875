#pragma once

#include "Page.h"
#include "UiContext.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;

namespace paydesk {
class UserModel;
}

namespace paydesk::ui {

class ChannelProfilesBox;

/// Merchant settings (ADMIN): pay timeout, repay buffer, auto-approve threshold; the payment
/// channels' merchant profiles (secrets into the keychain); staff accounts; and the display
/// language (this computer only).
class SettingsPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsPage)
public:
    SettingsPage(UiContext &ctx, QWidget *parent = nullptr);
    void refresh() override;

    QSpinBox *timeoutBox() const { return m_timeout; }
    QSpinBox *bufferBox() const { return m_buffer; }
    QLineEdit *autoApproveEdit() const { return m_autoApprove; }
    QPushButton *saveButton() const { return m_save; }
    UserModel *users() const { return m_users; }
    ChannelProfilesBox *channels() const { return m_channels; }
    QString problemText() const;
    void save();
    /// Adds a user (what the Add user dialog does once filled in).
    Status addUser(const QString &login, const QString &name, Role role, const QString &password);

signals:
    /// A channel profile was saved and connected (or removed).
    void channelsChanged();

private:
    void addUserDialog();
    void toggleUser();
    UiContext &m_ctx;
    QSpinBox *m_timeout;
    QSpinBox *m_buffer;
    QLineEdit *m_autoApprove;
    QSpinBox *m_idleLock;
    QSpinBox *m_reconAt;
    QSpinBox *m_catchUp;
    QPushButton *m_save;
    QLabel *m_problem;
    UserModel *m_users;
    QTableView *m_userTable;
    QPushButton *m_addUser;
    QPushButton *m_toggleUser;
    QComboBox *m_language;
    ChannelProfilesBox *m_channels = nullptr;
};

} // namespace paydesk::ui
