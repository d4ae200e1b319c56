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
use super::usage;
use crate::archive::{self, ExtractError, ExtractOptions, ExtractSummary, Member, Problem};
use crate::error::Error;
use crate::upload::Control;

pub(super) fn run(args: &RestoreArgs) -> Result<u8, Error> {
    let (source, opts) = parse(args)?;
    let control = Arc::new(Control::new(None));
    install_interrupt_handler(&control);
    let opts = ExtractOptions {
        control: Some(control),
        ..opts
    };
    let reader = open_source(source)?;
    let mut out = Printer::new(args);
    let result = if args.list {
        archive::list(reader, &opts, &mut |m| out.listed(m))
    } else {
        archive::extract_with(reader, &opts, &mut |m| out.restoring(m))
    };
    let code = match &result {
        Ok(summary) if summary.complete() => 0,
        Ok(_) => 1,
        Err(e) if matches!(e.problem, Problem::Interrupted) => 130,
        Err(_) => 1,
    };
    out.finish(source, &opts, &result);
    Ok(code)
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

/// The one place the archive's bytes come from: a file, or standard input for `-`.
///
/// `s3://` sources are read through the download engine (ordered, bounded memory, checksum
/// verified at the end), which is not built yet: until then they are a usage error.
fn open_source(source: &str) -> Result<Box<dyn Read + Send>, Error> {
    if source.starts_with("s3://") {
        return Err(usage(format!(
            "restoring from S3 needs the download engine, which this build does not have yet: \
             download {source} first and restore the file, or pipe it into 's3up restore - -C DIR'"
        )));
    }
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
            let text = summary_json(source, opts, summary, error).to_string();
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
        // A local file or standard input has no checksum to verify the archive against
        // (zstd frames carry their own, which the decoder checks).
        "verification": Value::Null,
        "complete": error.is_none() && s.complete(),
        "error": error.map(ToString::to_string),
    })
}
