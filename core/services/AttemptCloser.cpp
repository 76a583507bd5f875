#include "services/AttemptCloser.h"

#include "domain/SystemText.h"

#include <memory>

namespace paydesk {

namespace {

struct Run : std::enable_shared_from_this<Run>
{
    ChannelRegistry *channels = nullptr;
    QList<PaymentAttempt> attempts;
    bool queryFirst = false;
    QPointer<QObject> context;
    std::function<void(const QList<AttemptOutcome> &)> done;
    QList<AttemptOutcome> outcomes;
    qsizetype index = 0;

    void next()
    {
        if (context.isNull())
            return;
        if (index >= attempts.size()) {
            done(outcomes);
            return;
        }
        const PaymentAttempt a = attempts[index];
        PaymentChannel *ch = channels->channel(a.channel);
        if (!ch) {
            finish(a, AttemptOutcome::Kind::Failed, {},
                   ChannelError::make(ChannelError::Kind::Config, QStringLiteral("NO_CHANNEL"),
                                      QCoreApplication::translate("AttemptCloser", "The %1 channel is not configured.").arg(SystemText::of(a.channel))));
            return;
        }
        auto self = shared_from_this();
        if (queryFirst) {
            ch->queryPayment(a.outTradeNo, context, [self, a, ch](const ChannelReply<PaymentStatus> &r) {
                if (r.ok() && (r->state == TradeState::Success || r->state == TradeState::Refunded))
                    return self->finish(a, AttemptOutcome::Kind::Paid, r.value(), {});
                if (r.ok() && r->state == TradeState::Closed)
                    return self->finish(a, AttemptOutcome::Kind::Closed, r.value(), {});
                if (!r.ok() && r.error().kind == ChannelError::Kind::NotFound)
                    return self->finish(a, AttemptOutcome::Kind::Closed, notExist(a, *ch), {});
                if (!r.ok())
                    return self->finish(a, AttemptOutcome::Kind::Failed, {}, r.error());
                self->close(ch, a);
            });
        } else {
            close(ch, a);
        }
    }

    static PaymentStatus notExist(const PaymentAttempt &a, const PaymentChannel &ch)
    {
        PaymentStatus st;
        st.unscannedCode = !ch.tradeExistsFromCreation();
        st.outTradeNo = a.outTradeNo;
        st.state = TradeState::NotExist;
        st.rawState = QStringLiteral("NOT_EXIST");
        return st;
    }

    void close(PaymentChannel *ch, const PaymentAttempt &a)
    {
        auto self = shared_from_this();
        ch->closePayment(a.outTradeNo, context, [self, a, ch](const ChannelReply<Done> &r) {
            if (r.ok() || r.error().kind == ChannelError::Kind::AlreadyClosed) {
                PaymentStatus st;
                st.outTradeNo = a.outTradeNo;
                st.state = TradeState::Closed;
                st.rawState = QStringLiteral("CLOSED");
                return self->finish(a, AttemptOutcome::Kind::Closed, st, {});
            }
            if (r.error().kind == ChannelError::Kind::NotFound)
                return self->finish(a, AttemptOutcome::Kind::Closed, notExist(a, *ch), {});
            if (r.error().kind == ChannelError::Kind::AlreadyPaid) {
                // Money arrived between our last look and the close: learn the details.
                ch->queryPayment(a.outTradeNo, self->context, [self, a, err = r.error()](const ChannelReply<PaymentStatus> &q) {
                    if (q.ok() && (q->state == TradeState::Success || q->state == TradeState::Refunded))
                        return self->finish(a, AttemptOutcome::Kind::Paid, q.value(), {});
                    self->finish(a, AttemptOutcome::Kind::Failed, {}, q.ok() ? err : q.error());
                });
                return;
            }
            self->finish(a, AttemptOutcome::Kind::Failed, {}, r.error());
        });
    }

    void finish(const PaymentAttempt &a, AttemptOutcome::Kind kind, const PaymentStatus &st, const ChannelError &err)
    {
        AttemptOutcome o;
        o.attempt = a;
        o.kind = kind;
        o.status = st;
        o.error = err;
        outcomes << o;
        ++index;
        // Continue from the event loop, not from inside the channel's callback.
        auto self = shared_from_this();
        QMetaObject::invokeMethod(context.data(), [self]() { self->next(); }, Qt::QueuedConnection);
    }
};

} // namespace

void closeAttemptsAtChannels(ChannelRegistry &channels, const QList<PaymentAttempt> &attempts, bool queryFirst,
                             QObject *context, std::function<void(const QList<AttemptOutcome> &)> done)
{
    auto run = std::make_shared<Run>();
    run->channels = &channels;
    run->attempts = attempts;
    run->queryFirst = queryFirst;
    run->context = context;
    run->done = std::move(done);
    QMetaObject::invokeMethod(context, [run]() { run->next(); }, Qt::QueuedConnection);
}

} // namespace paydesk
