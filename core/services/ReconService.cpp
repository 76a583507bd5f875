#include "services/ReconService.h"

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
                               tr("%1 has not been reconciled for %2 yet.").arg(toString(channel), date.toString(Qt::ISODate)));
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
    int matched = 0;
    QSet<QString> seenPayments, seenRefunds;
    QList<PaymentStatus> toApply; ///< money the channel took that our books do not show as paid
    for (const BillEntry &e : bill->entries) {
        if (e.kind == BillEntry::Kind::Payment) {
            seenPayments.insert(e.outTradeNo);
            auto a = m_recon.attempt(tx, e.outTradeNo);
            if (!a)
                return a.error();
            const bool revoked = e.state != QStringLiteral("SUCCESS");
            if (!a.value() || a.value()->channel != channel) {
                if (!revoked) {
                    differ(QStringLiteral("LONG"), &e, e.outTradeNo, 0, e.orderTotalMinor, 0, {{QStringLiteral("txn_id"), e.channelTxnId}});
                    unknownToUs.insert(QStringLiteral("LONG:") + e.outTradeNo, &e);
                }
                continue;
            }
            const PaymentAttempt &at = *a.value();
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
                if (!revoked && source == Source::Fetched && same == false && at.currency.compare(e.currency, Qt::CaseInsensitive) == 0) {
                    PaymentStatus st;
                    st.outTradeNo = at.outTradeNo;
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
            seenRefunds.insert(e.outRefundNo);
            auto r = m_recon.refund(tx, e.outRefundNo);
            if (!r)
                return r.error();
            if (!r.value() || r.value()->channel != channel) {
                differ(QStringLiteral("REFUND_LONG"), &e, e.outRefundNo, 0, e.amountMinor, 0, {{QStringLiteral("out_trade_no"), e.outTradeNo}});
                unknownToUs.insert(QStringLiteral("REFUND_LONG:") + e.outRefundNo, &e);
                continue;
            }
            const Refund &rf = r.value()->refund;
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
    auto paid = m_recon.paidAttempts(tx, channel, from, to);
    if (!paid)
        return paid.error();
    for (const PaymentAttempt &a : paid.value()) {
        if (!seenPayments.contains(a.outTradeNo))
            differ(QStringLiteral("SHORT"), nullptr, a.outTradeNo, a.amountMinor, 0, a.orderId, {});
    }
    for (ReconDifference &d : diffs) {
        if (d.kind == QStringLiteral("SHORT"))
            d.outTradeNo = d.ref;
    }
    auto refunded = m_recon.succeededRefunds(tx, channel, from, to);
    if (!refunded)
        return refunded.error();
    for (const Refund &r : refunded.value()) {
        if (!seenRefunds.contains(r.outRefundNo)) {
            differ(QStringLiteral("REFUND_SHORT"), nullptr, r.outRefundNo, r.amountMinor, 0, r.orderId, {});
            diffs.last().outRefundNo = r.outRefundNo;
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

    int fresh = 0;
    for (ReconDifference &d : diffs) {
        auto existing = m_recon.findDifference(tx, d);
        if (!existing)
            return existing.error();
        if (existing.value()) {
            if (Status s = m_recon.touchDifference(tx, existing.value()->id, run.id); !s)
                return s.error();
            d = *existing.value();
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
                a.details = isRefund ? tr("%1 bill of %2 shows a refund our books never saw: %3 of %4 %5 (payment %6, line %7).")
                                           .arg(toString(channel), date.toString(Qt::ISODate), e->outRefundNo,
                                                minorToPlain(d.billMinor, 2), e->currency, e->outTradeNo)
                                           .arg(e->line)
                                     : tr("%1 bill of %2 shows a payment our books never saw: %3, %4 %5 (channel transaction %6, line %7).")
                                           .arg(toString(channel), date.toString(Qt::ISODate), e->outTradeNo,
                                                minorToPlain(d.billMinor, 2), e->currency, e->channelTxnId)
                                           .arg(e->line);
            } else {
                a.details = tr("%1 bill of %2 differs from our books: %3 %4 (ours %5, bill %6).")
                                .arg(toString(channel), date.toString(Qt::ISODate), d.kind, d.ref, minorToPlain(d.oursMinor, 2),
                                     minorToPlain(d.billMinor, 2));
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
        if (Status s = m_recon.insertDifference(tx, d); !s)
            return s.error();
    }
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
