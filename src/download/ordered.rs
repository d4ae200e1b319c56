//! A download read in order (standard output, a restore): pieces are fetched in parallel into
//! buffers and handed to the reader in object order. At most `concurrency` pieces are
//! dispatched and not yet read through (the reader's current piece included), in buffers that
//! are reused, so memory stays within `concurrency × part size` however large the object. (It
//! was `concurrency + 1`: one more buffer, 8 MiB more, and no faster, measured to /dev/null.)
//! The reader's bytes are verified as they pass; the verdict comes once the whole object went
//! through.

use std::io::{BufRead, Read};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::check::InOrder;
use super::fetch::{fetch, LocalOr, PieceWriter};
use super::plan::{pieces, Piece, Plan};
use super::{DownloadOptions, Source};
use crate::client::Client;
use crate::control::Control;
use crate::error::Error;

/// A piece's buffer, filled at its offsets.
struct Buffer(Vec<u8>);

impl PieceWriter for Buffer {
    fn write_at(&mut self, at: u64, bytes: &[u8]) -> std::io::Result<()> {
        // Resumed fetches continue where the last attempt stopped, so `at` is always the end.
        debug_assert_eq!(at, self.0.len() as u64);
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

/// What the fetchers and the reader share.
#[derive(Default)]
struct State {
    /// Fetched pieces not yet read, by index.
    ready: std::collections::BTreeMap<usize, Vec<u8>>,
    /// Buffers the reader is done with, for the next fetches: at most `ahead` buffers are ever
    /// allocated, and reusing them keeps the allocator from holding on to freed ones (glibc
    /// kept ~3x the bound when each piece got a fresh 8 MiB allocation freed on another thread).
    free: Vec<Vec<u8>>,
    /// Pieces handed to fetchers so far.
    dispatched: usize,
    /// Pieces the reader finished.
    consumed: usize,
    failure: Option<Error>,
    /// The reader is gone (done or failed): fetchers stop.
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// Pieces allowed ahead of the reader.
    ahead: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'g>(&self, guard: MutexGuard<'g, State>) -> MutexGuard<'g, State> {
        self.changed
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Streams the planned object into `consume` (which reads it in order), then verifies it.
///
/// # Errors
/// The download's own failure, or `consume`'s, or a checksum mismatch after `consume` returned
/// (whatever it did with the bytes: callers say so).
pub(crate) fn stream<T>(
    client: &Client,
    source: &Source,
    plan: &Plan,
    opts: &DownloadOptions,
    control: &Control,
    consume: impl FnOnce(&mut dyn BufRead) -> Result<T, Error>,
) -> Result<T, Error> {
    let pieces = pieces(&plan.segments, opts.part_size);
    let shared = Shared {
        state: Mutex::new(State::default()),
        changed: Condvar::new(),
        ahead: opts.concurrency.max(1),
    };
    let workers = opts.concurrency.clamp(1, pieces.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| fetcher(client, source, plan, &pieces, &shared, control));
        }
        let mut reader = Reader {
            source,
            shared: &shared,
            pieces: &pieces,
            current: Vec::new(),
            pos: 0,
            index: 0,
            verifier: Some(InOrder::new(plan.check.clone(), plan.segments.clone())),
            control,
        };
        let outcome = consume(&mut reader).and_then(|value| reader.finish().map(|()| value));
        shared.lock().stop = true;
        shared.changed.notify_all();
        match (outcome, shared.lock().failure.take()) {
            // The download's own error explains a reader that failed because of it.
            (Err(_), Some(download)) => Err(download),
            (outcome, _) => outcome,
        }
    })
}

fn fetcher(
    client: &Client,
    source: &Source,
    plan: &Plan,
    pieces: &[Piece],
    shared: &Shared,
    control: &Control,
) {
    loop {
        let index = {
            let mut st = shared.lock();
            while !st.stop
                && st.dispatched < pieces.len()
                && st.dispatched >= st.consumed + shared.ahead
            {
                st = shared.wait(st);
            }
            if st.stop || st.dispatched >= pieces.len() || control.is_interrupted() {
                return;
            }
            st.dispatched += 1;
            st.dispatched - 1
        };
        let piece = pieces[index];
        control.throttle(piece.len);
        let mut buffer = Buffer(shared.lock().free.pop().unwrap_or_default());
        buffer.0.clear();
        buffer.0.reserve(usize::try_from(piece.len).unwrap_or(0));
        let fetched = fetch(client, source, &plan.info.etag, piece, None, &mut buffer);
        let mut st = shared.lock();
        match fetched {
            Ok(_) => {
                control.add_done(piece.len);
                st.ready.insert(index, buffer.0);
            }
            Err(LocalOr::Remote(e)) => {
                st.failure
                    .get_or_insert(super::changed_or(source, &plan.info.etag, e));
                st.stop = true;
            }
            Err(LocalOr::Local(e)) => {
                st.failure.get_or_insert(Error::Integrity(e.to_string()));
                st.stop = true;
            }
        }
        drop(st);
        shared.changed.notify_all();
    }
}

/// The object's bytes in order, verified as they are read.
struct Reader<'a> {
    source: &'a Source,
    shared: &'a Shared,
    pieces: &'a [Piece],
    current: Vec<u8>,
    pos: usize,
    /// The index of the next piece to take.
    index: usize,
    verifier: Option<InOrder>,
    control: &'a Control,
}

impl Reader<'_> {
    /// Takes the next piece, waiting for it; `None` at the end.
    fn next_piece(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        if self.index >= self.pieces.len() {
            return Ok(None);
        }
        let mut st = self.shared.lock();
        loop {
            if let Some(buf) = st.ready.remove(&self.index) {
                self.index += 1;
                return Ok(Some(buf));
            }
            if st.failure.is_some() || self.control.is_interrupted() {
                return Err(std::io::Error::other("the download failed"));
            }
            st = self.shared.wait(st);
        }
    }

    /// Reads what the consumer left, then compares the checksum.
    fn finish(&mut self) -> Result<(), Error> {
        loop {
            let left = match self.fill_buf() {
                Ok(rest) => rest.len(),
                Err(_) => return Err(self.failure()),
            };
            if left == 0 {
                break;
            }
            self.consume(left);
        }
        let verifier = self.verifier.take();
        match verifier.map(InOrder::finish) {
            Some(Err(what)) => Err(super::mismatch(self.source, &what)),
            _ => Ok(()),
        }
    }

    fn failure(&self) -> Error {
        if self.control.is_interrupted() {
            return Error::Interrupted;
        }
        self.shared
            .lock()
            .failure
            .take()
            .unwrap_or_else(|| Error::Integrity("the download failed".into()))
    }
}

// The consumer borrows each piece's bytes in place (`fill_buf`): standard output is written
// straight from the piece. `read` is `fill_buf` plus one copy, for consumers that need `Read`.
impl BufRead for Reader<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.pos >= self.current.len() {
            if !self.current.is_empty() {
                let done = std::mem::take(&mut self.current);
                let mut st = self.shared.lock();
                st.consumed += 1;
                st.free.push(done);
                drop(st);
                self.shared.changed.notify_all();
            }
            match self.next_piece()? {
                Some(next) => {
                    self.current = next;
                    self.pos = 0;
                }
                None => {
                    self.current = Vec::new();
                    self.pos = 0;
                    return Ok(&[]);
                }
            }
        }
        Ok(&self.current[self.pos..])
    }

    /// The bytes consumed are the ones the verifier sees, in order.
    fn consume(&mut self, amount: usize) {
        let end = (self.pos + amount).min(self.current.len());
        if let Some(v) = self.verifier.as_mut() {
            v.update(&self.current[self.pos..end]);
        }
        self.pos = end;
    }
}

impl Read for Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = buf.len().min(available.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}
