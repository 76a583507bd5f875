#!/usr/bin/env bash
# Runs COMMAND with a throwaway PostgreSQL server and PAYDESK_TEST_PG_URL pointing at it.
#
#   .ci/with-postgres.sh cmake --workflow --preset ci
#   .ci/with-postgres.sh ctest --test-dir build/default -R storage_postgresql
#
# The server lives in a fresh temporary directory, listens on 127.0.0.1 only (trust auth,
# superuser "postgres", no fsync: it holds nothing worth keeping) and is stopped and deleted
# when COMMAND ends, however it ends. The exit status is COMMAND's.
#
# Environment:
#   PAYDESK_TEST_PG_URL  already set and non-empty: use that server, start nothing.
#   PAYDESK_PG_PORT      first port to try (default 54329; the next free one is taken).
#   PAYDESK_PG_BIN       directory with initdb and pg_ctl (default: PostgreSQL 15, else newest).
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

if [[ -n "${PAYDESK_TEST_PG_URL:-}" ]]; then
    echo "with-postgres: using the server in PAYDESK_TEST_PG_URL" >&2
    exec "$@"
fi

pg_bin="${PAYDESK_PG_BIN:-}"
if [[ -z "$pg_bin" ]]; then
    for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            pg_bin="$d"
            break
        fi
    done
fi
if [[ -z "$pg_bin" || ! -x "$pg_bin/initdb" ]]; then
    echo "with-postgres: no PostgreSQL server binaries (initdb, pg_ctl) found; install the" >&2
    echo "               'postgresql' package (see .ci/debian-packages.txt) or set PAYDESK_PG_BIN." >&2
    exit 1
fi

# initdb refuses to run as root: then the server runs as the 'postgres' system user.
as_server_user=()
if [[ $(id -u) -eq 0 ]]; then
    if ! id postgres >/dev/null 2>&1; then
        echo "with-postgres: running as root but there is no 'postgres' user to run the server as." >&2
        exit 1
    fi
    as_server_user=(runuser -u postgres --)
fi

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
port="${PAYDESK_PG_PORT:-54329}"
for _ in $(seq 1 50); do
    port_in_use "$port" || break
    port=$((port + 1))
done
if port_in_use "$port"; then
    echo "with-postgres: no free port found from ${PAYDESK_PG_PORT:-54329} on." >&2
    exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/paydesk-pg.XXXXXX")"
chmod 755 "$work"
mkdir "$work/data" "$work/sock"
if [[ ${#as_server_user[@]} -gt 0 ]]; then
    chown postgres: "$work/data" "$work/sock"
    touch "$work/server.log"
    chown postgres: "$work/server.log"
fi

started=0
cleanup() {
    local status=$?
    if [[ $started -eq 1 ]]; then
        "${as_server_user[@]}" "$pg_bin/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "with-postgres: initdb + start $("$pg_bin/postgres" --version) on 127.0.0.1:$port ($work)" >&2
if ! "${as_server_user[@]}" "$pg_bin/initdb" -D "$work/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$work/initdb.log" 2>&1; then
    cat "$work/initdb.log" >&2
    echo "with-postgres: initdb failed" >&2
    exit 1
fi
if ! "${as_server_user[@]}" "$pg_bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null; then
    cat "$work/server.log" >&2 || true
    echo "with-postgres: the server did not start" >&2
    exit 1
fi
started=1

export PAYDESK_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: PAYDESK_TEST_PG_URL=$PAYDESK_TEST_PG_URL" >&2

# Not exec: the trap must stop the server after COMMAND.
set +e
"$@"
status=$?
set -e
exit "$status"
