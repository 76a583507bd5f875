#pragma once

#include "UiContext.h"
#include "channels/ChannelProfile.h"

#include <QDialog>
#include <QGroupBox>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace paydesk::ui {

/// Settings → Payment channels (ADMIN): the stored WeChat Pay / Alipay merchant profiles,
/// with Add or replace, Test (one signed round trip) and Remove. The non-secret part of a
/// profile goes into the database; the merchant private key and the APIv3 key go into the OS
/// keychain (or the encrypted secrets file), never the database. A saved profile is connected
/// at once (outside the demo, whose channels stay simulated).
class ChannelProfilesBox final : public QGroupBox
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChannelProfilesBox)
public:
    ChannelProfilesBox(UiContext &ctx, bool admin, QWidget *parent = nullptr);

    void reload();
    /// Saves `profile` (validated, secrets into the SecretStore) and connects it. For the
    /// dialog and tests.
    Status save(const ChannelProfile &profile);
    QTableWidget *table() const { return m_table; }
    QString statusText() const;

signals:
    void message(const QString &text);
    /// A channel was connected or removed: the window's channel list changed.
    void channelsChanged();

private:
    std::optional<ChannelKind> selectedKind() const;
    void addOrReplace();
    void test();
    void remove();
    void updateButtons();

    UiContext &m_ctx;
    bool m_admin;
    QTableWidget *m_table;
    QLabel *m_connected;
    QLabel *m_status;
    QPushButton *m_add;
    QPushButton *m_test;
    QPushButton *m_remove;
};

/// The form behind "Add or replace…": every field of a profile, the two secrets read from a
/// PEM file and a password field, or everything loaded from a profile file (JSON, as
/// `paydeskctl channel add` reads it). Validation names the rule that failed.
class ChannelProfileDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChannelProfileDialog)
public:
    explicit ChannelProfileDialog(QWidget *parent = nullptr);
    ~ChannelProfileDialog() override;

    /// The profile the form describes, validated (secrets included).
    Result<ChannelProfile> profile() const;
    void setSaver(std::function<Status(const ChannelProfile &)> saver) { m_saver = std::move(saver); }
    QString problemText() const;
    void loadFile(const QString &path);

private:
    void kindChanged();
    void submit();
    QLineEdit *fileRow(const QString &placeholder, QWidget **row);

    QComboBox *m_kind;
    QLineEdit *m_name, *m_merchantId, *m_appId, *m_serial, *m_keyFile, *m_apiV3Key, *m_publicKeyId, *m_publicKeyFile,
        *m_certFile, *m_gateway, *m_notify;
    QWidget *m_keyRow = nullptr, *m_publicKeyRow = nullptr, *m_certRow = nullptr;
    QLabel *m_problem;
    std::optional<ChannelProfile> m_loaded; ///< from a profile file (its secrets stay in memory only)
    std::function<Status(const ChannelProfile &)> m_saver;
};

} // namespace paydesk::ui
