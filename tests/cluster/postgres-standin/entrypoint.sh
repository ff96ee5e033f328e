#!/bin/sh
# STAND-IN entrypoint (tests only) with the official postgres image's contract: on an empty
# $PGDATA, initdb with $POSTGRES_USER/$POSTGRES_PASSWORD (scram-sha-256 over TCP), create
# $POSTGRES_DB, then run the server in the foreground as PID 1 on all addresses. The
# database is created in single-user mode, so no server listens (and pg_isready cannot
# turn true) before the database and role exist.
set -eu
: "${PGDATA:?PGDATA must be set}"
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (the chart reads it from its Secret)}"
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    db=$(printf '%s' "$POSTGRES_DB" | sed 's/"/""/g')
    echo "CREATE DATABASE \"$db\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "stand-in entrypoint: initialised $PGDATA (database $POSTGRES_DB, user $POSTGRES_USER)"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
