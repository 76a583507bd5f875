#include "Receipt.h"

#include "Labels.h"
#include "QrWidget.h"
#include "storage/OrderRepository.h"
#include "storage/RefundRepository.h"

#include <QFile>
#include <QFontMetricsF>
#include <QLocale>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QTranslator>
#include <QtMath>

namespace paydesk::ui {

namespace {

// Everything is laid out in tenths of a millimetre on an 80 mm wide page; the painter is
// scaled to the device's page width, so a PDF and a printer get the same receipt.
constexpr qreal kUnitsPerMm = 10.0;
constexpr qreal kPageWidth = Receipt::kWidthMm * kUnitsPerMm;
constexpr qreal kMargin = 40.0;
constexpr qreal kQrSide = 380.0; ///< 38 mm including the quiet zone

QFont receiptFont(int pixels, bool bold = false)
{
    QFont f;
    f.setPixelSize(pixels);
    f.setBold(bold);
    f.setHintingPreference(QFont::PreferNoHinting); // the same widths when measured and drawn
    return f;
}

QLocale localeOf(Receipt::Language language)
{
    return language == Receipt::Language::Chinese ? QLocale(QLocale::Chinese, QLocale::SimplifiedChineseScript, QLocale::China)
                                                  : QLocale(QLocale::English, QLocale::UnitedStates);
}

} // namespace

QString Receipt::text(const char *source, Language language)
{
    if (language == Language::English)
        return QString::fromUtf8(source);
    static QTranslator chinese;
    static const bool loaded = chinese.load(QStringLiteral(":/i18n/paydesk_zh_CN.qm"));
    const QString t = loaded ? chinese.translate("Receipt", source) : QString();
    return t.isEmpty() ? QString::fromUtf8(source) : t;
}

Receipt::Language Receipt::defaultLanguage()
{
    return QLocale().language() == QLocale::Chinese ? Language::Chinese : Language::English;
}

Result<Receipt::Facts> Receipt::payment(OrderRepository &orders, qint64 orderId)
{
    auto order = orders.byId(orderId);
    if (!order)
        return order.error();
    auto attempts = orders.attemptsOf(orderId);
    if (!attempts)
        return attempts.error();
    Facts f;
    f.order = order.value();
    for (const PaymentAttempt &a : attempts.value())
        if (a.state == AttemptState::Succeeded && (f.paid.id == 0 || a.paidAt < f.paid.paidAt))
            f.paid = a;
    if (f.paid.id == 0)
        return Error::conflict(QStringLiteral("receipt.not_paid"),
                               tr("Order %1 was never paid: there is no payment to give a receipt for.").arg(f.order.orderNo));
    return f;
}

Result<Receipt::Facts> Receipt::refund(OrderRepository &orders, RefundRepository &refunds, const QString &outRefundNo)
{
    auto r = refunds.byOutRefundNo(outRefundNo);
    if (!r)
        return r.error();
    if (r->state != RefundState::Succeeded)
        return Error::conflict(QStringLiteral("receipt.refund_not_done"),
                               tr("Refund %1 is %2: a receipt is given once the channel has paid the money back.")
                                   .arg(outRefundNo, Labels::of(r->state)));
    auto paid = payment(orders, r->orderId);
    if (!paid)
        return paid.error();
    Facts f = paid.value();
    auto attempts = orders.attemptsOf(r->orderId);
    if (!attempts)
        return attempts.error();
    for (const PaymentAttempt &a : attempts.value())
        if (a.id == r->attemptId)
            f.paid = a; // the payment this refund goes back through
    f.refund = r.value();
    return f;
}

Receipt::Slip Receipt::slipOf(const Facts &f, Language language)
{
    const QLocale loc = localeOf(language);
    auto tx = [language](const char *source) { return text(source, language); };
    const auto money = [&](qint64 minor) { return Money(minor, f.order.amount().currency()).toDisplayString(loc); };
    const QString channel = channelName(f.paid.channel, language);
    Slip slip;
    slip.header = tx(QT_TRANSLATE_NOOP("Receipt", "PayDesk"));
    slip.title = f.refund ? tx(QT_TRANSLATE_NOOP("Receipt", "Refund receipt")) : tx(QT_TRANSLATE_NOOP("Receipt", "Payment receipt"));
    QList<Slip::Row> &rows = slip.rows;
    rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Order no")), f.order.orderNo});
    rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Item")), f.order.title});
    if (!f.order.buyer.isEmpty())
        rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Customer")), f.order.buyer});
    if (f.refund) {
        const Refund &r = *f.refund;
        rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Paid")), money(f.paid.amountMinor)});
        rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Refunded")), money(r.amountMinor), true});
        rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Refunded at")), Labels::time(r.completedAt)});
        rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Channel")), channel});
        rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Refund no")), r.outRefundNo});
        if (!r.channelRefundId.isEmpty())
            rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Channel refund id")), r.channelRefundId});
        rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Paid with transaction")), f.paid.channelTxnId});
    } else {
        rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Amount paid")), money(f.paid.amountMinor), true});
        rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Paid at")), Labels::time(f.paid.paidAt > 0 ? f.paid.paidAt : f.order.paidAt)});
        rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Channel")), channel});
        rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Transaction id")), f.paid.channelTxnId});
        rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Payment no")), f.paid.outTradeNo});
        if (f.order.refundedMinor > 0)
            rows.append({tx(QT_TRANSLATE_NOOP("Receipt", "Refunded since")), money(f.order.refundedMinor)});
    }
    // The order number as a QR code, so the counter can scan a customer's receipt back.
    slip.qrPayload = f.order.orderNo;
    slip.qrCaption = f.order.orderNo;
    const QString by = f.printedBy.isEmpty() ? QString() : Labels::actor(f.printedBy);
    if (f.printedAt > 0)
        slip.footer << (by.isEmpty() ? tx(QT_TRANSLATE_NOOP("Receipt", "Printed %1")).arg(Labels::time(f.printedAt))
                                     : tx(QT_TRANSLATE_NOOP("Receipt", "Printed %1 by %2")).arg(Labels::time(f.printedAt), by));
    slip.footer << (f.refund ? tx(QT_TRANSLATE_NOOP("Receipt", "The money goes back to the account it was paid from."))
                             : tx(QT_TRANSLATE_NOOP("Receipt", "Thank you. Keep this receipt for a refund.")));
    slip.documentTitle = slip.title + u' ' + (f.refund ? f.refund->outRefundNo : f.order.orderNo);
    return slip;
}

QString Receipt::channelName(ChannelKind channel, Language language)
{
    return channel == ChannelKind::WeChat ? text(QT_TRANSLATE_NOOP("Receipt", "WeChat Pay"), language)
         : channel == ChannelKind::Alipay ? text(QT_TRANSLATE_NOOP("Receipt", "Alipay"), language)
                                          : text(QT_TRANSLATE_NOOP("Receipt", "Simulated channel (demo)"), language);
}

QString Receipt::money(qint64 minor, Language language)
{
    return Money(minor, Currency::cny()).toDisplayString(localeOf(language));
}

qreal Receipt::layout(QPainter *painter, const Slip &slip, QRectF *qr)
{
    const qreal inner = kPageWidth - 2 * kMargin;
    qreal y = kMargin;

    // One block of text at (x, y) `width` wide; returns its height (drawn when painting).
    auto block = [&](const QString &s, const QFont &font, int flags, qreal x, qreal width, const QColor &colour = Qt::black) {
        const QFontMetricsF fm(font);
        const QRectF r = fm.boundingRect(QRectF(x, y, width, 1e6), flags, s);
        if (painter) {
            painter->setFont(font);
            painter->setPen(colour);
            painter->drawText(QRectF(x, y, width, r.height()), flags, s);
        }
        return r.height();
    };
    auto rule = [&] {
        y += 14;
        if (painter) {
            painter->setPen(QPen(Qt::black, 3, Qt::DashLine));
            painter->drawLine(QPointF(kMargin, y), QPointF(kPageWidth - kMargin, y));
        }
        y += 20;
    };

    const QFont title = receiptFont(48, true);
    const QFont body = receiptFont(30);
    const QFont strong = receiptFont(34, true);
    const QFont small = receiptFont(24);
    const QFont section = receiptFont(28, true);

    if (!slip.header.isEmpty()) {
        y += block(slip.header, small, Qt::AlignHCenter | Qt::TextWordWrap, kMargin, inner, Qt::darkGray);
        y += 6;
    }
    y += block(slip.title, title, Qt::AlignHCenter | Qt::TextWordWrap, kMargin, inner);
    rule();

    const qreal labelWidth = inner * 0.36;
    const qreal valueX = kMargin + labelWidth + 10;
    const qreal valueWidth = inner - labelWidth - 10;
    for (const Slip::Row &row : slip.rows) {
        if (row.value.isNull() && !row.label.isEmpty()) { // a heading of its own
            y += 8;
            y += block(row.label, section, Qt::AlignLeft | Qt::TextWordWrap, kMargin, inner) + 8;
            continue;
        }
        if (row.value.isEmpty())
            continue;
        const int wrap = row.value.contains(u' ') || row.value.size() < 12 ? Qt::TextWordWrap : Qt::TextWrapAnywhere;
        const qreal lh = block(row.label, small, Qt::AlignLeft | Qt::TextWordWrap, kMargin, labelWidth, Qt::darkGray);
        const qreal vh = block(row.value, row.strong ? strong : body, Qt::AlignRight | wrap, valueX, valueWidth);
        y += qMax(lh, vh) + 10;
    }
    rule();

    if (!slip.qrPayload.isEmpty()) {
        const QImage code = QrWidget::encode(slip.qrPayload);
        const QRectF square((kPageWidth - kQrSide) / 2, y, kQrSide, kQrSide);
        if (painter && !code.isNull()) {
            painter->fillRect(square, Qt::white);
            const int n = code.width();
            const qreal module = kQrSide / (n + 8); // quiet zone of 4 modules each side
            painter->setPen(Qt::NoPen);
            painter->setBrush(Qt::black);
            for (int row = 0; row < n; ++row) {
                for (int col = 0; col < n;) { // one rectangle per run of dark modules
                    if (code.pixelIndex(col, row) != 1) {
                        ++col;
                        continue;
                    }
                    int end = col;
                    while (end < n && code.pixelIndex(end, row) == 1)
                        ++end;
                    painter->drawRect(QRectF(square.left() + (4 + col) * module, square.top() + (4 + row) * module,
                                             (end - col) * module, module));
                    col = end;
                }
            }
        }
        if (qr)
            *qr = QRectF(square.left() / kUnitsPerMm, square.top() / kUnitsPerMm, kQrSide / kUnitsPerMm, kQrSide / kUnitsPerMm);
        y += kQrSide;
        if (!slip.qrCaption.isEmpty())
            y += block(slip.qrCaption, small, Qt::AlignHCenter, kMargin, inner);
        y += 16;
    }
    for (const QString &line : slip.footer) {
        y += block(line, small, Qt::AlignHCenter | Qt::TextWordWrap, kMargin, inner, Qt::darkGray);
        y += 6;
    }
    return y + kMargin;
}

qreal Receipt::heightMm(const Slip &slip)
{
    // Measured with the fonts it is drawn with; 6 mm spare for a device's rounding.
    return layout(nullptr, slip, nullptr) / kUnitsPerMm + 6.0;
}

QRectF Receipt::paint(QPagedPaintDevice &device, const Slip &slip)
{
    QPainter painter(&device);
    painter.setRenderHint(QPainter::Antialiasing, false); // modules edge to edge, no seams
    const qreal trueSize = device.logicalDpiX() / 25.4 / kUnitsPerMm; // device pixels per 0.1 mm
    const qreal scale = qMin(trueSize, qreal(device.width()) / kPageWidth);
    painter.translate((device.width() - kPageWidth * scale) / 2, 0);
    painter.scale(scale, scale);
    QRectF qr;
    layout(&painter, slip, &qr);
    return qr;
}

QImage Receipt::preview(const Slip &slip, qreal pixelsPerMm)
{
    const qreal scale = pixelsPerMm / kUnitsPerMm;
    QImage image(qCeil(kPageWidth * scale), qCeil(heightMm(slip) * pixelsPerMm), QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setRenderHint(QPainter::TextAntialiasing, true);
    painter.scale(scale, scale);
    layout(&painter, slip, nullptr);
    return image;
}

Status Receipt::writePdf(const QString &path, const Slip &slip, QRectF *qrMm)
{
    QPdfWriter pdf(path);
    pdf.setTitle(slip.documentTitle.isEmpty() ? slip.title : slip.documentTitle);
    pdf.setCreator(QStringLiteral("PayDesk"));
    pdf.setPageSize(QPageSize(QSizeF(kWidthMm, heightMm(slip)), QPageSize::Millimeter, QString(), QPageSize::ExactMatch));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    if (!pdf.pageLayout().fullRectPixels(pdf.resolution()).isValid())
        return Error::invalid(QStringLiteral("receipt.page"), tr("The receipt's page could not be set up."));
    const QRectF qr = paint(pdf, slip);
    if (qrMm)
        *qrMm = qr;
    // QPdfWriter reports no error of its own: a file that is not there (or empty) was not written.
    QFile written(path);
    if (!written.exists() || written.size() == 0)
        return Error::invalid(QStringLiteral("receipt.write"), tr("Could not write %1.").arg(path));
    return {};
}

} // namespace paydesk::ui
