#!/usr/bin/env bash
# Ingest throughput, Likeness against the reference face_recognition pipeline, on the same
# photos in the same run. Usage: scripts/bench/ingest-vs-reference.sh [FOLDER]
# (default ../shared/faces). Run through `make bench`, which builds and sets LIKENESS_MODELS.
set -euo pipefail
cd "$(dirname "$0")/../.."
folder=${1:-../shared/faces}
likeness=$(swift build -c release --show-bin-path)/likeness
export OPENBLAS_NUM_THREADS=1

echo "== Likeness (likeness bench ingest $folder)"
"$likeness" bench ingest "$folder" | tee /tmp/likeness-bench-ingest.txt
ours=$("$likeness" bench ingest "$folder" --json)
echo
echo "== Reference face_recognition pipeline"
theirs=$(.venv/bin/python scripts/reference/reference_ingest.py "$folder" 2>/dev/null)
echo "$theirs"
echo
.venv/bin/python - "$ours" "$theirs" <<'PY'
import json, os, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"Machine: {os.cpu_count()} cores, {cpu}")
print(f"{'pipeline':<34} {'images':>7} {'faces':>6} {'seconds':>8} {'images/s':>9}")
print(f"{'Likeness (default, all cores)':<34} {ours['images']:>7} {ours['faces']:>6} {ours['seconds']:>8.2f} {ours['images_per_second']:>9.2f}")
print(f"{theirs['pipeline'] + ' (1 process)':<34} {theirs['images'] + theirs['failed']:>7} {theirs['faces']:>6} {theirs['seconds']:>8.2f} {theirs['images_per_second']:>9.2f}")
print(f"Speed-up: {ours['images_per_second'] / theirs['images_per_second']:.2f}×")
PY
