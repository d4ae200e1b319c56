//! Shared run state of a transfer (uploads and downloads): the interrupt flag (set by the SIGINT/SIGTERM handler), bytes-done
//! counter for progress, the bandwidth budget shared by all workers, and what the run learnt
//! about the server (it refuses checksum headers, or unsigned payloads).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Control {
    interrupted: AtomicBool,
    bytes_done: AtomicU64,
    limiter: Option<RateLimiter>,
    /// Set once a server refused checksum headers under `ChecksumMode::Auto`: later uploads of
    /// the run skip them.
    checksums_refused: AtomicBool,
    /// Set once a server refused `UNSIGNED-PAYLOAD`: later bodies are signed.
    unsigned_refused: AtomicBool,
}

impl Control {
    pub fn new(limit_bytes_per_sec: Option<u64>) -> Self {
        Self {
            limiter: limit_bytes_per_sec.filter(|r| *r > 0).map(RateLimiter::new),
            ..Self::default()
        }
    }

    pub fn interrupt(&self) {
        self.interrupted.store(true, Ordering::SeqCst);
    }

    pub fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    pub(crate) fn checksums_refused(&self) -> bool {
        self.checksums_refused.load(Ordering::Relaxed)
    }

    /// Records that the server refused checksums; true the first time (to warn once).
    pub(crate) fn refuse_checksums(&self) -> bool {
        !self.checksums_refused.swap(true, Ordering::Relaxed)
    }

    pub(crate) fn unsigned_refused(&self) -> bool {
        self.unsigned_refused.load(Ordering::Relaxed)
    }

    /// Records that the server refused unsigned payloads; true the first time (to warn once).
    pub(crate) fn refuse_unsigned(&self) -> bool {
        !self.unsigned_refused.swap(true, Ordering::Relaxed)
    }

    pub(crate) fn add_done(&self, bytes: u64) {
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn bytes_done(&self) -> u64 {
        self.bytes_done.load(Ordering::Relaxed)
    }

    /// Waits until `bytes` fit the shared bandwidth budget (no-op without `--limit-rate`).
    pub(crate) fn throttle(&self, bytes: u64) {
        if let Some(l) = &self.limiter {
            l.acquire(bytes, self);
        }
    }
}

/// One budget shared by all workers: each send books its bytes on a shared timeline and
/// sleeps until its slot.
#[derive(Debug)]
struct RateLimiter {
    bytes_per_sec: u64,
    next_free: Mutex<Instant>,
}

impl RateLimiter {
    fn new(bytes_per_sec: u64) -> Self {
        Self {
            bytes_per_sec,
            next_free: Mutex::new(Instant::now()),
        }
    }

    fn acquire(&self, bytes: u64, control: &Control) {
        let cost = Duration::from_secs_f64(bytes as f64 / self.bytes_per_sec as f64);
        let start = {
            let mut next = self
                .next_free
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let start = (*next).max(now);
            *next = start + cost;
            start
        };
        // Sleep in short steps so an interrupt is noticed.
        while Instant::now() < start && !control.is_interrupted() {
            std::thread::sleep((start - Instant::now()).min(Duration::from_millis(100)));
        }
    }
}
