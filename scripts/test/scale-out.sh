#!/usr/bin/env bash
# Two servers and two ingest workers on one PostgreSQL + Milvus, as separate processes: see
# scale_out.py for what is checked. Needs the servers scripts/test/with-backends.sh starts:
#
#   scripts/test/with-backends.sh scripts/test/scale-out.sh [LIKENESS_BINARY] [WORKER_KILLS] [SEED]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${1:-$(cd "$root" && swift build --show-bin-path)/likeness}
[ -x "$bin" ] || { echo "scale-out: no likeness binary at $bin" >&2; exit 2; }
[ -n "${LIKENESS_TEST_POSTGRES:-}" ] && [ -n "${LIKENESS_TEST_MILVUS:-}" ] ||
    { echo "scale-out: run through scripts/test/with-backends.sh, which starts PostgreSQL and Milvus" >&2; exit 2; }
[ -n "${LIKENESS_MODELS:-}" ] || { echo "scale-out: set LIKENESS_MODELS to the model weights' folder" >&2; exit 2; }
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

work=$(mktemp -d "${TMPDIR:-/tmp}/likeness-scale-out.XXXXXX")
status=0
"$root/.venv/bin/python" "$root/scripts/test/scale_out.py" "$bin" "$root/Tests/Fixtures/faces" "$work" ${2:+"$2"} ${3:+"$3"} || status=$?
if [ "$status" != 0 ]; then
    for log in "$work"/*.log; do echo "--- $log"; tail -n 40 "$log"; done >&2
fi
rm -rf "$work"
exit "$status"
