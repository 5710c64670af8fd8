#!/usr/bin/env bash
# Decompression bombs and oversized inputs against a server capped at 2 GiB of address space:
# PNG and JPEG headers claiming 65,000 × 65,000 pixels, a nested and a high-ratio zip bomb, a
# tar of 100,000 entries, a video of 16,000 px frames, a 4 GB sparse file named .jpg, and a
# multipart body of 100,000 parts; and a 500 MB file, within the upload limit, that once ended
# the capped server. Each must be refused with a message naming the problem while the server
# stays up, answers /healthz throughout, and keeps what it had stored; a search after them all
# must still find candidates.
#
#   scripts/test/bombs.sh [LIKENESS-BINARY]     (default: the debug build's)
#
# LIKENESS_MODELS must name the model weights' folder (the Makefile sets it); needs ffmpeg and
# prlimit (util-linux). Makes a throwaway data directory with a collection of three fixture
# photos, serves it on a free port under the cap, and runs scripts/test/bombs.py against it,
# which makes the bombs (a few megabytes on disk), sends them, and prints a table. Exit status
# 0 when every bomb was refused as it should be.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${1:-$(cd "$root" && swift build --show-bin-path)/likeness}
python=$root/.venv/bin/python
fixtures=$root/Tests/Fixtures/faces
organization=Bombs
collection=fixtures
address_space=$((2 * 1024 ** 3))

fail() { echo "bombs: $*" >&2; exit 2; }
[ -x "$bin" ] || fail "no likeness binary at $bin"
[ -x "$python" ] || fail "no $python: run 'make setup'"
[ -n "${LIKENESS_MODELS:-}" ] || fail "set LIKENESS_MODELS to the model weights' folder (make test does)"
for tool in ffmpeg prlimit; do command -v "$tool" >/dev/null || fail "no $tool"; done
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
# glibc gives each thread that allocates an arena of its own, each reserving 64 MiB of address
# space (up to 8 per core), and the server's event loops, engines and dispatch workers all
# allocate: eight searches at once and an upload took a capped server to 2,033 MiB of address
# space, 15 MiB short of the cap, before any bomb. With two arenas the same
# took 1,226 MiB. A deployment under an address-space cap needs the same setting.
export MALLOC_ARENA_MAX=2

cd "$root"  # the ONNX models are found in .venv/share/likeness-onnx from here
work=$(mktemp -d "${TMPDIR:-/tmp}/likeness-bombs.XXXXXX")
data=$work/data
log=$work/server.log
server=""
cleanup() {
    local status=$?
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -s "$log" ]; then
        # Each crash's message and the crashed thread's frames that have a source location.
        echo "--- server log: errors, and where the server crashed"
        awk '/Fatal error|Swift runtime failure|Program crashed| error /     { print; next }
             /crashed:$/                     { crashed = 1; print; next }
             crashed && /^Thread /           { crashed = 0 }
             crashed && / at \/.*:[0-9]+/   { print }' "$log" | head -n 60
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- What is stored before the bombs: three accounts, a case and three photos ----------------------------
# Each with a password chosen here (--password-stdin): a printed one would be one-time.
admin_password=$(openssl rand -hex 12)
investigator_password=$(openssl rand -hex 12)
echo "$admin_password" | "$bin" admin create bomb-admin --organization "$organization" --role admin --password-stdin \
    --data "$data" >/dev/null || fail "admin create bomb-admin"
echo "$investigator_password" | "$bin" admin create bomb-investigator --organization "$organization" --role investigator \
    --password-stdin --data "$data" >/dev/null || fail "admin create bomb-investigator"
# The investigator's training and the case the bomb searches are made for, authorised, so that
# each search reaches its photo.
"$bin" admin train bomb-investigator --course "upload bombs" --completed-on "$(date -u +%F)" --data "$data" >/dev/null ||
    fail "admin train bomb-investigator"
"$bin" admin create bomb-supervisor --organization "$organization" --role supervisor --data "$data" >/dev/null ||
    fail "admin create bomb-supervisor"
"$bin" case open BOMB-1 --title "upload bombs" --user bomb-investigator --data "$data" >/dev/null || fail "case open BOMB-1"
"$bin" case authorise BOMB-1 --decision granted --reference ORDER-1 --authority "test court" --decided-at 2026-01-01 \
    --user bomb-supervisor --data "$data" >/dev/null || fail "case authorise BOMB-1"
"$bin" collection create "$collection" --source "Likeness test fixtures (Tests/Fixtures/NOTICE)" \
    --lawful-basis "public test photographs" --jurisdiction GB --org "$organization" --data "$data" >/dev/null
summary=$("$bin" ingest "$fixtures/img10.jpg" "$fixtures/img11.jpg" "$fixtures/img12.jpg" \
    --collection "$collection" --org "$organization" --data "$data" --json)
"$python" -c 'import json, sys; s = json.loads(sys.argv[1]); sys.exit(s["stored"] != 3)' "$summary" \
    || fail "ingest of the fixture photos did not store all 3: $summary"

# --- The server, under the cap -----------------------------------------------------------------
# Two engines whatever the machine's cores: each holds its own models, so more would need more
# address space than the cap is meant to test.
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
prlimit --as="$address_space" "$bin" serve --port "$port" --workers 2 --data "$data" >"$log" 2>&1 &
server=$!
for _ in $(seq 300); do
    kill -0 "$server" 2>/dev/null || fail "the server exited on starting"
    "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=2)' "$url" 2>/dev/null && break
    sleep 0.2
done
echo "bombs: serving $url under a $((address_space >> 30)) GiB address-space cap (data in $data)"

"$python" "$root/scripts/test/bombs.py" --bin "$bin" --data "$data" --url "$url" --pid "$server" --work "$work" \
    --org "$organization" --collection "$collection" --probe "$fixtures/img5.jpg" --address-space "$address_space" \
    --admin bomb-admin "$admin_password" --investigator bomb-investigator "$investigator_password"
