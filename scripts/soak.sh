#!/usr/bin/env bash
# Soak (issue 7): many uploads under mixed, seeded faults from `s3up serve`, each checked against
# the invariant every backup relies on:
#   - exit 0 and the stored bytes identical to the source, or
#   - exit 1 with an `upload failed`/`error` message and the previous object (if any) unchanged;
#   - and in both cases no unfinished multipart upload left (`s3up mpu ls` prints nothing).
# Uploads mix `cp FILE`, `cp -` and `tar` (plain or --zstd), sizes from 0 to 20 MiB around the
# 5 MiB part size, checksum algorithms, concurrency and retry budgets. The runs are split into
# segments, each with a fresh server: faults only, then faults plus a server clock an hour ahead,
# then faults plus a bucket "in" another region (301 redirect, then AuthorizationHeaderMalformed).
#
# Environment:
#   SOAK_RUNS   number of uploads (default 100; 20 when CI=true)
#   SOAK_SEED   seed of every choice (default: random, printed); the same seed makes the same
#               choices and data (faults that depend on request order may land differently when
#               parts run in parallel)
#   SOAK_FAULTS space-separated `--fault` specs replacing the default mix
#   SOAK_KEEP=1 keep the work directory (server roots, logs) for inspection
# Prints one line per run, then `N passed, M failed` alone on the last line; exits 1 on any
# violation.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

need_cmds curl:curl cmp:diffutils python3:python3 tar:tar zstd:zstd timeout:coreutils

if [ "${CI:-}" = true ]; then
    RUNS=${SOAK_RUNS:-20}
else
    RUNS=${SOAK_RUNS:-100}
fi
SEED=${SOAK_SEED:-$(((RANDOM << 15 | RANDOM) % 1000000000))}
[[ $RUNS =~ ^[0-9]+$ ]] || die "SOAK_RUNS must be a whole number, not '$RUNS'"
[[ $SEED =~ ^[0-9]+$ ]] || die "SOAK_SEED must be a whole number, not '$SEED'"
BUCKET=soak
MIB=$((1024 * 1024))
# Every s3up call is bounded; a run that needs longer is a failure.
LIMIT=60
# Modest rates on every upload operation: most runs survive by retrying, some (small retry
# budgets) fail, and each failure must leave nothing behind. Not in the default mix, because the
# invariant does not hold for them yet with small retry budgets (see SOAK_FAULTS):
#   slowdown@REST.DELETE.UPLOAD:rate=0.2   with --retries 0 the abort is not retried: an
#                                          unfinished upload stays (its id and the cleanup
#                                          command are printed);
#   delay@REST.POST.UPLOAD:rate=0.1:ms=2500  Complete done but answered after the read
#                                          timeout: exit 1 although the object was replaced.
DEFAULT_FAULTS="slowdown@REST.PUT.PART:rate=0.06
internal-error@REST.PUT.PART:rate=0.03
reset@REST.PUT.PART:rate=0.03:after=65536
delay@REST.PUT.PART:rate=0.01:ms=2500
slowdown@REST.PUT.OBJECT:rate=0.06
reset@REST.PUT.OBJECT:rate=0.03:after=1024
internal-error@REST.POST.UPLOADS:rate=0.05
complete-error:rate=0.08"
read -r -d '' -a FAULTS <<<"${SOAK_FAULTS:-$DEFAULT_FAULTS}" || true

section "build s3up"
cargo build --locked --quiet --bin s3up
S3UP=$PWD/target/debug/s3up

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then stop_pid "$SERVER_PID"; fi
    if [ "${SOAK_KEEP:-}" = 1 ]; then
        echo "soak: work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# Cut off from this machine's AWS configuration and instance metadata.
export HOME=$WORK/home AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIDSOAK AWS_SECRET_ACCESS_KEY=soak-secret-key
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE \
    AWS_REGION AWS_DEFAULT_REGION AWS_CA_BUNDLE AWS_MAX_ATTEMPTS HTTPS_PROXY HTTP_PROXY ALL_PROXY \
    https_proxy http_proxy all_proxy
mkdir -p "$HOME"

# The generator: a 31-bit LCG (fits bash arithmetic), advanced by rnd.
STATE=$((SEED & 0x7fffffff))
# rnd N: sets R to a number in [0, N), N up to 2^30.
rnd() {
    local hi lo
    STATE=$(((STATE * 1103515245 + 12345) & 0x7fffffff))
    hi=$((STATE >> 16))
    STATE=$(((STATE * 1103515245 + 12345) & 0x7fffffff))
    lo=$((STATE >> 16))
    R=$((((hi << 15) | lo) % $1))
}

# make_data FILE SIZE SEED: SIZE bytes, the same for the same SEED.
make_data() {
    python3 -c 'import random, sys
sys.stdout.buffer.write(random.Random(int(sys.argv[2])).randbytes(int(sys.argv[1])))' "$2" "$3" >"$1"
}

# A size that exercises the part boundaries: empty, tiny, around 5 MiB and 10 MiB, or uniform.
pick_size() {
    rnd 10
    case $R in
    0) rnd 3; SIZE=$R ;;
    1) rnd 65536; SIZE=$R ;;
    2) rnd 5; SIZE=$((5 * MIB - 2 + R)) ;;
    3) rnd 5; SIZE=$((10 * MIB - 2 + R)) ;;
    4 | 5 | 6) rnd $((8 * MIB)); SIZE=$R ;;
    *) rnd $((20 * MIB)); SIZE=$R ;;
    esac
}

# start_server SEGMENT: a fresh `s3up serve` (new root) configured for that segment; sets
# ENDPOINT, SERVER_DESC, CLIENT_REGION (what uploads are signed for) and REAL_REGION.
start_server() {
    local seg=$1 out=$WORK/serve-$1.out args=()
    if [ -n "$SERVER_PID" ]; then stop_pid "$SERVER_PID"; fi
    CLIENT_REGION=us-east-1 REAL_REGION=us-east-1
    case $((seg % 4)) in
    0) SERVER_DESC="faults" ;;
    1) SERVER_DESC="faults, server clock +3600 s"; args+=(--clock-offset 3600) ;;
    2)
        SERVER_DESC="faults, bucket in eu-west-1 (301 redirect)"
        REAL_REGION=eu-west-1
        args+=(--region eu-west-1 --wrong-region redirect)
        ;;
    3)
        SERVER_DESC="faults, bucket in eu-west-1 (AuthorizationHeaderMalformed)"
        REAL_REGION=eu-west-1
        args+=(--region eu-west-1 --wrong-region malformed)
        ;;
    esac
    local f
    for f in "${FAULTS[@]}"; do args+=(--fault "$f"); done
    "$S3UP" serve --addr 127.0.0.1:0 --root "$WORK/root-$seg" --bucket "$BUCKET" \
        --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" \
        --access-log "$WORK/access-$seg.log" --seed "$((SEED + seg))" "${args[@]}" >"$out" 2>&1 &
    SERVER_PID=$!
    ENDPOINT=$(wait_for_line "$out" '^ready: ' 30 "$SERVER_PID") || die "s3up serve did not start"
    ENDPOINT=${ENDPOINT#ready: }
    echo "segment $seg: $SERVER_DESC at $ENDPOINT (server seed $((SEED + seg)))"
}

# s3 ARGS...: s3up against the server, bounded in time.
s3() {
    timeout "$LIMIT" "$S3UP" "$@" --endpoint-url "$ENDPOINT"
}

# fetch KEY FILE: downloads the object with a presigned GET; sets HTTP to the status.
fetch() {
    local url
    url=$(s3 presign "s3://$BUCKET/$1" --expires-in 86400 --region "$REAL_REGION" --quiet) ||
        { HTTP=presign-failed; return; }
    HTTP=$(curl -sS --max-time "$LIMIT" -o "$2" -w '%{http_code}' "$url" || echo curl-failed)
}

# The payload the object holds: itself, or data.bin inside the (zstd) tar archive.
payload_of() {
    local object=$1 mode=$2 out=$3
    case $mode in
    tar) tar -xOf "$object" src/data.bin >"$out" ;;
    tar-zstd) zstd -dqc "$object" | tar -xOf - src/data.bin >"$out" ;;
    *) cp "$object" "$out" ;;
    esac
}

declare -A CURRENT=() # key -> SHA-256 of the stored object, as last verified
PASSED=0
FAILED=0
SURVIVED=0
REPORTED=0
VIOLATIONS=()

# violation RUN WHY: records a broken invariant (the run's output is shown).
violation() {
    VIOLATIONS+=("run $1: $2")
    echo "  VIOLATION: $2" >&2
    sed 's/^/  | /' "$WORK/run.err" >&2 || true
}

# one_run N: one upload and its checks; returns 1 on a violation.
one_run() {
    local n=$1 mode key size conc retries algo data_seed args=() rc start secs
    rnd 4
    case $R in 0) mode="file" ;; 1) mode="stdin" ;; 2) mode="tar" ;; *) mode="tar-zstd" ;; esac
    rnd 5
    key=obj-$R
    pick_size
    size=$SIZE
    rnd 4
    conc=$((R + 1))
    rnd 10
    case $R in 0) retries=0 ;; 1 | 2) retries=1 ;; 3 | 4) retries=3 ;; *) retries=6 ;; esac
    rnd 6
    case $R in 0) algo=CRC32 ;; 1) algo=CRC32C ;; 2) algo=SHA256 ;; 3) algo=none ;; *) algo= ;; esac
    rnd 1000000000
    data_seed=$R

    local src=$WORK/src
    rm -rf "$src" "$WORK/run.out" "$WORK/run.err" "$WORK/object" "$WORK/payload"
    mkdir -p "$src"
    make_data "$src/data.bin" "$size" "$data_seed"
    printf 'soak run %s\n' "$n" >"$src/note.txt"
    args=(--part-size 5MiB --multipart-threshold 5MiB --concurrency "$conc" --retries "$retries"
        --cli-read-timeout 2 --no-progress --region "$CLIENT_REGION")
    [ -n "$algo" ] && args+=(--checksum-algorithm "$algo")
    local desc="$mode size=$size key=$key concurrency=$conc retries=$retries checksum=${algo:-default}"

    start=$SECONDS
    set +e
    case $mode in
    file) s3 cp "$src/data.bin" "s3://$BUCKET/$key" "${args[@]}" >"$WORK/run.out" 2>"$WORK/run.err" ;;
    stdin) s3 cp - "s3://$BUCKET/$key" "${args[@]}" <"$src/data.bin" >"$WORK/run.out" 2>"$WORK/run.err" ;;
    tar) s3 tar -C "$WORK" src "s3://$BUCKET/$key" "${args[@]}" >"$WORK/run.out" 2>"$WORK/run.err" ;;
    tar-zstd) s3 tar --zstd -C "$WORK" src "s3://$BUCKET/$key" "${args[@]}" >"$WORK/run.out" 2>"$WORK/run.err" ;;
    esac
    rc=$?
    set -e
    secs=$((SECONDS - start))

    local ok=1
    fetch "$key" "$WORK/object"
    if [ "$rc" = 0 ]; then
        if [ "$HTTP" != 200 ]; then
            violation "$n" "exit 0 but the object cannot be read back (HTTP $HTTP)"
            ok=0
        elif ! payload_of "$WORK/object" "$mode" "$WORK/payload" 2>>"$WORK/run.err" ||
            ! cmp -s "$src/data.bin" "$WORK/payload"; then
            violation "$n" "exit 0 but the stored bytes differ from the source"
            ok=0
        else
            CURRENT[$key]=$(sha256sum <"$WORK/object" | cut -d' ' -f1)
            SURVIVED=$((SURVIVED + 1))
        fi
    else
        REPORTED=$((REPORTED + 1))
        if [ "$rc" = 124 ]; then
            violation "$n" "s3up did not finish within ${LIMIT}s"
            ok=0
        elif [ "$rc" != 1 ]; then
            violation "$n" "failed with exit status $rc (expected 1)"
            ok=0
        elif ! grep -Eq 'upload failed|error' "$WORK/run.err"; then
            violation "$n" "exit 1 without an 'upload failed' or 'error' message"
            ok=0
        fi
        if [ -n "${CURRENT[$key]:-}" ]; then
            if [ "$HTTP" != 200 ] ||
                [ "$(sha256sum <"$WORK/object" | cut -d' ' -f1)" != "${CURRENT[$key]}" ]; then
                violation "$n" "the failed upload changed the previous object (HTTP $HTTP)"
                ok=0
            fi
        elif [ "$HTTP" != 404 ]; then
            violation "$n" "the failed upload left an object behind (HTTP $HTTP)"
            ok=0
        fi
    fi
    local pending
    if ! pending=$(s3 mpu ls "s3://$BUCKET" --region "$CLIENT_REGION" 2>>"$WORK/run.err"); then
        violation "$n" "s3up mpu ls failed"
        ok=0
    elif [ -n "$pending" ]; then
        violation "$n" "unfinished multipart uploads left behind: $pending"
        ok=0
        # Clean up so that later runs are judged on their own.
        s3 mpu abort "s3://$BUCKET" --all --region "$CLIENT_REGION" >/dev/null 2>&1 || true
    fi
    local outcome
    if [ "$rc" = 0 ]; then outcome=uploaded; else outcome="failed (exit $rc): $(grep -m1 -E 'upload failed|error' "$WORK/run.err" | cut -c1-120)"; fi
    printf 'run %d/%d: %s -> %s (%ss)\n' "$n" "$RUNS" "$desc" "$outcome" "$secs"
    if [ "$rc" != 0 ] && [ "$ok" = 1 ]; then
        # What the user saw, for the record (violations already showed it).
        grep -v '^$' "$WORK/run.err" | head -n 6 | cut -c1-200 | sed 's/^/  | /'
    fi
    [ "$ok" = 1 ]
}

section "soak: $RUNS uploads, seed $SEED"
echo "reproduce with: SOAK_SEED=$SEED SOAK_RUNS=$RUNS bash scripts/soak.sh"
printf 'fault: %s\n' "${FAULTS[@]}"
SEGMENTS=4
[ "$RUNS" -lt "$SEGMENTS" ] && SEGMENTS=$((RUNS > 0 ? RUNS : 1))
soak_start=$SECONDS
SEGMENT=-1
for ((i = 1; i <= RUNS; i++)); do
    seg=$(((i - 1) * SEGMENTS / (RUNS > 0 ? RUNS : 1)))
    if [ "$seg" != "$SEGMENT" ]; then
        SEGMENT=$seg
        CURRENT=()
        start_server "$seg"
    fi
    if one_run "$i"; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
done

section "soak summary"
echo "soak: seed $SEED, $RUNS runs in $((SECONDS - soak_start))s: $SURVIVED uploaded, $REPORTED reported failure"
if [ "${#VIOLATIONS[@]}" -gt 0 ]; then
    printf '%s\n' "${VIOLATIONS[@]}"
fi
echo "$PASSED passed, $FAILED failed"
if [ "$FAILED" != 0 ]; then
    die "soak: $FAILED runs broke the invariant (reproduce: SOAK_SEED=$SEED SOAK_RUNS=$RUNS bash scripts/soak.sh)"
fi
