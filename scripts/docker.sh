#!/usr/bin/env bash
# Builds the Dockerfile for real and runs the image, with Debian's docker.io engine (issue 20).
#
#   1. starts its own dockerd (unix socket in a temporary directory, no TCP; published ports on
#      127.0.0.1 only; its own bridge) and stops it at the end, by PID;
#   2. builds a local stand-in for the base image rust:1.95-bookworm, which cannot be pulled
#      here: debootstrap of Debian bookworm with the tools the real image has that the build
#      uses (gcc, libc6-dev, make, git, curl, python3, ca-certificates), this machine's extra CA
#      certificates (so HTTPS from the build works where outbound TLS is intercepted), and this
#      machine's Rust toolchain, without the targets that the build must add itself;
#   3. `docker build` (BuildKit) of the Dockerfile, for this machine's architecture;
#   4. runs the image: --version; demo as root, and as --user 65534 with --read-only and a tmpfs
#      on /tmp; serve as --user 65534, --read-only, with a named volume on /data and a port on
#      127.0.0.1, and an upload from the host with aws-cli, read back; cp from a second
#      container (--user 65534 --read-only, no tmpfs) to that server, read back from the host;
#   5. builds a second image that copies the binary out with `COPY --from=` and runs it.
#   6. with S3UP_DOCKER_PLATFORMS="linux/arm64 ...", also builds for those platforms (below).
# Prints each step's time and the image size.
#
# Run as root: `bash scripts/docker.sh`. Installs docker.io and debootstrap when missing.
# S3UP_DOCKER_DATA=DIR keeps images and build cache between runs.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

BASE=rust:1.95-bookworm
IMAGE=s3up:ci
COPYOUT=s3up-copyout:ci
ACCESS_KEY=AKIDTESTS3UP
SECRET_KEY=test-secret-key-s3up

[ "$(id -u)" = 0 ] || die "run as root: dockerd and debootstrap need it"
STATE=$(mktemp -d)
# S3UP_DOCKER_DATA=DIR keeps the daemon's images and build cache there between runs (the
# stand-in base and the dependency layer are then reused); by default all is thrown away.
DATA_ROOT=${S3UP_DOCKER_DATA:-$STATE/data}
DOCKERD_PID=
CONTAINERS=()
cleanup() {
    local c
    if [ -n "$DOCKERD_PID" ]; then
        for c in "${CONTAINERS[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
        stop_dockerd
    fi
    rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# docker ARGS...: Debian's client, talking to our daemon only.
docker() {
    "$DOCKER_BIN" -H "unix://$STATE/docker.sock" "$@"
}

# stop_dockerd: TERM to our dockerd (it stops its containerd), wait up to 30 s, then KILL.
stop_dockerd() {
    local i
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        kill -0 "$DOCKERD_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
    echo "dockerd $DOCKERD_PID stopped"
    DOCKERD_PID=
}

# ---------------------------------------------------------------------------------------------
step "tools"
need_cmds dockerd:docker.io debootstrap:debootstrap curl:curl
# Debian's client matches Debian's daemon; another `docker` earlier on PATH may not.
DOCKER_BIN=/usr/bin/docker
[ -x "$DOCKER_BIN" ] || DOCKER_BIN=$(command -v docker) || die "docker.io installed no docker client"
"$DOCKER_BIN" --version
dockerd --version
VERSION=$(cargo pkgid -p s3up | sed 's/.*[#@]//')
grep -qx "ARG VERSION=$VERSION" Dockerfile ||
    die "the Dockerfile's ARG VERSION is not $VERSION (Cargo.toml): update the label's default"
step_done

step "start dockerd"
mkdir -p "$DATA_ROOT" "$STATE/exec"
dockerd --host "unix://$STATE/docker.sock" --data-root "$DATA_ROOT" --exec-root "$STATE/exec" \
    --pidfile "$STATE/dockerd.pid" --ip 127.0.0.1 >"$STATE/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for ((i = 0; i < 600; i++)); do
    docker version >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -n 30 "$STATE/dockerd.log"; die "dockerd exited"; }
    sleep 0.1
done
docker version --format 'dockerd {{.Server.Version}} (API {{.Server.APIVersion}}), pid '"$DOCKERD_PID"', socket '"$STATE/docker.sock" ||
    { tail -n 30 "$STATE/dockerd.log"; die "dockerd did not answer in 60 s"; }
step_done

# ---------------------------------------------------------------------------------------------
# standin_toolchain ROOTFS: this machine's Rust toolchain as the official image lays it out
# (RUSTUP_HOME=/usr/local/rustup, CARGO_HOME=/usr/local/cargo), with the host's standard
# library only: the build must `rustup target add` what it needs, as on the real image.
standin_toolchain() {
    local rootfs=$1 sysroot host name rustup_bin tool target
    sysroot=$(rustc --print sysroot)
    host=$(rustc -vV | sed -n 's/^host: //p')
    rustc --version | grep -q '^rustc 1\.95\.' || die "the stand-in needs Rust 1.95, this machine has $(rustc --version)"
    name=1.95.0-$host
    mkdir -p "$rootfs/usr/local/rustup/toolchains/$name" "$rootfs/usr/local/cargo/bin"
    # Without the 800 MB of HTML docs.
    tar -C "$sysroot" --exclude=./share/doc -cf - . | tar -C "$rootfs/usr/local/rustup/toolchains/$name" -xf -
    printf 'version = "12"\ndefault_toolchain = "%s"\nprofile = "minimal"\n' "$name" \
        >"$rootfs/usr/local/rustup/settings.toml"
    rustup_bin=$(command -v rustup) || die "rustup not found"
    for target in $(RUSTUP_HOME=$rootfs/usr/local/rustup rustup target list --installed --toolchain "$name"); do
        [ "$target" = "$host" ] ||
            RUSTUP_HOME=$rootfs/usr/local/rustup rustup target remove --toolchain "$name" "$target"
    done
    cp "$rustup_bin" "$rootfs/usr/local/cargo/bin/rustup"
    for tool in cargo rustc rustdoc rustfmt cargo-fmt cargo-clippy clippy-driver; do
        ln -sf rustup "$rootfs/usr/local/cargo/bin/$tool"
    done
    echo "toolchain $name, targets: $(RUSTUP_HOME=$rootfs/usr/local/rustup rustup target list --installed --toolchain "$name" | tr '\n' ' ')"
}

step "stand-in base image $BASE (debootstrap + this machine's Rust)"
if docker image inspect "$BASE" >/dev/null 2>&1; then
    echo "$BASE is already in this daemon"
else
    rootfs=$STATE/rootfs
    debootstrap --variant=minbase \
        --include=ca-certificates,curl,git,gcc,libc6-dev,make,file,xz-utils,python3,procps \
        bookworm "$rootfs" >"$STATE/debootstrap.log" 2>&1 ||
        { tail -n 30 "$STATE/debootstrap.log"; die "debootstrap of bookworm failed"; }
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
        chroot "$rootfs" update-ca-certificates >/dev/null
        echo "added this machine's CA certificates: $(cd /usr/local/share/ca-certificates && ls -- *.crt | tr '\n' ' ')"
    fi
    standin_toolchain "$rootfs"
    rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
    tar -C "$rootfs" -cf - . | docker import \
        --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV RUSTUP_HOME=/usr/local/rustup' \
        --change 'ENV CARGO_HOME=/usr/local/cargo' \
        --change 'ENV RUST_VERSION=1.95.0' \
        --change 'CMD ["bash"]' - "$BASE" >/dev/null
    rm -rf "$rootfs"
fi
docker image ls "$BASE"
step_done

# ---------------------------------------------------------------------------------------------
step "docker build (BuildKit) -t $IMAGE"
source_url=$(git remote get-url origin 2>/dev/null || true)
# The whole log goes to a file; the steps, their times and the smoke tests' verdicts to CI.
{
    if DOCKER_BUILDKIT=1 docker build --progress=plain --build-arg "VERSION=$VERSION" \
        --build-arg "SOURCE=$source_url" -t "$IMAGE" . 2>&1; then
        echo "docker build exit status: 0"
    else
        echo "docker build exit status: $?"
    fi
} | tee "$STATE/build.log" |
    grep --line-buffered -E '^#[0-9]+ (\[|DONE|ERROR|CACHED)|#[0-9]+ [0-9.]+ (OK:|SKIPPED|FAILED|build-static:|\(.*: [0-9]+s\))|exit status' || true
grep -qx 'docker build exit status: 0' "$STATE/build.log" ||
    { tail -n 60 "$STATE/build.log"; die "docker build failed"; }
IMAGE_SIZE=$(docker image inspect -f '{{.Size}}' "$IMAGE")
echo "image $IMAGE: $IMAGE_SIZE bytes"
docker image inspect -f '{{json .Config.Labels}}' "$IMAGE"
docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$IMAGE" |
    grep -qx "$VERSION" || die "the image's version label is not $VERSION"
step_done

# ---------------------------------------------------------------------------------------------
step "docker run: --version, demo"
out=$(docker run --rm "$IMAGE" --version)
echo "docker run --rm $IMAGE --version: $out"
grep -qF "$VERSION" <<<"$out" || die "--version printed '$out'"
docker run --rm "$IMAGE" demo >"$STATE/demo-root.log" 2>&1 ||
    { tail -n 20 "$STATE/demo-root.log"; die "demo failed as root"; }
echo "OK: demo as root: $(tail -n 1 "$STATE/demo-root.log")"
docker run --rm --user 65534 --read-only --tmpfs /tmp "$IMAGE" demo >"$STATE/demo-ro.log" 2>&1 ||
    { tail -n 20 "$STATE/demo-ro.log"; die "demo failed as --user 65534 --read-only --tmpfs /tmp"; }
echo "OK: demo as --user 65534 --read-only --tmpfs /tmp: $(tail -n 1 "$STATE/demo-ro.log")"
step_done

step "docker run: serve (user 65534, read-only, volume) and cp from a container"
export AWSCLI_HOME=$STATE/awscli AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY
mkdir -p "$AWSCLI_HOME" "$STATE/in"
head -c $((9 * 1048576 + 777)) /dev/urandom >"$STATE/in/payload.bin"
chmod 755 "$STATE/in" && chmod 644 "$STATE/in/payload.bin"
CONTAINERS+=(s3up-ci-serve)
docker run -d --name s3up-ci-serve --user 65534 --read-only --tmpfs /tmp \
    -v s3up-ci-data:/data -p 127.0.0.1::9000 "$IMAGE" \
    serve --addr 0.0.0.0:9000 --root /data --bucket smoke \
    --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" >/dev/null
for ((i = 0; i < 300; i++)); do
    docker logs s3up-ci-serve 2>&1 | grep -q '^ready: ' && break
    [ "$(docker inspect -f '{{.State.Running}}' s3up-ci-serve)" = true ] ||
        { docker logs s3up-ci-serve; die "serve exited in the container"; }
    sleep 0.1
done
docker logs s3up-ci-serve 2>&1 | sed 's/^/  | /'
port=$(docker port s3up-ci-serve 9000/tcp | grep -oE '^127\.0\.0\.1:[0-9]+$' | head -n 1)
[ -n "$port" ] || die "no port on 127.0.0.1 for the container's 9000: $(docker port s3up-ci-serve)"
url=http://$port
aws_isolated --endpoint-url "$url" s3 cp --only-show-errors "$STATE/in/payload.bin" s3://smoke/from-host.bin ||
    die "aws-cli upload from the host to serve in the container failed"
aws_isolated --endpoint-url "$url" s3 cp --only-show-errors s3://smoke/from-host.bin "$STATE/back-host.bin" ||
    die "aws-cli download from serve in the container failed"
cmp "$STATE/in/payload.bin" "$STATE/back-host.bin" || die "bytes read back differ from the upload"
echo "OK: aws-cli on the host uploaded 9 MiB to serve in the container ($url) and read it back"
# cp from a second container in the server's network namespace (its loopback), read-only root
# and no tmpfs: an upload needs no temporary directory.
docker run --rm --user 65534 --read-only --network container:s3up-ci-serve \
    -v "$STATE/in:/in:ro" -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_REGION=us-east-1 \
    "$IMAGE" cp --no-progress --endpoint-url http://127.0.0.1:9000 /in/payload.bin \
    s3://smoke/from-container.bin || die "cp in a container (--user 65534 --read-only) failed"
aws_isolated --endpoint-url "$url" s3 cp --only-show-errors s3://smoke/from-container.bin "$STATE/back-container.bin" ||
    die "aws-cli could not read back the object cp uploaded from the container"
cmp "$STATE/in/payload.bin" "$STATE/back-container.bin" || die "bytes cp uploaded differ"
echo "OK: cp in a container (--user 65534 --read-only, no tmpfs) uploaded 9 MiB; read back from the host"
docker rm -f s3up-ci-serve >/dev/null
docker volume rm s3up-ci-data >/dev/null
step_done

step "second image: COPY --from=$IMAGE"
mkdir -p "$STATE/copyout"
cat >"$STATE/copyout/Dockerfile" <<EOF
FROM $IMAGE AS s3up
FROM $BASE
COPY --from=s3up /s3up /usr/local/bin/s3up
RUN s3up --version
EOF
docker build -q -t "$COPYOUT" "$STATE/copyout" >/dev/null || die "the COPY --from image did not build"
out=$(docker run --rm "$COPYOUT" s3up --version)
echo "docker run --rm $COPYOUT s3up --version: $out"
grep -qF "$VERSION" <<<"$out" || die "the copied binary printed '$out'"
step_done

# Other platforms (S3UP_DOCKER_PLATFORMS="linux/arm64 linux/386"; none by default, each is a
# whole cross build): BuildKit builds the Dockerfile with --platform, which is what each
# platform of `docker buildx build --platform ...` does. The builder runs natively and
# cross-compiles for TARGETARCH; the binary copied out of the image must be that architecture
# and run (under qemu-user where this machine cannot run it).
for platform in ${S3UP_DOCKER_PLATFORMS:-}; do
    step "docker build --platform $platform"
    tag=s3up:ci-${platform//\//-}
    {
        if DOCKER_BUILDKIT=1 docker build --progress=plain --platform "$platform" \
            --build-arg "VERSION=$VERSION" -t "$tag" . 2>&1; then
            echo "docker build exit status: 0"
        else
            echo "docker build exit status: $?"
        fi
    } >"$STATE/build-${platform//\//-}.log"
    grep -E '#[0-9]+ [0-9.]+ (OK:|SKIPPED|FAILED|build-static:|\(.*: [0-9]+s\))' "$STATE/build-${platform//\//-}.log" || true
    grep -qx 'docker build exit status: 0' "$STATE/build-${platform//\//-}.log" ||
        { tail -n 60 "$STATE/build-${platform//\//-}.log"; die "docker build --platform $platform failed"; }
    arch=$(docker image inspect -f '{{.Os}}/{{.Architecture}}' "$tag")
    [ "$arch" = "$platform" ] || die "the image built for $platform says $arch"
    CONTAINERS+=(s3up-ci-copy)
    docker create --name s3up-ci-copy "$tag" >/dev/null
    docker cp s3up-ci-copy:/s3up "$STATE/s3up-${platform//\//-}"
    docker rm s3up-ci-copy >/dev/null
    file "$STATE/s3up-${platform//\//-}"
    case $platform in
    linux/arm64) run=(qemu-aarch64-static) && need_cmds qemu-aarch64-static:qemu-user-static ;;
    *) run=() ;;
    esac
    out=$("${run[@]}" "$STATE/s3up-${platform//\//-}" --version)
    grep -qF "$VERSION" <<<"$out" || die "the $platform binary printed '$out'"
    echo "OK: image $tag is $arch, $(docker image inspect -f '{{.Size}}' "$tag") bytes; its /s3up --version: $out"
    step_done
done

step "stop dockerd"
stop_dockerd
step_done

section "docker summary"
awk -v s="$IMAGE_SIZE" 'BEGIN { printf "image s3up: %d bytes (%.2f MiB)\n", s, s / 1048576 }'
printf '%s\n' "${TIMES[@]}"
echo "docker: OK"
