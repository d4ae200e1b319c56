#!/usr/bin/env bash
# The module boundaries the style guide sets, checked by grep (run by .ci/run):
#   - ureq (HTTP) is used only in src/transport.rs;
#   - ring (SHA-256/HMAC) only in src/sigv4/crypto.rs;
#   - the signer (src/sigv4/) is pure: no clock, file, network, environment or logging;
#   - the S3 request descriptions (src/s3/) do no I/O: they import no transport;
#   - the CLI (src/cli/) holds no protocol logic: it imports nothing of the signer;
#   - only the client (src/client/) builds signed requests from credentials: no other module
#     names the signer's Signer, Request or Scope.
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

# none_in PATTERN DIR WHAT: PATTERN must not appear under DIR.
none_in() {
    local hits
    hits=$(grep -rnE "$1" "$2" --include='*.rs' || true)
    if [ -n "$hits" ]; then
        echo "$3:"
        echo "$hits"
        bad=1
    fi
}

none_in 'crate::transport|super::super::transport|(^|[^a-z_])ureq' src/s3/ "src/s3/ must not import the transport"
none_in 'crate::sigv4|s3up::sigv4' src/cli/ "src/cli/ must not use the signer"
signers=$(grep -rnE 'sigv4::[^;]*\b(Signer|Request|Scope)\b' src/ --include='*.rs' |
    grep -vE '^src/(client/|sigv4/)' || true)
if [ -n "$signers" ]; then
    echo "only src/client/ builds signed requests from credentials:"
    echo "$signers"
    bad=1
fi

[ "$bad" = 0 ] || exit 1
echo "boundaries hold: ureq only in src/transport.rs, ring only in src/sigv4/crypto.rs, src/sigv4/ pure,"
echo "src/s3/ without the transport, src/cli/ without the signer, signing only in src/client/"
