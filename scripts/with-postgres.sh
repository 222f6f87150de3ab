#!/usr/bin/env bash
# Run a command against PostgreSQL. With DATABASE_URL set, use it; otherwise start a throw-away PostgreSQL 15
# cluster in its own temporary folder (outside the clone), on a free port with fsync off, removed on exit.
set -euo pipefail
if [ -n "${DATABASE_URL:-}" ]; then exec "$@"; fi

PGBIN=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
[ -n "$PGBIN" ] || { echo "PostgreSQL 15 server binaries not found (apt-get install postgresql-15)" >&2; exit 1; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
DIR=$(mktemp -d /tmp/hallops-pg.XXXXXX)
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$DIR"
  AS=(runuser -u postgres --)
else
  AS=()
fi
cleanup() {
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
"${AS[@]}" "$PGBIN/initdb" -D "$DIR/data" -U hallops --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
"${AS[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U hallops hallops
export DATABASE_URL="postgres://hallops@127.0.0.1:$PORT/hallops"
echo "PostgreSQL 15 on port $PORT (throw-away cluster in $DIR)"
"$@"
