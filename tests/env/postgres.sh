#!/usr/bin/env bash
# A throwaway PostgreSQL server on a free loopback port, for tests and benchmarks.
#   eval "$(tests/env/postgres.sh start)"   # exports DATABASE_URL, PGTEST_DIR, PGTEST_PORT
#   tests/env/postgres.sh stop "$PGTEST_DIR"
# Uses Debian's postgresql binaries (installed when missing and running as root); as root
# it runs the server as the `postgres` user, because PostgreSQL refuses to run as root.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

find_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
bindir=$(find_bindir)
if [[ -z $bindir && $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
  log "installing PostgreSQL (Debian package postgresql)"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
  bindir=$(find_bindir)
fi
[[ -n $bindir ]] || die "PostgreSQL server not found: sudo apt-get install -y postgresql"

as_owner() { if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/todo-pg.XXXXXX)
    chmod 755 "$dir"
    [[ $EUID -eq 0 ]] && chown postgres:postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_owner "$bindir/initdb" -D "$dir/data" -U todo --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
      || { cat "$dir/server.log" >&2; die "postgres did not start"; }
    as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U todo todo
    echo "export PGTEST_DIR=$dir PGTEST_PORT=$port"
    echo "export DATABASE_URL=postgresql+psycopg://todo@127.0.0.1:$port/todo"
    ;;
  stop)
    dir=${2:?usage: postgres.sh stop DIR}
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) die "usage: $0 start | stop DIR" ;;
esac
