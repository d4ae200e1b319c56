"""The command-line clients of the matrix: aws-cli v1, rclone, s5cmd, s3cmd (see clients.py)."""

import json
import os

from clients import MB5, Client
from common import Fail, run


def s3url(b, k=""):
    return f"s3://{b}/{k}"


class AwsCli(Client):
    name = "aws-cli"
    na = {}

    def aws_config(self):
        # Without s3v4 here, `aws s3 presign` makes SigV2 URLs.
        return "[default]\nregion = us-east-1\ns3 =\n    signature_version = s3v4\n"

    def aws(self, *args, stdout_path=None):
        cmd = [self.tools.aws, "--endpoint-url", self.server.endpoint]
        if self.server.ca:
            cmd += ["--ca-bundle", self.server.ca]
        return run(cmd + list(args), env=self.env, stdout_path=stdout_path)

    def put(self, b, k, path): self.aws("s3", "cp", "--only-show-errors", path, s3url(b, k))
    def get(self, b, k, path): self.aws("s3", "cp", "--only-show-errors", s3url(b, k), path)
    def delete(self, b, k): self.aws("s3", "rm", "--only-show-errors", s3url(b, k))
    # 8 MiB threshold and parts by default: the 18 MiB object goes up in parts and down in ranges.
    def mp_up(self, b, k, path): self.put(b, k, path)
    def mp_down(self, b, k, path): self.get(b, k, path)
    def copy(self, b, src, db, dst): self.aws("s3", "cp", "--only-show-errors", s3url(b, src), s3url(db, dst))
    def mp_copy(self, b, src, db, dst): self.copy(b, src, db, dst)  # above 8 MiB: UploadPartCopy
    def presign_get(self, b, k): return self.aws("s3", "presign", s3url(b, k), "--expires-in", "300").strip()
    def presign_put(self, b, k): return None  # `aws s3 presign` makes GET URLs only
    def sync_up(self, d, b, prefix): self.aws("s3", "sync", "--only-show-errors", d, s3url(b, prefix))
    def sync_down(self, b, prefix, d): self.aws("s3", "sync", "--only-show-errors", s3url(b, prefix), d)

    def range(self, b, k, first, last, path, data):
        self.aws("s3api", "get-object", "--bucket", b, "--key", k, "--range", f"bytes={first}-{last}", path)

    def head(self, b, k):
        return json.loads(self.aws("s3api", "head-object", "--bucket", b, "--key", k))["ContentLength"]

    def list_all(self, b, prefix):
        got = json.loads(self.aws("s3api", "list-objects-v2", "--bucket", b, "--prefix", prefix, "--page-size", "250"))
        return {(o["Key"], o["Size"]) for o in got.get("Contents", [])}

    def list_delim(self, b, prefix):
        keys, prefixes = set(), set()
        for line in self.aws("s3", "ls", s3url(b, prefix)).splitlines():
            fields = line.split(None, 3)
            if len(fields) == 2 and fields[0] == "PRE":
                prefixes.add(prefix + fields[1])
            elif len(fields) == 4:
                keys.add((prefix + fields[3], int(fields[2])))
            else:
                raise Fail(f"unexpected `aws s3 ls` line: {line!r}")
        return keys, prefixes


class Rclone(Client):
    name = "rclone"

    def __init__(self, *args):
        super().__init__(*args)
        # provider Other, as for any S3-compatible server: with provider AWS, rclone 1.75 signs
        # the payload over plain HTTP and cannot, as it streams the file (PutObject "failed to
        # compute payload hash: ... request stream is not seekable", before any request is sent).
        conf = os.path.join(self.scratch, "rclone.conf")
        open(conf, "w").close()
        self.env.update(RCLONE_CONFIG=conf, RCLONE_CONFIG_M_TYPE="s3", RCLONE_CONFIG_M_PROVIDER="Other",
                        RCLONE_CONFIG_M_ACCESS_KEY_ID=self.server.access_key,
                        RCLONE_CONFIG_M_SECRET_ACCESS_KEY=self.server.secret_key,
                        RCLONE_CONFIG_M_REGION="us-east-1", RCLONE_CONFIG_M_ENDPOINT=self.server.endpoint,
                        RCLONE_CONFIG_M_FORCE_PATH_STYLE="true")

    def rc(self, *args, stdout_path=None):
        # Few retries: the server is deterministic, a retried failure only costs time.
        cmd = [self.tools.rclone, "--retries", "1", "--low-level-retries", "2"]
        if self.server.ca:
            cmd += ["--ca-cert", self.server.ca]
        return run(cmd + list(args), env=self.env, stdout_path=stdout_path)

    def put(self, b, k, path): self.rc("copyto", path, f"m:{b}/{k}")
    def get(self, b, k, path): self.rc("copyto", f"m:{b}/{k}", path)
    def delete(self, b, k): self.rc("deletefile", f"m:{b}/{k}")
    def mp_up(self, b, k, path): self.rc("copyto", "--s3-upload-cutoff", MB5, "--s3-chunk-size", MB5, path, f"m:{b}/{k}")
    def copy(self, b, src, db, dst): self.rc("copyto", f"m:{b}/{src}", f"m:{db}/{dst}")
    def mp_copy(self, b, src, db, dst): self.rc("copyto", "--s3-copy-cutoff", MB5, f"m:{b}/{src}", f"m:{db}/{dst}")
    def presign_get(self, b, k): return self.rc("link", "--expire", "5m", f"m:{b}/{k}").strip()
    def presign_put(self, b, k): return None  # `rclone link` makes GET URLs only
    def sync_up(self, d, b, prefix): self.rc("sync", d, f"m:{b}/{prefix}")
    def sync_down(self, b, prefix, d): self.rc("sync", f"m:{b}/{prefix}", d)

    def mp_down(self, b, k, path):
        self.rc("copyto", "--multi-thread-cutoff", MB5, "--multi-thread-streams", "4",
                "--multi-thread-chunk-size", MB5, f"m:{b}/{k}", path)

    def range(self, b, k, first, last, path, data):
        self.rc("cat", "--offset", str(first), "--count", str(last - first + 1), f"m:{b}/{k}", stdout_path=path)

    def head(self, b, k):
        return json.loads(self.rc("lsjson", "--stat", f"m:{b}/{k}"))["Size"]

    def list_all(self, b, prefix):
        got = json.loads(self.rc("lsjson", "-R", "--files-only", "--s3-list-chunk", "250", f"m:{b}/{prefix}"))
        return {(prefix + o["Path"], o["Size"]) for o in got}

    def list_delim(self, b, prefix):
        got = json.loads(self.rc("lsjson", "--s3-list-chunk", "250", f"m:{b}/{prefix}"))
        keys = {(prefix + o["Path"], o["Size"]) for o in got if not o["IsDir"]}
        return keys, {prefix + o["Path"] + "/" for o in got if o["IsDir"]}


class S5cmd(Client):
    name = "s5cmd"
    na = {
        "range": "s5cmd 2.3 has no byte-range read: cat and cp fetch whole objects",
        "mp-copy": "s5cmd 2.3 copies with CopyObject only (no UploadPartCopy: peak/s5cmd#29)",
    }

    def __init__(self, *args):
        super().__init__(*args)
        if self.server.ca:
            self.env["SSL_CERT_FILE"] = self.server.ca  # Go's way of trusting a CA file

    def s5(self, *args, stdout_path=None):
        cmd = [self.tools.s5cmd, "--endpoint-url", self.server.endpoint, "--retry-count", "2"]
        return run(cmd + list(args), env=self.env, stdout_path=stdout_path)

    def put(self, b, k, path): self.s5("cp", path, s3url(b, k))
    def get(self, b, k, path): self.s5("cp", s3url(b, k), path)
    def delete(self, b, k): self.s5("rm", s3url(b, k))
    def mp_up(self, b, k, path): self.s5("cp", "-p", "5", "-c", "4", path, s3url(b, k))
    def mp_down(self, b, k, path): self.s5("cp", "-p", "5", "-c", "4", s3url(b, k), path)
    def copy(self, b, src, db, dst): self.s5("cp", s3url(b, src), s3url(db, dst))
    def presign_get(self, b, k): return self.s5("presign", "--expire", "5m", s3url(b, k)).strip()
    def presign_put(self, b, k): return None  # `s5cmd presign` makes GET URLs only
    def sync_up(self, d, b, prefix): self.s5("sync", d.rstrip("/") + "/", s3url(b, prefix))
    def sync_down(self, b, prefix, d): self.s5("sync", s3url(b, prefix) + "*", d.rstrip("/") + "/")

    def head(self, b, k):
        return json.loads(self.s5("--json", "head", s3url(b, k)))["size"]

    def listing(self, url):
        return [json.loads(line) for line in self.s5("--json", "ls", url).splitlines() if line.strip()]

    def list_all(self, b, prefix):
        # A wildcard lists recursively (no delimiter); paging is the SDK's, 1000 keys a page.
        return {(o["key"][len(s3url(b)):], o["size"]) for o in self.listing(s3url(b, prefix) + "*")}

    def list_delim(self, b, prefix):
        got = self.listing(s3url(b, prefix))
        keys = {(o["key"][len(s3url(b)):], o["size"]) for o in got if o["type"] != "directory"}
        return keys, {o["key"][len(s3url(b)):] for o in got if o["type"] == "directory"}


class S3cmd(Client):
    name = "s3cmd"
    ranged_download = False  # one GET per object; s3cmd has no ranged or parallel download
    na = {"presign": "`s3cmd signurl` makes SigV2 URLs only (S3/Crypto.py has sign_url_v2, no v4)"}

    def __init__(self, *args):
        super().__init__(*args)
        self.cfg = os.path.join(self.scratch, "s3cmd.cfg")
        host = self.server.endpoint.split("://", 1)[1].rstrip("/")
        tls = bool(self.server.ca)
        with open(self.cfg, "w") as f:
            f.write(f"""[default]
access_key = {self.server.access_key}
secret_key = {self.server.secret_key}
bucket_location = us-east-1
host_base = {host}
host_bucket = {host}
use_https = {tls}
ca_certs_file = {self.server.ca or ""}
check_ssl_certificate = True
check_ssl_hostname = True
signature_v2 = False
multipart_chunk_size_mb = 5
multipart_copy_chunk_size_mb = 5
progress_meter = False
""")

    def s3(self, *args, stdout_path=None):
        return run([self.tools.python, self.tools.s3cmd, "-c", self.cfg] + list(args), env=self.env,
                   stdout_path=stdout_path)

    def put(self, b, k, path): self.s3("put", path, s3url(b, k))
    def get(self, b, k, path): self.s3("get", "--force", s3url(b, k), path)
    def delete(self, b, k): self.s3("del", s3url(b, k))
    def mp_up(self, b, k, path): self.put(b, k, path)  # 5 MiB parts (multipart_chunk_size_mb)
    def mp_down(self, b, k, path): self.get(b, k, path)
    def copy(self, b, src, db, dst): self.s3("cp", s3url(b, src), s3url(db, dst))
    def mp_copy(self, b, src, db, dst): self.copy(b, src, db, dst)  # above 5 MiB: UploadPartCopy
    def sync_up(self, d, b, prefix): self.s3("sync", d.rstrip("/") + "/", s3url(b, prefix))
    def sync_down(self, b, prefix, d): self.s3("sync", s3url(b, prefix), d.rstrip("/") + "/")

    def range_args(self, data, first, last):
        return first, len(data) - 1

    def range(self, b, k, first, last, path, data):
        # s3cmd's only ranged read: resuming a download (`get --continue` sends Range: bytes=N-).
        with open(path, "wb") as f:
            f.write(data[:first])
        self.s3("get", "--continue", s3url(b, k), path)
        with open(path, "rb") as f:
            rest = f.read()[first:]
        with open(path, "wb") as f:
            f.write(rest)

    def head(self, b, k):
        for line in self.s3("info", s3url(b, k)).splitlines():
            if line.strip().startswith("File size:"):
                return int(line.split(":", 1)[1])
        raise Fail("`s3cmd info` printed no File size")

    def ls(self, *args):
        out = []
        for line in self.s3("ls", *args).splitlines():
            fields = line.split(None, 3)
            if len(fields) == 2 and fields[0] == "DIR":
                out.append((fields[1], None))
            elif len(fields) == 4:
                out.append((fields[3], int(fields[2])))
            else:
                raise Fail(f"unexpected `s3cmd ls` line: {line!r}")
        return out

    def list_all(self, b, prefix):
        return {(u[len(s3url(b)):], s) for u, s in self.ls("--recursive", s3url(b, prefix))}

    def list_delim(self, b, prefix):
        got = self.ls(s3url(b, prefix))
        return ({(u[len(s3url(b)):], s) for u, s in got if s is not None},
                {u[len(s3url(b)):] for u, s in got if s is None})
