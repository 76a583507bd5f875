#include "Cli.h"

#include "Terminal.h"
#include "channels/ChannelProfileStore.h"
#include "channels/SecretStore.h"
#include "services/AuditCheckpoint.h"
#include "demo/DemoSeeder.h"
#include "domain/Json.h"
#include "util/Duration.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QSaveFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstdio>

using namespace paydesk;

namespace {

const char *const kHelp = R"(Usage: paydeskctl [--db URL] [--json] [--user LOGIN] VERB ...

Global options
  --db URL        sqlite:/path/file.db (default: paydesk.db in the data folder) or
                  postgresql://user:password@host:port/database
  --json          machine-readable output on stdout
  --user LOGIN    act as this user; the password comes from PAYDESK_PASSWORD or a prompt
  --time-scale N  run the clock N times faster (demo databases)

Verbs
  init                                   create or upgrade the schema
  demo seed [--orders N] [--days D] [--seed S]
                                         fill a new database with a reproducible demo history
  order create --amount A [--title T] [--buyer B] [--timeout 30m] [--currency CNY] [--free]   (title: "Counter sale")
                                         (--free: a zero total, paid at creation)
  order list [--state S[,S]] [--channel C] [--search TEXT] [--from DATE] [--to DATE]
             [--sort created|no|amount|expires|state|title|buyer] [--asc] [--limit N] [--offset N]
  order show ORDER_NO
  order create ... --channel sim|wechat|alipay [--count N]   counter checkout: prints the QR payload
  order repay ORDER_NO --channel C | order close ORDER_NO | order refresh ORDER_NO
  refund request ORDER_NO (--amount A | --all) --reason R [--payment OUT_TRADE_NO] [--key K]
  refund approve REFUND_NO [--note N] | refund reject REFUND_NO --note N
  refund retry REFUND_NO --note N        send a refund the channel refused again, same number (FINANCE,
                                         not its requester); the timer sends it
  refund list [--state S[,S]] [--order ORDER_NO]
  anomaly list [--state OPEN|RESOLVED] | anomaly resolve ID --note N
  fixup mark-paid --order ORDER_NO --txn TRANSACTION_ID --reason R [--payment OUT_TRADE_NO]
                                         money that arrived without an answer (CLERK/FINANCE)
  fixup approve ID [--note N] | fixup reject ID --note N | fixup list [--state S]
                                         another FINANCE user decides; approve asks the channel first
  shift report | shift close             your shift's Z report since your last close (CLERK/ADMIN)
  day report [--date D] | day close [--date D]   a business day (Beijing) that is over, once
                                         (FINANCE/ADMIN; default yesterday), beside the channels' bills
  closing list                           shifts and days closed, newest first
  sync --once | --until-idle | --daemon [--exit-after 8s]   run the timer headless
  sim ledger [--prefix P] | sim pay OUT_TRADE_NO [--after-close]
  sim script PREFIX --customer never|pay|pay-after-close|pay-twice [--delay 2s]
  sim bill-difference unknown-payment|wrong-amount|missing-refund|paid-after-close REF --channel wechat|alipay
                      [--amount A]       what the simulated channel's bill shows that the books do not
  notify apply --channel C --headers FILE --body FILE
  recon run --channel C --date D [--file F]   reconcile a day against the channel's bill (FINANCE/ADMIN;
                                         fetched from the channel unless --file names one)
  recon list | recon show --channel C --date D   runs, and a day's latest differences
  bill import --channel C --file F --date D  a bill downloaded by hand: stored and reconciled
  bill fetch --channel C --date D --out F    save the channel's bill of that day to a file
  channel add wechat|alipay --profile FILE | channel list | channel test [wechat|alipay] [--timeout MS]
  channel remove wechat|alipay           real channels (add and remove: an ADMIN login)
  user add LOGIN --role CLERK|FINANCE|ADMIN [--name NAME]   (password: PAYDESK_NEW_PASSWORD or prompt)
  user list | user passwd LOGIN | user disable LOGIN | user enable LOGIN
  audit verify [--checkpoint FILE] | audit list [--object OBJ] [--search TEXT] [--limit N]
  audit checkpoint --out FILE            the chain's head signed with a key from the secret store
                                         (never the database); verify --checkpoint FILE later proves
                                         entries up to it were not rewritten
  stats

Channel secrets (private key, APIv3 key) never go into the database: they go to the OS keychain,
or, when PAYDESK_SECRET_PASSPHRASE is set (a server, CI), to an encrypted file:
  PAYDESK_SECRET_PASSPHRASE=...   the file's passphrase (AES-256-GCM, key derived with Argon2id)
  PAYDESK_SECRET_STORE=keychain|file   force one store
  PAYDESK_SECRET_FILE=PATH        where the file lives (default: next to the SQLite file)

Exit codes: 0 ok, 1 refused by a rule, 2 usage, 3 not found, 4 not allowed or login failed,
5 conflict (someone changed it first), 6 database, 7 channel, 8 internal.
)";

Result<qint64> parseDate(const QString &text, bool endOfDay)
{
    QDateTime dt = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!dt.isValid()) {
        const QDate d = QDate::fromString(text, Qt::ISODate);
        if (d.isValid())
            dt = endOfDay ? d.addDays(1).startOfDay() : d.startOfDay();
    }
    if (!dt.isValid())
        return Error::invalid(QStringLiteral("usage"),
                              Cli::tr("\"%1\" is not a date: use YYYY-MM-DD or an ISO 8601 time.").arg(text));
    return dt.toMSecsSinceEpoch();
}

} // namespace

Cli::Cli() : m_out(stdout), m_err(stderr) {}

int Cli::exitCodeFor(const Error &e)
{
    if (e.code == QStringLiteral("usage"))
        return 2;
    switch (e.kind) {
    case Error::Kind::Invalid: return 1;
    case Error::Kind::NotFound: return 3;
    case Error::Kind::Forbidden: return 4;
    case Error::Kind::Conflict: return 5;
    case Error::Kind::Storage: return 6;
    case Error::Kind::Channel: return 7;
    case Error::Kind::Internal: return 8;
    }
    return 8;
}

int Cli::fail(const Error &e)
{
    if (m_json) {
        m_out << QJsonDocument(toJson(e)).toJson(QJsonDocument::Compact) << '\n';
        m_out.flush();
    }
    m_err << "paydeskctl: " << e.message << " [" << e.code << "]\n";
    m_err.flush();
    return exitCodeFor(e);
}

int Cli::usage(const QString &message)
{
    return fail(Error::invalid(QStringLiteral("usage"), message + tr(" (see paydeskctl --help)")));
}

void Cli::emitJson(const QJsonValue &v)
{
    const QJsonDocument doc = v.isArray() ? QJsonDocument(v.toArray()) : QJsonDocument(v.toObject());
    m_out << doc.toJson(QJsonDocument::Indented);
    m_out.flush();
}

void Cli::say(const QString &line)
{
    if (!m_json) {
        m_out << line << '\n';
        m_out.flush();
    }
}

Status Cli::openServices()
{
    auto db = Database::open(m_dbUrl.isEmpty() ? Database::defaultUrl() : m_dbUrl);
    if (!db)
        return db.error();
    std::unique_ptr<Clock> clock;
    if (m_timeScale > 1.0)
        clock = std::make_unique<ScaledClock>(m_timeScale);
    else
        clock = std::make_unique<SystemClock>();
    m_services = std::make_unique<Services>(std::move(db.value()), std::move(clock));
    if (m_services->db->schemaVersion() < Database::latestSchemaVersion())
        if (Status s = m_services->db->migrate(); !s)
            return s;
    // Fake time on real books would run the timer, the refund window, login throttling and
    // the channels' 5-minute signature window on a clock that is not the world's.
    if (m_timeScale > 1.0 && !m_services->settings.isDemo())
        return Error::invalid(QStringLiteral("time_scale.not_demo"),
                              tr("--time-scale runs only on a demo database; %1 is not one.").arg(m_services->db->location().display()));
    return {};
}

Result<User> Cli::loginUser()
{
    if (m_userLogin.isEmpty())
        return Error::forbidden(QStringLiteral("login.required"), tr("This verb needs --user LOGIN."));
    QString password = qEnvironmentVariable("PAYDESK_PASSWORD");
    if (password.isEmpty() && !qEnvironmentVariableIsSet("PAYDESK_PASSWORD")) {
        if (!Terminal::stdinIsTerminal())
            return Error::forbidden(QStringLiteral("login.no_password"),
                                    tr("No password: set PAYDESK_PASSWORD or run from a terminal."));
        password = Terminal::readSecret(tr("Password for %1: ").arg(m_userLogin));
    }
    return m_services->users.login(m_userLogin, password);
}

int Cli::run(const QStringList &arguments)
{
    QStringList rest;
    qsizetype i = 0;
    for (; i < arguments.size(); ++i) {
        const QString &a = arguments[i];
        if (a == QStringLiteral("--json")) {
            m_json = true;
        } else if (a == QStringLiteral("--db") || a == QStringLiteral("--user")) {
            if (i + 1 >= arguments.size())
                return usage(tr("%1 needs a value.").arg(a));
            (a == QStringLiteral("--db") ? m_dbUrl : m_userLogin) = arguments[++i];
        } else if (a == QStringLiteral("--time-scale")) {
            bool ok = false;
            m_timeScale = i + 1 < arguments.size() ? arguments[++i].toDouble(&ok) : 0;
            if (!ok || m_timeScale < 1 || m_timeScale > 10000)
                return usage(tr("--time-scale takes a number from 1 to 10000."));
        } else if (a.startsWith(QStringLiteral("--db="))) {
            m_dbUrl = a.mid(5);
        } else if (a.startsWith(QStringLiteral("--user="))) {
            m_userLogin = a.mid(7);
        } else if (a == QStringLiteral("--help") || a == QStringLiteral("-h")) {
            m_out << kHelp;
            return 0;
        } else if (a == QStringLiteral("--version")) {
            m_out << "paydeskctl " << QCoreApplication::applicationVersion() << '\n';
            return 0;
        } else {
            break;
        }
    }
    for (; i < arguments.size(); ++i) {
        if (arguments[i] == QStringLiteral("--json"))
            m_json = true;
        else
            rest << arguments[i];
    }
    if (rest.isEmpty())
        return usage(tr("No verb given."));
    const QString verb = rest.takeFirst();
    if (Status s = openServices(); !s)
        return fail(s.error());
    if (verb == QStringLiteral("init"))
        return cmdInit(rest);
    if (verb == QStringLiteral("demo"))
        return cmdDemo(rest);
    if (verb == QStringLiteral("order"))
        return cmdOrder(rest);
    if (verb == QStringLiteral("user"))
        return cmdUser(rest);
    if (verb == QStringLiteral("audit"))
        return cmdAudit(rest);
    if (verb == QStringLiteral("stats"))
        return cmdStats(rest);
    if (verb == QStringLiteral("channel"))
        return cmdChannel(rest);
    if (verb == QStringLiteral("refund"))
        return cmdRefund(rest);
    if (verb == QStringLiteral("anomaly"))
        return cmdAnomaly(rest);
    if (verb == QStringLiteral("sync"))
        return cmdSync(rest);
    if (verb == QStringLiteral("sim"))
        return cmdSim(rest);
    if (verb == QStringLiteral("notify"))
        return cmdNotify(rest);
    if (verb == QStringLiteral("recon"))
        return cmdRecon(rest);
    if (verb == QStringLiteral("bill"))
        return cmdBill(rest);
    if (verb == QStringLiteral("fixup"))
        return cmdFixup(rest);
    if (verb == QStringLiteral("shift") || verb == QStringLiteral("day") || verb == QStringLiteral("closing"))
        return cmdClosing(verb, rest);
    return usage(tr("Unknown verb \"%1\".").arg(verb));
}

// ---- init ---------------------------------------------------------------------------------

int Cli::cmdInit(const QStringList &argv)
{
    auto args = Args::parse(argv, {{}, {}});
    if (!args)
        return fail(args.error());
    Services &s = *m_services;
    const int version = s.db->schemaVersion();
    auto users = s.users.count();
    if (!users)
        return fail(users.error());
    QJsonObject out{{QStringLiteral("database"), s.db->location().display()}, {QStringLiteral("schema_version"), version}};
    if (users.value() == 0 && Terminal::stdinIsTerminal() && !m_json) {
        // A real database starts with one administrator whose password the operator chooses.
        const QString p1 = Terminal::readSecret(tr("Choose a password for the administrator \"admin\": "));
        const QString p2 = Terminal::readSecret(tr("Repeat it: "));
        if (p1 != p2)
            return fail(Error::invalid(QStringLiteral("user.password_mismatch"), tr("The two passwords differ; nothing was created.")));
        auto admin = s.users.add(QString(), QStringLiteral("admin"), tr("Administrator"), Role::Admin, p1);
        if (!admin)
            return fail(admin.error());
        out.insert(QStringLiteral("admin_created"), true);
        say(tr("Created the administrator \"admin\"."));
    } else if (users.value() == 0) {
        out.insert(QStringLiteral("admin_created"), false);
        say(tr("No users yet. Add the first administrator with: paydeskctl user add admin --role ADMIN"));
    }
    say(tr("Database %1 is at schema version %2.").arg(s.db->location().display()).arg(version));
    if (m_json)
        emitJson(out);
    return 0;
}

// ---- demo ---------------------------------------------------------------------------------

int Cli::cmdDemo(const QStringList &argv)
{
    auto args = Args::parse(argv, {{QStringLiteral("orders"), QStringLiteral("days"), QStringLiteral("seed")}, {}});
    if (!args)
        return fail(args.error());
    if (args->positional != QStringList{QStringLiteral("seed")})
        return usage(tr("Use: demo seed [--orders N] [--days D] [--seed S]."));
    DemoSeeder::Options opt;
    bool ok = true;
    if (args->has(QStringLiteral("orders")))
        opt.orders = args->value(QStringLiteral("orders")).toInt(&ok);
    if (ok && args->has(QStringLiteral("days")))
        opt.days = args->value(QStringLiteral("days")).toInt(&ok);
    if (ok && args->has(QStringLiteral("seed")))
        opt.seed = args->value(QStringLiteral("seed")).toUInt(&ok);
    if (!ok)
        return usage(tr("--orders, --days and --seed take whole numbers."));
    Services &s = *m_services;
    DemoSeeder seeder(*s.db, s.users, s.settings, *s.clock);
    QElapsedTimer timer;
    timer.start();
    bool progressShown = false;
    auto sum = seeder.seed(opt, [this, &progressShown](int done, int total) {
        if (!m_json && total > 0) {
            m_err << '\r' << tr("Seeding %1 / %2 orders").arg(done).arg(total);
            m_err.flush();
            progressShown = true;
        }
    });
    if (progressShown) {
        m_err << '\n';
        m_err.flush();
    }
    if (!sum)
        return fail(sum.error());
    const qint64 ms = timer.elapsed();
    if (m_json) {
        emitJson(QJsonObject{{QStringLiteral("orders"), sum->orders}, {QStringLiteral("pending"), sum->pending},
                             {QStringLiteral("paid"), sum->paid}, {QStringLiteral("closed"), sum->closed},
                             {QStringLiteral("refunds"), sum->refunds}, {QStringLiteral("anomalies"), sum->anomalies},
                             {QStringLiteral("audit_entries"), sum->auditEntries}, {QStringLiteral("elapsed_ms"), ms}});
    } else {
        say(tr("Seeded %1 orders (%2 pending, %3 paid, %4 closed), %5 refunds, %6 anomalies in %7 ms. "
               "Demo logins: clerk/clerk, finance/finance, admin/admin.")
                .arg(sum->orders).arg(sum->pending).arg(sum->paid).arg(sum->closed).arg(sum->refunds)
                .arg(sum->anomalies).arg(ms));
    }
    return 0;
}

// ---- order --------------------------------------------------------------------------------

int Cli::cmdOrder(const QStringList &argv)
{
    if (argv.isEmpty())
        return usage(tr("Use: order create|list|show."));
    const QString sub = argv.first();
    const QStringList rest = argv.mid(1);
    Services &s = *m_services;

    if (sub == QStringLiteral("repay") || sub == QStringLiteral("close") || sub == QStringLiteral("refresh")
        || (sub == QStringLiteral("create") && (rest.contains(QStringLiteral("--channel")) || rest.contains(QStringLiteral("--count")))))
        return cmdOrderAction(sub, rest);
    if (sub == QStringLiteral("create")) {
        auto args = Args::parse(rest, {{QStringLiteral("amount"), QStringLiteral("title"), QStringLiteral("buyer"),
                                        QStringLiteral("timeout"), QStringLiteral("currency")}, {QStringLiteral("free")}});
        if (!args)
            return fail(args.error());
        if (!args->positional.isEmpty())
            return usage(tr("Unexpected argument \"%1\".").arg(args->positional.first()));
        if (!args->has(QStringLiteral("amount")))
            return fail(Error::invalid(QStringLiteral("money.empty"), tr("Enter an amount with --amount.")));
        auto user = loginUser();
        if (!user)
            return fail(user.error());
        NewOrder req;
        req.amount = args->value(QStringLiteral("amount"));
        req.title = args->has(QStringLiteral("title")) ? args->value(QStringLiteral("title")) : defaultTitle();
        req.buyer = args->value(QStringLiteral("buyer"));
        req.currency = args->value(QStringLiteral("currency"), QStringLiteral("CNY"));
        req.zeroTotal = args->flag(QStringLiteral("free"));
        if (args->has(QStringLiteral("timeout"))) {
            auto t = Duration::parseMs(args->value(QStringLiteral("timeout")));
            if (!t)
                return fail(t.error());
            req.timeoutMs = t.value();
            if (req.timeoutMs == 0)
                return fail(Error::invalid(QStringLiteral("order.bad_timeout"), tr("The pay timeout must be at least 1 second.")));
        }
        auto order = s.orderService.create(user.value(), req);
        if (!order)
            return fail(order.error());
        if (m_json)
            emitJson(toJson(order.value()));
        else
            say(tr("Created order %1 for %2, %3, pay by %4.")
                    .arg(order->orderNo, order->amount().toPlainString() + u' ' + order->currency, toString(order->state),
                         isoTime(order->expiresAt)));
        return 0;
    }

    if (sub == QStringLiteral("list")) {
        auto args = Args::parse(rest, {{QStringLiteral("state"), QStringLiteral("channel"), QStringLiteral("search"),
                                        QStringLiteral("from"), QStringLiteral("to"), QStringLiteral("limit"),
                                        QStringLiteral("offset"), QStringLiteral("sort")},
                                       {QStringLiteral("asc")}});
        if (!args)
            return fail(args.error());
        OrderFilter f;
        if (args->has(QStringLiteral("state"))) {
            const QStringList names = args->value(QStringLiteral("state")).split(u',', Qt::SkipEmptyParts);
            for (const QString &n : names) {
                const auto st = fromString<OrderState>(n.trimmed());
                if (!st)
                    return usage(tr("Unknown state \"%1\"; use PENDING, PAID, PARTIALLY_REFUNDED, REFUNDED or CLOSED.").arg(n));
                f.states << *st;
            }
        }
        if (args->has(QStringLiteral("channel"))) {
            f.channel = fromString<ChannelKind>(args->value(QStringLiteral("channel")));
            if (!f.channel)
                return usage(tr("Unknown channel \"%1\"; use wechat, alipay or sim.").arg(args->value(QStringLiteral("channel"))));
        }
        f.search = args->value(QStringLiteral("search"));
        for (const auto &[key, end] : {std::pair{QStringLiteral("from"), false}, std::pair{QStringLiteral("to"), true}}) {
            if (!args->has(key))
                continue;
            auto t = parseDate(args->value(key), end);
            if (!t)
                return fail(t.error());
            (end ? f.createdTo : f.createdFrom) = t.value();
        }
        bool ok = true;
        if (args->has(QStringLiteral("limit")))
            f.limit = args->value(QStringLiteral("limit")).toInt(&ok);
        if (!ok || f.limit < 1 || f.limit > 100000)
            return usage(tr("--limit takes a number from 1 to 100000."));
        if (args->has(QStringLiteral("offset")))
            f.offset = args->value(QStringLiteral("offset")).toLongLong(&ok);
        if (!ok || f.offset < 0)
            return usage(tr("--offset takes a number from 0."));
        static const QHash<QString, OrderFilter::Sort> sorts{
            {QStringLiteral("created"), OrderFilter::Sort::CreatedAt}, {QStringLiteral("no"), OrderFilter::Sort::OrderNo},
            {QStringLiteral("amount"), OrderFilter::Sort::Amount},     {QStringLiteral("expires"), OrderFilter::Sort::ExpiresAt},
            {QStringLiteral("state"), OrderFilter::Sort::State},       {QStringLiteral("title"), OrderFilter::Sort::Title},
            {QStringLiteral("buyer"), OrderFilter::Sort::Buyer}};
        if (args->has(QStringLiteral("sort"))) {
            if (!sorts.contains(args->value(QStringLiteral("sort"))))
                return usage(tr("Unknown sort \"%1\".").arg(args->value(QStringLiteral("sort"))));
            f.sort = sorts.value(args->value(QStringLiteral("sort")));
        }
        f.descending = !args->flag(QStringLiteral("asc"));
        auto orders = s.orders.list(f);
        if (!orders)
            return fail(orders.error());
        if (m_json) {
            QJsonArray arr;
            for (const Order &o : orders.value())
                arr.append(toJson(o));
            emitJson(arr);
        } else {
            for (const Order &o : orders.value())
                m_out << QStringLiteral("%1  %2  %3  %4  %5\n")
                             .arg(o.orderNo, -22)
                             .arg(QDateTime::fromMSecsSinceEpoch(o.createdAt).toString(QStringLiteral("yyyy-MM-dd HH:mm")))
                             .arg(o.amount().toPlainString(), 12)
                             .arg(toString(o.state), -18)
                             .arg(o.title);
            m_out.flush();
        }
        return 0;
    }

    if (sub == QStringLiteral("show")) {
        auto args = Args::parse(rest, {{}, {}});
        if (!args)
            return fail(args.error());
        if (args->positional.size() != 1)
            return usage(tr("Use: order show ORDER_NO."));
        auto order = s.orders.byNo(args->positional.first());
        if (!order)
            return fail(order.error());
        auto attempts = s.orders.attemptsOf(order->id);
        if (!attempts)
            return fail(attempts.error());
        if (m_json) {
            QJsonObject o = toJson(order.value());
            QJsonArray arr;
            for (const PaymentAttempt &a : attempts.value())
                arr.append(toJson(a));
            o.insert(QStringLiteral("attempts"), arr);
            emitJson(o);
        } else {
            const Order &o = order.value();
            m_out << tr("Order %1: %2\n").arg(o.orderNo, o.title)
                  << tr("  amount %1 %2, state %3, buyer %4\n").arg(o.amount().toPlainString(), o.currency, toString(o.state), o.buyer)
                  << tr("  created %1, pay by %2\n").arg(isoTime(o.createdAt), isoTime(o.expiresAt));
            for (const PaymentAttempt &a : attempts.value())
                m_out << tr("  payment %1 via %2: %3\n").arg(a.outTradeNo, toString(a.channel), toString(a.state));
            m_out.flush();
        }
        return 0;
    }
    return usage(tr("Unknown order verb \"%1\".").arg(sub));
}

// ---- user ---------------------------------------------------------------------------------

int Cli::cmdUser(const QStringList &argv)
{
    if (argv.isEmpty())
        return usage(tr("Use: user add|list|passwd|disable|enable."));
    const QString sub = argv.first();
    Services &s = *m_services;
    auto args = Args::parse(argv.mid(1), {{QStringLiteral("role"), QStringLiteral("name")}, {}});
    if (!args)
        return fail(args.error());

    if (sub == QStringLiteral("list")) {
        auto users = s.users.list();
        if (!users)
            return fail(users.error());
        if (m_json) {
            QJsonArray arr;
            for (const User &u : users.value())
                arr.append(toJson(u));
            emitJson(arr);
        } else {
            for (const User &u : users.value())
                m_out << QStringLiteral("%1  %2  %3\n").arg(u.login, -16).arg(toString(u.role), -8)
                             .arg(u.active ? tr("active") : tr("disabled"));
            m_out.flush();
        }
        return 0;
    }
    if (args->positional.size() != 1)
        return usage(tr("Use: user %1 LOGIN.").arg(sub));
    const QString login = args->positional.first();

    // Anyone may add the first user of a database (it must be an ADMIN); after that an
    // administrator acts, and a user may change their own password.
    auto count = s.users.count();
    if (!count)
        return fail(count.error());
    QString actor;
    if (count.value() > 0) {
        auto user = loginUser();
        if (!user)
            return fail(user.error());
        actor = user->login;
    }
    auto newPassword = [this, &login]() -> Result<QString> {
        if (qEnvironmentVariableIsSet("PAYDESK_NEW_PASSWORD"))
            return qEnvironmentVariable("PAYDESK_NEW_PASSWORD");
        if (!Terminal::stdinIsTerminal())
            return Error::invalid(QStringLiteral("user.no_password"),
                                  tr("No new password: set PAYDESK_NEW_PASSWORD or run from a terminal."));
        const QString p1 = Terminal::readSecret(tr("New password for %1: ").arg(login));
        if (Terminal::readSecret(tr("Repeat it: ")) != p1)
            return Error::invalid(QStringLiteral("user.password_mismatch"), tr("The two passwords differ; nothing was changed."));
        return p1;
    };

    if (sub == QStringLiteral("add")) {
        const auto role = fromString<Role>(args->value(QStringLiteral("role")));
        if (!role)
            return usage(tr("--role must be CLERK, FINANCE or ADMIN."));
        auto password = newPassword();
        if (!password)
            return fail(password.error());
        auto user = s.users.add(actor, login, args->value(QStringLiteral("name")), *role, password.value());
        if (!user)
            return fail(user.error());
        if (m_json)
            emitJson(toJson(user.value()));
        say(tr("Added %1 (%2).").arg(user->login, toString(user->role)));
        return 0;
    }
    if (sub == QStringLiteral("passwd")) {
        auto password = newPassword();
        if (!password)
            return fail(password.error());
        if (Status st = s.users.setPassword(actor, login, password.value()); !st)
            return fail(st.error());
        say(tr("Changed the password of %1.").arg(login));
        if (m_json)
            emitJson(QJsonObject{{QStringLiteral("login"), login}, {QStringLiteral("password_changed"), true}});
        return 0;
    }
    if (sub == QStringLiteral("disable") || sub == QStringLiteral("enable")) {
        const bool enable = sub == QStringLiteral("enable");
        if (Status st = s.users.setActive(actor, login, enable); !st)
            return fail(st.error());
        say(enable ? tr("Enabled %1.").arg(login) : tr("Disabled %1.").arg(login));
        if (m_json)
            emitJson(QJsonObject{{QStringLiteral("login"), login}, {QStringLiteral("active"), enable}});
        return 0;
    }
    return usage(tr("Unknown user verb \"%1\".").arg(sub));
}

// ---- audit --------------------------------------------------------------------------------

int Cli::cmdAudit(const QStringList &argv)
{
    if (argv.isEmpty())
        return usage(tr("Use: audit verify|checkpoint|list."));
    const QString sub = argv.first();
    Services &s = *m_services;
    auto args = Args::parse(argv.mid(1), {{QStringLiteral("object"), QStringLiteral("search"), QStringLiteral("limit"),
                                           QStringLiteral("out"), QStringLiteral("checkpoint")}, {}});
    if (!args)
        return fail(args.error());
    if (sub == QStringLiteral("checkpoint")) {
        if (!args->has(QStringLiteral("out")))
            return usage(tr("Use: audit checkpoint --out FILE."));
        auto secrets = SecretStore::openDefault(ChannelProfileStore::defaultSecretFile(*s.db));
        if (!secrets)
            return fail(secrets.error());
        auto key = AuditCheckpoint::key(*secrets.value(), true);
        if (!key)
            return fail(key.error());
        auto cp = AuditCheckpoint::make(s.audit, key.value(), s.clock->nowMs(), s.db->location().display());
        if (!cp)
            return fail(cp.error());
        QSaveFile out(args->value(QStringLiteral("out")));
        if (!out.open(QIODevice::WriteOnly) || out.write(QJsonDocument(cp->toJson()).toJson()) < 0 || !out.commit())
            return fail(Error::storage(tr("Cannot write %1: %2").arg(out.fileName(), out.errorString())));
        if (m_json)
            emitJson(cp->toJson());
        else
            say(tr("Checkpoint of %1 audit entries written to %2 (key %3 in %4). Keep it outside the database.")
                    .arg(cp->seq).arg(out.fileName(), cp->keyId, secrets.value()->location()));
        return 0;
    }
    if (sub == QStringLiteral("verify") && args->has(QStringLiteral("checkpoint"))) {
        QFile f(args->value(QStringLiteral("checkpoint")));
        if (!f.open(QIODevice::ReadOnly))
            return fail(Error::notFound(QStringLiteral("checkpoint.missing"), tr("Cannot read %1: %2").arg(f.fileName(), f.errorString())));
        auto cp = AuditCheckpoint::fromJson(f.read(64 * 1024));
        if (!cp)
            return fail(cp.error());
        auto secrets = SecretStore::openDefault(ChannelProfileStore::defaultSecretFile(*s.db));
        if (!secrets)
            return fail(secrets.error());
        auto key = AuditCheckpoint::key(*secrets.value(), false);
        if (!key)
            return fail(key.error());
        auto c = AuditCheckpoint::verify(s.audit, cp.value(), key.value());
        if (!c)
            return fail(c.error());
        if (m_json)
            emitJson(QJsonObject{{QStringLiteral("intact"), c->intact}, {QStringLiteral("checked"), c->checked},
                                 {QStringLiteral("checkpoint_seq"), cp->seq},
                                 {QStringLiteral("first_broken_seq"), c->intact ? QJsonValue() : QJsonValue(c->firstBrokenSeq)},
                                 {QStringLiteral("problem"), c->problem}});
        if (!c->intact) {
            m_err << tr("paydeskctl: the audit log does not match the checkpoint: %1 (entry %2).").arg(c->problem).arg(c->firstBrokenSeq)
                  << " [audit.broken]\n";
            m_err.flush();
            return 1;
        }
        say(tr("ok: %1 audit entries, the chain is intact and entries 1 to %2 are the ones the checkpoint signed.")
                .arg(c->checked).arg(cp->seq));
        return 0;
    }
    if (sub == QStringLiteral("verify")) {
        auto v = s.audit.verify();
        if (!v)
            return fail(v.error());
        if (m_json)
            emitJson(QJsonObject{{QStringLiteral("intact"), v->intact}, {QStringLiteral("checked"), v->checked},
                                 {QStringLiteral("first_broken_seq"), v->intact ? QJsonValue() : QJsonValue(v->firstBrokenSeq)},
                                 {QStringLiteral("problem"), v->problem}});
        if (!v->intact) {
            m_err << tr("paydeskctl: the audit chain is broken at entry %1: %2 (%3 entries before it are intact).")
                         .arg(v->firstBrokenSeq).arg(v->problem).arg(v->firstBrokenSeq - 1)
                  << " [audit.broken]\n";
            m_err.flush();
            return 1;
        }
        say(tr("ok: %1 audit entries, the chain is intact.").arg(v->checked));
        return 0;
    }
    if (sub == QStringLiteral("list")) {
        AuditLog::Filter f;
        f.object = args->value(QStringLiteral("object"));
        f.text = args->value(QStringLiteral("search"));
        bool ok = true;
        if (args->has(QStringLiteral("limit")))
            f.limit = args->value(QStringLiteral("limit")).toInt(&ok);
        if (!ok || f.limit < 1)
            return usage(tr("--limit takes a positive number."));
        auto entries = s.audit.list(f);
        if (!entries)
            return fail(entries.error());
        if (m_json) {
            QJsonArray arr;
            for (const AuditEntry &e : entries.value())
                arr.append(toJson(e));
            emitJson(arr);
        } else {
            for (const AuditEntry &e : entries.value())
                m_out << QStringLiteral("%1  %2  %3  %4  %5  %6\n")
                             .arg(e.seq, 8).arg(isoTime(e.at)).arg(e.user, -10).arg(e.action, -22).arg(e.object)
                             .arg(QString::fromUtf8(QJsonDocument(e.details).toJson(QJsonDocument::Compact)));
            m_out.flush();
        }
        return 0;
    }
    return usage(tr("Unknown audit verb \"%1\".").arg(sub));
}

// ---- stats --------------------------------------------------------------------------------

int Cli::cmdStats(const QStringList &argv)
{
    if (!argv.isEmpty())
        return usage(tr("stats takes no arguments."));
    Services &s = *m_services;
    QJsonObject byState;
    for (OrderState st : {OrderState::Pending, OrderState::Paid, OrderState::PartiallyRefunded, OrderState::Refunded, OrderState::Closed}) {
        OrderFilter f;
        f.states = {st};
        auto n = s.orders.count(f);
        if (!n)
            return fail(n.error());
        byState.insert(toString(st), n.value());
    }
    if (m_json) {
        emitJson(QJsonObject{{QStringLiteral("orders_by_state"), byState}});
    } else {
        for (auto it = byState.begin(); it != byState.end(); ++it)
            m_out << QStringLiteral("%1 %2\n").arg(it.key(), -20).arg(it.value().toInteger());
        m_out.flush();
    }
    return 0;
}
