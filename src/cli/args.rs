//! Raw command-line arguments (argh). Validation and meaning live in the command modules.

use std::time::Duration;

use argh::FromArgs;

use crate::config::transfer::TransferFlags;
use crate::config::CommonOptions;

/// The options every command shares, added to each subcommand (argh has no flattening).
macro_rules! command {
    (transfer; $(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        command! {
            $(#[$meta])*
            pub struct $name {
                $($body)*
            #[argh(option)]
            /// storage class, e.g. STANDARD_IA, GLACIER, DEEP_ARCHIVE
            pub storage_class: Option<String>,
            /// server-side encryption: AES256 or aws:kms
            #[argh(option)]
            pub sse: Option<String>,
            /// KMS key id for --sse aws:kms
            #[argh(option)]
            pub sse_kms_key_id: Option<String>,
            /// canned ACL, e.g. private, bucket-owner-full-control
            #[argh(option)]
            pub acl: Option<String>,
            /// the Content-Type (default: guessed from the file extension)
            #[argh(option)]
            pub content_type: Option<String>,
            /// the Cache-Control header
            #[argh(option)]
            pub cache_control: Option<String>,
            /// the Content-Encoding header
            #[argh(option)]
            pub content_encoding: Option<String>,
            /// user metadata: key=value,key2=value2
            #[argh(option)]
            pub metadata: Option<String>,
            /// object tags, URL-encoded: key=value&key2=value2
            #[argh(option)]
            pub tagging: Option<String>,
            /// CRC32, CRC32C, CRC64NVME, SHA256 or none (default: CRC64NVME where the server supports it)
            #[argh(option)]
            pub checksum_algorithm: Option<String>,
            /// size of the standard input stream, if known (a hint for part sizes)
            #[argh(option)]
            pub expected_size: Option<String>,
            /// part size, e.g. 8MiB (default 8 MiB)
            #[argh(option)]
            pub part_size: Option<String>,
            /// files from this size on use multipart uploads (default 8 MiB)
            #[argh(option)]
            pub multipart_threshold: Option<String>,
            /// parts uploaded in parallel (default 4)
            #[argh(option)]
            pub concurrency: Option<usize>,
            /// bandwidth budget shared by all parts, bytes per second, e.g. 20M
            #[argh(option)]
            pub limit_rate: Option<String>,
            /// retries of each request after the first attempt (default 4)
            #[argh(option)]
            pub retries: Option<u32>,
            /// print what would be uploaded; send nothing
            #[argh(switch)]
            pub dryrun: bool,
            /// no progress line
            #[argh(switch)]
            pub no_progress: bool,
            /// print only errors
            #[argh(switch)]
            pub only_show_errors: bool,
            /// print one JSON object per upload (source, bucket, key, size, etag, checksum, parts, seconds, retries; tar adds entries and sizes)
            #[argh(switch)]
            pub json: bool,
            }
        }
        impl $name {
            pub fn transfer(&self) -> TransferFlags {
                TransferFlags {
                    storage_class: self.storage_class.clone(),
                    sse: self.sse.clone(),
                    sse_kms_key_id: self.sse_kms_key_id.clone(),
                    acl: self.acl.clone(),
                    content_type: self.content_type.clone(),
                    cache_control: self.cache_control.clone(),
                    content_encoding: self.content_encoding.clone(),
                    metadata: self.metadata.clone(),
                    tagging: self.tagging.clone(),
                    checksum_algorithm: self.checksum_algorithm.clone(),
                    expected_size: self.expected_size.clone(),
                    part_size: self.part_size.clone(),
                    multipart_threshold: self.multipart_threshold.clone(),
                    concurrency: self.concurrency,
                    limit_rate: self.limit_rate.clone(),
                    retries: self.retries,
                }
            }
        }
    };
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        #[derive(FromArgs, Debug)]
        $(#[$meta])*
        pub struct $name {
            $($body)*
            /// custom endpoint URL, e.g. http://127.0.0.1:9000 (default: AWS's regional endpoint)
            #[argh(option)]
            pub endpoint_url: Option<String>,
            /// AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, profile, else us-east-1)
            #[argh(option)]
            pub region: Option<String>,
            /// profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, else default)
            #[argh(option)]
            pub profile: Option<String>,
            /// PEM file of CA certificates to trust instead of the bundled roots
            #[argh(option)]
            pub ca_bundle: Option<String>,
            /// do not verify TLS certificates (insecure)
            #[argh(switch)]
            pub no_verify_ssl: bool,
            /// auto, path or virtual
            #[argh(option)]
            pub addressing_style: Option<String>,
            /// log every request, with its canonical request and string to sign (never secrets)
            #[argh(switch)]
            pub debug: bool,
            /// print nothing but errors
            #[argh(switch)]
            pub quiet: bool,
            /// seconds to wait for an answer before retrying (default 120; aws-cli's name)
            #[argh(option)]
            pub cli_read_timeout: Option<u64>,
            /// seconds to wait for a connection (default 10; aws-cli's name)
            #[argh(option)]
            pub cli_connect_timeout: Option<u64>,
        }

        impl $name {
            /// The shared options (`--retries` is a transfer flag: callers set `max_attempts`).
            pub fn common(&self) -> CommonOptions {
                CommonOptions {
                    endpoint_url: self.endpoint_url.clone(),
                    region: self.region.clone(),
                    profile: self.profile.clone(),
                    ca_bundle: self.ca_bundle.as_ref().map(Into::into),
                    no_verify_ssl: self.no_verify_ssl,
                    addressing_style: self.addressing_style.clone(),
                    max_attempts: None,
                    read_timeout: self.cli_read_timeout.map(Duration::from_secs),
                    connect_timeout: self.cli_connect_timeout.map(Duration::from_secs),
                }
            }

            pub fn logging(&self) -> Logging {
                Logging {
                    debug: self.debug,
                    quiet: self.quiet,
                }
            }
        }
    };
}

/// `--debug` and `--quiet`, which every command has.
#[derive(Debug, Clone, Copy, Default)]
pub struct Logging {
    pub debug: bool,
    pub quiet: bool,
}

/// s3up: upload backups to S3 with Signature Version 4, from one static binary.
#[derive(FromArgs, Debug)]
pub struct TopLevel {
    /// print the version and exit
    #[argh(switch)]
    pub version: bool,
    #[argh(subcommand)]
    pub command: Option<Command>,
}

#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub enum Command {
    Cp(CpArgs),
    Tar(TarArgs),
    Presign(PresignArgs),
    Mpu(MpuArgs),
    Doctor(DoctorArgs),
    #[cfg(feature = "server")]
    Demo(DemoArgs),
    #[cfg(feature = "server")]
    Serve(super::serve::ServeArgs),
}

command! {
    transfer;
    /// upload files, directories (--recursive) or standard input (-) to S3
    #[argh(subcommand, name = "cp")]
    pub struct CpArgs {
        /// sources then destination: FILE... s3://bucket/key-or-prefix/
        #[argh(positional)]
        pub paths: Vec<String>,
        /// upload the contents of directories
        #[argh(switch)]
        pub recursive: bool,
        /// skip files matching this glob (repeatable; later filters win)
        #[argh(option)]
        pub exclude: Vec<String>,
        /// upload files matching this glob even if excluded before (repeatable)
        #[argh(option)]
        pub include: Vec<String>,
    }
}

command! {
    transfer;
    /// stream a tar archive of PATHs (optionally zstd-compressed) into one object
    #[argh(subcommand, name = "tar")]
    pub struct TarArgs {
        /// paths to archive, then the destination: PATH... s3://bucket/key
        #[argh(positional)]
        pub paths: Vec<String>,
        /// read PATHs relative to this directory (like tar -C)
        #[argh(option, short = 'C')]
        pub directory: Option<String>,
        /// leave out names matching this glob, anywhere in the tree (repeatable)
        #[argh(option)]
        pub exclude: Vec<String>,
        /// compress with zstd (level 3; --zstd=LEVEL for another)
        #[argh(switch)]
        pub zstd: bool,
        /// zstd level, 1 to 19 (implies --zstd)
        #[argh(option)]
        pub zstd_level: Option<i32>,
        /// zstd compression threads (default 1)
        #[argh(option)]
        pub threads: Option<u32>,
        /// warn about unreadable files and go on, instead of failing (like GNU tar)
        #[argh(switch)]
        pub ignore_failed_read: bool,
    }
}

command! {
    /// print a presigned URL (SigV4 query-string auth)
    #[argh(subcommand, name = "presign")]
    pub struct PresignArgs {
        /// s3://bucket/key
        #[argh(positional)]
        pub url: String,
        /// seconds the URL stays valid (1 to 604800; default 3600)
        #[argh(option, default = "3600")]
        pub expires_in: u64,
        /// GET or PUT (default GET)
        #[argh(option, default = "String::from(\"GET\")")]
        pub method: String,
    }
}

/// list or abort unfinished multipart uploads
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "mpu")]
pub struct MpuArgs {
    #[argh(subcommand)]
    pub command: MpuCommand,
}

#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub enum MpuCommand {
    Ls(MpuLsArgs),
    Abort(MpuAbortArgs),
}

command! {
    /// list unfinished multipart uploads: key, upload id, initiated, age
    #[argh(subcommand, name = "ls")]
    pub struct MpuLsArgs {
        /// s3://bucket[/prefix]
        #[argh(positional)]
        pub url: String,
    }
}

command! {
    /// abort unfinished multipart uploads
    #[argh(subcommand, name = "abort")]
    pub struct MpuAbortArgs {
        /// s3://bucket/key (with --upload-id) or s3://bucket[/prefix] (with --all)
        #[argh(positional)]
        pub url: String,
        /// the upload to abort
        #[argh(option)]
        pub upload_id: Option<String>,
        /// abort every unfinished upload under the prefix
        #[argh(switch)]
        pub all: bool,
        /// with --all: only uploads at least this old (e.g. 7d, 24h)
        #[argh(option)]
        pub older_than: Option<String>,
        /// print what would be aborted
        #[argh(switch)]
        pub dryrun: bool,
    }
}

command! {
    /// check credentials, region, endpoint, clock and a signed request: will an upload work?
    #[argh(subcommand, name = "doctor")]
    pub struct DoctorArgs {
        /// s3://bucket[/prefix] to test
        #[argh(positional)]
        pub url: Option<String>,
    }
}

/// run the whole flow offline against the embedded S3 server (no credentials needed)
#[cfg(feature = "server")]
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "demo")]
pub struct DemoArgs {}
