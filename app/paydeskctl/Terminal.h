#pragma once

#include <QString>

namespace Terminal {
bool stdinIsTerminal();
/// Reads a line from the terminal without echoing it (for passwords).
QString readSecret(const QString &prompt);
} // namespace Terminal
