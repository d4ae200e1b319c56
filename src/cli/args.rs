//! Raw command-line arguments (argh). Validation and meaning live in the command modules.

use std::time::Duration;

use argh::FromArgs;

use crate::config::transfer::TransferFlags;
use crate::config::CommonOptions;

/// The options every command shares, added to each subcommand (argh has no flattening).
macro_rules! command {
    (transfer; $(#[$meta:meta])* pub(crate) struct $name:ident { $($body:tt)* }) => {
        command! {
            $(#[$meta])*
            pub(crate) struct $name {
                $($body)*
            #[argh(option)]
            /// storage class, e.g. STANDARD_IA, GLACIER, DEEP_ARCHIVE
            pub(crate) storage_class: Option<String>,
            /// server-side encryption: AES256 or aws:kms
            #[argh(option)]
            pub(crate) sse: Option<String>,
            /// KMS key id for --sse aws:kms
            #[argh(option)]
            pub(crate) sse_kms_key_id: Option<String>,
            /// canned ACL, e.g. private, bucket-owner-full-control
            #[argh(option)]
            pub(crate) acl: Option<String>,
            /// the Content-Type (default: guessed from the file extension)
            #[argh(option)]
            pub(crate) content_type: Option<String>,
            /// the Cache-Control header
            #[argh(option)]
            pub(crate) cache_control: Option<String>,
            /// the Content-Encoding header
            #[argh(option)]
            pub(crate) content_encoding: Option<String>,
            /// user metadata: key=value,key2=value2
            #[argh(option)]
            pub(crate) metadata: Option<String>,
            /// object tags, URL-encoded: key=value&key2=value2
            #[argh(option)]
            pub(crate) tagging: Option<String>,
            /// CRC32, CRC32C, CRC64NVME, SHA256 or none (default: CRC64NVME where the server supports it)
            #[argh(option)]
            pub(crate) checksum_algorithm: Option<String>,
            /// size of the standard input stream, if known (a hint for part sizes)
            #[argh(option)]
            pub(crate) expected_size: Option<String>,
            /// part size, e.g. 8MiB (default 8 MiB)
            #[argh(option)]
            pub(crate) part_size: Option<String>,
            /// files from this size on use multipart uploads (default 8 MiB)
            #[argh(option)]
            pub(crate) multipart_threshold: Option<String>,
            /// parts uploaded in parallel (default 4)
            #[argh(option)]
            pub(crate) concurrency: Option<usize>,
            /// bandwidth budget shared by all parts, bytes per second, e.g. 20M
            #[argh(option)]
            pub(crate) limit_rate: Option<String>,
            /// retries of each request after the first attempt (default 4)
            #[argh(option)]
            pub(crate) retries: Option<u32>,
            /// auto (over HTTPS, bodies with a checksum go unsigned, as the AWS SDKs send them) or always
            #[argh(option)]
            pub(crate) payload_signing: Option<String>,
            /// print what would be uploaded; send nothing
            #[argh(switch)]
            pub(crate) dryrun: bool,
            /// no progress line
            #[argh(switch)]
            pub(crate) no_progress: bool,
            /// print only errors
            #[argh(switch)]
            pub(crate) only_show_errors: bool,
            /// print one JSON object per upload (source, bucket, key, size, etag, checksum, parts, seconds, retries; tar adds entries and sizes)
            #[argh(switch)]
            pub(crate) json: bool,
            }
        }
        impl $name {
            pub(crate) fn transfer(&self) -> TransferFlags {
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
                    payload_signing: self.payload_signing.clone(),
                }
            }
        }
    };
    ($(#[$meta:meta])* pub(crate) struct $name:ident { $($body:tt)* }) => {
        #[derive(FromArgs, Debug)]
        $(#[$meta])*
        pub(crate) struct $name {
            $($body)*
            /// custom endpoint URL, e.g. http://127.0.0.1:9000 (default: AWS's regional endpoint)
            #[argh(option)]
            pub(crate) endpoint_url: Option<String>,
            /// AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, profile, else us-east-1)
            #[argh(option)]
            pub(crate) region: Option<String>,
            /// profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, else default)
            #[argh(option)]
            pub(crate) profile: Option<String>,
            /// PEM file of CA certificates to trust instead of the bundled roots
            #[argh(option)]
            pub(crate) ca_bundle: Option<String>,
            /// do not verify TLS certificates (insecure)
            #[argh(switch)]
            pub(crate) no_verify_ssl: bool,
            /// auto, path or virtual
            #[argh(option)]
            pub(crate) addressing_style: Option<String>,
            /// log every request, with its canonical request and string to sign (never secrets)
            #[argh(switch)]
            pub(crate) debug: bool,
            /// print nothing but errors
            #[argh(switch)]
            pub(crate) quiet: bool,
            /// seconds to wait for an answer before retrying (default 120; aws-cli's name)
            #[argh(option)]
            pub(crate) cli_read_timeout: Option<u64>,
            /// seconds to wait for a connection (default 10; aws-cli's name)
            #[argh(option)]
            pub(crate) cli_connect_timeout: Option<u64>,
        }

        impl $name {
            /// The shared options (`--retries` is a transfer flag: callers set `max_attempts`).
            pub(crate) fn common(&self) -> CommonOptions {
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
                    payload_signing: None,
                }
            }

            pub(crate) fn logging(&self) -> Logging {
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
pub(super) struct Logging {
    pub(crate) debug: bool,
    pub(crate) quiet: bool,
}

/// s3up: upload backups to S3 with Signature Version 4, from one static binary.
#[derive(FromArgs, Debug)]
pub(super) struct TopLevel {
    /// print the version and exit
    #[argh(switch)]
    pub(crate) version: bool,
    #[argh(subcommand)]
    pub(crate) command: Option<Command>,
}

#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub(super) enum Command {
    Cp(CpArgs),
    Tar(TarArgs),
    Restore(RestoreArgs),
    Presign(PresignArgs),
    Mpu(MpuArgs),
    Doctor(DoctorArgs),
    Ls(super::ls::LsArgs),
    Rm(super::rm::RmArgs),
    Sync(super::sync::SyncArgs),
    #[cfg(feature = "server")]
    Demo(DemoArgs),
    #[cfg(feature = "server")]
    Serve(super::serve::ServeArgs),
}

command! {
    transfer;
    /// upload files, directories (--recursive) or standard input (-) to S3
    #[argh(subcommand, name = "cp")]
    pub(crate) struct CpArgs {
        /// sources then destination: FILE... s3://bucket/key-or-prefix/
        #[argh(positional)]
        pub(crate) paths: Vec<String>,
        /// upload the contents of directories
        #[argh(switch)]
        pub(crate) recursive: bool,
        /// skip files matching this glob (repeatable; later filters win)
        #[argh(option)]
        pub(crate) exclude: Vec<String>,
        /// upload files matching this glob even if excluded before (repeatable)
        #[argh(option)]
        pub(crate) include: Vec<String>,
        /// run this command and upload its standard output; the object appears only if it exits 0
        #[argh(option)]
        pub(crate) from_cmd: Option<String>,
        /// run --from-cmd with /bin/sh -c (pipes, redirections, variables)
        #[argh(switch)]
        pub(crate) shell: bool,
    }
}

command! {
    transfer;
    /// stream a tar archive of PATHs (optionally zstd-compressed) into one object
    #[argh(subcommand, name = "tar")]
    pub(crate) struct TarArgs {
        /// paths to archive, then the destination: PATH... s3://bucket/key
        #[argh(positional)]
        pub(crate) paths: Vec<String>,
        /// read PATHs relative to this directory (like tar -C)
        #[argh(option, short = 'C')]
        pub(crate) directory: Option<String>,
        /// leave out names matching this glob, anywhere in the tree (repeatable)
        #[argh(option)]
        pub(crate) exclude: Vec<String>,
        /// compress with zstd (level 3; --zstd=LEVEL for another)
        #[argh(switch)]
        pub(crate) zstd: bool,
        /// zstd level, 1 to 19 (implies --zstd)
        #[argh(option)]
        pub(crate) zstd_level: Option<i32>,
        /// zstd compression threads (default 1)
        #[argh(option)]
        pub(crate) threads: Option<u32>,
        /// warn about unreadable files and go on, instead of failing (like GNU tar)
        #[argh(switch)]
        pub(crate) ignore_failed_read: bool,
    }
}

command! {
    /// restore a tar archive (.tar, .tar.zst, .tar.gz: told by its bytes) from S3, a FILE or standard input (-) into a directory
    #[argh(subcommand, name = "restore")]
    pub(crate) struct RestoreArgs {
        /// the archive (s3://bucket/key, FILE or -), then the members to restore (default: all)
        #[argh(positional)]
        pub(crate) paths: Vec<String>,
        /// the directory to restore into (default: the current one; created if missing)
        #[argh(option, short = 'C')]
        pub(crate) directory: Option<String>,
        /// list the members instead of restoring them (like tar -t)
        #[argh(switch)]
        pub(crate) list: bool,
        /// with --list: mode, owner, size and time of each member (like tar -tv); else print each member restored
        #[argh(switch, short = 'v')]
        pub(crate) verbose: bool,
        /// leave out members matching this glob, and what is under them (repeatable)
        #[argh(option)]
        pub(crate) exclude: Vec<String>,
        /// remove N leading components from member names (and hard-link targets)
        #[argh(option)]
        pub(crate) strip_components: Option<usize>,
        /// replace existing files (atomically) instead of refusing them
        #[argh(switch)]
        pub(crate) overwrite: bool,
        /// restore numeric owners and groups, and device nodes (as root only)
        #[argh(switch)]
        pub(crate) same_owner: bool,
        /// restore setuid, setgid and sticky bits, and ignore the umask
        #[argh(switch)]
        pub(crate) preserve_permissions: bool,
        /// print a JSON summary (entries, bytes, what was refused, existed, was not found or was written, and the download's verification); with --list, one JSON object per member first
        #[argh(switch)]
        pub(crate) json: bool,
        /// from S3: download and verify the whole archive (into a temporary file in the target directory) before restoring anything
        #[argh(switch)]
        pub(crate) verify_first: bool,
        /// from S3: bytes per ranged GET, e.g. 8MiB (default 8 MiB)
        #[argh(option)]
        pub(crate) part_size: Option<String>,
        /// from S3: ranged GETs in parallel (default 4)
        #[argh(option)]
        pub(crate) concurrency: Option<usize>,
        /// from S3: bandwidth budget, bytes per second, e.g. 20M
        #[argh(option)]
        pub(crate) limit_rate: Option<String>,
        /// from S3: retries of each request after the first attempt (default 4)
        #[argh(option)]
        pub(crate) retries: Option<u32>,
    }
}

impl RestoreArgs {
    /// The download flags, as `cp` would take them.
    pub(crate) fn transfer(&self) -> TransferFlags {
        TransferFlags {
            part_size: self.part_size.clone(),
            concurrency: self.concurrency,
            limit_rate: self.limit_rate.clone(),
            retries: self.retries,
            ..TransferFlags::default()
        }
    }
}

command! {
    /// print a presigned URL (SigV4 query-string auth)
    #[argh(subcommand, name = "presign")]
    pub(crate) struct PresignArgs {
        /// s3://bucket/key
        #[argh(positional)]
        pub(crate) url: String,
        /// seconds the URL stays valid (1 to 604800; default 3600)
        #[argh(option, default = "3600")]
        pub(crate) expires_in: u64,
        /// GET or PUT (default GET)
        #[argh(option, default = "String::from(\"GET\")")]
        pub(crate) method: String,
    }
}

/// list or abort unfinished multipart uploads
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "mpu")]
pub(super) struct MpuArgs {
    #[argh(subcommand)]
    pub(crate) command: MpuCommand,
}

#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub(super) enum MpuCommand {
    Ls(MpuLsArgs),
    Abort(MpuAbortArgs),
}

command! {
    /// list unfinished multipart uploads: key, upload id, initiated, age
    #[argh(subcommand, name = "ls")]
    pub(crate) struct MpuLsArgs {
        /// s3://bucket[/prefix]
        #[argh(positional)]
        pub(crate) url: String,
    }
}

command! {
    /// abort unfinished multipart uploads
    #[argh(subcommand, name = "abort")]
    pub(crate) struct MpuAbortArgs {
        /// s3://bucket/key (with --upload-id) or s3://bucket[/prefix] (with --all)
        #[argh(positional)]
        pub(crate) url: String,
        /// the upload to abort
        #[argh(option)]
        pub(crate) upload_id: Option<String>,
        /// abort every unfinished upload under the prefix
        #[argh(switch)]
        pub(crate) all: bool,
        /// with --all: only uploads at least this old (e.g. 7d, 24h)
        #[argh(option)]
        pub(crate) older_than: Option<String>,
        /// print what would be aborted
        #[argh(switch)]
        pub(crate) dryrun: bool,
    }
}

command! {
    /// check credentials, region, endpoint, clock and a signed request: will an upload work?
    #[argh(subcommand, name = "doctor")]
    pub(crate) struct DoctorArgs {
        /// s3://bucket[/prefix] to test
        #[argh(positional)]
        pub(crate) url: Option<String>,
    }
}

/// run the whole flow offline against the embedded S3 server (no credentials needed)
#[cfg(feature = "server")]
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "demo")]
pub(super) struct DemoArgs {}
