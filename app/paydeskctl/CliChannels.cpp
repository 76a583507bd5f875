#include "Cli.h"

using namespace paydesk;

// Placeholder until the channel profiles land: says so instead of pretending.
int Cli::cmdChannel(const QStringList &)
{
    return fail(Error{Error::Kind::Internal, QStringLiteral("channel.unavailable"),
                      tr("Channel profiles are not available in this build yet.")});
}
