#include "services/ReconService.h"

#include "domain/SystemText.h"
#include "storage/ReconSets.h"

#include <QCryptographicHash>

#include <algorithm>
#include <QDateTime>
#include <QHash>
#include <QSet>
#include <QTimeZone>

namespace paydesk {

using recon::BillEntry;

std::pair<qint64, qint64> ReconService::dayWindow(const QDate &date)
{
    const QTimeZone beijing(8 * 3600);
    return {QDateTime(date, QTime(0, 0), beijing).toMSecsSinceEpoch(), QDateTime(date.addDays(1), QTime(0, 0), beijing).toMSecsSinceEpoch()};
}

Status ReconService::checkRole(const User &actor)
{
    const auto me = m_users.actor(actor.login);
    if (!me)
        return me.error();
    if (me->role == Role::Finance || me->role == Role::Admin)
        return {};
    return Error::forbidden(QStringLiteral("recon.role"), tr("Only FINANCE or ADMIN users can reconcile bills."));
}

Result<QList<ReconRun>> ReconService::runs()
{
    return m_recon.runs();
}

Result<ReconService::Report> ReconService::show(ChannelKind channel, const QDate &date)
{
    auto run = m_recon.latestRun(channel, date);
    if (!run)
        return run.error();
    if (!run.value())
        return Error::notFound(QStringLiteral("recon.not_found"),
                               tr("%1 has not been reconciled for %2 yet.").arg(SystemText::of(channel), date.toString(Qt::ISODate)));
    Report out;
    out.run = *run.value();
    auto diffs = m_recon.differencesOfRun(out.run.id);
    if (!diffs)
        return diffs.error();
    out.differences = diffs.value();
    return out;
}

Result<ReconService::Report> ReconService::run(const User &actor, ChannelKind channel, const QDate &date, const QByteArray &content,
                                               const QString &fileName, Source source)
{
    if (Status s = checkRole(actor); !s)
        return s.error();
    return runChecked(actor, channel, date, content, fileName, source);
}

Result<ReconService::Report> ReconService::runScheduled(ChannelKind channel, const QDate &date, const QByteArray &content,
                                                        const QString &fileName)
{
    User timer;
    timer.login = QLatin1String(kTimerLogin);
    timer.role = Role::Finance;
    return runChecked(timer, channel, date, content, fileName, Source::Fetched);
}

Result<ReconService::Report> ReconService::runChecked(const User &actor, ChannelKind channel, const QDate &date,
                                                      const QByteArray &content, const QString &fileName, Source source)
{
    if (!date.isValid())
        return Error::invalid(QStringLiteral("recon.bad_date"), tr("Name the bill's day as YYYY-MM-DD."));
    auto bill = recon::BillParser::parse(channel, content);
    if (!bill)
        return bill.error();
    const QString sha = QString::fromLatin1(QCryptographicHash::hash(content, QCryptographicHash::Sha256).toHex());
    const auto [from, to] = dayWindow(date);
    const qint64 now = m_clock.nowMs();

    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    Report out;
    auto billId = m_recon.storeBill(tx, channel, date, QStringLiteral("TRADE"), fileName, content, sha,
                                    source == Source::Fetched ? QStringLiteral("fetched") : QStringLiteral("imported"), now, actor.login,
                                    &out.billStored);
    if (!billId)
        return billId.error();

    QList<ReconDifference> diffs;
    // The bill rows of differences that have no order of ours (LONG, REFUND_LONG): their anomaly
    // is known only by the channel's facts. Keyed by kind and ref, like the differences.
    QHash<QString, const BillEntry *> unknownToUs;
    auto differ = [&](const QString &kind, const BillEntry *e, const QString &ref, qint64 ours, qint64 theirs, qint64 orderId,
                      QJsonObject params) {
        ReconDifference d;
        d.channel = channel;
        d.date = date;
        d.kind = kind;
        d.ref = ref;
        d.outTradeNo = e ? e->outTradeNo : QString();
        d.outRefundNo = e ? e->outRefundNo : QString();
        d.billLine = e ? e->line : 0;
        d.oursMinor = ours;
        d.billMinor = theirs;
        d.orderId = orderId;
        d.params = std::move(params);
        diffs << d;
    };
    // Our side, read as sets: the channel's paid payments and succeeded refunds of the day and a
    // day either side (late callbacks, a payment just before midnight), in one statement each;
    // then, in IN lists, the bill's keys that window does not hold (closed here, paid there; a
    // refund still processing; another channel's number). Every bill row is then one hash lookup.
    constexpr qint64 kSlackMs = 24 * 3600'000;
    ReconSets::Payments payments;
    ReconSets::Refunds refunds;
    if (Status s = ReconSets::paymentsPaidIn(tx, channel, from - kSlackMs, to + kSlackMs, payments); !s)
        return s.error();
    if (Status s = ReconSets::refundsSucceededIn(tx, channel, from - kSlackMs, to + kSlackMs, refunds); !s)
        return s.error();
    {
        QStringList strayPayments, strayRefunds;
        QSet<QString> asked;
        for (const BillEntry &e : bill->entries) {
            const bool payment = e.kind == BillEntry::Kind::Payment;
            const QString &key = payment ? e.outTradeNo : e.outRefundNo;
            if (payment ? payments.contains(key) : refunds.contains(key))
                continue;
            if (!asked.contains((payment ? u'P' : u'R') + key)) {
                asked.insert((payment ? u'P' : u'R') + key);
                (payment ? strayPayments : strayRefunds) << key;
            }
        }
        if (Status s = ReconSets::paymentsByKey(tx, strayPayments, payments); !s)
            return s.error();
        if (Status s = ReconSets::refundsByKey(tx, strayRefunds, refunds); !s)
            return s.error();
    }

    int matched = 0;
    QSet<QString> seenPayments, seenRefunds; ///< keys of ours the bill named
    QList<PaymentStatus> toApply; ///< money the channel took that our books do not show as paid
    for (const BillEntry &e : bill->entries) {
        if (e.kind == BillEntry::Kind::Payment) {
            const auto found = payments.constFind(e.outTradeNo);
            if (found != payments.cend())
                seenPayments.insert(e.outTradeNo);
            const bool revoked = e.state != QStringLiteral("SUCCESS");
            if (found == payments.cend() || found->channel != channel) {
                if (!revoked) {
                    differ(QStringLiteral("LONG"), &e, e.outTradeNo, 0, e.orderTotalMinor, 0, {{QStringLiteral("txn_id"), e.channelTxnId}});
                    unknownToUs.insert(QStringLiteral("LONG:") + e.outTradeNo, &e);
                }
                continue;
            }
            const ReconSets::Payment &at = *found;
            bool same = true;
            if (at.currency.compare(e.currency, Qt::CaseInsensitive) != 0) {
                differ(QStringLiteral("CURRENCY"), &e, e.outTradeNo, at.amountMinor, e.orderTotalMinor, at.orderId,
                       {{QStringLiteral("ours"), at.currency}, {QStringLiteral("bill"), e.currency}});
                same = false;
            } else if (!revoked && at.amountMinor != e.orderTotalMinor) {
                differ(QStringLiteral("AMOUNT"), &e, e.outTradeNo, at.amountMinor, e.orderTotalMinor, at.orderId, {});
                same = false;
            }
            const bool paidHere = at.state == AttemptState::Succeeded;
            if (paidHere == revoked) {
                differ(QStringLiteral("STATE"), &e, e.outTradeNo, at.amountMinor, e.orderTotalMinor, at.orderId,
                       {{QStringLiteral("ours"), toString(at.state)}, {QStringLiteral("bill"), e.state}});
                same = false;
                if (!revoked && source == Source::Fetched && at.currency.compare(e.currency, Qt::CaseInsensitive) == 0) {
                    PaymentStatus st;
                    st.outTradeNo = e.outTradeNo;
                    st.state = TradeState::Success;
                    st.channelTxnId = e.channelTxnId;
                    st.paidAtMs = e.atMs;
                    st.amountMinor = e.orderTotalMinor;
                    st.rawState = e.state;
                    toApply << st;
                }
            }
            if (same)
                ++matched;
        } else {
            const auto found = refunds.constFind(e.outRefundNo);
            if (found != refunds.cend())
                seenRefunds.insert(e.outRefundNo);
            if (found == refunds.cend() || found->channel != channel) {
                differ(QStringLiteral("REFUND_LONG"), &e, e.outRefundNo, 0, e.amountMinor, 0, {{QStringLiteral("out_trade_no"), e.outTradeNo}});
                unknownToUs.insert(QStringLiteral("REFUND_LONG:") + e.outRefundNo, &e);
                continue;
            }
            const ReconSets::Refund &rf = *found;
            bool same = true;
            if (rf.amountMinor != e.amountMinor) {
                differ(QStringLiteral("REFUND_AMOUNT"), &e, e.outRefundNo, rf.amountMinor, e.amountMinor, rf.orderId, {});
                same = false;
            }
            const bool succeededThere = e.refundStatus == QStringLiteral("SUCCESS");
            if (succeededThere != (rf.state == RefundState::Succeeded)) {
                differ(QStringLiteral("REFUND_STATE"), &e, e.outRefundNo, rf.amountMinor, e.amountMinor, rf.orderId,
                       {{QStringLiteral("ours"), toString(rf.state)}, {QStringLiteral("bill"), e.refundStatus}});
                same = false;
            }
            if (same)
                ++matched;
        }
    }
    // Short: paid (refunded) in our books that day, on this channel, and not in the bill; in the
    // order they were paid (refunded).
    {
        QList<std::pair<const QString *, const ReconSets::Payment *>> shortPaid;
        for (auto it = payments.cbegin(); it != payments.cend(); ++it) {
            const ReconSets::Payment &a = it.value();
            if (a.state == AttemptState::Succeeded && a.channel == channel && a.paidAt >= from && a.paidAt < to
                && !seenPayments.contains(it.key()))
                shortPaid.append({&it.key(), &a});
        }
        std::sort(shortPaid.begin(), shortPaid.end(), [](const auto &x, const auto &y) {
            return std::pair(x.second->paidAt, x.second->id) < std::pair(y.second->paidAt, y.second->id);
        });
        for (const auto &[key, a] : std::as_const(shortPaid)) {
            differ(QStringLiteral("SHORT"), nullptr, *key, a->amountMinor, 0, a->orderId, {});
            diffs.last().outTradeNo = *key;
        }
        QList<std::pair<const QString *, const ReconSets::Refund *>> shortRefunded;
        for (auto it = refunds.cbegin(); it != refunds.cend(); ++it) {
            const ReconSets::Refund &r = it.value();
            if (r.state == RefundState::Succeeded && r.channel == channel && r.completedAt >= from && r.completedAt < to
                && !seenRefunds.contains(it.key()))
                shortRefunded.append({&it.key(), &r});
        }
        std::sort(shortRefunded.begin(), shortRefunded.end(), [](const auto &x, const auto &y) {
            return std::pair(x.second->completedAt, x.second->id) < std::pair(y.second->completedAt, y.second->id);
        });
        for (const auto &[key, r] : std::as_const(shortRefunded)) {
            differ(QStringLiteral("REFUND_SHORT"), nullptr, *key, r->amountMinor, 0, r->orderId, {});
            diffs.last().outRefundNo = *key;
        }
    }

    // A difference this day showed before and that a run repaired (money after close, now an
    // anomaly with its refund proposed) stays listed, so a re-run answers the same.
    if (auto last = m_recon.latestRun(channel, date); last && last.value()) {
        auto before = m_recon.differencesOfRun(last.value()->id);
        if (!before)
            return before.error();
        for (const ReconDifference &old : before.value()) {
            const bool listed = std::any_of(diffs.cbegin(), diffs.cend(), [&old](const ReconDifference &d) {
                return d.kind == old.kind && d.ref == old.ref;
            });
            if (!listed && old.kind == QStringLiteral("STATE") && old.anomalyId > 0) {
                diffs << old;
                --matched;
            }
        }
    } else if (!last) {
        return last.error();
    }

    ReconRun run;
    run.channel = channel;
    run.date = date;
    run.billFileId = billId.value();
    run.runAt = now;
    run.runBy = actor.login;
    run.billPayments = bill->payments;
    run.billRefunds = bill->refunds;
    run.matched = matched;
    run.differences = int(diffs.size());
    run.paidMinor = bill->paidMinor;
    run.refundedMinor = bill->refundedMinor;
    run.feeMinor = bill->feeMinor;
    run.result = diffs.isEmpty() ? QStringLiteral("MATCHED") : QStringLiteral("DIFFERENCES");
    if (Status s = m_recon.insertRun(tx, run); !s)
        return s.error();

    // Money the channel took on payments our books do not show as paid: the Reconciler's own path
    // (order paid, or an anomaly with a refund proposed for review when the order was closed).
    QHash<QString, qint64> appliedAnomaly;
    for (const PaymentStatus &st : std::as_const(toApply)) {
        auto applied = m_reconciler.applyPayment(tx, st, actor.login, QStringLiteral("bill"));
        if (!applied)
            return applied.error();
        if (applied->anomalyId > 0)
            appliedAnomaly.insert(st.outTradeNo, applied->anomalyId);
    }

    // The day's kept differences in one statement; the ones seen again move to this run in IN
    // lists, the new ones are inserted with one prepared statement.
    auto kept = ReconSets::differencesOfDay(tx, channel, date);
    if (!kept)
        return kept.error();
    QList<qint64> seenAgain;
    QList<ReconDifference *> newOnes;
    int fresh = 0;
    for (ReconDifference &d : diffs) {
        if (const auto old = kept->constFind(ReconSets::key(d.kind, d.ref)); old != kept->cend()) {
            seenAgain << old->id;
            d = *old;
            d.lastRunId = run.id;
            continue;
        }
        ++fresh;
        d.firstRunId = d.lastRunId = run.id;
        if (d.kind == QStringLiteral("STATE") && appliedAnomaly.contains(d.ref)) {
            d.anomalyId = appliedAnomaly.value(d.ref);
        } else if (const BillEntry *e = unknownToUs.value(d.kind + u':' + d.ref); d.orderId > 0 || e) {
            Anomaly a;
            a.kind = AnomalyKind::ReconDifference;
            a.orderId = d.orderId;
            if (e) {
                // Money at the channel that our books never saw: no order of ours, so the
                // anomaly carries the channel's facts (what finance needs to chase it).
                const bool isRefund = e->kind == BillEntry::Kind::Refund;
                a.channel = channel;
                a.outTradeNo = e->outTradeNo;
                a.outRefundNo = e->outRefundNo;
                a.channelTxnId = isRefund && !e->channelRefundId.isEmpty() ? e->channelRefundId : e->channelTxnId;
                a.amountMinor = d.billMinor;
                a.currency = e->currency;
                a.details = isRefund ? SystemText::billRefundUnknown(channel, date.toString(Qt::ISODate), e->outRefundNo, d.billMinor,
                                                                     e->currency, e->outTradeNo, e->line)
                                     : SystemText::billPaymentUnknown(channel, date.toString(Qt::ISODate), e->outTradeNo, d.billMinor,
                                                                      e->currency, e->channelTxnId, e->line);
            } else {
                a.details = SystemText::billDiffers(channel, date.toString(Qt::ISODate), d.kind, d.ref, d.oursMinor, d.billMinor);
            }
            a.createdAt = now;
            if (Status s = m_anomalies.insert(tx.connection(), a); !s)
                return s.error();
            d.anomalyId = a.id;
            if (Status s = m_audit.append(tx, actor.login, QStringLiteral("anomaly.open"), QStringLiteral("recon:") + toString(channel) + u':'
                                                                                                   + date.toString(Qt::ISODate),
                                          {{QStringLiteral("kind"), toString(a.kind)}, {QStringLiteral("difference"), d.kind},
                                           {QStringLiteral("ref"), d.ref}, {QStringLiteral("anomaly"), a.id}});
                !s)
                return s.error();
        }
        newOnes << &d;
    }
    if (Status s = ReconSets::touchDifferences(tx, seenAgain, run.id); !s)
        return s.error();
    if (Status s = ReconSets::insertDifferences(tx, channel, date, newOnes); !s)
        return s.error();
    run.newDifferences = fresh;
    if (Status s = m_recon.setNewDifferences(tx, run.id, fresh); !s)
        return s.error();
    if (Status s = m_audit.append(tx, actor.login, QStringLiteral("recon.run"),
                                  QStringLiteral("recon:") + toString(channel) + u':' + date.toString(Qt::ISODate),
                                  {{QStringLiteral("run"), run.id}, {QStringLiteral("bill_sha256"), sha},
                                   {QStringLiteral("bill_stored"), out.billStored}, {QStringLiteral("matched"), matched},
                                   {QStringLiteral("differences"), run.differences}, {QStringLiteral("new_differences"), fresh},
                                   {QStringLiteral("source"), source == Source::Fetched ? QStringLiteral("fetched") : QStringLiteral("imported")}});
        !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    out.run = run;
    out.differences = diffs;
    return out;
}

} // namespace paydesk
