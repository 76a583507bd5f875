#include "services/FixupService.h"

#include "channels/ChannelRegistry.h"
#include "domain/SystemText.h"
#include "services/Reconciler.h"
#include "storage/AuditLog.h"
#include "storage/Database.h"
#include "storage/FixupRepository.h"
#include "storage/OrderRepository.h"
#include "storage/UserDirectory.h"
#include "util/Clock.h"

#include <QMetaObject>
#include <QRegularExpression>

namespace paydesk {

namespace {

QString object(qint64 id) { return QStringLiteral("fixup:") + QString::number(id); }

/// What WeChat (transaction_id, 28 digits), Alipay (trade_no, 28-32 digits) and the simulator
/// name a transaction: letters, digits, '_' and '-', 6 to 64 of them.
bool looksLikeTransactionId(const QString &id)
{
    static const QRegularExpression re(QStringLiteral("^[0-9A-Za-z_\\-]{6,64}$"));
    return re.match(id).hasMatch();
}

} // namespace

Error FixupService::refuse(const QString &login, const QString &action, qint64 id, const Error &e)
{
    m_audit.recordRefusal(login, action + QStringLiteral(".refused"), id > 0 ? object(id) : QStringLiteral("fixup"),
                          {{QStringLiteral("code"), e.code}, {QStringLiteral("message"), e.message}});
    return e;
}

Error FixupService::refuseIn(Transaction &tx, const QString &login, const QString &action, qint64 id, const Error &e)
{
    tx.rollback(); // the refusal is audited in a transaction of its own
    return refuse(login, action, id, e);
}

Result<Fixup> FixupService::requestMarkPaid(const QString &login, const MarkPaid &request)
{
    const QString action = QStringLiteral("fixup.request");
    auto fail = [&](const Error &e) -> Result<Fixup> { return refuse(login, action, 0, e); };
    const auto me = m_users.actor(login);
    if (!me)
        return fail(me.error());
    if (me->role != Role::Clerk && me->role != Role::Finance)
        return fail(Error::forbidden(QStringLiteral("role.fixup"),
                                     tr("Fix-ups are asked for by CLERK or FINANCE users; %1 is %2.").arg(login, SystemText::of(me->role))));
    const QString txn = request.channelTxnId.trimmed();
    const QString reason = request.reason.trimmed();
    if (!looksLikeTransactionId(txn))
        return fail(Error::invalid(QStringLiteral("fixup.bad_txn"),
                                   tr("\"%1\" is not a channel transaction id (6 to 64 letters, digits, '_' or '-'); copy it from the "
                                      "customer's payment record or the merchant platform.")
                                       .arg(txn)));
    if (reason.size() < 4)
        return fail(Error::invalid(QStringLiteral("fixup.reason_required"),
                                   tr("Say why the order is to be marked paid (what the customer showed, where the money was seen).")));
    auto order = m_orders.byNo(request.orderNo.trimmed().toUpper());
    if (!order)
        return fail(order.error());
    if (order->state != OrderState::Pending && order->state != OrderState::Closed)
        return fail(Error::conflict(QStringLiteral("fixup.already_paid"),
                                    tr("Order %1 is %2: its money is in the books already.").arg(order->orderNo, SystemText::of(order->state))));
    auto attempts = m_orders.attemptsOf(order->id);
    if (!attempts)
        return fail(attempts.error());
    std::optional<PaymentAttempt> attempt;
    for (const PaymentAttempt &a : attempts.value()) {
        if (!request.outTradeNo.isEmpty() ? a.outTradeNo.compare(request.outTradeNo.trimmed(), Qt::CaseInsensitive) == 0
                                          : (a.state != AttemptState::Succeeded && (!attempt || a.createdAt >= attempt->createdAt)))
            attempt = a;
    }
    if (!attempt)
        return fail(Error::notFound(QStringLiteral("fixup.no_payment"),
                                    request.outTradeNo.isEmpty() ? tr("Order %1 has no payment to mark paid.").arg(order->orderNo)
                                                                 : tr("Order %1 has no payment %2.").arg(order->orderNo, request.outTradeNo)));
    if (attempt->state == AttemptState::Succeeded)
        return fail(Error::conflict(QStringLiteral("fixup.already_paid"), tr("Payment %1 is paid in the books already.").arg(attempt->outTradeNo)));
    auto known = m_orders.orderIdOfAnyId(txn);
    if (!known)
        return fail(known.error());
    if (known.value()) {
        auto other = m_orders.byId(*known.value());
        return fail(Error::conflict(QStringLiteral("fixup.txn_known"),
                                    tr("Transaction %1 is in the books already, on order %2.").arg(txn, other ? other->orderNo : QString())));
    }

    Fixup f;
    f.orderId = order->id;
    f.attemptId = attempt->id;
    f.orderNo = order->orderNo;
    f.outTradeNo = attempt->outTradeNo;
    f.channel = attempt->channel;
    f.channelTxnId = txn;
    f.amountMinor = attempt->amountMinor;
    f.currency = attempt->currency;
    f.reason = reason;
    f.requestedBy = login;
    f.requestedAt = m_clock.nowMs();
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    if (Status s = m_fixups.insert(tx.connection(), f); !s) {
        tx.rollback(); // the refusal is audited in a transaction of its own
        return fail(s.error());
    }
    if (Status s = m_audit.append(tx, login, action, object(f.id),
                                  {{QStringLiteral("kind"), f.kind}, {QStringLiteral("order"), f.orderNo},
                                   {QStringLiteral("out_trade_no"), f.outTradeNo}, {QStringLiteral("channel_txn_id"), f.channelTxnId},
                                   {QStringLiteral("amount"), minorToPlain(f.amountMinor, 2)}, {QStringLiteral("reason"), f.reason}});
        !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return f;
}

Result<Fixup> FixupService::reject(const QString &login, qint64 id, const QString &note)
{
    const QString action = QStringLiteral("fixup.reject");
    const auto me = m_users.actor(login);
    if (!me)
        return refuse(login, action, id, me.error());
    if (me->role != Role::Finance)
        return refuse(login, action, id,
                      Error::forbidden(QStringLiteral("role.finance_only"),
                                       tr("Fix-ups are decided by FINANCE staff; %1 is %2.").arg(login, SystemText::of(me->role))));
    if (note.trimmed().isEmpty())
        return refuse(login, action, id, Error::invalid(QStringLiteral("fixup.note_required"), tr("Say why the fix-up is rejected; the requester will read it.")));
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    auto f = m_fixups.lock(tx, id);
    if (!f)
        return refuseIn(tx, login, action, id, f.error());
    if (f->state != FixupState::Requested)
        return refuseIn(tx, login, action, id,
                      Error::conflict(QStringLiteral("fixup.decided"), tr("Fix-up %1 was decided already (%2 by %3).")
                                                                           .arg(QString::number(id), toString(f->state), f->reviewedBy)));
    const qint64 now = m_clock.nowMs();
    if (Status s = m_fixups.decide(tx.connection(), id, FixupState::Rejected, login, now, note.trimmed(), FixupVerification::None); !s)
        return refuseIn(tx, login, action, id, s.error());
    if (Status s = m_audit.append(tx, login, action, object(id),
                                  {{QStringLiteral("order"), f->orderNo}, {QStringLiteral("note"), note.trimmed()}});
        !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    return m_fixups.byId(id);
}

void FixupService::approve(const QString &login, qint64 id, const QString &note, QObject *context,
                           std::function<void(const Result<Decided> &)> done)
{
    auto reply = [context, done](const Result<Decided> &r) {
        QMetaObject::invokeMethod(context, [done, r]() { done(r); }, Qt::QueuedConnection);
    };
    const QString action = QStringLiteral("fixup.approve");
    const auto me = m_users.actor(login); // the role the database holds now, not what the caller was told
    if (!me)
        return reply(refuse(login, action, id, me.error()));
    if (me->role != Role::Finance)
        return reply(refuse(login, action, id,
                            Error::forbidden(QStringLiteral("role.finance_only"),
                                             tr("Fix-ups are decided by FINANCE staff; %1 is %2.").arg(login, SystemText::of(me->role)))));
    auto f = m_fixups.byId(id);
    if (!f)
        return reply(refuse(login, action, id, f.error()));
    if (f->requestedBy == login)
        return reply(refuse(login, action, id,
                            Error::forbidden(QStringLiteral("fixup.four_eyes"),
                                             tr("You asked for fix-up %1 yourself; another FINANCE colleague has to approve it.").arg(id))));
    if (f->state != FixupState::Requested)
        return reply(refuse(login, action, id,
                            Error::conflict(QStringLiteral("fixup.decided"), tr("Fix-up %1 was decided already (%2 by %3).")
                                                                                 .arg(QString::number(id), toString(f->state), f->reviewedBy))));
    const Fixup fixup = f.value();
    PaymentChannel *channel = m_channels.channel(fixup.channel);
    if (!channel) // nothing to ask: as if it could not be reached
        return reply(apply(login, fixup, note, FixupVerification::Unreachable, 0));
    channel->queryPayment(fixup.outTradeNo, this, [this, login, fixup, note, action, reply](const ChannelReply<PaymentStatus> &r) {
        const qint64 which = fixup.id;
        if (!r.ok()) {
            const ChannelError &e = r.error();
            switch (e.kind) {
            case ChannelError::Kind::Network:
            case ChannelError::Kind::Timeout:
            case ChannelError::Kind::Server:
            case ChannelError::Kind::RateLimited:
            case ChannelError::Kind::Config:
                // No answer at all: the second person's word stands, recorded as such.
                return reply(apply(login, fixup, note, FixupVerification::Unreachable, 0));
            case ChannelError::Kind::NotFound:
                return reply(refuse(login, action, which,
                                    Error::conflict(QStringLiteral("fixup.channel_says_unpaid"),
                                                    tr("%1 says it has no payment %2: it cannot be marked paid.")
                                                        .arg(SystemText::of(fixup.channel), fixup.outTradeNo))));
            default:
                // An answer we cannot verify (bad signature, stale) proves nothing either way.
                return reply(refuse(login, action, which,
                                    Error::conflict(QStringLiteral("fixup.unverified"),
                                                    tr("%1 answered about %2, but the answer could not be verified (%3); nothing was "
                                                       "changed. Try again later.")
                                                        .arg(SystemText::of(fixup.channel), fixup.outTradeNo, e.describe()))));
            }
        }
        const PaymentStatus &st = r.value();
        if (st.state != TradeState::Success && st.state != TradeState::Refunded)
            return reply(refuse(login, action, which,
                                Error::conflict(QStringLiteral("fixup.channel_says_unpaid"),
                                                tr("%1 says payment %2 was not made (%3): it cannot be marked paid.")
                                                    .arg(SystemText::of(fixup.channel), fixup.outTradeNo, st.rawState))));
        if (st.channelTxnId != fixup.channelTxnId)
            return reply(refuse(login, action, which,
                                Error::conflict(QStringLiteral("fixup.other_txn"),
                                                tr("%1 names transaction %2 for payment %3, not %4: check the transaction id and ask again.")
                                                    .arg(SystemText::of(fixup.channel), st.channelTxnId, fixup.outTradeNo, fixup.channelTxnId))));
        if (st.amountMinor != fixup.amountMinor || (!st.currency.isEmpty() && st.currency != fixup.currency))
            return reply(refuse(login, action, which,
                                Error::conflict(QStringLiteral("fixup.other_amount"),
                                                tr("%1 says payment %2 was %3 %4, not %5 %6: finance has to look at it.")
                                                    .arg(SystemText::of(fixup.channel), fixup.outTradeNo, minorToPlain(st.amountMinor, 2),
                                                         st.currency, minorToPlain(fixup.amountMinor, 2), fixup.currency))));
        reply(apply(login, fixup, note, FixupVerification::Confirmed, st.paidAtMs));
    });
}

Result<FixupService::Decided> FixupService::apply(const QString &login, const Fixup &f, const QString &note, FixupVerification how,
                                                  qint64 paidAtMs)
{
    const QString action = QStringLiteral("fixup.approve");
    Transaction tx(m_db);
    if (!tx.begun())
        return tx.begun().error();
    auto locked = m_fixups.lock(tx, f.id);
    if (!locked)
        return locked.error();
    if (locked->state != FixupState::Requested)
        return refuseIn(tx, login, action, f.id,
                      Error::conflict(QStringLiteral("fixup.decided"), tr("Fix-up %1 was decided already (%2 by %3).")
                                                                           .arg(QString::number(f.id), toString(locked->state), locked->reviewedBy)));
    // The payment as the channel confirmed it, or as the two people state it: the same rule
    // (Reconciler::applyPayment) makes it books, so a closed order gets money-after-close.
    PaymentStatus st;
    st.outTradeNo = f.outTradeNo;
    st.state = TradeState::Success;
    st.channelTxnId = f.channelTxnId;
    st.amountMinor = f.amountMinor;
    st.currency = f.currency;
    st.paidAtMs = paidAtMs > 0 ? paidAtMs : m_clock.nowMs();
    st.rawState = how == FixupVerification::Confirmed ? QStringLiteral("SUCCESS") : QStringLiteral("MARKED_PAID");
    auto applied = m_reconciler.applyPayment(tx, st, login, QStringLiteral("fixup"));
    if (!applied)
        return refuseIn(tx, login, action, f.id, applied.error());
    const qint64 now = m_clock.nowMs();
    if (Status s = m_fixups.decide(tx.connection(), f.id, FixupState::Applied, login, now, note.trimmed(), how); !s)
        return refuseIn(tx, login, action, f.id, s.error());
    if (Status s = m_audit.append(tx, login, action, object(f.id),
                                  {{QStringLiteral("order"), f.orderNo}, {QStringLiteral("out_trade_no"), f.outTradeNo},
                                   {QStringLiteral("channel_txn_id"), f.channelTxnId}, {QStringLiteral("verification"), toString(how)},
                                   {QStringLiteral("outcome"), Reconciler::describe(applied->outcome)},
                                   {QStringLiteral("requested_by"), f.requestedBy}, {QStringLiteral("note"), note.trimmed()}});
        !s)
        return s.error();
    if (Status s = tx.commit(); !s)
        return s.error();
    emit booksChanged();
    Decided out;
    auto decided = m_fixups.byId(f.id);
    out.fixup = decided ? decided.value() : f;
    if (auto o = m_orders.byId(f.orderId))
        out.orderState = toString(o->state);
    const QString checked = how == FixupVerification::Confirmed ? tr("confirmed by %1").arg(SystemText::of(f.channel))
                                                                : tr("%1 could not be reached; approved on your word").arg(SystemText::of(f.channel));
    switch (applied->outcome) {
    case Reconciler::Outcome::Paid:
    case Reconciler::Outcome::AlreadyApplied:
        out.message = tr("Order %1 is paid (%2).").arg(f.orderNo, checked);
        break;
    case Reconciler::Outcome::PaidAfterClose:
        out.message = tr("The money on closed order %1 is in the books (%2); anomaly %3 proposes the refund.")
                          .arg(f.orderNo, checked, QString::number(applied->anomalyId));
        break;
    default:
        out.message = tr("Fix-up %1 applied (%2): %3.").arg(QString::number(f.id), checked, Reconciler::describe(applied->outcome));
        break;
    }
    return out;
}

} // namespace paydesk
