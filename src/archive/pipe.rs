//! A bounded in-memory pipe from the archive producer thread to the reader the upload engine
//! pulls from.
//!
//! Memory stays at a few MiB whatever the archive size: the producer blocks once `DEPTH`
//! chunks wait unread. The reader sees a clean end of file only when the producer said it
//! finished ([`PipeWriter::close`]); a producer that failed, panicked or simply went away
//! shows up as a read error, so a truncated archive can never pass for a complete one.

use std::io::{self, Read, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Bytes per message: large enough that channel overhead is noise, small enough that the
/// queue stays small.
const CHUNK: usize = 256 * 1024;
/// Chunks that may wait unread (2 MiB), plus one being filled and one being read.
const DEPTH: usize = 8;

enum Msg {
    Data(Vec<u8>),
    End,
    Failed(io::Error),
}

/// The producer's end: bytes written here reach the reader in order.
pub(super) struct PipeWriter {
    tx: SyncSender<Msg>,
    buf: Vec<u8>,
    written: u64,
}

/// A second handle on the producer's end that can only report failure; it stays with the
/// producer when the writer itself is buried inside an encoder that an error dropped.
pub(super) struct PipeFailer {
    tx: SyncSender<Msg>,
}

/// The consumer's end.
pub(super) struct PipeReader {
    rx: Receiver<Msg>,
    current: Vec<u8>,
    pos: usize,
    state: State,
}

enum State {
    Open,
    Ended,
    Failed(io::ErrorKind, String),
}

/// A new pipe.
pub(super) fn pipe() -> (PipeWriter, PipeFailer, PipeReader) {
    let (tx, rx) = sync_channel(DEPTH);
    let writer = PipeWriter {
        tx: tx.clone(),
        buf: Vec::with_capacity(CHUNK),
        written: 0,
    };
    let reader = PipeReader {
        rx,
        current: Vec::new(),
        pos: 0,
        state: State::Open,
    };
    (writer, PipeFailer { tx }, reader)
}

fn reader_gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the upload stopped reading the archive",
    )
}

impl PipeWriter {
    fn send_buffered(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx.send(Msg::Data(chunk)).map_err(|_| reader_gone())
    }

    /// Sends what is buffered and marks the end: the reader's next read past it returns 0.
    /// Returns the number of bytes that went through.
    ///
    /// # Errors
    /// `BrokenPipe` when the reader is gone.
    pub(super) fn close(mut self) -> io::Result<u64> {
        self.send_buffered()?;
        self.tx.send(Msg::End).map_err(|_| reader_gone())?;
        Ok(self.written)
    }
}

impl Write for PipeWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() >= CHUNK {
            self.send_buffered()?;
        }
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffered()
    }
}

impl PipeFailer {
    /// Hands `err` to the reader, which returns it instead of more data.
    pub(super) fn fail(self, err: io::Error) {
        // A reader that is gone needs no error.
        let _ = self.tx.send(Msg::Failed(err));
    }
}

impl Read for PipeReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.pos < self.current.len() {
                let n = out.len().min(self.current.len() - self.pos);
                out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            match &self.state {
                State::Open => {}
                State::Ended => return Ok(0),
                State::Failed(kind, message) => return Err(io::Error::new(*kind, message.clone())),
            }
            match self.rx.recv() {
                Ok(Msg::Data(chunk)) => {
                    self.current = chunk;
                    self.pos = 0;
                }
                Ok(Msg::End) => self.state = State::Ended,
                Ok(Msg::Failed(err)) => {
                    self.state = State::Failed(err.kind(), err.to_string());
                    return Err(err);
                }
                // Every sender dropped without `close`: the producer died (a panic, a bug).
                Err(_) => {
                    self.state = State::Failed(
                        io::ErrorKind::UnexpectedEof,
                        "the archive producer stopped before the archive was complete".into(),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_then_end_is_a_clean_eof() {
        let (mut w, _failer, mut r) = pipe();
        let producer = std::thread::spawn(move || {
            for i in 0..1000u32 {
                w.write_all(&i.to_le_bytes()).expect("write");
            }
            w.close().expect("close");
        });
        let mut got = Vec::new();
        r.read_to_end(&mut got).expect("read");
        producer.join().expect("join");
        assert_eq!(got.len(), 4000);
        assert_eq!(&got[4..8], &1u32.to_le_bytes());
    }

    #[test]
    fn a_failure_or_a_vanished_producer_is_never_eof() {
        let (mut w, failer, mut r) = pipe();
        w.write_all(b"partial").expect("write");
        w.flush().expect("flush");
        drop(w);
        failer.fail(io::Error::other("disk on fire"));
        let mut got = Vec::new();
        let err = r.read_to_end(&mut got).expect_err("must fail");
        assert_eq!(got, b"partial");
        assert!(err.to_string().contains("disk on fire"), "{err}");
        // And it stays failed.
        assert!(r.read(&mut [0u8; 4]).is_err());

        let (mut w, failer, mut r) = pipe();
        w.write_all(b"x").expect("write");
        drop(w);
        drop(failer);
        let err = r.read_to_end(&mut Vec::new()).expect_err("must fail");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_dropped_reader_stops_the_producer() {
        let (mut w, _failer, r) = pipe();
        drop(r);
        let big = vec![0u8; CHUNK * (DEPTH + 2)];
        let err = w.write_all(&big).expect_err("reader gone");
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
