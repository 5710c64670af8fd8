"""kill -9 at random points during searches, uploads, erasures, retention sweeps and index writes.

Run by scripts/test/crash-matrix.sh:
    crash_matrix.py LIKENESS_BINARY FIXTURES_DIR WORK_DIR KILLS [SEED]

Each round starts one operation on an embedded data directory and kills its process (the
server, or the CLI command doing it) with SIGKILL after a random delay. Retention sweeps are
made by the CLI or by a server as it starts, at random. After each kill:
- `likeness check` passes: the index holds exactly the database's faces (after the replay a
  restarted server makes), no erasure is left half done, and no erased face is back;
- `likeness audit verify` passes;
- every search whose answer reached the client has its audit entry;
- an erasure happened wholly (the person's faces gone, one more erasure audit entry) or not at
  all (the same faces, no new entry); the same for a retention sweep;
- an erasure answering a privacy request, made on the server's pages, closed the request (its
  selfie deleted, its own audit entry) together with the erasure, or neither.
Exits non-zero, saying what failed, on the first failed check. The seed is printed so that a
failure can be replayed.
"""
import csv, io, json, os, random, secrets, signal, socket, sqlite3, subprocess, sys, threading, time, urllib.error, urllib.parse, urllib.request, uuid

binary, fixtures, work = sys.argv[1:4]
kills = int(sys.argv[4])
seed = int(sys.argv[5]) if len(sys.argv) > 5 else random.randrange(1 << 30)
rng = random.Random(seed)
data = os.path.join(work, "data")
backend = ["--data", data]
database = os.path.join(data, "likeness.sqlite")
person = ["img16.jpg", "img17.jpg"]  # whom img61.jpg finds; erased and ingested again, round after round
uploads = ["img5.jpg", "img6.jpg", "img10.jpg", "img11.jpg", "img12.jpg", "img42.jpg", "img43.jpg", "img44.jpg", "img46.jpg"]


def fail(message):
    sys.exit(f"crash matrix (seed {seed}): {message}")


def likeness(*arguments, expect=0, input=None):
    result = subprocess.run([binary, *arguments, *backend], input=input, capture_output=True, text=True, timeout=600)
    if expect is not None and result.returncode != expect:
        fail(f"likeness {' '.join(arguments)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


durations = {}  # how long each command took when it was not killed: kill points are drawn within it


def killed_during(arguments):
    """Starts `likeness ARGUMENTS` and kills it with SIGKILL at a random point of its usual run:
    in its second half, since the first is mostly loading the models."""
    command = arguments[0]
    usual = durations.get(command, 3.0)
    delay = rng.uniform(0.5 * usual, 1.05 * usual)
    started = time.monotonic()
    process = subprocess.Popen([binary, *arguments, *backend], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=delay)
        durations[command] = time.monotonic() - started
        return f"finished in {durations[command]:.2f} s"
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return f"killed at {delay:.2f} s"


def audit():
    rows = csv.DictReader(io.StringIO(likeness("audit", "export", "--format", "csv").stdout))
    return [(int(row["id"]), row["action"]) for row in rows if row["id"].isdigit()]


def person_faces():
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        return sorted(row[0] for row in db.execute(
            "SELECT f.id FROM face f JOIN image i ON i.id = f.image_id WHERE i.location LIKE '%/img16.jpg' OR i.location LIKE '%/img17.jpg'"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([binary, "serve", "--port", str(self.port), "--workers", "1", *backend],
                                        stdout=open(os.path.join(work, "server.log"), "a"), stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                if self.process.poll() is not None:
                    fail("the server exited on starting:\n" + open(os.path.join(work, "server.log")).read()[-3000:])
                time.sleep(0.1)
        fail("the server did not answer /healthz")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def call(base, method, path, body=None, key=None, content_type="application/json", cookie=None, csrf=None):
    headers = {"Authorization": "Bearer " + key} if key else {}
    if cookie:
        headers.update({"Cookie": cookie, "X-CSRF-Token": csrf})
    if body is not None and content_type == "application/json":
        body = json.dumps(body).encode()
    if body is not None:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.headers, json.load(response)


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    for name, path in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{os.path.basename(path)}"\r\n'
                     f'Content-Type: image/jpeg\r\n\r\n'.encode() + open(path, "rb").read() + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def api_key(base, username, password):
    _, headers, session = call(base, "POST", "/api/v1/session", {"username": username, "password": password})
    cookie = headers["Set-Cookie"].split(";")[0]
    return call(base, "POST", "/api/v1/api-keys", {"label": "crash matrix"}, cookie=cookie, csrf=session["csrf_token"])[2]["key"]


def check_consistent(after):
    result = likeness("check", expect=None)
    if result.returncode != 0:
        fail(f"after {after}: likeness check failed:\n{result.stdout}\n{result.stderr}")
    result = likeness("audit", "verify", expect=None)
    if result.returncode != 0:
        fail(f"after {after}: likeness audit verify failed:\n{result.stdout}\n{result.stderr}")


def round_search(keys, delay):
    """Searches one after another until the server is killed; every answered one must be audited."""
    server = Server()
    answered, stop = [], threading.Event()
    body, content_type = multipart({"case_number": "CRASH-1", "purpose": "criminal_investigation", "top": "5"},
                                   [("photo", os.path.join(fixtures, "img61.jpg"))])

    def searches():
        while not stop.is_set():
            try:
                status, _, result = call(server.base, "POST", "/api/v1/searches", body, key=keys["ivy"], content_type=content_type)
                if status == 201:
                    answered.append(result["audit_entry"])
            except (urllib.error.URLError, OSError, ValueError):
                return

    thread = threading.Thread(target=searches)
    thread.start()
    time.sleep(delay)
    server.kill()
    stop.set()
    thread.join()
    logged = {entry for entry, action in audit() if action == "search"}
    missing = [entry for entry in answered if entry not in logged]
    if missing:
        fail(f"searches answered before the kill have no audit entry: {missing}")
    return f"killed at {delay:.2f} s, {len(answered)} searches answered, each audited"


def round_upload(keys, collection, delay):
    server = Server()
    photos = rng.sample(uploads, 2)
    body, content_type = multipart({}, [("files", os.path.join(fixtures, photo)) for photo in photos])
    try:
        call(server.base, "POST", f"/api/v1/collections/{collection}/uploads", body, key=keys["ada"], content_type=content_type)
    except (urllib.error.URLError, OSError):
        pass
    time.sleep(delay)
    server.kill()
    return f"upload of {', '.join(photos)} killed at {delay:.2f} s"


def round_erasure():
    if not person_faces():
        likeness("ingest", *[os.path.join(fixtures, photo) for photo in person], "--collection", "press")
    before, erasures = person_faces(), sum(1 for _, action in audit() if action == "erasure")
    outcome = killed_during(["subject", "erase", os.path.join(fixtures, "img61.jpg"), "--user", "ada", "--reference",
                            f"SAR-{uuid.uuid4().hex[:6]}", "--identity-checked", "document_seen", "--confirm"])
    likeness("check")  # a start: finishes what the journal holds
    after, now = person_faces(), sum(1 for _, action in audit() if action == "erasure")
    if after == before and now == erasures:
        return f"erasure {outcome} before its transaction: nothing erased"
    if not after and now == erasures + 1:
        return f"erasure {outcome} after its transaction: {len(before)} faces erased, audited once"
    fail(f"erasure half done: faces {before} -> {after}, erasure entries {erasures} -> {now}")


def web_session(base, username, password):
    """A signed-in session's cookie and CSRF token, as the pages use them."""
    _, headers, session = call(base, "POST", "/api/v1/session", {"username": username, "password": password})
    return headers["Set-Cookie"].split(";")[0], session["csrf_token"]


def post_form(base, path, fields, cookie):
    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(base + path, data=body, method="POST",
                                     headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def request_state(reference):
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        return db.execute("SELECT id, status, selfie IS NOT NULL FROM subject_request WHERE reference = ?", (reference,)).fetchone()


def round_request_erasure(passwords):
    """The person files an erasure request on the organisation's public page; an admin verifies
    it and closes it, ticking the person's faces; the server is killed during the close."""
    if not person_faces():
        likeness("ingest", *[os.path.join(fixtures, photo) for photo in person], "--collection", "press")
    before, erasures = person_faces(), sum(1 for _, action in audit() if action == "erasure")
    server = Server()
    # Filing: the public page's CSRF cookie and token, then the form with the selfie.
    with urllib.request.urlopen(server.base + "/o/Archive/privacy", timeout=30) as page:
        cookie = page.headers["Set-Cookie"].split(";")[0]
        token = page.read().decode().split('name="csrf_token" value="')[1].split('"')[0]
    body, content_type = multipart({"csrf_token": token, "kind": "erasure", "contact": "person@example.org"},
                                   [("selfie", os.path.join(fixtures, "img61.jpg"))])
    filed = urllib.request.Request(server.base + "/o/Archive/privacy", data=body, method="POST",
                                   headers={"Cookie": cookie, "Content-Type": content_type})
    with urllib.request.urlopen(filed, timeout=60) as response:
        reference = response.read().decode().split('id="reference">')[1].split("<")[0]
    request_id = request_state(reference)[0]
    cookie, csrf = web_session(server.base, "ada", passwords["ada"])
    post_form(server.base, f"/requests/{request_id}/verify",
              {"csrf_token": csrf, "method": "document_seen", "note": "passport seen", "answer_to": "person@example.org"}, cookie)
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        found = {row[0] for row in db.execute("SELECT face_id FROM subject_finding WHERE request_id = ?", (request_id,))}
    ticked = sorted(found & set(before))
    if ticked != before:
        fail(f"the request's look-up found {sorted(found)}, not all of the person's faces {before}")

    usual = durations.get("close", 0.5)
    delay = rng.uniform(0.0, 1.2 * usual)
    started, closed = time.monotonic(), threading.Event()

    def close():
        try:
            post_form(server.base, f"/requests/{request_id}/close",
                      {"csrf_token": csrf, **{f"face_{face}": "on" for face in ticked}}, cookie)
            closed.set()
        except (urllib.error.URLError, OSError):
            pass

    thread = threading.Thread(target=close)
    thread.start()
    thread.join(timeout=delay)
    server.kill()
    thread.join()
    outcome = f"killed at {delay:.2f} s"
    if closed.is_set():
        durations["close"] = time.monotonic() - started
        outcome = f"answered in {durations['close']:.2f} s, then killed"
    likeness("check")
    after, now = person_faces(), sum(1 for _, action in audit() if action == "erasure")
    _, status, holds_selfie = request_state(reference)
    if after == before and now == erasures and status == "verified" and holds_selfie:
        return f"request erasure {outcome} before its transaction: nothing erased, request still open"
    if not after and now == erasures + 1 and status == "closed" and not holds_selfie:
        return f"request erasure {outcome} after its transaction: {len(before)} faces erased, request closed, selfie gone"
    fail(f"request erasure half done: faces {before} -> {after}, erasure entries {erasures} -> {now}, "
         f"request {status}, selfie {'held' if holds_selfie else 'gone'}")


def server_killed_during_start():
    """Starts the server, which sweeps retention as it starts, and kills it at a random point of
    its usual start (it answers /healthz while the sweep may still run)."""
    usual = durations.get("serve", 3.0)
    delay = rng.uniform(0.3 * usual, 1.2 * usual)
    started = time.monotonic()
    port = free_port()
    process = subprocess.Popen([binary, "serve", "--port", str(port), "--workers", "1", *backend],
                               stdout=open(os.path.join(work, "server.log"), "a"), stderr=subprocess.STDOUT)
    ready = False
    while time.monotonic() - started < delay:
        if not ready:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    ready = True
                    durations["serve"] = time.monotonic() - started
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return f"server killed {delay:.2f} s into its start" + (" (answering)" if ready else "")


def round_retention():
    """A retention sweep, by the CLI or by a starting server, killed at a random point."""
    likeness("ingest", *[os.path.join(fixtures, photo) for photo in rng.sample(uploads, 2)], "--collection", "short")
    with sqlite3.connect(database, timeout=30) as db:  # as if ingested 40 days ago
        db.execute("UPDATE image SET ingested_at = datetime('now', '-40 days') WHERE collection_id = "
                   "(SELECT id FROM collection WHERE name = 'short')")
    def held():
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
            return db.execute("SELECT COUNT(*) FROM image i JOIN collection c ON c.id = i.collection_id WHERE c.name = 'short'").fetchone()[0]
    before = held()
    outcome = killed_during(["retention", "sweep"]) if rng.random() < 0.5 else server_killed_during_start()
    likeness("check")
    after = held()
    if after not in (0, before):
        fail(f"retention sweep half done: {before} -> {after} images")
    return f"retention sweep {outcome}: {before - after} of {before} images erased"


def round_persist():
    return f"reindex {killed_during(['reindex'])}"


def main():
    os.makedirs(data)
    print(f"crash matrix: {kills} kills, seed {seed}", flush=True)
    passwords = {}
    for username, role in [("ada", "admin"), ("ivy", "investigator")]:
        passwords[username] = secrets.token_urlsafe(15)
        likeness("admin", "create", username, "--organization", "Archive", "--role", role, "--password-stdin",
                 input=passwords[username] + "\n")
    # ivy's training, and the case the searches are made for, authorised by a supervisor, as
    # searches require.
    likeness("admin", "train", "ivy", "--course", "crash matrix", "--completed-on", time.strftime("%Y-%m-%d", time.gmtime()))
    likeness("admin", "create", "sam", "--organization", "Archive", "--role", "supervisor")
    likeness("case", "open", "CRASH-1", "--title", "crash matrix", "--user", "ivy")
    likeness("case", "authorise", "CRASH-1", "--decision", "granted", "--reference", "ORDER-1", "--authority", "test court",
             "--decided-at", "2026-01-01", "--user", "sam")
    likeness("collection", "create", "press", "--source", "Likeness test fixtures", "--lawful-basis", "test", "--jurisdiction", "GB")
    likeness("collection", "create", "short", "--source", "Likeness test fixtures", "--lawful-basis", "test", "--jurisdiction", "GB",
             "--retention-days", "30")
    likeness("ingest", *[os.path.join(fixtures, photo) for photo in uploads[:4] + person], "--collection", "press")
    server = Server()
    keys = {name: api_key(server.base, name, password) for name, password in passwords.items()}
    collection = next(c["id"] for c in call(server.base, "GET", "/api/v1/collections", key=keys["ada"])[2]["collections"]
                      if c["name"] == "press")
    server.kill()

    kinds = ["search", "upload", "erasure", "request-erasure", "retention", "persist"]
    for number in range(kills):
        kind = kinds[number % len(kinds)]
        if kind == "search":
            what = round_search(keys, rng.uniform(0.5, 4.0))
        elif kind == "upload":
            what = round_upload(keys, collection, rng.uniform(0.0, 3.0))
        elif kind == "erasure":
            what = round_erasure()
        elif kind == "request-erasure":
            what = round_request_erasure(passwords)
        elif kind == "retention":
            what = round_retention()
        else:
            what = round_persist()
        check_consistent(what)
        print(f"  ok  kill {number + 1:3d} ({kind}): {what}; check and audit verify pass", flush=True)
    print(f"crash matrix: {kills} kills survived (seed {seed})")


main()
