//! What `cp`, `tar` and `restore` share before they transfer: the session (resolved by
//! [`crate::config`]), the run control with the SIGINT/SIGTERM handler, and the transfer options
//! for each direction.

use std::sync::Arc;

use super::process_env;
use crate::config::transfer::{self, rate_limit, TransferFlags};
use crate::config::{CommonOptions, Session};
use crate::control::Control;
use crate::download::DownloadOptions;
use crate::error::Error;
use crate::upload::UploadOptions;

/// The session and run control, with the interrupt handler installed.
///
/// # Errors
/// Configuration and credential errors (exit 2).
pub(super) fn prepare(
    common: CommonOptions,
    flags: &TransferFlags,
) -> Result<(Session, Arc<Control>), Error> {
    let common = transfer::client_options(flags, common)?;
    let session = crate::config::open(&common, &process_env)?;
    let control = Arc::new(Control::new(rate_limit(flags, &session.profile.s3)?));
    install_interrupt_handler(&control);
    Ok((session, control))
}

/// # Errors
/// Malformed flags (exit 2).
pub(super) fn upload_options(
    flags: &TransferFlags,
    session: &Session,
) -> Result<UploadOptions, Error> {
    transfer::upload_options(flags, &session.profile.s3, &process_env)
}

/// # Errors
/// Malformed flags, or flags that only apply to uploads (exit 2).
pub(super) fn download_options(
    flags: &TransferFlags,
    session: &Session,
) -> Result<DownloadOptions, Error> {
    transfer::download_options(flags, &session.profile.s3)
}

/// SIGINT/SIGTERM: stop sending, abort unfinished multipart uploads (or drop unfinished
/// downloads), exit 130.
fn install_interrupt_handler(control: &Arc<Control>) {
    let control = Arc::clone(control);
    let _ = ctrlc::set_handler(move || {
        if control.is_interrupted() {
            // A second signal: the user insists.
            std::process::exit(130);
        }
        eprintln!("interrupted: stopping and cleaning up (press Ctrl-C again to quit at once)");
        control.interrupt();
    });
}
