#include "channels/AlipayProtocol.h"

#include "domain/Money.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonObject>
#include <QTimeZone>

namespace paydesk::alipay {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("paydesk::alipay", text);
}

bool isSpace(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/// From `start` (at '{'), the index one past the matching '}', honouring strings and escapes.
qsizetype matchBrace(const QByteArray &raw, qsizetype start)
{
    int depth = 0;
    bool inString = false;
    for (qsizetype i = start; i < raw.size(); ++i) {
        const char c = raw[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"')
            inString = true;
        else if (c == '{')
            ++depth;
        else if (c == '}' && --depth == 0)
            return i + 1;
    }
    return -1;
}

/// The value of top-level key `key` in the object starting at raw[0] == '{': its raw bytes
/// (must be an object). Scans top-level keys only, so a "sign" inside the node is ignored.
std::optional<QByteArray> topLevelObject(const QByteArray &raw, const QByteArray &key)
{
    qsizetype i = 0;
    while (i < raw.size() && isSpace(raw[i]))
        ++i;
    if (i >= raw.size() || raw[i] != '{')
        return std::nullopt;
    ++i;
    while (i < raw.size()) {
        while (i < raw.size() && (isSpace(raw[i]) || raw[i] == ','))
            ++i;
        if (i >= raw.size() || raw[i] != '"')
            return std::nullopt;
        // key
        qsizetype end = i + 1;
        while (end < raw.size() && raw[end] != '"') {
            if (raw[end] == '\\')
                ++end;
            ++end;
        }
        const QByteArray name = raw.mid(i + 1, end - i - 1);
        i = end + 1;
        while (i < raw.size() && isSpace(raw[i]))
            ++i;
        if (i >= raw.size() || raw[i] != ':')
            return std::nullopt;
        ++i;
        while (i < raw.size() && isSpace(raw[i]))
            ++i;
        if (i >= raw.size())
            return std::nullopt;
        // value
        qsizetype valueEnd = -1;
        if (raw[i] == '{' || raw[i] == '[') {
            if (raw[i] == '{') {
                valueEnd = matchBrace(raw, i);
            } else {
                int depth = 0;
                bool inString = false;
                for (qsizetype j = i; j < raw.size(); ++j) {
                    const char c = raw[j];
                    if (inString) {
                        if (c == '\\')
                            ++j;
                        else if (c == '"')
                            inString = false;
                    } else if (c == '"') {
                        inString = true;
                    } else if (c == '[' || c == '{') {
                        ++depth;
                    } else if ((c == ']' || c == '}') && --depth == 0) {
                        valueEnd = j + 1;
                        break;
                    }
                }
            }
        } else if (raw[i] == '"') {
            qsizetype j = i + 1;
            while (j < raw.size() && raw[j] != '"') {
                if (raw[j] == '\\')
                    ++j;
                ++j;
            }
            valueEnd = j < raw.size() ? j + 1 : -1;
        } else {
            qsizetype j = i;
            while (j < raw.size() && raw[j] != ',' && raw[j] != '}')
                ++j;
            valueEnd = j;
        }
        if (valueEnd < 0)
            return std::nullopt;
        if (name == key) {
            if (raw[i] != '{')
                return std::nullopt;
            return raw.mid(i, valueEnd - i);
        }
        i = valueEnd;
    }
    return std::nullopt;
}
} // namespace

QByteArray signContent(const Params &params, bool withoutSignType)
{
    QByteArray out;
    for (auto it = params.cbegin(); it != params.cend(); ++it) {
        if (it.key().isEmpty() || it.value().isEmpty() || it.key() == QStringLiteral("sign"))
            continue;
        if (withoutSignType && it.key() == QStringLiteral("sign_type"))
            continue;
        if (!out.isEmpty())
            out.append('&');
        out.append(it.key().toUtf8()).append('=').append(it.value().toUtf8());
    }
    return out;
}

QString responseNode(const QString &method)
{
    QString node = method;
    node.replace(u'.', u'_');
    return node + QStringLiteral("_response");
}

std::optional<QByteArray> extractResponseContent(const QByteArray &raw, const QString &nodeName, QString *foundNode)
{
    if (auto v = topLevelObject(raw, nodeName.toUtf8())) {
        if (foundNode)
            *foundNode = nodeName;
        return v;
    }
    if (auto v = topLevelObject(raw, "error_response")) {
        if (foundNode)
            *foundNode = QStringLiteral("error_response");
        return v;
    }
    return std::nullopt;
}

Params parseForm(const QByteArray &body)
{
    Params out;
    const QList<QByteArray> pairs = body.split('&');
    for (const QByteArray &pair : pairs) {
        if (pair.isEmpty())
            continue;
        const qsizetype eq = pair.indexOf('=');
        QByteArray k = eq < 0 ? pair : pair.left(eq);
        QByteArray v = eq < 0 ? QByteArray() : pair.mid(eq + 1);
        k.replace('+', ' ');
        v.replace('+', ' ');
        out.insert(QString::fromUtf8(QByteArray::fromPercentEncoding(k)), QString::fromUtf8(QByteArray::fromPercentEncoding(v)));
    }
    return out;
}

QByteArray encodeForm(const Params &params)
{
    QByteArray out;
    for (auto it = params.cbegin(); it != params.cend(); ++it) {
        if (!out.isEmpty())
            out.append('&');
        out.append(it.key().toUtf8().toPercentEncoding()).append('=').append(it.value().toUtf8().toPercentEncoding());
    }
    return out;
}

QString beijingTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, QTimeZone(8 * 3600)).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

qint64 parseBeijingTime(const QString &text)
{
    QDateTime dt = QDateTime::fromString(text, QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    if (!dt.isValid())
        return 0;
    dt = QDateTime(dt.date(), dt.time(), QTimeZone(8 * 3600));
    return dt.toMSecsSinceEpoch();
}

bool notifyTimeAcceptable(qint64 notifyMs, qint64 nowMs)
{
    if (notifyMs <= 0)
        return false;
    // Written so that no qint64 can overflow.
    if (notifyMs > nowMs)
        return notifyMs - nowMs <= kNotifyMaxAheadMs;
    return nowMs - notifyMs <= kNotifyMaxAgeMs;
}

QString yuan(qint64 minor)
{
    return minorToPlain(minor, 2);
}

std::optional<qint64> parseYuan(const QString &text)
{
    auto m = Money::parse(text, Currency::cny(), AmountUse::OrderTotal);
    if (!m)
        return std::nullopt;
    return m->minor();
}

std::optional<TradeState> tradeStateFromWire(const QString &s)
{
    if (s == QStringLiteral("WAIT_BUYER_PAY")) return TradeState::NotPay;
    if (s == QStringLiteral("TRADE_SUCCESS") || s == QStringLiteral("TRADE_FINISHED")) return TradeState::Success;
    if (s == QStringLiteral("TRADE_CLOSED")) return TradeState::Closed;
    return std::nullopt;
}

ChannelError errorFromAnswer(const QJsonObject &node, int http)
{
    const QString code = node.value(QStringLiteral("code")).toString();
    const QString subCode = node.value(QStringLiteral("sub_code")).toString();
    QString message = node.value(QStringLiteral("sub_msg")).toString();
    if (message.isEmpty())
        message = node.value(QStringLiteral("msg")).toString();
    if (message.isEmpty())
        message = tr("Alipay answered code %1.").arg(code);
    const QString wireCode = subCode.isEmpty() ? code : subCode;
    using K = ChannelError::Kind;
    K kind = K::Rejected;
    if (code == QStringLiteral("20000") || subCode.endsWith(QStringLiteral("SYSTEM_ERROR"))
        || subCode == QStringLiteral("aop.unknow-error") || http >= 500)
        kind = K::Server;
    else if (subCode == QStringLiteral("ACQ.TRADE_NOT_EXIST"))
        kind = K::NotFound;
    else if (subCode == QStringLiteral("ACQ.TRADE_HAS_SUCCESS") || subCode == QStringLiteral("ACQ.TRADE_HAS_FINISHED"))
        kind = K::AlreadyPaid;
    else if (subCode == QStringLiteral("ACQ.TRADE_HAS_CLOSE"))
        kind = K::AlreadyClosed;
    else if (subCode.contains(QStringLiteral("FREQUENCY")) || subCode == QStringLiteral("aop.ACQ.FREQUENCY_LIMITED"))
        kind = K::RateLimited;
    else if (subCode == QStringLiteral("isv.invalid-signature"))
        message = tr("Alipay refused our request signature: check the app private key (%1)").arg(message);
    return ChannelError::make(kind, wireCode, message, http);
}

} // namespace paydesk::alipay
