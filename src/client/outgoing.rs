//! What the retry loop sends at each attempt: the same request, or, for a GET whose body goes
//! to a sink, a request rebuilt from how many body bytes already arrived (so a broken
//! transfer resumes where it stopped instead of starting over).

use std::borrow::Cow;

use super::Response;
use crate::body::Sink;
use crate::error::Error;
use crate::s3::ops::S3Request;

/// A sink that counts what it was given.
pub(super) struct Counted<'s> {
    pub(super) sink: &'s mut dyn Sink,
    pub(super) received: u64,
}

impl Sink for Counted<'_> {
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.sink.write(chunk)?;
        self.received += chunk.len() as u64;
        Ok(())
    }
}

pub(super) enum Outgoing<'r, 'a, 's> {
    Fixed(&'r S3Request<'a>),
    Resuming {
        request: &'r dyn Fn(u64) -> S3Request<'a>,
        /// The whole body's length.
        len: u64,
        sink: &'r mut Counted<'s>,
        /// Whether the last attempt brought body bytes.
        moved: bool,
    },
}

impl<'r, 'a> Outgoing<'r, 'a, '_> {
    /// Runs one attempt with the request for now; returns it with the outcome. A resuming
    /// GET notes whether this attempt brought bytes.
    pub(super) fn attempt(
        &mut self,
        send: impl FnOnce(&S3Request, Option<&mut dyn Sink>) -> Result<Response, Error>,
    ) -> (Cow<'r, S3Request<'a>>, Result<Response, Error>) {
        match self {
            Self::Fixed(req) => {
                let outcome = send(req, None);
                (Cow::Borrowed(*req), outcome)
            }
            Self::Resuming {
                request,
                sink,
                moved,
                ..
            } => {
                let before = sink.received;
                let req = request(before);
                let outcome = send(&req, Some(&mut **sink));
                *moved = sink.received > before;
                (Cow::Owned(req), outcome)
            }
        }
    }

    /// Whether the whole body arrived (always true for a request without a sink).
    pub(super) fn complete(&self) -> bool {
        match self {
            Self::Fixed(_) => true,
            Self::Resuming { len, sink, .. } => sink.received >= *len,
        }
    }

    /// Whether the last attempt brought body bytes (progress earns fresh attempts).
    pub(super) fn progressed(&self) -> bool {
        matches!(self, Self::Resuming { moved: true, .. })
    }
}
