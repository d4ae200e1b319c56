//! Listings: ListObjectsV2 (a page of objects and common prefixes, and the token for the next
//! page) and ListBuckets, as requests and parsed answers.
//! Docs: <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>

use super::ops::S3Request;
use super::xml::{self, Node};

/// One ListObjectsV2 page request.
#[derive(Debug, Clone, Default)]
pub struct ListObjects<'p> {
    pub prefix: &'p str,
    /// `/` to roll keys up into common prefixes (one level, like a directory listing).
    pub delimiter: Option<&'p str>,
    /// The previous page's `NextContinuationToken`.
    pub continuation: Option<&'p str>,
    /// At most this many keys (S3's default and maximum is 1,000).
    pub max_keys: Option<u32>,
}

pub fn list_objects_v2<'a>(bucket: &'a str, page: &ListObjects) -> S3Request<'a> {
    let mut r = S3Request::new("ListObjectsV2", "GET", bucket, "");
    r.query.push(("list-type".into(), "2".into()));
    let mut add = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            r.query.push((k.into(), v.into()));
        }
    };
    add("prefix", Some(page.prefix));
    add("delimiter", page.delimiter);
    add("continuation-token", page.continuation);
    add("max-keys", page.max_keys.map(|n| n.to_string()).as_deref());
    r
}

/// An object in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    pub key: String,
    pub size: u64,
    pub etag: String,
    /// As S3 writes it: `2026-01-01T00:00:00.000Z`.
    pub last_modified: String,
    pub storage_class: String,
}

/// One page of ListObjectsV2.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectsPage {
    pub objects: Vec<ObjectEntry>,
    /// Common prefixes (with a delimiter), e.g. `photos/2026/`.
    pub prefixes: Vec<String>,
    /// The token for the next page, when the listing is truncated.
    pub next: Option<String>,
}

/// # Errors
/// The body is not a ListBucketResult, or a truncated page without a continuation token.
pub fn parse_list_objects(body: &[u8]) -> Result<ObjectsPage, String> {
    let root = xml::parse(body)?;
    if root.name != "ListBucketResult" {
        return Err(format!(
            "unexpected answer <{}> to ListObjectsV2",
            root.name
        ));
    }
    let text = |n: &Node, name: &str| n.child_text(name).unwrap_or_default().to_owned();
    let objects = root
        .children_named("Contents")
        .map(|c| {
            Ok(ObjectEntry {
                key: text(c, "Key"),
                size: text(c, "Size")
                    .parse()
                    .map_err(|_| format!("object {} has no valid <Size>", text(c, "Key")))?,
                etag: text(c, "ETag"),
                last_modified: text(c, "LastModified"),
                storage_class: text(c, "StorageClass"),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let prefixes = root
        .children_named("CommonPrefixes")
        .map(|p| text(p, "Prefix"))
        .collect();
    let next = match root.child_text("IsTruncated") {
        Some("true") => Some(
            root.child_text("NextContinuationToken")
                .filter(|t| !t.is_empty())
                .ok_or("a truncated listing without NextContinuationToken")?
                .to_owned(),
        ),
        _ => None,
    };
    Ok(ObjectsPage {
        objects,
        prefixes,
        next,
    })
}

/// A bucket in ListBuckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketEntry {
    pub name: String,
    /// As S3 writes it: `2026-01-01T00:00:00.000Z`.
    pub created: String,
}

/// # Errors
/// The body is not a ListAllMyBucketsResult.
pub fn parse_list_buckets(body: &[u8]) -> Result<Vec<BucketEntry>, String> {
    let root = xml::parse(body)?;
    if root.name != "ListAllMyBucketsResult" {
        return Err(format!("unexpected answer <{}> to ListBuckets", root.name));
    }
    Ok(root
        .child("Buckets")
        .map(|b| {
            b.children_named("Bucket")
                .map(|b| BucketEntry {
                    name: b.child_text("Name").unwrap_or_default().to_owned(),
                    created: b.child_text("CreationDate").unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_objects_page() {
        let doc = br#"<ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated>
<NextContinuationToken>tok</NextContinuationToken>
<Contents><Key>a b&amp;c</Key><Size>5</Size><ETag>"e"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified><StorageClass>STANDARD</StorageClass></Contents>
<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes></ListBucketResult>"#;
        let page = parse_list_objects(doc).expect("page");
        assert_eq!(page.objects[0].key, "a b&c");
        assert_eq!(page.objects[0].size, 5);
        assert_eq!(page.prefixes, ["dir/"]);
        assert_eq!(page.next.as_deref(), Some("tok"));
        assert!(parse_list_objects(
            b"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"
        )
        .is_err());
    }

    #[test]
    fn parses_buckets() {
        let doc = br#"<ListAllMyBucketsResult><Buckets><Bucket><Name>x</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>"#;
        assert_eq!(parse_list_buckets(doc).expect("buckets")[0].name, "x");
    }

    #[test]
    fn the_request_carries_only_what_is_set() {
        let r = list_objects_v2(
            "b",
            &ListObjects {
                prefix: "p/",
                delimiter: Some("/"),
                ..ListObjects::default()
            },
        );
        let names: Vec<&str> = r.query.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["list-type", "prefix", "delimiter"]);
    }
}
