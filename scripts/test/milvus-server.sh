#!/usr/bin/env bash
# Runs CMD against the real Milvus server (PyPI `milvus`: Milvus 2.3.5 standalone, with its
# embedded etcd and MinIO), with LIKENESS_TEST_MILVUS set:
#
#   scripts/test/milvus-server.sh swift test --skip-build --filter VectorIndexContractTests
#
# Milvus's internal ports listen on every interface whatever its configuration says, so the
# server, and CMD with it, run in a loopback-only network namespace made for the run; making
# one needs root. Without root this says so and exits 0: milvus-lite (with-backends.sh) is
# then the only Milvus the tests reach. The server gets a fresh data directory each run (after
# a stop it can refuse the same one for about a minute). It runs with the settings the README
# asks of a Milvus that holds faces, shortened to seconds (garbage collection of replaced
# segment files, retention of the message log), and CMD gets its data directory in
# LIKENESS_TEST_MILVUS_DATA, to check that an erased template leaves it.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARG...]" >&2
  exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
  echo "$0: skipped: a network namespace for Milvus 2.3.5 needs root and iproute2" >&2
  exit 0
fi
venv=$root/.venv-milvus-server
if [ ! -x "$venv/bin/milvus-server" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$root/scripts/requirements-milvus-server.txt"
fi

namespace=likeness-milvus-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/likeness-milvus-server.XXXXXX")
server_pid=
cleanup() {
  local status=$?
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  # milvus-server's children (milvus, etcd, minio) live only in the namespace.
  ip netns pids "$namespace" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns delete "$namespace" 2>/dev/null || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$namespace"
ip netns exec "$namespace" ip link set lo up
# rocksmq.timtickerInterval (sic) is not in milvus-server's template, so it goes by environment.
ip netns exec "$namespace" env ROCKSMQ_TIMTICKERINTERVAL=5 "$venv/bin/milvus-server" --data "$work/data" \
  --extra-config dataCoord.gc.interval=10 --extra-config dataCoord.gc.dropTolerance=5 \
  --extra-config rocksmq.retentionTimeInMinutes=0.5 --extra-config rocksmq.rocksmqPageSize=65536 \
  --extra-config rocksmq.compactionInterval=20 >"$work/milvus.log" 2>&1 &
server_pid=$!
healthy() {
  ip netns exec "$namespace" python3 -c \
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9091/healthz', timeout=2)" 2>/dev/null
}
for _ in $(seq 1 300); do
  healthy && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
if ! healthy; then
  echo "$0: Milvus 2.3.5 did not start:" >&2
  tail -n 40 "$work/milvus.log" >&2
  exit 1
fi

set +e
ip netns exec "$namespace" env LIKENESS_TEST_MILVUS=milvus://127.0.0.1:19530 LIKENESS_TEST_MILVUS_DATA="$work/data" "$@"
status=$?
set -e
exit "$status"
