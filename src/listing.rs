//! Every page of a listing, followed to its end: what `cp --recursive` downloads, `ls` shows,
//! `rm` deletes and `sync` compares. A token that repeats (a server looping) ends it with an
//! error rather than forever.

use crate::client::Client;
use crate::error::Error;
use crate::s3::list::{self, ListObjects, ObjectsPage};

/// Calls `on_page` with each page of the objects under `prefix` (rolled up at `delimiter`).
///
/// # Errors
/// The S3 error of a page request, an answer that is not a listing, a repeating continuation
/// token, or `on_page`'s error.
pub fn each_page(
    client: &Client,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    mut on_page: impl FnMut(ObjectsPage) -> Result<(), Error>,
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
        on_page(page)?;
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
    let mut out = Vec::new();
    each_page(client, bucket, prefix, None, |page| {
        out.extend(page.objects);
        Ok(())
    })?;
    Ok(out)
}
