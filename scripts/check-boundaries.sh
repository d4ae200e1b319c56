#!/usr/bin/env bash
# The module boundaries the style guide sets, checked by grep (run by .ci/run):
#   - ureq (HTTP) is used only in src/transport.rs;
#   - ring (SHA-256/HMAC) only in src/sigv4/crypto.rs;
#   - the signer (src/sigv4/) is pure: no clock, file, network, environment or logging.
# Prints each offending line and exits 1, or says what it checked.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bad=0

# only_in PATTERN ALLOWED WHAT: PATTERN may appear in src/ only in ALLOWED.
only_in() {
    local hits
    hits=$(grep -rnE "$1" src/ --include='*.rs' | grep -v "^$2:" || true)
    if [ -n "$hits" ]; then
        echo "$3 outside $2:"
        echo "$hits"
        bad=1
    fi
}

only_in '(^|[^a-z_])ureq::|use ureq' src/transport.rs "ureq"
only_in '(^|[^a-z_])ring::|use ring' src/sigv4/crypto.rs "ring"

impure=$(grep -rnE 'SystemTime::now|Instant::now|std::fs|std::net|std::env|(^|[^a-z_])log::|println!|eprintln!' src/sigv4/ || true)
if [ -n "$impure" ]; then
    echo "the signer must stay pure (time comes in as an input; no I/O, environment or logging):"
    echo "$impure"
    bad=1
fi

[ "$bad" = 0 ] || exit 1
echo "boundaries hold: ureq only in src/transport.rs, ring only in src/sigv4/crypto.rs, src/sigv4/ pure"
