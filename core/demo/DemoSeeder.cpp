#include "demo/DemoSeeder.h"

#include "domain/SystemText.h"
#include "storage/OrderRepository.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <QUuid>

#include <algorithm>
#include <array>
#include <vector>

namespace paydesk {

namespace {

struct Product { const char16_t *zh; const char16_t *en; qint64 priceMinor; };
constexpr std::array<Product, 36> kProducts{{
    {u"珍珠奶茶", u"Pearl milk tea", 1800},       {u"美式咖啡", u"Americano", 2500},
    {u"拿铁咖啡", u"Caffe latte", 3200},          {u"抹茶蛋糕", u"Matcha cake", 3800},
    {u"牛肉面", u"Beef noodle soup", 2800},       {u"小笼包", u"Soup dumplings", 2200},
    {u"北京烤鸭", u"Peking duck", 16800},         {u"宫保鸡丁", u"Kung pao chicken", 4200},
    {u"龙井茶叶 250g", u"Longjing tea 250g", 26800}, {u"普洱茶饼", u"Pu'er tea cake", 39900},
    {u"丝绸围巾", u"Silk scarf", 45900},          {u"景德镇茶杯", u"Jingdezhen teacup", 12800},
    {u"蓝牙耳机", u"Bluetooth earbuds", 29900},   {u"手机壳", u"Phone case", 5900},
    {u"充电宝", u"Power bank", 12900},            {u"机械键盘", u"Mechanical keyboard", 49900},
    {u"运动鞋", u"Running shoes", 69900},         {u"羽绒服", u"Down jacket", 129900},
    {u"帆布包", u"Canvas tote", 8900},            {u"保温杯", u"Thermos flask", 15900},
    {u"月饼礼盒", u"Mooncake gift box", 29800},   {u"红包封", u"Red envelopes (10)", 1200},
    {u"书法毛笔", u"Calligraphy brush", 6800},    {u"宣纸", u"Xuan paper (50 sheets)", 4500},
    {u"智能手表", u"Smart watch", 159900},        {u"电饭煲", u"Rice cooker", 39900},
    {u"空气炸锅", u"Air fryer", 49900},           {u"香薰蜡烛", u"Scented candle", 7900},
    {u"绿植盆栽", u"Potted plant", 9900},         {u"儿童绘本", u"Picture book", 3900},
    {u"瑜伽垫", u"Yoga mat", 12900},              {u"洗发水", u"Shampoo", 6900},
    {u"水果礼篮", u"Fruit basket", 19900},        {u"鲜花束", u"Flower bouquet", 15900},
    {u"会员年卡", u"Annual membership", 299900},  {u"停车费", u"Parking fee", 1000},
}};
constexpr std::array<const char16_t *, 16> kBuyers{{
    u"张伟", u"王芳", u"李娜", u"刘洋", u"陈静", u"杨磊", u"赵敏", u"黄晓明",
    u"Emily Chen", u"David Wang", u"Sophie Li", u"Tom Zhang", u"Anna Liu", u"Kevin Wu", u"Grace Lin", u"Mark Zhou"}};
// The same buyers for a demo shown in Chinese (same draws, so the same books).
constexpr std::array<const char16_t *, 16> kBuyersZh{{
    u"张伟", u"王芳", u"李娜", u"刘洋", u"陈静", u"杨磊", u"赵敏", u"黄晓明",
    u"陈思雨", u"王大卫", u"李素菲", u"张涛", u"刘安娜", u"吴凯文", u"林佳慧", u"周明"}};
struct Words { const char16_t *zh; const char16_t *en; };
constexpr std::array<Words, 5> kReasons{{
    {u"到货时已损坏", u"Damaged on arrival"}, {u"尺码不合适", u"Wrong size"}, {u"顾客改变主意", u"Customer changed mind"},
    {u"重复购买", u"Duplicate purchase"}, {u"缺货", u"Out of stock"}}};
constexpr Words kRejectNote{u"商品未退回", u"Goods not returned"};
constexpr Words kResolution{u"已退款给顾客", u"Refunded to the customer"};
QString words(const Words &w, bool chinese) { return QString::fromUtf16(chinese ? w.zh : w.en); }

constexpr qint64 kMinute = 60'000;
constexpr qint64 kDay = 24 * 60 * kMinute;

enum class Fate { Pending, Paid, Expired, Manual, PaidAfterClose, DuplicatePayment };

struct Statements
{
    QSqlQuery order, attempt, refund, anomaly;
    QSqlQuery simPayment, simRefund, simScript; ///< the simulated channel's side of the same history
};

Result<Statements> prepareAll(QSqlDatabase &conn)
{
    Statements s;
    auto o = Sql::prepare(conn, QStringLiteral(
        "INSERT INTO orders (id, order_no, title, buyer, amount_minor, currency, state, close_reason, channel, refunded_minor, "
        "created_at, expires_at, paid_at, closed_at, created_by, search_text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    auto a = Sql::prepare(conn, QStringLiteral(
        "INSERT INTO payment_attempts (id, order_id, out_trade_no, channel, amount_minor, currency, state, created_at, expires_at, "
        "code_url, channel_txn_id, paid_at, next_query_at, query_count, last_error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    auto r = Sql::prepare(conn, QStringLiteral(
        "INSERT INTO refunds (id, out_refund_no, order_id, attempt_id, amount_minor, currency, state, reason, requested_by, "
        "reviewed_by, review_note, requested_at, reviewed_at, completed_at, next_action_at, attempt_count, channel_refund_id, last_error) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    auto n = Sql::prepare(conn, QStringLiteral(
        "INSERT INTO anomalies (kind, order_id, attempt_id, refund_id, state, details, resolution, resolved_by, created_at, resolved_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?)"));
    auto sp = Sql::prepare(conn, QStringLiteral(
        "INSERT INTO sim_payments (out_trade_no, amount_minor, description, state, created_at, expires_at, paid_at, closed_at, "
        "txn_id, customer) VALUES (?,?,?,?,?,?,?,?,?,?)"));
    auto sr = Sql::prepare(conn, QStringLiteral(
        "INSERT INTO sim_refunds (out_refund_no, out_trade_no, amount_minor, state, created_at, settle_at, final_state, refund_id) "
        "VALUES (?,?,?,?,?,?,?,?)"));
    auto ss = Sql::prepare(conn, QStringLiteral("INSERT INTO sim_scripts (prefix, customer, delay_ms) VALUES (?,?,?)"));
    for (auto *res : {&o, &a, &r, &n, &sp, &sr, &ss})
        if (!*res)
            return res->error();
    s.order = std::move(o.value());
    s.attempt = std::move(a.value());
    s.refund = std::move(r.value());
    s.anomaly = std::move(n.value());
    s.simPayment = std::move(sp.value());
    s.simRefund = std::move(sr.value());
    s.simScript = std::move(ss.value());
    return s;
}

template <typename... V>
Status run(QSqlQuery &q, const V &...values)
{
    int i = 0;
    (q.bindValue(i++, Sql::bindable(QVariant::fromValue(values))), ...);
    return Sql::execPrepared(q);
}

QString randomToken(QRandomGenerator &rng, int length)
{
    static const QString alphabet = QStringLiteral("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789");
    QString out;
    out.reserve(length);
    for (int i = 0; i < length; ++i)
        out += alphabet[int(rng.bounded(quint32(alphabet.size())))];
    return out;
}

/// What the customer of a seeded pending order does, in the simulated channel's script table
/// (paydesk-sim reads it for every payment of the order): most pay while you watch, some never
/// do (the order runs out, turns red and closes), a few pay just after the close (an anomaly).
/// Delays count from the payment's creation, as the simulator's scripts do.
Status scriptCustomer(QSqlQuery &insert, QRandomGenerator &rng, const QString &orderNo, qint64 createdAt,
                      qint64 attemptExpiresAt, qint64 now)
{
    const quint32 r = rng.bounded(100u);
    const qint64 left = attemptExpiresAt - now;
    QString customer;
    qint64 delay = 0;
    if (r < 55 && left > 15'000) {
        // Pays between 8 s from now and (at most) 12 minutes from now, before the code runs out.
        const qint64 latest = qMin<qint64>(left - 5'000, 12 * kMinute);
        const qint64 in = 8'000 + qint64(rng.bounded(quint64(qMax<qint64>(1, latest - 8'000))));
        customer = QStringLiteral("pay");
        delay = now + in - createdAt;
    } else if (r < 88) {
        customer = QStringLiteral("never");
    } else {
        customer = QStringLiteral("pay-after-close");
        delay = 3'000 + qint64(rng.bounded(20'000u));
    }
    return run(insert, orderNo, customer, delay);
}

} // namespace

Result<DemoSeeder::Summary> DemoSeeder::seed(const Options &opt, const std::function<void(int, int)> &progress)
{
    if (opt.orders < 0 || opt.orders > 5'000'000)
        return Error::invalid(QStringLiteral("demo.bad_count"), tr("The demo can seed between 0 and 5,000,000 orders."));
    if (opt.days < 1 || opt.days > 3650)
        return Error::invalid(QStringLiteral("demo.bad_days"), tr("The demo history spans 1 to 3650 days."));

    // Never put password=login accounts into a real merchant's database.
    auto userCount = m_users.count();
    if (!userCount)
        return userCount.error();
    if (userCount.value() > 0 && !m_settings.isDemo())
        return Error::forbidden(QStringLiteral("demo.real_database"),
                                tr("This database has real users; demo data goes only into a new or demo database."));
    // Refuse a database with orders before marking it a demo or adding demo users, so a
    // refusal changes nothing. (Checked again inside the seeding transaction.)
    auto orderCount = Sql::exec(m_db.connection(), QStringLiteral("SELECT COUNT(*) FROM orders"));
    if (!orderCount)
        return orderCount.error();
    orderCount.value().next();
    if (const qint64 n = orderCount.value().value(0).toLongLong(); n > 0 && opt.orders > 0)
        return Error::conflict(QStringLiteral("demo.not_empty"),
                               tr("The database already has %1 orders; seed demo data into an empty one.").arg(n));
    if (Status s = m_settings.setSystemValue(QStringLiteral("demo"), QStringLiteral("1")); !s)
        return s.error();
    if (auto counter = counterActor(); !counter)
        return counter.error();
    const std::array<std::pair<const char *, Role>, 3> demoUsers{{
        {"clerk", Role::Clerk}, {"finance", Role::Finance}, {"admin", Role::Admin}}};
    for (const auto &[login, role] : demoUsers) {
        const QString l = QString::fromLatin1(login);
        if (m_users.find(l))
            continue;
        auto added = m_users.add(QString(), l, QString(), role, l, UserDirectory::PasswordPolicy::DemoOnly);
        if (!added)
            return added.error();
    }

    Summary sum;
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    QSqlDatabase &conn = tx.connection();
    auto existing = Sql::exec(conn, QStringLiteral("SELECT COUNT(*), COALESCE(MAX(o.id), 0) FROM orders o"));
    if (!existing)
        return existing.error();
    existing.value().next();
    if (existing.value().value(0).toLongLong() > 0 && opt.orders > 0)
        return Error::conflict(QStringLiteral("demo.not_empty"),
                               tr("The database already has %1 orders; seed demo data into an empty one.")
                                   .arg(existing.value().value(0).toLongLong()));
    existing.value().finish();
    // A dozen indexes on orders take random keys (title, buyer, amount): with SQLite's default
    // 2 MiB page cache every insert reads index pages back from the file.
    if (m_db.dialect() == Database::Dialect::SQLite && opt.orders >= 5000) {
        if (auto r = Sql::exec(conn, QStringLiteral("PRAGMA cache_size=-262144")); !r) // 256 MiB while seeding
            return r.error();
    }
    auto stmts = prepareAll(conn);
    if (!stmts)
        return stmts.error();
    auto audit = AuditLog::Batch::start(tx);
    if (!audit)
        return audit.error();
    Statements &st = stmts.value();
    AuditLog::Batch &log = audit.value();

    QRandomGenerator rng(opt.seed);
    // The simulated customers' scripts draw from their own sequence, so the books stay the
    // same for a seed whatever the scripts do.
    QRandomGenerator scriptRng(opt.seed ^ 0x5eed5c1bu);
    const qint64 now = m_clock.nowMs();
    const int pendingCount = opt.orders == 0 ? 0 : std::clamp(opt.orders / 100, std::min(opt.orders, 5), 200);

    // Creation times, oldest first, so ids follow time as they would in a real shop.
    std::vector<qint64> created(size_t(opt.orders));
    for (int i = 0; i < opt.orders; ++i) {
        if (i >= opt.orders - pendingCount)
            created[size_t(i)] = now - qint64(rng.bounded(29 * 60)) * 1000; // deadlines within 30 min
        else
            created[size_t(i)] = now - 40 * kMinute - qint64(rng.bounded(quint64(opt.days * kDay - 40 * kMinute)));
    }
    std::sort(created.begin(), created.end());

    qint64 orderId = 0, attemptId = 0, refundId = 0;
    bool lostSeeded = false; // Options::lostPayment: seeded once
    // The transaction id of the lost payment: made from its attempt, not drawn, so the books
    // stay the same for a seed.
    auto lostTxn = [](qint64 attempt) -> QString { return QStringLiteral("4200") + QString::number(4'000'000'000LL + attempt); };
    const QString cny = QStringLiteral("CNY");
    const QString clerk = QStringLiteral("clerk"), finance = QStringLiteral("finance"), timer = QStringLiteral("timer");
    const QString counter = QLatin1String(UserDirectory::kDemoCounterLogin);
    const QString none;

    for (int i = 0; i < opt.orders; ++i) {
        const qint64 createdAt = created[size_t(i)];
        const bool pending = createdAt > now - 30 * kMinute;
        Fate fate = Fate::Pending;
        if (!pending) {
            const quint32 r = rng.bounded(1000u);
            fate = r < 840 ? Fate::Paid : r < 955 ? Fate::Expired : r < 988 ? Fate::Manual
                 : r < 995 ? Fate::PaidAfterClose : Fate::DuplicatePayment;
        }
        const Product &p = kProducts[rng.bounded(quint32(kProducts.size()))];
        const int qty = rng.bounded(10u) < 7 ? 1 : int(rng.bounded(2u, 4u));
        const bool zh = rng.bounded(2u) == 0 || opt.chinese;
        const QString name = QString::fromUtf16(zh ? p.zh : p.en);
        const QString title = qty == 1 ? name : name + (zh ? QStringLiteral(" ×") : QStringLiteral(" x")) + QString::number(qty);
        const QString buyer = rng.bounded(4u) == 0
            ? QStringLiteral("1%1****%2").arg(rng.bounded(30u, 90u)).arg(rng.bounded(10000u), 4, 10, QChar(u'0'))
            : QString::fromUtf16((opt.chinese ? kBuyersZh : kBuyers)[rng.bounded(quint32(kBuyers.size()))]);
        const qint64 amount = p.priceMinor * qty;
        const quint32 cr = rng.bounded(100u);
        const ChannelKind channel = cr < 55 ? ChannelKind::WeChat : cr < 95 ? ChannelKind::Alipay : ChannelKind::Sim;
        const QString orderNo = QStringLiteral("PD")
            + QDateTime::fromMSecsSinceEpoch(createdAt, Qt::UTC).toString(QStringLiteral("yyyyMMdd"))
            + QString::number(i).rightJustified(7, u'0') + QString::number(rng.bounded(1000u)).rightJustified(3, u'0');
        const qint64 expiresAt = createdAt + 30 * kMinute;
        const QString object = QStringLiteral("order:") + orderNo;
        ++orderId;
        ++sum.orders;

        OrderState state = OrderState::Pending;
        CloseReason reason = CloseReason::None;
        qint64 paidAt = 0, closedAt = 0, refunded = 0;
        switch (fate) {
        case Fate::Pending: ++sum.pending; break;
        case Fate::Paid:
        case Fate::DuplicatePayment:
            state = OrderState::Paid;
            paidAt = createdAt + 10'000 + qint64(rng.bounded(10u * 60u)) * 1000;
            ++sum.paid;
            break;
        case Fate::Expired:
        case Fate::PaidAfterClose:
            state = OrderState::Closed;
            reason = CloseReason::Expired;
            closedAt = expiresAt + qint64(rng.bounded(900u));
            ++sum.closed;
            break;
        case Fate::Manual:
            state = OrderState::Closed;
            reason = CloseReason::Manual;
            closedAt = createdAt + qint64(rng.bounded(1u, 20u)) * kMinute;
            ++sum.closed;
            break;
        }

        // Attempts: a paid order was sometimes repaid once (first attempt closed).
        struct A { qint64 id; QString otn; AttemptState state; qint64 paidAt; qint64 created; };
        std::vector<A> attempts;
        const bool repaid = fate == Fate::Paid && rng.bounded(100u) < 6;
        int attemptIndex = 0;
        // `closedAtChannel`: when the channel closed a closed attempt (its sim ledger row).
        // `lost`: the channel took the customer's money after all, the answer never came (the books keep it closed).
        auto addAttempt = [&](AttemptState s, qint64 at, qint64 paid, qint64 closedAtChannel = 0, bool lost = false) -> Status {
            A a{++attemptId, Ids::outTradeNo(orderNo, ++attemptIndex), s, paid, at};
            const QString code = channel == ChannelKind::WeChat ? QStringLiteral("weixin://wxpay/bizpayurl?pr=") + randomToken(rng, 7)
                               : channel == ChannelKind::Alipay ? QStringLiteral("https://qr.alipay.com/bax0") + randomToken(rng, 20)
                                                                : QStringLiteral("paydesk-sim://pay/") + a.otn;
            const QString txn = paid > 0 ? (channel == ChannelKind::WeChat ? QStringLiteral("42000") : QStringLiteral("2026"))
                                             + QString::number(rng.bounded(1'000'000'000u)).rightJustified(10, u'0')
                                         : QString();
            const qint64 nextQuery = s == AttemptState::Paying ? now + qint64(rng.bounded(1u, 30u)) * 1000 : 0;
            attempts.push_back(a);
            if (Status r = run(st.attempt, a.id, orderId, a.otn, toString(channel), amount, cny, toString(s), at, expiresAt - 60'000,
                               code, txn, paid, nextQuery, int(rng.bounded(4u)), none);
                !r)
                return r;
            // The same payment in the simulated channel's books, so that in the demo (where the
            // simulator stands in for every channel) the timer's queries, closes and refunds
            // find what the merchant's books say the channel has.
            const QString simState = s == AttemptState::Succeeded || lost ? QStringLiteral("SUCCESS")
                                   : s == AttemptState::Closed            ? QStringLiteral("CLOSED")
                                                                          : QStringLiteral("NOTPAY");
            // `customer`: which of the simulator's stand-ins took it, so each one's daily bill holds its own.
            if (lost)
                return run(st.simPayment, a.otn, amount, title, simState, at, expiresAt - 60'000, expiresAt - 90'000, qint64(0),
                           lostTxn(a.id), toString(channel));
            return run(st.simPayment, a.otn, amount, title, simState, at, expiresAt - 60'000, paid,
                       s == AttemptState::Closed ? qMax(at, closedAtChannel) : qint64(0), txn, toString(channel));
        };

        const QString search = (orderNo + u' ' + title + u' ' + buyer).toLower();
        // A pending order's customer is scripted: the counter simulator took it, not a clerk.
        const QString creator = fate == Fate::Pending ? counter : clerk;
        if (Status s = run(st.order, orderId, orderNo, title, buyer, amount, cny, toString(state), toString(reason),
                           toString(channel), qint64(0), createdAt, expiresAt, paidAt, closedAt, creator, search);
            !s)
            return s.error();
        if (Status s = log.append(createdAt, creator, QStringLiteral("order.create"), object,
                                  {{QStringLiteral("amount"), minorToPlain(amount, 2)}, {QStringLiteral("title"), title}});
            !s)
            return s.error();

        Status as;
        bool lostHere = false;
        switch (fate) {
        case Fate::Pending:
            as = addAttempt(AttemptState::Paying, createdAt, 0);
            if (as)
                as = scriptCustomer(st.simScript, scriptRng, orderNo, createdAt, expiresAt - 60'000, now);
            break;
        case Fate::Paid:
            if (repaid)
                if (Status s = addAttempt(AttemptState::Closed, createdAt, 0, createdAt + 3 * kMinute); !s)
                    return s.error();
            as = addAttempt(AttemptState::Succeeded, repaid ? createdAt + 3 * kMinute : createdAt, paidAt);
            break;
        case Fate::DuplicatePayment:
            if (Status s = addAttempt(AttemptState::Succeeded, createdAt, paidAt); !s)
                return s.error();
            as = addAttempt(AttemptState::Succeeded, createdAt + kMinute, paidAt + 5000);
            break;
        case Fate::Expired:
        case Fate::Manual:
            lostHere = opt.lostPayment && !lostSeeded && fate == Fate::Expired && createdAt > now - kDay;
            as = addAttempt(AttemptState::Closed, createdAt, 0, closedAt, lostHere);
            break;
        case Fate::PaidAfterClose:
            as = addAttempt(AttemptState::Succeeded, createdAt, closedAt + 2000);
            break;
        }
        if (!as)
            return as.error();
        if (lostHere) {
            // The clerk's request, as the counter would make it when the customer shows the paid screen.
            lostSeeded = true;
            const qint64 askedAt = qMin(now - 5 * kMinute, closedAt + 10 * kMinute);
            const QString why = opt.chinese ? QStringLiteral("顾客出示了支付成功页面，但订单已超时关闭")
                                            : QStringLiteral("Customer showed the paid screen; the order had already timed out");
            auto f = Sql::exec(conn, QStringLiteral("INSERT INTO fixups (kind, order_id, attempt_id, channel_txn_id, amount_minor, currency, "
                                                    "reason, state, requested_by, requested_at) VALUES ('MARK_PAID', :o, :a, :t, :m, :c, :r, "
                                                    "'REQUESTED', :by, :at)"),
                               {{":o", orderId}, {":a", attempts.back().id}, {":t", lostTxn(attempts.back().id)}, {":m", amount}, {":c", cny},
                                {":r", why}, {":by", clerk}, {":at", askedAt}});
            if (!f)
                return f.error();
            if (Status s = log.append(askedAt, clerk, QStringLiteral("fixup.request"), QStringLiteral("fixup:1"),
                                      {{QStringLiteral("kind"), QStringLiteral("MARK_PAID")}, {QStringLiteral("order"), orderNo},
                                       {QStringLiteral("out_trade_no"), attempts.back().otn},
                                       {QStringLiteral("channel_txn_id"), lostTxn(attempts.back().id)},
                                       {QStringLiteral("amount"), minorToPlain(amount, 2)}, {QStringLiteral("reason"), why}});
                !s)
                return s.error();
        }
        if (fate == Fate::Paid || fate == Fate::DuplicatePayment)
            if (Status s = log.append(paidAt, timer, QStringLiteral("order.paid"), object,
                                      {{QStringLiteral("out_trade_no"), attempts.back().otn}});
                !s)
                return s.error();
        if (state == OrderState::Closed)
            if (Status s = log.append(closedAt, reason == CloseReason::Manual ? clerk : timer, QStringLiteral("order.close"),
                                      object, {{QStringLiteral("reason"), toString(reason)}});
                !s)
                return s.error();

        // Refunds on about one paid order in nine, in every state.
        // extraMoney: the refund of a duplicate or late payment (an anomaly's proposal), which
        // does not count against the order's own amount (as in Reconciler).
        auto addRefund = [&](const A &attempt, qint64 refundAmount, RefundState rs, const QString &why,
                             const QString &requester, qint64 requestedAt, bool extraMoney) -> Status {
            ++refundId;
            ++sum.refunds;
            const bool reviewed = rs != RefundState::Requested;
            const qint64 reviewedAt = reviewed ? requestedAt + qint64(rng.bounded(5u, 240u)) * kMinute : 0;
            const bool done = rs == RefundState::Succeeded || rs == RefundState::Failed || rs == RefundState::Closed;
            const qint64 completedAt = done ? reviewedAt + qint64(rng.bounded(1u, 120u)) * 1000 : 0;
            const QString outRefundNo = Ids::outRefundNo(orderNo, int(refundId % 50) + 1);
            const QString note = rs == RefundState::Rejected ? words(kRejectNote, opt.chinese) : QString();
            const QString refundReviewer = reviewed ? finance : QString();
            const qint64 nextAction = (rs == RefundState::Approved || rs == RefundState::Processing)
                ? now + qint64(rng.bounded(5u, 120u)) * 1000 : 0;
            // The channel names a refund it accepted (WeChat's refund_id comes with the first answer).
            const bool atChannel = rs == RefundState::Processing || done;
            const QString channelRefundId = atChannel ? QStringLiteral("SIMR%1").arg(refundId, 12, 10, QChar(u'0')) : QString();
            if (Status s = run(st.refund, refundId, outRefundNo, orderId, attempt.id, refundAmount, cny, toString(rs), why,
                               requester, refundReviewer, note, requestedAt, reviewedAt, completedAt, nextAction,
                               int(atChannel), channelRefundId,
                               rs == RefundState::Failed ? QStringLiteral("ABNORMAL") : QString());
                !s)
                return s;
            // A refund that reached the channel is in its books too; one still PROCESSING
            // settles (successfully) a little after the demo starts.
            if (atChannel) {
                const QString simState = rs == RefundState::Processing ? QStringLiteral("PROCESSING")
                                       : rs == RefundState::Succeeded  ? QStringLiteral("SUCCESS")
                                       : rs == RefundState::Failed     ? QStringLiteral("ABNORMAL")
                                                                       : QStringLiteral("CLOSED");
                const qint64 settleAt = rs == RefundState::Processing ? now + qint64(scriptRng.bounded(20u, 180u)) * 1000 : completedAt;
                if (Status s = run(st.simRefund, outRefundNo, attempt.otn, refundAmount, simState, reviewedAt, settleAt,
                                   rs == RefundState::Processing ? QStringLiteral("SUCCESS") : simState, channelRefundId);
                    !s)
                    return s;
            }
            const QString robj = QStringLiteral("refund:") + outRefundNo;
            if (Status s = log.append(requestedAt, requester, QStringLiteral("refund.request"), robj,
                                      {{QStringLiteral("amount"), minorToPlain(refundAmount, 2)}, {QStringLiteral("order"), orderNo}});
                !s)
                return s;
            if (reviewed)
                if (Status s = log.append(reviewedAt, finance,
                                          rs == RefundState::Rejected ? QStringLiteral("refund.reject") : QStringLiteral("refund.approve"),
                                          robj, {});
                    !s)
                    return s;
            if (done)
                if (Status s = log.append(completedAt, timer, QStringLiteral("refund.") + toString(rs).toLower(), robj, {}); !s)
                    return s;
            if (rs == RefundState::Succeeded && !extraMoney)
                refunded += refundAmount;
            return {};
        };

        if (fate == Fate::Paid && rng.bounded(9u) == 0) {
            const bool full = rng.bounded(10u) < 4 || amount < 200;
            const qint64 refundAmount = full ? amount : qMax<qint64>(100, (amount * qint64(rng.bounded(10u, 70u)) / 100) / 100 * 100);
            const quint32 sr = rng.bounded(100u);
            const RefundState rs = sr < 55 ? RefundState::Succeeded : sr < 70 ? RefundState::Requested
                                 : sr < 75 ? RefundState::Approved : sr < 83 ? RefundState::Processing
                                 : sr < 93 ? RefundState::Rejected : sr < 97 ? RefundState::Failed : RefundState::Closed;
            const QString why = words(kReasons[rng.bounded(quint32(kReasons.size()))], opt.chinese);
            if (Status s = addRefund(attempts.back(), refundAmount, rs, why, clerk, paidAt + qint64(rng.bounded(1u, 72u)) * 60 * kMinute, false);
                !s)
                return s.error();
        }
        if (fate == Fate::PaidAfterClose || fate == Fate::DuplicatePayment) {
            const A &extra = attempts.back();
            const bool resolved = rng.bounded(10u) < 3;
            const RefundState rs = resolved ? RefundState::Succeeded : RefundState::Requested;
            // What the Reconciler writes for such money, in the same coded form.
            const QString why = fate == Fate::PaidAfterClose ? SystemText::paidAfterClose(extra.otn, orderNo)
                                                             : SystemText::duplicatePayment(extra.otn, orderNo);
            if (Status s = addRefund(extra, amount, rs, why, timer, extra.paidAt + 1000, true); !s)
                return s.error();
            const AnomalyKind kind = fate == Fate::PaidAfterClose ? AnomalyKind::PaidAfterClose : AnomalyKind::DuplicatePayment;
            if (Status s = run(st.anomaly, toString(kind), orderId, extra.id, refundId,
                               toString(resolved ? AnomalyState::Resolved : AnomalyState::Open), why,
                               resolved ? words(kResolution, opt.chinese) : QString(),
                               resolved ? finance : QString(), extra.paidAt + 1000, resolved ? extra.paidAt + 3 * kDay / 24 : qint64(0));
                !s)
                return s.error();
            ++sum.anomalies;
            if (Status s = log.append(extra.paidAt + 1000, timer, QStringLiteral("anomaly.open"), object,
                                      {{QStringLiteral("kind"), toString(kind)}, {QStringLiteral("out_trade_no"), extra.otn}});
                !s)
                return s.error();
        }
        if (refunded > 0) {
            const OrderState rs = refunded >= amount ? OrderState::Refunded : OrderState::PartiallyRefunded;
            auto u = Sql::exec(conn, QStringLiteral("UPDATE orders SET refunded_minor = :r, state = :s WHERE id = :id"),
                               {{":r", refunded}, {":s", toString(state == OrderState::Closed ? state : rs)}, {":id", orderId}});
            if (!u)
                return u.error();
        }
        if (progress && (i % 5000 == 4999))
            progress(i + 1, opt.orders);
    }
    if (Status s = log.finish(); !s)
        return s.error();
    if (Status s = log.append(now, QStringLiteral("admin"), QStringLiteral("demo.seed"), QStringLiteral("database"),
                              {{QStringLiteral("orders"), sum.orders}, {QStringLiteral("seed"), qint64(opt.seed)}});
        !s)
        return s.error();
    if (Status s = log.finish(); !s)
        return s.error();
    if (m_db.dialect() == Database::Dialect::PostgreSQL) {
        // Explicit ids do not move identity sequences; move them past what we wrote.
        for (const char *table : {"orders", "payment_attempts", "refunds"}) {
            const QString t = QString::fromLatin1(table);
            if (auto r = Sql::exec(conn, QStringLiteral("SELECT setval(pg_get_serial_sequence('%1', 'id'), GREATEST(1, (SELECT COALESCE(MAX(id), 0) FROM %1)))").arg(t)); !r)
                return r.error();
        }
    }
    auto count = Sql::exec(conn, QStringLiteral("SELECT COUNT(*) FROM audit_log"));
    if (count && count.value().next())
        sum.auditEntries = count.value().value(0).toLongLong();
    if (Status s = tx.commit(); !s)
        return s.error();
    if (m_db.dialect() == Database::Dialect::SQLite) // back to the default, freeing the pages
        (void)Sql::exec(m_db.connection(), QStringLiteral("PRAGMA cache_size=-2000"));
    if (progress)
        progress(opt.orders, opt.orders);
    return sum;
}

Result<User> DemoSeeder::counterActor()
{
    const QString login = QLatin1String(UserDirectory::kDemoCounterLogin);
    if (!m_settings.isDemo())
        return Error::forbidden(QStringLiteral("demo.real_database"), tr("The counter simulator is only part of a demo database."));
    if (auto found = m_users.find(login))
        return found;
    // A password nobody knows (and login() refuses this account anyway).
    const QString password = QUuid::createUuid().toString(QUuid::WithoutBraces) + QUuid::createUuid().toString(QUuid::WithoutBraces);
    return m_users.add(QString(), login, tr("Counter simulator"), Role::Clerk, password, UserDirectory::PasswordPolicy::DemoActor);
}

} // namespace paydesk
