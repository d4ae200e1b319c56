//! GetObject, HeadObject and GetObjectAttributes: conditional requests (304/412), byte ranges
//! and `partNumber` (with `x-amz-mp-parts-count`), `Accept-Ranges`, stored metadata,
//! server-side-encryption settings, and checksums as S3 reports them (whole-object reads with
//! `x-amz-checksum-mode: ENABLED`). Read-only.

use super::checksum::Fields;
use super::conditions::{Conditions, Outcome};
use super::content;
use super::errors;
use super::index::Version;
use super::manifest::{self, Manifest};
use super::Store;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};
use std::ops::Range as Span;
use std::sync::Arc;

/// What a read returns of the object.
struct Selection<'m> {
    span: Span<u64>,
    content_range: Option<String>,
    parts_count: Option<i32>,
    /// The part selected by `partNumber` of a multipart object: its own checksums answer a
    /// read of it (S3 reports part checksums so that clients can check composite objects).
    part: Option<&'m super::manifest::PartInfo>,
}

fn invalid_part_number() -> s3s::S3Error {
    errors::custom(
        "InvalidPartNumber",
        416,
        "The requested partnumber is not satisfiable",
    )
}

fn content_range(span: &Span<u64>, size: u64) -> Option<String> {
    (span.end > span.start).then(|| format!("bytes {}-{}/{size}", span.start, span.end - 1))
}

/// The bytes a `Range` header or a `partNumber` selects.
fn select<'m>(
    meta: &'m Manifest,
    range: Option<&Range>,
    part: Option<i32>,
) -> S3Result<Selection<'m>> {
    let parts_count = meta
        .parts
        .as_ref()
        .and_then(|p| i32::try_from(p.len()).ok());
    match (range, part) {
        (Some(_), Some(_)) => Err(errors::invalid_request(
            "Cannot specify both Range header and partNumber query parameter",
        )),
        (Some(r), None) => {
            let span = r.check(meta.size).map_err(|_| {
                errors::err(
                    s3s::S3ErrorCode::InvalidRange,
                    format!(
                        "The requested range is not satisfiable (object size {})",
                        meta.size
                    ),
                )
            })?;
            Ok(Selection {
                content_range: content_range(&span, meta.size),
                span,
                parts_count: None,
                part: None,
            })
        }
        (None, Some(n)) => {
            let n = u32::try_from(n)
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    errors::invalid_argument(
                        "Part number must be an integer between 1 and 10000, inclusive",
                    )
                })?;
            let (span, part) = match &meta.parts {
                Some(_) => {
                    let (span, info) = meta.part_range(n).ok_or_else(invalid_part_number)?;
                    (span, Some(info))
                }
                None if n == 1 => (0..meta.size, None),
                None => return Err(invalid_part_number()),
            };
            Ok(Selection {
                content_range: content_range(&span, meta.size),
                span,
                parts_count,
                part,
            })
        }
        (None, None) => Ok(Selection {
            span: 0..meta.size,
            content_range: None,
            parts_count: None,
            part: None,
        }),
    }
}

/// The object, after its conditions: `NotModified` (304, with ETag and Last-Modified) or
/// `PreconditionFailed`.
fn conditional(
    store: &Store,
    bucket: &str,
    key: &str,
    c: Conditions<'_>,
) -> S3Result<Arc<Version>> {
    let v = store
        .index
        .get(bucket, key)?
        .ok_or_else(errors::no_such_key)?;
    match c.evaluate(&v.meta.e_tag, v.meta.last_modified_ms) {
        Outcome::Proceed => Ok(v),
        Outcome::Failed => Err(errors::precondition_failed()),
        Outcome::NotModified => {
            let mut e = errors::err(s3s::S3ErrorCode::NotModified, "Not Modified");
            let mut h = http::HeaderMap::new();
            if let Ok(etag) = http::HeaderValue::from_str(&format!("\"{}\"", v.meta.e_tag)) {
                h.insert(http::header::ETAG, etag);
            }
            let mut date = Vec::new();
            if v.meta
                .last_modified()
                .format(TimestampFormat::HttpDate, &mut date)
                .is_ok()
            {
                if let Ok(lm) = http::HeaderValue::from_bytes(&date) {
                    h.insert(http::header::LAST_MODIFIED, lm);
                }
            }
            e.set_headers(h);
            Err(e)
        }
    }
}

/// GetObject and HeadObject answer the same headers; only their s3s types differ.
macro_rules! read_object {
    ($store:expr, $req:expr, $output:ident) => {{
        let (store, input) = ($store, $req.input);
        store.check_key(&input.key)?;
        let c = Conditions {
            if_match: input.if_match.as_ref(),
            if_none_match: input.if_none_match.as_ref(),
            if_modified_since: input.if_modified_since.as_ref(),
            if_unmodified_since: input.if_unmodified_since.as_ref(),
        };
        let v = conditional(store, &input.bucket, &input.key, c)?;
        let sel = select(&v.meta, input.range.as_ref(), input.part_number)?;
        let m = &v.meta;
        let whole = sel.content_range.is_none();
        let asked = input
            .checksum_mode
            .as_ref()
            .is_some_and(|m| m.as_str().eq_ignore_ascii_case("ENABLED"));
        let enabled = asked && (whole || sel.part.is_some());
        let f = match (enabled, sel.part) {
            (false, _) => Fields::default(),
            (true, Some(part)) => Fields::of(&part.checksums),
            (true, None) => Fields::of(&m.checksums),
        };
        let (sse, kms, bucket_key) = super::write_rules::sse_fields(m.sse.as_ref());
        let a = &m.attributes;
        let mut out = $output {
            accept_ranges: Some("bytes".to_owned()),
            bucket_key_enabled: bucket_key,
            cache_control: a.cache_control.clone(),
            checksum_crc32: f.crc32,
            checksum_crc32c: f.crc32c,
            checksum_crc64nvme: f.crc64nvme,
            checksum_sha1: f.sha1,
            checksum_sha256: f.sha256,
            checksum_type: (enabled && sel.part.is_none())
                .then(|| m.checksum_type.clone().map(ChecksumType::from))
                .flatten(),
            content_disposition: a.content_disposition.clone(),
            content_encoding: a.content_encoding.clone(),
            content_language: a.content_language.clone(),
            content_length: i64::try_from(sel.span.end - sel.span.start).ok(),
            content_range: sel.content_range,
            content_type: a.content_type.clone(),
            e_tag: Some(ETag::Strong(m.e_tag.clone())),
            expires: manifest::parse_expires(a.expires.as_deref()),
            last_modified: Some(m.last_modified()),
            metadata: a.user_metadata.clone().map(|u| u.into_iter().collect()),
            parts_count: sel.parts_count,
            server_side_encryption: sse,
            ssekms_key_id: kms,
            storage_class: (m.storage_class() != "STANDARD")
                .then(|| StorageClass::from(m.storage_class().to_owned())),
            website_redirect_location: a.website_redirect_location.clone(),
            ..Default::default()
        };
        set_body(&mut out, Arc::clone(&v), sel.span);
        Ok(S3Response::new(out))
    }};
}

trait WithBody {
    fn set(&mut self, body: StreamingBlob);
}

impl WithBody for GetObjectOutput {
    fn set(&mut self, body: StreamingBlob) {
        self.body = Some(body);
    }
}

impl WithBody for HeadObjectOutput {
    fn set(&mut self, _: StreamingBlob) {}
}

fn set_body(out: &mut impl WithBody, v: Arc<Version>, span: Span<u64>) {
    out.set(content::body(v, span));
}

pub(super) fn get_object(
    store: &Store,
    req: S3Request<GetObjectInput>,
) -> S3Result<S3Response<GetObjectOutput>> {
    read_object!(store, req, GetObjectOutput)
}

pub(super) fn head_object(
    store: &Store,
    req: S3Request<HeadObjectInput>,
) -> S3Result<S3Response<HeadObjectOutput>> {
    read_object!(store, req, HeadObjectOutput)
}

/// The ObjectParts of GetObjectAttributes, paged like ListParts.
fn object_parts(
    m: &Manifest,
    input: &GetObjectAttributesInput,
) -> Option<GetObjectAttributesParts> {
    let parts = m.parts.as_ref()?;
    let marker = input
        .part_number_marker
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0);
    let max = input
        .max_parts
        .and_then(|n| usize::try_from(n).ok())
        .map_or(1000, |n| n.min(1000));
    let after: Vec<_> = parts.iter().filter(|p| p.number > marker).collect();
    let page = &after[..after.len().min(max)];
    let listed = page
        .iter()
        .map(|p| {
            let f = Fields::of(&p.checksums);
            ObjectPart {
                checksum_crc32: f.crc32,
                checksum_crc32c: f.crc32c,
                checksum_crc64nvme: f.crc64nvme,
                checksum_sha1: f.sha1,
                checksum_sha256: f.sha256,
                part_number: i32::try_from(p.number).ok(),
                size: i64::try_from(p.size).ok(),
            }
        })
        .collect();
    Some(GetObjectAttributesParts {
        is_truncated: Some(after.len() > max),
        max_parts: i32::try_from(max).ok(),
        next_part_number_marker: page.last().and_then(|p| i32::try_from(p.number).ok()),
        part_number_marker: input.part_number_marker,
        parts: Some(listed),
        total_parts_count: i32::try_from(parts.len()).ok(),
    })
}

pub(super) fn get_object_attributes(
    store: &Store,
    req: S3Request<GetObjectAttributesInput>,
) -> S3Result<S3Response<GetObjectAttributesOutput>> {
    let input = req.input;
    store.check_key(&input.key)?;
    let v = store
        .index
        .get(&input.bucket, &input.key)?
        .ok_or_else(errors::no_such_key)?;
    let m = &v.meta;
    let wants = |name: &str| {
        input
            .object_attributes
            .iter()
            .flat_map(|a| a.as_str().split(','))
            .any(|a| a.trim().eq_ignore_ascii_case(name))
    };
    let f = Fields::of(&m.checksums);
    let checksum = Checksum {
        checksum_crc32: f.crc32,
        checksum_crc32c: f.crc32c,
        checksum_crc64nvme: f.crc64nvme,
        checksum_sha1: f.sha1,
        checksum_sha256: f.sha256,
        checksum_type: m.checksum_type.clone().map(ChecksumType::from),
    };
    Ok(S3Response::new(GetObjectAttributesOutput {
        checksum: wants("Checksum").then_some(checksum),
        e_tag: wants("ETag").then(|| ETag::Strong(m.e_tag.clone())),
        last_modified: Some(m.last_modified()),
        object_parts: wants("ObjectParts")
            .then(|| object_parts(m, &input))
            .flatten(),
        object_size: wants("ObjectSize")
            .then(|| i64::try_from(m.size).ok())
            .flatten(),
        storage_class: wants("StorageClass")
            .then(|| StorageClass::from(m.storage_class().to_owned())),
        ..Default::default()
    }))
}
