#include "Terminal.h"

#include <QTextStream>

#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace Terminal {

bool stdinIsTerminal()
{
    return isatty(STDIN_FILENO) == 1;
}

QString readSecret(const QString &prompt)
{
    QTextStream err(stderr);
    err << prompt;
    err.flush();
    termios old{};
    const bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    QTextStream in(stdin);
    const QString line = in.readLine();
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        err << '\n';
    }
    return line;
}

} // namespace Terminal
