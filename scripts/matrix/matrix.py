"""The client matrix: every client x every operation against `s3up serve`, over HTTP and HTTPS.

Run by scripts/interop-matrix.sh (which installs the clients under target/ and builds s3up):
    python matrix.py --s3up BIN --tools DIR --work DIR [--clients a,b] [--protos http,tls] [--report FILE]
Prints one line per cell as it runs, then the matrix and every failure with its error and the
access-log lines of the failing requests; exits 1 when any cell failed.
"""

import argparse
import copy as copy_mod
import json
import os
import random
import re
import subprocess
import sys
import time

from cells import CELLS, OPS, SEED
from clients import Boto3, Boto3Crt, JsV3, Tools
from clis import AwsCli, Rclone, S3cmd, S5cmd
from common import AccessLog, Fail, Reference, run, tail

CLIENTS = [Boto3, Boto3Crt, AwsCli, JsV3, Rclone, S5cmd, S3cmd]
KEY, SECRET = "AKIDMATRIX", "matrix-secret-key"
MIB = 1024 * 1024


class Fixtures:
    """The objects the cells put, read and list; `out` is bound to one cell's scratch directory."""

    def __init__(self, work):
        self.dir = os.path.join(work, "fixtures")
        os.makedirs(self.dir, exist_ok=True)
        rng = random.Random(20261203)
        self.blobs = {"small.bin": rng.randbytes(70_001), "put.bin": rng.randbytes(33_333), "empty.bin": b"",
                      "big.bin": rng.randbytes(18 * MIB + 4321)}
        for name, data in self.blobs.items():
            with open(self.path(name), "wb") as f:
                f.write(data)
        # More keys than one page of 1000, a space, a plus and non-ASCII (encoding-type=url).
        top = {f"k{i:04d}": bytes([65 + i % 26]) * (i % 13 + 1) for i in range(1010)}
        top["top+plus.txt"] = b"plus"
        nested = {"d1/x.txt": b"x", "d1/y z.txt": b"yz", "d2/\u00fc.txt": b"u-umlaut"}
        self.list_tree = self.write_tree(os.path.join(self.dir, "list"), {**top, **nested})
        self.list_all = {("list/" + k, len(v)) for k, v in self.list_tree.items()}
        self.list_top = {("list/" + k, len(v)) for k, v in top.items()}
        self.list_prefixes = {"list/d1/", "list/d2/"}
        self.sync_tree = {"a.txt": b"alpha\n" * 100, "empty.txt": b"", "sub/b.bin": rng.randbytes(100_000),
                          "sub/deep/c.txt": b"c\n", "with space.txt": b"space\n"}
        self.out_dir = self.dir

    @staticmethod
    def write_tree(root, tree):
        for rel, data in tree.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        return tree

    def path(self, name):
        return os.path.join(self.dir, name)

    def data(self, name):
        return self.blobs[name]

    def at(self, out_dir):
        os.makedirs(out_dir, exist_ok=True)
        bound = copy_mod.copy(self)
        bound.out_dir = out_dir
        return bound

    def out(self, name):
        return os.path.join(self.out_dir, name)

    def make_sync_tree(self, name):
        src = self.out("sync-src")
        self.write_tree(src, self.sync_tree)
        return src

    def change_sync_tree(self, src):
        """One file changed (new size, newer mtime) and one added; returns the new tree."""
        changed = dict(self.sync_tree, **{"a.txt": b"changed\n", "added/new.txt": b"new\n"})
        self.write_tree(src, {k: changed[k] for k in ("a.txt", "added/new.txt")})
        later = time.time() + 2
        os.utime(os.path.join(src, "a.txt"), (later, later))
        return changed


class Server:
    """One `s3up serve` (HTTP or --tls) with the seed bucket and one bucket per client."""

    def __init__(self, proto, s3up, work, buckets):
        self.proto, self.s3up, self.dir = proto, s3up, os.path.join(work, proto)
        os.makedirs(self.dir, exist_ok=True)
        self.access_key, self.secret_key = KEY, SECRET
        self.log = AccessLog(os.path.join(self.dir, "access.log"))
        cmd = [s3up, "serve", "--addr", "127.0.0.1:0", "--access-log", self.log.path]
        cmd += [a for b in buckets for a in ("--bucket", b)] + (["--tls"] if proto == "tls" else [])
        self.out = os.path.join(self.dir, "serve.out")
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        self.endpoint = self.wait_for("ready: ")
        self.ca = self.wait_for("ca bundle:").split(" (")[0].strip() if proto == "tls" else None
        self.ref = Reference(self.endpoint, self.ca, KEY, SECRET)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        empty = os.path.join(self.dir, "empty-aws-config")
        open(empty, "w").close()
        self.env.update(HOME=self.dir, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_REGION="us-east-1",
                        AWS_CONFIG_FILE=empty, AWS_SHARED_CREDENTIALS_FILE=empty, AWS_EC2_METADATA_DISABLED="true")

    def wait_for(self, prefix, seconds=30):
        for _ in range(seconds * 10):
            with open(self.out, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith(prefix):
                        return line[len(prefix):].strip()
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        with open(self.out, encoding="utf-8", errors="replace") as f:
            raise SystemExit(f"s3up serve ({self.proto}) printed no '{prefix}' line:\n{f.read()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def s3up_cp(self, *args):
        cmd = [self.s3up, "cp", "--endpoint-url", self.endpoint, "--no-progress", "--quiet"]
        run(cmd + (["--ca-bundle", self.ca] if self.ca else []) + list(args), env=self.env, timeout=300)

    def upload(self, path, bucket, key):
        self.s3up_cp(path, f"s3://{bucket}/{key}")

    def download(self, bucket, key, dest):
        """s3up's own download of an object (verified against its stored checksum): its --json."""
        cmd = [self.s3up, "cp", "--endpoint-url", self.endpoint, "--no-progress", "--json"]
        cmd += ["--ca-bundle", self.ca] if self.ca else []
        out = run(cmd + [f"s3://{bucket}/{key}", dest], env=self.env, timeout=300)
        return json.loads(out.splitlines()[-1])

    def seed(self, fx):
        """The objects every client reads, put there by s3up (not by a client under test)."""
        mark = self.log.mark()
        self.upload(fx.path("small.bin"), SEED, "small.bin")
        self.s3up_cp("--multipart-threshold", "5MiB", "--part-size", "5MiB", fx.path("big.bin"), f"s3://{SEED}/big.bin")
        self.s3up_cp("--recursive", os.path.join(fx.dir, "list"), f"s3://{SEED}/list/")
        parts = sum(1 for r in self.log.since(mark) if r.operation == "REST.PUT.PART" and r.key == "big.bin")
        if parts < 2:
            raise SystemExit(f"seeding: big.bin went up in {parts} part(s), expected a multipart object")


def bucket_of(client_cls):
    return "m-" + client_cls.name.replace("+", "-")


def run_cell(srv, client, op, fx):
    if op in client.na:
        return "n/a", client.na[op]
    mark, start = srv.log.mark(), time.monotonic()
    try:
        note = CELLS[op](client, srv, fx.at(os.path.join(srv.dir, client.name, op)), bucket_of(type(client)))
        return "ok", f"{time.monotonic() - start:.1f}s" + (f" ({note})" if note else "")
    except Fail as e:
        error = str(e)
    except Exception as e:  # a driver's output that could not be parsed, say: still this cell's failure
        error = f"{type(e).__name__}: {e}"
    time.sleep(0.2)  # the failing request's log line is written as its answer completes
    requests = srv.log.since(mark)
    bad = [r.line for r in requests if r.status >= 400] or [r.line for r in requests[-2:]]
    return "FAIL", {"error": error, "log": bad[:4], "requests": len(requests)}


def run_matrix(args, fx, results):
    tools = Tools(args.tools, os.path.dirname(os.path.abspath(__file__)))
    chosen = [c for c in CLIENTS if not args.clients or c.name in args.clients.split(",")]
    for proto in args.protos.split(","):
        srv = Server(proto, args.s3up, args.work, [SEED] + [bucket_of(c) for c in chosen])
        try:
            print(f"== {proto}: s3up serve at {srv.endpoint}", flush=True)
            srv.seed(fx)
            for cls in chosen:
                client = cls(srv, tools, os.path.join(srv.dir, cls.name))
                for op in OPS:
                    verdict, detail = run_cell(srv, client, op, fx)
                    results[(cls.name, proto, op)] = (verdict, detail)
                    shown = detail if verdict != "FAIL" else tail(detail["error"], 300)
                    print(f"[{proto}] {cls.name:9} {op:8} {verdict:4} {shown}", flush=True)
        finally:
            srv.stop()
    return chosen


def table(chosen, protos, results):
    head = ["client", "proto"] + OPS
    rows = [[c.name, p] + [results[(c.name, p, op)][0] for op in OPS] for p in protos for c in chosen]
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    fmt = lambda r: "| " + " | ".join(v.ljust(w) for v, w in zip(r, widths)) + " |"
    lines = [fmt(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [fmt(r) for r in rows]
    na = {(name, op): why for (name, _, op), (verdict, why) in results.items() if verdict == "n/a"}
    lines += [""] + [f"n/a: {name} {op}: {why}" for (name, op), why in sorted(na.items())]
    return "\n".join(lines)


def compact(line):
    """An access-log line without the owner/requester/host ids: what routes a failure."""
    return re.sub(r"\b[0-9a-f]{64}\b ?|\S{43}= ", "", line)


def failures(results):
    out = []
    for (name, proto, op), (verdict, detail) in results.items():
        if verdict == "FAIL":
            out.append(f"- {name} / {op} / {proto}: {tail(detail['error'], 700)}")
            out += [f"    log: {compact(line)}" for line in detail["log"][:3]]
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--s3up", required=True)
    p.add_argument("--tools", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--clients", default="")
    p.add_argument("--protos", default="http,tls")
    p.add_argument("--report", default="")
    args = p.parse_args()
    results = {}
    fx = Fixtures(args.work)
    chosen = run_matrix(args, fx, results)
    text = "client matrix (s3up serve; ok / FAIL / n/a)\n\n" + table(chosen, args.protos.split(","), results)
    failed = failures(results)
    text += "\n\nfailures:\n" + failed if failed else "\n\nno failures"
    print("\n" + text)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text + "\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
