#include "OrderDetailPane.h"

#include "Delegates.h"
#include "Labels.h"
#include "ListModels.h"
#include "services/Services.h"

#include <QAction>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace paydesk::ui {

OrderDetailPane::OrderDetailPane(UiContext &ctx, QWidget *parent)
    : QWidget(parent), m_ctx(ctx), m_title(new QLabel(this)), m_fields(new QLabel(this)), m_tabs(new QTabWidget(this)),
      m_attempts(new AttemptModel(this)), m_refunds(new RefundModel(this)), m_timeline(new TimelineModel(this))
{
    // Below the orders table: the order's fields on the left, its payments, refunds and
    // timeline on the right, each table as wide as the window allows.
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 0);
    auto *left = new QVBoxLayout;
    left->setContentsMargins(0, 0, 0, 0);
    QFont f = m_title->font();
    f.setPointSizeF(f.pointSizeF() * 1.25);
    f.setBold(true);
    m_title->setFont(f);
    m_title->setWordWrap(true);
    m_title->setObjectName(QStringLiteral("detailTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_fields->setObjectName(QStringLiteral("detailFields"));
    m_fields->setTextFormat(Qt::RichText);
    m_fields->setWordWrap(true);
    m_fields->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_fields->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    left->addWidget(m_title);
    left->addWidget(m_fields);
    left->addStretch(1);
    auto *leftBox = new QWidget(this);
    leftBox->setLayout(left);
    leftBox->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("PD202601010001234567 · ")) + 120);
    leftBox->setMaximumWidth(leftBox->minimumWidth() + 120);
    layout->addWidget(leftBox);
    auto *refundView = makeTable(m_refunds);
    refundView->setItemDelegateForColumn(RefundModel::State,
                                         new StateChipDelegate(StateChipDelegate::Kind::Refund, StateColourRole, refundView));
    refundView->setColumnHidden(RefundModel::OrderNo, true);
    m_tabs->addTab(makeTable(m_attempts), tr("&Payments"));
    m_tabs->addTab(refundView, tr("Re&funds"));
    auto *timelineView = makeTable(m_timeline);
    // Each entry reads as a sentence; the raw entry is in its tooltip and one click away.
    auto *raw = new QAction(tr("Show raw details"), timelineView);
    raw->setCheckable(true);
    raw->setObjectName(QStringLiteral("timelineShowRaw"));
    connect(raw, &QAction::toggled, m_timeline, &TimelineModel::setShowRaw);
    timelineView->addAction(raw);
    timelineView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_tabs->addTab(timelineView, tr("T&imeline"));
    m_tabs->setObjectName(QStringLiteral("detailTabs"));
    layout->addWidget(m_tabs, 1);
    setMinimumHeight(fontMetrics().height() * 11);
    showOrder(std::nullopt);
}

QTableView *OrderDetailPane::makeTable(QAbstractItemModel *model)
{
    auto *view = new QTableView(this);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->setWordWrap(false);
    view->setTabKeyNavigation(false);
    return view;
}

QString OrderDetailPane::headline() const { return m_title->text(); }

void OrderDetailPane::showOrder(const std::optional<Order> &order)
{
    m_order = order;
    if (!order) {
        m_title->setText(tr("No order selected"));
        m_fields->setText(tr("Select an order in the table to see its payments, refunds and timeline."));
        m_attempts->setRows({});
        m_refunds->setRows({});
        m_timeline->setRows({});
        return;
    }
    const Order &o = *order;
    m_title->setText(tr("%1 · %2").arg(o.orderNo, o.title));
    const QLocale loc;
    auto row = [](const QString &k, const QString &v) {
        return QStringLiteral("<tr><td style='padding-right:12px;color:palette(placeholder-text)'>%1</td><td>%2</td></tr>")
            .arg(k.toHtmlEscaped(), v.toHtmlEscaped());
    };
    QString html = QStringLiteral("<table>");
    html += row(tr("Amount"), o.amount().toDisplayString(loc));
    QString state = Labels::of(o.state);
    if (o.state == OrderState::Pending && o.expiresAt <= m_ctx.services.clock->nowMs())
        state = tr("Closing (the time to pay ran out)");
    if (o.state == OrderState::Closed && o.closeReason != CloseReason::None)
        state = tr("%1 (%2)").arg(state, Labels::of(o.closeReason));
    html += row(tr("State"), state);
    html += row(tr("Buyer"), o.buyer.isEmpty() ? tr("—") : o.buyer);
    html += row(tr("Channel"), o.channel ? Labels::of(*o.channel) : tr("—"));
    html += row(tr("Created"), tr("%1 by %2").arg(Labels::time(o.createdAt), o.createdBy.isEmpty() ? tr("—") : Labels::actor(o.createdBy)));
    html += row(tr("Pay by"), Labels::time(o.expiresAt));
    if (o.paidAt > 0)
        html += row(tr("Paid"), Labels::time(o.paidAt));
    if (o.closedAt > 0)
        html += row(tr("Closed"), Labels::time(o.closedAt));
    if (o.refundedMinor > 0)
        html += row(tr("Refunded"), Money(o.refundedMinor, o.amount().currency()).toDisplayString(loc));
    html += QStringLiteral("</table>");
    m_fields->setText(html);

    (void)m_attempts->load(m_ctx.services.orders, o.id);
    RefundService::Filter rf;
    rf.orderNo = o.orderNo;
    (void)m_refunds->load(m_ctx.services.refundService, rf);
    QStringList objects{QStringLiteral("order:") + o.orderNo};
    for (const auto &r : m_refunds->rows())
        objects << QStringLiteral("refund:") + r.refund.outRefundNo;
    (void)m_timeline->load(m_ctx.services.audit, objects);
    m_tabs->setTabText(1, tr("Re&funds (%1)").arg(m_refunds->rowCount()));
    m_tabs->setTabText(0, tr("&Payments (%1)").arg(m_attempts->rowCount()));
}

} // namespace paydesk::ui
