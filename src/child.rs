//! A producer command run as a child (`cp --from-cmd`): its standard output is read as a stream
//! whose end is not an end until the command has exited 0. When the command fails, the reader
//! returns an error at the end of the output instead, so an upload can never complete (neither
//! PutObject nor CompleteMultipartUpload) with what a failing `pg_dump` left half-written.
//!
//! The command runs without a shell unless asked: its words are split as `sh` splits them
//! (quotes, backslashes) but nothing is expanded. Its standard error passes through line by line
//! and its last lines are kept for the error message. SIGINT/SIGTERM of s3up reach it as SIGTERM
//! (a terminal's Ctrl-C reaches it directly too: it stays in s3up's process group).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::client::Client;
use crate::control::Control;
use crate::error::Error;
use crate::upload::{Target, UploadOptions, UploadReport};

/// Lines of the command's standard error kept for the error message.
const TAIL_LINES: usize = 10;
/// Characters kept of each such line.
const TAIL_LINE_CHARS: usize = 300;
/// How long a command has to stop after SIGTERM before it gets SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(20);

/// Words that mean the text was written for a shell.
const SHELL_OPERATORS: &[&str] = &[
    "|", "||", "|&", "&", "&&", ";", ";;", ">", ">>", "<", "<<", "2>", "2>>", "2>&1", "&>",
];

/// A command to run, as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandLine {
    argv: Vec<String>,
    /// The text as given, for messages.
    pub shown: String,
}

impl CommandLine {
    /// `text` split into words like `sh` does (without expanding anything), or, with `shell`,
    /// run as `/bin/sh -c text`.
    ///
    /// # Errors
    /// An empty command, unbalanced quotes, or shell operators without `shell`.
    pub(crate) fn parse(text: &str, shell: bool) -> Result<Self, String> {
        let argv = if shell {
            vec!["/bin/sh".to_owned(), "-c".to_owned(), text.to_owned()]
        } else {
            let words = shlex::split(text)
                .ok_or_else(|| format!("--from-cmd {text:?}: a quote is not closed"))?;
            if let Some(op) = words.iter().find(|w| SHELL_OPERATORS.contains(&w.as_str())) {
                return Err(format!(
                    "--from-cmd {text:?} uses the shell operator '{op}': add --shell to run it with /bin/sh -c (and mind that a pipeline's status is its last command's)"
                ));
            }
            words
        };
        if argv.first().is_none_or(|p| p.trim().is_empty()) || text.trim().is_empty() {
            return Err("--from-cmd needs a command, e.g. --from-cmd 'pg_dump mydb'".into());
        }
        Ok(Self {
            argv,
            shown: text.to_owned(),
        })
    }
}

/// How the command ended.
#[derive(Debug)]
pub(crate) struct Finished {
    /// `None` when it could not be waited for.
    pub status: Option<ExitStatus>,
    /// s3up stopped it (the upload failed, or s3up was interrupted).
    pub stopped_by_us: bool,
    /// Its last lines of standard error.
    pub stderr_tail: Vec<String>,
}

impl Finished {
    pub(crate) fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
}

/// `exited with status 3`, `was killed by signal 15 (SIGTERM)`.
pub(crate) fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => {
            let name = Signal::try_from(sig).map_or("", Signal::as_str);
            format!("was killed by signal {sig} ({name})")
        }
        _ => format!("ended with {status}"),
    }
}

/// The running command and its standard output.
pub(crate) struct Producer {
    child: Arc<Mutex<Option<Child>>>,
    status: Option<ExitStatus>,
    stdout: Option<ChildStdout>,
    tail: Arc<Mutex<VecDeque<String>>>,
    stderr_done: Receiver<()>,
    finished: Arc<AtomicBool>,
    signalled: Arc<AtomicBool>,
}

impl Producer {
    /// Starts the command, with standard input inherited and its output piped to s3up.
    ///
    /// # Errors
    /// The command cannot be started (not found, not executable).
    pub(crate) fn spawn(command: &CommandLine, control: &Arc<Control>) -> std::io::Result<Self> {
        let (program, args) = command
            .argv
            .split_first()
            .ok_or_else(|| std::io::Error::other("empty command"))?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::inherit())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let (done_tx, stderr_done) = mpsc::channel();
        let kept = Arc::clone(&tail);
        std::thread::spawn(move || {
            if let Some(stderr) = stderr {
                pass_stderr(stderr, &kept);
            }
            let _ = done_tx.send(());
        });
        let producer = Self {
            child: Arc::new(Mutex::new(Some(child))),
            status: None,
            stdout,
            tail,
            stderr_done,
            finished: Arc::new(AtomicBool::new(false)),
            signalled: Arc::new(AtomicBool::new(false)),
        };
        producer.forward_interrupt(Arc::clone(control));
        Ok(producer)
    }

    /// Sends SIGTERM to the command once s3up is interrupted (the output is blocked in a read
    /// that only the command ending can release).
    fn forward_interrupt(&self, control: Arc<Control>) {
        let (child, finished, signalled) = (
            Arc::clone(&self.child),
            Arc::clone(&self.finished),
            Arc::clone(&self.signalled),
        );
        std::thread::spawn(move || {
            while !finished.load(Ordering::SeqCst) {
                if control.is_interrupted() {
                    signalled.store(true, Ordering::SeqCst);
                    terminate(&child, Signal::SIGTERM);
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
    }

    /// Polls for the exit status (never blocking with the child locked, so a signal can still
    /// be sent meanwhile).
    fn wait(&mut self, deadline: Option<Instant>) -> Option<ExitStatus> {
        loop {
            if let Some(status) = self.status {
                return Some(status);
            }
            {
                let mut slot = self.child.lock().unwrap_or_else(PoisonError::into_inner);
                match slot.as_mut().map(Child::try_wait) {
                    Some(Ok(Some(status))) => {
                        self.status = Some(status);
                        // Reaped: its process id may be reused, so it is never signalled again.
                        *slot = None;
                        return Some(status);
                    }
                    Some(Ok(None)) => {}
                    Some(Err(_)) | None => return None,
                }
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            std::thread::sleep(POLL);
        }
    }

    /// Ends the command: closes its output; when `upload_ok` is false and it still runs, stops
    /// it (SIGTERM, then SIGKILL after a grace period); waits for it.
    pub(crate) fn finish(mut self, upload_ok: bool) -> Finished {
        self.stdout = None;
        let mut stopped_by_us = self.signalled.load(Ordering::SeqCst);
        if self.status.is_none() && !upload_ok {
            stopped_by_us = true;
            terminate(&self.child, Signal::SIGTERM);
            if self.wait(Some(Instant::now() + TERM_GRACE)).is_none() {
                terminate(&self.child, Signal::SIGKILL);
            }
        }
        let status = self.wait(None);
        self.finished.store(true, Ordering::SeqCst);
        // A grandchild may hold standard error open: wait for the last lines briefly, not forever.
        let _ = self.stderr_done.recv_timeout(Duration::from_secs(2));
        let stderr_tail = self
            .tail
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect();
        Finished {
            status,
            stopped_by_us,
            stderr_tail,
        }
    }
}

impl Read for Producer {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(stdout) = self.stdout.as_mut() else {
            return Ok(0);
        };
        let n = stdout.read(buf)?;
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        // The end of the output: complete only if the command succeeded.
        match self.wait(None) {
            Some(status) if status.success() => Ok(0),
            Some(status) => Err(std::io::Error::other(format!(
                "the command {}",
                describe(status)
            ))),
            None => Err(std::io::Error::other(
                "the command's exit status is unknown",
            )),
        }
    }
}

/// Runs `command` and uploads its standard output to `target` through the one upload engine. The
/// object is created (PutObject or CompleteMultipartUpload) only after the command exited 0;
/// otherwise a multipart upload is aborted, nothing is stored, and an object already under the
/// key stays as it was.
///
/// # Errors
/// [`Error::Command`] naming the command's exit status and its last lines of standard error;
/// [`Error::Interrupted`]; or the upload's own error (the command is then stopped).
pub(crate) fn upload_output(
    client: &Client,
    target: &Target,
    command: &CommandLine,
    opts: &UploadOptions,
    control: &Arc<Control>,
) -> Result<UploadReport, Error> {
    let mut producer = Producer::spawn(command, control).map_err(|e| {
        Error::Command(format!(
            "cannot run '{}': {e}: nothing was uploaded",
            command.shown
        ))
    })?;
    let uploaded = crate::upload::upload_stream(client, target, &mut producer, opts, control);
    let finished = producer.finish(uploaded.is_ok());
    let failed_alone = !finished.succeeded() && !finished.stopped_by_us;
    match uploaded {
        Ok(report) if finished.succeeded() => Ok(report),
        _ if control.is_interrupted() => Err(Error::Interrupted),
        Err(_) if failed_alone => Err(command_failed(command, target, &finished)),
        Err(e) => Err(e),
        Ok(_) => Err(Error::Integrity(format!(
            "s3://{}/{}: uploaded, but '{}' then reported a failure: check the object",
            target.bucket, target.key, command.shown
        ))),
    }
}

fn command_failed(command: &CommandLine, target: &Target, finished: &Finished) -> Error {
    let how = finished
        .status
        .map_or_else(|| "ended with an unknown status".to_owned(), describe);
    let mut text = format!(
        "the command '{}' {how}: nothing was uploaded to s3://{}/{} (an object already there is unchanged)",
        command.shown, target.bucket, target.key
    );
    if !finished.stderr_tail.is_empty() {
        text.push_str("\n  its standard error ended with:");
        for line in &finished.stderr_tail {
            text.push_str("\n    ");
            text.push_str(line);
        }
    }
    Error::Command(text)
}

/// Signals the command if it has not been reaped.
fn terminate(child: &Mutex<Option<Child>>, signal: Signal) {
    let slot = child.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(pid) = slot.as_ref().and_then(|c| i32::try_from(c.id()).ok()) {
        let _ = kill(Pid::from_raw(pid), signal);
    }
}

/// Copies the command's standard error to s3up's, line by line, keeping the last lines.
fn pass_stderr(stderr: impl Read, tail: &Mutex<VecDeque<String>>) {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        eprint!("{text}");
        if !text.ends_with('\n') {
            eprintln!();
        }
        let kept: String = text.trim_end().chars().take(TAIL_LINE_CHARS).collect();
        let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_sh_without_expansion() {
        let c = CommandLine::parse(r#"sh -c "echo part; exit 3""#, false).expect("parses");
        assert_eq!(c.argv, ["sh", "-c", "echo part; exit 3"]);
        let c = CommandLine::parse("pg_dump $DB", false).expect("parses");
        assert_eq!(c.argv, ["pg_dump", "$DB"]);
        let c = CommandLine::parse("pg_dump db | gzip", true).expect("parses");
        assert_eq!(c.argv, ["/bin/sh", "-c", "pg_dump db | gzip"]);
    }

    #[test]
    fn shell_syntax_without_a_shell_is_refused() {
        for bad in ["pg_dump db | gzip", "a && b", "a > f", "", "  ", "'open"] {
            assert!(CommandLine::parse(bad, false).is_err(), "{bad}");
        }
        assert!(CommandLine::parse("", true).is_err());
    }

    #[test]
    fn statuses_read_plainly() {
        assert_eq!(
            describe(ExitStatus::from_raw(3 << 8)),
            "exited with status 3"
        );
        assert_eq!(
            describe(ExitStatus::from_raw(15)),
            "was killed by signal 15 (SIGTERM)"
        );
    }
}
