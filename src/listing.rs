//! Every page of a listing, followed to its end: what `cp --recursive` downloads, `ls` shows,
//! `rm` deletes and `sync` compares. A token that repeats (a server looping) ends it with an
//! error rather than forever.

use std::time::SystemTime;

use crate::client::Client;
use crate::error::Error;
use crate::s3::list::{self, ListObjects, ObjectsPage};

/// Calls `on_page` with each page of the objects under `prefix` (rolled up at `delimiter`) and
/// the server's clock when it sent the page (its `Date`), if it said.
///
/// # Errors
/// The S3 error of a page request, an answer that is not a listing, a repeating continuation
/// token, or `on_page`'s error.
pub fn each_page(
    client: &Client,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    mut on_page: impl FnMut(ObjectsPage, Option<SystemTime>) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut token: Option<String> = None;
    loop {
        let req = list::list_objects_v2(
            bucket,
            &ListObjects {
                prefix,
                delimiter,
                continuation: token.as_deref(),
                max_keys: None,
            },
        );
        let resp = client.send(&req)?;
        let page = list::parse_list_objects(&resp.body)
            .map_err(|e| Error::Integrity(format!("listing s3://{bucket}/{prefix}: {e}")))?;
        let next = page.next.clone();
        let date = resp
            .header("date")
            .and_then(|d| httpdate::parse_http_date(d).ok());
        on_page(page, date)?;
        match next {
            Some(n) if token.as_ref() == Some(&n) => {
                return Err(Error::Integrity(format!(
                "listing s3://{bucket}/{prefix}: the server sent the same continuation token twice"
            )))
            }
            Some(n) => token = Some(n),
            None => return Ok(()),
        }
    }
}

/// Every object under `prefix`, all pages.
///
/// # Errors
/// As [`each_page`].
pub fn all_objects(
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<list::ObjectEntry>, Error> {
    all_objects_dated(client, bucket, prefix).map(|(objects, _)| objects)
}

/// Every object under `prefix`, all pages, with the server's clock when the listing began:
/// ages measured against it do not depend on the local clock, which may be wrong.
///
/// # Errors
/// As [`each_page`].
pub fn all_objects_dated(
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> Result<(Vec<list::ObjectEntry>, Option<SystemTime>), Error> {
    let mut out = Vec::new();
    let mut first_date = None;
    each_page(client, bucket, prefix, None, |page, date| {
        first_date = first_date.or(date);
        out.extend(page.objects);
        Ok(())
    })?;
    Ok((out, first_date))
}

/// A recursive command's listing prefix: a "directory", as aws-cli reads it (`backups` lists
/// `backups/...`, never `backups-old/...`).
pub fn dir_prefix(key: &str) -> String {
    if key.is_empty() || key.ends_with('/') {
        key.to_owned()
    } else {
        format!("{key}/")
    }
}

/// Every bucket of the account (ListBuckets).
///
/// # Errors
/// The S3 or transport error, or an answer that is not a bucket list.
pub fn buckets(client: &Client) -> Result<Vec<list::BucketEntry>, Error> {
    let resp = client.send(&crate::s3::ops::list_buckets())?;
    list::parse_list_buckets(&resp.body)
        .map_err(|e| Error::Integrity(format!("listing buckets: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recursive_sources_are_directories() {
        assert_eq!(dir_prefix("backups"), "backups/");
        assert_eq!(dir_prefix("backups/"), "backups/");
        assert_eq!(dir_prefix(""), "");
    }
}
