//! The S3 operations: an `s3s::S3` implementation over this server's own storage (see
//! `layout.rs`): an in-memory index of every bucket's keys over one directory per object, so
//! keys are keys, never paths. Objects become visible only once complete and verified (one
//! directory rename), multipart objects are made of their part files, and every read, list,
//! copy and conditional request answers as S3 does. It never checks signatures (s3s and the
//! front door do) and never writes outside the storage root, whatever the key.

mod bucket;
mod checksum;
mod complete;
mod completed;
mod conditions;
mod content;
mod errors;
mod index;
mod layout;
mod listing;
mod manifest;
mod multipart;
mod object;
mod part_copy;
mod read;
mod receive;
mod upload_listing;
mod write_rules;

pub use self::index::Index;
pub use self::layout::{key_problem, Layout};

use self::manifest::Manifest;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, S3};
use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// How long the answer of a completed multipart upload is kept for retried Completes.
const KEEP_COMPLETED: Duration = Duration::from_secs(24 * 3600);

/// Multipart limits (S3's are 5 MiB and 10,000).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Minimum size of every part but the last.
    pub min_part_size: u64,
    /// Highest part number.
    pub max_parts: u32,
}

/// How the store behaves.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Multipart limits.
    pub limits: Limits,
    /// Region reported by GetBucketLocation and HeadBucket.
    pub region: String,
    /// Canonical user id of the bucket owner (and initiator of uploads).
    pub owner_id: String,
    /// `http` or `https`, for the Location of completed uploads.
    pub scheme: &'static str,
    /// Verify everything but store no object or part bytes.
    pub discard: bool,
    /// A repeated CompleteMultipartUpload is NoSuchUpload (not S3's 200 with the same ETag).
    pub forget_completed: bool,
}

/// The storage behind the server.
pub struct Store {
    layout: Layout,
    index: std::sync::Arc<Index>,
    opts: StoreOptions,
    /// Serialises CompleteMultipartUpload and AbortMultipartUpload.
    mpu_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.layout.root())
            .finish_non_exhaustive()
    }
}

/// Removes the answers of uploads completed long ago.
fn prune_completed(layout: &Layout) {
    let Ok(dir) = std::fs::read_dir(layout.uploads_dir()) else {
        return;
    };
    for entry in dir.filter_map(Result::ok) {
        let done = Layout::completed_record_path(&entry.path());
        let old = std::fs::metadata(&done)
            .and_then(|m| m.modified())
            .is_ok_and(|t| {
                SystemTime::now().duration_since(t).unwrap_or_default() > KEEP_COMPLETED
            });
        if old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Store {
    /// A store over `root` (created if missing); what a crash left in the staging area is
    /// removed.
    ///
    /// # Errors
    /// The root or the server's state directories cannot be created or read.
    pub fn new(root: &Path, opts: StoreOptions) -> io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let root = root.canonicalize()?;
        let layout = Layout::new(&root);
        match std::fs::remove_dir_all(layout.tmp_dir()) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        std::fs::create_dir_all(layout.tmp_dir())?;
        std::fs::create_dir_all(layout.uploads_dir())?;
        prune_completed(&layout);
        let index = std::sync::Arc::new(Index::load(&layout)?);
        Ok(Self {
            layout,
            index,
            opts,
            mpu_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Paths under the root.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The index, shared (the server handle changes objects' times through it, for tests).
    pub fn index(&self) -> std::sync::Arc<Index> {
        std::sync::Arc::clone(&self.index)
    }

    /// Creates a bucket (no error if it exists).
    ///
    /// # Errors
    /// The name is not a valid bucket name or the directory cannot be created.
    pub fn ensure_bucket(&self, name: &str) -> io::Result<()> {
        if !s3s::path::check_bucket_name(name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid bucket name {name:?}"),
            ));
        }
        self.index.create_bucket(name).map(|_| ())
    }

    fn require_bucket(&self, bucket: &str) -> S3Result<()> {
        if self.index.bucket_exists(bucket) {
            Ok(())
        } else {
            Err(errors::no_such_bucket())
        }
    }

    fn check_key(&self, key: &str) -> S3Result<()> {
        match key_problem(key) {
            Some(why) => Err(errors::invalid_argument(format!(
                "Invalid object key {key:?}: {why}."
            ))),
            None => Ok(()),
        }
    }

    /// A fresh staging directory for an object being written.
    fn stage(&self) -> S3Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix("object-")
            .tempdir_in(self.layout.tmp_dir())
            .map_err(|e| errors::internal("cannot create a staging directory", e))
    }

    /// The file for a single-piece object's bytes in `staged` (`None` when discarding).
    fn data_file(&self, staged: &tempfile::TempDir) -> S3Result<Option<std::fs::File>> {
        if self.opts.discard {
            return Ok(None);
        }
        std::fs::File::create(staged.path().join(layout::DATA))
            .map(Some)
            .map_err(|e| errors::internal("cannot create a staging file", e))
    }
}

/// Unfinished uploads of a bucket as (key, upload id), sorted (reads storage directly).
pub fn pending_uploads(layout: &Layout, bucket: &str) -> Vec<(String, String)> {
    multipart::read_all(layout)
        .into_iter()
        .filter(|u| u.bucket == bucket)
        .map(|u| (u.key, u.upload_id))
        .collect()
}

/// The bytes of an object, read from storage (the newest `object.json` naming the key); zeros
/// for an object of a discarding server; `None` if there is none.
pub fn read_object(layout: &Layout, bucket: &str, key: &str) -> Option<Vec<u8>> {
    let mut newest: Option<(String, Manifest)> = None;
    for entry in std::fs::read_dir(layout.bucket_dir(bucket))
        .ok()?
        .filter_map(Result::ok)
    {
        let id = entry.file_name().to_string_lossy().into_owned();
        let Some(meta) = std::fs::read(entry.path().join(layout::MANIFEST))
            .ok()
            .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok())
        else {
            continue;
        };
        if meta.key == key && newest.as_ref().is_none_or(|(n, _)| *n < id) {
            newest = Some((id, meta));
        }
    }
    let (id, meta) = newest?;
    if !meta.stored {
        return Some(vec![0; usize::try_from(meta.size).ok()?]);
    }
    let dir = layout.object_dir(bucket, &id);
    let mut out = Vec::new();
    for seg in &meta.segments {
        out.extend(std::fs::read(dir.join(&seg.file)).ok()?);
    }
    Some(out)
}

#[async_trait::async_trait]
impl S3 for Store {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        bucket::create_bucket(self, req)
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        bucket::delete_bucket(self, req)
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        bucket::head_bucket(self, req)
    }

    async fn list_buckets(
        &self,
        _req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        bucket::list_buckets(self)
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        bucket::get_bucket_location(self, req)
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        listing::list_objects(self, req)
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        listing::list_objects_v2(self, req)
    }

    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        listing::list_object_versions(self, req)
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        object::put_object(self, req).await
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        read::get_object(self, req)
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        read::head_object(self, req)
    }

    async fn get_object_attributes(
        &self,
        req: S3Request<GetObjectAttributesInput>,
    ) -> S3Result<S3Response<GetObjectAttributesOutput>> {
        read::get_object_attributes(self, req)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        object::delete_object(self, req)
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        object::delete_objects(self, req)
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        object::copy_object(self, req).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        multipart::create(self, req).await
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        multipart::upload_part(self, req).await
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        part_copy::upload_part_copy(self, req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        complete::complete(self, req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        multipart::abort(self, req).await
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        upload_listing::list_uploads(self, req)
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        upload_listing::list_parts(self, req)
    }
}
