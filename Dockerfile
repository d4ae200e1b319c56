# s3up as a FROM scratch image: one static musl binary, an empty /tmp (mode 1777) and /data
# (owned by 65534, for `serve --root /data`); no libc, no shell, no CA files (TLS roots are
# built into the binary).
#
#   docker build -t s3up .
#   docker run --rm s3up --version
#   docker run --rm --user 65534 --read-only --tmpfs /tmp s3up demo
#   docker run -d -p 127.0.0.1:9000:9000 --user 65534 --read-only --tmpfs /tmp \
#       -v s3up-data:/data s3up serve --addr 0.0.0.0:9000 --root /data --bucket test
#   docker run --rm --user 65534 --read-only -v "$PWD":/in:ro -e AWS_ACCESS_KEY_ID \
#       -e AWS_SECRET_ACCESS_KEY s3up cp /in/backup.tar s3://my-bucket/
#
# /tmp: `demo` and `serve` keep scratch files (serve: its access log, unless --access-log) in
# the temporary directory, so with --read-only give them a tmpfs (`--tmpfs /tmp`) or a volume;
# `cp` needs none. A named volume on /data starts owned by 65534, so `serve` can write to it as
# --user 65534; a bind mount must be writable by that user.
#
# Building this file needs BuildKit: the default of `docker build` since Docker 23; with an
# older engine (Debian 12's docker.io is 20.10) set DOCKER_BUILDKIT=1. The classic builder
# stops at `FROM --platform=$BUILDPLATFORM` ("failed to parse platform"). That line makes the
# builder run on the build machine's platform and cross-compile for TARGETARCH (amd64 ->
# x86_64, arm64 -> aarch64, 386 -> i686), so several architectures need no emulation:
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t s3up .
#   DOCKER_BUILDKIT=1 docker build --platform linux/arm64 -t s3up:arm64 .   # one at a time
#
# The other examples here (run, COPY --from) work with either builder, except RUN --mount.
#
# As a build step in another image, copy the binary out of it (it runs on any Linux of its
# architecture, 3.2 or newer):
#
#   FROM s3up AS s3up
#   FROM debian:bookworm-slim
#   COPY --from=s3up /s3up /usr/local/bin/s3up
#   # needs BuildKit (RUN --mount):
#   RUN --mount=type=secret,id=aws,target=/root/.aws/credentials \
#       s3up cp /build/artifact.tar s3://my-bucket/artifacts/
#
# (or `COPY --from=<your registry>/s3up:<tag> /s3up /usr/local/bin/s3up` without the alias).
#
# The builder stage runs only scripts/build-static.sh, exactly what CI runs, so the image holds
# the binary that script built and checked (static, within the size budget, smoke-tested in an
# empty root under the old-kernel filter, or qemu-user when cross-compiled). That script needs
# root, chroot and seccomp (default build capabilities), loopback, and the package registries.
# scripts/docker.sh builds and runs this image in CI.

FROM --platform=$BUILDPLATFORM rust:1.95-bookworm AS builder
ARG TARGETARCH
WORKDIR /src

# Dependencies first, in their own layer: only the manifests, the lock file and the build
# script, with stub sources. A change to the sources or the README reuses this layer and
# compiles only s3up and test-server.
COPY Cargo.toml Cargo.lock ./
COPY test-server/Cargo.toml test-server/
COPY scripts/lib.sh scripts/build-static.sh scripts/
RUN mkdir -p src test-server/src tests \
    && echo 'fn main() {}' >src/main.rs \
    && touch src/lib.rs test-server/src/lib.rs tests/tests.rs \
    && bash scripts/build-static.sh --deps-only --arch "${TARGETARCH:-$(uname -m)}"

COPY . .
RUN bash scripts/build-static.sh --no-minimal --arch "${TARGETARCH:-$(uname -m)}" \
    && mkdir -p /image/tmp /image/data \
    && chmod 1777 /image/tmp \
    && chown 65534:65534 /image/data \
    && cp target/static/*/s3up /image/s3up

FROM scratch
# The version of Cargo.toml; scripts/docker.sh checks they agree.
ARG VERSION=0.1.0
# Where the sources are published (e.g. `--build-arg SOURCE=$(git remote get-url origin)`).
ARG SOURCE=
LABEL org.opencontainers.image.title="s3up" \
      org.opencontainers.image.description="Upload backups to S3 with SigV4 from one static binary; embedded test S3 server" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="$SOURCE"
COPY --from=builder /image/ /
ENTRYPOINT ["/s3up"]
