#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback, for the cluster's tests and benchmarks.
#   scripts/postgres.sh start DIR PORT   initdb into DIR (once) and start; prints the URL
#   scripts/postgres.sh stop DIR         stop it (DIR stays; delete it to start afresh)
# Needs Debian's postgresql (scripts/setup-system.sh postgresql). As root, the server runs as the
# postgres user (PostgreSQL refuses root). Trust authentication, loopback only: never for real data.
set -euo pipefail
# The server outlives this script: it must not inherit a caller's pipe (beyond stdout and stderr,
# which it does not keep), or the caller would wait for that pipe's end as long as it runs.
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true
done
command=${1:?usage: postgres.sh start DIR PORT | stop DIR}
dir=$(realpath -m "${2:?the data folder}")
cd /  # the postgres user may not be allowed into the caller's folder
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "postgres.sh: no PostgreSQL server (install it: scripts/setup-system.sh postgresql)" >&2; exit 1; }
as=()
if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); fi

case "$command" in
start)
    port=${3:?the port}
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
        "${as[@]}" "$bin/initdb" -D "$dir" -U wippy --auth=trust -E UTF8 --no-locale >/dev/null
    fi
    # Sockets in the data folder: nothing outside it is touched. max_connections covers a few
    # nodes (three connections each) and the tests' own.
    "${as[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=100 -c fsync=off" start >/dev/null
    echo "postgres://wippy@127.0.0.1:$port/postgres"
    ;;
stop)
    [ -f "$dir/postmaster.pid" ] && "${as[@]}" "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    ;;
*)
    echo "postgres.sh: unknown command $command" >&2; exit 2
    ;;
esac
