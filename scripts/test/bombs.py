"""Decompression bombs and oversized inputs against a running `likeness serve` (see bombs.sh).

Each bomb is made small on disk in the work folder, sent the way a user would send it (the
search API, the collection upload API; and `likeness ingest`, under the same cap, for a video
on its own, which uploads do not take, and for a file on the server's disk), and checked: a refusal whose message names the problem, the server alive and answering /healthz
all the while, and the stored gallery unchanged. Prints one table row per attempt; exits 1 if
any check failed.
"""
import argparse, hashlib, io, json, os, socket, sqlite3, struct, subprocess, sys, tarfile, threading, time
import urllib.error, urllib.request, uuid, zipfile, zlib
from http.client import HTTPResponse

from PIL import Image

# The gallery's tables: what "nothing already stored changes" is checked on. Not the audit log
# (refused attempts may add entries: `audit verify` checks its chain) nor the ingest job tables
# (a refused upload is a job with a failed item).
GALLERY_TABLES = ["organization", "collection", "image", "face", "face_template", "index_log", "suppression"]
MiB = 1 << 20


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="the likeness binary")
    parser.add_argument("--data", required=True, help="the server's data directory")
    parser.add_argument("--url", required=True)
    parser.add_argument("--pid", type=int, required=True, help="the server's process id")
    parser.add_argument("--work", required=True, help="a folder for the bombs")
    parser.add_argument("--org", required=True)
    parser.add_argument("--collection", required=True)
    parser.add_argument("--admin", nargs=2, metavar=("USER", "PASSWORD"), required=True)
    parser.add_argument("--investigator", nargs=2, metavar=("USER", "PASSWORD"), required=True)
    parser.add_argument("--probe", required=True, help="a photo to search with after the bombs")
    parser.add_argument("--address-space", type=int, required=True, help="the cap the CLI runs under, in bytes")
    return parser.parse_args()


# --- HTTP ---------------------------------------------------------------------------------------

def request(base, method, path, body_chunks=(), length=0, headers=None, timeout=300):
    """One request on a socket of its own, the body written on another thread while the answer is
    read here: a server that answers before reading the whole body (a size limit) is heard."""
    host, port = base.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=timeout)
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close", f"Content-Length: {length}"]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode())

    def write():
        try:
            for chunk in body_chunks:
                connection.sendall(chunk)
        except OSError:
            pass  # the server answered and closed: the answer is what counts
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        response = HTTPResponse(connection, method=method)
        response.begin()
        text = response.read().decode(errors="replace")
        return response.status, text
    finally:
        connection.close()
        writer.join(timeout=10)


def get_json(base, path, key):
    call = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + key})
    with urllib.request.urlopen(call, timeout=60) as response:
        return json.load(response)


def multipart(fields, files):
    """A multipart body as (chunks, length, content type); a file is (field, name, path or bytes),
    a path being read 1 MiB at a time, so a sparse file of gigabytes is streamed, never held."""
    boundary = uuid.uuid4().hex
    pieces, length = [], 0
    for name, value in fields.items():
        piece = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        pieces.append(piece)
        length += len(piece)
    for field, filename, content in files:
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n").encode()
        size = len(content) if isinstance(content, bytes) else os.path.getsize(content)
        pieces += [head, content, b"\r\n"]
        length += len(head) + size + 2
    tail = f"--{boundary}--\r\n".encode()
    pieces.append(tail)
    length += len(tail)

    def chunks():
        for piece in pieces:
            if isinstance(piece, bytes):
                yield piece
            else:
                with open(piece, "rb") as file:
                    while block := file.read(MiB):
                        yield block
    return chunks(), length, f"multipart/form-data; boundary={boundary}"


def many_parts(count):
    """A multipart body of `count` empty text fields."""
    boundary = uuid.uuid4().hex
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\n\r\n'.encode()
                    for i in range(count)) + f"--{boundary}--\r\n".encode()
    return [body], len(body), f"multipart/form-data; boundary={boundary}"


def read(path):
    with open(path, "rb") as file:
        return file.read()


def problem_text(text):
    """An RFC 9457 problem's detail and field messages, else the body as it came."""
    try:
        problem = json.loads(text)
    except ValueError:
        return text.strip()[:300]
    messages = [problem.get("detail", "")] + [f.get("detail", "") for f in problem.get("fields", []) or []]
    return "; ".join(dict.fromkeys(m for m in messages if m))


def api_key(base, username, password):
    """Signs in and makes an API key with the session (cookie and CSRF token)."""
    def post(path, body, headers):
        call = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                      headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(call, timeout=60) as response:
                return response.headers, json.load(response)
        except urllib.error.HTTPError as error:
            sys.exit(f"bombs: POST {path} as {username} answered {error.code}: {error.read().decode(errors='replace')}")
    headers, session = post("/api/v1/session", {"username": username, "password": password}, {})
    cookie = headers["Set-Cookie"].split(";")[0]
    _, created = post("/api/v1/api-keys", {"label": "bombs"}, {"Cookie": cookie, "X-CSRF-Token": session["csrf_token"]})
    return created["key"]


# --- Watching the server ----------------------------------------------------------------------

class HealthWatch:
    """Polls /healthz every 0.2 s on a thread of its own while an attempt runs; an answer slower
    than 5 s counts as none (the event loops are blocked)."""

    def __init__(self, base):
        self.base, self.checks, self.failures = base, 0, []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.poll, daemon=True)

    def poll(self):
        while True:
            self.check()
            if self.stopping.wait(0.2):
                self.check()  # and once after
                return

    def check(self):
        self.checks += 1
        started = time.monotonic()
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=5) as reply:
                if reply.status != 200:
                    self.failures.append(f"status {reply.status}")
        except (OSError, urllib.error.URLError) as error:
            self.failures.append(f"{error} after {time.monotonic() - started:.1f} s")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exception):
        self.stopping.set()
        self.thread.join()

    @property
    def summary(self):
        return f"{self.checks - len(self.failures)}/{self.checks}"


def reset_peak_rss(pid):
    """Resets the kernel's high-water mark of the process's resident set (Linux 4.0+)."""
    with open(f"/proc/{pid}/clear_refs", "w") as file:
        file.write("5")


def memory_status(pid, field):
    """A size from /proc/PID/status, in bytes: VmHWM the peak resident set, VmPeak the peak address space."""
    with open(f"/proc/{pid}/status") as file:
        for line in file:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} for process {pid}")


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    with open(f"/proc/{pid}/stat") as file:
        return file.read().split(") ")[1][0] != "Z"  # a zombie has crashed, not served


# --- The stored state -----------------------------------------------------------------------

def gallery_state(data):
    """A SHA-256 of the gallery's rows and the held upload files, and the images' and faces' counts."""
    digest = hashlib.sha256()
    database = sqlite3.connect(f"file:{data}/likeness.sqlite?mode=ro", uri=True)
    try:
        for table in GALLERY_TABLES:
            for row in database.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):
                digest.update(repr((table, row)).encode())
        counts = {table: database.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in ("image", "face")}
    finally:
        database.close()
    held = os.path.join(data, "uploads")
    for folder, _, names in sorted(os.walk(held)):
        for name in sorted(names):
            path = os.path.join(folder, name)
            with open(path, "rb") as file:
                digest.update(f"{os.path.relpath(path, held)} {hashlib.file_digest(file, 'sha256').hexdigest()}".encode())
    return digest.hexdigest(), counts


def audit_verify(binary, data):
    result = subprocess.run([binary, "audit", "verify", "--data", data], capture_output=True, text=True)
    return result.returncode == 0, (result.stdout + result.stderr).strip()


# --- The bombs --------------------------------------------------------------------------------

def png_claiming(width, height):
    """A PNG whose header claims width × height RGB pixels, followed by a few rows' worth of data."""
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    rows = zlib.compress(b"\0" * (1 + 3 * width) * 4)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def jpeg_claiming(width, height):
    """A real 16 × 16 JPEG whose frame header (SOF0) is rewritten to claim width × height."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "gray").save(buffer, "JPEG", quality=50)
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)  # marker, length (2), precision (1), then height, width
    return bytes(data)


def zeros_entry(archive, name, size):
    """Adds `size` zero bytes as a deflated entry without holding them in memory."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=size > zipfile.ZIP64_LIMIT) as entry:
        block = b"\0" * (16 * MiB)
        for _ in range(size // len(block)):
            entry.write(block)


def zip_with(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in entries:
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=zipfile.ZIP_DEFLATED)


def make_bombs(work):
    """Each bomb's file, made in `work`; returns their paths by name."""
    paths = {}

    paths["png"] = os.path.join(work, "huge.png")
    with open(paths["png"], "wb") as file:
        file.write(png_claiming(65_000, 65_000))
    paths["jpeg"] = os.path.join(work, "huge.jpg")
    with open(paths["jpeg"], "wb") as file:
        file.write(jpeg_claiming(65_000, 65_000))

    # 42.zip's shape: 16 zips of 16 zips of 16 zips, each innermost one a 64 MiB photo of zeros:
    # 256 GiB if unpacked all the way down, 16 KiB here.
    layer = os.path.join(work, "layer0.zip")
    with zipfile.ZipFile(layer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        zeros_entry(archive, "photo.jpg", 64 * MiB)
    for depth in range(1, 4):
        with open(layer, "rb") as file:
            inner = file.read()
        layer = os.path.join(work, f"layer{depth}.zip")
        zip_with(layer, [(f"{depth}-{i:02d}.zip", inner) for i in range(16)])
    paths["nested zip"] = layer

    # One photo entry of 2 GiB of zeros: ~1,000:1, about 2 MiB on disk.
    paths["high-ratio zip"] = os.path.join(work, "ratio.zip")
    with zipfile.ZipFile(paths["high-ratio zip"], "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        zeros_entry(archive, "photo.jpg", 2 << 30)

    paths["tar of 100,000"] = os.path.join(work, "many.tar.gz")
    with tarfile.open(paths["tar of 100,000"], "w:gz", compresslevel=1) as archive:
        for i in range(100_000):
            info = tarfile.TarInfo(f"photos/{i:06d}.jpg")
            info.size = 1
            archive.addfile(info, io.BytesIO(b"\xff"))

    # One 16,000 × 6,400 frame (102 megapixels), as Motion JPEG in AVI: ~600 KB.
    paths["16,000 px video"] = os.path.join(work, "wide.avi")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=black:s=16000x6400:r=1", "-frames:v", "1", "-c:v", "mjpeg", "-q:v", "31",
                    "-pix_fmt", "yuvj420p", paths["16,000 px video"]], check=True)
    paths["16,000 px video in tar"] = os.path.join(work, "wide.tar")
    with tarfile.open(paths["16,000 px video in tar"], "w") as archive:
        archive.add(paths["16,000 px video"], arcname="wide.avi")

    # Sparse: gigabytes of zeros that take no disk. The second is just within the upload limit.
    for name, filename, size in [("4 GB sparse .jpg", "sparse.jpg", 4 << 30), ("500 MB sparse .jpg", "within.jpg", 500 * MiB)]:
        paths[name] = os.path.join(work, filename)
        with open(paths[name], "wb") as file:
            file.truncate(size)
    return paths


# --- Attempts ---------------------------------------------------------------------------------

class Run:
    def __init__(self, options):
        self.options = options
        self.base = options.url
        self.rows = []
        self.failed = False

    def attempt(self, bomb, path, send, expected_words):
        """Runs `send` (→ status, message, peak RSS if not the server's) under a health watch, and
        checks the outcome."""
        if not alive(self.options.pid):
            self.rows.append((bomb, path, "not sent: the server had died", None, "-", ["not run"]))
            self.failed = True
            return
        reset_peak_rss(self.options.pid)
        problems = []
        with HealthWatch(self.base) as watch:
            try:
                status, message, rss = send()
            except Exception as error:  # noqa: BLE001 - a failed attempt is a row, not a stop
                status, message, rss = "error", f"{type(error).__name__}: {error}", None
        if rss is None and alive(self.options.pid):
            rss = memory_status(self.options.pid, "VmHWM")
        missing = [word for word in expected_words if word.lower() not in message.lower()]
        if missing:
            problems.append(f"message lacks {missing}")
        if not ((isinstance(status, int) and 400 <= status < 500) or status in ("failed", "refused")):
            problems.append("not refused")
        if not alive(self.options.pid):
            problems.append("the server died")
        if watch.failures:
            problems.append(f"/healthz failed: {watch.failures[0]}")
        self.rows.append((bomb, path, f"{status}: {message}", rss, watch.summary, problems))
        self.failed |= bool(problems)

    # The paths.

    def search(self, filename, content):
        def send():
            status, text = self.search_request(filename, content)
            return status, problem_text(text), None
        return send

    def search_request(self, filename, content):
        chunks, length, content_type = multipart(
            {"case_number": "BOMB-1", "purpose": "criminal_investigation"}, [("photo", filename, content)])
        return request(self.base, "POST", "/api/v1/searches", chunks, length,
                       {"Content-Type": content_type, "Authorization": "Bearer " + self.investigator})

    def upload(self, files):
        """An upload: the POST's refusal, or the finished upload's error or failed items."""
        def send():
            chunks, length, content_type = multipart({}, [("files", name, content) for name, content in files])
            status, text = request(self.base, "POST", f"/api/v1/collections/{self.collection}/uploads", chunks, length,
                                   {"Content-Type": content_type, "Authorization": "Bearer " + self.admin})
            if status != 202:
                return status, problem_text(text), None
            upload = json.loads(text)
            deadline = time.monotonic() + 600
            while upload["state"] == "running" and time.monotonic() < deadline:
                time.sleep(0.3)
                upload = get_json(self.base, f"/api/v1/uploads/{upload['id']}", self.admin)
            reasons = [upload["error"]] if upload.get("error") else [f"{f['item']}: {f['reason']}" for f in upload["failures"]]
            state = upload["state"]
            if state == "finished" and upload["failed"] > 0 and upload["stored"] == 0:
                state = "refused"  # every file failed, each with its reason
            return state, "; ".join(reasons)[:300] or f"{upload['stored']} stored, nothing refused", None
        return send

    def many_parts_to(self, path, key):
        def send():
            chunks, length, content_type = many_parts(100_000)
            status, text = request(self.base, "POST", path, chunks, length,
                                   {"Content-Type": content_type, "Authorization": "Bearer " + key})
            return status, problem_text(text), None
        return send

    def declared_only(self, path, key, length):
        """Headers declaring `length` bytes and no body at all: only a refusal from the header
        answers before the timeout."""
        def send():
            status, text = request(self.base, "POST", path, (), length,
                                   {"Content-Type": "multipart/form-data; boundary=b", "Authorization": "Bearer " + key}, timeout=15)
            return status, problem_text(text), None
        return send

    def cli_ingest(self, file):
        """`likeness ingest FILE` under the server's address-space cap; its peak RSS is its own."""
        def send():
            command = ["prlimit", f"--as={self.options.address_space}", self.options.bin, "ingest", file,
                       "--collection", self.options.collection, "--org", self.options.org,
                       "--data", self.options.data, "--json"]
            # Its output is small (a JSON summary): read after it exits. os.wait4, not Popen.wait,
            # for the child's own resource usage.
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            _, exit_status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(exit_status)  # so that Popen does not wait again
            output, errors = process.stdout.read(), process.stderr.read()
            try:
                summary = json.loads(output)
                message = "; ".join(f"{os.path.basename(f['item'])}: {f['reason']}" for f in summary["failures"])
                state = "refused" if summary["failed"] > 0 and summary["stored"] == 0 else "stored"
            except (ValueError, KeyError):
                state, message = f"exit {process.returncode}", (errors or output).strip()[-300:]
            return state, message, usage.ru_maxrss * 1024
        return send

    def run(self, bombs):
        self.admin = api_key(self.base, *self.options.admin)
        self.investigator = api_key(self.base, *self.options.investigator)
        collections = get_json(self.base, "/api/v1/collections", self.admin)["collections"]
        self.collection = next(c["id"] for c in collections if c["name"] == self.options.collection)

        pixels = ["65000×65000", "over the limit"]
        self.attempt("PNG 65,000 × 65,000", "search", self.search("huge.png", read(bombs["png"])), pixels)
        self.attempt("PNG 65,000 × 65,000", "upload", self.upload([("huge.png", bombs["png"])]), pixels)
        self.attempt("JPEG 65,000 × 65,000", "search", self.search("huge.jpg", read(bombs["jpeg"])), pixels)
        self.attempt("JPEG 65,000 × 65,000", "upload", self.upload([("huge.jpg", bombs["jpeg"])]), pixels)
        self.attempt("nested zip (16³ zips)", "upload", self.upload([("nested.zip", bombs["nested zip"])]),
                     ["archive inside an archive"])
        self.attempt("zip, 2 GiB photo entry", "upload", self.upload([("ratio.zip", bombs["high-ratio zip"])]),
                     ["photo.jpg", "100 MB limit"])
        self.attempt("tar.gz, 100,000 entries", "upload", self.upload([("many.tar.gz", bombs["tar of 100,000"])]),
                     ["more than 10000 entries"])
        video = ["16000×6400", "over the limit"]
        self.attempt("video, 16,000 px frames", "upload (in a tar)",
                     self.upload([("wide.tar", bombs["16,000 px video in tar"])]), video)
        self.attempt("video, 16,000 px frames", "CLI ingest", self.cli_ingest(bombs["16,000 px video"]), video)
        self.attempt("4 GB sparse .jpg", "search", self.search("sparse.jpg", bombs["4 GB sparse .jpg"]),
                     ["larger than the limit of 20 MB"])
        self.attempt("4 GB sparse .jpg", "upload", self.upload([("sparse.jpg", bombs["4 GB sparse .jpg"])]),
                     ["larger than the limit of 512 MB"])
        self.attempt("4 GB declared, none sent", "upload",
                     self.declared_only(f"/api/v1/collections/{self.collection}/uploads", self.admin, 4 << 30),
                     ["larger than the limit of 512 MB"])
        self.attempt("4 GB sparse .jpg", "CLI ingest", self.cli_ingest(bombs["4 GB sparse .jpg"]),
                     ["over the 100 MB limit"])
        self.attempt("500 MB sparse .jpg", "upload (within its limit)", self.upload([("within.jpg", bombs["500 MB sparse .jpg"])]),
                     ["over the 100 MB limit"])
        parts = ["more than 1000 parts"]
        self.attempt("multipart, 100,000 parts", "search", self.many_parts_to("/api/v1/searches", self.investigator), parts)
        self.attempt("multipart, 100,000 parts", "upload",
                     self.many_parts_to(f"/api/v1/collections/{self.collection}/uploads", self.admin), parts)

    def control_search(self, photo):
        """After the bombs, a search with a fixture photo still finds its candidates."""
        if not alive(self.options.pid):
            self.failed = True
            return "not run: the server had died"
        with open(photo, "rb") as file:
            status, text = self.search_request(os.path.basename(photo), file.read())
        if status != 201:
            self.failed = True
            return f"FAILED: {status}: {problem_text(text)}"
        return f"{status}, {len(json.loads(text)['matches'])} candidates"


def main():
    options = parse_arguments()
    started = time.monotonic()
    bombs = make_bombs(options.work)
    print(f"bombs: made in {time.monotonic() - started:.0f} s: "
          + ", ".join(f"{os.path.basename(p)} {os.stat(p).st_blocks * 512 / 1024:,.0f} KiB on disk" for p in bombs.values()))
    state_before, counts = gallery_state(options.data)
    verified, verdict = audit_verify(options.bin, options.data)
    if not verified:
        sys.exit(f"bombs: the audit log does not verify before the bombs: {verdict}")
    print(f"bombs: stored before: {counts['image']} images, {counts['face']} faces, state {state_before[:16]}")

    run = Run(options)
    run.run(bombs)
    control = run.control_search(options.probe)

    print()
    print("| bomb | path | outcome (status: message) | peak RSS (server's; the CLI's for CLI rows) | /healthz ok |")
    print("|---|---|---|---|---|")
    for bomb, path, outcome, rss, health, problems in run.rows:
        rss_text = f"{rss / MiB:,.0f} MiB" if rss else "?"
        marks = " **FAILED: " + "; ".join(problems) + "**" if problems else ""
        print(f"| {bomb} | {path} | {outcome.replace('|', '/')}{marks} | {rss_text} | {health} |")
    print()

    if alive(options.pid):
        print(f"bombs: the server's peak address space: {memory_status(options.pid, 'VmPeak') / MiB:,.0f} MiB "
              f"of the {options.address_space / MiB:,.0f} MiB cap")
    print(f"bombs: a search with {os.path.basename(options.probe)} after the bombs: {control}")
    state_after, counts_after = gallery_state(options.data)
    if state_after != state_before:
        print(f"bombs: FAILED: the stored gallery changed: {counts} → {counts_after}")
        run.failed = True
    verified, verdict = audit_verify(options.bin, options.data)
    if not verified:
        print(f"bombs: FAILED: the audit log does not verify: {verdict}")
        run.failed = True
    print(f"bombs: stored after: {counts_after['image']} images, {counts_after['face']} faces, "
          f"{'unchanged' if state_after == state_before else 'CHANGED'}; audit: {verdict.splitlines()[0]}")
    print("bombs: FAILED" if run.failed else "bombs: every bomb was refused naming its problem, the server up throughout")
    sys.exit(1 if run.failed else 0)


if __name__ == "__main__":
    main()
