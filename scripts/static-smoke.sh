# shellcheck shell=bash
# Smoke tests of the static binaries, sourced by scripts/build-static.sh (which defines OUT,
# ARCHES, VARIANTS, VERSION, TMP, PIDS, TARGET_ROOT, MIB, REQUIRE_FULL_SMOKE and the zig
# toolchain). Every test runs the binary inside an empty root directory, the way an old machine
# would run it:
#   native architectures  under old-kernel (scripts/old-kernel/old-kernel.c): every system call
#                         newer than Linux 3.2 fails with ENOSYS;
#   foreign ones          under qemu-user, copied into the root (a seccomp filter there would
#                         see qemu's own system calls, not the binary's).

# `s3up serve` defaults; passed explicitly so the tests do not depend on them.
ACCESS_KEY=AKIDTESTS3UP
SECRET_KEY=test-secret-key-s3up

if [ "$(id -u)" = 0 ]; then
    ISOLATE=(chroot)
    ISOLATE_BIN=$(command -v chroot) || die "chroot not found"
else
    # Unprivileged: a user namespace gives the same empty root.
    ISOLATE=(unshare --map-root-user --root)
    ISOLATE_BIN=$(command -v unshare) || die "not root and unshare not found"
fi

# The architectures this machine's kernel runs without emulation.
case $(uname -m) in
x86_64) NATIVE=" x86_64 i686 " ;;
aarch64) NATIVE=" aarch64 " ;;
*) NATIVE=" $(uname -m) " ;;
esac
is_native() { [[ $NATIVE == *" $1 "* ]]; }
qemu_for() {
    case $1 in
    i686) echo qemu-i386-static ;;
    *) echo "qemu-$1-static" ;;
    esac
}
how_run() {
    if is_native "$1"; then
        echo "native, old-kernel: system calls newer than Linux 3.2 fail"
    else
        echo "qemu-user ($(qemu_for "$1"))"
    fi
}

OLD_KERNEL_DIR=$TARGET_ROOT/old-kernel
OLD_KERNEL=$OLD_KERNEL_DIR/old-kernel

# zig_cc ARCH OUTPUT SOURCE: a static C program for ARCH with the Zig that builds the targets.
zig_cc() {
    "$CARGO_ZIGBUILD_ZIG_PATH" cc -target "$(zig_target "$1")" -static -Os -Wall -Wextra -Werror \
        -o "$2" "$3"
}

# build_old_kernel: compile old-kernel for this machine and prove the filter works with the
# probe, for each native architecture: statx and getrandom succeed without the filter and fail
# with ENOSYS under it, and an old call (getppid) still succeeds under it.
build_old_kernel() {
    local host arch probe plain filtered
    mkdir -p "$OLD_KERNEL_DIR"
    host=$(uname -m)
    zig_cc "$host" "$OLD_KERNEL" scripts/old-kernel/old-kernel.c
    echo "built $OLD_KERNEL for $host"
    for arch in "${ARCHES[@]}"; do
        if ! is_native "$arch"; then
            echo "$arch: foreign here, runs under qemu-user only (no filter)"
            need_cmds "$(qemu_for "$arch"):qemu-user-static"
            continue
        fi
        probe=$OLD_KERNEL_DIR/probe-$arch
        zig_cc "$arch" "$probe" scripts/old-kernel/probe.c
        plain=$("$probe") || die "probe-$arch failed to run: $plain"
        filtered=$("$OLD_KERNEL" "$probe") || die "probe-$arch under old-kernel failed: $filtered"
        echo "--- probe-$arch without the filter:"
        sed 's/^/  /' <<<"$plain"
        echo "--- probe-$arch under old-kernel:"
        sed 's/^/  /' <<<"$filtered"
        expect_line "$plain" "statx: ok" "this kernel has no statx: the probe cannot show the filter works"
        expect_line "$plain" "getrandom: ok" "this kernel has no getrandom"
        expect_line "$filtered" "statx: ENOSYS" "old-kernel let statx (Linux 4.11) through on $arch"
        expect_line "$filtered" "getrandom: ENOSYS" "old-kernel let getrandom (Linux 3.17) through on $arch"
        expect_line "$filtered" "getppid: ok" "old-kernel blocked getppid, a call Linux 3.2 had, on $arch"
        if grep -qx "x32-getpid: ok" <<<"$plain"; then
            expect_line "$filtered" "x32-getpid: ENOSYS" "old-kernel let an x32 call (Linux 3.4) through"
        elif [ "$arch" = x86_64 ]; then
            echo "  (this kernel has no x32 ABI, so the x32 rule is not exercised here)"
        fi
        echo "OK: on $arch old-kernel makes statx and getrandom fail with ENOSYS and lets getppid through"
    done
}
expect_line() {
    grep -qx "$2" <<<"$1" || die "$3 (expected '$2')"
}

# prepare_root ARCH NAME: an empty root holding the binary (and qemu for a foreign ARCH), and
# /dev/random and /dev/urandom, which every Linux machine has: before getrandom(2) (Linux 3.17)
# Rust's standard library and ring read them, and without them the binary aborts under
# old-kernel ("failed to generate random data"). Sets ROOT.
prepare_root() {
    ROOT=$TMP/root-$1-$2
    rm -rf "$ROOT"
    mkdir -p "$ROOT/dev"
    mknod -m 444 "$ROOT/dev/random" c 1 8 && mknod -m 444 "$ROOT/dev/urandom" c 1 9 ||
        die "cannot create /dev/random and /dev/urandom in the empty root: run as root"
    cp "$OUT/$1/$2" "$ROOT/s3up"
    if ! is_native "$1"; then
        cp "$(command -v "$(qemu_for "$1")")" "$ROOT/"
    fi
}

# root_cmd ARCH ROOT [VAR=VALUE...] CMD ARGS...: set ROOT_CMD to the command line that runs CMD
# inside ROOT with only the given environment, under old-kernel or qemu. It execs all the way
# down (env, old-kernel, chroot, [qemu], CMD), so the PID of `"${ROOT_CMD[@]}" &` is CMD's own
# (qemu's, which runs CMD in its own process, for a foreign ARCH).
root_cmd() {
    local arch=$1 root=$2 envs=()
    shift 2
    while [ $# -gt 0 ] && [[ $1 == *=* ]] && [[ $1 != /* ]]; do
        envs+=("$1")
        shift
    done
    if is_native "$arch"; then
        ROOT_CMD=(env -i "${envs[@]}" "$OLD_KERNEL" "$ISOLATE_BIN" "${ISOLATE[@]:1}" "$root" "$@")
    else
        ROOT_CMD=(env -i "${envs[@]}" "$ISOLATE_BIN" "${ISOLATE[@]:1}" "$root" "/$(qemu_for "$arch")" "$@")
    fi
}
in_root() {
    root_cmd "$@"
    "${ROOT_CMD[@]}"
}
# outside ARCH: set OUTSIDE to the prefix that runs a binary of ARCH outside any root, without
# a filter (nothing, or qemu).
outside() {
    OUTSIDE=()
    is_native "$1" || OUTSIDE=("$(qemu_for "$1")")
}

# has_subcommand ARCH BIN NAME: the binary's --help lists NAME as a command.
has_subcommand() {
    local help
    outside "$1"
    help=$("${OUTSIDE[@]}" "$2" --help 2>&1 || true)
    grep -qE "^[[:space:]]+$3([[:space:]]|$)" <<<"$help"
}

# missing REASON: SKIPPED, or a failure under REQUIRE_FULL_SMOKE=1.
missing() {
    if [ "$REQUIRE_FULL_SMOKE" = 1 ]; then
        die "$* (REQUIRE_FULL_SMOKE=1)"
    fi
    skip "$* (set REQUIRE_FULL_SMOKE=1 to make this fail)"
}

# start_server LOG CMD...: start a `serve` command in the background, wait for its
# `ready: http://127.0.0.1:PORT` line, set SERVER_URL and SERVER_PID.
start_server() {
    local log=$1 ready
    shift
    # Empty it here, not in the child: the child may not have opened the log yet when the
    # wait below first reads it, and an old `ready:` line would name a stopped server.
    : >"$log"
    "$@" >>"$log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    ready=$(wait_for_line "$log" 'ready: http://127\.0\.0\.1:[0-9]+' 60 "$SERVER_PID") ||
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
CREDS=(AWS_ACCESS_KEY_ID="$ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SECRET_KEY" AWS_REGION=us-east-1)
export AWSCLI_HOME=$TMP/awscli
mkdir -p "$AWSCLI_HOME"
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY # for aws_isolated only

# The payload crosses the 8 MiB multipart threshold, so parts and completion are exercised.
PAYLOAD=$TMP/payload.bin
head -c $((9 * MIB + 12345)) /dev/urandom >"$PAYLOAD"

# smoke_version ARCH NAME: the empty root holds the binary (and qemu) and nothing else.
smoke_version() {
    local arch=$1 name=$2 out
    prepare_root "$arch" "$name"
    echo "--- $arch/$name: empty root contains: $(cd "$ROOT" && find . -mindepth 1 | tr '\n' ' ')"
    out=$(in_root "$arch" "$ROOT" /s3up --version 2>&1) ||
        die "$arch/$name --version failed in the empty root: $out"
    echo "$arch/$name --version (empty root, env -i): $out"
    grep -qF "$VERSION" <<<"$out" || die "$arch/$name --version printed '$out', not version $VERSION"
}

# smoke_upload ARCH NAME URL: a multipart upload with the binary inside its root to a server
# outside; aws-cli reads the object back.
smoke_upload() {
    local arch=$1 name=$2 url=$3 key=from-root/$1-$2.bin
    if ! has_subcommand "$arch" "$OUT/$arch/$name" cp; then
        missing "$arch/$name has no cp subcommand: upload from the empty root not tested"
        return 0
    fi
    prepare_root "$arch" "$name"
    cp "$PAYLOAD" "$ROOT/payload.bin"
    in_root "$arch" "$ROOT" "${CREDS[@]}" /s3up cp --no-progress --endpoint-url "$url" \
        /payload.bin "s3://smoke/$key" || die "$arch/$name cp from the empty root to $url failed"
    aws_isolated --endpoint-url "$url" s3 cp --only-show-errors "s3://smoke/$key" "$TMP/back.bin" ||
        die "aws-cli could not download s3://smoke/$key"
    cmp "$PAYLOAD" "$TMP/back.bin" || die "$arch/$name: downloaded bytes differ from the upload"
    echo "OK: $arch/$name uploaded $(stat -c %s "$PAYLOAD") bytes (multipart) from the empty root; aws-cli read back the same bytes"
}

# make_tree DIR: a small tree with the things a backup has: nested directories, an empty file,
# a file over a MiB, a symlink, an executable.
make_tree() {
    mkdir -p "$1/etc/app" "$1/srv/data/empty-dir"
    printf 'setting = 1\n' >"$1/etc/app/app.conf"
    : >"$1/etc/app/empty"
    head -c $((MIB + 4321)) /dev/urandom >"$1/srv/data/blob.bin"
    printf '#!/bin/sh\necho hi\n' >"$1/srv/run.sh"
    chmod 755 "$1/srv/run.sh"
    ln -s ../etc/app/app.conf "$1/srv/app.conf"
}

# smoke_roundtrip ARCH NAME URL: the download / restore round trip, all inside the root (and
# under old-kernel or qemu-user): `s3up tar --zstd` uploads a tree, `s3up cp s3://... FILE`
# downloads the archive (verified against its checksum), and `s3up restore s3://...` streams it
# back into a directory; the restored tree must equal the source, and the downloaded archive
# must unpack with GNU tar + zstd outside as well.
smoke_roundtrip() {
    local arch=$1 name=$2 url=$3 key=tree/$1-$2.tar.zst got
    if ! has_subcommand "$arch" "$OUT/$arch/$name" restore; then
        missing "$arch/$name has no restore subcommand: round trip not tested"
        return 0
    fi
    prepare_root "$arch" "$name"
    make_tree "$ROOT/tree"
    in_root "$arch" "$ROOT" "${CREDS[@]}" /s3up tar --zstd --no-progress --endpoint-url "$url" \
        /tree "s3://smoke/$key" || die "$arch/$name tar --zstd from the empty root failed"
    in_root "$arch" "$ROOT" "${CREDS[@]}" /s3up cp --no-progress --endpoint-url "$url" \
        "s3://smoke/$key" /back.tar.zst || die "$arch/$name download (cp s3://...) in the empty root failed"
    in_root "$arch" "$ROOT" "${CREDS[@]}" /s3up restore --quiet --endpoint-url "$url" \
        "s3://smoke/$key" -C /restored || die "$arch/$name restore from S3 in the empty root failed"
    diff -r --no-dereference "$ROOT/tree" "$ROOT/restored/tree" ||
        die "$arch/$name: the tree restored by s3up differs from the one uploaded"
    mkdir -p "$ROOT/unpacked"
    zstd -dc "$ROOT/back.tar.zst" | tar -x -C "$ROOT/unpacked" ||
        die "the archive $arch/$name downloaded does not unpack with tar + zstd"
    got=$(find "$ROOT/unpacked" -name app.conf -path '*etc/app/*' -printf '%h\n' | head -n 1)
    [ -n "$got" ] && diff -r --no-dereference "$ROOT/tree" "${got%/etc/app}" ||
        die "$arch/$name: the archive downloaded by s3up does not hold the tree"
    echo "OK: $arch/$name in the empty root: tar --zstd up, cp s3://... down (verified), restore" \
        "s3://... into a directory: the tree matches (and GNU tar + zstd agree)"
}

# served_failed MESSAGE: the server's output and whether it still runs, then fail.
served_failed() {
    echo "server (pid $SERVER_PID, $(kill -0 "$SERVER_PID" 2>/dev/null && echo running || echo exited)):"
    show_server "$TMP/inside-serve-$arch.log" "$ROOT"
    die "$*"
}

# smoke_serve ARCH: the full binary serves from inside its root; aws-cli outside uploads to it
# and reads the object back.
smoke_serve() {
    local arch=$1
    if ! has_subcommand "$arch" "$OUT/$arch/s3up" serve; then
        missing "$arch/s3up has no serve subcommand: serving from the empty root not tested"
        return 0
    fi
    prepare_root "$arch" s3up
    mkdir -p "$ROOT/data"
    root_cmd "$arch" "$ROOT" /s3up serve "${serve_args[@]}" --root /data
    SERVER_HINT="the root has no /tmp, /etc or /dev, like a FROM scratch image: serve may write only under --root" \
        start_server "$TMP/inside-serve-$arch.log" "${ROOT_CMD[@]}"
    aws_isolated --endpoint-url "$SERVER_URL" s3 cp --only-show-errors "$PAYLOAD" s3://smoke/from-outside.bin ||
        served_failed "aws-cli upload to $arch/s3up serve in the empty root failed"
    aws_isolated --endpoint-url "$SERVER_URL" s3 cp --only-show-errors s3://smoke/from-outside.bin "$TMP/back-served.bin" ||
        served_failed "aws-cli download from $arch/s3up serve in the empty root failed"
    cmp "$PAYLOAD" "$TMP/back-served.bin" || die "served bytes differ from the upload"
    echo "OK: aws-cli uploaded $(stat -c %s "$PAYLOAD") bytes to $arch/s3up serve in the empty root and read them back"
    echo "server inside the root:"
    show_server "$TMP/inside-serve-$arch.log" "$ROOT"
    stop_pid "$SERVER_PID"
}

# smoke_demo ARCH: `s3up demo` (server, tar --zstd, multipart cp, read back, access log) under
# old-kernel. Not in the empty root: demo runs itself again through /proc/self/exe, so it needs
# /proc (every machine has it; a chroot does not). Not under qemu-user either: without
# binfmt_misc the kernel cannot exec the child, a foreign binary.
smoke_demo() {
    local arch=$1 out
    if ! is_native "$arch"; then
        echo "demo: not run for $arch (it re-executes itself, which qemu-user cannot follow)"
        return 0
    fi
    if ! has_subcommand "$arch" "$OUT/$arch/s3up" demo; then
        missing "$arch/s3up has no demo subcommand: demo not tested"
        return 0
    fi
    mkdir -p "$TMP/demo-$arch"
    out=$(env -i TMPDIR="$TMP/demo-$arch" "$OLD_KERNEL" "$OUT/$arch/s3up" demo 2>&1) || {
        printf '%s\n' "$out" | tail -n 20
        die "$arch/s3up demo failed under old-kernel"
    }
    printf '%s\n' "$out" | tail -n 3 | sed 's/^/  | /'
    echo "OK: $arch/s3up demo passed under old-kernel"
}

# smoke_arch ARCH: every smoke test of ARCH's binaries.
smoke_arch() {
    local arch=$1 name
    for name in "${VARIANTS[@]}"; do
        smoke_version "$arch" "$name"
    done
    if has_subcommand "$arch" "$OUT/$arch/s3up" serve; then
        # The server outside the root is this architecture's full binary, without a filter.
        mkdir -p "$TMP/outside-$arch"
        outside "$arch"
        start_server "$TMP/outside-serve-$arch.log" \
            "${OUTSIDE[@]}" "$OUT/$arch/s3up" serve "${serve_args[@]}" --root "$TMP/outside-$arch"
        for name in "${VARIANTS[@]}"; do
            smoke_upload "$arch" "$name" "$SERVER_URL"
            smoke_roundtrip "$arch" "$name" "$SERVER_URL"
        done
        echo "server outside the root:"
        show_server "$TMP/outside-serve-$arch.log"
        stop_pid "$SERVER_PID"
    else
        missing "$arch/s3up has no serve subcommand: no server to upload to"
    fi
    smoke_serve "$arch"
    smoke_demo "$arch"
}
