#!/usr/bin/env bash
# Runs CMD with throwaway servers for the scale-out backends' tests, and removes them after:
#
#   scripts/test/with-backends.sh swift test --skip-build
#
# PostgreSQL 15 (Debian's postgresql-15) in a temporary directory, on 127.0.0.1 at a free port,
# trust authentication, no durability (fsync off): LIKENESS_TEST_POSTGRES names it as
# postgres://postgres@127.0.0.1:PORT/postgres, and each test creates its own database there.
# milvus-lite on 127.0.0.1 at a free port: LIKENESS_TEST_MILVUS names it as milvus://127.0.0.1:PORT.
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
  if [ -n "${milvus_pid:-}" ]; then
    kill "$milvus_pid" 2>/dev/null || true
    wait "$milvus_pid" 2>/dev/null || true
  fi
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

# --- Milvus ------------------------------------------------------------------------------------
# milvus-lite (PyPI, in the project's venv): Milvus's gRPC protocol in one process. Each test
# uses collections of its own on it.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
milvus_lite=$root/.venv/bin/milvus-lite
if [ ! -x "$milvus_lite" ]; then
  echo "$0: no milvus-lite in $root/.venv (make setup installs it)" >&2
  exit 2
fi
milvus_port=$(free_port)
mkdir -p "$work/milvus"
"$milvus_lite" server --data-dir "$work/milvus" --host 127.0.0.1 --port "$milvus_port" >"$work/milvus.log" 2>&1 &
milvus_pid=$!
for _ in $(seq 1 300); do
  if python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', $milvus_port), 0.2)" 2>/dev/null; then break; fi
  kill -0 "$milvus_pid" 2>/dev/null || break
  sleep 0.1
done
if ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $milvus_port), 0.2)" 2>/dev/null; then
  echo "$0: milvus-lite did not start:" >&2
  cat "$work/milvus.log" >&2
  exit 1
fi
export LIKENESS_TEST_MILVUS="milvus://127.0.0.1:$milvus_port"

set +e
"$@"
status=$?
set -e
exit "$status"
