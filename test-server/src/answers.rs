//! The answers the front door writes itself, in S3's words: error documents, the answers of
//! injected faults (503 SlowDown, 500, a 200 carrying an `<Error>`), and what the access log
//! reads back from an answer (object size, an error name for bodiless answers). No I/O.

use crate::faults::FaultKind;
use crate::xml::ErrorDoc;

use http::{HeaderValue, Response, StatusCode};

/// An S3 error answer.
pub fn error_response(
    status: u16,
    doc: &ErrorDoc,
    request_id: &str,
    host_id: &str,
) -> Response<s3s::Body> {
    let mut resp = Response::new(s3s::Body::from(doc.render(request_id, host_id)));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    resp
}

/// What S3 logs for a bodiless error answer (HEAD).
pub fn status_code_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        403 => "AccessDenied",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        412 => "PreconditionFailed",
        416 => "InvalidRange",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        _ => "-",
    }
}

/// The answer of an injected SlowDown, InternalError or 200-with-error Complete.
pub fn injected(kind: FaultKind, request_id: &str, host_id: &str) -> Response<s3s::Body> {
    match kind {
        FaultKind::SlowDown => error_response(
            503,
            &ErrorDoc::new("SlowDown", "Please reduce your request rate."),
            request_id,
            host_id,
        ),
        FaultKind::CompleteError => {
            // S3 may send 200, keep-alive whitespace, then an error document.
            let doc = ErrorDoc::new(
                "InternalError",
                "We encountered an internal error. Please try again.",
            );
            let body = format!("\n\n{}", doc.render(request_id, host_id));
            let mut resp = error_response(200, &doc, request_id, host_id);
            *resp.body_mut() = s3s::Body::from(body);
            resp
        }
        _ => error_response(
            500,
            &ErrorDoc::new(
                "InternalError",
                "We encountered an internal error. Please try again.",
            ),
            request_id,
            host_id,
        ),
    }
}

/// Size of the whole object from a GET/HEAD answer (`Content-Range` total, else length).
pub fn object_size(headers: &http::HeaderMap) -> Option<u64> {
    let get = |n: http::header::HeaderName| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if let Some(range) = get(http::header::CONTENT_RANGE) {
        return range.rsplit('/').next().and_then(|t| t.parse().ok());
    }
    get(http::header::CONTENT_LENGTH).and_then(|v| v.parse().ok())
}
