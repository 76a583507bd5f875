#include "ChannelProfilesBox.h"

#include "ChannelSetup.h"
#include "Labels.h"
#include "MessageBox.h"
#include "channels/ChannelProfileStore.h"
#include "channels/ChannelRegistry.h"
#include "channels/PaymentChannel.h"
#include "crypto/Crypto.h"
#include "services/Services.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPointer>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>
#include <QUuid>
#include <QVBoxLayout>

namespace paydesk::ui {

// ---- the box on the Settings page ----------------------------------------------------------

ChannelProfilesBox::ChannelProfilesBox(UiContext &ctx, bool admin, QWidget *parent)
    : QGroupBox(tr("Payment channels"), parent), m_ctx(ctx), m_admin(admin), m_table(new QTableWidget(this)),
      m_connected(new QLabel(this)), m_status(new QLabel(this)), m_add(new QPushButton(tr("Add or re&place…"), this)),
      m_test(new QPushButton(tr("&Test"), this)), m_remove(new QPushButton(tr("Re&move…"), this))
{
    setObjectName(QStringLiteral("channelProfiles"));
    auto *layout = new QVBoxLayout(this);
    m_connected->setWordWrap(true);
    m_connected->setObjectName(QStringLiteral("channelsConnected"));
    layout->addWidget(m_connected);
    m_table->setColumnCount(4);
    m_table->setHorizontalHeaderLabels({tr("Channel"), tr("Name"), tr("App / merchant"), tr("Gateway")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setTabKeyNavigation(false);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setMinimumHeight(m_table->fontMetrics().height() * 5);
    m_table->setAccessibleName(tr("Channel profiles"));
    layout->addWidget(m_table, 1);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_add);
    buttons->addWidget(m_test);
    buttons->addWidget(m_remove);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    auto *note = new QLabel(tr("Merchant private keys and the APIv3 key go into the system keychain (or the encrypted "
                               "secrets file named by PAYDESK_SECRET_FILE), never into the database."),
                            this);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(note);
    m_status->setWordWrap(true);
    m_status->setObjectName(QStringLiteral("channelStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);
    m_add->setObjectName(QStringLiteral("addChannel"));
    m_test->setObjectName(QStringLiteral("testChannel"));
    m_remove->setObjectName(QStringLiteral("removeChannel"));
    connect(m_add, &QPushButton::clicked, this, &ChannelProfilesBox::addOrReplace);
    connect(m_test, &QPushButton::clicked, this, &ChannelProfilesBox::test);
    connect(m_remove, &QPushButton::clicked, this, &ChannelProfilesBox::remove);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &ChannelProfilesBox::updateButtons);
    reload();
}

QString ChannelProfilesBox::statusText() const { return m_status->text(); }

std::optional<ChannelKind> ChannelProfilesBox::selectedKind() const
{
    const int row = m_table->currentRow();
    if (row < 0 || !m_table->item(row, 0))
        return std::nullopt;
    return fromString<ChannelKind>(m_table->item(row, 0)->data(Qt::UserRole).toString());
}

void ChannelProfilesBox::reload()
{
    const ChannelRegistry &registry = m_ctx.services.channels;
    QStringList connected;
    for (ChannelKind k : ChannelSetup::choices(registry))
        connected << ChannelSetup::label(registry, k);
    QString text = tr("Connected now: %1.").arg(connected.isEmpty() ? tr("none") : QLocale().createSeparatedList(connected));
    if (m_ctx.demo)
        text += u' ' + tr("This is the offline demo: every channel is simulated, whatever is stored below.");
    m_connected->setText(text);

    NoSecretStore none;
    auto profiles = ChannelProfileStore(*m_ctx.services.db, none, m_ctx.services.audit, m_ctx.services.users, *m_ctx.services.clock).list();
    m_table->setRowCount(0);
    if (!profiles) {
        m_status->setText(profiles.error().message);
    } else {
        m_table->setRowCount(int(profiles->size()));
        for (int r = 0; r < profiles->size(); ++r) {
            const ChannelProfile &p = profiles->at(r);
            auto *kind = new QTableWidgetItem(Labels::of(p.kind));
            kind->setData(Qt::UserRole, toString(p.kind));
            m_table->setItem(r, 0, kind);
            m_table->setItem(r, 1, new QTableWidgetItem(p.name));
            m_table->setItem(r, 2, new QTableWidgetItem(p.merchantId.isEmpty() ? p.appId : tr("%1 / %2").arg(p.appId, p.merchantId)));
            m_table->setItem(r, 3, new QTableWidgetItem(p.gatewayUrl));
        }
        if (profiles->isEmpty() && m_status->text().isEmpty())
            m_status->setText(tr("No WeChat Pay or Alipay profile is stored yet."));
    }
    m_table->resizeColumnsToContents();
    m_table->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
    updateButtons();
}

void ChannelProfilesBox::updateButtons()
{
    const QString adminOnly = tr("Only an ADMIN can change the payment channels.");
    const bool selected = selectedKind().has_value();
    m_add->setEnabled(m_admin);
    m_add->setToolTip(m_admin ? tr("Enter a WeChat Pay or Alipay merchant profile (replaces one of the same channel)") : adminOnly);
    m_test->setEnabled(m_admin && selected);
    m_test->setToolTip(!m_admin ? adminOnly
                       : selected ? tr("One signed request to the channel and a verified answer")
                                  : tr("Select a profile first."));
    m_remove->setEnabled(m_admin && selected);
    m_remove->setToolTip(!m_admin ? adminOnly : selected ? tr("Forget the profile and its secrets") : tr("Select a profile first."));
}

Status ChannelProfilesBox::save(const ChannelProfile &profile)
{
    if (Status s = profile.validate(); !s)
        return s;
    auto secrets = ChannelSetup::openSecrets(m_ctx.services);
    if (!secrets)
        return secrets.error();
    ChannelProfileStore store(*m_ctx.services.db, *secrets.value(), m_ctx.services.audit, m_ctx.services.users, *m_ctx.services.clock);
    if (Status s = store.save(profile, m_ctx.user.login); !s)
        return s;
    QString done = tr("Saved the %1 profile; its secrets are in %2.").arg(Labels::of(profile.kind), secrets.value()->location());
    if (!m_ctx.demo) {
        // Connect it now, as at start (the stored profiles, each in its auditing wrapper).
        const ChannelLoadReport report = addConfiguredChannels(store, m_ctx.services.channels, *m_ctx.services.clock);
        emit channelsChanged();
        if (!report.errors.isEmpty())
            return report.errors.first();
        done += u' ' + tr("Connected.");
    }
    m_status->setText(done);
    emit message(done);
    reload();
    return {};
}

void ChannelProfilesBox::addOrReplace()
{
    if (!m_admin)
        return;
    ChannelProfileDialog dialog(this);
    dialog.setSaver([this](const ChannelProfile &p) { return save(p); });
    dialog.exec();
}

void ChannelProfilesBox::test()
{
    const auto kind = selectedKind();
    if (!kind || !m_admin)
        return;
    auto secrets = ChannelSetup::openSecrets(m_ctx.services);
    if (!secrets) {
        m_status->setText(secrets.error().message);
        return;
    }
    ChannelProfileStore store(*m_ctx.services.db, *secrets.value(), m_ctx.services.audit, m_ctx.services.users, *m_ctx.services.clock);
    auto profile = store.load(*kind);
    if (!profile) {
        m_status->setText(profile.error().message);
        return;
    }
    auto made = makeChannel(profile.value(), *m_ctx.services.clock);
    crypto::wipe(profile.value().privateKeyPem);
    crypto::wipe(profile.value().apiV3Key);
    if (!made) {
        m_status->setText(made.error().message);
        return;
    }
    // Asking about a payment that does not exist is harmless: a signed, verified "no such
    // payment" proves the keys on both sides.
    PaymentChannel *channel = made.value().release();
    channel->setParent(this);
    const QString name = Labels::of(*kind);
    m_test->setEnabled(false);
    m_status->setText(tr("Testing %1…").arg(name));
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    auto finished = std::make_shared<bool>(false);
    const QString probe = QStringLiteral("PDTEST") + QUuid::createUuid().toString(QUuid::Id128).left(20).toUpper();
    QPointer<ChannelProfilesBox> self(this);
    auto end = [self, channel, finished](const QString &text) {
        if (*finished)
            return;
        *finished = true;
        channel->deleteLater();
        if (!self)
            return;
        self->m_status->setText(text);
        emit self->message(text);
        self->updateButtons();
    };
    channel->queryPayment(probe, this, [end, name, timer](const ChannelReply<PaymentStatus> &r) {
        if (r.ok() || r.error().kind == ChannelError::Kind::NotFound)
            end(tr("%1: ok in %2 ms (signed request accepted, signed answer verified).").arg(name).arg(timer->elapsed()));
        else
            end(tr("%1: the test failed: %2").arg(name, r.error().describe()));
    });
    QTimer::singleShot(20'000, this, [end, name] { end(tr("%1: no answer within 20 s.").arg(name)); });
}

void ChannelProfilesBox::remove()
{
    const auto kind = selectedKind();
    if (!kind || !m_admin)
        return;
    if (MessageBox::question(this, tr("Remove channel"),
                             tr("Remove the %1 profile and its secrets?\n\nNo new payments can be taken on %1 until a "
                                "profile is added again.")
                                 .arg(Labels::of(*kind)))
        != QMessageBox::Yes)
        return;
    auto secrets = ChannelSetup::openSecrets(m_ctx.services);
    if (!secrets) {
        m_status->setText(secrets.error().message);
        return;
    }
    ChannelProfileStore store(*m_ctx.services.db, *secrets.value(), m_ctx.services.audit, m_ctx.services.users, *m_ctx.services.clock);
    if (Status s = store.remove(*kind, m_ctx.user.login); !s) {
        m_status->setText(s.error().message);
        return;
    }
    const QString done = m_ctx.demo ? tr("Removed the %1 profile.").arg(Labels::of(*kind))
                                    : tr("Removed the %1 profile; restart PayDesk to disconnect the channel.").arg(Labels::of(*kind));
    m_status->setText(done);
    emit message(done);
    reload();
}

// ---- the form --------------------------------------------------------------------------------

ChannelProfileDialog::ChannelProfileDialog(QWidget *parent)
    : QDialog(parent), m_kind(new QComboBox(this)), m_name(new QLineEdit(this)), m_merchantId(new QLineEdit(this)),
      m_appId(new QLineEdit(this)), m_serial(new QLineEdit(this)), m_keyFile(nullptr), m_apiV3Key(new QLineEdit(this)),
      m_publicKeyId(new QLineEdit(this)), m_publicKeyFile(nullptr), m_certFile(nullptr), m_gateway(new QLineEdit(this)),
      m_notify(new QLineEdit(this)), m_problem(new QLabel(this))
{
    setWindowTitle(tr("Payment channel profile"));
    setObjectName(QStringLiteral("channelProfileDialog"));
    auto *layout = new QVBoxLayout(this);
    auto *load = new QPushButton(tr("&Load a profile file…"), this);
    load->setToolTip(tr("A JSON profile as \"paydeskctl channel add\" reads it (paydesk-sandbox writes one)"));
    auto *top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Fill in the form, or load a profile file."), this), 1);
    top->addWidget(load);
    layout->addLayout(top);
    auto *form = new QFormLayout;
    m_kind->addItem(Labels::of(ChannelKind::WeChat), toString(ChannelKind::WeChat));
    m_kind->addItem(Labels::of(ChannelKind::Alipay), toString(ChannelKind::Alipay));
    form->addRow(tr("&Channel:"), m_kind);
    m_name->setPlaceholderText(tr("Optional, e.g. Shop 1"));
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Merchant id:"), m_merchantId);
    form->addRow(tr("&App id:"), m_appId);
    m_serial->setPlaceholderText(tr("Serial of the merchant API certificate"));
    form->addRow(tr("Certificate &serial:"), m_serial);
    m_keyFile = fileRow(tr("Merchant private key (PEM file)"), &m_keyRow);
    form->addRow(tr("&Private key:"), m_keyRow);
    m_apiV3Key->setEchoMode(QLineEdit::Password);
    m_apiV3Key->setPlaceholderText(tr("32 characters"));
    form->addRow(tr("API&v3 key:"), m_apiV3Key);
    m_publicKeyId->setPlaceholderText(tr("PUB_KEY_ID_… (with the public key below)"));
    form->addRow(tr("Public &key id:"), m_publicKeyId);
    m_publicKeyFile = fileRow(tr("Platform / Alipay public key (PEM file)"), &m_publicKeyRow);
    form->addRow(tr("P&ublic key:"), m_publicKeyRow);
    m_certFile = fileRow(tr("Optional platform certificate (PEM file)"), &m_certRow);
    form->addRow(tr("Platform c&ertificate:"), m_certRow);
    form->addRow(tr("&Gateway URL:"), m_gateway);
    m_notify->setPlaceholderText(tr("Optional: where the channel posts payment notifications"));
    form->addRow(tr("N&otify URL:"), m_notify);
    layout->addLayout(form);
    m_problem->setWordWrap(true);
    m_problem->setObjectName(QStringLiteral("profileProblem"));
    m_problem->setStyleSheet(QStringLiteral("color: #c62828;"));
    layout->addWidget(m_problem);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons, &QDialogButtonBox::accepted, this, &ChannelProfileDialog::submit);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &ChannelProfileDialog::kindChanged);
    connect(load, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Load a channel profile"), QString(), tr("Profiles (*.json)"));
        if (!path.isEmpty())
            loadFile(path);
    });
    kindChanged();
    resize(560, sizeHint().height());
}

ChannelProfileDialog::~ChannelProfileDialog()
{
    if (m_loaded) {
        crypto::wipe(m_loaded->privateKeyPem);
        crypto::wipe(m_loaded->apiV3Key);
    }
}

QLineEdit *ChannelProfileDialog::fileRow(const QString &placeholder, QWidget **row)
{
    *row = new QWidget(this);
    auto *h = new QHBoxLayout(*row);
    h->setContentsMargins(0, 0, 0, 0);
    auto *edit = new QLineEdit(*row);
    edit->setPlaceholderText(placeholder);
    auto *browse = new QPushButton(tr("Browse…"), *row);
    h->addWidget(edit, 1);
    h->addWidget(browse);
    connect(browse, &QPushButton::clicked, this, [this, edit, placeholder] {
        const QString path = QFileDialog::getOpenFileName(this, placeholder, QString(), tr("PEM files (*.pem *.crt *.key);;All files (*)"));
        if (!path.isEmpty())
            edit->setText(path);
    });
    return edit;
}

QString ChannelProfileDialog::problemText() const { return m_problem->text(); }

void ChannelProfileDialog::kindChanged()
{
    const bool wechat = m_kind->currentData().toString() == toString(ChannelKind::WeChat);
    m_serial->setEnabled(wechat);
    m_apiV3Key->setEnabled(wechat);
    m_publicKeyId->setEnabled(wechat);
    m_certRow->setEnabled(wechat);
    m_merchantId->setPlaceholderText(wechat ? tr("mchid, e.g. 1900000109") : tr("Optional: the seller id"));
    m_appId->setPlaceholderText(wechat ? tr("appid, e.g. wxd678efh567hg6787") : tr("app_id, e.g. 2021000000000000"));
    m_gateway->setPlaceholderText(ChannelProfile::defaultGateway(wechat ? ChannelKind::WeChat : ChannelKind::Alipay));
}

void ChannelProfileDialog::loadFile(const QString &path)
{
    auto p = ChannelProfile::fromFile(path);
    if (!p) {
        m_problem->setText(p.error().message);
        return;
    }
    if (m_loaded) {
        crypto::wipe(m_loaded->privateKeyPem);
        crypto::wipe(m_loaded->apiV3Key);
    }
    m_loaded = p.value();
    m_kind->setCurrentIndex(m_kind->findData(toString(p->kind)));
    m_name->setText(p->name);
    m_merchantId->setText(p->merchantId);
    m_appId->setText(p->appId);
    m_serial->setText(p->merchantSerial);
    m_keyFile->clear();
    m_keyFile->setPlaceholderText(tr("From %1").arg(path));
    m_apiV3Key->clear();
    m_apiV3Key->setPlaceholderText(p->apiV3Key.isEmpty() ? tr("32 characters") : tr("From %1").arg(path));
    m_publicKeyId->setText(p->platformPublicKeyId);
    m_publicKeyFile->clear();
    if (!p->platformPublicKeyPem.isEmpty())
        m_publicKeyFile->setPlaceholderText(tr("From %1").arg(path));
    m_certFile->clear();
    if (!p->platformCertificates.isEmpty())
        m_certFile->setPlaceholderText(tr("%n certificate(s) from the file", nullptr, int(p->platformCertificates.size())));
    m_gateway->setText(p->gatewayUrl);
    m_notify->setText(p->notifyUrl);
    m_problem->clear();
}

Result<ChannelProfile> ChannelProfileDialog::profile() const
{
    const QString kind = m_kind->currentData().toString();
    const bool wechat = kind == toString(ChannelKind::WeChat);
    const bool sameAsLoaded = m_loaded && toString(m_loaded->kind) == kind;
    QJsonObject o{{QStringLiteral("channel"), kind}};
    auto put = [&o](const char *key, const QLineEdit *edit) {
        if (!edit->text().trimmed().isEmpty())
            o.insert(QLatin1String(key), edit->text().trimmed());
    };
    put("name", m_name);
    put("merchant_id", m_merchantId);
    put("app_id", m_appId);
    put("gateway_url", m_gateway);
    put("notify_url", m_notify);
    // A profile file marked as a sandbox's (paydesk-sandbox writes them) stays one: only such a
    // profile may use plain http to loopback.
    if (sameAsLoaded && m_loaded->sandbox)
        o.insert(QStringLiteral("sandbox"), true);
    if (!m_keyFile->text().trimmed().isEmpty())
        o.insert(QStringLiteral("private_key_file"), m_keyFile->text().trimmed());
    else if (sameAsLoaded && !m_loaded->privateKeyPem.isEmpty())
        o.insert(QStringLiteral("private_key"), QString::fromUtf8(m_loaded->privateKeyPem));
    if (!m_publicKeyFile->text().trimmed().isEmpty())
        o.insert(QStringLiteral("platform_public_key_file"), m_publicKeyFile->text().trimmed());
    else if (sameAsLoaded && !m_loaded->platformPublicKeyPem.isEmpty())
        o.insert(QStringLiteral("platform_public_key"), QString::fromUtf8(m_loaded->platformPublicKeyPem));
    if (wechat) {
        put("merchant_serial", m_serial);
        put("platform_public_key_id", m_publicKeyId);
        if (!m_apiV3Key->text().isEmpty())
            o.insert(QStringLiteral("api_v3_key"), m_apiV3Key->text());
        else if (sameAsLoaded && !m_loaded->apiV3Key.isEmpty())
            o.insert(QStringLiteral("api_v3_key"), QString::fromUtf8(m_loaded->apiV3Key));
        if (!m_certFile->text().trimmed().isEmpty())
            o.insert(QStringLiteral("platform_certificate_file"), m_certFile->text().trimmed());
        else if (sameAsLoaded && !m_loaded->platformCertificates.isEmpty()) {
            QJsonArray certs;
            for (const QByteArray &c : m_loaded->platformCertificates)
                certs.append(QString::fromUtf8(c));
            o.insert(QStringLiteral("platform_certificates"), certs);
        }
    }
    if (!o.contains(QStringLiteral("private_key")) && !o.contains(QStringLiteral("private_key_file")))
        return Error::invalid(QStringLiteral("profile.no_key"), tr("Choose the merchant private key (a PEM file)."));
    return ChannelProfile::fromJson(o);
}

void ChannelProfileDialog::submit()
{
    auto p = profile();
    if (!p) {
        m_problem->setText(p.error().message);
        return;
    }
    Status saved = m_saver ? m_saver(p.value()) : Status{};
    crypto::wipe(p.value().privateKeyPem);
    crypto::wipe(p.value().apiV3Key);
    if (!saved) {
        m_problem->setText(saved.error().message);
        return;
    }
    accept();
}

} // namespace paydesk::ui
