# s3up as a FROM scratch image: one static binary, nothing else (no libc, no shell, no CA files;
# TLS roots are built into the binary).
#
#   docker build -t s3up .
#   docker run --rm s3up --version
#
# As a build step in another image, copy the binary out of it (it runs on any x86_64 Linux):
#
#   FROM s3up AS s3up
#   FROM debian:bookworm-slim
#   COPY --from=s3up /s3up /usr/local/bin/s3up
#   RUN --mount=type=secret,id=aws,target=/root/.aws/credentials \
#       s3up cp /build/artifact.tar s3://my-bucket/artifacts/
#
# (or `COPY --from=<your registry>/s3up:<tag> /s3up /usr/local/bin/s3up` without the alias).
#
# The builder stage runs only scripts/build-static.sh, exactly what CI runs, so the image holds
# the binary that script built and checked (static, within the size budget, smoke-tested in an
# empty root). That script needs root and chroot (default build capabilities) and loopback.

FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
RUN bash scripts/build-static.sh

FROM scratch
COPY --from=builder /src/target/static/s3up /s3up
ENTRYPOINT ["/s3up"]
