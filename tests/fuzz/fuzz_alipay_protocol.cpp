// Alipay gateway wire parsing (core/channels/AlipayProtocol): the raw-bytes extraction of the
// signed response node, forms, Beijing times, yuan amounts and error answers. The first byte
// picks what the rest is.

#include "FuzzSupport.h"

#include "channels/AlipayProtocol.h"

#include <QJsonDocument>
#include <QJsonObject>

using namespace paydesk;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    fuzz::initQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::Input in(data, size);
    switch (in.byte() % 5) {
    case 0: { // a gateway answer: the method name up to '\n', then the raw answer
        const QString method = QString::fromUtf8(in.until('\n'));
        const QByteArray raw = in.rest();
        QString found;
        if (auto node = alipay::extractResponseContent(raw, alipay::responseNode(method), &found)) {
            // The extracted bytes are a slice of the answer, starting at '{' and ending at '}'.
            if (node->isEmpty() || node->front() != '{' || node->back() != '}' || !raw.contains(*node))
                fuzz::fail("extractResponseContent returned something that is not an object slice");
            if (found.isEmpty())
                fuzz::fail("extractResponseContent did not say which node it found");
            const QJsonObject o = QJsonDocument::fromJson(*node).object();
            (void)alipay::errorFromAnswer(o, 200);
        }
        break;
    }
    case 1: { // a form: parse, sign content, and a round trip through encodeForm
        const alipay::Params params = alipay::parseForm(in.rest());
        (void)alipay::signContent(params, true);
        (void)alipay::signContent(params, false);
        if (alipay::parseForm(alipay::encodeForm(params)) != params)
            fuzz::fail("parseForm(encodeForm(x)) differs");
        break;
    }
    case 2: { // gateway times
        const QString text = QString::fromUtf8(in.rest());
        const qint64 ms = alipay::parseBeijingTime(text);
        if (ms != 0 && alipay::parseBeijingTime(alipay::beijingTime(ms)) != ms)
            fuzz::fail("parseBeijingTime(beijingTime(x)) differs", text);
        break;
    }
    case 3: { // an error node (JSON) and an HTTP status (2 bytes)
        const int status = in.byte() << 8 | in.byte();
        const ChannelError e = alipay::errorFromAnswer(QJsonDocument::fromJson(in.rest()).object(), status);
        if (e.message.isEmpty())
            fuzz::fail("an error without message");
        break;
    }
    default: { // yuan amounts and trade states
        const QString text = QString::fromUtf8(in.rest());
        if (auto y = alipay::parseYuan(text); y && alipay::parseYuan(alipay::yuan(*y)) != y)
            fuzz::fail("parseYuan(yuan(x)) differs", text);
        (void)alipay::tradeStateFromWire(text);
        break;
    }
    }
    return 0;
}
