//! ListObjects (V1: `Marker`, `NextMarker`), ListObjectsV2 (continuation tokens, `StartAfter`,
//! `FetchOwner`) and ListObjectVersions (this store keeps no versions: every object is its
//! `null` version), from the index. Every entry carries its ETag, size, storage class and
//! checksum algorithm; `encoding-type=url` encodes what S3 encodes. Read-only.

use super::errors;
use super::index::{Entry, Version, Walk, WalkSpec};
use super::Store;

use base64::Engine as _;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

/// The encoding a listing asked for.
#[derive(Debug, Clone, Copy)]
pub struct Encoder {
    url: bool,
}

impl Encoder {
    /// From the `encoding-type` parameter.
    pub fn new(t: Option<&EncodingType>) -> Self {
        Self {
            url: t.is_some_and(|e| e.as_str().eq_ignore_ascii_case(EncodingType::URL)),
        }
    }

    /// A key, prefix, marker or delimiter as the answer carries it.
    pub fn apply(self, s: &str) -> String {
        if self.url {
            crate::xml::url_encode(s)
        } else {
            s.to_owned()
        }
    }
}

/// The bucket owner (and initiator of uploads).
pub fn owner(store: &Store) -> Owner {
    Owner {
        display_name: Some("s3up-test".to_owned()),
        id: Some(store.opts.owner_id.clone()),
    }
}

/// Page size from a request value: default and cap 1000.
pub fn page_size(requested: Option<i32>) -> usize {
    requested
        .and_then(|n| usize::try_from(n).ok())
        .map_or(1000, |n| n.min(1000))
}

fn non_empty(d: Option<&String>) -> Option<&str> {
    d.map(String::as_str).filter(|d| !d.is_empty())
}

/// One page of the bucket, as a listing request asks for it.
fn page(
    store: &Store,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&String>,
    after: Option<&str>,
    max: usize,
) -> S3Result<Walk> {
    store.index.walk(
        bucket,
        WalkSpec {
            prefix,
            delimiter: non_empty(delimiter),
            after,
            max,
        },
    )
}

/// The request, its encoding, prefix and page size, and the page of entries a listing asks
/// for (the same fields in every listing request).
macro_rules! listing_page {
    ($store:expr, $req:expr, $input:ident => $after:expr) => {{
        let $input = $req.input;
        let enc = Encoder::new($input.encoding_type.as_ref());
        let prefix = $input.prefix.clone().unwrap_or_default();
        let max = page_size($input.max_keys);
        let after: Option<&str> = $after;
        let walk = page(
            $store,
            &$input.bucket,
            &prefix,
            $input.delimiter.as_ref(),
            after,
            max,
        )?;
        ($input, enc, prefix, max, walk)
    }};
}

/// A listed object.
fn object(v: &Version, enc: Encoder, owner: Option<Owner>) -> Object {
    let m = &v.meta;
    Object {
        checksum_algorithm: m
            .checksums
            .keys()
            .next()
            .map(|a| vec![ChecksumAlgorithm::from(a.name().to_owned())]),
        checksum_type: m.checksum_type.clone().map(ChecksumType::from),
        e_tag: Some(ETag::Strong(m.e_tag.clone())),
        key: Some(enc.apply(&m.key)),
        last_modified: Some(m.last_modified()),
        owner,
        size: i64::try_from(m.size).ok(),
        storage_class: Some(ObjectStorageClass::from(m.storage_class().to_owned())),
        ..Default::default()
    }
}

/// Objects and common prefixes of a walk.
fn split(walk: &Walk, enc: Encoder, owner: Option<&Owner>) -> (Vec<Object>, Vec<CommonPrefix>) {
    let (mut objects, mut prefixes) = (Vec::new(), Vec::new());
    for e in &walk.entries {
        match e {
            Entry::Object(v) => objects.push(object(v, enc, owner.cloned())),
            Entry::Prefix(p) => prefixes.push(CommonPrefix {
                prefix: Some(enc.apply(p)),
            }),
        }
    }
    (objects, prefixes)
}

/// The key or prefix a walk ended on (where the next page starts after).
fn last_name(walk: &Walk) -> Option<String> {
    walk.entries.last().map(|e| match e {
        Entry::Object(v) => v.meta.key.clone(),
        Entry::Prefix(p) => p.clone(),
    })
}

pub(super) fn list_objects(
    store: &Store,
    req: S3Request<ListObjectsInput>,
) -> S3Result<S3Response<ListObjectsOutput>> {
    let (input, enc, prefix, max, walk) =
        listing_page!(store, req, input => input.marker.as_deref());
    let (contents, prefixes) = split(&walk, enc, Some(&owner(store)));
    Ok(S3Response::new(ListObjectsOutput {
        name: Some(input.bucket),
        prefix: Some(enc.apply(&prefix)),
        marker: Some(enc.apply(input.marker.as_deref().unwrap_or_default())),
        max_keys: i32::try_from(max).ok(),
        is_truncated: Some(walk.truncated),
        next_marker: walk
            .truncated
            .then(|| last_name(&walk))
            .flatten()
            .map(|m| enc.apply(&m)),
        contents: (!contents.is_empty()).then_some(contents),
        common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
        delimiter: non_empty(input.delimiter.as_ref()).map(|d| enc.apply(d)),
        encoding_type: input.encoding_type,
        ..Default::default()
    }))
}

fn token(name: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(name)
}

fn untoken(t: &str) -> S3Result<String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| errors::invalid_argument("The continuation token provided is incorrect"))
}

pub(super) fn list_objects_v2(
    store: &Store,
    req: S3Request<ListObjectsV2Input>,
) -> S3Result<S3Response<ListObjectsV2Output>> {
    let after = match &req.input.continuation_token {
        Some(t) => Some(untoken(t)?),
        None => req.input.start_after.clone(),
    };
    let (input, enc, prefix, max, walk) = listing_page!(store, req, input => after.as_deref());
    let owner = input.fetch_owner.unwrap_or(false).then(|| owner(store));
    let (contents, prefixes) = split(&walk, enc, owner.as_ref());
    Ok(S3Response::new(ListObjectsV2Output {
        name: Some(input.bucket),
        prefix: Some(enc.apply(&prefix)),
        max_keys: i32::try_from(max).ok(),
        key_count: i32::try_from(walk.entries.len()).ok(),
        continuation_token: input.continuation_token,
        is_truncated: Some(walk.truncated),
        next_continuation_token: walk
            .truncated
            .then(|| last_name(&walk))
            .flatten()
            .map(|n| token(&n)),
        contents: (!contents.is_empty()).then_some(contents),
        common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
        delimiter: non_empty(input.delimiter.as_ref()).map(|d| enc.apply(d)),
        encoding_type: input.encoding_type,
        start_after: input.start_after.as_deref().map(|s| enc.apply(s)),
        ..Default::default()
    }))
}

pub(super) fn list_object_versions(
    store: &Store,
    req: S3Request<ListObjectVersionsInput>,
) -> S3Result<S3Response<ListObjectVersionsOutput>> {
    let (input, enc, prefix, max, walk) =
        listing_page!(store, req, input => input.key_marker.as_deref());
    let owner = owner(store);
    let (objects, prefixes) = split(&walk, enc, Some(&owner));
    let versions: Vec<ObjectVersion> = objects
        .into_iter()
        .map(|o| ObjectVersion {
            checksum_algorithm: o.checksum_algorithm,
            checksum_type: o.checksum_type,
            e_tag: o.e_tag,
            is_latest: Some(true),
            key: o.key,
            last_modified: o.last_modified,
            owner: o.owner,
            size: o.size,
            storage_class: o
                .storage_class
                .map(|c| ObjectVersionStorageClass::from(c.as_str().to_owned())),
            version_id: Some("null".to_owned()),
            ..Default::default()
        })
        .collect();
    Ok(S3Response::new(ListObjectVersionsOutput {
        name: Some(input.bucket),
        prefix: Some(enc.apply(&prefix)),
        key_marker: Some(enc.apply(input.key_marker.as_deref().unwrap_or_default())),
        version_id_marker: Some(input.version_id_marker.unwrap_or_default()),
        max_keys: i32::try_from(max).ok(),
        is_truncated: Some(walk.truncated),
        next_key_marker: walk
            .truncated
            .then(|| last_name(&walk))
            .flatten()
            .map(|m| enc.apply(&m)),
        next_version_id_marker: walk.truncated.then(|| "null".to_owned()),
        versions: (!versions.is_empty()).then_some(versions),
        common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
        delimiter: non_empty(input.delimiter.as_ref()).map(|d| enc.apply(d)),
        encoding_type: input.encoding_type,
        ..Default::default()
    }))
}
