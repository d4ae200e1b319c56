//! Streams of unknown length (standard input, archives): read up to the multipart threshold
//! first, so that a short stream becomes one PutObject; else a multipart upload whose part
//! sizes grow as the stream goes.

use std::io::Read;

use super::single::put_single;
use super::{measured, multipart, plan, Control, Target, UploadOptions, UploadReport};
use crate::body::Body;
use crate::client::Client;
use crate::error::Error;

/// Uploads everything `reader` yields, however long.
///
/// # Errors
/// Any failure; a multipart upload started here has been aborted when this returns an error.
pub fn upload_stream(
    client: &Client,
    target: &Target,
    reader: &mut (dyn Read + Send),
    opts: &UploadOptions,
    control: &Control,
) -> Result<UploadReport, Error> {
    let part_plan = match opts.expected_size {
        Some(hint) => {
            plan::plan(opts.part_size, Some(hint), &opts.limits).map(|p| plan::PartPlan::Growing {
                first: p.part_size(1),
                parts_per_step: (opts.limits.max_parts / 10).max(1),
                max: opts.limits.max_part_size,
            })
        }
        None => plan::plan(opts.part_size, None, &opts.limits),
    }
    .map_err(Error::Usage)?;
    let threshold = opts.multipart_threshold.max(1);
    measured(client, || {
        let mut first = Vec::new();
        read_up_to(reader, &mut first, threshold)?;
        if (first.len() as u64) < threshold {
            return put_single(client, target, Body::from(&first), opts, control);
        }
        let mut input = Prefixed {
            first: Some(std::io::Cursor::new(first)),
            rest: reader,
        };
        let source = multipart::Source::Stream(&mut input);
        multipart::upload(client, target, source, part_plan, None, opts, control)
    })
}

/// The bytes read ahead to choose single vs multipart, then the rest of the stream. Unlike
/// `Read::chain`, the read-ahead buffer is freed as soon as it is consumed instead of living
/// as long as the stream (a whole threshold of memory, 8 MiB by default).
struct Prefixed<'a> {
    first: Option<std::io::Cursor<Vec<u8>>>,
    rest: &'a mut (dyn Read + Send),
}

impl Read for Prefixed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(first) = self.first.as_mut() {
            let n = first.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.first = None;
        }
        self.rest.read(buf)
    }
}

/// Reads until `buf` holds `limit` bytes or the reader ends.
pub(super) fn read_up_to(
    reader: &mut (dyn Read + Send),
    buf: &mut Vec<u8>,
    limit: u64,
) -> Result<(), Error> {
    reader
        .take(limit.saturating_sub(buf.len() as u64))
        .read_to_end(buf)
        .map_err(|source| Error::Source {
            path: "input".into(),
            source,
        })?;
    Ok(())
}
