#pragma once

#include "storage/OrderRepository.h"
#include "util/Clock.h"

#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <QHash>
#include <QSet>

#include <optional>

namespace paydesk {

/// The orders table over a million rows: a window onto SQL, not a copy of it.
///
/// The row count comes from SELECT COUNT(*); rows are fetched in pages of kPageSize by
/// LIMIT/OFFSET only when the view asks for them (the view only asks for what it shows), and a
/// few pages are cached. The OFFSET walks a covering index (the subquery selects ids only), and
/// a page past the middle is read backwards from the end, so the last row costs no more than
/// the first. Filtering and sorting are SQL (OrderRepository::sqlFor), never a proxy.
///
/// Time left is not a model change: the model hands out expires_at (ExpiresAtRole) and a
/// delegate paints the countdown; the model never emits a change per row per second.
class OrderTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OrderTableModel)
public:
    enum Column { OrderNo, Created, Title, Buyer, Amount, State, Channel, TimeLeft, Refunded, ColumnCount };
    enum Role {
        IdRole = Qt::UserRole + 1,
        OrderNoRole,
        StateRole,        ///< int(OrderState)
        ExpiresAtRole,    ///< qint64 ms
        AmountMinorRole,  ///< qint64
        RefundedMinorRole,
        CreatedAtRole,
        ChipColourRole,   ///< QColor of the state chip (red while closing)
    };
    static constexpr int kPageSize = 200;
    static constexpr int kMaxCachedPages = 8;
    /// Above this many search matches, pages walk the sort index instead of sorting matches.
    static constexpr qint64 kBroadSearch = 5000;

    OrderTableModel(Database &db, OrderRepository &orders, const Clock &clock, QObject *parent = nullptr);
    ~OrderTableModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    /// Sorts in SQL. Columns without an SQL sort key (channel, refunded) keep the current order.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    static bool isSortable(int column);

    const OrderFilter &filter() const { return m_filter; }
    /// Replaces filter and sort (a reset: new count, empty cache).
    void setFilter(const OrderFilter &filter);

    /// Whether a refresh brings in orders created since the rows were last taken in, or holds
    /// them back (counted in heldCount()) so the rows the user is reading do not move.
    enum class Intake { Take, Hold };
    /// Re-reads the count and drops the cache after the books changed, without a reset: rows
    /// appear (at the top for the newest-first default order) or disappear, and one
    /// dataChanged covers the rest, so the view repaints only what it shows. With Intake::Hold
    /// orders newer than the last intake stay out until a refresh with Intake::Take.
    void refresh(Intake intake = Intake::Take);
    /// Orders that match the filter but are held back (see refresh()).
    qint64 heldCount() const { return m_held; }

    /// The order at `row`, fetching its page if needed.
    std::optional<Order> orderAt(int row) const;
    /// The row of an order id among the cached pages, or -1.
    int cachedRowOf(qint64 id) const;
    /// The row of an order id: the cached pages, then the page around `hintRow` (what the
    /// view shows) and the first few pages, or -1.
    int rowOf(qint64 id, int hintRow = -1) const;
    /// Whether the order `id` matches the filter (one indexed SQL lookup).
    bool matches(qint64 id) const;

    qint64 totalCount() const { return m_count; }
    /// Marks an order as being closed by hand (the channel call runs): its state shows "Closing".
    void setClosing(qint64 id, bool closing);
    /// Milliseconds the last page fetch and count took (benchmarks, status).
    qint64 lastFetchMs() const { return m_lastFetchMs; }
    qint64 lastCountMs() const { return m_lastCountMs; }
    int pagesFetched() const { return m_pagesFetched; }
    int cachedPages() const { return int(m_pages.size()); }

    static QString stateText(OrderState state);
    static QString channelText(std::optional<ChannelKind> channel);

signals:
    void queryFailed(const QString &message);
    void countChanged(qint64 count);
    void heldChanged(qint64 held);

private:
    struct Page
    {
        QList<Order> rows;
        quint64 lastUse = 0;
    };
    OrderRepository::SqlParts partsFor(const OrderFilter &filter) const;
    qint64 queryCount(bool *ok);
    const Page *page(int pageNo) const;
    bool fetchPage(int pageNo, QList<Order> *out) const;
    const Order *rowPtr(int row) const;
    qint64 maxOrderId() const;
    void setHeld(qint64 held);

    Database &m_db;
    OrderRepository &m_orders;
    const Clock &m_clock;
    OrderFilter m_filter;
    qint64 m_count = 0;
    qint64 m_takenUpTo = 0; ///< the newest order id when rows were last taken in
    qint64 m_ceiling = 0;   ///< > 0: rows with a higher id are held back
    qint64 m_held = 0;
    QSet<qint64> m_closing;
    mutable QHash<int, Page> m_pages;
    mutable quint64 m_useCounter = 0;
    mutable qint64 m_lastFetchMs = 0;
    qint64 m_lastCountMs = 0;
    mutable int m_pagesFetched = 0;
};

} // namespace paydesk
