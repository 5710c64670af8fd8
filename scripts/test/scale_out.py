"""Two servers and two ingest workers sharing one PostgreSQL + Milvus, as separate processes.

Run by scripts/test/scale-out.sh inside scripts/test/with-backends.sh:
    scale_out.py LIKENESS_BINARY FIXTURES_DIR WORK_DIR [WORKER_KILLS [SEED]]

- an admin uploads two photos through server A; an investigator searches through server B;
- a folder is queued; worker 1 is killed (SIGKILL) mid-job; worker 2 takes the job over when
  worker 1's lease runs out and finishes it: every image stored once, every face indexed once;
- the same photos ingested into an embedded data directory give the same faces and the same
  top-10 distances (within 1e-4) as the scale-out store;
- a data subject's erasure through the CLI removes their faces from PostgreSQL and Milvus, and
  server B no longer finds them; the audit chain verifies;
- a pg_dump taken before that erasure, restored into a new database and Milvus collection as
  the README says, brings the person back until `likeness replay-erasures --since` erases them
  again from the erasure log: then nothing finds them and `likeness check` passes;
- `likeness migrate` moves the embedded store into PostgreSQL + Milvus, and the moved store
  answers searches with the same face ids and distances;
- WORKER_KILLS more queued jobs (default 6), each worker killed with SIGKILL at a random point
  of its job (before it claims it, mid-image, between PostgreSQL and Milvus, after it finished)
  and another worker finishing the job: every image stored once, `likeness check` (the index
  holds exactly PostgreSQL's faces, nobody erased is back) and `audit verify` pass.
Exits non-zero, saying what failed, on the first failed check. The seed is printed so that a
failure of the random kills can be replayed.
"""
import json, os, random, re, secrets, shutil, signal, socket, subprocess, sys, time, urllib.error, urllib.request, uuid
from datetime import datetime, timezone

from pymilvus import MilvusClient

binary, fixtures, work = sys.argv[1:4]
worker_kills = int(sys.argv[4]) if len(sys.argv) > 4 else 6
seed = int(sys.argv[5]) if len(sys.argv) > 5 else random.randrange(1 << 30)
rng = random.Random(seed)
postgres_server = os.environ["LIKENESS_TEST_POSTGRES"]
milvus_server = os.environ["LIKENESS_TEST_MILVUS"]
suffix = uuid.uuid4().hex[:8]
database = f"lk_scaleout_{suffix}"
store = postgres_server.rsplit("/", 1)[0] + "/" + database
milvus_collection = f"scaleout_{suffix}"
vectors = f"{milvus_server}/{milvus_collection}"
shared = ["--store", store, "--vectors", vectors, "--data", os.path.join(work, "data")]
processes = []


def photo_name(location):
    """The photo's file name, without the number an upload's held copy is given."""
    return re.sub(r"^\d{4}-", "", os.path.basename(location))


def fail(message):
    sys.exit(f"scale-out: {message}")


def check(condition, message):
    if not condition:
        fail(message)
    print(f"  ok  {message}", flush=True)


def likeness(*arguments, backend=shared, expect=0, input=None):
    result = subprocess.run([binary, *arguments, *backend], input=input, capture_output=True, text=True, timeout=600)
    if expect is not None and result.returncode != expect:
        fail(f"likeness {' '.join(arguments)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def psql(sql):
    result = subprocess.run(["psql", store, "-Atc", sql], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*arguments, log):
    process = subprocess.Popen([binary, *arguments, *shared], stdout=open(os.path.join(work, log), "w"),
                               stderr=subprocess.STDOUT)
    processes.append(process)
    return process


def call(base, method, path, body=None, key=None, content_type="application/json"):
    headers = {"Authorization": "Bearer " + key} if key else {}
    if body is not None and content_type == "application/json":
        body = json.dumps(body).encode()
    if body is not None:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers, json.load(response)
    except urllib.error.HTTPError as e:
        fail(f"{method} {base}{path} answered {e.code}: {e.read().decode(errors='replace')}")


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    for name, path in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{os.path.basename(path)}"\r\n'
                     f'Content-Type: image/jpeg\r\n\r\n'.encode() + open(path, "rb").read() + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


server_processes = {}


def serve(name):
    port = free_port()
    server_processes[name] = start("serve", "--port", str(port), "--workers", "1", log=f"server-{name}.log")
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return base
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    fail(f"server {name} did not answer /healthz:\n" + open(os.path.join(work, f"server-{name}.log")).read())


def api_key(base, username, password):
    _, headers, session = call(base, "POST", "/api/v1/session", {"username": username, "password": password})
    cookie = headers["Set-Cookie"].split(";")[0]
    request = urllib.request.Request(base + "/api/v1/api-keys", data=json.dumps({"label": "scale-out"}).encode(), method="POST",
                                     headers={"Cookie": cookie, "X-CSRF-Token": session["csrf_token"],
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["key"]


def search(base, key, photo, case):
    body, content_type = multipart({"case_number": case, "purpose": "criminal_investigation", "top": "10"}, [("photo", photo)])
    status, _, result = call(base, "POST", "/api/v1/searches", body, key=key, content_type=content_type)
    check(status == 201, f"search {os.path.basename(photo)} through {base}")
    return result


def open_authorised_cases(numbers, organization, backend=shared):
    """ivy's training, and the cases ivy searches for, with the authority's grant recorded by a supervisor."""
    likeness("admin", "train", "ivy", "--course", "scale-out test", "--completed-on", datetime.now(timezone.utc).strftime("%Y-%m-%d"),
             backend=backend)
    likeness("admin", "create", "sam", "--organization", organization, "--role", "supervisor", backend=backend)
    for number in numbers:
        likeness("case", "open", number, "--title", "scale-out test", "--user", "ivy", "--org", organization, backend=backend)
        likeness("case", "authorise", number, "--decision", "granted", "--reference", "ORDER-1", "--authority", "test court",
                 "--decided-at", "2026-01-01", "--user", "sam", "--org", organization, backend=backend)


def wait_for(what, condition, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    fail(f"timed out waiting for {what}")


def main():
    os.makedirs(os.path.join(work, "data"))
    subprocess.run(["psql", postgres_server, "-qc", f"CREATE DATABASE {database}"], check=True)
    milvus = MilvusClient(uri="http://" + milvus_server.split("://", 1)[1])

    def milvus_count():
        return milvus.query(milvus_collection, filter="", output_fields=["count(*)"], consistency_level="Strong")[0]["count(*)"]

    print("accounts, a collection, two servers", flush=True)
    passwords = {}
    for username, role in [("ada", "admin"), ("ivy", "investigator")]:
        passwords[username] = secrets.token_urlsafe(15)
        likeness("admin", "create", username, "--organization", "Archive", "--role", role, "--password-stdin",
                 input=passwords[username] + "\n")
    likeness("collection", "create", "press", "--source", "Likeness test fixtures", "--lawful-basis", "test",
             "--jurisdiction", "GB", "--org", "Archive")
    open_authorised_cases(["SCALE-1", "SCALE-2", "SCALE-3", "SCALE-5"], "Archive")
    server_a = serve("a")
    server_b = serve("b")
    admin_key = api_key(server_a, "ada", passwords["ada"])
    investigator_key = api_key(server_b, "ivy", passwords["ivy"])

    print("upload through server A, search through server B", flush=True)
    _, _, listed = call(server_a, "GET", "/api/v1/collections", key=admin_key)
    press = next(c["id"] for c in listed["collections"] if c["name"] == "press")
    body, content_type = multipart({}, [("files", os.path.join(fixtures, "img16.jpg")), ("files", os.path.join(fixtures, "img17.jpg"))])
    _, _, upload = call(server_a, "POST", f"/api/v1/collections/{press}/uploads", body, key=admin_key, content_type=content_type)
    wait_for("the upload to finish", lambda: call(server_a, "GET", f"/api/v1/uploads/{upload['id']}", key=admin_key)[2]["state"] != "running")
    found = search(server_b, investigator_key, os.path.join(fixtures, "img61.jpg"), "SCALE-1")
    names = {photo_name(m["location"]) for m in found["matches"] if m["band"] in ("strong", "possible")}
    check({"img16.jpg", "img17.jpg"} <= names, f"server B finds both photos uploaded through server A ({sorted(names)})")

    print("a queued folder, two workers, one killed mid-job", flush=True)
    batch = os.path.join(work, "batch")
    os.makedirs(batch)
    photos = ["img5.jpg", "img6.jpg", "img10.jpg", "img11.jpg", "img12.jpg", "img42.jpg", "img43.jpg", "img44.jpg",
              "img46.jpg", "img47.jpg", "img50.jpg", "img51.jpg", "img53.jpg", "img55.jpg", "img62.jpg"]
    for photo in photos:
        shutil.copy(os.path.join(fixtures, photo), batch)
    queued = json.loads(likeness("ingest", batch, "--collection", "press", "--org", "Archive", "--queue").stdout)["queued_job"]
    first = start("worker", "--name", "worker-1", "--workers", "1", "--lease", "3", log="worker-1.log")
    wait_for("worker 1 to store its first image",
             lambda: int(psql(f"SELECT COUNT(*) FROM image WHERE location LIKE '{batch}/%'")) >= 1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    stored_by_first = int(psql(f"SELECT COUNT(*) FROM image WHERE location LIKE '{batch}/%'"))
    check(stored_by_first < len(photos), f"worker 1 was killed mid-job, after {stored_by_first} of {len(photos)} images")
    check(psql(f"SELECT state || ' ' || worker FROM ingest_queue WHERE id = {queued}") == "claimed worker-1",
          "the job is still claimed by the dead worker")
    second = start("worker", "--name", "worker-2", "--workers", "1", "--lease", "3", log="worker-2.log")
    wait_for("worker 2 to finish the job", lambda: psql(f"SELECT state FROM ingest_queue WHERE id = {queued}") in ("finished", "failed"))
    check(psql(f"SELECT state || ' ' || worker || ' ' || attempts FROM ingest_queue WHERE id = {queued}") == "finished worker-2 2",
          "worker 2 claimed the job when worker 1's lease ran out, and finished it")
    images = int(psql(f"SELECT COUNT(*) FROM image WHERE location LIKE '{batch}/%'"))
    check(images == len(photos), f"every queued image is stored ({images} of {len(photos)})")
    check(psql("SELECT COUNT(*) FROM (SELECT sha256 FROM image GROUP BY collection_id, sha256 HAVING COUNT(*) > 1) d") == "0",
          "no image is stored twice")
    faces = int(psql("SELECT COUNT(*) FROM face"))
    wait_for("Milvus to hold every face", lambda: milvus_count() == faces, timeout=30)
    check(milvus_count() == faces, f"Milvus holds each of the {faces} faces once")

    print("the same photos in an embedded store: same faces, same distances", flush=True)
    embedded = ["--data", os.path.join(work, "embedded")]
    likeness("collection", "create", "press", "--source", "s", "--lawful-basis", "b", "--jurisdiction", "GB", backend=embedded)
    likeness("ingest", batch, os.path.join(fixtures, "img16.jpg"), os.path.join(fixtures, "img17.jpg"), "--collection", "press",
             backend=embedded)
    embedded_total = sum(c["faces"] for c in json.loads(likeness("collection", "list", "--json", backend=embedded).stdout))
    check(embedded_total == faces, f"the embedded store found the same number of faces ({embedded_total})")
    likeness("admin", "create", "ivy", "--organization", "default", "--role", "investigator", backend=embedded)
    open_authorised_cases(["SCALE-2", "SCALE-4"], "default", backend=embedded)
    for probe in ["img61.jpg", "img11.jpg", "img42.jpg"]:
        arguments = ["search", os.path.join(fixtures, probe), "--top", "10", "--json", "--user", "ivy", "--case", "SCALE-2",
                     "--purpose", "criminal_investigation"]
        scale_out = json.loads(likeness(*arguments, "--org", "Archive").stdout)["matches"]
        reference = json.loads(likeness(*arguments, backend=embedded).stdout)["matches"]
        # Distances are printed to 4 decimals, so two that differ by less than 1e-4 can print 1e-4 apart.
        same = len(scale_out) == len(reference) == 10 and all(
            photo_name(a["image"]) == photo_name(b["image"]) and abs(a["distance"] - b["distance"]) <= 1e-4 + 1e-9
            for a, b in zip(scale_out, reference))
        check(same, f"{probe}: the top 10 on both backends are the same photos at the same distances")

    print("erasure on the scale-out store", flush=True)
    dumped_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    dump = os.path.join(work, "before-erasure.dump")
    subprocess.run(["pg_dump", "-Fc", "-f", dump, store], check=True)
    likeness("admin", "create", "privacy", "--organization", "Archive", "--role", "admin")
    before = milvus_count()
    erased = likeness("subject", "erase", os.path.join(fixtures, "img61.jpg"), "--user", "privacy", "--reference", "SAR-1",
                      "--identity-checked", "in_person", "--confirm", "--suppress", "--org", "Archive").stdout
    check("Erased 3 faces" in erased, "the person's three faces (img16, img17 and the queued img62) are erased")
    remaining = int(psql("SELECT COUNT(*) FROM face"))
    check(remaining < faces, f"PostgreSQL lost the erased faces ({faces} → {remaining})")
    check(milvus_count() == remaining, f"Milvus lost them too, at once ({before} → {milvus_count()})")
    found = search(server_b, investigator_key, os.path.join(fixtures, "img61.jpg"), "SCALE-3")
    names = {photo_name(m["location"]) for m in found["matches"]}
    check(not ({"img16.jpg", "img17.jpg"} & names), "server B no longer finds the erased person")
    verify = likeness("audit", "verify", expect=None)
    check(verify.returncode == 0 and "chain intact" in verify.stdout, f"the audit chain verifies: {verify.stdout.strip()}")

    print("restore the dump taken before the erasure, then replay the erasure log", flush=True)
    restored_database = f"lk_restored_{suffix}"
    subprocess.run(["psql", postgres_server, "-qc", f"CREATE DATABASE {restored_database}"], check=True)
    subprocess.run(["pg_restore", "--no-owner", "-d", postgres_server.rsplit("/", 1)[0] + "/" + restored_database, dump], check=True)
    restored = ["--store", postgres_server.rsplit("/", 1)[0] + "/" + restored_database,
                "--vectors", f"{milvus_server}/restored_{suffix}", "--data", os.path.join(work, "data")]
    likeness("reindex", backend=restored)

    def finds_person():
        result = likeness("search", os.path.join(fixtures, "img61.jpg"), "--top", "10", "--json", "--user", "ivy",
                          "--case", "SCALE-5", "--purpose", "criminal_investigation", "--org", "Archive", backend=restored)
        return {"img16.jpg", "img17.jpg"} & {photo_name(m["image"]) for m in json.loads(result.stdout)["matches"]}

    check(finds_person() == {"img16.jpg", "img17.jpg"}, "the restored dump holds the person again")
    check(likeness("check", backend=restored, expect=None).returncode == 1, "likeness check sees the erased faces are back")
    replayed = likeness("replay-erasures", "--since", dumped_at, backend=restored).stdout
    check(replayed.startswith("3 faces erased after"), f"replay-erasures erased the three faces again: {replayed.strip()}")
    check(not finds_person(), "the restored store no longer finds the person")
    result = likeness("check", backend=restored, expect=None)
    check(result.returncode == 0, f"likeness check passes on the restored store\n{result.stdout}{result.stderr}")
    verify = likeness("audit", "verify", backend=restored, expect=None)
    check(verify.returncode == 0, f"the restored audit chain verifies: {verify.stdout.strip()}")

    print("migrate the embedded store into a new PostgreSQL database and Milvus collection", flush=True)
    migrated_database = f"lk_migrated_{suffix}"
    subprocess.run(["psql", postgres_server, "-qc", f"CREATE DATABASE {migrated_database}"], check=True)
    migrated_store = postgres_server.rsplit("/", 1)[0] + "/" + migrated_database
    migrated = ["--store", migrated_store, "--vectors", f"{milvus_server}/migrated_{suffix}", "--data", os.path.join(work, "embedded")]
    result = likeness("migrate", "--from", os.path.join(work, "embedded"), "--to-store", migrated[1], "--to-vectors", migrated[3],
                      backend=[], expect=None)
    passed = (result.returncode == 0 and f"Sample searches: {embedded_total} of {embedded_total}" in result.stdout
              and "DIFFERENT" not in result.stdout)
    check(passed, "likeness migrate copied every table, and its checks passed" + ("" if passed else "\n" + result.stdout + result.stderr))
    for probe in ["img61.jpg", "img5.jpg"]:
        arguments = ["search", os.path.join(fixtures, probe), "--top", "10", "--json", "--user", "ivy", "--case", "SCALE-4",
                     "--purpose", "criminal_investigation"]
        before = json.loads(likeness(*arguments, backend=embedded).stdout)["matches"]
        after = json.loads(likeness(*arguments, backend=migrated).stdout)["matches"]
        check([m["face_id"] for m in before] == [m["face_id"] for m in after]
              and all(abs(a["distance"] - b["distance"]) <= 1e-4 + 1e-9 for a, b in zip(before, after)),
              f"{probe}: the migrated store answers with the same face ids and distances")
    verify = likeness("audit", "verify", backend=migrated, expect=None)
    check(verify.returncode == 0 and "chain intact" in verify.stdout, f"the migrated audit chain verifies: {verify.stdout.strip()}")
    print(f"workers killed at random points of {worker_kills} queued jobs (seed {seed})", flush=True)
    second.terminate()  # each job below is for the worker each round starts
    second.wait(timeout=30)
    pool = ["img5.jpg", "img6.jpg", "img10.jpg", "img11.jpg", "img12.jpg", "img42.jpg", "img43.jpg", "img44.jpg",
            "img46.jpg", "img47.jpg", "img50.jpg", "img51.jpg", "img53.jpg", "img55.jpg"]
    usual = 1.5  # seconds a worker's job of four photos takes once claimed; measured when one is not killed
    for round in range(1, worker_kills + 1):
        name = f"round-{round}"
        likeness("collection", "create", name, "--source", "Likeness test fixtures", "--lawful-basis", "test",
                 "--jurisdiction", "GB", "--org", "Archive")
        folder = os.path.join(work, name)
        os.makedirs(folder)
        chosen = rng.sample(pool, 4)
        for photo in chosen:
            shutil.copy(os.path.join(fixtures, photo), folder)
        job = json.loads(likeness("ingest", folder, "--collection", name, "--org", "Archive", "--queue").stdout)["queued_job"]
        doomed = start("worker", "--name", f"doomed-{round}", "--workers", "1", "--lease", "3", log=f"doomed-{round}.log")

        def job_state():
            return psql(f"SELECT state FROM ingest_queue WHERE id = {job}")

        # The kill point is drawn from the job's run, from its claim to a little past its end.
        wait_for(f"round {round}: the worker to claim the job", lambda: job_state() != "queued", timeout=120)
        delay = rng.uniform(0.0, 1.2 * usual)
        started = time.monotonic()
        while time.monotonic() - started < delay and job_state() not in ("finished", "failed"):
            time.sleep(0.01)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        stored = int(psql(f"SELECT COUNT(*) FROM image WHERE location LIKE '{folder}/%'"))
        if job_state() == "finished":
            usual = time.monotonic() - started
            outcome = f"finished {usual:.2f} s after its claim, before the kill"
        else:
            outcome = f"killed {delay:.2f} s after its claim, {stored} of 4 images stored"
            rescuer = start("worker", "--name", f"rescuer-{round}", "--workers", "1", "--lease", "3", log=f"rescuer-{round}.log")
            wait_for(f"round {round}: another worker to finish the job", lambda: job_state() in ("finished", "failed"))
            rescuer.terminate()
            rescuer.wait(timeout=30)
        check(job_state() == "finished", f"round {round}: the job finished ({job_state()})")
        images = int(psql(f"SELECT COUNT(*) FROM image WHERE location LIKE '{folder}/%'"))
        check(images == 4, f"round {round}: each of the 4 photos is stored once ({images})")
        result = likeness("check", expect=None)
        check(result.returncode == 0, f"round {round} ({outcome}): likeness check passes\n{result.stdout}{result.stderr}")
        result = likeness("audit", "verify", expect=None)
        check(result.returncode == 0, f"round {round} ({outcome}): the audit chain verifies\n{result.stdout}{result.stderr}")
        print(f"  ok  worker kill {round}: {outcome}; check and audit verify pass", flush=True)

    # A graceful stop: the HTTP server, then the store's and the index's connections, in order.
    server_processes["b"].terminate()
    try:
        code = server_processes["b"].wait(timeout=20)
    except subprocess.TimeoutExpired:
        code = None
    check(code == 0, f"server B stops on SIGTERM within 20 s, exit code 0 (got {code})")
    with urllib.request.urlopen(server_a + "/healthz", timeout=5) as response:
        check(response.status == 200, "server A still answers once B has closed its connections")
    print("scale-out: all checks passed")


try:
    main()
finally:
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
