#include "Cli.h"

#include "domain/Json.h"
#include "domain/SystemText.h"
#include "sync/LateLook.h"
#include "sync/ReconScheduler.h"
#include "sync/SyncEngine.h"
#include "util/Duration.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <QUuid>

#include <csignal>
#include <functional>

using namespace paydesk;

namespace {

/// Runs the event loop until `done` has been called by an asynchronous core call.
template <typename T>
Result<T> await(const std::function<void(QObject *, std::function<void(const Result<T> &)>)> &start)
{
    QEventLoop loop;
    std::optional<Result<T>> out;
    start(&loop, [&](const Result<T> &r) {
        out = r;
        loop.quit();
    });
    if (!out)
        loop.exec();
    return *out;
}

void waitForTask(PayTask *task)
{
    if (!task || task->state() != PayTask::State::Running)
        return;
    QEventLoop loop;
    QObject::connect(task, &PayTask::finished, &loop, &QEventLoop::quit);
    loop.exec();
}

QJsonObject startedJson(const PaymentService::Started &st, const PayTask *task)
{
    QJsonObject o = toJson(st.order);
    if (st.attempt) {
        PaymentAttempt a = task ? task->attempt() : *st.attempt;
        o.insert(QStringLiteral("out_trade_no"), a.outTradeNo);
        o.insert(QStringLiteral("code_url"), a.codeUrl);
        o.insert(QStringLiteral("payment"), toJson(a));
        if (task && task->state() == PayTask::State::Failed)
            o.insert(QStringLiteral("payment_error"), task->error().message);
    }
    return o;
}

QJsonObject refundRowJson(const RefundService::Row &row)
{
    QJsonObject o = toJson(row.refund);
    o.insert(QStringLiteral("order_no"), row.orderNo);
    o.insert(QStringLiteral("order_title"), row.orderTitle);
    o.insert(QStringLiteral("out_trade_no"), row.outTradeNo);
    return o;
}

Result<QMap<QByteArray, QByteArray>> readHeaders(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error::invalid(QStringLiteral("usage"), Cli::tr("Cannot read %1.").arg(path));
    QMap<QByteArray, QByteArray> headers;
    const QByteArray data = f.readAll();
    const QJsonDocument json = QJsonDocument::fromJson(data);
    if (json.isObject()) {
        const QJsonObject o = json.object();
        for (auto it = o.begin(); it != o.end(); ++it)
            headers.insert(it.key().toLatin1(), it.value().toString().toUtf8());
        return headers;
    }
    for (const QByteArray &line : data.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            headers.insert(line.left(colon).trimmed(), line.mid(colon + 1).trimmed());
    }
    return headers;
}

} // namespace

SimulatedChannel *Cli::simulator()
{
    return qobject_cast<SimulatedChannel *>(m_services->channels.channel(ChannelKind::Sim));
}

Status Cli::setupChannels()
{
    if (m_channelsReady)
        return {};
    m_channelsReady = true;
    Services &s = *m_services;
    if (s.settings.isDemo()) {
        // A demo database's orders were taken on every channel: the simulator stands in for
        // WeChat Pay and Alipay too (a configured real profile still replaces its stand-in).
        auto sims = SimulatedChannel::addDemoChannels(s.channels, m_dbUrl.isEmpty() ? Database::defaultUrl() : m_dbUrl, *s.clock);
        if (!sims)
            return sims.error();
        for (SimulatedChannel *sim : std::as_const(sims.value()))
            QObject::connect(sim, &SimulatedChannel::notified, sim, [this](const ChannelNotification &n) {
                auto applied = m_services->reconciler.applyPayment(n.payment, Reconciler::systemUser(), QStringLiteral("notify"));
                if (applied && applied->outcome != Reconciler::Outcome::AlreadyApplied && !m_json) {
                    m_out << tr("notification: payment %1: %2").arg(n.payment.outTradeNo, Reconciler::describe(applied->outcome)) << '\n';
                    m_out.flush();
                }
            });
    }
    return loadStoredChannels();
}

int Cli::cmdOrderAction(const QString &sub, const QStringList &argv)
{
    Services &s = *m_services;
    if (Status st = setupChannels(); !st)
        return fail(st.error());
    auto args = Args::parse(argv, {{QStringLiteral("amount"), QStringLiteral("title"), QStringLiteral("buyer"), QStringLiteral("timeout"),
                                    QStringLiteral("currency"), QStringLiteral("channel"), QStringLiteral("count")},
                                   {QStringLiteral("free")}});
    if (!args)
        return fail(args.error());
    std::optional<ChannelKind> channel;
    if (args->has(QStringLiteral("channel"))) {
        channel = fromString<ChannelKind>(args->value(QStringLiteral("channel")));
        if (!channel)
            return usage(tr("Unknown channel \"%1\"; use wechat, alipay or sim.").arg(args->value(QStringLiteral("channel"))));
    }

    if (sub == QStringLiteral("refresh")) {
        if (args->positional.size() != 1)
            return usage(tr("Use: order refresh ORDER_NO."));
        const QString actor = m_userLogin.isEmpty() ? QStringLiteral("paydeskctl") : m_userLogin;
        auto r = await<PaymentService::Refreshed>([&](QObject *ctx, auto done) { s.payments.refresh(actor, args->positional.first(), ctx, done); });
        if (!r)
            return fail(r.error());
        if (m_json) {
            QJsonObject o = toJson(r->order);
            QJsonArray applied;
            for (const auto &a : r->applied)
                applied.append(QJsonObject{{QStringLiteral("out_trade_no"), a.outTradeNo}, {QStringLiteral("outcome"), Reconciler::describe(a.outcome)}});
            o.insert(QStringLiteral("applied"), applied);
            o.insert(QStringLiteral("problems"), QJsonArray::fromStringList(r->problems));
            emitJson(o);
        } else {
            for (const auto &a : r->applied)
                say(tr("%1: %2").arg(a.outTradeNo, Reconciler::describe(a.outcome)));
            for (const QString &p : r->problems)
                m_err << tr("paydeskctl: %1").arg(p) << '\n';
            say(tr("Order %1 is %2.").arg(r->order.orderNo, toString(r->order.state)));
        }
        return r->problems.isEmpty() ? 0 : 7;
    }

    auto user = loginUser();
    if (!user)
        return fail(user.error());

    if (sub == QStringLiteral("create")) {
        if (!channel)
            return usage(tr("--count needs --channel."));
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
        }
        bool ok = true;
        const int count = args->has(QStringLiteral("count")) ? args->value(QStringLiteral("count")).toInt(&ok) : 1;
        if (!ok || count < 1 || count > 100000)
            return usage(tr("--count takes a number from 1 to 100000."));
        QJsonArray created;
        int failures = 0;
        int failedCode = 0;
        for (int i = 0; i < count; ++i) {
            auto st = s.payments.checkout(user.value(), req, *channel);
            if (!st)
                return fail(st.error());
            // One at a time: each payment is at the channel before the next order is made,
            // so a short pay timeout is not eaten by the orders queued behind it. The task is
            // read as soon as it ends: it deletes itself once the event loop turns again.
            PayTask *task = st->task.data();
            waitForTask(task);
            if (task && task->state() == PayTask::State::Failed && ++failures == 1)
                failedCode = exitCodeFor(task->error()); // 7 at the channel, 5 given up meanwhile
            created.append(startedJson(st.value(), task));
        }
        if (m_json) {
            emitJson(count == 1 ? QJsonValue(created.first()) : QJsonValue(created));
        } else {
            for (const QJsonValue &v : std::as_const(created)) {
                const QJsonObject o = v.toObject();
                say(tr("Created order %1 (%2 %3), payment %4: %5")
                        .arg(o.value(QStringLiteral("order_no")).toString(), o.value(QStringLiteral("amount")).toString(),
                             o.value(QStringLiteral("state")).toString(), o.value(QStringLiteral("out_trade_no")).toString(),
                             o.value(QStringLiteral("payment_error")).toString(o.value(QStringLiteral("code_url")).toString())));
            }
        }
        return failures == 0 ? 0 : failedCode;
    }

    if (args->positional.size() != 1)
        return usage(tr("Use: order %1 ORDER_NO.").arg(sub));
    const QString orderNo = args->positional.first();

    if (sub == QStringLiteral("repay")) {
        if (!channel)
            return usage(tr("Use: order repay ORDER_NO --channel sim|wechat|alipay."));
        auto r = await<PaymentService::Started>([&](QObject *ctx, auto done) { s.payments.repay(user.value(), orderNo, *channel, ctx, done); });
        if (!r)
            return fail(r.error());
        PayTask *task = r->task.data();
        waitForTask(task);
        const QJsonObject o = startedJson(r.value(), task);
        if (m_json)
            emitJson(o);
        else
            say(tr("Order %1: new payment %2, pay by %3: %4")
                    .arg(orderNo, o.value(QStringLiteral("out_trade_no")).toString(), isoTime(r->attempt->expiresAt),
                         o.value(QStringLiteral("payment_error")).toString(o.value(QStringLiteral("code_url")).toString())));
        return task && task->state() == PayTask::State::Failed ? exitCodeFor(task->error()) : 0;
    }

    if (sub == QStringLiteral("close")) {
        auto r = await<PaymentService::Closed>([&](QObject *ctx, auto done) { s.payments.close(user.value(), orderNo, ctx, done); });
        if (!r)
            return fail(r.error());
        if (m_json) {
            QJsonObject o = toJson(r->order);
            o.insert(QStringLiteral("already_closed"), r->alreadyClosed);
            emitJson(o);
        } else {
            say(r->message);
        }
        return 0;
    }
    return usage(tr("Unknown order verb \"%1\".").arg(sub));
}

int Cli::cmdRefund(const QStringList &argv)
{
    if (argv.isEmpty())
        return usage(tr("Use: refund request|approve|reject|retry|list."));
    const QString sub = argv.first();
    Services &s = *m_services;
    auto args = Args::parse(argv.mid(1), {{QStringLiteral("amount"), QStringLiteral("reason"), QStringLiteral("payment"), QStringLiteral("key"),
                                           QStringLiteral("note"), QStringLiteral("state"), QStringLiteral("order"), QStringLiteral("limit")},
                                          {QStringLiteral("all")}});
    if (!args)
        return fail(args.error());

    if (sub == QStringLiteral("list")) {
        RefundService::Filter f;
        for (const QString &n : args->value(QStringLiteral("state")).split(u',', Qt::SkipEmptyParts)) {
            const auto st = fromString<RefundState>(n.trimmed());
            if (!st)
                return usage(tr("Unknown refund state \"%1\".").arg(n));
            f.states << *st;
        }
        f.orderNo = args->value(QStringLiteral("order"));
        auto rows = s.refundService.list(f);
        if (!rows)
            return fail(rows.error());
        if (m_json) {
            QJsonArray arr;
            for (const auto &row : rows.value())
                arr.append(refundRowJson(row));
            emitJson(arr);
        } else {
            for (const auto &row : rows.value())
                m_out << QStringLiteral("%1  %2  %3  %4  %5  %6\n").arg(row.refund.outRefundNo, -24).arg(row.orderNo, -22)
                             .arg(minorToPlain(row.refund.amountMinor, 2), 10).arg(toString(row.refund.state), -10)
                             .arg(row.refund.requestedBy, -8).arg(SystemText::render(row.refund.reason));
            m_out.flush();
        }
        return 0;
    }
    if (args->positional.size() != 1)
        return usage(tr("Use: refund %1 %2.").arg(sub, sub == QStringLiteral("request") ? QStringLiteral("ORDER_NO") : QStringLiteral("REFUND_NO")));
    auto user = loginUser();
    if (!user)
        return fail(user.error());

    if (sub == QStringLiteral("request")) {
        RefundService::Request req;
        req.orderNo = args->positional.first();
        req.all = args->flag(QStringLiteral("all"));
        if (!req.all && !args->has(QStringLiteral("amount")))
            return usage(tr("Give --amount A or --all."));
        req.amount = args->value(QStringLiteral("amount"));
        req.reason = args->value(QStringLiteral("reason"));
        req.outTradeNo = args->value(QStringLiteral("payment"));
        req.requestKey = args->value(QStringLiteral("key"));
        auto r = s.refundService.request(user.value(), req);
        if (!r)
            return fail(r.error());
        if (m_json) {
            QJsonObject o = toJson(r->refund);
            o.insert(QStringLiteral("auto_approved"), r->autoApproved);
            o.insert(QStringLiteral("repeated"), r->repeated);
            emitJson(o);
        } else {
            say(r->repeated ? tr("Already requested as %1 (%2).").arg(r->refund.outRefundNo, toString(r->refund.state))
                            : tr("Requested refund %1 of %2 on order %3: %4.")
                                  .arg(r->refund.outRefundNo, minorToPlain(r->refund.amountMinor, 2), req.orderNo, toString(r->refund.state)));
        }
        return 0;
    }
    if (sub == QStringLiteral("approve") || sub == QStringLiteral("reject") || sub == QStringLiteral("retry")) {
        const QString no = args->positional.first();
        const QString note = args->value(QStringLiteral("note"));
        auto r = sub == QStringLiteral("approve") ? s.refundService.approve(user.value(), no, note)
               : sub == QStringLiteral("reject")  ? s.refundService.reject(user.value(), no, note)
                                                  : s.refundService.retry(user.value(), no, note);
        if (!r)
            return fail(r.error());
        if (m_json) {
            QJsonObject o = toJson(r->refund);
            o.insert(QStringLiteral("repeated"), r->repeated);
            emitJson(o);
        } else {
            say(r->repeated ? tr("Refund %1 was already %2 by %3.").arg(r->refund.outRefundNo, toString(r->refund.state), r->refund.reviewedBy)
                            : tr("Refund %1 is %2.").arg(r->refund.outRefundNo, toString(r->refund.state)));
        }
        return 0;
    }
    return usage(tr("Unknown refund verb \"%1\".").arg(sub));
}

int Cli::cmdAnomaly(const QStringList &argv)
{
    if (argv.isEmpty())
        return usage(tr("Use: anomaly list|resolve."));
    const QString sub = argv.first();
    Services &s = *m_services;
    auto args = Args::parse(argv.mid(1), {{QStringLiteral("state"), QStringLiteral("note")}, {}});
    if (!args)
        return fail(args.error());
    if (sub == QStringLiteral("list")) {
        std::optional<AnomalyState> state;
        if (args->has(QStringLiteral("state"))) {
            state = fromString<AnomalyState>(args->value(QStringLiteral("state")));
            if (!state)
                return usage(tr("--state is OPEN or RESOLVED."));
        }
        auto list = s.refundService.anomalies(state);
        if (!list)
            return fail(list.error());
        QJsonArray arr;
        for (const Anomaly &a : list.value()) {
            QJsonObject o = toJson(a);
            // An anomaly found in a channel's bill may have no order of ours (order_no null);
            // its channel facts (channel, out_trade_no, ...) come with toJson.
            if (a.orderId <= 0)
                o.insert(QStringLiteral("order_no"), QJsonValue::Null);
            else if (auto order = s.orders.byId(a.orderId); order)
                o.insert(QStringLiteral("order_no"), order->orderNo);
            if (a.refundId > 0) {
                if (auto r = s.refunds.byId(a.refundId)) {
                    o.insert(QStringLiteral("refund_no"), r->outRefundNo);
                    o.insert(QStringLiteral("refund_state"), toString(r->state));
                }
            }
            arr.append(o);
        }
        if (m_json) {
            emitJson(arr);
        } else {
            for (const QJsonValue &v : std::as_const(arr)) {
                const QJsonObject o = v.toObject();
                const QString orderNo = o.value(QStringLiteral("order_no")).toString();
                const QString which = !orderNo.isEmpty() || !o.contains(QStringLiteral("out_trade_no"))
                    ? orderNo
                    : tr("(no order) %1").arg(o.value(QStringLiteral("out_trade_no")).toString());
                m_out << QStringLiteral("%1  %2  %3  %4  %5\n").arg(o.value(QStringLiteral("id")).toInteger(), 6)
                             .arg(o.value(QStringLiteral("kind")).toString(), -18).arg(o.value(QStringLiteral("state")).toString(), -9)
                             .arg(which, -22).arg(o.value(QStringLiteral("details")).toString());
            }
            m_out.flush();
        }
        return 0;
    }
    if (sub == QStringLiteral("resolve")) {
        bool ok = false;
        const qint64 id = args->positional.value(0).toLongLong(&ok);
        if (args->positional.size() != 1 || !ok)
            return usage(tr("Use: anomaly resolve ID --note N."));
        auto user = loginUser();
        if (!user)
            return fail(user.error());
        auto a = s.refundService.resolveAnomaly(user.value(), id, args->value(QStringLiteral("note")));
        if (!a)
            return fail(a.error());
        if (m_json)
            emitJson(toJson(a.value()));
        else
            say(tr("Anomaly %1 resolved by %2.").arg(a->id).arg(a->resolvedBy));
        return 0;
    }
    return usage(tr("Unknown anomaly verb \"%1\".").arg(sub));
}

namespace {
volatile std::sig_atomic_t g_stop = 0;
void onSignal(int)
{
    g_stop = 1;
}
} // namespace

int Cli::cmdSync(const QStringList &argv)
{
    auto args = Args::parse(argv, {{QStringLiteral("exit-after")}, {QStringLiteral("once"), QStringLiteral("until-idle"), QStringLiteral("daemon")}});
    if (!args)
        return fail(args.error());
    const int modes = int(args->flag(QStringLiteral("once"))) + int(args->flag(QStringLiteral("until-idle"))) + int(args->flag(QStringLiteral("daemon")));
    if (modes != 1 || !args->positional.isEmpty())
        return usage(tr("Use: sync --once | --until-idle | --daemon [--exit-after DURATION]."));
    if (Status st = setupChannels(); !st)
        return fail(st.error());
    Services &s = *m_services;
    SyncEngine engine(s, SyncEngine::Options{});
    QEventLoop loop;
    auto print = [this](const QString &line) {
        if (m_json) {
            m_out << QJsonDocument(QJsonObject{{QStringLiteral("at"), isoTime(m_services->clock->nowMs())}, {QStringLiteral("action"), line}})
                         .toJson(QJsonDocument::Compact)
                  << '\n';
        } else {
            m_out << isoTime(m_services->clock->nowMs()) << "  " << line << '\n';
        }
        m_out.flush();
    };
    QObject::connect(&engine, &SyncEngine::actionTaken, &loop, print);
    // The engine also closes payments left open on orders that are no longer pending (paid
    // through another QR code, closed while one was being made), so its idle includes that.
    const bool once = args->flag(QStringLiteral("once"));
    const bool untilIdle = args->flag(QStringLiteral("until-idle"));
    // Every mode also makes the late looks that are due (payments that "did not exist"); a run
    // ends once both the engine and that round are done.
    LateLook late(s.orders, s.channels, s.reconciler, *s.clock);
    QObject::connect(&late, &LateLook::actionTaken, &loop, print);
    QObject::connect(&engine, &SyncEngine::booksChanged, &late, &LateLook::rearm);
    bool lateRoundDone = false;
    bool engineWasIdle = false;
    // The engine ran out of due work: --once ends; --until-idle ends unless a quick follow-up
    // (query backoff, a retry in a few seconds) belongs to this run; a daemon goes on.
    std::function<void()> engineIdle = [&]() {
        engineWasIdle = true;
        if ((!once && !untilIdle) || !lateRoundDone)
            return;
        if (once) {
            loop.quit();
            return;
        }
        QTimer::singleShot(50, &loop, [&]() {
            const SyncStatus st = engine.status();
            const qint64 horizon = s.clock->nowMs() + qint64(5000 * s.clock->rate());
            if (engine.isIdle() && (st.nextDueAt == 0 || st.nextDueAt > horizon))
                loop.quit();
        });
    };
    QObject::connect(&engine, &SyncEngine::becameIdle, &loop, [&]() { engineIdle(); });
    QObject::connect(&late, &LateLook::becameIdle, &loop, [&]() {
        const bool first = !lateRoundDone;
        lateRoundDone = true;
        if (first && engineWasIdle)
            engineIdle(); // the engine finished first: its end of run waited for this round
    });
    QTimer::singleShot(0, &late, &LateLook::runDue);
    if (args->has(QStringLiteral("exit-after"))) {
        auto d = Duration::parseMs(args->value(QStringLiteral("exit-after")));
        if (!d)
            return fail(d.error());
        QTimer::singleShot(std::chrono::milliseconds(d.value()), &loop, &QEventLoop::quit);
    }
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    QTimer stopCheck;
    QObject::connect(&stopCheck, &QTimer::timeout, &loop, [&]() {
        if (g_stop)
            loop.quit();
    });
    stopCheck.start(250);
    if (Status st = engine.start(); !st)
        return fail(st.error());
    // A daemon also reconciles the channels' daily bills (from 10:00 Beijing time).
    ReconScheduler recon(s);
    if (args->flag(QStringLiteral("daemon"))) {
        QObject::connect(&recon, &ReconScheduler::actionTaken, &loop, print);
        recon.start();
    }
    loop.exec();
    recon.stop();
    engine.stop();
    const SyncStatus st = engine.status();
    if (!m_json)
        m_err << tr("timer: %1 jobs done, %2 scheduled, next due %3").arg(st.jobsDone).arg(st.scheduled)
                     .arg(st.nextDueAt > 0 ? isoTime(st.nextDueAt) : tr("never"))
              << '\n';
    return 0;
}

int Cli::cmdSim(const QStringList &argv)
{
    if (argv.isEmpty())
        return usage(tr("Use: sim ledger|pay|script|bill-difference."));
    const QString sub = argv.first();
    auto args = Args::parse(argv.mid(1), {{QStringLiteral("prefix"), QStringLiteral("customer"), QStringLiteral("delay"), QStringLiteral("channel"),
                                           QStringLiteral("amount")},
                                          {QStringLiteral("after-close")}});
    if (!args)
        return fail(args.error());
    if (Status st = setupChannels(); !st)
        return fail(st.error());
    SimulatedChannel *sim = simulator();
    if (!sim)
        return fail(Error::invalid(QStringLiteral("sim.unavailable"),
                                   tr("The simulated channel exists only in demo databases (paydeskctl demo seed).")));
    if (sub == QStringLiteral("ledger")) {
        auto events = sim->ledger(args->value(QStringLiteral("prefix")));
        if (!events)
            return fail(events.error());
        // Per payment: what the channel saw, so "one close per attempt, none early" can be checked.
        auto payments = Sql::exec(sim->database().connection(), QStringLiteral(
            "SELECT out_trade_no, amount_minor, state, created_at, expires_at, paid_at, closed_at FROM sim_payments "
            "WHERE out_trade_no LIKE :p ORDER BY created_at, out_trade_no"), {{":p", QString(args->value(QStringLiteral("prefix")) + u'%')}});
        if (!payments)
            return fail(payments.error());
        QHash<QString, int> closes, refunds;
        for (const auto &e : events.value()) {
            if (e.op == QStringLiteral("close") && e.result == QStringLiteral("OK"))
                closes[e.ref] += 1;
        }
        QJsonArray pays;
        while (payments.value().next()) {
            const QString otn = payments.value().value(0).toString();
            pays.append(QJsonObject{{QStringLiteral("out_trade_no"), otn},
                                    {QStringLiteral("amount_minor"), payments.value().value(1).toLongLong()},
                                    {QStringLiteral("state"), payments.value().value(2).toString()},
                                    {QStringLiteral("created_at"), isoTime(payments.value().value(3).toLongLong())},
                                    {QStringLiteral("expires_at"), isoTime(payments.value().value(4).toLongLong())},
                                    {QStringLiteral("paid_at"), isoTime(payments.value().value(5).toLongLong())},
                                    {QStringLiteral("closed_at"), isoTime(payments.value().value(6).toLongLong())},
                                    {QStringLiteral("close_calls"), closes.value(otn)}});
        }
        QJsonArray evs;
        for (const auto &e : events.value())
            evs.append(QJsonObject{{QStringLiteral("at"), isoTime(e.at)}, {QStringLiteral("op"), e.op}, {QStringLiteral("ref"), e.ref},
                                   {QStringLiteral("result"), e.result}, {QStringLiteral("amount_minor"), e.amountMinor}});
        if (m_json) {
            emitJson(QJsonObject{{QStringLiteral("payments"), pays}, {QStringLiteral("events"), evs}});
        } else {
            for (const QJsonValue &v : std::as_const(evs)) {
                const QJsonObject o = v.toObject();
                m_out << QStringLiteral("%1  %2  %3  %4\n").arg(o.value(QStringLiteral("at")).toString()).arg(o.value(QStringLiteral("op")).toString(), -12)
                             .arg(o.value(QStringLiteral("ref")).toString(), -24).arg(o.value(QStringLiteral("result")).toString());
            }
            m_out.flush();
        }
        return 0;
    }
    if (sub == QStringLiteral("bill-difference")) {
        // What the channel's bill will show that the books do not: for the demo and for trying
        // the reconciliation (the sandbox has the same over HTTP: POST /sandbox/bill-discrepancy).
        const QString use = tr("Use: sim bill-difference unknown-payment|wrong-amount|missing-refund|paid-after-close REF "
                               "--channel wechat|alipay [--amount A].");
        if (args->positional.size() != 2)
            return usage(use);
        const auto what = SimulatedChannel::billDiscrepancyFromString(args->positional.first());
        const auto kind = fromString<ChannelKind>(args->value(QStringLiteral("channel")));
        if (!what.has_value() || !kind.has_value() || kind.value() == ChannelKind::Sim)
            return usage(use);
        auto *stand = qobject_cast<SimulatedChannel *>(m_services->channels.channel(*kind));
        if (!stand)
            return fail(Error::invalid(QStringLiteral("sim.unavailable"), tr("%1 is not simulated here.").arg(toString(*kind))));
        qint64 minor = 0;
        if (args->has(QStringLiteral("amount"))) {
            auto m = Money::parse(args->value(QStringLiteral("amount")), Currency::cny(), AmountUse::Payment);
            if (!m)
                return fail(m.error());
            minor = m->minor();
        }
        const QString ref = args->positional.at(1);
        if (Status st = stand->injectBillDiscrepancy(*what, ref, minor); !st)
            return fail(st.error());
        if (m_json)
            emitJson(QJsonObject{{QStringLiteral("channel"), toString(*kind)}, {QStringLiteral("difference"), SimulatedChannel::toString(*what)},
                                 {QStringLiteral("ref"), ref}, {QStringLiteral("amount"), minorToPlain(minor, 2)}});
        else
            say(tr("The %1 bill will show %2 for %3.").arg(toString(*kind), SimulatedChannel::toString(*what), ref));
        return 0;
    }
    if (args->positional.size() != 1)
        return usage(tr("Use: sim %1 OUT_TRADE_NO.").arg(sub));
    if (sub == QStringLiteral("pay")) {
        auto st = sim->customerPays(args->positional.first(), args->flag(QStringLiteral("after-close")));
        if (!st)
            return fail(st.error());
        // The channel's notification, delivered: apply it like any other.
        auto applied = m_services->reconciler.applyPayment(st.value(), Reconciler::systemUser(), QStringLiteral("notify"));
        if (!applied)
            return fail(applied.error());
        if (m_json)
            emitJson(QJsonObject{{QStringLiteral("out_trade_no"), st->outTradeNo}, {QStringLiteral("channel_state"), toString(st->state)},
                                 {QStringLiteral("order_no"), applied->orderNo}, {QStringLiteral("outcome"), Reconciler::describe(applied->outcome)}});
        else
            say(tr("The customer paid %1: %2.").arg(st->outTradeNo, Reconciler::describe(applied->outcome)));
        return 0;
    }
    if (sub == QStringLiteral("script")) {
        const auto customer = SimulatedChannel::customerFromString(args->value(QStringLiteral("customer")));
        if (!customer)
            return usage(tr("--customer is never, pay, pay-after-close or pay-twice."));
        qint64 delay = 0;
        if (args->has(QStringLiteral("delay"))) {
            auto d = Duration::parseMs(args->value(QStringLiteral("delay")));
            if (!d)
                return fail(d.error());
            delay = d.value();
        }
        if (Status st = sim->storeScript(args->positional.first(), {*customer, delay}); !st)
            return fail(st.error());
        say(tr("Payments starting with %1: customer %2 after %3 ms.").arg(args->positional.first(), SimulatedChannel::toString(*customer)).arg(delay));
        if (m_json)
            emitJson(QJsonObject{{QStringLiteral("prefix"), args->positional.first()}, {QStringLiteral("customer"), SimulatedChannel::toString(*customer)},
                                 {QStringLiteral("delay_ms"), delay}});
        return 0;
    }
    return usage(tr("Unknown sim verb \"%1\".").arg(sub));
}

int Cli::cmdNotify(const QStringList &argv)
{
    auto args = Args::parse(argv, {{QStringLiteral("channel"), QStringLiteral("headers"), QStringLiteral("body")}, {}});
    if (!args)
        return fail(args.error());
    if (args->positional != QStringList{QStringLiteral("apply")} || !args->has(QStringLiteral("headers")) || !args->has(QStringLiteral("body")))
        return usage(tr("Use: notify apply --channel C --headers FILE --body FILE."));
    const auto kind = fromString<ChannelKind>(args->value(QStringLiteral("channel")));
    if (!kind)
        return usage(tr("Unknown channel \"%1\"; use wechat, alipay or sim.").arg(args->value(QStringLiteral("channel"))));
    if (Status st = setupChannels(); !st)
        return fail(st.error());
    Services &s = *m_services;
    PaymentChannel *ch = s.channels.channel(*kind);
    if (!ch)
        return fail(Error::invalid(QStringLiteral("channel.not_configured"), tr("The %1 channel is not set up.").arg(toString(*kind))));
    auto headers = readHeaders(args->value(QStringLiteral("headers")));
    if (!headers)
        return fail(headers.error());
    QFile bodyFile(args->value(QStringLiteral("body")));
    if (!bodyFile.open(QIODevice::ReadOnly))
        return usage(tr("Cannot read %1.").arg(bodyFile.fileName()));
    const QByteArray body = bodyFile.readAll();
    const auto decoded = ch->decodeNotification(headers.value(), body);
    if (!decoded.ok()) {
        s.audit.recordRefusal(QStringLiteral("notify"), QStringLiteral("notify.refused"), QStringLiteral("channel:") + toString(*kind),
                              {{QStringLiteral("code"), decoded.error().code}, {QStringLiteral("reason"), decoded.error().message},
                               {QStringLiteral("bytes"), body.size()}});
        return fail(Error{Error::Kind::Forbidden, QStringLiteral("notify.refused"),
                          tr("The notification was refused and audited: %1.").arg(decoded.error().describe())});
    }
    const ChannelNotification &n = decoded.value();
    Result<Reconciler::Applied> applied = Error::storage(QString());
    if (n.kind == ChannelNotification::Kind::Payment) {
        // A notification whose amount differs from the payment is refused, not applied.
        auto attempt = s.orders.attemptByOutTradeNo(n.payment.outTradeNo);
        if (!attempt)
            return fail(attempt.error());
        if (n.payment.state == TradeState::Success && n.payment.amountMinor != attempt->amountMinor) {
            s.audit.recordRefusal(QStringLiteral("notify"), QStringLiteral("notify.refused"), QStringLiteral("payment:") + n.payment.outTradeNo,
                                  {{QStringLiteral("code"), QStringLiteral("amount_mismatch")},
                                   {QStringLiteral("notified"), minorToPlain(n.payment.amountMinor, 2)},
                                   {QStringLiteral("expected"), minorToPlain(attempt->amountMinor, 2)}});
            return fail(Error{Error::Kind::Forbidden, QStringLiteral("notify.amount_mismatch"),
                              tr("The notification says %1 was paid on %2, which is for %3; refused and audited.")
                                  .arg(minorToPlain(n.payment.amountMinor, 2), n.payment.outTradeNo, minorToPlain(attempt->amountMinor, 2))});
        }
        applied = s.reconciler.applyPayment(n.payment, Reconciler::systemUser(), QStringLiteral("notify"));
    } else {
        applied = s.reconciler.applyRefund(n.refund, Reconciler::systemUser(), s.clock->nowMs() + 60'000);
    }
    if (!applied)
        return fail(applied.error());
    const bool duplicate = applied->outcome == Reconciler::Outcome::AlreadyApplied;
    if (m_json)
        emitJson(QJsonObject{{QStringLiteral("notification_id"), n.id}, {QStringLiteral("order_no"), applied->orderNo},
                             {QStringLiteral("outcome"), Reconciler::describe(applied->outcome)}, {QStringLiteral("duplicate"), duplicate}});
    else
        say(duplicate ? tr("Notification %1 was applied before; nothing changed.").arg(n.id)
                      : tr("Notification %1 applied: order %2, %3.").arg(n.id, applied->orderNo, Reconciler::describe(applied->outcome)));
    return 0;
}
