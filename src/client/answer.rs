//! Reading an answer: whether it is a success (a 200 may carry an `<Error>`), the S3 error in
//! it, and what the client can correct before it re-signs (its clock from the server's `Date`,
//! the bucket's region, expired credentials), decided by the error's class.

use std::sync::atomic::Ordering;
use std::sync::PoisonError;
use std::time::UNIX_EPOCH;

use super::{Client, Response};

/// S3 refuses requests signed further than this from its clock.
const MAX_SKEW_SECS: i64 = 15 * 60;
use crate::error::Error;
use crate::s3::errors::{self, Class};
use crate::s3::ops::S3Request;
use crate::s3::xml;
use crate::transport::{TransportError, TransportErrorKind};

impl Client {
    /// Fixes what the answer says is wrong with how we signed, if it can be fixed.
    pub(super) fn correct(&self, req: &S3Request, resp: &Response) -> Correction {
        let body = xml::error_body(&resp.body).unwrap_or_default();
        // A HEAD answer has no body to name RequestTimeTooSkewed: a 403 whose Date is further
        // from our clock than S3 allows is taken for one (as the AWS SDKs do).
        if body.code.is_empty()
            && resp.status == 403
            && self.skew_of(resp).is_some_and(|s| s.abs() > MAX_SKEW_SECS)
        {
            return self.correct_clock(resp);
        }
        let code = if body.code.is_empty() {
            errors::code_for_status(resp.status, req.key.is_empty()).to_owned()
        } else {
            body.code
        };
        match errors::classify(&code, resp.status) {
            Class::Clock => self.correct_clock(resp),
            Class::Region => {
                let region = resp
                    .header("x-amz-bucket-region")
                    .map(str::to_owned)
                    .or(body.region);
                self.follow_region(req, region)
            }
            Class::Expired => {
                self.credentials.invalidate();
                log::info!("credentials expired: refreshing");
                Correction::Corrected
            }
            Class::Transient => Correction::Retry,
            _ => Correction::None,
        }
    }

    /// Seconds the server's `Date` is ahead of the local clock, if the answer has one.
    fn skew_of(&self, resp: &Response) -> Option<i64> {
        let server = resp
            .header("date")
            .and_then(|d| httpdate::parse_http_date(d).ok())?;
        let server = server
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
        let local = self.now().0 - self.clock_offset();
        Some(server - local)
    }

    /// Signs with the server's time from now on (its `Date` header).
    fn correct_clock(&self, resp: &Response) -> Correction {
        let Some(offset) = self.skew_of(resp) else {
            return Correction::None;
        };
        self.clock_offset.store(offset, Ordering::Relaxed);
        log::warn!(
            "the local clock is off by {offset} s from the server's: signing with the server's time (fix the clock with NTP)"
        );
        Correction::Corrected
    }

    /// Switches to the bucket's region, when the answer names another one.
    fn follow_region(&self, req: &S3Request, region: Option<String>) -> Correction {
        match region {
            // The name becomes part of a host name: accept only what regions look like.
            Some(r) if r != self.region() && is_region_name(&r) => {
                log::warn!(
                    "bucket {} is in region {r}, not {}: following it",
                    req.bucket,
                    self.region()
                );
                *self.region.write().unwrap_or_else(PoisonError::into_inner) = r;
                Correction::Corrected
            }
            _ => Correction::None,
        }
    }
}

/// A 2xx answer, without an `<Error>` document where the operation can hide one in a 200.
pub(super) fn succeeded(req: &S3Request, resp: &Response) -> bool {
    resp.status < 300 && !(req.error_in_success && xml::error_body(&resp.body).is_some())
}

fn is_region_name(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 32
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub(super) enum Correction {
    Corrected,
    Retry,
    None,
}

/// A 2xx answer whose body ended before its length (retries exhausted).
pub(super) fn short_answer(req: &S3Request) -> Error {
    Error::Transport {
        operation: req.operation,
        source: TransportError {
            kind: TransportErrorKind::Io,
            message: format!(
                "the answer for {} ended before all its bytes arrived",
                req.key
            ),
        },
    }
}

/// An S3 error from an answer (a HEAD answer has no body: its status names the error).
pub(crate) fn s3_error(req: &S3Request, resp: &Response) -> Error {
    let body = xml::error_body(&resp.body).unwrap_or_default();
    let code = if body.code.is_empty() {
        errors::code_for_status(resp.status, req.key.is_empty()).to_owned()
    } else {
        body.code
    };
    Error::S3 {
        operation: req.operation,
        status: resp.status,
        code,
        message: body.message,
        request_id: if body.request_id.is_empty() {
            resp.header("x-amz-request-id")
                .unwrap_or_default()
                .to_owned()
        } else {
            body.request_id
        },
    }
}
