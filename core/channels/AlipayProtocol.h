#pragma once

#include "channels/PaymentChannel.h"

#include <QByteArray>
#include <QMap>
#include <QString>

#include <optional>

/// Alipay open API (gateway, RSA2) wire rules, shared by AlipayChannel and paydesk-sandbox.
namespace paydesk::alipay {

using Params = QMap<QString, QString>; ///< sorted by key in UTF-16 code-unit order, as Java's String

/// The signed content: sorted `k=v` joined with '&', empty values skipped, `sign` left out,
/// and `sign_type` left out too when `withoutSignType` (the rule for notifications).
QByteArray signContent(const Params &params, bool withoutSignType);

/// The raw bytes of the JSON object under `<nodeName>` in a gateway answer (exactly as sent, so
/// escapes like \/ stay as they are), or under "error_response" when the node is absent.
/// `foundNode` tells which one was found. nullopt when neither is there or it is malformed.
std::optional<QByteArray> extractResponseContent(const QByteArray &raw, const QString &nodeName,
                                                 QString *foundNode = nullptr);
/// "alipay.trade.query" -> "alipay_trade_query_response".
QString responseNode(const QString &method);

/// application/x-www-form-urlencoded, UTF-8 ('+' is a space).
Params parseForm(const QByteArray &body);
QByteArray encodeForm(const Params &params);

/// An asynchronous notification whose notify_time is older than this is refused: Alipay sends
/// each retry with a fresh notify_time, so only a replay is this old.
inline constexpr qint64 kNotifyMaxAgeMs = 24 * 3600 * 1000LL;
/// ... and one whose notify_time is further ahead of our clock than this.
inline constexpr qint64 kNotifyMaxAheadMs = 5 * 60 * 1000LL;
/// Whether a notification sent at `notifyMs` (parseBeijingTime of notify_time; 0 = unreadable)
/// may be believed at `nowMs`.
bool notifyTimeAcceptable(qint64 notifyMs, qint64 nowMs);

/// "yyyy-MM-dd HH:mm:ss" in Beijing time (UTC+8), the gateway's time format.
QString beijingTime(qint64 ms);
/// 0 when not in that format.
qint64 parseBeijingTime(const QString &text);

/// Exact yuan string <-> minor units ("12.30" <-> 1230); nullopt for anything malformed.
QString yuan(qint64 minor);
std::optional<qint64> parseYuan(const QString &text);

std::optional<TradeState> tradeStateFromWire(const QString &s);

/// Maps a non-10000 answer (code, msg, sub_code, sub_msg) to a ChannelError.
ChannelError errorFromAnswer(const QJsonObject &node, int httpStatus);

} // namespace paydesk::alipay
