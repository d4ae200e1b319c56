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
    case  server  tool  run  wall_s  user_s  sys_s  rss_kib  status  server_cpu_s
(case startup: wall_s is the median start-up time in seconds, CPU and RSS are "-").
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


CASES = [
    ("big", f"{_size(os.environ.get('BENCH_BIG_MIB', 1024))} file (cp)"),
    ("small", f"{int(os.environ.get('BENCH_SMALL_N', 1000)):,} × 64 KiB (cp --recursive)"),
    ("tar", "tar --zstd of the tree"),
    ("startup", "start-up (--version)"),
]
PEERS = ["aws", "s5cmd", "rclone"]
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
    ("startup", "s3up"): "s3up --version",
    ("startup", "aws"): "aws --version",
    ("startup", "s5cmd"): "s5cmd version",
    ("startup", "rclone"): "rclone --version",
}
METRICS = [("wall", "wall s"), ("cpu", "CPU s"), ("rss", "peak RSS MiB")]


def load(raw):
    rows = {}
    fails = []
    with open(raw) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 9:
                parts.append("-")
            if len(parts) != 10 or parts[0] == "case":
                continue
            case, server, tool, run, wall, user, sys_, rss, status, scpu = parts
            if status != "ok":
                fails.append((case, server, tool, run, status))
                continue
            d = rows.setdefault((case, server, tool),
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


def cmd_report(raw, outdir, meta=None):
    med, fails = load(raw)
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
      "(for `tar | zstd | TOOL` pipelines: wall and CPU of the whole pipeline, RSS of TOOL; "
      "start-up: hyperfine median, ms). Server CPU = what the server process used during the "
      "run (SeaweedFS, or the embedded server with --discard): when client + server CPU is near "
      "2 cores × wall, the machine, not the client, bounds the wall time.")
    w("")
    w("| case | tool | server | n | wall s (min–max) | CPU s | peak RSS MiB | server CPU s |")
    w("|---|---|---|---|---|---|---|---|")
    for case, title in CASES:
        for server in ["seaweedfs", "discard"]:
            for tool in ["s3up"] + PEERS:
                m = med.get((case, server, tool))
                if not m:
                    continue
                label = md(LABEL.get((case, tool), tool))
                if case == "startup":
                    w(f"| {title} | {label} | – | {m['n']} | {m['wall'] * 1000:.1f} ms | – | – | – |")
                else:
                    srv = "SeaweedFS" if server == "seaweedfs" else "s3up serve --discard"
                    lo_hi = m["wall_range"]
                    spread = f" ({lo_hi[0]:.2f}–{lo_hi[1]:.2f})" if lo_hi and m["n"] > 1 else ""
                    w(f"| {title} | {label} | {srv} | {m['n']} | {fmt(m['wall'])}{spread} | "
                      f"{fmt(m['cpu'])} | {fmt(m['rss'], 1)} | {fmt(m['scpu'])} |")
    w("")

    # ratios s3up ÷ best peer, per case and metric (SeaweedFS, same run)
    ratios = {}
    w("## s3up ÷ best peer (SeaweedFS, same run; < 1 is better)")
    w("")
    w("| case | wall | CPU | peak RSS |")
    w("|---|---|---|---|")
    for case, title in CASES:
        server = "startup" if case == "startup" else "seaweedfs"
        s = med.get((case, server, "s3up"))
        if not s:
            continue
        cells = []
        for metric, _name in METRICS:
            best = None
            for p in PEERS:
                m = med.get((case, server, p))
                if m and m.get(metric) is not None and (best is None or m[metric] < best[1]):
                    best = (p, m[metric])
            r = ratio_of(s.get(metric), best[1]) if best else None
            ratios[(case, metric)] = (r, best[0] if best else None)
            cells.append("–" if r is None else f"{r:.2f} (vs {best[0]})")
        w(f"| {title} | " + " | ".join(cells) + " |")
    w("")

    # targets of issue 10
    def get(case, tool, metric, server="seaweedfs"):
        m = med.get((case, server, tool))
        return None if not m else m.get(metric)

    targets = []

    def target(name, value, limit, unit, detail):
        if value is None or limit is None:
            targets.append((name, "NOT MEASURED", detail))
        else:
            ok = value <= limit
            targets.append((name, "MET" if ok else "NOT MET",
                            f"{value:.3g}{unit} vs limit {limit:.3g}{unit}; {detail}"))

    s_cpu, s5_cpu = get("big", "s3up", "cpu"), get("big", "s5cmd", "cpu")
    target("1 GiB: client CPU ≤ 0.45 × s5cmd's", s_cpu,
           None if s5_cpu is None else 0.45 * s5_cpu, " s", f"s5cmd {fmt(s5_cpu)} s")
    peers_wall = [(p, get("big", p, "wall")) for p in PEERS if get("big", p, "wall") is not None]
    fastest = min(peers_wall, key=lambda x: x[1]) if peers_wall else (None, None)
    target("1 GiB: wall ≤ 1.0 × fastest peer's", get("big", "s3up", "wall"), fastest[1], " s",
           f"fastest peer {fastest[0]}")
    target("1 GiB: peak RSS ≤ 24 MiB", get("big", "s3up", "rss"), 24.0, " MiB", "")
    s5_small = get("small", "s5cmd", "wall")
    target("1,000 small files: wall ≤ 0.7 × s5cmd's", get("small", "s3up", "wall"),
           None if s5_small is None else 0.7 * s5_small, " s", f"s5cmd {fmt(s5_small)} s")
    target("tar --zstd: peak RSS ≤ 64 MiB", get("tar", "s3up", "rss"), 64.0, " MiB", "")
    target("tar --zstd: CPU ≤ tar | zstd -1 | s5cmd pipe", get("tar", "s3up", "cpu"),
           get("tar", "s5cmd", "cpu"), " s", "whole pipeline's user+sys")
    st = get("startup", "s3up", "wall", server="startup")
    target("start-up ≤ 5 ms", None if st is None else st * 1000, 5.0, " ms", "")

    w("## Targets (issue 10)")
    w("")
    if (int(os.environ.get("BENCH_BIG_MIB", 1024)), int(os.environ.get("BENCH_SMALL_N", 1000))) != (1024, 1000):
        w("Smaller data than the targets are set for (quick mode): the verdicts are indicative only.")
        w("")
    w("| target | verdict | numbers |")
    w("|---|---|---|")
    for name, verdict, detail in targets:
        w(f"| {md(name)} | **{verdict}** | {detail} |")
    w("")
    if fails:
        w("## Failed runs")
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
    """Grouped bars: per case, s3up ÷ best peer for wall, CPU and RSS; a line at 1.0."""
    colors = {"wall": "#4e79a7", "cpu": "#f28e2b", "rss": "#59a14f"}
    cases = [(c, t) for c, t in CASES if any(ratios.get((c, m))
                                             and ratios[(c, m)][0] is not None
                                             for m, _ in METRICS)]
    vals = [ratios[k][0] for k in ratios if ratios[k][0] is not None]
    top = max([1.5] + [v * 1.1 for v in vals])
    top = min(top, 10.0)
    W, H = 760, 420
    left, right, topm, bottom = 60, 20, 50, 90
    ph = H - topm - bottom
    pw = W - left - right
    gw = pw / max(1, len(cases))
    bw = gw / 5

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
    for i, (case, title) in enumerate(cases):
        x0 = left + i * gw + bw
        for j, (m, _name) in enumerate(METRICS):
            r = ratios.get((case, m))
            if not r or r[0] is None:
                continue
            x = x0 + j * bw
            out.append(f'<rect x="{x:.1f}" y="{y(r[0]):.1f}" width="{bw * 0.9:.1f}" '
                       f'height="{topm + ph - y(r[0]):.1f}" fill="{colors[m]}"/>')
            out.append(f'<text x="{x + bw * 0.45:.1f}" y="{y(r[0]) - 4:.1f}" '
                       f'text-anchor="middle" font-size="11">{r[0]:.2f}</text>')
            out.append(f'<text x="{x + bw * 0.45:.1f}" y="{topm + ph + 14:.1f}" '
                       f'text-anchor="middle" font-size="9">{r[1]}</text>')
        out.append(f'<text x="{left + i * gw + gw / 2:.1f}" y="{topm + ph + 32:.1f}" '
                   f'text-anchor="middle">{title}</text>')
    out.append(f'<line x1="{left}" x2="{W - right}" y1="{y(1.0):.1f}" y2="{y(1.0):.1f}" '
               f'stroke="black" stroke-dasharray="6,4"/>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{topm}" y2="{topm + ph}" stroke="black"/>')
    for j, (m, name) in enumerate(METRICS):
        lx = left + j * 150
        out.append(f'<rect x="{lx}" y="{H - 30}" width="12" height="12" fill="{colors[m]}"/>')
        out.append(f'<text x="{lx + 18}" y="{H - 20}">{name}</text>')
    out.append(f'<text x="{W - right}" y="{H - 20}" text-anchor="end" font-size="10">'
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
