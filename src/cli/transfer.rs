//! What `cp` and `tar` share before they transfer: the session and upload options (resolved by
//! [`crate::config`]), the run control, and the SIGINT/SIGTERM handler.

use std::sync::Arc;

use super::process_env;
use crate::config::transfer::{rate_limit, upload_options, TransferFlags};
use crate::config::{CommonOptions, Session};
use crate::error::Error;
use crate::upload::{Control, UploadOptions};

/// The session, upload options and run control shared by `cp` and `tar`, with the interrupt
/// handler installed.
///
/// # Errors
/// Configuration and credential errors (exit 2).
pub(super) fn prepare(
    common: CommonOptions,
    flags: &TransferFlags,
) -> Result<(Session, UploadOptions, Arc<Control>), Error> {
    let common = CommonOptions {
        max_attempts: flags.retries.map(|r| r.saturating_add(1)),
        ..common
    };
    let session = crate::config::open(&common, &process_env)?;
    let opts = upload_options(flags, &session.profile.s3, &process_env)?;
    let control = Arc::new(Control::new(rate_limit(flags, &session.profile.s3)?));
    install_interrupt_handler(&control);
    Ok((session, opts, control))
}

/// SIGINT/SIGTERM: stop sending, abort unfinished multipart uploads, exit 130.
fn install_interrupt_handler(control: &Arc<Control>) {
    let control = Arc::clone(control);
    let _ = ctrlc::set_handler(move || {
        if control.is_interrupted() {
            // A second signal: the user insists.
            std::process::exit(130);
        }
        eprintln!("interrupted: aborting unfinished uploads (press Ctrl-C again to quit at once)");
        control.interrupt();
    });
}
