#!/usr/bin/env bash
# Interop: real S3 clients against `s3up serve` (issue 3), offline on loopback.
#   - aws-cli v1 uploads a small file and a 40 MiB file (multipart) and downloads both back
#     byte-identical; the access log shows REST.PUT.PART ... SigV4 ... AuthHeader;
#   - `aws s3 presign` (signature_version = s3v4) makes a GET URL that works and logs QueryString;
#   - `s3cmd --signature-v2 put` is refused (400 InvalidRequest) and logged as SigV2;
#   - `aws s3 cp` with a wrong secret is refused (SignatureDoesNotMatch);
#   - `s3up serve --tls` works with `aws s3 cp --ca-bundle CA`.
# Installs aws-cli and s3cmd with pip (into target/) when missing. Servers are started on port 0,
# waited for by their `ready:` line, and stopped by PID.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

need_cmds curl:curl cmp:diffutils python3:python3
have_aws || die "aws-cli is not available and python3 is missing"

section "build s3up (with the server feature)"
cargo build --locked --quiet --bin s3up
S3UP=$PWD/target/debug/s3up

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    rm -rf "$WORK"
}
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=AKIDINTEROP AWS_SECRET_ACCESS_KEY=interop-secret-key
export AWSCLI_HOME=$WORK/awscli
mkdir -p "$AWSCLI_HOME"
printf '[default]\nregion = us-east-1\ns3 =\n    signature_version = s3v4\n' >"$AWSCLI_HOME/config"
BUCKET=interop

# start_serve NAME ARGS...: runs `s3up serve` and sets ENDPOINT and LOG.
start_serve() {
    local name=$1 out
    shift
    out=$WORK/$name.out
    LOG=$WORK/$name.log
    "$S3UP" serve --addr 127.0.0.1:0 --bucket "$BUCKET" --access-log "$LOG" "$@" >"$out" 2>&1 &
    PIDS+=("$!")
    ENDPOINT=$(wait_for_line "$out" '^ready: ' 30 "$!") || die "s3up serve $name did not start"
    ENDPOINT=${ENDPOINT#ready: }
    echo "s3up serve ($name) at $ENDPOINT"
}

# expect_log REGEX WHAT: the access log has a line matching REGEX (ERE).
expect_log() {
    grep -Eq "$1" "$LOG" || { cat "$LOG" >&2; die "access log has no line for: $2"; }
    echo "ok: access log shows $2"
}

head -c 1000 /dev/urandom >"$WORK/small.bin"
head -c $((40 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"

section "aws-cli v1 over HTTP: small and 40 MiB (multipart) round trips"
start_serve http
for f in small big; do
    aws_isolated --endpoint-url "$ENDPOINT" s3 cp --only-show-errors "$WORK/$f.bin" "s3://$BUCKET/$f.bin"
    aws_isolated --endpoint-url "$ENDPOINT" s3 cp --only-show-errors "s3://$BUCKET/$f.bin" "$WORK/$f.back"
    cmp "$WORK/$f.bin" "$WORK/$f.back" || die "$f.bin came back different"
    echo "ok: $f.bin uploaded and downloaded byte-identical"
done
expect_log ' REST\.PUT\.PART .* SigV4 .* AuthHeader ' "REST.PUT.PART ... SigV4 ... AuthHeader"
expect_log ' REST\.POST\.UPLOAD .*" 200 - ' "CompleteMultipartUpload answered 200"

section "aws s3 presign (s3v4): a GET URL that works, logged as QueryString"
url=$(aws_isolated --endpoint-url "$ENDPOINT" s3 presign "s3://$BUCKET/small.bin" --expires-in 300)
case $url in *X-Amz-Signature=*) ;; *) die "presign made no SigV4 URL: $url" ;; esac
curl -sSf -o "$WORK/presigned.back" "$url"
cmp "$WORK/small.bin" "$WORK/presigned.back" || die "presigned GET returned different bytes"
echo "ok: presigned GET returned the object"
expect_log ' REST\.GET\.OBJECT .*" 200 - .* SigV4 [^ ]+ QueryString ' "a presigned GET (SigV4, QueryString)"

section "s3cmd --signature-v2 put: refused and logged as SigV2"
s3cmd_dir=$PWD/target/s3cmd
if [ ! -f "$s3cmd_dir/bin/s3cmd" ]; then
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    echo "installing s3cmd with pip into target/s3cmd"
    python3 -m pip install --quiet --disable-pip-version-check --target "$s3cmd_dir" s3cmd 2>&1 |
        grep -v -e "dependency resolver" -e "requires python-dateutil" -e "Running pip as the 'root'" || true
fi
[ -f "$s3cmd_dir/bin/s3cmd" ] || die "s3cmd could not be installed"
hostport=${ENDPOINT#http://}
cat >"$WORK/s3cmd.cfg" <<EOF
[default]
access_key = $AWS_ACCESS_KEY_ID
secret_key = $AWS_SECRET_ACCESS_KEY
host_base = $hostport
host_bucket = $hostport
use_https = False
signature_v2 = True
EOF
# Like real S3, the server answers SigV2 with "... Please use AWS4-HMAC-SHA256."; s3cmd then
# retries with SigV4 by itself, so its exit status says nothing: the access log does.
PYTHONPATH=$s3cmd_dir python3 "$s3cmd_dir/bin/s3cmd" -c "$WORK/s3cmd.cfg" --signature-v2 \
    put "$WORK/small.bin" "s3://$BUCKET/v2.bin" >"$WORK/s3cmd.out" 2>&1 || true
expect_log ' REST\.PUT\.OBJECT v2\.bin .*" 400 InvalidRequest .* SigV2 [^ ]+ AuthHeader ' \
    "the SigV2 PUT refused (400 InvalidRequest, SigV2 AuthHeader)"
if grep -Eq ' REST\.PUT\.OBJECT v2\.bin .*" 200 - .* SigV2 ' "$LOG"; then
    die "a SigV2 PUT was accepted"
fi
echo "ok: no SigV2 request was accepted (s3cmd then fell back to SigV4 on its own, as it does with S3)"

section "aws s3 cp with a wrong secret: refused"
if AWS_SECRET_ACCESS_KEY=wrong-secret aws_isolated --endpoint-url "$ENDPOINT" s3 cp --only-show-errors \
    "$WORK/small.bin" "s3://$BUCKET/wrong.bin" 2>"$WORK/wrong.err"; then
    die "an upload with a wrong secret was accepted"
fi
grep -q SignatureDoesNotMatch "$WORK/wrong.err" || { cat "$WORK/wrong.err" >&2; die "no SignatureDoesNotMatch"; }
echo "ok: wrong secret refused: $(head -c 160 "$WORK/wrong.err")"
expect_log ' REST\.PUT\.OBJECT wrong\.bin .*" 403 SignatureDoesNotMatch ' "the wrong-secret PUT (403 SignatureDoesNotMatch)"

section "s3up serve --tls with aws s3 cp --ca-bundle"
start_serve tls --tls
ca=$(grep -m1 '^ca bundle:' "$WORK/tls.out" | sed 's/^ca bundle: *//; s/ (.*//')
[ -f "$ca" ] || die "no CA file printed by s3up serve --tls"
for f in small big; do
    aws_isolated --endpoint-url "$ENDPOINT" --ca-bundle "$ca" s3 cp --only-show-errors "$WORK/$f.bin" "s3://$BUCKET/$f.bin"
    aws_isolated --endpoint-url "$ENDPOINT" --ca-bundle "$ca" s3 cp --only-show-errors "s3://$BUCKET/$f.bin" "$WORK/$f.tls"
    cmp "$WORK/$f.bin" "$WORK/$f.tls" || die "$f.bin over TLS came back different"
    echo "ok: $f.bin over HTTPS byte-identical"
done
expect_log ' SigV4 TLS[^ ]+ AuthHeader .* TLSv1\.[23] ' "requests over TLS (cipher suite and TLS version)"

section "interop: OK"
