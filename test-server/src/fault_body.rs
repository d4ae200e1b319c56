//! The injected faults that hit an answer's body, for download tests: a connection reset after
//! N bytes, a stall after N bytes, one byte inverted. `faults` chooses the request; this wraps
//! its answer's body and passes every other byte through unchanged. Headers (length, ETag,
//! checksums) stay as they were, as when a real network or disk fails mid-answer.

use crate::faults::FaultKind;

use bytes::{Bytes, BytesMut};
use http_body::{Body as HttpBody, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

/// How long the bytes before a reset get to reach the socket: hyper writes a frame out when
/// the body next returns `Pending`, and a reset discards what the socket has not sent.
const FLUSH_PAUSE: Duration = Duration::from_millis(100);

/// What happens to the body.
#[derive(Debug, Clone, Copy)]
enum Plan {
    Cut { after: u64 },
    Stall { after: u64, pause: Duration },
    Flip { at: u64 },
}

/// Wraps `body` to carry out `kind`, when it is a fault of the answer's body; `reset` makes
/// the connection end with a reset.
pub fn wrap(body: s3s::Body, kind: FaultKind, reset: &Arc<AtomicBool>) -> s3s::Body {
    let plan = match kind {
        FaultKind::ResetResponse { after_bytes } => Plan::Cut { after: after_bytes },
        FaultKind::Stall {
            after_bytes,
            millis,
        } => Plan::Stall {
            after: after_bytes,
            pause: Duration::from_millis(millis),
        },
        FaultKind::Corrupt { at_byte } => Plan::Flip { at: at_byte },
        _ => return body,
    };
    s3s::Body::http_body_unsync(Faulty {
        inner: body,
        plan,
        sent: 0,
        held: None,
        pause: None,
        stalled: false,
        reset: Arc::clone(reset),
    })
}

struct Faulty {
    inner: s3s::Body,
    plan: Plan,
    /// Body bytes passed on so far.
    sent: u64,
    /// Bytes held back during a stall.
    held: Option<Bytes>,
    /// A pause under way (a stall, or the flush before a reset).
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
    stalled: bool,
    reset: Arc<AtomicBool>,
}

fn len(b: &Bytes) -> u64 {
    b.len() as u64
}

impl Faulty {
    /// The part of `data` to send now; a stall keeps the rest in `held`.
    fn shape(&mut self, mut data: Bytes) -> Bytes {
        match self.plan {
            Plan::Cut { after } => {
                let room = usize::try_from(after.saturating_sub(self.sent)).unwrap_or(usize::MAX);
                data.truncate(room);
            }
            Plan::Stall { after, pause } if !self.stalled && self.sent + len(&data) > after => {
                let now = usize::try_from(after - self.sent).unwrap_or(0);
                self.held = Some(data.split_off(now));
                self.pause = Some(Box::pin(tokio::time::sleep(pause)));
                self.stalled = true;
            }
            Plan::Flip { at } if (self.sent..self.sent + len(&data)).contains(&at) => {
                let mut copy = BytesMut::from(&data[..]);
                let i = usize::try_from(at - self.sent).unwrap_or(0);
                copy[i] = !copy[i];
                data = copy.freeze();
            }
            _ => {}
        }
        self.sent += len(&data);
        data
    }
}

impl HttpBody for Faulty {
    type Data = Bytes;
    type Error = s3s::StdError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, s3s::StdError>>> {
        loop {
            if let Some(pause) = self.pause.as_mut() {
                ready!(pause.as_mut().poll(cx));
                self.pause = None;
                if let Plan::Cut { .. } = self.plan {
                    self.reset.store(true, Ordering::SeqCst);
                    return Poll::Ready(Some(Err("connection reset by an injected fault".into())));
                }
                if let Some(rest) = self.held.take() {
                    self.sent += len(&rest);
                    return Poll::Ready(Some(Ok(Frame::data(rest))));
                }
            }
            if let Plan::Cut { after } = self.plan {
                if self.sent >= after {
                    self.pause = Some(Box::pin(tokio::time::sleep(FLUSH_PAUSE)));
                    continue;
                }
            }
            let frame = match ready!(Pin::new(&mut self.inner).poll_frame(cx)) {
                Some(Ok(frame)) => frame,
                other => return Poll::Ready(other),
            };
            let data = match frame.into_data() {
                Ok(data) => self.shape(data),
                Err(frame) => return Poll::Ready(Some(Ok(frame))),
            };
            if !data.is_empty() || self.pause.is_none() {
                return Poll::Ready(Some(Ok(Frame::data(data))));
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.held.is_none() && self.pause.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;

    async fn collect(kind: FaultKind, chunks: &[&'static [u8]]) -> (Vec<u8>, bool) {
        let stream = futures::stream::iter(
            chunks
                .iter()
                .map(|c| Ok::<_, std::io::Error>(Frame::data(Bytes::from_static(c))))
                .collect::<Vec<_>>(),
        );
        let body = s3s::Body::http_body_unsync(http_body_util::StreamBody::new(stream));
        let reset = Arc::new(AtomicBool::new(false));
        let mut body = wrap(body, kind, &reset);
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => out.extend_from_slice(f.data_ref().map_or(&[][..], |d| &d[..])),
                Err(_) => break,
            }
        }
        (out, reset.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn cut_flip_and_stall() {
        let chunks: &[&'static [u8]] = &[b"abcd", b"efgh"];
        let cut = collect(FaultKind::ResetResponse { after_bytes: 6 }, chunks).await;
        assert_eq!(cut, (b"abcdef".to_vec(), true));
        let short = collect(FaultKind::ResetResponse { after_bytes: 99 }, chunks).await;
        assert_eq!(short, (b"abcdefgh".to_vec(), false));
        let flip = collect(FaultKind::Corrupt { at_byte: 5 }, chunks).await;
        assert_eq!(flip.0, [&b"abcde"[..], &[!b'f'], b"gh"].concat());
        let t = std::time::Instant::now();
        let stall = FaultKind::Stall {
            after_bytes: 2,
            millis: 50,
        };
        assert_eq!(collect(stall, chunks).await.0, b"abcdefgh");
        assert!(t.elapsed() >= Duration::from_millis(50));
    }
}
