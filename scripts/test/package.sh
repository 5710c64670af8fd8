#!/usr/bin/env bash
# The Debian package, installed on this machine (as root) and taken off it again:
#
#   scripts/test/package.sh [LIKENESS_BINARY]     (LIKENESS_MODELS set; default: the debug build)
#
# Builds the .deb from the binary (scripts/package/deb.sh), installs it with apt, checks the
# user, the modes, and the units (systemd-analyze verify). Then runs the installed server as the
# likeness user with the installed configuration, as likeness.service would (systemd need not
# run here), with /opt/swift hidden so that only the package's own Swift runtime can load:
# /healthz, the first administrator (its root-only password file, its forced change at the
# first sign-in), one search through the API on the
# fixtures. Last it removes the package (the data stays), purges it (the question's default
# keeps the data) and cleans up.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${1:-$(cd "$root" && swift build --show-bin-path)/likeness}
[ "$(id -u)" = 0 ] || { echo "package: run as root: it installs the package" >&2; exit 2; }
if dpkg-query -W -f='${Status}' likeness 2>/dev/null | grep -q installed || [ -e /var/lib/likeness ]; then
    echo "package: Likeness is installed here already (or /var/lib/likeness exists); not touching it" >&2; exit 2
fi
export LIKENESS_ONNX_MODELS=${LIKENESS_ONNX_MODELS:-$root/.venv/share/likeness-onnx}
work=$(mktemp -d "${TMPDIR:-/tmp}/likeness-package.XXXXXX")
chmod 755 "$work"
server=
cleanup() {
    pkill -KILL -u likeness 2>/dev/null || true
    sleep 1
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq likeness >/dev/null 2>&1 || true
    rm -rf /var/lib/likeness /etc/likeness "$work"
    if getent passwd likeness >/dev/null; then deluser --quiet --system likeness >/dev/null 2>&1 || true; fi
    if getent group likeness >/dev/null; then delgroup --quiet --system likeness >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
fail() { echo "package: FAILED: $*" >&2; exit 1; }
ok() { echo "  ok  $*"; }

deb=$("$root/scripts/package/deb.sh" "$bin" "$work")
echo "package: $(basename "$deb"), $(( $(stat -c %s "$deb") >> 20 )) MB"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install"; }
ok "apt-get install ./$(basename "$deb")"
[ "$(stat -c '%U %a' /var/lib/likeness)" = "likeness 700" ] || fail "/var/lib/likeness is $(stat -c '%U %a' /var/lib/likeness)"
[ "$(stat -c '%U:%G %a' /etc/likeness/likeness.conf)" = "root:likeness 640" ] || fail "likeness.conf is $(stat -c '%U:%G %a' /etc/likeness/likeness.conf)"
ok "a likeness system user; /var/lib/likeness its own, 0700; likeness.conf root:likeness 0640"
cp /lib/systemd/system/likeness-worker@.service "$work/likeness-worker@1.service"
systemd-analyze verify /lib/systemd/system/likeness.service "$work/likeness-worker@1.service" || fail "systemd-analyze verify"
ok "systemd-analyze verify likeness.service likeness-worker@.service"

# As likeness.service runs it: its user, its configuration, nothing of this checkout or /opt/swift.
port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
mkdir -p "$work/empty"
as_service() {
    unshare --mount -- sh -c 'mount --bind "$0" /opt/swift && exec "$@"' "$work/empty" \
        runuser -u likeness -- env -i HOME=/var/lib/likeness PATH=/usr/bin:/bin \
        sh -c 'set -a; . /etc/likeness/likeness.conf; set +a; exec "$@"' sh "$@"
}
base=http://127.0.0.1:$port
start_server() {
    as_service sh -c "exec likeness serve --host \$LIKENESS_HOST --port $port \$LIKENESS_SERVE_OPTIONS" >>"$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 600); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    curl -fsS "$base/healthz" | grep -q '"ok"' || { cat "$work/server.log"; fail "/healthz"; }
}
# The server runs under unshare, runuser and sh: it is found by its user and name.
stop_server() {
    pkill -TERM -u likeness -x likeness || true
    wait "$server" || true
    server=
}
admin_password_file=/etc/likeness/initial-admin-password
[ "$(stat -c '%U:%G %a' "$admin_password_file" 2>/dev/null)" = "root:root 600" ] ||
    { cat "$work/install.log"; fail "the installer wrote no root-only $admin_password_file"; }
grep -qF -e "$(cat "$admin_password_file")" "$work/install.log" && fail "the one-time password is in the installer's output"
as_service cat "$admin_password_file" >/dev/null 2>&1 && fail "the likeness user can read $admin_password_file"
ok "the installer made the first administrator; its one-time password is in $admin_password_file (root:root 0600) only"
start_server
ok "the installed server answers /healthz, run as the likeness user with /opt/swift hidden"
[ ! -e /var/lib/likeness/initial-admin-password ] || fail "the server wrote a second first-administrator password"
grep -qF -e "$(cat "$admin_password_file")" "$work/server.log" && fail "the one-time password is in the server's output"
python3 - "$base" "$(cat "$admin_password_file")" <<'PY' || fail "the first administrator's sign-in"
import json, sys, urllib.error, urllib.request
base, password = sys.argv[1:3]
def call(method, path, body=None, cookie=None, csrf=None):
    headers = {"Content-Type": "application/json"}
    if cookie: headers["Cookie"] = cookie
    if csrf: headers["X-CSRF-Token"] = csrf
    request = urllib.request.Request(base + path, data=json.dumps(body).encode() if body else None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"null")
status, headers, session = call("POST", "/api/v1/session", {"username": "admin", "password": password})
assert status == 200, (status, session)
cookie, csrf = headers["Set-Cookie"].split(";")[0], session["csrf_token"]
status, _, problem = call("GET", "/api/v1/collections", cookie=cookie)
assert status == 403 and problem["title"] == "Password change required", (status, problem)
status, _, changed = call("POST", "/api/v1/me/password", {"current_password": password, "new_password": "a new passphrase of its own"},
                          cookie=cookie, csrf=csrf)
assert status == 204, (status, changed)
status, _, collections = call("GET", "/api/v1/collections", cookie=cookie)
assert status == 200, (status, collections)
print("  ok  the first administrator signs in with it and must change it before anything else")
PY
stop_server

# A collection, three photos and an investigator, made with the installed CLI as the service's
# user; then the server again, and a search through its API.

as_service likeness collection create demo --source "Likeness test fixtures" --lawful-basis test --jurisdiction GB >/dev/null
cp "$root/Tests/Fixtures/faces/img16.jpg" "$root/Tests/Fixtures/faces/img17.jpg" "$root/Tests/Fixtures/faces/img5.jpg" \
   "$root/Tests/Fixtures/faces/img61.jpg" "$work/"
chmod 644 "$work"/*.jpg
as_service likeness ingest "$work/img16.jpg" "$work/img17.jpg" "$work/img5.jpg" --collection demo >"$work/ingest.log" 2>&1 ||
    { cat "$work/ingest.log"; fail "likeness ingest"; }
password=$(openssl rand -hex 12)
echo "$password" | as_service likeness admin create ivy --organization Likeness --role investigator --password-stdin >/dev/null
# ivy's training, and the case the search is for, opened by ivy and authorised by a supervisor, as
# searches require.
as_service likeness admin train ivy --course "package test" --completed-on "$(date -u +%F)" >/dev/null ||
    fail "likeness admin train"
as_service likeness admin create sam --organization Likeness --role supervisor >/dev/null
as_service likeness case open PKG-1 --title "package test" --user ivy >/dev/null || fail "likeness case open"
as_service likeness case authorise PKG-1 --decision granted --reference ORDER-1 --authority "test court" \
    --decided-at 2026-01-01 --user sam >/dev/null || fail "likeness case authorise"
start_server
python3 - "$base" "$password" "$work/img61.jpg" <<'PY' || { cat "$work/ingest.log" "$work/server.log"; fail "a search through the installed server"; }
import json, sys, urllib.request, uuid
base, password, probe = sys.argv[1:4]
def call(path, body, headers):
    request = urllib.request.Request(base + path, data=body, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.headers, json.load(response)
_, headers, session = call("/api/v1/session", json.dumps({"username": "ivy", "password": password}).encode(),
                           {"Content-Type": "application/json"})
cookie = headers["Set-Cookie"].split(";")[0]
_, _, key = call("/api/v1/api-keys", b'{"label": "package test"}',
                 {"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": session["csrf_token"]})
boundary = uuid.uuid4().hex
parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
         for k, v in {"case_number": "PKG-1", "purpose": "criminal_investigation"}.items()]
parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="img61.jpg"\r\n'
             f'Content-Type: image/jpeg\r\n\r\n'.encode() + open(probe, "rb").read() + b"\r\n")
status, _, found = call("/api/v1/searches", b"".join(parts) + f"--{boundary}--\r\n".encode(),
                        {"Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": "Bearer " + key["key"]})
names = {m["location"].rsplit("/", 1)[-1] for m in found["matches"] if m["band"] in ("strong", "possible")}
assert status == 201 and {"img16.jpg", "img17.jpg"} <= names, (status, found["matches"])
print(f"  ok  a search through the installed server's API finds img16.jpg and img17.jpg (audit entry {found['audit_entry']})")
PY
stop_server

DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq likeness >/dev/null
[ ! -e /usr/lib/likeness ] && [ -s /var/lib/likeness/likeness.sqlite ] && [ -e /etc/likeness/likeness.conf ] ||
    fail "removing the package keeps the data and the configuration, and nothing else"
ok "apt-get remove: the program is gone; /var/lib/likeness and likeness.conf stay"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq likeness >"$work/purge.log" 2>&1
[ -s /var/lib/likeness/likeness.sqlite ] && [ ! -e /etc/likeness/likeness.conf ] && grep -q "/var/lib/likeness is kept" "$work/purge.log" &&
    [ -e "$admin_password_file" ] ||
    { cat "$work/purge.log"; fail "purging asks, and by default keeps the data"; }
ok "apt-get purge: asks whether to delete the data (the default, no, keeps it, and its administrator's password file); the configuration is gone"
echo "package: all checks passed"
