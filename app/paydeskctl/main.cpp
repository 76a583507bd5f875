#include "Cli.h"

#include <QCoreApplication>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("PayDesk"));
    QCoreApplication::setApplicationName(QStringLiteral("paydesk"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PAYDESK_VERSION));
    Cli cli;
    return cli.run(QCoreApplication::arguments().mid(1));
}
