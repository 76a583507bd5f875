#pragma once

#include <QImage>
#include <QWidget>

namespace paydesk::ui {

/// A QR code drawn crisp at any size (libqrencode, error correction M, quiet zone of 4).
class QrWidget final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QrWidget)
public:
    explicit QrWidget(QWidget *parent = nullptr);
    void setPayload(const QString &payload);
    QString payload() const { return m_payload; }
    /// Modules per side (0 when empty or the payload could not be encoded).
    int modules() const { return m_image.width(); }
    /// One pixel per module, black on white (for tests and copy).
    QImage image() const { return m_image; }
    static QImage encode(const QString &payload);
    /// Covers the code with `text` ("Expired", "Paid") and greys it out so no one scans it;
    /// an empty text shows the code again.
    void setCover(const QString &text, const QColor &colour = QColor());
    QString cover() const { return m_cover; }

    QSize sizeHint() const override { return {240, 240}; }
    QSize minimumSizeHint() const override { return {160, 160}; }
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int w) const override { return w; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_payload;
    QImage m_image;
    QString m_cover;
    QColor m_coverColour;
};

} // namespace paydesk::ui
