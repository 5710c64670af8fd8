#!/usr/bin/env bash
# Runs CMD with throwaway database servers for the store contract tests, and removes them after:
#
#   scripts/test/with-backends.sh swift test --skip-build
#
# PostgreSQL 15 (Debian's postgresql-15) in a temporary directory, on 127.0.0.1 at a free port,
# trust authentication, no durability (fsync off): LIKENESS_TEST_POSTGRES names it as
# postgres://postgres@127.0.0.1:PORT/postgres, and each test creates its own database there.
# Exits with CMD's status.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARG...]" >&2
  exit 2
fi

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PG_BIN/initdb" ]; then
  echo "$0: no PostgreSQL 15 in $PG_BIN (apt-get install postgresql-15, or run make setup)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/likeness-backends.XXXXXX")
# initdb and postgres refuse to run as root: as root, they run as the postgres user, in a
# directory it owns.
as_server=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$work"
  as_server=(runuser -u postgres --)
fi

stop_servers() {
  local status=$?
  if [ -f "$work/pgdata/postmaster.pid" ]; then
    "${as_server[@]}" "$PG_BIN/pg_ctl" -D "$work/pgdata" -m immediate stop >/dev/null 2>&1 || true
  fi
  # --- Milvus: stop it here if it does not die with its process group. ---
  rm -rf "$work"
  exit "$status"
}
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- PostgreSQL -------------------------------------------------------------------------------
pg_port=$(free_port)
"${as_server[@]}" "$PG_BIN/initdb" -D "$work/pgdata" -U postgres --auth=trust --encoding=UTF8 --no-locale --no-sync \
  >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; exit 1; }
# Many tests run at once, each with its own database and a few pooled connections.
"${as_server[@]}" "$PG_BIN/pg_ctl" -D "$work/pgdata" -l "$work/postgres.log" -W \
  -o "-h 127.0.0.1 -p $pg_port -k $work -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
for _ in $(seq 1 100); do
  if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; then break; fi
  sleep 0.1
done
if ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; then
  echo "$0: PostgreSQL did not start:" >&2
  cat "$work/postgres.log" >&2
  exit 1
fi
export LIKENESS_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/postgres"

# --- Milvus (vector index contract tests) -----------------------------------------------------
# To be written: start a Milvus-lite server here in "$work", wait until it answers, and
# export LIKENESS_TEST_MILVUS.
# -----------------------------------------------------------------------------------------------

set +e
"$@"
status=$?
set -e
exit "$status"
