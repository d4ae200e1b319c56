//! `s3up ls [s3://bucket[/prefix]]`: buckets, or the objects and prefixes under a prefix, in
//! `aws s3 ls`'s format (times in the local zone, sizes right-aligned in 10 columns, `PRE`
//! lines), every page followed and printed as it arrives; `--json`: one object per line.

use std::io::Write;
use std::time::Duration;

use argh::FromArgs;

use super::args::Logging;
use super::{process_env, usage};
use crate::config::CommonOptions;
use crate::error::Error;
use crate::listing;
use crate::s3::addr::S3Url;
use crate::s3::list::ObjectEntry;

command! {
    /// list buckets, or the objects and prefixes under s3://bucket[/prefix] (aws s3 ls's format)
    #[argh(subcommand, name = "ls")]
    pub(crate) struct LsArgs {
        /// s3://bucket[/prefix]; without it, the buckets
        #[argh(positional)]
        pub(crate) url: Option<String>,
        /// every object under the prefix, with its full key
        #[argh(switch)]
        pub(crate) recursive: bool,
        /// sizes in KiB, MiB, GiB... instead of bytes
        #[argh(switch)]
        pub(crate) human_readable: bool,
        /// end with the number of objects and their total size
        #[argh(switch)]
        pub(crate) summarize: bool,
        /// one JSON object per line: objects (key, size, etag, last_modified, storage_class), prefixes, buckets
        #[argh(switch)]
        pub(crate) json: bool,
    }
}

/// Output lines and running totals.
struct Printer {
    out: std::io::StdoutLock<'static>,
    human: bool,
    json: bool,
    objects: u64,
    bytes: u64,
}

pub(super) fn run(args: &LsArgs) -> Result<u8, Error> {
    let url = args
        .url
        .as_deref()
        .map(S3Url::parse)
        .transpose()
        .map_err(|e| usage(e.to_string()))?;
    let session = crate::config::open(&args.common(), &process_env)?;
    let mut p = Printer {
        out: std::io::stdout().lock(),
        human: args.human_readable,
        json: args.json,
        objects: 0,
        bytes: 0,
    };
    let result = match &url {
        None => list_buckets(&session.client, &mut p).map(|()| 0),
        Some(url) => list_objects(&session.client, url, args.recursive, &mut p),
    };
    let code = match result {
        Err(Error::Destination { source, .. })
            if source.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            return Ok(0)
        }
        other => other?,
    };
    if args.summarize {
        p.summary()?;
    }
    Ok(code)
}

fn list_buckets(client: &crate::client::Client, p: &mut Printer) -> Result<(), Error> {
    for b in listing::buckets(client)? {
        if p.json {
            p.line(&serde_json::json!({"bucket": b.name, "creation_date": b.created}).to_string())?;
        } else {
            p.line(&format!("{} {}", local_time(&b.created), b.name))?;
        }
    }
    Ok(())
}

/// Exit status 1 when a prefix was given and nothing is under it, as aws-cli does.
fn list_objects(
    client: &crate::client::Client,
    url: &S3Url,
    recursive: bool,
    p: &mut Printer,
) -> Result<u8, Error> {
    let delimiter = (!recursive).then_some("/");
    let mut found = false;
    listing::each_page(client, &url.bucket, &url.key, delimiter, |page, _| {
        found |= !page.objects.is_empty() || !page.prefixes.is_empty();
        for prefix in &page.prefixes {
            p.prefix(prefix)?;
        }
        for object in &page.objects {
            p.object(object, recursive)?;
        }
        Ok(())
    })?;
    Ok(u8::from(!found && !url.key.is_empty()))
}

impl Printer {
    fn line(&mut self, text: &str) -> Result<(), Error> {
        writeln!(self.out, "{text}").map_err(|source| Error::Destination {
            path: "standard output".into(),
            source,
        })
    }

    /// aws-cli shows the last segment of a common prefix: `PRE 2026/`.
    fn prefix(&mut self, prefix: &str) -> Result<(), Error> {
        if self.json {
            return self.line(&serde_json::json!({ "prefix": prefix }).to_string());
        }
        let name = prefix.rsplit('/').nth(1).unwrap_or_default();
        self.line(&format!("{:>30} {name}/", "PRE"))
    }

    /// `DATE TIME SIZE NAME`: the full key with `--recursive`, else its last segment.
    fn object(&mut self, o: &ObjectEntry, full_key: bool) -> Result<(), Error> {
        self.objects += 1;
        self.bytes += o.size;
        if self.json {
            // null for what the server left out (S3 always sends all of them).
            let given = |v: &str| (!v.is_empty()).then(|| v.to_owned());
            let line = serde_json::json!({
                "key": o.key,
                "size": o.size,
                "etag": given(&o.etag),
                "last_modified": given(&o.last_modified),
                "storage_class": given(&o.storage_class),
            });
            return self.line(&line.to_string());
        }
        let name = if full_key {
            o.key.as_str()
        } else {
            o.key.rsplit('/').next().unwrap_or_default()
        };
        let size = self.size(o.size);
        self.line(&format!(
            "{} {size:>10} {name}",
            local_time(&o.last_modified)
        ))
    }

    fn size(&self, bytes: u64) -> String {
        if self.human {
            aws_human_size(bytes)
        } else {
            bytes.to_string()
        }
    }

    fn summary(&mut self) -> Result<(), Error> {
        if self.json {
            let line = serde_json::json!({"total_objects": self.objects, "total_size": self.bytes});
            return self.line(&line.to_string());
        }
        let (objects, size) = (self.objects, self.size(self.bytes));
        self.line(&format!("\n{:>15}{objects}", "Total Objects: "))?;
        self.line(&format!("{:>15}{size}", "Total Size: "))
    }
}

/// S3's ISO 8601 time in the local zone, `2026-11-29 04:22:31` (as given if it does not parse).
fn local_time(iso: &str) -> String {
    crate::time::parse_time(iso).map_or_else(|| iso.to_owned(), crate::time::format_local)
}

/// aws-cli's human-readable size: `1 Byte`, `10 Bytes`, `1.0 KiB`, ... `1.0 EiB`. A unit is
/// used while the value, rounded, stays below 1024 in it (Python's `round`: ties to even).
fn aws_human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    match bytes {
        1 => return "1 Byte".into(),
        n if n < 1024 => return format!("{n} Bytes"),
        _ => {}
    }
    let value = bytes as f64;
    let mut unit = 1024.0_f64;
    for name in UNITS {
        if (value / unit).round_ties_even() < 1024.0 || name == "EiB" {
            return format!("{:.1} {name}", value / unit);
        }
        unit *= 1024.0;
    }
    unreachable!("the last unit always matches")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_aws_cli() {
        // Values from aws-cli's human_readable_size.
        assert_eq!(aws_human_size(0), "0 Bytes");
        assert_eq!(aws_human_size(1), "1 Byte");
        assert_eq!(aws_human_size(1023), "1023 Bytes");
        assert_eq!(aws_human_size(1024), "1.0 KiB");
        assert_eq!(aws_human_size(1280), "1.2 KiB");
        assert_eq!(aws_human_size(1_048_063), "1023.5 KiB");
        assert_eq!(
            aws_human_size(1_048_064),
            "1.0 MiB",
            "1023.5 rounds to even 1024"
        );
        assert_eq!(aws_human_size(1_048_575), "1.0 MiB");
        assert_eq!(aws_human_size(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(aws_human_size(u64::MAX), "16.0 EiB");
    }
}
