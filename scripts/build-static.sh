#!/usr/bin/env bash
# The static appliance (SPEC "The static appliance", issues 8 and 20).
#
# Builds statically linked musl release binaries for every EC2 machine and proves they need
# nothing from the host and nothing newer than an old kernel:
#   target/static/ARCH/s3up          full: default features (`serve`, `demo`)
#   target/static/ARCH/s3up-minimal  --no-default-features: the blocking uploader only
#   target/static/s3up-VERSION-ARCH-linux-musl.tar.gz   release tarball: s3up (full), README, LICENSE
#   target/static/SHA256SUMS         all of the above
# for ARCH in x86_64, aarch64 and i686 (`*-unknown-linux-musl`). For each binary: `file`, no
# NEEDED and no INTERP (readelf), size against the budget, SHA-256, then smoke tests inside an
# empty root directory (chroot; no libc, no /etc, no CA files, no HOME, `env -i`; only
# /dev/random and /dev/urandom, which old kernels make programs read):
#   - architectures this machine runs natively (x86_64, and i686 through the kernel's 32-bit
#     support) run under scripts/old-kernel (every system call newer than Linux 3.2 fails with
#     ENOSYS, as on an old kernel); the filter itself is tested first with a probe;
#   - the others (aarch64 here) run under qemu-user (qemu-ARCH-static, copied into the root).
# Smoke tests: `--version`; a multipart upload to a server outside the root, read back with
# aws-cli; the download/restore round trip (scripts/static-smoke.sh); for the full binary
# `serve` inside the root (aws-cli uploads to it and reads back), and `demo` under old-kernel
# (outside the root: it needs /proc).
#
# Cross-compiling uses cargo-zigbuild with Zig (both pinned, from PyPI, installed under
# target/tools/zig): one C toolchain for ring and zstd-sys on every target, the same on every
# machine. Each target triple has its own cargo target dir, target/musl/TRIPLE.
#
# Installs what it misses (rustup targets, Debian packages, Zig and aws-cli via pip).
# Run as root (chroot, mknod) from anywhere: `bash scripts/build-static.sh [OPTIONS]`.
#   --arch ARCH    build only ARCH (repeatable; default: x86_64 aarch64 i686; Docker's names
#                  amd64, arm64 and 386 also work)
#   --no-minimal   skip the minimal binaries (the Dockerfile ships only the full one)
#   --deps-only    only compile the dependencies of the full binary, then forget the workspace's
#                  own crates (the Dockerfile's dependency layer, built from stub sources)
# Environment:
#   REQUIRE_FULL_SMOKE=0  print SKIPPED instead of failing when the binary has no `cp` or
#                         `serve` subcommand for the upload/serve smoke tests (default 1: fail).
#   CARGO_TARGET_DIR      honoured (the per-triple dirs go under it); the checked binaries are
#                         always copied to target/static/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

ZIGBUILD_VERSION=0.24.0
ZIGLANG_VERSION=0.17.0
OUT=target/static
MIB=1048576
MINIMAL_MAX=$((MIB * 7 / 2)) # 3.5 MiB, every architecture
FULL_MAX=$((MIB * 8))
REQUIRE_FULL_SMOKE=${REQUIRE_FULL_SMOKE:-1}

ARCHES=()
MINIMAL=1
DEPS_ONLY=0
while [ $# -gt 0 ]; do
    case $1 in
    --arch)
        [ $# -ge 2 ] || die "--arch needs an architecture (x86_64, aarch64 or i686)"
        ARCHES+=("$2")
        shift 2
        ;;
    --no-minimal) MINIMAL=0 && shift ;;
    --deps-only) DEPS_ONLY=1 && shift ;;
    *) die "unknown option '$1' (use --arch ARCH, --no-minimal, --deps-only)" ;;
    esac
done
[ "${#ARCHES[@]}" -gt 0 ] || ARCHES=(x86_64 aarch64 i686)
# Docker's names (TARGETARCH) are accepted too.
for i in "${!ARCHES[@]}"; do
    case ${ARCHES[$i]} in
    x86_64 | amd64) ARCHES[i]=x86_64 ;;
    aarch64 | arm64) ARCHES[i]=aarch64 ;;
    i686 | 386) ARCHES[i]=i686 ;;
    *) die "unsupported architecture '${ARCHES[$i]}' (use x86_64, aarch64 or i686)" ;;
    esac
done
triple() { echo "$1-unknown-linux-musl"; }
# zig's name for the same target (old-kernel and its probe are C, compiled with `zig cc`).
zig_target() {
    case $1 in
    i686) echo x86-linux-musl ;;
    *) echo "$1-linux-musl" ;;
    esac
}
VARIANTS=(s3up)
[ "$MINIMAL" = 0 ] || VARIANTS+=(s3up-minimal)

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
# install_zig: cargo-zigbuild and Zig, pinned, under target/tools/zig (pip's --target keeps them
# out of the system Python, and works on Debian's externally managed one).
install_zig() {
    local dir=$1
    if [ ! -d "$dir/cargo_zigbuild-$ZIGBUILD_VERSION.dist-info" ] ||
        [ ! -d "$dir/ziglang-$ZIGLANG_VERSION.dist-info" ]; then
        need_cmds python3:python3
        python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
        echo "installing cargo-zigbuild $ZIGBUILD_VERSION and ziglang $ZIGLANG_VERSION with pip into $dir"
        rm -rf "$dir"
        PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
            --target "$dir" "cargo-zigbuild==$ZIGBUILD_VERSION" "ziglang==$ZIGLANG_VERSION"
    fi
    export PATH="$dir/bin:$PATH" CARGO_ZIGBUILD_ZIG_PATH="$dir/ziglang/zig"
}

step "tools"
for arch in "${ARCHES[@]}"; do
    if ! rustup target list --installed 2>/dev/null | grep -qx "$(triple "$arch")"; then
        command -v rustup >/dev/null || die "the $(triple "$arch") standard library is missing and rustup is not installed"
        rustup target add "$(triple "$arch")"
    fi
done
# file/readelf check the result; curl, tar and zstd read back and unpack the round trip.
need_cmds file:file readelf:binutils sha256sum:coreutils cmp:diffutils curl:curl zstd:zstd \
    tar:tar gzip:gzip
TARGET_ROOT=$(cargo metadata --format-version 1 --no-deps --locked |
    grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)
install_zig "$TARGET_ROOT/tools/zig"
export ZIG_GLOBAL_CACHE_DIR="$TARGET_ROOT/tools/zig-cache"
cargo --version
rustc --version
cargo-zigbuild --version
echo "zig $("$CARGO_ZIGBUILD_ZIG_PATH" version)"
VERSION=$(cargo pkgid -p s3up | sed 's/.*[#@]//')
echo "s3up version $VERSION; per-triple target dirs under $TARGET_ROOT/musl"
mkdir -p "$OUT"
step_done

# build_one ARCH NAME CARGO_ARGS...: release build for ARCH's musl target in its own target
# dir, copied to $OUT/ARCH/NAME (full and minimal write the same path, so copy right after).
build_one() {
    local arch=$1 name=$2 t
    shift 2
    t=$(triple "$arch")
    CARGO_TARGET_DIR="$TARGET_ROOT/musl/$t" \
        cargo zigbuild --locked --release --target "$t" -p s3up --bin s3up "$@"
    mkdir -p "$OUT/$arch"
    cp "$TARGET_ROOT/musl/$t/$t/release/s3up" "$OUT/$arch/$name"
}

if [ "$DEPS_ONLY" = 1 ]; then
    for arch in "${ARCHES[@]}"; do
        step "dependencies of the full binary, $arch"
        t=$(triple "$arch")
        CARGO_TARGET_DIR="$TARGET_ROOT/musl/$t" \
            cargo zigbuild --locked --release --target "$t" -p s3up --bin s3up
        # The workspace crates were stubs: drop them so the real sources always rebuild.
        CARGO_TARGET_DIR="$TARGET_ROOT/musl/$t" \
            cargo clean --release --target "$t" -p s3up -p test-server
        step_done
    done
    step "zig's musl libc for the C programs (old-kernel, probe)"
    # Zig builds libc for each C target on first use (~100 s): here, in the cached layer. The C
    # programs are old-kernel (this machine's architecture) and a probe per native one.
    printf 'int main(void) { return 0; }\n' >"$TMP/warm.c"
    warm=("$(uname -m)")
    [[ "$(uname -m) ${ARCHES[*]}" == x86_64*i686* ]] && warm+=(i686)
    for arch in "${warm[@]}"; do
        "$CARGO_ZIGBUILD_ZIG_PATH" cc -target "$(zig_target "$arch")" -static -Os -o "$TMP/warm" "$TMP/warm.c"
    done
    step_done
    printf '%s\n' "${TIMES[@]}"
    echo "build-static: dependencies OK"
    exit 0
fi

# ---------------------------------------------------------------------------------------------
step "dependency boundary (minimal build)"
# The uploader stays blocking and small: nothing of the async server stack may reach it.
crate_names() {
    cargo tree --locked -p s3up --target "$(triple "${ARCHES[0]}")" -e normal --prefix none \
        --format '{p}' "$@" | awk '{print $1}' | sort -u
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

for arch in "${ARCHES[@]}"; do
    step "build $arch full (default features)"
    build_one "$arch" s3up
    step_done
    if [ "$MINIMAL" = 1 ]; then
        step "build $arch minimal (--no-default-features)"
        build_one "$arch" s3up-minimal --no-default-features
        step_done
    fi
done

# ---------------------------------------------------------------------------------------------
step "static linking, size, SHA-256, release tarballs"
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
    echo "sha256: $(sha256sum "$bin" | cut -d' ' -f1)"
}
# tarball ARCH: s3up-VERSION-ARCH-linux-musl.tar.gz with the full binary, README and LICENSE,
# byte-for-byte reproducible (sorted names, fixed owner and times, gzip without a timestamp).
tarball() {
    local arch=$1 name epoch stage
    name=s3up-$VERSION-$arch-linux-musl
    epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
    stage=$TMP/tar/$name
    mkdir -p "$stage"
    cp "$OUT/$arch/s3up" README.md LICENSE "$stage/"
    tar -C "$TMP/tar" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
        --mode='u+rwX,go+rX,go-w' -cf - "$name" | gzip -9n >"$OUT/$name.tar.gz"
    echo "$OUT/$name.tar.gz: $(tar -tzf "$OUT/$name.tar.gz" | tr '\n' ' ')"
}
sums=()
for arch in "${ARCHES[@]}"; do
    check_static "$OUT/$arch/s3up" "$FULL_MAX"
    sums+=("$arch/s3up")
    if [ "$MINIMAL" = 1 ]; then
        check_static "$OUT/$arch/s3up-minimal" "$MINIMAL_MAX"
        sums+=("$arch/s3up-minimal")
    fi
    tarball "$arch"
    sums+=("s3up-$VERSION-$arch-linux-musl.tar.gz")
done
(cd "$OUT" && sha256sum "${sums[@]}" | tee SHA256SUMS)
step_done

# ---------------------------------------------------------------------------------------------
# shellcheck source=scripts/static-smoke.sh
. scripts/static-smoke.sh

step "old-kernel filter: build and probe"
build_old_kernel
step_done

for arch in "${ARCHES[@]}"; do
    step "smoke: $arch ($(how_run "$arch"))"
    smoke_arch "$arch"
    step_done
done

# ---------------------------------------------------------------------------------------------
section "summary"
for arch in "${ARCHES[@]}"; do
    for name in "${VARIANTS[@]}"; do
        f=$OUT/$arch/$name
        awk -v n="$f" -v s="$(stat -c %s "$f")" -v mib="$MIB" -v h="$(sha256sum "$f" | cut -c1-16)" \
            -v how="$(how_run "$arch")" \
            'BEGIN { printf "%-32s %10d bytes %6.2f MiB  sha256 %s...  smoke: %s\n", n, s, s / mib, h, how }'
    done
done
printf '%s\n' "${TIMES[@]}"
echo "build-static: OK"
