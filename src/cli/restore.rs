//! `s3up restore SOURCE [MEMBER...] -C DIR`: a tar archive (plain, zstd or gzip, told by its
//! bytes) read from SOURCE and restored under DIR as it streams, by [`crate::archive::extract`]
//! (which holds the safety rules); `--list` only lists it.
//!
//! Exit status: 0 everything asked for restored; 1 the archive is broken or unreadable, a write
//! failed, or some members were refused, exist already (without `--overwrite`) or were not
//! found; 2 usage; 130 interrupted.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};

use super::args::RestoreArgs;
use super::output::human;
use super::{transfer, usage};
use crate::archive::{self, ExtractError, ExtractOptions, ExtractSummary, Member, Problem};
use crate::config::transfer::check_download_flags;
use crate::control::Control;
use crate::download;
use crate::error::Error;
use crate::s3::addr::S3Url;

pub(super) fn run(args: &RestoreArgs) -> Result<u8, Error> {
    let (source, opts) = parse(args)?;
    if source.starts_with("s3://") {
        return from_s3(args, source, opts);
    }
    if args.verify_first {
        return Err(usage(
            "--verify-first is for archives in S3 (a local file or standard input has no stored checksum)",
        ));
    }
    check_download_flags(&args.transfer())?;
    let control = Arc::new(Control::new(None));
    install_interrupt_handler(&control);
    let opts = ExtractOptions {
        control: Some(control),
        ..opts
    };
    let reader = open_local(source)?;
    let mut out = Printer::new(args);
    let result = unpack(args, reader, &opts, &mut out);
    out.finish(source, &opts, &result, &Value::Null);
    Ok(exit_code(&result))
}

/// Lists or extracts, as asked.
fn unpack(
    args: &RestoreArgs,
    reader: impl Read,
    opts: &ExtractOptions,
    out: &mut Printer,
) -> Result<ExtractSummary, ExtractError> {
    if args.list {
        archive::list(reader, opts, &mut |m| out.listed(m))
    } else {
        archive::extract_with(reader, opts, &mut |m| out.restoring(m))
    }
}

fn exit_code(result: &Result<ExtractSummary, ExtractError>) -> u8 {
    match result {
        Ok(summary) if summary.complete() => 0,
        Ok(_) => 1,
        Err(e) if matches!(e.problem, Problem::Interrupted) => 130,
        Err(_) => 1,
    }
}

/// An archive in S3, through the download engine: streamed in order into the extractor (no
/// temporary copy, memory bounded) and verified against the object's stored checksum once
/// the last byte went through; with `--verify-first`, downloaded and verified whole before
/// anything is restored.
fn from_s3(args: &RestoreArgs, source: &str, opts: ExtractOptions) -> Result<u8, Error> {
    let flags = args.transfer();
    check_download_flags(&flags)?;
    let url = S3Url::parse(source).map_err(|e| usage(e.to_string()))?;
    if url.key.is_empty() || url.is_prefix() {
        return Err(usage(format!(
            "{source}: name the archive's object, not a prefix"
        )));
    }
    let (session, control) = transfer::prepare(args.common(), &flags)?;
    let download_opts = transfer::download_options(&flags, &session)?;
    let object = download::Source::new(url.bucket.clone(), url.key.clone());
    let opts = ExtractOptions {
        control: Some(Arc::clone(&control)),
        ..opts
    };
    let client = &session.client;
    let mut out = Printer::new(args);
    let mut unpacked = None;
    let downloaded = if args.verify_first {
        verified_copy(client, &object, &opts, &download_opts, &control).map(
            |(_dir, file, report)| {
                unpacked = Some(unpack(args, file, &opts, &mut out));
                report
            },
        )
    } else {
        download::download_stream(client, &object, &download_opts, &control, |reader| {
            unpacked = Some(unpack(args, reader, &opts, &mut out));
            Ok(())
        })
        .map(|((), report)| report)
    };
    let Some(result) = unpacked else {
        // Nothing was read: the download failed before its first byte (no such object, ...).
        return Err(downloaded
            .err()
            .unwrap_or_else(|| Error::Integrity("the archive was not read".into())));
    };
    let (verification, code) = match &downloaded {
        Ok(report) => (
            json!({"verified": report.verified, "checksum": report.checksum}),
            0,
        ),
        Err(e) => {
            eprintln!("error: {source}: {e}");
            if result.as_ref().map_or(true, |s| s.entries > 0) {
                eprintln!("the download failed its verification or did not finish: what was restored under {} must not be trusted", opts.dir.display());
            }
            let code = if control.is_interrupted() || matches!(e, Error::Interrupted) {
                130
            } else {
                1
            };
            (
                json!({"verified": Value::Null, "error": e.to_string()}),
                code,
            )
        }
    };
    out.finish(source, &opts, &result, &verification);
    Ok(code.max(exit_code(&result)))
}

/// `--verify-first`: the archive downloaded and verified into a temporary directory in the
/// target directory (removed when dropped), and opened for reading.
fn verified_copy(
    client: &crate::client::Client,
    object: &download::Source,
    opts: &ExtractOptions,
    download_opts: &download::DownloadOptions,
    control: &Control,
) -> Result<(tempfile::TempDir, std::fs::File, download::DownloadReport), Error> {
    let dest_err = |source| Error::Destination {
        path: opts.dir.clone(),
        source,
    };
    std::fs::create_dir_all(&opts.dir).map_err(dest_err)?;
    let dir = tempfile::Builder::new()
        .prefix(".s3up-restore-")
        .tempdir_in(&opts.dir)
        .map_err(dest_err)?;
    let path = dir.path().join("archive");
    let report = download::download_file(client, object, &path, download_opts, control)?;
    let file = std::fs::File::open(&path).map_err(|source| Error::Source { path, source })?;
    Ok((dir, file, report))
}

/// Flags → the source argument and the extraction options.
fn parse(args: &RestoreArgs) -> Result<(&str, ExtractOptions), Error> {
    let Some((source, members)) = args.paths.split_first() else {
        return Err(usage(
            "give the archive to restore: s3up restore FILE|- [MEMBER...] -C DIR",
        ));
    };
    if args.same_owner && !args.list && !rustix::process::geteuid().is_root() {
        return Err(usage(
            "--same-owner: only root can give files to other owners; run as root or drop the flag",
        ));
    }
    if members.iter().any(|m| m == "-") {
        return Err(usage(
            "'-' (standard input) can only be the archive, given first",
        ));
    }
    let opts = ExtractOptions {
        dir: PathBuf::from(args.directory.as_deref().unwrap_or(".")),
        paths: members.to_vec(),
        excludes: args.exclude.clone(),
        strip_components: args.strip_components.unwrap_or(0),
        overwrite: args.overwrite,
        same_owner: args.same_owner,
        preserve_permissions: args.preserve_permissions,
        record_written: args.json,
        control: None,
    };
    Ok((source, opts))
}

/// Where a local archive's bytes come from: a file, or standard input for `-`.
///
/// (`s3://` sources go through the download engine: see [`from_s3`].)
fn open_local(source: &str) -> Result<Box<dyn Read + Send>, Error> {
    if source == "-" {
        return Ok(Box::new(io::stdin()));
    }
    let file = std::fs::File::open(source).map_err(|e| Error::Source {
        path: source.into(),
        source: e,
    })?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(usage(format!(
            "{source} is a directory: give the archive file (and the target with -C DIR)"
        )));
    }
    Ok(Box::new(file))
}

/// SIGINT/SIGTERM: stop at the next read, remove the file being written, exit 130.
fn install_interrupt_handler(control: &Arc<Control>) {
    let control = Arc::clone(control);
    let _ = ctrlc::set_handler(move || {
        if control.is_interrupted() {
            // A second signal: the user insists (a read may be blocked on a silent source).
            std::process::exit(130);
        }
        eprintln!("interrupted: stopping (press Ctrl-C again to quit at once)");
        control.interrupt();
    });
}

/// What goes to standard output: member lines (`--list`, `-v`), then a summary line or the
/// `--json` object. A closed pipe (`| head`) ends the printing, not the restore.
struct Printer {
    list: bool,
    verbose: bool,
    json: bool,
    quiet: bool,
    stdout: io::Stdout,
    closed: bool,
}

impl Printer {
    fn new(args: &RestoreArgs) -> Self {
        Self {
            list: args.list,
            verbose: args.verbose,
            json: args.json,
            quiet: args.quiet,
            stdout: io::stdout(),
            closed: false,
        }
    }

    fn line(&mut self, text: &str) {
        if !self.closed && writeln!(self.stdout.lock(), "{text}").is_err() {
            self.closed = true;
        }
    }

    fn listed(&mut self, m: &Member) {
        let text = if self.json {
            member_json(m).to_string()
        } else if self.verbose {
            m.long_listing()
        } else {
            m.shown_name()
        };
        self.line(&text);
    }

    fn restoring(&mut self, m: &Member) {
        if self.verbose && !self.json {
            self.line(&m.shown_name());
        }
    }

    fn finish(
        &mut self,
        source: &str,
        opts: &ExtractOptions,
        result: &Result<ExtractSummary, ExtractError>,
        verification: &Value,
    ) {
        let (summary, error) = match result {
            Ok(s) => (s, None),
            Err(e) => (&*e.summary, Some(e)),
        };
        if let Some(e) = error {
            eprintln!("error: {source}: {e}");
            if !self.list && summary.entries > 0 {
                eprintln!(
                    "{} entries were restored under {} before it stopped",
                    summary.entries,
                    opts.dir.display()
                );
            }
        } else if !summary.complete() {
            eprintln!("error: {}", incomplete(summary));
        }
        if self.json {
            let text = summary_json(source, opts, summary, error, verification).to_string();
            self.line(&text);
        } else if error.is_none() && !self.quiet && !self.list {
            let text = format!(
                "restore: {source} to {} ({} entries, {})",
                opts.dir.display(),
                summary.entries,
                human(summary.bytes)
            );
            self.line(&text);
        }
    }
}

/// Why a restore that read the whole archive still fails.
fn incomplete(s: &ExtractSummary) -> String {
    let mut parts = Vec::new();
    if s.refused_total > 0 {
        parts.push(format!(
            "{} refused (see the warnings above)",
            s.refused_total
        ));
    }
    if s.existing_total > 0 {
        parts.push(format!(
            "{} not replaced because they exist (--overwrite replaces them)",
            s.existing_total
        ));
    }
    if !s.not_found.is_empty() {
        parts.push(format!(
            "not found in the archive: {}",
            s.not_found.join(", ")
        ));
    }
    format!("not everything was restored: {}", parts.join("; "))
}

fn member_json(m: &Member) -> Value {
    json!({
        "name": String::from_utf8_lossy(&m.name),
        "type": m.kind.name(),
        "size": m.size,
        "mode": format!("{:04o}", m.mode),
        "uid": m.uid,
        "gid": m.gid,
        "mtime": m.mtime,
        "link": (!m.link.is_empty()).then(|| String::from_utf8_lossy(&m.link)),
    })
}

fn summary_json(
    source: &str,
    opts: &ExtractOptions,
    s: &ExtractSummary,
    error: Option<&ExtractError>,
    verification: &Value,
) -> Value {
    let refused: Vec<Value> = s
        .refused
        .iter()
        .map(|(name, reason)| json!({"name": name, "reason": reason}))
        .collect();
    json!({
        "source": source,
        "directory": opts.dir.display().to_string(),
        "format": s.format.map(|f| f.to_string()),
        "entries": s.entries,
        "bytes": s.bytes,
        "skipped": s.skipped,
        "tar_bytes": s.tar_bytes,
        "input_bytes": s.input_bytes,
        "refused": refused,
        "refused_total": s.refused_total,
        "existing": s.existing,
        "existing_total": s.existing_total,
        "not_found": s.not_found,
        "written": s.written,
        // From S3: what the download verified the archive's bytes against (`null` for a local
        // file or standard input, which have no stored checksum; zstd frames carry their own,
        // which the decoder checks).
        "verification": verification,
        "complete": error.is_none() && s.complete() && verification.get("error").is_none(),
        "error": error.map(ToString::to_string),
    })
}
