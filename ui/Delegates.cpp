#include "Delegates.h"

#include "Labels.h"
#include "util/Clock.h"
#include "util/Duration.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QEvent>
#include <QHeaderView>
#include <QPainter>
#include <QTableView>

namespace paydesk::ui {

CountdownDelegate::CountdownDelegate(const Clock &clock, int expiresRole, int stateRole, QObject *parent)
    : QStyledItemDelegate(parent), m_clock(clock), m_expiresRole(expiresRole), m_stateRole(stateRole)
{
}

QString CountdownDelegate::text(qint64 msLeft)
{
    return msLeft > 0 ? Duration::countdown(msLeft) : tr("closing");
}

QColor CountdownDelegate::colour(qint64 msLeft, const QPalette &palette)
{
    if (msLeft <= 0)
        return QColor(0xD9, 0x3B, 0x3B);
    if (msLeft < kWarnMs)
        return QColor(0xC7, 0x7C, 0x02);
    return palette.color(QPalette::Text);
}

void CountdownDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    opt.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);
    if (index.data(m_stateRole).toInt() != int(OrderState::Pending))
        return;
    const qint64 left = index.data(m_expiresRole).toLongLong() - m_clock.nowMs();
    painter->save();
    QColor c = colour(left, option.palette);
    if (option.state & QStyle::State_Selected && left >= kWarnMs)
        c = option.palette.color(QPalette::HighlightedText);
    painter->setPen(c);
    QFont f = option.font;
    if (left < kWarnMs)
        f.setBold(true);
    painter->setFont(f);
    painter->drawText(option.rect.adjusted(4, 0, -6, 0), Qt::AlignRight | Qt::AlignVCenter, text(left));
    painter->restore();
}

QSize CountdownDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    s.setWidth(qMax(s.width(), option.fontMetrics.horizontalAdvance(QStringLiteral("00:00:00")) + 16));
    return s;
}

StateChipDelegate::StateChipDelegate(Kind kind, int stateRole, QObject *parent)
    : QStyledItemDelegate(parent), m_kind(kind), m_stateRole(stateRole)
{
}

void StateChipDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString label = opt.text;
    opt.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);
    if (label.isEmpty())
        return;
    const QVariant stateValue = index.data(m_stateRole);
    QColor c = Qt::gray;
    if (stateValue.canConvert<QColor>() && stateValue.metaType() == QMetaType::fromType<QColor>())
        c = stateValue.value<QColor>();
    else if (m_kind == Kind::Order)
        c = Labels::colour(OrderState(stateValue.toInt()));
    else
        c = Labels::colour(RefundState(stateValue.toInt()));
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    QFont f = option.font;
    f.setPointSizeF(f.pointSizeF() * 0.92);
    painter->setFont(f);
    const QFontMetrics fm(f);
    const int w = fm.horizontalAdvance(label) + 16;
    const int h = qMin(option.rect.height() - 6, fm.height() + 4);
    QRect chip(option.rect.left() + 4, option.rect.center().y() - h / 2, qMin(w, option.rect.width() - 8), h);
    QColor fill = c;
    fill.setAlpha(40);
    if (option.state & QStyle::State_Selected) {
        // Keep the chip readable on the selection colour: a light chip with the state's border.
        fill = option.palette.color(QPalette::Base);
        fill.setAlpha(235);
    }
    painter->setPen(QPen(c, 1));
    painter->setBrush(fill);
    painter->drawRoundedRect(chip, h / 2.0, h / 2.0);
    painter->setPen(c.darker(130));
    painter->drawText(chip, Qt::AlignCenter, fm.elidedText(label, Qt::ElideRight, chip.width() - 8));
    painter->restore();
}

QSize StateChipDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    s.setWidth(s.width() + 24);
    return s;
}

CountdownTicker::CountdownTicker(QAbstractItemView *view, int column, QObject *parent)
    : QObject(parent), m_view(view), m_column(column)
{
    m_timer.setInterval(1000);
    m_timer.setTimerType(Qt::CoarseTimer);
    connect(&m_timer, &QTimer::timeout, this, &CountdownTicker::tick);
    view->installEventFilter(this);
    if (view->isVisible())
        m_timer.start();
}

bool CountdownTicker::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view) {
        if (event->type() == QEvent::Show)
            m_timer.start();
        else if (event->type() == QEvent::Hide)
            m_timer.stop();
    }
    return QObject::eventFilter(watched, event);
}

void CountdownTicker::tick()
{
    if (!m_view || !m_view->isVisible())
        return;
    ++m_ticks;
    auto *table = qobject_cast<QTableView *>(m_view.data());
    QWidget *vp = m_view->viewport();
    if (table) {
        if (table->isColumnHidden(m_column))
            return;
        const int x = table->columnViewportPosition(m_column);
        const int w = table->columnWidth(m_column);
        if (x + w < 0 || x > vp->width())
            return;
        // Only the cells that show: one rectangle, the visible height of one column.
        vp->update(QRect(x, 0, w, vp->height()));
    } else {
        vp->update();
    }
}

} // namespace paydesk::ui
