//! Last line of defence for "no secret in any output, at any log level": every secret key and
//! session token s3up holds is registered here, and the logger replaces them before printing
//! (the canonical request shown by `--debug` contains the session token, and dependencies may
//! log headers at trace level).

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers a secret so that [`redact`] hides it. Short strings are ignored (they would
/// redact ordinary words).
pub(crate) fn register(secret: &str) {
    if secret.len() < 8 {
        return;
    }
    let mut list = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    if !list.iter().any(|s| s == secret) {
        list.push(secret.to_owned());
    }
}

/// `text` with every registered secret replaced by `** redacted **`.
pub(crate) fn redact(text: &str) -> Cow<'_, str> {
    let list = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    let mut out = Cow::Borrowed(text);
    for secret in list.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), "** redacted **"));
        }
    }
    out
}
