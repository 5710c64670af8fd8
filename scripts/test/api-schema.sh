#!/usr/bin/env bash
# Checks the running API against its OpenAPI document with schemathesis: no 5xx, and every
# status, content type, header and body as /openapi.json declares them.
#
#   scripts/test/api-schema.sh [LIKENESS-BINARY] [EXTRA SCHEMATHESIS RUN OPTIONS...]
#
# LIKENESS_MODELS must name the model weights' folder. The binary defaults to the debug build's.
#
# It makes a throwaway data directory (organisation "Schemathesis": an investigator, a
# supervisor, an administrator and st-keys, and a collection of three fixture photos), serves it
# on a free port, and seeds it through the API: a search with a fixture photo and a pivot with
# purpose "other" (which schemathesis' random photos and texts never manage, and which raise
# both kinds of alert), and an upload. Their answers are checked against the document's
# schemas, and their ids are handed to schemathesis, so that it reaches each operation's 2xx as
# well as its 404s. Then schemathesis runs once per role, with that account's API key: between
# them the roles may call every operation, and each also meets those its role may not (403).
# The administrator goes last, since it can change the others' accounts.
#
# Environment (all optional):
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 30)
#   SCHEMATHESIS_SEED          the random seed (default 1); the same seed repeats a run
#   SCHEMATHESIS_ROLES         the runs, in order (default "investigator supervisor admin")
#   SCHEMATHESIS_REPORT_DIR    keep each run's JUnit report and VCR cassette (every request
#                              and response) there
#   LIKENESS_OPENAPI           test this OpenAPI file instead of the served /openapi.json, to
#                              try edits to the document without rebuilding the server
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${1:-$(cd "$root" && swift build --show-bin-path)/likeness}
shift || true
python=$root/.venv/bin/python
schemathesis=$root/.venv/bin/schemathesis
fixtures=$root/Tests/Fixtures/faces
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-30}
seed=${SCHEMATHESIS_SEED:-1}
roles=${SCHEMATHESIS_ROLES:-investigator supervisor admin}
organization=Schemathesis

[ -x "$bin" ] || { echo "api-schema: no likeness binary at $bin" >&2; exit 2; }
[ -x "$schemathesis" ] || { echo "api-schema: no schemathesis in $root/.venv (make setup installs it)" >&2; exit 2; }
[ -n "${LIKENESS_MODELS:-}" ] || { echo "api-schema: set LIKENESS_MODELS to the model weights' folder" >&2; exit 2; }
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

work=$(mktemp -d "${TMPDIR:-/tmp}/likeness-api-schema.XXXXXX")
data=$work/data
server_pid=
cleanup() {
    local status=$?
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# HTTP without curl or jq (neither is in the Makefile's package list): the venv's Python.
cat >"$work/api_client.py" <<'EOF'
import json, sys, time, urllib.error, urllib.request, uuid

action, base = sys.argv[1], sys.argv[2]

def call(method, path, body=None, headers={}, key=None, content_type="application/json"):
    headers = dict(headers)
    if key: headers["Authorization"] = "Bearer " + key
    if body is not None and content_type == "application/json": body = json.dumps(body).encode()
    if body is not None: headers["Content-Type"] = content_type
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response, json.load(response)
    except urllib.error.HTTPError as e:
        sys.exit(f"api-schema: {method} {path} answered {e.code}: {e.read().decode(errors='replace')}")

def multipart(fields, files):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, path in files:
        filename = path.rsplit("/", 1)[-1]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: image/jpeg\r\n\r\n'.encode() + open(path, "rb").read() + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"

if action == "wait":          # until /healthz answers
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200: sys.exit(0)
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    sys.exit("api-schema: the server did not answer /healthz")

elif action == "alive":       # whether /healthz answers now
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
            sys.exit(0 if r.status == 200 else 1)
    except (urllib.error.URLError, OSError):
        sys.exit(1)

elif action == "keys":        # sign in, and make API keys with the session: prints "id key" lines
    username, password, count = sys.argv[3], sys.argv[4], int(sys.argv[5])
    response, session = call("POST", "/api/v1/session", {"username": username, "password": password})
    cookie = response.headers["Set-Cookie"].split(";")[0]
    assert cookie.startswith("likeness_session="), cookie
    for _ in range(count):
        _, created = call("POST", "/api/v1/api-keys", {"label": "schemathesis"},
                          {"Cookie": cookie, "X-CSRF-Token": session["csrf_token"]})
        print(created["api_key"]["id"], created["key"])

elif action == "check-key":   # whether a key still works after a run
    try:
        with urllib.request.urlopen(urllib.request.Request(base + "/api/v1/me",
                                    headers={"Authorization": "Bearer " + sys.argv[3]}), timeout=30):
            pass
    except urllib.error.HTTPError as e:
        sys.exit(f"api-schema: after the run the key no longer works (GET /api/v1/me answered {e.code}), "
                 "so the run's later requests tested only 401s")
    except (urllib.error.URLError, OSError) as e:
        sys.exit(f"api-schema: after the run the server is not answering: {e}")

elif action == "seed":        # real objects for schemathesis to find: prints a schemathesis.toml
    searcher, admin, probe, upload, schema = sys.argv[3:8]
    import jsonschema_rs
    document = json.load(urllib.request.urlopen(schema) if "://" in schema else open(schema))
    def conforms(name, instance, what):
        errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}"
                  for e in jsonschema_rs.Draft202012Validator({**document, "$ref": f"#/components/schemas/{name}"})
                                        .iter_errors(instance)]
        if errors: sys.exit(f"api-schema: {what} does not match the {name} schema:\n  " + "\n  ".join(errors))
        return instance
    # A daily limit of one search, so that the searches below raise both kinds of alert.
    _, settings = call("PUT", "/api/v1/settings", {"daily_search_limit": 1}, key=admin)
    conforms("Settings", settings, "PUT /api/v1/settings")
    # The one request schemathesis cannot make succeed: a search with a photo of a face (its
    # probe kept on watch, for the watches' operations).
    body, content_type = multipart({"case_number": "API-SCHEMA-1", "purpose": "criminal_investigation", "top": "10",
                                    "watch_days": "30"},
                                   [("photo", probe)])
    response, search = call("POST", "/api/v1/searches", body, key=searcher, content_type=content_type)
    assert response.status == 201, response.status
    conforms("SearchResult", search, "POST /api/v1/searches with a fixture photo")
    faces = sorted({m["face_id"] for m in search["matches"]})
    images = sorted({m["image_id"] for m in search["matches"]})
    assert faces and images and search["watch"], search
    response, pivot = call("POST", "/api/v1/searches/pivot", {"face_id": faces[0], "case_number": "API-SCHEMA-2",
                           "purpose": "other", "purpose_text": "an API schema test"}, key=searcher)
    assert response.status == 201, response.status
    conforms("SearchResult", pivot, "POST /api/v1/searches/pivot")
    _, listed = call("GET", "/api/v1/collections", key=admin)
    collections = [c["id"] for c in listed["collections"]]
    assert collections, listed
    body, content_type = multipart({}, [("files", upload)])
    response, started = call("POST", f"/api/v1/collections/{collections[0]}/uploads", body, key=admin,
                             content_type=content_type)
    assert response.status == 202, response.status
    conforms("UploadStatus", started, "POST /api/v1/collections/{id}/uploads with a fixture photo")
    response, opened = call("POST", "/api/v1/cases", {"number": "API-SCHEMA-CASE", "title": "an API schema test"}, key=searcher)
    assert response.status == 201, response.status
    conforms("Case", opened, "POST /api/v1/cases")
    _, accounts = call("GET", "/api/v1/accounts", key=admin)
    dictionaries = {"faces": faces, "images": images, "collections": collections, "uploads": [started["id"]],
                    "thumbnails": [search["audit_entry"], pivot["audit_entry"]],
                    "searches": [search["audit_entry"], pivot["audit_entry"]],
                    "accounts": [a["id"] for a in accounts["accounts"]], "jurisdictions": ["GB", "US-CA"],
                    "cases": [opened["id"]], "case_numbers": ["API-SCHEMA-1", "API-SCHEMA-2"],
                    "watches": [search["watch"]["id"]]}
    # Half the generated values of these parameters are real, so that the operations reach their
    # 2xx and not only their 404 and 422. Never API keys' ids: a run would revoke its own key.
    # Results open only through the searcher's own search: their search ids come from the searches above.
    bindings = [("pivot", "body.face_id", "faces"), ("pivot", "body.case_number", "case_numbers"), ("faceCrop", "path.id", "faces"), ("faceCrop", "path.search", "searches"),
                ("getImage", "path.id", "images"), ("getImage", "path.search", "searches"),
                ("imageMedia", "path.id", "images"), ("imageMedia", "path.search", "searches"),
                ("searchProbe", "path.search", "searches"),
                ("getCollection", "path.id", "collections"), ("upload", "path.id", "collections"),
                ("uploadStatus", "path.upload", "uploads"), ("auditThumbnail", "path.id", "thumbnails"),
                ("changeAccount", "path.id", "accounts"), ("listTraining", "path.id", "accounts"),
                ("recordTraining", "path.id", "accounts"), ("createCollection", "body.jurisdiction", "jurisdictions"),
                ("getCase", "path.id", "cases"), ("recordCaseAuthorisation", "path.id", "cases"), ("closeCase", "path.id", "cases"),
                ("getWatch", "path.id", "watches"), ("renewWatch", "path.id", "watches"), ("endWatch", "path.id", "watches")]
    print("[dictionaries]")
    for name, values in dictionaries.items():
        print(f"{name} = {{ values = {json.dumps(values)} }}")
    for operation in dict.fromkeys(b[0] for b in bindings):
        parameters = ", ".join(f'"{parameter}" = {{ dictionary = "{dictionary}", probability = 0.5 }}'
                               for name, parameter, dictionary in bindings if name == operation)
        print(f'\n[[operations]]\ninclude-operation-id = "{operation}"\nparameters = {{ {parameters} }}')
EOF
http() { "$python" "$work/api_client.py" "$@"; }

# --- The data: accounts of one organisation, and a small collection -----------------------------
# st-keys is the account that DELETE /api/v1/api-keys/{id} is sent as: a run that could revoke
# its own key would test nothing but 401s after that.
declare -A passwords keys
for account in investigator supervisor admin keys; do
    role=$account; [ "$account" = keys ] && role=investigator
    passwords[$account]=$(openssl rand -hex 12)
    echo "${passwords[$account]}" |
        "$bin" admin create "st-$account" --organization "$organization" --role "$role" --password-stdin --data "$data" >/dev/null ||
        { echo "api-schema: could not create the account st-$account" >&2; exit 1; }
done
"$bin" collection create fixtures --source "Likeness test fixtures (Tests/Fixtures/NOTICE)" \
    --lawful-basis "public test photographs" --jurisdiction GB --retention-days 30 \
    --org "$organization" --data "$data" >/dev/null
"$bin" ingest "$fixtures/img10.jpg" "$fixtures/img11.jpg" "$fixtures/img12.jpg" \
    --collection fixtures --org "$organization" --data "$data" >/dev/null
# The searchers' training, and the cases the seeded searches are made for, with the authority's
# grant a search needs.
for account in investigator supervisor; do
    "$bin" admin train "st-$account" --course "API schema test" --completed-on "$(date -u +%F)" --data "$data" >/dev/null
done
for case_number in API-SCHEMA-1 API-SCHEMA-2; do
    "$bin" case open "$case_number" --title "API schema test" --user st-investigator --data "$data" >/dev/null
    "$bin" case authorise "$case_number" --decision granted --reference ORDER-1 --authority "test court" \
        --decided-at 2026-01-01 --user st-supervisor --data "$data" >/dev/null
done

# --- The server ------------------------------------------------------------------------------
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
start_server() {
    "$bin" serve --port "$port" --workers 2 --data "$data" >>"$work/server.log" 2>&1 &
    server_pid=$!
    http wait "$base" || { cat "$work/server.log" >&2; exit 1; }
}
start_server
for role in investigator supervisor admin; do
    keys[$role]=$(http keys "$base" "st-$role" "${passwords[$role]}" 1 | cut -d' ' -f2)
done
schema=$base/openapi.json
if [ -n "${LIKENESS_OPENAPI:-}" ]; then
    schema=$LIKENESS_OPENAPI
elif ! "$python" -c 'import json, sys, urllib.request
sys.exit(json.load(urllib.request.urlopen(sys.argv[1])) != json.load(open(sys.argv[2])))' \
        "$schema" "$root/Sources/LikenessServer/Resources/openapi.json"; then
    echo "api-schema: warning: the server's /openapi.json is not Sources/LikenessServer/Resources/openapi.json (rebuild?)" >&2
fi
http seed "$base" "${keys[investigator]}" "${keys[admin]}" "$fixtures/img10.jpg" "$fixtures/img16.jpg" "$schema" \
    >"$work/schemathesis.toml"

# --- schemathesis, once per role ---------------------------------------------------------------
# Not positive_data_acceptance: some rules cannot be said in JSON Schema (a probe photo must hold
# a face, an upload's file names must be images or archives, `to` must not precede `from`).
# Not unsupported_method: the router answers 404, not 405, for a method a path does not have.
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance
checks+=,response_schema_conformance,negative_data_rejection,missing_required_header,ignored_auth
checks+=,use_after_free,ensure_resource_availability
# DELETE /api/v1/api-keys/{id} goes as st-keys, with a key of its own, and half the time names
# one of its other new keys. (Should it revoke the key it is sent with, the rest are 401s.) The
# keys are all made now: once the fuzzing has sent failed sign-ins, the sign-in throttle may
# refuse this address for a while.
for role in $roles; do
    http keys "$base" st-keys "${passwords[keys]}" 4 >"$work/revoker-$role"
done
failed=0
for role in $roles; do
    [ -n "${keys[$role]:-}" ] || { echo "api-schema: no run for a role named '$role'" >&2; exit 2; }
    # After a crash, a new server, so that one defect does not hide the others.
    if ! http alive "$base"; then
        echo "api-schema: the server stopped answering; starting it again for the next run" >&2
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        start_server
    fi
    echo "=== schemathesis as the $role (st-$role) ==="
    report=()
    if [ -n "${SCHEMATHESIS_REPORT_DIR:-}" ]; then
        mkdir -p "$SCHEMATHESIS_REPORT_DIR"
        report=(--report junit,vcr --report-junit-path "$SCHEMATHESIS_REPORT_DIR/$role.xml"
                --report-vcr-path "$SCHEMATHESIS_REPORT_DIR/$role.yaml")
    fi
    { cat "$work/schemathesis.toml"
      echo
      echo "[dictionaries.revocable]"
      echo "values = [$(tail -n +2 "$work/revoker-$role" | cut -d' ' -f1 | paste -sd,)]"
      echo
      echo "[[operations]]"
      echo 'include-operation-id = "revokeAPIKey"'
      echo "headers = { Authorization = \"Bearer $(head -n 1 "$work/revoker-$role" | cut -d' ' -f2)\" }"
      echo 'parameters = { "path.id" = { dictionary = "revocable", probability = 0.5 } }'
    } >"$work/$role.toml"
    # From the work folder: no stray schemathesis.toml is read and no database of examples is left.
    if ! (cd "$work" && "$schemathesis" --config-file "$work/$role.toml" --no-color run "$schema" \
            --url "$base" --header "Authorization: Bearer ${keys[$role]}" --checks "$checks" \
            --max-examples "$max_examples" --seed "$seed" --generation-database none \
            --workers 1 --request-timeout 60 --suppress-health-check too_slow,filter_too_much \
            "${report[@]}" "$@"); then
        failed=1
    fi
    http check-key "$base" "${keys[$role]}" || failed=1
done

if [ "$failed" != 0 ]; then
    echo "=== server log: errors, and where the server crashed ===" >&2
    # Each crash's message and the crashed thread's frames that have a source location.
    awk '/Fatal error|Swift runtime failure|Program crashed| error /     { print; next }
         /crashed:$/                     { crashed = 1; print; next }
         crashed && /^Thread /           { crashed = 0 }
         crashed && / at \/.*:[0-9]+/   { print }' "$work/server.log" | head -n 100 >&2
    echo "api-schema: FAILED" >&2
    exit 1
fi
echo "api-schema: the API answered as its OpenAPI document says, for every role"
