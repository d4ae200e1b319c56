//! Body wrappers that time a request and count a response: the request side notes when the
//! last byte arrived (for the access log's turn-around time); the response side counts bytes
//! sent and writes the access log record exactly once, when the body ends or is dropped
//! (a client that hangs up still gets its line). They never change the bytes.

use crate::access_log::{AccessLog, LogRecord};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

/// When the request body ended (shared between the request wrapper and the handler).
pub type EndMark = Arc<Mutex<Option<Instant>>>;

/// The incoming request body, noting when it ends.
pub struct TimedBody {
    inner: hyper::body::Incoming,
    end: EndMark,
}

impl TimedBody {
    /// Wraps `inner`; `end` receives the instant of its last byte.
    pub fn new(inner: hyper::body::Incoming, end: EndMark) -> Self {
        Self { inner, end }
    }

    fn mark(&self) {
        let mut end = self
            .end
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if end.is_none() {
            *end = Some(Instant::now());
        }
    }
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.mark();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A record waiting for the response to finish.
pub struct Pending {
    /// Where to write it.
    pub log: Arc<AccessLog>,
    /// The record, completed with bytes sent and total time at the end.
    pub record: LogRecord,
    /// When the request arrived.
    pub started: Instant,
}

/// The response body, counting bytes and logging at the end.
pub struct LogBody {
    inner: s3s::Body,
    pending: Option<Pending>,
    sent: u64,
}

impl LogBody {
    /// Wraps `inner`, to log `pending` when it is done.
    pub fn new(inner: s3s::Body, pending: Pending) -> Self {
        Self {
            inner,
            pending: Some(pending),
            sent: 0,
        }
    }

    fn finish(&mut self) {
        if let Some(mut p) = self.pending.take() {
            p.record.bytes_sent = self.sent;
            p.record.total_time_ms =
                u64::try_from(p.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            p.log.write(&p.record);
        }
    }
}

impl HttpBody for LogBody {
    type Data = Bytes;
    type Error = s3s::StdError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, s3s::StdError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.sent += data.len() as u64;
                }
                if self.inner.is_end_stream() {
                    self.finish();
                }
            }
            Poll::Ready(None | Some(Err(_))) => self.finish(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for LogBody {
    fn drop(&mut self) {
        self.finish();
    }
}
