#pragma once

#include <QString>

namespace paydesk {

/// What a CSV file PayDesk writes starts with: the UTF-8 byte order mark, so a spreadsheet
/// (Excel on a Chinese Windows reads a bare CSV as GBK) shows Chinese titles and buyers as
/// typed; LibreOffice and scripts that read UTF-8 skip it.
inline constexpr char kCsvUtf8Bom[] = "\xEF\xBB\xBF";

/// One CSV cell of text that came from a person (a title, a buyer, a label): quoted when it holds
/// a comma, quote or line break, and neutralised when a spreadsheet would read it as a formula.
/// A cell that starts with = + - @ tab or CR gets a leading apostrophe (OWASP's advice), so
/// `=HYPERLINK(...)` in a buyer's name is shown as text, never run. Numbers PayDesk writes itself
/// (amounts, counts) are not passed through here: they stay plain numbers, negative ones included.
inline QString csvTextCell(QString field)
{
    if (!field.isEmpty()) {
        const QChar first = field.front();
        if (first == u'=' || first == u'+' || first == u'-' || first == u'@' || first == u'\t' || first == u'\r')
            field.prepend(u'\'');
    }
    if (field.contains(u',') || field.contains(u'"') || field.contains(u'\n') || field.contains(u'\r')) {
        field.replace(u'"', QStringLiteral("\"\""));
        field = u'"' + field + u'"';
    }
    return field;
}

} // namespace paydesk
