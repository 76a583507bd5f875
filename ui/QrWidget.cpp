#include "QrWidget.h"

#include <QPainter>

#include <qrencode.h>

namespace paydesk::ui {

QrWidget::QrWidget(QWidget *parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    setAccessibleName(tr("Payment QR code"));
}

QImage QrWidget::encode(const QString &payload)
{
    if (payload.isEmpty())
        return {};
    const QByteArray utf8 = payload.toUtf8();
    QRcode *code = QRcode_encodeString(utf8.constData(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!code)
        return {};
    QImage img(code->width, code->width, QImage::Format_Mono);
    img.setColor(0, qRgb(255, 255, 255));
    img.setColor(1, qRgb(0, 0, 0));
    for (int y = 0; y < code->width; ++y)
        for (int x = 0; x < code->width; ++x)
            img.setPixel(x, y, (code->data[y * code->width + x] & 1) ? 1 : 0);
    QRcode_free(code);
    return img;
}

void QrWidget::setPayload(const QString &payload)
{
    m_payload = payload;
    m_image = encode(payload);
    setToolTip(payload);
    update();
}

void QrWidget::setCover(const QString &text, const QColor &colour)
{
    if (m_cover == text && m_coverColour == colour)
        return;
    m_cover = text;
    m_coverColour = colour.isValid() ? colour : QColor(0x75, 0x75, 0x75);
    setAccessibleDescription(text);
    update();
}

void QrWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const int side = qMin(width(), height());
    const QRect square((width() - side) / 2, (height() - side) / 2, side, side);
    p.fillRect(square, Qt::white);
    if (m_image.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(square, Qt::AlignCenter | Qt::TextWordWrap, tr("No payment code yet"));
        return;
    }
    const int quiet = 4;
    const int total = m_image.width() + 2 * quiet;
    const int module = qMax(1, side / total);
    const int drawn = module * total;
    const QPoint origin(square.left() + (side - drawn) / 2 + quiet * module, square.top() + (side - drawn) / 2 + quiet * module);
    p.setPen(Qt::NoPen);
    // A covered code is drawn faint (light grey, never black): a phone cannot read it.
    p.setBrush(m_cover.isEmpty() ? QColor(Qt::black) : QColor(0xDD, 0xDD, 0xDD));
    for (int y = 0; y < m_image.height(); ++y)
        for (int x = 0; x < m_image.width(); ++x)
            if (m_image.pixelIndex(x, y) == 1)
                p.drawRect(origin.x() + x * module, origin.y() + y * module, module, module);
    if (m_cover.isEmpty())
        return;
    QFont f = font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.8);
    p.setFont(f);
    const QFontMetrics fm(f);
    const QRect band(square.left(), square.center().y() - fm.height(), square.width(), fm.height() * 2);
    QColor fill = m_coverColour;
    fill.setAlpha(230);
    p.setBrush(fill);
    p.drawRect(band);
    p.setPen(Qt::white);
    p.drawText(band.adjusted(6, 0, -6, 0), Qt::AlignCenter, fm.elidedText(m_cover, Qt::ElideRight, band.width() - 12));
}

} // namespace paydesk::ui
