#include "OrderTableModel.h"

#include "Labels.h"
#include "util/Duration.h"

#include <QColor>
#include <QDateTime>
#include <QLocale>
#include <QRegularExpression>
#include <QSqlQuery>

#include <algorithm>

namespace paydesk {

namespace {

std::optional<OrderFilter::Sort> sortFor(int column)
{
    switch (column) {
    case OrderTableModel::OrderNo: return OrderFilter::Sort::OrderNo;
    case OrderTableModel::Created: return OrderFilter::Sort::CreatedAt;
    case OrderTableModel::Title: return OrderFilter::Sort::Title;
    case OrderTableModel::Buyer: return OrderFilter::Sort::Buyer;
    case OrderTableModel::Amount: return OrderFilter::Sort::Amount;
    case OrderTableModel::State: return OrderFilter::Sort::State;
    case OrderTableModel::TimeLeft: return OrderFilter::Sort::ExpiresAt;
    default: return std::nullopt;
    }
}

/// A complete order number ("PD" + 18 digits) is looked up through the unique index on
/// order_no: a trigram search for it would walk posting lists shared by every order ("pd2",
/// "202", ...). Any other text goes through core's search (FTS5 trigram / pg_trgm).
bool isWholeOrderNo(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^PD\\d{18}$"), QRegularExpression::CaseInsensitiveOption);
    return re.match(text.trimmed()).hasMatch();
}

/// One token of the characters the channels' ids and ours are made of, long enough to be one
/// (WeChat's out_trade_no is at least 6): only such text is looked up as an id.
bool looksLikeAnId(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^[0-9A-Za-z_\\-|*@]{6,64}$"));
    return re.match(text.trimmed()).hasMatch();
}

} // namespace

OrderRepository::SqlParts OrderTableModel::partsFor(const OrderFilter &filter) const
{
    OrderRepository::SqlParts parts;
    // One search box for any id: text that is exactly a payment's or a refund's number, or the
    // channel's transaction or refund id, finds that order (a substring search would not: the
    // channels' ids are not in the order's search text). Anything else is a substring search.
    std::optional<qint64> byId;
    if (!isWholeOrderNo(filter.search) && looksLikeAnId(filter.search)) {
        if (auto found = m_orders.orderIdOfAnyId(filter.search); found)
            byId = found.value();
    }
    if (byId) {
        OrderFilter rest = filter;
        rest.search.clear();
        parts = m_orders.sqlFor(rest);
        parts.where += (parts.where.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) + QStringLiteral("o.id = :anyid");
        parts.binds.insert(QStringLiteral(":anyid"), *byId);
    } else if (!isWholeOrderNo(filter.search)) {
        parts = m_orders.sqlFor(filter);
    } else {
        OrderFilter rest = filter;
        rest.search.clear();
        parts = m_orders.sqlFor(rest);
        parts.where += (parts.where.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) + QStringLiteral("o.order_no = :orderno");
        parts.binds.insert(QStringLiteral(":orderno"), filter.search.trimmed().toUpper());
    }
    if (m_ceiling > 0) {
        parts.where += (parts.where.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) + QStringLiteral("o.id <= :ceiling");
        parts.binds.insert(QStringLiteral(":ceiling"), m_ceiling);
    }
    return parts;
}

qint64 OrderTableModel::maxOrderId() const
{
    auto q = Sql::exec(m_db.connection(), QStringLiteral("SELECT COALESCE(MAX(id), 0) FROM orders"));
    if (!q || !q.value().next())
        return 0;
    return q.value().value(0).toLongLong();
}

void OrderTableModel::setHeld(qint64 held)
{
    if (held == m_held)
        return;
    m_held = held;
    emit heldChanged(held);
}

OrderTableModel::OrderTableModel(Database &db, OrderRepository &orders, const Clock &clock, QObject *parent)
    : QAbstractTableModel(parent), m_db(db), m_orders(orders), m_clock(clock)
{
    m_filter.limit = kPageSize;
    m_takenUpTo = maxOrderId();
    bool ok = false;
    m_count = queryCount(&ok);
}

OrderTableModel::~OrderTableModel() = default;

int OrderTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_count);
}

int OrderTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString OrderTableModel::stateText(OrderState state)
{
    return Labels::of(state);
}

QString OrderTableModel::channelText(std::optional<ChannelKind> channel)
{
    return Labels::of(channel);
}

QVariant OrderTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case OrderNo: return tr("Order no");
        case Created: return tr("Created");
        case Title: return tr("Title");
        case Buyer: return tr("Buyer");
        case Amount: return tr("Amount");
        case State: return tr("State");
        case Channel: return tr("Channel");
        case TimeLeft: return tr("Time left");
        case Refunded: return tr("Refunded");
        }
    }
    if (role == Qt::ToolTipRole && !isSortable(section))
        return tr("This column cannot be sorted.");
    if (role == Qt::TextAlignmentRole && (section == Amount || section == Refunded || section == TimeLeft))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

Qt::ItemFlags OrderTableModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
}

QVariant OrderTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Order *o = rowPtr(index.row());
    if (!o)
        return {};
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case OrderNo: return o->orderNo;
        case Created:
            return QDateTime::fromMSecsSinceEpoch(o->createdAt).toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
        case Title: return o->title;
        case Buyer: return o->buyer;
        case Amount: return o->amount().toDisplayString(QLocale());
        case State:
            // Pending but out of time (the timer closes it) or closed by hand right now.
            if (o->state == OrderState::Pending && (o->expiresAt <= m_clock.nowMs() || m_closing.contains(o->id)))
                return tr("Closing");
            return stateText(o->state);
        case Channel: return channelText(o->channel);
        case TimeLeft:
            if (o->state != OrderState::Pending)
                return QString();
            return o->expiresAt > m_clock.nowMs() ? Duration::countdown(o->expiresAt - m_clock.nowMs()) : tr("closing");
        case Refunded:
            return o->refundedMinor > 0 ? Money(o->refundedMinor, o->amount().currency()).toDisplayString(QLocale()) : QString();
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Amount || index.column() == Refunded || index.column() == TimeLeft)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ToolTipRole:
        if (index.column() == State && o->state == OrderState::Pending && m_closing.contains(o->id))
            return tr("Being closed at the channel");
        if (index.column() == State && o->state == OrderState::Pending && o->expiresAt <= m_clock.nowMs())
            return tr("The time to pay ran out; the timer is closing it at the channel");
        if (index.column() == State && o->state == OrderState::Closed)
            return o->closeReason == CloseReason::Expired ? tr("Closed: the time to pay ran out")
                                                          : tr("Closed by hand");
        if (index.column() == Title)
            return o->title;
        if (index.column() == Created)
            return Labels::time(o->createdAt);
        return {};
    case IdRole: return o->id;
    case OrderNoRole: return o->orderNo;
    case StateRole: return int(o->state);
    case ExpiresAtRole: return o->expiresAt;
    case AmountMinorRole: return o->amountMinor;
    case RefundedMinorRole: return o->refundedMinor;
    case CreatedAtRole: return o->createdAt;
    case ChipColourRole:
        if (o->state == OrderState::Pending && (o->expiresAt <= m_clock.nowMs() || m_closing.contains(o->id)))
            return QColor(0xD9, 0x3B, 0x3B);
        return Labels::colour(o->state);
    default: return {};
    }
}

bool OrderTableModel::isSortable(int column)
{
    return sortFor(column).has_value();
}

void OrderTableModel::sort(int column, Qt::SortOrder order)
{
    const auto key = sortFor(column);
    if (!key)
        return;
    OrderFilter f = m_filter;
    f.sort = *key;
    f.descending = order == Qt::DescendingOrder;
    if (f.sort == m_filter.sort && f.descending == m_filter.descending)
        return;
    // Same rows, new order: a layout change keeps the count and lets the view keep its place.
    emit layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    m_filter = f;
    m_pages.clear();
    const QModelIndexList persistent = persistentIndexList();
    // Rows are re-fetched in the new order; persistent indexes (the selection) cannot follow an
    // order we have not read, so they are dropped rather than left pointing at another order.
    changePersistentIndexList(persistent, QModelIndexList(persistent.size()));
    emit layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

void OrderTableModel::setFilter(const OrderFilter &filter)
{
    beginResetModel();
    m_filter = filter;
    m_filter.limit = kPageSize;
    m_filter.offset = 0;
    m_pages.clear();
    m_ceiling = 0;
    m_takenUpTo = maxOrderId();
    bool ok = false;
    m_count = queryCount(&ok);
    endResetModel();
    emit countChanged(m_count);
    setHeld(0);
}

void OrderTableModel::refresh(Intake intake)
{
    bool ok = false;
    qint64 held = 0;
    qint64 newCount = 0;
    if (intake == Intake::Hold) {
        // Everything up to the last intake, as before; what came since is only counted.
        m_ceiling = m_takenUpTo;
        const qint64 ceiling = m_ceiling;
        m_ceiling = 0;
        const qint64 all = queryCount(&ok);
        m_ceiling = ceiling;
        if (!ok)
            return;
        const qint64 shown = queryCount(&ok);
        if (!ok)
            return;
        held = all - shown;
        newCount = shown;
    } else {
        m_ceiling = 0;
        m_takenUpTo = maxOrderId();
        newCount = queryCount(&ok);
        if (!ok)
            return;
    }
    const qint64 oldCount = m_count;
    const bool newestFirst = m_filter.sort == OrderFilter::Sort::CreatedAt && m_filter.descending;
    // The cache is dropped between begin and end, so whoever looks at the rows before the
    // change (views, the tester) still sees the old window.
    if (newCount > oldCount) {
        const int first = newestFirst ? 0 : int(oldCount);
        beginInsertRows({}, first, first + int(newCount - oldCount) - 1);
        m_pages.clear();
        m_count = newCount;
        endInsertRows();
    } else if (newCount < oldCount) {
        beginRemoveRows({}, int(newCount), int(oldCount) - 1);
        m_pages.clear();
        m_count = newCount;
        endRemoveRows();
    } else {
        m_pages.clear();
    }
    if (m_count > 0)
        emit dataChanged(index(0, 0), index(int(m_count) - 1, ColumnCount - 1));
    if (newCount != oldCount)
        emit countChanged(m_count);
    setHeld(held);
}

std::optional<Order> OrderTableModel::orderAt(int row) const
{
    const Order *o = rowPtr(row);
    return o ? std::optional<Order>(*o) : std::nullopt;
}

int OrderTableModel::cachedRowOf(qint64 id) const
{
    for (auto it = m_pages.cbegin(); it != m_pages.cend(); ++it) {
        const auto &rows = it.value().rows;
        for (qsizetype i = 0; i < rows.size(); ++i)
            if (rows[i].id == id)
                return it.key() * kPageSize + int(i);
    }
    return -1;
}

void OrderTableModel::setClosing(qint64 id, bool closing)
{
    if (closing == m_closing.contains(id))
        return;
    if (closing)
        m_closing.insert(id);
    else
        m_closing.remove(id);
    if (const int row = cachedRowOf(id); row >= 0)
        emit dataChanged(index(row, State), index(row, State));
}

int OrderTableModel::rowOf(qint64 id, int hintRow) const
{
    if (const int row = cachedRowOf(id); row >= 0)
        return row;
    // Where it was (what the view shows), then the first pages, as far as the cache holds.
    QList<int> pages;
    if (hintRow >= 0 && hintRow < m_count)
        pages << hintRow / kPageSize;
    for (int p = 0; p < kMaxCachedPages - 1 && qint64(p) * kPageSize < m_count; ++p)
        if (!pages.contains(p))
            pages << p;
    for (int p : std::as_const(pages)) {
        (void)page(p);
        if (const int found = cachedRowOf(id); found >= 0)
            return found;
    }
    return -1;
}

bool OrderTableModel::matches(qint64 id) const
{
    auto parts = partsFor(m_filter);
    parts.where += (parts.where.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) + QStringLiteral("o.id = :matchid");
    auto q = Sql::prepare(m_db.connection(), QStringLiteral("SELECT COUNT(*) FROM orders o") + parts.where);
    if (!q)
        return false;
    for (auto it = parts.binds.cbegin(); it != parts.binds.cend(); ++it)
        q.value().bindValue(it.key(), Sql::bindable(it.value()));
    q.value().bindValue(QStringLiteral(":matchid"), id);
    if (Status s = Sql::execPrepared(q.value()); !s || !q.value().next())
        return false;
    return q.value().value(0).toLongLong() > 0;
}

const Order *OrderTableModel::rowPtr(int row) const
{
    if (row < 0 || row >= m_count)
        return nullptr;
    const Page *p = page(row / kPageSize);
    if (!p)
        return nullptr;
    const int i = row % kPageSize;
    return i < p->rows.size() ? &p->rows[i] : nullptr;
}

const OrderTableModel::Page *OrderTableModel::page(int pageNo) const
{
    auto it = m_pages.find(pageNo);
    if (it != m_pages.end()) {
        it->lastUse = ++m_useCounter;
        return &it.value();
    }
    QList<Order> rows;
    // A failed fetch caches an empty page, so a broken query is not repeated on every paint.
    (void)fetchPage(pageNo, &rows);
    if (m_pages.size() >= kMaxCachedPages) {
        auto oldest = std::min_element(m_pages.begin(), m_pages.end(),
                                       [](const Page &a, const Page &b) { return a.lastUse < b.lastUse; });
        m_pages.erase(oldest);
    }
    Page &p = m_pages[pageNo];
    p.rows = std::move(rows);
    p.lastUse = ++m_useCounter;
    return &p;
}

qint64 OrderTableModel::queryCount(bool *ok)
{
    QElapsedTimer t;
    t.start();
    const auto parts = partsFor(m_filter);
    // A search alone on SQLite is counted in the FTS index itself (no row visits).
    const bool ftsOnly = parts.binds.size() == 1 && parts.binds.contains(QStringLiteral(":fts"));
    auto q = Sql::prepare(m_db.connection(), ftsOnly ? QStringLiteral("SELECT COUNT(*) FROM orders_fts WHERE orders_fts MATCH :fts")
                                                     : QStringLiteral("SELECT COUNT(*) FROM orders o") + parts.where);
    if (q) {
        for (auto it = parts.binds.cbegin(); it != parts.binds.cend(); ++it)
            q.value().bindValue(it.key(), Sql::bindable(it.value()));
        if (Status s = Sql::execPrepared(q.value()); s && q.value().next()) {
            *ok = true;
            m_lastCountMs = t.elapsed();
            return q.value().value(0).toLongLong();
        } else if (!s) {
            emit queryFailed(s.error().message);
        }
    } else {
        emit queryFailed(q.error().message);
    }
    *ok = false;
    return m_count;
}

bool OrderTableModel::fetchPage(int pageNo, QList<Order> *out) const
{
    QElapsedTimer t;
    t.start();
    const qint64 first = qint64(pageNo) * kPageSize;
    const qint64 end = qMin<qint64>(first + kPageSize, m_count);
    if (first >= end)
        return false;
    // Past the middle, read from the other end: OFFSET costs what it skips.
    const bool backwards = first > m_count / 2;
    OrderFilter f = m_filter;
    qint64 offset = first;
    if (backwards) {
        f.descending = !f.descending;
        offset = m_count - end;
    }
    const auto parts = partsFor(f);
    // A broad search (thousands of matches) is faster walking the sort's index and testing
    // membership than sorting every match; SQLite's planner cannot know, so tell it.
    QString hint;
    const bool ftsOnly = parts.binds.size() == 1 && parts.binds.contains(QStringLiteral(":fts"));
    if (ftsOnly && m_count > kBroadSearch) {
        switch (f.sort) {
        case OrderFilter::Sort::CreatedAt: hint = QStringLiteral(" INDEXED BY orders_created"); break;
        case OrderFilter::Sort::Amount: hint = QStringLiteral(" INDEXED BY orders_amount"); break;
        case OrderFilter::Sort::ExpiresAt: hint = QStringLiteral(" INDEXED BY orders_expires"); break;
        case OrderFilter::Sort::State: hint = QStringLiteral(" INDEXED BY orders_state"); break;
        case OrderFilter::Sort::Title: hint = QStringLiteral(" INDEXED BY orders_title"); break;
        case OrderFilter::Sort::Buyer: hint = QStringLiteral(" INDEXED BY orders_buyer"); break;
        case OrderFilter::Sort::OrderNo: break;
        }
    }
    // The inner query walks a covering index for ids only; the outer one reads just those rows.
    const QString sql = QStringLiteral("SELECT %1 FROM orders o WHERE o.id IN (SELECT o.id FROM orders o%4%2%3 LIMIT :limit OFFSET :offset)%3")
                            .arg(OrderRepository::orderColumns(), parts.where, parts.orderBy, hint);
    auto q = Sql::prepare(m_db.connection(), sql);
    if (!q) {
        emit const_cast<OrderTableModel *>(this)->queryFailed(q.error().message);
        return false;
    }
    for (auto it = parts.binds.cbegin(); it != parts.binds.cend(); ++it)
        q.value().bindValue(it.key(), Sql::bindable(it.value()));
    q.value().bindValue(QStringLiteral(":limit"), end - first);
    q.value().bindValue(QStringLiteral(":offset"), offset);
    if (Status s = Sql::execPrepared(q.value()); !s) {
        emit const_cast<OrderTableModel *>(this)->queryFailed(s.error().message);
        return false;
    }
    out->reserve(int(end - first));
    while (q.value().next())
        out->append(OrderRepository::readOrder(q.value()));
    if (backwards)
        std::reverse(out->begin(), out->end());
    m_lastFetchMs = t.elapsed();
    ++m_pagesFetched;
    return true;
}

} // namespace paydesk
