//! The command line: parse, dispatch, print, exit. No protocol logic lives here.

#[macro_use]
mod args;
mod argv;
mod batch;
mod cp;
#[cfg(feature = "server")]
mod demo;
mod doctor;
mod ls;
mod mpu;
mod output;
mod presign;
mod restore;
mod rm;
#[cfg(feature = "server")]
mod serve;
mod sync;
mod tar;
mod transfer;

use std::process::ExitCode;

use crate::error::Error;
use args::Logging;

/// Runs s3up with the process arguments; returns the exit status (0 ok, 1 failed upload,
/// 2 usage or configuration, 130 interrupted).
pub fn run() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let name = argv.first().map_or("s3up", String::as_str);
    let line = match argv::parse(name, argv.get(1..).unwrap_or_default()) {
        Ok(line) => line,
        Err(early) => {
            return if early.status.is_ok() {
                println!("{}", early.output);
                ExitCode::SUCCESS
            } else {
                eprintln!("{}", early.output.trim_end());
                eprintln!("Run '{name} --help' for usage.");
                ExitCode::from(2)
            };
        }
    };
    let top = line.top;
    if top.version {
        println!("s3up {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let Some(command) = top.command else {
        eprintln!(
            "s3up {}: give a command; run '{name} --help' for the list",
            env!("CARGO_PKG_VERSION")
        );
        return ExitCode::from(2);
    };
    let result = match command {
        args::Command::Cp(a) => {
            init_logging(a.logging());
            cp::run(&a, &line.filters)
        }
        args::Command::Tar(a) => {
            init_logging(a.logging());
            tar::run(&a)
        }
        args::Command::Restore(a) => {
            init_logging(a.logging());
            restore::run(&a)
        }
        args::Command::Mpu(a) => {
            match &a.command {
                args::MpuCommand::Ls(x) => init_logging(x.logging()),
                args::MpuCommand::Abort(x) => init_logging(x.logging()),
            }
            mpu::run(&a)
        }
        args::Command::Doctor(a) => {
            init_logging(a.logging());
            doctor::run(&a)
        }
        args::Command::Ls(a) => {
            init_logging(a.logging());
            ls::run(&a)
        }
        args::Command::Rm(a) => {
            init_logging(a.logging());
            rm::run(&a, &line.filters)
        }
        args::Command::Sync(a) => {
            init_logging(a.logging());
            sync::run(&a, &line.filters)
        }
        #[cfg(feature = "server")]
        args::Command::Demo(_) => return demo::run(),
        args::Command::Presign(a) => {
            init_logging(a.logging());
            presign::run(&a)
        }
        #[cfg(feature = "server")]
        args::Command::Serve(a) => return serve::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Log level from the shared flags (`--debug`, `--quiet`), overridable with `RUST_LOG`.
fn init_logging(logging: Logging) {
    let level = if logging.debug {
        "debug"
    } else if logging.quiet {
        "error"
    } else {
        "warn"
    };
    let mut builder = env_logger::Builder::new();
    builder.parse_filters(&format!("{level},ureq=warn,rustls=warn,ureq_proto=warn"));
    if let Ok(filters) = std::env::var("RUST_LOG") {
        builder.parse_filters(&filters);
    }
    builder.format(|buf, record| {
        use std::io::Write;
        let level = match record.level() {
            log::Level::Error => "error",
            log::Level::Warn => "warning",
            log::Level::Info => "info",
            log::Level::Debug => "debug",
            log::Level::Trace => "trace",
        };
        let message = record.args().to_string();
        writeln!(buf, "{level}: {}", crate::redact::redact(&message))
    });
    let _ = builder.try_init();
}

/// The environment, read once per lookup.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub(crate) fn usage(message: impl Into<String>) -> Error {
    Error::Usage(message.into())
}
