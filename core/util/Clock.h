#pragma once

#include <QDateTime>
#include <QElapsedTimer>
#include <QtGlobal>

#include <atomic>

namespace paydesk {

/// The one source of "now" in core. Nothing in core reads the system time directly, so tests
/// drive time with ManualClock and the demo runs it faster with ScaledClock.
/// Times are milliseconds since the Unix epoch, UTC.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual qint64 nowMs() const = 0;
    QDateTime now() const { return QDateTime::fromMSecsSinceEpoch(nowMs(), Qt::UTC); }
    /// How many clock milliseconds pass per real millisecond (1 except for ScaledClock).
    virtual double rate() const { return 1.0; }
};

class SystemClock final : public Clock
{
public:
    qint64 nowMs() const override { return QDateTime::currentMSecsSinceEpoch(); }
};

/// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock
{
public:
    explicit ManualClock(qint64 startMs = 1'767'225'600'000) : m_now(startMs) {} // 2026-01-01T00:00Z
    qint64 nowMs() const override { return m_now.load(); }
    void setNowMs(qint64 ms) { m_now.store(ms); }
    void advanceMs(qint64 ms) { m_now.fetch_add(ms); }

private:
    std::atomic<qint64> m_now;
};

/// Starts at the real time and then runs `scale` times faster (for --time-scale in the demo).
class ScaledClock final : public Clock
{
public:
    explicit ScaledClock(double scale) : m_scale(scale), m_startMs(QDateTime::currentMSecsSinceEpoch())
    {
        m_elapsed.start();
    }
    qint64 nowMs() const override { return m_startMs + qint64(double(m_elapsed.elapsed()) * m_scale); }
    double rate() const override { return m_scale; }

private:
    double m_scale;
    qint64 m_startMs;
    QElapsedTimer m_elapsed;
};

} // namespace paydesk
