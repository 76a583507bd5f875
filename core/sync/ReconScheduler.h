#pragma once

#include "domain/Domain.h"

#include <QDate>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

namespace paydesk {

class Services;

/// The timer's daily reconciliation (issue 12): from Settings recon_at_minute (10:00 Beijing
/// time by default) it fetches yesterday's trade bill from every connected channel and runs
/// ReconService on it; a bill that is not ready yet, or a channel that fails, is asked again
/// later (kRetryMs); days missed while PayDesk was not running are caught up, back to
/// recon_catch_up_days and never before the books' first order. A day is done once a
/// reconciliation of it is stored (by anyone: the timer, `recon run`, the GUI) or the
/// channel says it has no bill for it. One bill is fetched at a time.
///
/// Several seats may each run it: ReconService runs are idempotent (a second run of a day
/// opens nothing new), so the worst case is one extra download.
class ReconScheduler final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReconScheduler)
public:
    static constexpr qint64 kRetryMs = 30 * 60'000;
    static constexpr qint64 kTickMs = 60'000;

    explicit ReconScheduler(Services &services, QObject *parent = nullptr);

    void start();
    void stop();
    /// Looks now for days that are due (the timer calls it every kTickMs; tests call it
    /// after moving a ManualClock).
    void tick();
    /// Nothing is being fetched or reconciled.
    bool isIdle() const { return !m_busy; }

    /// The business days whose bills are due at `nowMs`, oldest first (yesterday once the
    /// daily time passed, and the catch-up days before it).
    static QList<QDate> dueDays(qint64 nowMs, qint64 atMinute, int catchUpDays, qint64 firstOrderMs);

signals:
    /// One line per step ("reconciled wechat 2026-12-02: 3 differences"), for `paydeskctl sync`.
    void actionTaken(const QString &line);
    void booksChanged();

private:
    struct Key
    {
        ChannelKind channel;
        QDate date;
        bool operator==(const Key &o) const { return channel == o.channel && date == o.date; }
    };
    friend size_t qHash(const Key &k, size_t seed) { return qHashMulti(seed, int(k.channel), k.date.toJulianDay()); }
    void fetch(const Key &key);
    void finished(const Key &key, qint64 retryAt);

    Services &m_s;
    QTimer m_timer;
    QSet<Key> m_done;
    QHash<Key, qint64> m_retryAt;
    bool m_busy = false;
};

} // namespace paydesk
