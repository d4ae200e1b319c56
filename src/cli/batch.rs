//! Running many transfers (the files of `cp --recursive`, `sync`): small ones several at a
//! time (one request each, bound by round trips), large ones one after another (each with its
//! own parts in parallel). An interrupt or an error that stops the run (bad credentials, no
//! bucket) ends it early; the exit status says what happened.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::control::Control;
use crate::error::Error;

/// Small transfers are cheap in memory and bound by round trips, so more of them run at once
/// than parts of a large one (16 at the default concurrency of 4).
fn small_workers(concurrency: usize) -> usize {
    concurrency.saturating_mul(4).clamp(1, 64)
}

/// Runs `one` for each job (`small` ones in parallel first); `one` prints its own outcome.
/// Returns the exit status: 0 all done, 1 some failed, 130 interrupted, or the status of an
/// error that stopped the run.
pub(super) fn run_all<J: Sync>(
    jobs: &[J],
    small: impl Fn(&J) -> bool,
    concurrency: usize,
    control: &Control,
    one: impl Fn(&J) -> Result<(), Error> + Sync,
) -> u8 {
    let failures = AtomicUsize::new(0);
    let stop: Mutex<Option<u8>> = Mutex::new(None);
    let stopped = || {
        stop.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    };
    let run_one = |job: &J| {
        let Err(e) = one(job) else { return };
        failures.fetch_add(1, Ordering::SeqCst);
        let code = if control.is_interrupted() || matches!(e, Error::Interrupted) {
            Some(130)
        } else {
            e.is_fatal_for_run().then(|| e.exit_code())
        };
        if let Some(code) = code {
            stop.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert(code);
        }
    };
    let (small, large): (Vec<&J>, Vec<&J>) = jobs.iter().partition(|j| small(j));
    let queue = Mutex::new(small.into_iter());
    std::thread::scope(|s| {
        for _ in 0..small_workers(concurrency) {
            s.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
                match next {
                    Some(job) if !stopped() => run_one(job),
                    _ => break,
                }
            });
        }
    });
    for job in large {
        if stopped() {
            break;
        }
        run_one(job);
    }
    if let Some(code) = *stop.lock().unwrap_or_else(PoisonError::into_inner) {
        return code;
    }
    u8::from(failures.load(Ordering::SeqCst) > 0)
}
