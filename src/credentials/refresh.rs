//! Credentials that expire and are fetched again before they do: one cached value shared by all
//! upload workers, refreshed ahead of its `Expiration` (a few minutes, or half the lifetime of
//! short-lived credentials) and at once after the server answered `ExpiredToken`.
//!
//! Knows nothing of where credentials come from: a [`Fetch`] does that. Never logs a secret.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::expiring::Expiring;
use super::{Credentials, ProvideCredentials};
use crate::error::Error;
use crate::time::format_time;

/// How long before `Expiration` credentials are replaced, by default.
pub(crate) const DEFAULT_MARGIN: Duration = Duration::from_secs(5 * 60);

/// After a failed refresh with still-valid credentials, how long to keep using them before
/// trying again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

/// A source of temporary credentials: instance metadata, a container endpoint, STS, a process.
pub(crate) trait Fetch: Send + Sync {
    /// Fetches fresh credentials.
    ///
    /// # Errors
    /// Why the source gave none (without naming the source: callers add it).
    fn fetch(&self) -> Result<Expiring, String>;
    /// Where the credentials come from, for messages.
    fn source(&self) -> String;
    /// The region the source knows (instance metadata's `placement/region`), if any.
    fn region(&self) -> Option<String> {
        None
    }
}

struct Cached {
    value: Expiring,
    /// When to fetch again (`None`: never).
    refresh_at: Option<SystemTime>,
}

/// Caches what a [`Fetch`] gave and fetches again before it expires. Thread-safe: one worker
/// refreshes while the others wait for its result.
pub(crate) struct RefreshingCredentials<F: Fetch> {
    fetcher: F,
    margin: Duration,
    cached: Mutex<Option<Cached>>,
}

impl<F: Fetch> RefreshingCredentials<F> {
    /// Refreshes [`DEFAULT_MARGIN`] before expiry (or at half-life if that comes later).
    pub(crate) fn new(fetcher: F) -> Self {
        Self::with_margin(fetcher, DEFAULT_MARGIN)
    }

    /// Refreshes `margin` before expiry, or at half the credentials' lifetime if that comes
    /// later (so credentials valid for seconds are not fetched again for every request).
    pub(crate) fn with_margin(fetcher: F, margin: Duration) -> Self {
        Self {
            fetcher,
            margin,
            cached: Mutex::new(None),
        }
    }

    fn refresh_at(&self, value: &Expiring, now: SystemTime) -> Option<SystemTime> {
        let expires = value.expires?;
        let lifetime = expires.duration_since(now).unwrap_or_default();
        Some(expires - self.margin.min(lifetime / 2))
    }
}

impl<F: Fetch> RefreshingCredentials<F> {
    /// Like [`ProvideCredentials::credentials`], the error being the source's bare reason.
    ///
    /// # Errors
    /// Why the source gave nothing, when no still-valid credentials are cached.
    pub(crate) fn current(&self) -> Result<Credentials, String> {
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        let now = SystemTime::now();
        if let Some(c) = cached.as_ref() {
            if c.refresh_at.is_none_or(|at| now < at) {
                return Ok(c.value.credentials.clone());
            }
        }
        match self.fetcher.fetch() {
            Ok(value) => {
                log::info!(
                    "credentials from {}: {} (expire {})",
                    self.fetcher.source(),
                    value.credentials,
                    value
                        .expires
                        .map_or_else(|| "never".to_owned(), format_time)
                );
                let refresh_at = self.refresh_at(&value, SystemTime::now());
                let credentials = value.credentials.clone();
                *cached = Some(Cached { value, refresh_at });
                Ok(credentials)
            }
            Err(e) => match cached.as_mut() {
                // Still valid: keep signing with them and try again a little later.
                Some(c) if c.value.expires.is_some_and(|x| now < x) => {
                    log::warn!(
                        "refreshing credentials from {} failed ({e}); using the current ones until they expire",
                        self.fetcher.source()
                    );
                    c.refresh_at = Some(now + RETRY_AFTER_FAILURE);
                    Ok(c.value.credentials.clone())
                }
                _ => Err(e),
            },
        }
    }
}

impl<F: Fetch> ProvideCredentials for RefreshingCredentials<F> {
    fn credentials(&self) -> Result<Credentials, Error> {
        self.current().map_err(|why| {
            Error::Credentials(format!(
                "cannot get credentials from {}: {why}",
                self.fetcher.source()
            ))
        })
    }

    fn invalidate(&self) {
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = cached.as_mut() {
            c.refresh_at = Some(SystemTime::UNIX_EPOCH);
            // The server says they are expired: do not fall back to them if refreshing fails.
            c.value.expires = Some(SystemTime::UNIX_EPOCH);
        }
    }

    fn source(&self) -> String {
        self.fetcher.source()
    }

    fn region(&self) -> Option<String> {
        self.fetcher.region()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    struct Counter {
        calls: AtomicU32,
        lifetime: Duration,
        fail_after: u32,
    }

    impl Fetch for Arc<Counter> {
        fn fetch(&self) -> Result<Expiring, String> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if n > self.fail_after {
                return Err("down".into());
            }
            Ok(Expiring {
                credentials: Credentials::new(format!("KEY{n}"), "s", None),
                expires: Some(SystemTime::now() + self.lifetime),
            })
        }
        fn source(&self) -> String {
            "test".into()
        }
    }

    fn counter(lifetime: Duration, fail_after: u32) -> Arc<Counter> {
        Arc::new(Counter {
            calls: AtomicU32::new(0),
            lifetime,
            fail_after,
        })
    }

    #[test]
    fn caches_until_the_margin() {
        let c = counter(Duration::from_secs(3600), 100);
        let p = RefreshingCredentials::new(Arc::clone(&c));
        for _ in 0..5 {
            assert_eq!(p.credentials().expect("ok").access_key_id(), "KEY1");
        }
        assert_eq!(c.calls.load(Ordering::SeqCst), 1);
        p.invalidate();
        assert_eq!(p.credentials().expect("ok").access_key_id(), "KEY2");
    }

    #[test]
    fn short_lived_credentials_refresh_at_half_life() {
        let c = counter(Duration::from_millis(400), 100);
        let p = RefreshingCredentials::with_margin(Arc::clone(&c), Duration::from_secs(300));
        assert_eq!(p.credentials().expect("ok").access_key_id(), "KEY1");
        assert_eq!(p.credentials().expect("ok").access_key_id(), "KEY1");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(p.credentials().expect("ok").access_key_id(), "KEY2");
    }

    #[test]
    fn a_failed_refresh_keeps_valid_credentials_but_not_expired_ones() {
        let c = counter(Duration::from_secs(2), 1);
        let p = RefreshingCredentials::with_margin(Arc::clone(&c), Duration::from_secs(2));
        assert_eq!(p.credentials().expect("ok").access_key_id(), "KEY1");
        std::thread::sleep(Duration::from_millis(1100));
        // Past half-life: refresh fails, the current ones are still valid.
        assert_eq!(p.credentials().expect("ok").access_key_id(), "KEY1");
        p.invalidate();
        assert!(p.credentials().is_err());
    }

    #[test]
    fn shared_by_threads() {
        let c = counter(Duration::from_secs(3600), 100);
        let p = Arc::new(RefreshingCredentials::new(Arc::clone(&c)));
        std::thread::scope(|s| {
            for _ in 0..8 {
                let p = Arc::clone(&p);
                s.spawn(move || p.credentials().map(|_| ()));
            }
        });
        assert_eq!(c.calls.load(Ordering::SeqCst), 1);
    }
}
