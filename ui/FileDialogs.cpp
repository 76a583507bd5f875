#include "FileDialogs.h"

#include <QDir>
#include <QFileDialog>
#include <QStandardPaths>

#include <optional>

namespace paydesk::ui {

namespace {
std::optional<QString> g_next;
std::optional<QString> g_nextOpen;
}

void FileDialogs::setNextSaveFileName(const QString &path) { g_next = path; }

QString FileDialogs::saveFileName(QWidget *parent, const QString &caption, const QString &suggested, const QString &filter)
{
    if (g_next) {
        const QString answer = *g_next;
        g_next.reset();
        return answer;
    }
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return QFileDialog::getSaveFileName(parent, caption, QDir(dir).filePath(suggested), filter);
}

void FileDialogs::setNextOpenFileName(const QString &path) { g_nextOpen = path; }

QString FileDialogs::openFileName(QWidget *parent, const QString &caption, const QString &filter)
{
    if (g_nextOpen) {
        const QString answer = *g_nextOpen;
        g_nextOpen.reset();
        return answer;
    }
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DownloadLocation);
    return QFileDialog::getOpenFileName(parent, caption, dir, filter);
}

} // namespace paydesk::ui
