"""What the client matrix needs besides the clients: running commands, the server's access log,
and a reference reader (curl with --aws-sigv4) that checks what the server stored without going
through the client under test."""

import os
import re
import subprocess
import urllib.parse
from dataclasses import dataclass

# A command that hangs (a client waiting for a 100-continue that never comes, say) fails its cell
# after this long instead of stalling the run.
TIMEOUT = 60


class Fail(Exception):
    """A cell's check failed; the message says what was expected and what happened."""


def tail(text, limit=600):
    text = (text or "").strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def gist(text):
    """The lines of a tool's output that name the error (else its end)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    raised = [line for line in lines if re.match(r"[\w.]+(Error|Exception)\b", line)]
    named = [line for line in lines if re.search(r"error|fail|exception|denied|refused|timed out|invalid", line, re.I)]
    picked = raised[-1:] + [line for line in named[-3:] if line not in raised[-1:]]
    return tail("\n".join(picked or lines[-4:]))


def run(cmd, env=None, timeout=TIMEOUT, stdout_path=None):
    """Run CMD; return its stdout (text), or raise Fail with the exit status and stderr."""
    shown = " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
    try:
        done = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise Fail(f"`{shown}` did not finish in {timeout}s; stderr: {gist(e.stderr and e.stderr.decode(errors='replace'))}")
    finally:
        if stdout_path:
            out.close()
    if done.returncode != 0:
        stdout = "" if stdout_path else done.stdout.decode(errors="replace")
        raise Fail(f"`{shown}` exited {done.returncode}: {gist(done.stderr.decode(errors='replace') or stdout)}")
    return "" if stdout_path else done.stdout.decode(errors="replace")


# bucket-owner bucket [time] remote-ip requester request-id OPERATION KEY "REQUEST-URI" STATUS ERROR ...
LOG_LINE = re.compile(r'^\S+ (\S+) \[[^\]]*\] \S+ \S+ \S+ (\S+) (\S+) "([^"]*)" (\d{3}) (\S+)')


@dataclass
class Request:
    bucket: str
    operation: str
    key: str
    uri: str
    status: int
    error: str
    line: str


class AccessLog:
    """The server's access log, read from a mark: the requests one cell made."""

    def __init__(self, path):
        self.path = path

    def mark(self):
        return os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def since(self, mark):
        with open(self.path, "rb") as f:
            f.seek(mark)
            lines = f.read().decode(errors="replace").splitlines()
        out = []
        for line in lines:
            m = LOG_LINE.match(line)
            if m:
                b, op, key, uri, status, err = m.groups()
                out.append(Request(b, op, urllib.parse.unquote(key), uri, int(status), err, line))
        return out


class Reference:
    """Reads and probes objects with curl --aws-sigv4: independent of every client under test."""

    def __init__(self, endpoint, ca, access_key, secret_key, region="us-east-1"):
        self.endpoint, self.ca = endpoint.rstrip("/"), ca
        self.base = ["curl", "-sS", "--aws-sigv4", f"aws:amz:{region}:s3", "--user", f"{access_key}:{secret_key}",
                     "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
        if ca:
            self.base += ["--cacert", ca]

    def url(self, bucket, key):
        return f"{self.endpoint}/{bucket}/{urllib.parse.quote(key, safe='/~')}"

    def get(self, bucket, key, path):
        if os.path.exists(path):
            os.remove(path)
        code = run(self.base + ["-o", path, "-w", "%{http_code}", self.url(bucket, key)])
        if code != "200":
            raise Fail(f"reading back s3://{bucket}/{key}: HTTP {code}")
        if not os.path.exists(path):
            open(path, "wb").close()  # curl writes no file for an empty body

    def status(self, bucket, key):
        return run(self.base + ["-I", "-o", "/dev/null", "-w", "%{http_code}", self.url(bucket, key)])

    def curl(self, *args):
        """Plain curl (for presigned URLs), trusting the server's CA; returns the HTTP status."""
        base = ["curl", "-sS", "-w", "%{http_code}"] + (["--cacert", self.ca] if self.ca else [])
        return run(base + list(args))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def same_file(path, data, what):
    got = read(path)
    if got != data:
        raise Fail(f"{what}: {len(got)} bytes differ from the {len(data)} expected")
