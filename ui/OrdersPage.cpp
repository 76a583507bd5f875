#include "OrdersPage.h"

#include "ActionPolicy.h"
#include "DateRange.h"
#include "DbWorker.h"
#include "Delegates.h"
#include "FileDialogs.h"
#include "Labels.h"
#include "MessageBox.h"
#include "MarkPaidDialog.h"
#include "NewOrderDialog.h"
#include "OrderDetailPane.h"
#include "OrderExport.h"
#include "OrderTableModel.h"
#include "OrderWatch.h"
#include "ReceiptDialog.h"
#include "RefundDialog.h"
#include "RepayDialog.h"
#include "services/Services.h"
#include "sync/SyncEngine.h"

#include <QAbstractButton>
#include <QAction>
#include <QComboBox>
#include <QCursor>
#include <QDateEdit>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPointer>
#include <QProgressDialog>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

namespace paydesk::ui {

namespace {
QAction *makeAction(QWidget *owner, const QString &text, const QList<QKeySequence> &keys)
{
    auto *a = new QAction(text, owner);
    a->setShortcuts(keys);
    a->setShortcutContext(Qt::WindowShortcut);
    owner->addAction(a);
    return a;
}

QString withShortcut(const QString &text, const QAction *a)
{
    if (a->shortcut().isEmpty())
        return text;
    return QStringLiteral("%1 (%2)").arg(text, a->shortcut().toString(QKeySequence::NativeText));
}
} // namespace

OrdersPage::OrdersPage(UiContext &ctx, QWidget *parent)
    : Page(parent), m_ctx(ctx),
      m_model(new OrderTableModel(*ctx.services.db, ctx.services.orders, *ctx.services.clock, this)),
      m_table(new QTableView(this)), m_detail(new OrderDetailPane(ctx, this)), m_search(new QLineEdit(this)),
      m_state(new QComboBox(this)), m_channel(new QComboBox(this)), m_range(new QComboBox(this)),
      m_from(new QDateEdit(this)), m_to(new QDateEdit(this)), m_count(new QLabel(this)), m_newRows(new QPushButton(this)),
      m_otherMatches(new QPushButton(this)), m_emptyHint(nullptr)
{
    setObjectName(QStringLiteral("ordersPage"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    // ---- actions ----
    m_newOrder = makeAction(this, tr("&New order…"), {QKeySequence::New});
    m_repay = makeAction(this, tr("Re&pay…"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P)});
    m_close = makeAction(this, tr("C&lose order…"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C)});
    m_refund = makeAction(this, tr("Re&fund…"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R)});
    m_refreshOne = makeAction(this, tr("As&k channel"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Q)});
    m_refresh = makeAction(this, tr("&Refresh"), {QKeySequence(Qt::CTRL | Qt::Key_R), QKeySequence(Qt::Key_F5)});
    m_export = makeAction(this, tr("&Export CSV…"), {QKeySequence(Qt::CTRL | Qt::Key_E)});
    m_receipt = makeAction(this, tr("Rece&ipt…"), {QKeySequence::Print});
    m_markPaid = makeAction(this, tr("&Mark paid…"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M)});
    auto *focusSearch = makeAction(this, tr("Search"), {QKeySequence::Find});
    m_newOrder->setObjectName(QStringLiteral("newOrderAction"));
    m_repay->setObjectName(QStringLiteral("repayAction"));
    m_close->setObjectName(QStringLiteral("closeAction"));
    m_refund->setObjectName(QStringLiteral("refundAction"));
    m_refreshOne->setObjectName(QStringLiteral("askChannelAction"));
    m_receipt->setObjectName(QStringLiteral("receiptAction"));
    m_markPaid->setObjectName(QStringLiteral("markPaidAction"));
    m_refresh->setObjectName(QStringLiteral("refreshAction"));
    connect(m_newOrder, &QAction::triggered, this, &OrdersPage::newOrder);
    connect(m_repay, &QAction::triggered, this, &OrdersPage::repay);
    connect(m_close, &QAction::triggered, this, &OrdersPage::closeOrder);
    connect(m_refund, &QAction::triggered, this, &OrdersPage::requestRefund);
    connect(m_refreshOne, &QAction::triggered, this, &OrdersPage::refreshOrder);
    connect(m_refresh, &QAction::triggered, this, &OrdersPage::refresh);
    connect(m_export, &QAction::triggered, this, &OrdersPage::exportCsv);
    connect(m_receipt, &QAction::triggered, this, &OrdersPage::showReceipt);
    connect(m_markPaid, &QAction::triggered, this, &OrdersPage::markPaid);
    connect(focusSearch, &QAction::triggered, this, [this] {
        m_search->setFocus(Qt::ShortcutFocusReason);
        m_search->selectAll();
    });

    auto *toolbar = new QToolBar(this);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    toolbar->addAction(m_newOrder);
    toolbar->addSeparator();
    toolbar->addAction(m_repay);
    toolbar->addAction(m_close);
    toolbar->addAction(m_refund);
    toolbar->addAction(m_refreshOne);
    toolbar->addAction(m_receipt);
    toolbar->addAction(m_markPaid);
    toolbar->addSeparator();
    toolbar->addAction(m_refresh);
    toolbar->addAction(m_export);
    // Tool buttons are not in the tab chain by default; every action must be keyboard reachable.
    for (QAction *a : toolbar->actions())
        if (QWidget *w = a->isSeparator() ? nullptr : toolbar->widgetForAction(a))
            w->setFocusPolicy(Qt::TabFocus);
    layout->addWidget(toolbar);

    // ---- filter bar ----
    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(8, 0, 8, 0);
    m_search->setPlaceholderText(tr("Search order no, title, buyer, or any payment or refund id (Ctrl+F)"));
    m_search->setClearButtonEnabled(true);
    m_search->setObjectName(QStringLiteral("orderSearch"));
    m_search->setAccessibleName(tr("Search orders"));
    m_state->addItem(tr("All states"), -1);
    for (OrderState s : {OrderState::Pending, OrderState::Paid, OrderState::PartiallyRefunded, OrderState::Refunded, OrderState::Closed})
        m_state->addItem(Labels::of(s), int(s));
    m_state->setAccessibleName(tr("State filter"));
    m_channel->addItem(tr("All channels"), -1);
    for (ChannelKind c : {ChannelKind::WeChat, ChannelKind::Alipay, ChannelKind::Sim})
        m_channel->addItem(Labels::of(c), int(c));
    m_channel->setAccessibleName(tr("Channel filter"));
    DateRange::fill(m_range, true);
    m_range->setAccessibleName(tr("Date range"));
    for (QDateEdit *d : {m_from, m_to}) {
        d->setCalendarPopup(true);
        d->setDisplayFormat(QStringLiteral("yyyy-MM-dd"));
        d->setVisible(false);
    }
    m_from->setAccessibleName(tr("From date"));
    m_to->setAccessibleName(tr("To date"));
    auto *searchLabel = new QLabel(tr("&Search:"), this);
    searchLabel->setBuddy(m_search);
    bar->addWidget(searchLabel);
    bar->addWidget(m_search, 2);
    auto *stateLabel = new QLabel(tr("S&tate:"), this);
    stateLabel->setBuddy(m_state);
    bar->addWidget(stateLabel);
    bar->addWidget(m_state);
    auto *channelLabel = new QLabel(tr("C&hannel:"), this);
    channelLabel->setBuddy(m_channel);
    bar->addWidget(channelLabel);
    bar->addWidget(m_channel);
    auto *rangeLabel = new QLabel(tr("&Date:"), this);
    rangeLabel->setBuddy(m_range);
    bar->addWidget(rangeLabel);
    bar->addWidget(m_range);
    bar->addWidget(m_from);
    bar->addWidget(m_to);
    bar->addStretch(1);
    m_otherMatches->setObjectName(QStringLiteral("otherMatchesButton"));
    m_otherMatches->setFlat(true);
    m_otherMatches->setCursor(Qt::PointingHandCursor);
    m_otherMatches->setStyleSheet(QStringLiteral("QPushButton { color: #1f6feb; text-decoration: underline; border: none; padding: 2px 4px; } "
                                                 "QPushButton:focus { border: 1px solid #1f6feb; border-radius: 3px; }"));
    m_otherMatches->setVisible(false);
    connect(m_otherMatches, &QPushButton::clicked, this, &OrdersPage::showAllMatches);
    bar->addWidget(m_otherMatches);
    m_count->setObjectName(QStringLiteral("orderCount"));
    bar->addWidget(m_count);
    layout->addLayout(bar);

    // ---- new orders wait here while the user reads the table (issue 16 point 3) ----
    m_newRows->setObjectName(QStringLiteral("newOrdersButton"));
    m_newRows->setCursor(Qt::PointingHandCursor);
    m_newRows->setStyleSheet(QStringLiteral("QPushButton { background: #1f6feb; color: white; border-radius: 12px; padding: 4px 16px; "
                                            "font-weight: bold; } QPushButton:focus { border: 2px solid #0b3d91; }"));
    m_newRows->setVisible(false);
    auto *newRowsLine = new QHBoxLayout;
    newRowsLine->setContentsMargins(8, 0, 8, 0);
    newRowsLine->addStretch(1);
    newRowsLine->addWidget(m_newRows);
    newRowsLine->addStretch(1);
    layout->addLayout(newRowsLine);
    connect(m_newRows, &QPushButton::clicked, this, &OrdersPage::showNewRows);

    // ---- table and detail ----
    m_table->setObjectName(QStringLiteral("ordersTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setSortingEnabled(true);
    m_table->horizontalHeader()->setSortIndicator(OrderTableModel::Created, Qt::DescendingOrder);
    m_table->horizontalHeader()->setSectionsMovable(true);
    m_table->horizontalHeader()->setHighlightSections(false);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTabKeyNavigation(false);
    m_table->verticalHeader()->hide();
    // Fixed row height: the view never measures rows it does not show (a million rows).
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 10);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    const QFontMetrics fm = m_table->fontMetrics();
    // Wide enough for the longest state chip and channel name in the current language.
    int stateWidth = 0, channelWidth = 0;
    for (OrderState st : {OrderState::Pending, OrderState::Paid, OrderState::PartiallyRefunded, OrderState::Refunded, OrderState::Closed})
        stateWidth = qMax(stateWidth, fm.horizontalAdvance(Labels::of(st)) * 92 / 100 + 30);
    for (ChannelKind c : {ChannelKind::WeChat, ChannelKind::Alipay, ChannelKind::Sim})
        channelWidth = qMax(channelWidth, fm.horizontalAdvance(Labels::of(c)) + 14);
    const int widths[] = {fm.horizontalAdvance(QStringLiteral("PD202601010001234567")) + 14,
                          fm.horizontalAdvance(QStringLiteral("2026-01-01 00:00")) + 14, 170, 96,
                          fm.horizontalAdvance(QStringLiteral("¥10,000.00")) + 16, stateWidth, channelWidth,
                          fm.horizontalAdvance(QStringLiteral("00:00:00")) + 24,
                          fm.horizontalAdvance(QStringLiteral("¥10,000.00")) + 16};
    for (int c = 0; c < OrderTableModel::ColumnCount; ++c)
        m_table->setColumnWidth(c, widths[c]);
    // The title takes what the other columns leave, so every column (refunded included) shows
    // without scrolling sideways at the window's default size.
    m_table->horizontalHeader()->setMinimumSectionSize(40);
    m_table->horizontalHeader()->setSectionResizeMode(OrderTableModel::Title, QHeaderView::Stretch);
    m_table->setItemDelegateForColumn(OrderTableModel::TimeLeft,
                                      new CountdownDelegate(*ctx.services.clock, OrderTableModel::ExpiresAtRole,
                                                            OrderTableModel::StateRole, m_table));
    m_table->setItemDelegateForColumn(OrderTableModel::State,
                                      new StateChipDelegate(StateChipDelegate::Kind::Order, OrderTableModel::ChipColourRole, m_table));
    m_ticker = new CountdownTicker(m_table, OrderTableModel::TimeLeft, this);
    // The state chip turns "Closing" when the time runs out: it repaints with the countdown.
    new CountdownTicker(m_table, OrderTableModel::State, this);

    // The detail pane goes below the table, so all nine columns fit the table's full width.
    auto *split = new QSplitter(Qt::Vertical, this);
    split->setObjectName(QStringLiteral("ordersSplitter"));
    split->addWidget(m_table);
    split->addWidget(m_detail);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);
    split->setSizes({560, 250});
    layout->addWidget(split, 1);

    // Said over an empty table, so an empty result is not mistaken for a broken page.
    m_emptyHint = new QLabel(m_table->viewport());
    m_emptyHint->setObjectName(QStringLiteral("emptyHint"));
    m_emptyHint->setAlignment(Qt::AlignCenter);
    m_emptyHint->setWordWrap(true);
    m_emptyHint->setForegroundRole(QPalette::PlaceholderText);
    QFont hintFont = m_emptyHint->font();
    hintFont.setPointSizeF(hintFont.pointSizeF() * 1.15);
    m_emptyHint->setFont(hintFont);
    m_emptyHint->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_emptyHint->hide();
    m_table->viewport()->installEventFilter(this);
    // Escape in the search box clears it (and the filter it set).
    auto *clearSearch = new QAction(tr("Clear search"), m_search);
    clearSearch->setShortcut(QKeySequence(Qt::Key_Escape));
    clearSearch->setShortcutContext(Qt::WidgetShortcut);
    m_search->addAction(clearSearch);
    connect(clearSearch, &QAction::triggered, this, [this] {
        m_search->clear();
        applyFilter();
    });

    m_searchDelay.setSingleShot(true);
    m_searchDelay.setInterval(250);
    connect(&m_searchDelay, &QTimer::timeout, this, &OrdersPage::applyFilter);
    connect(m_search, &QLineEdit::textChanged, this, [this] { m_searchDelay.start(); });
    connect(m_search, &QLineEdit::returnPressed, this, &OrdersPage::applyFilter);
    connect(m_state, &QComboBox::currentIndexChanged, this, &OrdersPage::applyFilter);
    connect(m_channel, &QComboBox::currentIndexChanged, this, &OrdersPage::applyFilter);
    connect(m_range, &QComboBox::currentIndexChanged, this, &OrdersPage::rangeChanged);
    connect(m_from, &QDateEdit::dateChanged, this, &OrdersPage::applyFilter);
    connect(m_to, &QDateEdit::dateChanged, this, &OrdersPage::applyFilter);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &OrdersPage::currentChanged);
    // A new filter or sort: the same order stays selected, scrolled into view.
    connect(m_model, &OrderTableModel::modelReset, this, [this] { followSelection(true); });
    connect(m_model, &OrderTableModel::layoutChanged, this, [this] { followSelection(true); });
    connect(m_model, &OrderTableModel::countChanged, this, &OrdersPage::updateCountLabel);
    connect(m_model, &OrderTableModel::modelReset, this, &OrdersPage::updateHints);
    connect(m_model, &OrderTableModel::heldChanged, this, [this](qint64 held) {
        m_newRows->setText(tr("↑ %n new order(s) — show", nullptr, int(qMin<qint64>(held, INT_MAX))));
        m_newRows->setToolTip(tr("New orders came in while you were reading; they wait here so the rows do not move."));
        m_newRows->setVisible(held > 0);
    });
    connect(m_model, &OrderTableModel::queryFailed, this, &OrdersPage::message);
    connect(m_table, &QTableView::activated, this, [this] {
        if (m_repay->isEnabled())
            repay();
    });

    setTabOrder(m_search, m_state);
    setTabOrder(m_state, m_channel);
    setTabOrder(m_channel, m_range);
    setTabOrder(m_range, m_from);
    setTabOrder(m_from, m_to);
    setTabOrder(m_to, m_table);
    updateCountLabel();
    updateActions();
}

OrderFilter OrdersPage::filterFromBar() const
{
    OrderFilter f = m_model->filter();
    f.states.clear();
    if (const int s = m_state->currentData().toInt(); s >= 0)
        f.states = {OrderState(s)};
    f.channel.reset();
    if (const int c = m_channel->currentData().toInt(); c >= 0)
        f.channel = ChannelKind(c);
    const auto kind = DateRange::Kind(m_range->currentData().toInt());
    f.createdFrom = f.createdTo = 0;
    if (kind != DateRange::Any) {
        QDate first = m_from->date(), last = m_to->date();
        if (kind != DateRange::Custom)
            std::tie(first, last) = DateRange::days(kind, m_ctx.services.clock->now().toLocalTime().date());
        f.createdFrom = first.startOfDay().toMSecsSinceEpoch();
        f.createdTo = last.addDays(1).startOfDay().toMSecsSinceEpoch();
    }
    f.search = m_search->text().trimmed();
    return f;
}

void OrdersPage::rangeChanged()
{
    const auto kind = DateRange::Kind(m_range->currentData().toInt());
    const bool custom = kind == DateRange::Custom;
    if (custom) {
        const auto [first, last] = DateRange::days(DateRange::Last7, m_ctx.services.clock->now().toLocalTime().date());
        const QSignalBlocker b1(m_from), b2(m_to);
        m_from->setDate(first);
        m_to->setDate(last);
    }
    m_from->setVisible(custom);
    m_to->setVisible(custom);
    applyFilter();
}

void OrdersPage::applyFilter()
{
    m_searchDelay.stop();
    const OrderFilter f = filterFromBar();
    const OrderFilter &cur = m_model->filter();
    if (f.states == cur.states && f.channel == cur.channel && f.createdFrom == cur.createdFrom && f.createdTo == cur.createdTo
        && f.search == cur.search)
        return;
    m_model->setFilter(f);
    if (!m_selected) // else the selected order was scrolled into view
        m_table->scrollToTop();
}

void OrdersPage::updateCountLabel()
{
    m_count->setText(tr("%n order(s)", nullptr, int(qMin<qint64>(m_model->totalCount(), INT_MAX))));
    updateHints();
}

QString OrdersPage::emptyText() const { return m_emptyHint->isVisibleTo(m_table) ? m_emptyHint->text() : QString(); }

void OrdersPage::updateHints()
{
    const OrderFilter &f = m_model->filter();
    const bool narrowed = !f.states.isEmpty() || f.channel.has_value() || f.createdFrom > 0 || f.createdTo > 0;
    const bool onlyState = !f.states.isEmpty() && !f.channel.has_value() && f.createdFrom == 0 && f.createdTo == 0;
    // A search the other filters narrow: how many matches they hide.
    qint64 hidden = 0;
    if (!f.search.isEmpty() && narrowed) {
        OrderFilter all;
        all.search = f.search;
        if (auto n = m_ctx.services.orders.count(all); n)
            hidden = qMax<qint64>(0, n.value() - m_model->totalCount() - m_model->heldCount());
    }
    const int n = int(qMin<qint64>(hidden, INT_MAX));
    m_otherMatches->setText(onlyState ? tr("%n match(es) in other states — show all", nullptr, n)
                                      : tr("%n match(es) outside these filters — show all", nullptr, n));
    m_otherMatches->setToolTip(tr("Clear the state, channel and date filters and keep the search"));
    m_otherMatches->setVisible(hidden > 0);

    QString empty;
    if (m_model->totalCount() == 0) {
        if (!f.search.isEmpty())
            empty = hidden > 0 ? tr("No order here matches “%1”, but %n in other states or dates do.", nullptr, n).arg(f.search)
                               : tr("No order matches “%1”.\nSearch looks in the order number, the title and the buyer; "
                                    "Escape clears the search.").arg(f.search);
        else if (narrowed)
            empty = tr("No orders in this state, channel or date range.");
        else
            empty = tr("No orders yet. New order (Ctrl+N) takes a payment at the counter.");
    }
    m_emptyHint->setText(empty);
    m_emptyHint->setGeometry(m_table->viewport()->rect().adjusted(16, 16, -16, -16));
    m_emptyHint->setVisible(!empty.isEmpty());
}

void OrdersPage::openFilters()
{
    const QSignalBlocker b1(m_state), b2(m_channel), b3(m_range);
    m_state->setCurrentIndex(0);
    m_channel->setCurrentIndex(0);
    m_range->setCurrentIndex(m_range->findData(int(DateRange::Any)));
    m_from->setVisible(false);
    m_to->setVisible(false);
}

void OrdersPage::showAllMatches()
{
    openFilters();
    applyFilter();
}

bool OrdersPage::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_table->viewport() && event->type() == QEvent::Resize && m_emptyHint)
        m_emptyHint->setGeometry(m_table->viewport()->rect().adjusted(16, 16, -16, -16));
    return Page::eventFilter(watched, event);
}

void OrdersPage::currentChanged()
{
    const QModelIndex cur = m_table->currentIndex();
    std::optional<Order> o = cur.isValid() ? m_model->orderAt(cur.row()) : std::nullopt;
    if (o && m_selected && o->id == m_selected->id && o->state == m_selected->state && o->refundedMinor == m_selected->refundedMinor)
        return;
    m_selected = o;
    showSelected();
}

void OrdersPage::showSelected()
{
    m_refundable = -1;
    if (m_selected && (m_selected->state == OrderState::Paid || m_selected->state == OrderState::PartiallyRefunded)) {
        auto r = m_ctx.services.refundService.refundable(m_selected->orderNo);
        m_refundable = r ? r->minor() : 0;
    }
    m_detail->showOrder(m_selected);
    updateActions();
}

void OrdersPage::updateActions()
{
    const Order *o = m_selected ? &*m_selected : nullptr;
    const qint64 now = m_ctx.services.clock->nowMs();
    const Role role = m_ctx.user.role;
    struct Item { QAction *action; ActionPolicy::Action kind; QString help; };
    const Item items[] = {
        {m_newOrder, ActionPolicy::Action::NewOrder, tr("Take a payment at the counter and show its QR code")},
        {m_repay, ActionPolicy::Action::Repay, tr("Issue a new payment code for this order")},
        {m_close, ActionPolicy::Action::Close, tr("Close this unpaid order at the channel and here")},
        {m_refund, ActionPolicy::Action::Refund, tr("Ask for money back to the customer (reviewed by finance)")},
        {m_refreshOne, ActionPolicy::Action::Refresh, tr("Ask the channel about this order's payments now")},
        {m_markPaid, ActionPolicy::Action::MarkPaid, tr("Money came for this order without an answer: ask finance to mark it paid")},
        {m_receipt, ActionPolicy::Action::Receipt, tr("Print or save the customer's receipt of this payment or a refund")},
    };
    for (const Item &item : items) {
        const ActionVerdict v = ActionPolicy::check(item.kind, role, o, now, m_refundable);
        item.action->setEnabled(v.allowed);
        item.action->setToolTip(v.allowed ? withShortcut(item.help, item.action) : v.reason);
        item.action->setStatusTip(v.allowed ? item.help : v.reason);
    }
    m_refresh->setToolTip(withShortcut(tr("Re-read the orders now"), m_refresh));
    m_export->setToolTip(withShortcut(tr("Write the orders that match the filter to a CSV file"), m_export));
}

bool OrdersPage::isReading() const
{
    const QWidget *vp = m_table->viewport();
    const bool pointing = vp->underMouse() && vp->rect().contains(vp->mapFromGlobal(QCursor::pos()));
    return pointing || m_table->verticalScrollBar()->value() > 0 || m_model->heldCount() > 0;
}

void OrdersPage::refresh()
{
    // New orders go on top (newest first): while the user points at or scrolls the table they
    // would push the rows down under the pointer, so they wait behind "N new orders".
    m_model->refresh(isReading() ? OrderTableModel::Intake::Hold : OrderTableModel::Intake::Take);
    followSelection();
}

void OrdersPage::showNewRows()
{
    m_model->refresh(OrderTableModel::Intake::Take);
    followSelection();
    m_table->scrollToTop();
}

void OrdersPage::followSelection(bool reveal)
{
    if (!m_selected) {
        if (m_table->currentIndex().isValid()) // a row became current while nothing was followed
            currentChanged();
        else
            updateActions();
        return;
    }
    const qint64 id = m_selected->id;
    const QModelIndex cur = m_table->currentIndex();
    const int row = m_model->rowOf(id, cur.isValid() ? cur.row() : -1);
    auto fresh = m_ctx.services.orders.byId(id);
    QItemSelectionModel *sel = m_table->selectionModel();
    if (row < 0 && !m_model->matches(id)) {
        // It left the filter (paid while the filter shows Pending, say): no row stands for it
        // any more, so nothing is selected and no action can reach it.
        const QString no = m_selected->orderNo;
        {
            const QSignalBlocker block(sel);
            sel->clear();
        }
        m_table->viewport()->update();
        m_selected.reset();
        showSelected();
        if (fresh)
            emit message(tr("%1 is now %2 and no longer matches the filter; nothing is selected.")
                             .arg(no, Labels::of(fresh->state)));
        return;
    }
    {
        const QSignalBlocker block(sel);
        if (row >= 0) {
            if (!cur.isValid() || cur.row() != row || !sel->isRowSelected(row))
                sel->setCurrentIndex(m_model->index(row, cur.isValid() ? cur.column() : 0),
                                     QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
            if (reveal)
                m_table->scrollTo(m_model->index(row, 0), QAbstractItemView::EnsureVisible);
        } else {
            sel->clear(); // still in the filter, but not among the rows read: no other row is lit
        }
    }
    m_table->viewport()->update();
    if (fresh)
        m_selected = fresh.value();
    showSelected();
}

bool OrdersPage::selectOrder(const QString &orderNo)
{
    for (int pass = 0; pass < 2; ++pass) {
        const int rows = qMin(m_model->rowCount(), OrderTableModel::kPageSize);
        for (int r = 0; r < rows; ++r) {
            if (m_model->data(m_model->index(r, OrderTableModel::OrderNo), OrderTableModel::OrderNoRole).toString() == orderNo) {
                m_table->setCurrentIndex(m_model->index(r, OrderTableModel::OrderNo));
                m_table->scrollTo(m_table->currentIndex());
                return true;
            }
        }
        if (pass == 0) {
            // Not among the rows shown: look it up by number, in every state, channel and day.
            openFilters();
            m_search->setText(orderNo);
            applyFilter();
        }
    }
    return false;
}

void OrdersPage::newOrder()
{
    if (!m_newOrder->isEnabled())
        return;
    NewOrderDialog dialog(m_ctx, this);
    dialog.exec();
    if (dialog.orderNo().isEmpty()) {
        refresh();
        return;
    }
    m_model->refresh(OrderTableModel::Intake::Take);
    // The order just made is the one the clerk works on next.
    selectOrder(dialog.orderNo());
    emit message(tr("Order %1 created.").arg(dialog.orderNo()));
}

void OrdersPage::repay()
{
    if (!m_repay->isEnabled() || !m_selected)
        return;
    RepayDialog dialog(m_ctx, *m_selected, this);
    dialog.exec();
    refresh();
}

void OrdersPage::closeOrder()
{
    if (!m_close->isEnabled() || !m_selected)
        return;
    const Order o = *m_selected;
    // The question follows the order while it is open: paid or closed meanwhile, it says so
    // and no longer offers to close.
    OrderWatch watch(m_ctx, o);
    const auto answer = MessageBox::question(
        this, tr("Close order"),
        tr("Close order %1 (%2, %3)?\n\nThe customer can no longer pay it; any open payment code is closed at the channel first.")
            .arg(o.orderNo, o.title, o.amount().toDisplayString(QLocale())),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::No, [this, &watch](QMessageBox &box) {
            box.setObjectName(QStringLiteral("closeOrderQuestion"));
            connect(&watch, &OrderWatch::changed, &box, [this, &watch, &box] {
                if (watch.order().state == OrderState::Pending)
                    return;
                box.setIcon(QMessageBox::Information);
                box.setText(watch.whatHappened() + QStringLiteral("\n\n") + tr("There is nothing to close."));
                if (QAbstractButton *yes = box.button(QMessageBox::Yes))
                    yes->setEnabled(false);
                if (QAbstractButton *no = box.button(QMessageBox::No)) {
                    no->setText(tr("OK"));
                    no->setFocus();
                }
            });
        });
    if (answer != QMessageBox::Yes)
        return;
    watch.check();
    if (watch.order().state != OrderState::Pending) {
        emit message(watch.whatHappened());
        refresh();
        return;
    }
    m_close->setEnabled(false);
    m_model->setClosing(o.id, true);
    emit message(tr("Closing %1…").arg(o.orderNo));
    const qint64 id = o.id;
    m_ctx.services.payments.close(m_ctx.user, o.orderNo, this, [this, id](const Result<PaymentService::Closed> &r) {
        m_model->setClosing(id, false);
        if (!r) {
            MessageBox::warning(this, tr("Order not closed"), r.error().message);
        } else {
            emit message(r->message.isEmpty() ? tr("Order %1 closed.").arg(r->order.orderNo) : r->message);
        }
        refresh();
    });
}

void OrdersPage::requestRefund()
{
    if (!m_refund->isEnabled() || !m_selected)
        return;
    RefundDialog dialog(m_ctx, *m_selected, this);
    if (dialog.exec() == QDialog::Accepted) {
        emit message(dialog.autoApproved() ? tr("Refund %1 requested and approved automatically.").arg(dialog.refundNo())
                                           : tr("Refund %1 requested; it waits for review by finance.").arg(dialog.refundNo()));
        emit booksChanged();
    }
    refresh();
}

void OrdersPage::showReceipt()
{
    if (!m_receipt->isEnabled() || !m_selected)
        return;
    ReceiptDialog dialog(m_ctx.services.orders, m_ctx.services.refunds, *m_ctx.services.clock, m_ctx.user.login, *m_selected, this);
    dialog.exec();
}

void OrdersPage::markPaid()
{
    if (!m_markPaid->isEnabled() || !m_selected)
        return;
    MarkPaidDialog dialog(m_ctx.services.fixupService, m_ctx.services.orders, m_ctx.user.login, *m_selected, this);
    if (dialog.exec() == QDialog::Accepted)
        emit message(tr("Fix-up %1 asks to mark %2 paid; another FINANCE user approves it on the Refund review page.")
                         .arg(QString::number(dialog.fixup().id), dialog.fixup().orderNo));
}

void OrdersPage::refreshOrder()
{
    if (!m_refreshOne->isEnabled() || !m_selected)
        return;
    const QString no = m_selected->orderNo;
    emit message(tr("Asking the channel about %1…").arg(no));
    m_ctx.services.payments.refresh(m_ctx.user.login, no, this, [this, no](const Result<PaymentService::Refreshed> &r) {
        if (!r)
            emit message(r.error().message);
        else if (!r->problems.isEmpty())
            emit message(tr("%1: %2").arg(no, r->problems.join(QStringLiteral("; "))));
        else
            emit message(tr("%1 is %2.").arg(no, Labels::of(r->order.state)));
        refresh();
    });
}

void OrdersPage::exportCsv()
{
    const QString path = FileDialogs::saveFileName(this, tr("Export orders"), QStringLiteral("orders.csv"), tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    auto *progress = new QProgressDialog(tr("Exporting orders…"), tr("Cancel"), 0, 100, this);
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(300);
    progress->setAttribute(Qt::WA_DeleteOnClose);
    DbWorker &worker = m_ctx.worker;
    worker.clearCancel();
    connect(progress, &QProgressDialog::canceled, this, [&worker] { worker.cancel(); });
    Database *db = m_ctx.services.db.get();
    OrderRepository *orders = &m_ctx.services.orders;
    const OrderFilter filter = m_model->filter();
    QPointer<QProgressDialog> guard(progress);
    worker.run<Result<qint64>>(
        [db, orders, filter, path, guard, page = this, &worker]() -> Result<qint64> {
            return OrderExport::toCsv(*db, *orders, filter, path, [guard, page](qint64 done, qint64 total) {
                DbWorker::report(page, [guard, done, total] {
                    if (guard)
                        guard->setValue(total > 0 ? int(done * 100 / total) : 0);
                });
            }, worker.stopFlag());
        },
        this, [this, guard, path](Result<qint64> r) {
            if (guard)
                guard->close();
            if (r)
                emit message(tr("Exported %n order(s) to %1.", nullptr, int(r.value())).arg(path));
            else
                MessageBox::warning(this, tr("Export"), r.error().message);
        });
}

} // namespace paydesk::ui
