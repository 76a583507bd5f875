#pragma once

#include <QString>

class QWidget;

namespace paydesk::ui {

/// File choosers behind a seam: tests set the next answer instead of driving a native dialog.
class FileDialogs final
{
public:
    static QString saveFileName(QWidget *parent, const QString &caption, const QString &suggested, const QString &filter);
    /// The next saveFileName() returns `path` at once ("" = cancelled).
    static void setNextSaveFileName(const QString &path);
    static QString openFileName(QWidget *parent, const QString &caption, const QString &filter);
    /// The next openFileName() returns `path` at once ("" = cancelled).
    static void setNextOpenFileName(const QString &path);
};

} // namespace paydesk::ui
