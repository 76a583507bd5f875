#pragma once

#include <QPointer>
#include <QStyledItemDelegate>
#include <QTimer>

class QAbstractItemView;

namespace paydesk {
class Clock;
}

namespace paydesk::ui {

/// Paints an order's time left from expires_at - now (model role ExpiresAtRole): mm:ss,
/// amber under five minutes, red "closing" once past. The model never changes for this;
/// CountdownTicker repaints the column once a second.
class CountdownDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CountdownDelegate)
public:
    static constexpr qint64 kWarnMs = 5 * 60 * 1000;
    CountdownDelegate(const Clock &clock, int expiresRole, int stateRole, QObject *parent = nullptr);
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    /// Text and colour for a countdown (shared with dialogs).
    static QString text(qint64 msLeft);
    static QColor colour(qint64 msLeft, const QPalette &palette);

private:
    const Clock &m_clock;
    int m_expiresRole;
    int m_stateRole;
};

/// Paints the state as a rounded coloured chip (colours from Labels).
class StateChipDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StateChipDelegate)
public:
    enum class Kind { Order, Refund };
    StateChipDelegate(Kind kind, int stateRole, QObject *parent = nullptr);
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

private:
    Kind m_kind;
    int m_stateRole;
};

/// One 1 Hz timer that repaints only the countdown column's visible part of a view: no model
/// signal, no per-row timer. Stops while the view is hidden.
class CountdownTicker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CountdownTicker)
public:
    CountdownTicker(QAbstractItemView *view, int column, QObject *parent = nullptr);
    void setInterval(int ms) { m_timer.setInterval(ms); }
    quint64 ticks() const { return m_ticks; }
    void tick();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QPointer<QAbstractItemView> m_view;
    int m_column;
    QTimer m_timer;
    quint64 m_ticks = 0;
};

} // namespace paydesk::ui
