#!/usr/bin/env bash
# Accuracy, Likeness's default pipeline against the reference face_recognition pipeline, on the
# same labelled photos and the same pairs (every labelled pair), scored by the same code.
# Usage: scripts/bench/eval-vs-reference.sh [LABELS.jsonl] (default ../shared/faces/labels.jsonl).
# Run through `make bench`, which builds and sets LIKENESS_MODELS.
set -euo pipefail
cd "$(dirname "$0")/../.."
labels=${1:-../shared/faces/labels.jsonl}
likeness=$(swift build -c release --show-bin-path)/likeness
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every pair of labelled photos: the finest false-match resolution the set allows.
.venv/bin/python - "$labels" "$work/pairs.jsonl" <<'PY'
import itertools, json, sys
photos = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
labelled = [p for p in photos if p.get("identity")]
with open(sys.argv[2], "w") as out:
    for a, b in itertools.combinations(labelled, 2):
        out.write(json.dumps({"a": a["file"], "b": b["file"], "same": a["identity"] == b["identity"]}) + "\n")
PY
"$likeness" eval "$labels" --pairs "$work/pairs.jsonl" --json --data "$work/data" > "$work/likeness.json"
.venv/bin/python scripts/reference/reference_eval.py "$labels" "$work/reference-templates.json"
"$likeness" eval "$labels" --pairs "$work/pairs.jsonl" --templates "$work/reference-templates.json" --json \
    --data "$work/data" > "$work/reference.json"

.venv/bin/python - "$work/likeness.json" "$work/reference.json" <<'PY'
import json, sys
rows = [json.load(open(p)) for p in sys.argv[1:]]
print(f"{'pipeline':<36} {'pairs':>6} {'best acc':>9} {'at':>6} {'AUC':>8} {'EER':>6} {'TAR@1e-3':>9} {'rank-1':>7} {'rank-5':>7}")
for r in rows:
    v, i = r["verification"], r["identification"]
    print(f"{r['pipeline']:<36} {v['pairs']:>6} {v['best_accuracy']:>9.4%} {v['best_threshold']:>6.3f} {v['auc']:>8.5f}"
          f" {v['eer']:>6.2%} {v['tar_at_far']['0.001']:>9.2%} {i['rank1']:>7.2%} {i['rank5']:>7.2%}")
PY
