#!/usr/bin/env bash
# The static appliance (SPEC "The static appliance", issue 8).
#
# Builds two x86_64-unknown-linux-musl release binaries and proves they need nothing from the host:
#   target/static/s3up          full: default features (`serve`, `demo`)
#   target/static/s3up-minimal  --no-default-features: the blocking uploader only
# For each: `file`, no NEEDED and no INTERP (readelf), size against the budget, SHA-256, and a
# run inside an empty root directory (chroot; no libc, no /etc, no CA files, no HOME, `env -i`).
# The full binary also uploads from inside the root to a server outside it, and serves from
# inside the root to aws-cli outside it.
#
# Installs what it misses (rustup target, Debian musl-tools/file/binutils, aws-cli via pip).
# Run as root from anywhere: `bash scripts/build-static.sh`. The Dockerfile runs only this.
#
# Environment:
#   REQUIRE_FULL_SMOKE=0  print SKIPPED instead of failing when the binary has no `cp` or
#                         `serve` subcommand for the upload/serve smoke tests (default 1: fail).
#   CARGO_TARGET_DIR      honoured; the checked binaries are always copied to target/static/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

TARGET=x86_64-unknown-linux-musl
OUT=target/static
MIB=1048576
MINIMAL_MAX=$((MIB * 7 / 2)) # 3.5 MiB
FULL_MAX=$((MIB * 8))
REQUIRE_FULL_SMOKE=${REQUIRE_FULL_SMOKE:-1}
# `s3up serve` defaults; passed explicitly so the test does not depend on them.
ACCESS_KEY=AKIDTESTS3UP
SECRET_KEY=test-secret-key-s3up

declare -a TIMES=()
step_start=$SECONDS
# step TITLE: close the previous step's timer and open a new section.
step() {
    section "$*"
    step_start=$SECONDS
    step_name=$*
}
step_done() {
    local took=$((SECONDS - step_start))
    echo "(${step_name}: ${took}s)"
    TIMES+=("$(printf '%-34s %5ss' "$step_name" "$took")")
}

PIDS=()
TMP=$(mktemp -d)
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
step "tools"
if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
    command -v rustup >/dev/null || die "the $TARGET standard library is missing and rustup is not installed"
    rustup target add "$TARGET"
fi
# musl-gcc compiles the C parts of ring and zstd for musl; file/readelf check the result.
need_cmds musl-gcc:musl-tools file:file readelf:binutils sha256sum:coreutils cmp:diffutils
export CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-musl-gcc}
if [ "$(id -u)" = 0 ]; then
    ISOLATE=(chroot)
    ISOLATE_BIN=$(command -v chroot) || die "chroot not found"
else
    # Unprivileged: a user namespace gives the same empty root.
    ISOLATE=(unshare --map-root-user --root)
    ISOLATE_BIN=$(command -v unshare) || die "not root and unshare not found"
fi
cargo --version
rustc --version
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps --locked |
    grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)
VERSION=$(cargo pkgid -p s3up | sed 's/.*[#@]//')
echo "s3up version $VERSION; cargo target dir $TARGET_DIR; root via ${ISOLATE[*]}"
mkdir -p "$OUT"
step_done

# ---------------------------------------------------------------------------------------------
step "dependency boundary (minimal build)"
# The uploader stays blocking and small: nothing of the async server stack may reach it.
crate_names() {
    cargo tree --locked -p s3up --target "$TARGET" -e normal --prefix none --format '{p}' "$@" |
        awk '{print $1}' | sort -u
}
FORBIDDEN='^(tokio|hyper|s3s|test-server)(-|$)'
minimal_crates=$(crate_names --no-default-features)
bad=$(grep -E "$FORBIDDEN" <<<"$minimal_crates" || true)
if [ -n "$bad" ]; then
    die "cargo tree -p s3up --no-default-features -e normal pulls in: $(tr '\n' ' ' <<<"$bad")"
fi
echo "minimal: $(wc -l <<<"$minimal_crates") crates, none of tokio/hyper/s3s/test-server"
full_hits=$(crate_names | grep -cE "$FORBIDDEN" || true)
echo "full (for comparison): $full_hits crates of the server stack"
step_done

# ---------------------------------------------------------------------------------------------
# build_one NAME CARGO_ARGS...: release build for musl, copied to $OUT/NAME (both builds write
# the same path under the target dir, so copy right after each).
build_one() {
    local name=$1
    shift
    cargo build --locked --release --target "$TARGET" -p s3up --bin s3up "$@"
    cp "$TARGET_DIR/$TARGET/release/s3up" "$OUT/$name"
}

step "build full (default features)"
build_one s3up
step_done

step "build minimal (--no-default-features)"
build_one s3up-minimal --no-default-features
step_done

# ---------------------------------------------------------------------------------------------
step "static linking, size, SHA-256"
# check_static PATH MAX_BYTES
check_static() {
    local bin=$1 max=$2 size
    echo "--- $bin"
    file "$bin"
    file -b "$bin" | grep -qE 'statically linked|static-pie linked' ||
        die "$bin: file(1) does not say statically linked"
    if readelf -d "$bin" | grep -q '(NEEDED)'; then
        readelf -d "$bin" | grep '(NEEDED)'
        die "$bin: needs shared libraries"
    fi
    echo "readelf -d: no NEEDED entries"
    if readelf -lW "$bin" | grep -q INTERP; then
        die "$bin: has a program interpreter (INTERP)"
    fi
    echo "readelf -l: no INTERP"
    size=$(stat -c %s "$bin")
    awk -v s="$size" -v m="$max" -v mib="$MIB" \
        'BEGIN { printf "size: %d bytes (%.2f MiB), budget %.1f MiB\n", s, s / mib, m / mib }'
    [ "$size" -le "$max" ] || die "$bin: $size bytes is over the budget of $max bytes"
}
check_static "$OUT/s3up" "$FULL_MAX"
check_static "$OUT/s3up-minimal" "$MINIMAL_MAX"
(cd "$OUT" && sha256sum s3up s3up-minimal | tee SHA256SUMS)
step_done

# ---------------------------------------------------------------------------------------------
# root_cmd ROOT [VAR=VALUE...] CMD ARGS...: set ROOT_CMD to the command line that runs CMD inside
# ROOT with only the given environment. It execs all the way down (env, chroot, CMD), so the PID
# of `"${ROOT_CMD[@]}" &` is CMD's own.
root_cmd() {
    local root=$1 envs=()
    shift
    while [ $# -gt 0 ] && [[ $1 == *=* ]] && [[ $1 != /* ]]; do
        envs+=("$1")
        shift
    done
    ROOT_CMD=(env -i "${envs[@]}" "$ISOLATE_BIN" "${ISOLATE[@]:1}" "$root" "$@")
}
in_root() {
    root_cmd "$@"
    "${ROOT_CMD[@]}"
}

# has_subcommand BIN NAME: the binary's --help lists NAME as a command.
has_subcommand() {
    local help
    help=$("$1" --help 2>&1 || true)
    grep -qE "^[[:space:]]+$2([[:space:]]|$)" <<<"$help"
}

# missing REASON: SKIPPED, or a failure under REQUIRE_FULL_SMOKE=1.
missing() {
    if [ "$REQUIRE_FULL_SMOKE" = 1 ]; then
        die "$* (REQUIRE_FULL_SMOKE=1)"
    fi
    skip "$* (set REQUIRE_FULL_SMOKE=1 to make this fail)"
}

# start_server LOG ROOT_DIR CMD...: start a `serve` command in the background, wait for its
# `ready: http://127.0.0.1:PORT` line, set SERVER_URL and SERVER_PID.
start_server() {
    local log=$1 ready
    shift
    "$@" >"$log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    ready=$(wait_for_line "$log" 'ready: http://127\.0\.0\.1:[0-9]+' 30 "$SERVER_PID") ||
        die "server did not become ready: $*${SERVER_HINT:+ ($SERVER_HINT)}"
    SERVER_URL=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' <<<"$ready")
    echo "server pid $SERVER_PID: $ready"
}

# show_server LOG [ROOT]: the server's start-up lines and the tail of its access log (the
# `access log: PATH` it printed; PATH is inside ROOT when the server ran in the empty root).
show_server() {
    local log=$1 root=${2:-} access
    sed 's/^/  | /' "$log" | tail -n 12
    access=$(sed -n 's/^access log: *//p' "$log" | head -n 1)
    if [ -n "$access" ] && [ -f "$root$access" ]; then
        echo "  access log ($access):"
        sed 's/^/  | /' "$root$access" | tail -n 8
    fi
}

serve_args=(--addr 127.0.0.1:0 --bucket smoke --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY")
export AWSCLI_HOME=$TMP/awscli
mkdir -p "$AWSCLI_HOME"

# The payload crosses the 8 MiB multipart threshold, so parts and completion are exercised.
PAYLOAD=$TMP/payload.bin
head -c $((9 * MIB + 12345)) /dev/urandom >"$PAYLOAD"

# smoke_version NAME: the empty root holds the binary and nothing else.
smoke_version() {
    local name=$1 root=$TMP/root-$1 out
    mkdir -p "$root"
    cp "$OUT/$name" "$root/s3up"
    echo "--- $name: empty root contains: $(cd "$root" && find . -mindepth 1 | tr '\n' ' ')"
    out=$(in_root "$root" /s3up --version 2>&1) || die "$name --version failed in the empty root: $out"
    echo "$name --version (empty root, env -i): $out"
    grep -qF "$VERSION" <<<"$out" || die "$name --version printed '$out', not version $VERSION"
}

# smoke_upload_from_root NAME URL: upload with the binary inside its root to a server outside.
smoke_upload_from_root() {
    local name=$1 url=$2 root=$TMP/root-$1 key=from-root/$1.bin
    if ! has_subcommand "$OUT/$name" cp; then
        missing "$name has no cp subcommand: upload from the empty root not tested"
        return 0
    fi
    cp "$PAYLOAD" "$root/payload.bin"
    in_root "$root" AWS_ACCESS_KEY_ID="$ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SECRET_KEY" \
        /s3up cp --endpoint-url "$url" /payload.bin "s3://smoke/$key" ||
        die "$name cp from the empty root to $url failed"
    rm -f "$root/payload.bin"
    aws_isolated --endpoint-url "$url" s3 cp --only-show-errors "s3://smoke/$key" "$TMP/back-$name.bin" ||
        die "aws-cli could not download s3://smoke/$key"
    cmp "$PAYLOAD" "$TMP/back-$name.bin" || die "$name: downloaded bytes differ from the upload"
    echo "OK: $name uploaded $(stat -c %s "$PAYLOAD") bytes from the empty root; aws-cli read back the same bytes"
}

step "smoke: --version in an empty root"
smoke_version s3up
smoke_version s3up-minimal
step_done

step "smoke: upload from the empty root"
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY # for aws_isolated only
if has_subcommand "$OUT/s3up" serve; then
    mkdir -p "$TMP/outside-data"
    start_server "$TMP/outside-serve.log" "$OUT/s3up" serve "${serve_args[@]}" --root "$TMP/outside-data"
    smoke_upload_from_root s3up "$SERVER_URL"
    smoke_upload_from_root s3up-minimal "$SERVER_URL"
    echo "server outside the root:"
    show_server "$TMP/outside-serve.log"
    stop_pid "$SERVER_PID"
else
    missing "s3up has no serve subcommand: no server to upload to"
fi
step_done

step "smoke: serve from the empty root"
if has_subcommand "$OUT/s3up" serve; then
    root=$TMP/root-s3up
    mkdir -p "$root/data"
    root_cmd "$root" /s3up serve "${serve_args[@]}" --root /data
    SERVER_HINT="the root has no /tmp, /etc or /dev, like a FROM scratch image: serve may write only under --root" \
        start_server "$TMP/inside-serve.log" "${ROOT_CMD[@]}"
    aws_isolated --endpoint-url "$SERVER_URL" s3 cp --only-show-errors "$PAYLOAD" s3://smoke/from-outside.bin ||
        die "aws-cli upload to the server in the empty root failed"
    aws_isolated --endpoint-url "$SERVER_URL" s3 cp --only-show-errors s3://smoke/from-outside.bin "$TMP/back-served.bin" ||
        die "aws-cli download from the server in the empty root failed"
    cmp "$PAYLOAD" "$TMP/back-served.bin" || die "served bytes differ from the upload"
    echo "OK: aws-cli uploaded $(stat -c %s "$PAYLOAD") bytes to s3up serve in the empty root and read them back"
    echo "server inside the root:"
    show_server "$TMP/inside-serve.log" "$root"
    stop_pid "$SERVER_PID"
else
    missing "s3up has no serve subcommand: serving from the empty root not tested"
fi
step_done

# ---------------------------------------------------------------------------------------------
section "summary"
for f in s3up s3up-minimal; do
    awk -v n="$OUT/$f" -v s="$(stat -c %s "$OUT/$f")" -v mib="$MIB" \
        'BEGIN { printf "%-26s %10d bytes  %6.2f MiB\n", n, s, s / mib }'
done
printf '%s\n' "${TIMES[@]}"
echo "build-static: OK"
