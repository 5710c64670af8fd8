#!/usr/bin/env bash
# kill -9 at random points during searches, uploads, erasures, retention sweeps and index
# writes, checking after each that nothing is half done: see crash_matrix.py.
#
#   scripts/test/crash-matrix.sh [LIKENESS_BINARY] [KILLS] [SEED]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${1:-$(cd "$root" && swift build --show-bin-path)/likeness}
kills=${2:-50}
[ -x "$bin" ] || { echo "crash-matrix: no likeness binary at $bin" >&2; exit 2; }
[ -n "${LIKENESS_MODELS:-}" ] || { echo "crash-matrix: set LIKENESS_MODELS to the model weights' folder" >&2; exit 2; }
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export LIKENESS_ONNX_MODELS=${LIKENESS_ONNX_MODELS:-$root/.venv/share/likeness-onnx}

work=$(mktemp -d "${TMPDIR:-/tmp}/likeness-crash.XXXXXX")
status=0
"$root/.venv/bin/python" "$root/scripts/test/crash_matrix.py" "$bin" "$root/Tests/Fixtures/faces" "$work" "$kills" ${3:+"$3"} || status=$?
if [ "$status" != 0 ]; then tail -n 60 "$work/server.log" >&2 || true; fi
rm -rf "$work"
exit "$status"
