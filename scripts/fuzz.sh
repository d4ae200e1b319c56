#!/usr/bin/env bash
# Fuzzing (issue 7): runs each cargo-fuzz target in fuzz/ briefly and fails on any crash (a panic,
# a hang of the test server, a sanitizer report). Targets: the S3 and STS XML answers, the
# config/credentials files, s3:// and endpoint URLs, the credential services' JSON answers, and
# the test server's handling of raw and signed requests (malformed SigV4 headers included).
#
# Needs the nightly toolchain (`cargo +nightly`) and cargo-fuzz (installed with
# `cargo install cargo-fuzz --locked` when missing). The first build of the crate graph with
# the sanitizer takes several minutes on 2 cores, which is why CI does not run this script.
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 20)
#   FUZZ_TARGETS  space-separated targets (default: all of `cargo fuzz list`)
# Corpora grow in fuzz/corpus/TARGET (not versioned; seeds are in fuzz/seeds/TARGET); a crash is
# saved in fuzz/artifacts/TARGET/ and replayed with `cargo +nightly fuzz run TARGET FILE`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

SECONDS_EACH=${FUZZ_SECONDS:-20}
[[ $SECONDS_EACH =~ ^[0-9]+$ ]] || die "FUZZ_SECONDS must be a whole number, not '$SECONDS_EACH'"

cargo +nightly --version >/dev/null 2>&1 ||
    die "the nightly toolchain is missing (rustup toolchain install nightly)"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Scratch files of the targets (the profile files, the test server's root) go here.
export TMPDIR=$WORK

section "build the fuzz targets (nightly, sanitizer)"
start=$SECONDS
cargo +nightly fuzz build
echo "built in $((SECONDS - start))s"

if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

declare -a SUMMARY=()
failed=0
for t in "${targets[@]}"; do
    section "fuzz $t for ${SECONDS_EACH}s"
    mkdir -p "fuzz/corpus/$t"
    seeds=()
    [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
    log=$WORK/$t.log
    # -timeout: a unit running 30 s is a hang (the server target gives up after 10 s itself).
    if cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "${seeds[@]}" -- \
        -max_total_time="$SECONDS_EACH" -timeout=30 -print_final_stats=1 >"$log" 2>&1; then
        result=ok
    else
        result=CRASH
        failed=$((failed + 1))
        # The panic (or sanitizer report) and where the input was saved.
        grep -E -A2 "panicked at|ERROR: AddressSanitizer|ERROR: libFuzzer" "$log" | head -n 12 || true
        # The first frames in project code.
        grep -E "^ +at .*/(src|test-server/src|fuzz/fuzz_targets)/" "$log" |
            grep -Ev "/rustc/|/registry/" | head -n 4 || true
        grep -E "Test unit written to|^Failing input|cargo fuzz run" "$log" || tail -n 20 "$log"
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
    line=$(printf '%-20s %-5s %10s runs %7s/s  corpus %5s' "$t" "$result" "${runs:-?}" "${rate:-?}" "$corpus")
    echo "$line"
    SUMMARY+=("$line")
done

section "fuzz summary"
printf '%s\n' "${SUMMARY[@]}"
if [ "$failed" != 0 ]; then
    die "$failed fuzz target(s) crashed"
fi
echo "fuzz: ${#targets[@]} targets, no crash"
