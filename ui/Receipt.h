#pragma once

#include "domain/Domain.h"
#include "util/Result.h"

#include <QCoreApplication>
#include <QImage>
#include <QRectF>

#include <optional>

class QPagedPaintDevice;
class QPainter;

namespace paydesk {
class OrderRepository;
class RefundRepository;
}

namespace paydesk::ui {

/// A customer's receipt for a payment or a refund: the order, the money, the channel's own
/// transaction (and refund) id and a QR code of the order number, in Chinese or English
/// whatever the window's language. Drawn as vectors on any paged device, so the same code
/// saves a PDF (QPdfWriter) and prints (QPrinter).
class Receipt final
{
    Q_DECLARE_TR_FUNCTIONS(Receipt)
public:
    enum class Language { Chinese, English };

    /// What a receipt shows, read from the books.
    struct Facts
    {
        Order order;
        PaymentAttempt paid;         ///< the attempt that took the money
        std::optional<Refund> refund; ///< set: a refund receipt
        qint64 printedAt = 0;
        QString printedBy;           ///< the login of who prints it
    };

    /// The payment receipt of an order that was paid (refused, with a message, for one that
    /// never was).
    static Result<Facts> payment(OrderRepository &orders, qint64 orderId);
    /// The receipt of a refund the channel paid back (refused for one still in review or in
    /// flight: a customer is not handed a receipt for money that has not moved).
    static Result<Facts> refund(OrderRepository &orders, RefundRepository &refunds, const QString &outRefundNo);

    /// The language a receipt takes by default: the window's.
    static Language defaultLanguage();

    /// What goes on a slip of paper: a receipt, a shift or day report.
    struct Slip
    {
        struct Row
        {
            QString label;
            QString value;       ///< a null value: `label` is a heading of its own
            bool strong = false; ///< the amount that matters
        };
        QString header;          ///< small, above the title
        QString title;
        QList<Row> rows;
        QString qrPayload;       ///< empty: no QR code
        QString qrCaption;
        QStringList footer;
        QString documentTitle;   ///< the PDF's title
    };
    /// A receipt's slip.
    static Slip slipOf(const Facts &facts, Language language);
    static QString channelName(ChannelKind channel, Language language);
    static QString money(qint64 minor, Language language);

    /// Paper: 80 mm wide (a counter's roll), as long as the slip needs.
    static constexpr qreal kWidthMm = 80.0;
    /// How long the slip is, in millimetres.
    static qreal heightMm(const Slip &slip);
    static qreal heightMm(const Facts &facts, Language language) { return heightMm(slipOf(facts, language)); }

    /// Draws the slip on `device` at its true size (smaller only when the page is narrower
    /// than 80 mm), centred across the page. Returns where the QR code's quiet zone starts and
    /// ends, in millimetres from the page's top left (for tests).
    static QRectF paint(QPagedPaintDevice &device, const Slip &slip);
    static QRectF paint(QPagedPaintDevice &device, const Facts &facts, Language language) { return paint(device, slipOf(facts, language)); }
    /// The slip as a picture for the screen, `pixelsPerMm` pixels to the millimetre.
    static QImage preview(const Slip &slip, qreal pixelsPerMm);
    static QImage preview(const Facts &facts, Language language, qreal pixelsPerMm) { return preview(slipOf(facts, language), pixelsPerMm); }
    /// Writes a one-page PDF of exactly the slip's size.
    static Status writePdf(const QString &path, const Slip &slip, QRectF *qrMm = nullptr);
    static Status writePdf(const QString &path, const Facts &facts, Language language, QRectF *qrMm = nullptr)
    {
        return writePdf(path, slipOf(facts, language), qrMm);
    }

    /// A receipt's text in `language` (English is the source; Chinese comes from the
    /// application's catalogue, context "Receipt").
    static QString text(const char *source, Language language);

private:
    static qreal layout(QPainter *painter, const Slip &slip, QRectF *qr);
};

} // namespace paydesk::ui
