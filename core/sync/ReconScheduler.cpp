#include "sync/ReconScheduler.h"

#include "channels/PaymentChannel.h"
#include "services/Services.h"

#include <QDateTime>
#include <QTimeZone>

namespace paydesk {

namespace {
const QTimeZone kBeijing(8 * 3600);
}

ReconScheduler::ReconScheduler(Services &services, QObject *parent) : QObject(parent), m_s(services)
{
    m_timer.setInterval(int(kTickMs));
    connect(&m_timer, &QTimer::timeout, this, &ReconScheduler::tick);
}

void ReconScheduler::start()
{
    m_timer.start();
    QTimer::singleShot(0, this, &ReconScheduler::tick); // catch up at start
}

void ReconScheduler::stop() { m_timer.stop(); }

QList<QDate> ReconScheduler::dueDays(qint64 nowMs, qint64 atMinute, int catchUpDays, qint64 firstOrderMs)
{
    const QDateTime now = QDateTime::fromMSecsSinceEpoch(nowMs, kBeijing);
    const QDate today = now.date();
    const QDate first = firstOrderMs > 0 ? QDateTime::fromMSecsSinceEpoch(firstOrderMs, kBeijing).date() : today;
    const bool yesterdayDue = now.time().msecsSinceStartOfDay() >= atMinute * 60'000;
    QList<QDate> out;
    for (int back = catchUpDays; back >= 1; --back) {
        const QDate d = today.addDays(-back);
        if (d < first || (back == 1 && !yesterdayDue))
            continue;
        out << d;
    }
    return out;
}

void ReconScheduler::tick()
{
    if (m_busy)
        return;
    const qint64 now = m_s.clock->nowMs();
    auto first = m_s.orders.firstCreatedAt();
    if (!first || first.value() == 0)
        return; // empty books: nothing to reconcile
    const QList<QDate> days = dueDays(now, m_s.settings.reconAtMinute(), int(m_s.settings.reconCatchUpDays()), first.value());
    for (const QDate &d : days) {
        for (ChannelKind kind : m_s.channels.kinds()) {
            if (kind == ChannelKind::Sim)
                continue; // the simulator's own kind bills in WeChat's or Alipay's format, under those kinds
            const Key key{kind, d};
            if (m_done.contains(key) || m_retryAt.value(key, 0) > now)
                continue;
            auto run = m_s.recon.latestRun(kind, d);
            if (!run) {
                emit actionTaken(tr("reconciliation: %1").arg(run.error().message));
                return; // the database is not answering: the next tick tries again
            }
            if (run.value()) {
                m_done.insert(key);
                continue;
            }
            fetch(key);
            return; // one at a time; the next one when this finishes
        }
    }
}

void ReconScheduler::fetch(const Key &key)
{
    PaymentChannel *ch = m_s.channels.channel(key.channel);
    if (!ch)
        return;
    m_busy = true;
    BillRequest req;
    req.date = key.date;
    const QString day = key.date.toString(Qt::ISODate);
    ch->fetchBill(req, this, [this, key, day](const ChannelReply<BillFile> &reply) {
        const qint64 now = m_s.clock->nowMs();
        if (!reply.ok()) {
            emit actionTaken(tr("bill %1 %2 not fetched (%3); asking again in 30 min")
                                 .arg(toString(key.channel), day, reply.error().describe()));
            return finished(key, now + kRetryMs);
        }
        const BillFile &file = reply.value();
        if (file.status == BillFile::Status::NotReady) {
            emit actionTaken(tr("bill %1 %2 not ready yet (%3); asking again in 30 min").arg(toString(key.channel), day, file.message));
            return finished(key, now + kRetryMs);
        }
        if (file.status == BillFile::Status::NoBill) {
            (void)m_s.audit.record(QLatin1String(ReconService::kTimerLogin), QStringLiteral("recon.no_bill"),
                                   QStringLiteral("recon:%1:%2").arg(toString(key.channel), day), {{QStringLiteral("message"), file.message}});
            emit actionTaken(tr("bill %1 %2: the channel has none (%3)").arg(toString(key.channel), day, file.message));
            m_done.insert(key);
            return finished(key, 0);
        }
        auto report = m_s.reconService.runScheduled(key.channel, key.date, file.content, file.fileName);
        if (!report) {
            emit actionTaken(tr("reconciliation %1 %2 failed (%3); trying again in 30 min")
                                 .arg(toString(key.channel), day, report.error().message));
            return finished(key, now + kRetryMs);
        }
        m_done.insert(key);
        emit actionTaken(tr("reconciled %1 %2: %n difference(s)", nullptr, int(report->differences.size())).arg(toString(key.channel), day));
        emit booksChanged();
        finished(key, 0);
    });
}

void ReconScheduler::finished(const Key &key, qint64 retryAt)
{
    m_busy = false;
    if (retryAt > 0)
        m_retryAt.insert(key, retryAt);
    else
        m_retryAt.remove(key);
    QTimer::singleShot(0, this, &ReconScheduler::tick); // the next due day, if any
}

} // namespace paydesk
