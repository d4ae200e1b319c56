#!/usr/bin/env python3
"""Helper of scripts/bench.sh: deterministic test data, free ports, and the report.

    bench_report.py random FILE MIB            pseudo-random bytes (seeded: same file every time)
    bench_report.py small DIR COUNT KIB        COUNT files of KIB KiB, pseudo-random
    bench_report.py tree DIR MIB               a mixed tree of about MIB MiB: compressible text
                                               (log-like), incompressible blobs, many small files
    bench_report.py ports N                    a base port P with P..P+N-1 and P+10000..P+10000+N-1
                                               free on 127.0.0.1 (SeaweedFS puts gRPC at +10000),
                                               below the kernel's ephemeral port range
    bench_report.py hyperfine JSON             median of a hyperfine --export-json file, in ms
    bench_report.py report RAW OUTDIR [--meta FILE]
                                               medians, ratios and targets -> OUTDIR/results.md,
                                               OUTDIR/ratios.svg; the markdown on stdout; exit 0

RAW is a tab-separated file written by bench.sh, one line per measured run:
    case  server  proto  tool  run  wall_s  user_s  sys_s  rss_kib  status  server_cpu_s
(proto http or https; case startup: proto "-", wall_s the median start-up time in seconds, CPU
and RSS "-"; case verify: a failed verification, its status says what).
Only the standard library is used.
"""

import json
import os
import random
import socket
import statistics
import sys

MIB = 1 << 20
MTIME = 1_764_000_000  # fixed mtime, so archives of the tree are the same from run to run

# ---------------------------------------------------------------------------------------------
# data


def write_random(path, size, seed):
    rng = random.Random(seed)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 16 * MIB)
            f.write(rng.randbytes(n))
            left -= n
    os.utime(path, (MTIME, MTIME))


def cmd_random(path, mib):
    write_random(path, int(mib) * MIB, f"s3up-bench-random-{mib}")


def cmd_small(root, count, kib):
    rng = random.Random(f"s3up-bench-small-{count}-{kib}")
    os.makedirs(root, exist_ok=True)
    size = int(kib) * 1024
    for i in range(int(count)):
        p = os.path.join(root, f"file-{i:05d}.bin")
        with open(p, "wb") as f:
            f.write(rng.randbytes(size))
        os.utime(p, (MTIME, MTIME))


def make_corpus(rng, size):
    """Log-like text: timestamps, levels, a Zipf-distributed vocabulary, numbers."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choices(letters, k=rng.randint(2, 11))) for _ in range(6000)]
    weights = [1.0 / (i + 1) for i in range(len(words))]
    cum = []
    acc = 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    levels = ["INFO ", "INFO ", "INFO ", "DEBUG", "WARN ", "ERROR"]
    out = []
    total = 0
    t = 1_700_000_000
    tokens = rng.choices(words, cum_weights=cum, k=size // 6)
    ti = 0
    while total < size:
        n = rng.randint(4, 16)
        if ti + n > len(tokens):
            ti = 0
        t += rng.randint(0, 3)
        line = "%d.%03d %s [worker-%d] %s (id=%d)\n" % (
            t, rng.randint(0, 999), rng.choice(levels), rng.randint(1, 16),
            " ".join(tokens[ti:ti + n]), rng.randint(0, 1 << 20))
        ti += n
        out.append(line)
        total += len(line)
    return "".join(out).encode()[:size]


def slice_of(corpus, rng, size):
    start = rng.randrange(len(corpus))
    data = corpus[start:start + size]
    while len(data) < size:
        data += corpus[:size - len(data)]
    return data


def cmd_tree(root, mib):
    """About MIB MiB: 60 % text in files of 64 KiB to 8 MiB, 30 % random blobs of 1 to 40 MiB,
    10 % small text files (0.2 to 12 KB) in nested directories."""
    mib = float(mib)
    rng = random.Random(f"s3up-bench-tree-{mib}")
    corpus = make_corpus(rng, 32 * MIB)
    files = []

    def put(rel, data):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        files.append(p)

    budget = int(mib * 0.6 * MIB)
    i = 0
    while budget > 0:
        n = min(budget, rng.choice([64, 256, 512, 1024, 2048, 4096, 8192]) * 1024)
        put(f"logs/app{i % 8}/part-{i:04d}.log", slice_of(corpus, rng, n))
        budget -= n
        i += 1
    budget = int(mib * 0.3 * MIB)
    i = 0
    while budget > 0:
        n = min(budget, rng.randint(1, 40) * MIB)
        put(f"blobs/blob-{i:03d}.bin", rng.randbytes(n))
        budget -= n
        i += 1
    budget = int(mib * 0.1 * MIB)
    i = 0
    while budget > 0:
        n = min(budget, rng.randint(200, 12000))
        put(f"src/d{i % 64:02d}/s{(i // 64) % 8}/f{i:05d}.txt", slice_of(corpus, rng, n))
        budget -= n
        i += 1
    for p in files:
        os.utime(p, (MTIME, MTIME))
    for dirpath, _dirs, _files in os.walk(root):
        os.utime(dirpath, (MTIME, MTIME))
    print(f"tree: {len(files)} files, {sum(os.path.getsize(p) for p in files) / MIB:.0f} MiB")


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def ephemeral_low():
    """The lowest port the kernel hands out to outgoing connections and port-0 listeners."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def cmd_ports(n):
    n = int(n)
    rng = random.Random()
    # Below the ephemeral range, so that no connection (SeaweedFS's own, or a port-0 server
    # started meanwhile) takes one of them before SeaweedFS binds it.
    top = ephemeral_low() - 10000 - n
    lo, hi = (10000, top) if top > 10100 else (20000, 50000)
    for _ in range(200):
        base = rng.randrange(lo, hi, 10)
        if all(port_free(base + k) and port_free(base + 10000 + k) for k in range(n)):
            print(base)
            return
    sys.exit("no free port range found on 127.0.0.1")


def cmd_hyperfine(path):
    with open(path) as f:
        r = json.load(f)["results"][0]
    print("%.3f" % (r["median"] * 1000))


# ---------------------------------------------------------------------------------------------
# report

def _size(mib):
    mib = int(mib)
    return f"{mib // 1024} GiB" if mib % 1024 == 0 else f"{mib} MiB"


def _env_int(name, default):
    return int(os.environ.get(name, default))


BIG = _size(_env_int("BENCH_BIG_MIB", 1024))
SMALL = f"{_env_int('BENCH_SMALL_N', 1000):,}"
STREAM = _size(_env_int("BENCH_STREAM_MIB", 10240))
CASES = [
    ("big", f"upload {BIG} file (cp)"),
    ("small", f"upload {SMALL} × 64 KiB (cp --recursive)"),
    ("tar", "upload tar --zstd of the tree"),
    ("get", f"download {BIG} to a file"),
    ("cat", f"download {BIG} to stdout (/dev/null)"),
    ("restore", "restore the tree's .tar.zst"),
    ("startup", "start-up (--version)"),
    ("stream", f"download {STREAM} to stdout (/dev/null)"),
    ("stream-sha", f"download {STREAM} to stdout (| sha256sum)"),
]
SERVERS = [("seaweedfs", "SeaweedFS"), ("store", "s3up serve (storing)"),
           ("discard", "s3up serve --discard")]
PROTOS = ["http", "https"]
PEERS = ["aws", "s5cmd", "rclone"]
# Measured beside the peers but never one of them (no ratio, no target): curl's single
# presigned GET, unverified, is what receiving the bytes costs at least.
REFERENCES = ["curl"]
LABEL = {
    ("big", "s3up"): "s3up cp",
    ("big", "aws"): "aws s3 cp",
    ("big", "s5cmd"): "s5cmd cp",
    ("big", "rclone"): "rclone copyto",
    ("small", "s3up"): "s3up cp --recursive",
    ("small", "aws"): "aws s3 cp --recursive",
    ("small", "s5cmd"): "s5cmd cp 'dir/*'",
    ("small", "rclone"): "rclone copy",
    ("tar", "s3up"): "s3up tar --zstd",
    ("tar", "aws"): "tar | zstd -1 | aws s3 cp -",
    ("tar", "s5cmd"): "tar | zstd -1 | s5cmd pipe",
    ("tar", "rclone"): "tar | zstd -1 | rclone rcat",
    ("get", "s3up"): "s3up cp s3://… FILE",
    ("get", "aws"): "aws s3 cp s3://… FILE",
    ("get", "s5cmd"): "s5cmd cp s3://… FILE",
    ("get", "rclone"): "rclone copyto",
    ("cat", "s3up"): "s3up cp s3://… -",
    ("cat", "aws"): "aws s3 cp s3://… -",
    ("cat", "s5cmd"): "s5cmd cat",
    ("cat", "rclone"): "rclone cat",
    ("get", "curl"): "reference: curl -o FILE (one presigned GET, no verification)",
    ("cat", "curl"): "reference: curl (one presigned GET, no verification)",
    ("restore", "s3up"): "s3up restore s3://… -C DIR",
    ("restore", "aws"): "aws s3 cp s3://… - | zstd -d | tar -x",
    ("startup", "s3up"): "s3up --version",
    ("startup", "aws"): "aws --version",
    ("startup", "s5cmd"): "s5cmd version",
    ("startup", "rclone"): "rclone --version",
    ("stream", "s3up"): "s3up cp s3://… - >/dev/null",
    ("stream-sha", "s3up"): "s3up cp s3://… - | sha256sum",
}
SHORT = {"big": f"upload {BIG}", "small": "small files", "tar": "tar --zstd",
         "get": "get to file", "cat": "get to stdout", "restore": "restore", "startup": "start-up"}
METRICS = [("wall", "wall s"), ("cpu", "CPU s"), ("rss", "peak RSS MiB")]
# The download engine's memory bound for standard output: (concurrency + 1) × part size, with
# s3up's defaults (4, 8 MiB), plus a constant for the program itself (its RSS downloading to a
# file is about 8 MiB).
STREAM_BOUND_MIB = (4 + 1) * 8
STREAM_CONSTANT_MIB = 8


def load(raw):
    """Medians per (case, server, proto, tool), and the failed runs and verifications."""
    rows = {}
    fails = []
    with open(raw) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 11 or parts[0] == "case":
                continue
            case, server, proto, tool, run, wall, user, sys_, rss, status, scpu = parts
            if status != "ok":
                fails.append((case, server, proto, tool, run, status))
                continue
            d = rows.setdefault((case, server, proto, tool),
                                {"wall": [], "cpu": [], "rss": [], "scpu": []})
            d["wall"].append(float(wall))
            if user != "-":
                d["cpu"].append(float(user) + float(sys_))
            if rss != "-":
                d["rss"].append(int(rss) / 1024.0)
            if scpu != "-":
                d["scpu"].append(float(scpu))
    med = {}
    for key, d in rows.items():
        med[key] = {m: (statistics.median(v) if v else None) for m, v in d.items()}
        med[key]["n"] = len(d["wall"])
        med[key]["wall_range"] = (min(d["wall"]), max(d["wall"])) if d["wall"] else None
    return med, fails


def md(text):
    """A markdown table cell: pipes escaped."""
    return text.replace("|", "\\|")


def fmt(v, nd=2):
    return "–" if v is None else f"{v:.{nd}f}"


def ratio_of(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


class Report:
    def __init__(self, med):
        self.med = med
        self.targets = []

    def get(self, case, tool, metric, proto="http", server="seaweedfs"):
        if case == "startup":
            proto, server = "-", "startup"
        m = self.med.get((case, server, proto, tool))
        return None if not m else m.get(metric)

    def best_peer(self, case, metric, proto):
        """(peer, value) with the lowest median of the metric, SeaweedFS, same protocol."""
        vals = [(p, self.get(case, p, metric, proto)) for p in PEERS]
        vals = [v for v in vals if v[1] is not None]
        return min(vals, key=lambda v: v[1]) if vals else (None, None)

    def target(self, issue, name, value, limit, unit, detail, why_missing=""):
        if value is None or limit is None:
            self.targets.append((issue, name, "NOT MEASURED", why_missing or detail))
        else:
            verdict = "MET" if value <= limit else "NOT MET"
            numbers = f"{value:.3g}{unit} vs limit {limit:.3g}{unit}"
            self.targets.append((issue, name, verdict, f"{numbers}; {detail}" if detail else numbers))

    def versus_best(self, issue, name, case, metric, factor, proto, unit=" s", note=""):
        """s3up's median ≤ factor × the best peer's (lowest), same case and protocol."""
        peer, best = self.best_peer(case, metric, proto)
        self.target(issue, name, self.get(case, "s3up", metric, proto),
                    None if best is None else factor * best, unit,
                    f"best peer {peer} {fmt(best)}{unit}{note}")

    def versus(self, issue, name, value, other, factor, detail, unit=" s"):
        self.target(issue, name, value, None if other is None else factor * other, unit, detail)


def targets(rep, have_restore):
    g = rep.get
    s5 = g("big", "s5cmd", "cpu")
    rep.versus("10", f"upload {BIG}, HTTP: client CPU ≤ 0.45 × s5cmd's", g("big", "s3up", "cpu"),
               s5, 0.45, f"s5cmd {fmt(s5)} s")
    rep.versus_best("10", f"upload {BIG}, HTTP: wall ≤ 1.0 × fastest peer's", "big", "wall", 1.0, "http")
    rep.target("10", f"upload {BIG}, HTTP: peak RSS ≤ 24 MiB", g("big", "s3up", "rss"), 24.0, " MiB", "")
    s5_small = g("small", "s5cmd", "wall")
    rep.versus("10", f"{SMALL} small files, HTTP: wall ≤ 0.7 × s5cmd's", g("small", "s3up", "wall"),
               s5_small, 0.7, f"s5cmd {fmt(s5_small)} s")
    rep.target("10", "tar --zstd, HTTP: peak RSS ≤ 64 MiB", g("tar", "s3up", "rss"), 64.0, " MiB", "")
    rep.versus("10", "tar --zstd, HTTP: CPU ≤ tar | zstd -1 | s5cmd pipe", g("tar", "s3up", "cpu"),
               g("tar", "s5cmd", "cpu"), 1.0, "whole pipeline's user+sys")
    st = g("startup", "s3up", "wall")
    rep.target("10", "start-up ≤ 5 ms", None if st is None else st * 1000, 5.0, " ms", "")

    for case, what in [("get", "to a file"), ("cat", "to stdout")]:
        floor = g(case, "curl", "cpu")
        rep.versus_best("15", f"download {BIG} {what}, HTTP: client CPU ≤ 0.5 × best peer's",
                        case, "cpu", 0.5, "http",
                        note="" if floor is None else
                        f"; reference curl, one unverified GET: {fmt(floor)} s")
        rep.versus_best("15", f"download {BIG} {what}, HTTP: wall ≤ 1.0 × fastest peer's",
                        case, "wall", 1.0, "http")
    rep.target("15", f"download {BIG} to a file, HTTP: peak RSS ≤ 32 MiB", g("get", "s3up", "rss"),
               32.0, " MiB", "")
    limit = STREAM_BOUND_MIB + STREAM_CONSTANT_MIB
    for case, what in [("stream", ">/dev/null"), ("stream-sha", "| sha256sum")]:
        rep.target("15", f"download {STREAM} to stdout ({what}): peak RSS ≤ (4 + 1) × 8 MiB + "
                   f"{STREAM_CONSTANT_MIB} MiB", g(case, "s3up", "rss", server="store"), limit,
                   " MiB", "s3up serve storing, HTTP")

    rep.versus_best("21", f"upload {BIG}, HTTPS: client CPU ≤ 0.35 × best peer's", "big", "cpu",
                    0.35, "https")
    rep.versus_best("21", f"upload {BIG}, HTTPS: wall ≤ 1.0 × fastest peer's", "big", "wall", 1.0,
                    "https")
    sw = g("big", "s3up", "wall")
    store_cpu = g("big", "s3up", "scpu", server="store")
    rep.versus("21", f"upload {BIG}, HTTP, s3up as client: s3up serve storing ≤ 1.0 × SeaweedFS's wall",
               g("big", "s3up", "wall", server="store"), sw, 1.0,
               f"SeaweedFS {fmt(sw)} s; server CPU: s3up serve {fmt(store_cpu)} s, "
               f"SeaweedFS {fmt(g('big', 's3up', 'scpu'))} s")

    rep.target("16", "restore, HTTP: peak RSS ≤ 64 MiB", g("restore", "s3up", "rss"), 64.0, " MiB",
               f"aws-cli pipeline: aws-cli {fmt(g('restore', 'aws', 'rss'), 1)} MiB",
               "" if have_restore else "this s3up has no 'restore' from s3://")


def results_table(w, med):
    w("| case | proto | tool | server | n | wall s (min–max) | CPU s | peak RSS MiB | server CPU s |")
    w("|---|---|---|---|---|---|---|---|---|")
    for case, title in CASES:
        for proto in (["-"] if case == "startup" else PROTOS):
            for server, srv in ([("startup", "–")] if case == "startup" else SERVERS):
                for tool in ["s3up"] + PEERS + REFERENCES:
                    m = med.get((case, server, proto, tool))
                    if not m:
                        continue
                    label = md(LABEL.get((case, tool), tool))
                    if case == "startup":
                        w(f"| {title} | – | {label} | – | {m['n']} | {m['wall'] * 1000:.1f} ms "
                          "| – | – | – |")
                        continue
                    lo_hi = m["wall_range"]
                    spread = f" ({lo_hi[0]:.2f}–{lo_hi[1]:.2f})" if lo_hi and m["n"] > 1 else ""
                    w(f"| {title} | {proto.upper()} | {label} | {srv} | {m['n']} | "
                      f"{fmt(m['wall'])}{spread} | {fmt(m['cpu'])} | {fmt(m['rss'], 1)} | "
                      f"{fmt(m['scpu'])} |")


def ratios_table(w, rep):
    """s3up ÷ best peer per case, protocol and metric (SeaweedFS, same run)."""
    ratios = {}
    w("| case | proto | wall | CPU | peak RSS |")
    w("|---|---|---|---|---|")
    for case, title in CASES:
        for proto in (["-"] if case == "startup" else PROTOS):
            if rep.get(case, "s3up", "wall", proto) is None:
                continue
            cells = []
            for metric, _name in METRICS:
                peer, best = rep.best_peer(case, metric, proto)
                r = ratio_of(rep.get(case, "s3up", metric, proto), best)
                ratios[(case, proto, metric)] = (r, peer)
                cells.append("–" if r is None else f"{r:.2f} (vs {peer})")
            shown = "–" if proto == "-" else proto.upper()
            w(f"| {title} | {shown} | " + " | ".join(cells) + " |")
    return ratios


def cmd_report(raw, outdir, meta=None):
    med, fails = load(raw)
    have_restore = os.environ.get("BENCH_HAVE_RESTORE", "1") == "1"
    rep = Report(med)
    lines = []
    w = lines.append
    w("# s3up benchmark")
    w("")
    if meta and os.path.exists(meta):
        with open(meta) as f:
            for m in f.read().strip().splitlines():
                w(f"- {m}")
        w("")
    w("Medians over the runs (n). CPU = client user+sys; peak RSS = the client process "
      "(for pipelines — `tar | zstd | TOOL`, `TOOL | zstd -d | tar -x`, `TOOL | sha256sum` — "
      "wall and CPU of the "
      "whole pipeline, RSS of TOOL; start-up: hyperfine median, ms). Server CPU = what the "
      "server process used during the run (SeaweedFS, or `s3up serve` storing or with "
      "--discard): when client + server CPU is near 2 cores × wall, the machine, not the "
      "client, bounds the wall time. Every tool at its defaults; over HTTPS each is given the "
      "CA (AWS_CA_BUNDLE, or rclone's --ca-cert as RCLONE_CA_CERT) and nothing else.")
    w("")
    results_table(w, med)
    w("")
    w("## s3up ÷ best peer (SeaweedFS, same run; < 1 is better)")
    w("")
    ratios = ratios_table(w, rep)
    w("")
    targets(rep, have_restore)
    w("## Targets (issues 10, 15, 16, 21)")
    w("")
    if (_env_int("BENCH_BIG_MIB", 1024), _env_int("BENCH_SMALL_N", 1000)) != (1024, 1000):
        w("Smaller data than the targets are set for (quick mode): the verdicts are indicative only.")
        w("")
    w("| issue | target | verdict | numbers |")
    w("|---|---|---|---|")
    for issue, name, verdict, detail in rep.targets:
        w(f"| {issue} | {md(name)} | **{verdict}** | {md(detail)} |")
    w("")
    if fails:
        w("## Failed runs and verifications")
        w("")
        for f in fails:
            w("- " + " ".join(f))
        w("")

    text = "\n".join(lines) + "\n"
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(outdir, "ratios.svg"), "w") as f:
        f.write(svg(ratios))
    print(text, end="")


def svg(ratios):
    """Grouped bars: per case and protocol, s3up ÷ best peer for wall, CPU and RSS; a line at 1."""
    colors = {"wall": "#4e79a7", "cpu": "#f28e2b", "rss": "#59a14f"}
    groups = []
    for case, title in CASES:
        for proto in ["-"] + PROTOS:
            if any(ratios.get((case, proto, m), (None,))[0] is not None for m, _ in METRICS):
                short = SHORT.get(case, title)
                groups.append((case, proto, short if proto == "-" else f"{short}, {proto.upper()}"))
    vals = [r[0] for r in ratios.values() if r[0] is not None]
    top = min(max([1.5] + [v * 1.1 for v in vals]), 10.0)
    left, right, topm, bottom = 70, 20, 50, 110
    W = max(760, left + right + 100 * len(groups))
    H = 440
    ph = H - topm - bottom
    pw = W - left - right
    gw = pw / max(1, len(groups))
    bw = gw / 4

    def y(v):
        return topm + ph - min(v, top) / top * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">'
           f's3up ÷ best peer (SeaweedFS, medians; lower is better)</text>']
    step = 0.25 if top <= 2 else (0.5 if top <= 4 else 1.0)
    v = 0.0
    while v <= top + 1e-9:
        out.append(f'<line x1="{left}" x2="{W - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   f'stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.2f}</text>')
        v += step
    for i, (case, proto, title) in enumerate(groups):
        x0 = left + i * gw + bw / 2
        for j, (m, _name) in enumerate(METRICS):
            r = ratios.get((case, proto, m))
            if not r or r[0] is None:
                continue
            x = x0 + j * bw
            out.append(f'<rect x="{x:.1f}" y="{y(r[0]):.1f}" width="{bw * 0.9:.1f}" '
                       f'height="{topm + ph - y(r[0]):.1f}" fill="{colors[m]}"/>')
            out.append(f'<text x="{x + bw * 0.45:.1f}" y="{y(r[0]) - 4:.1f}" '
                       f'text-anchor="middle" font-size="10">{r[0]:.2f}</text>')
            out.append(f'<text x="{x + bw * 0.45:.1f}" y="{topm + ph + 12:.1f}" '
                       f'text-anchor="middle" font-size="8">{r[1]}</text>')
        cx = left + i * gw + gw / 2
        cy = topm + ph + 22
        out.append(f'<text x="{cx:.1f}" y="{cy:.1f}" text-anchor="end" font-size="10" '
                   f'transform="rotate(-35 {cx:.1f} {cy:.1f})">{title}</text>')
    out.append(f'<line x1="{left}" x2="{W - right}" y1="{y(1.0):.1f}" y2="{y(1.0):.1f}" '
               f'stroke="black" stroke-dasharray="6,4"/>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{topm}" y2="{topm + ph}" stroke="black"/>')
    for j, (m, name) in enumerate(METRICS):
        lx = left + j * 150
        out.append(f'<rect x="{lx}" y="{H - 22}" width="12" height="12" fill="{colors[m]}"/>')
        out.append(f'<text x="{lx + 18}" y="{H - 12}">{name}</text>')
    out.append(f'<text x="{W - right}" y="{H - 12}" text-anchor="end" font-size="10">'
               f'under each bar: the best peer for that metric</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "random":
        cmd_random(*args)
    elif cmd == "small":
        cmd_small(*args)
    elif cmd == "tree":
        cmd_tree(*args)
    elif cmd == "ports":
        cmd_ports(*args)
    elif cmd == "hyperfine":
        cmd_hyperfine(*args)
    elif cmd == "report":
        meta = None
        if "--meta" in args:
            i = args.index("--meta")
            meta = args[i + 1]
            args = args[:i] + args[i + 2:]
        cmd_report(*args, meta=meta)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
