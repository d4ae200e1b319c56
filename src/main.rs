//! The `s3up` binary: everything is in the library; see `s3up::cli`.

fn main() -> std::process::ExitCode {
    s3up::cli::run()
}
