//! Bucket operations: CreateBucket (BucketAlreadyOwnedByYou), DeleteBucket (only when empty),
//! HeadBucket and GetBucketLocation (the server's region), ListBuckets. Through the index.

use super::errors;
use super::listing::owner;
use super::Store;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

pub(super) fn create_bucket(
    store: &Store,
    req: S3Request<CreateBucketInput>,
) -> S3Result<S3Response<CreateBucketOutput>> {
    let bucket = req.input.bucket;
    let created = store
        .index
        .create_bucket(&bucket)
        .map_err(|e| errors::internal("cannot create the bucket", e))?;
    if !created {
        return Err(errors::err(
            s3s::S3ErrorCode::BucketAlreadyOwnedByYou,
            "Your previous request to create the named bucket succeeded and you already own it.",
        ));
    }
    Ok(S3Response::new(CreateBucketOutput {
        location: Some(format!("/{bucket}")),
    }))
}

pub(super) fn delete_bucket(
    store: &Store,
    req: S3Request<DeleteBucketInput>,
) -> S3Result<S3Response<DeleteBucketOutput>> {
    store.index.delete_bucket(&req.input.bucket)?;
    Ok(S3Response::new(DeleteBucketOutput::default()))
}

pub(super) fn head_bucket(
    store: &Store,
    req: S3Request<HeadBucketInput>,
) -> S3Result<S3Response<HeadBucketOutput>> {
    store.require_bucket(&req.input.bucket)?;
    let mut resp = S3Response::new(HeadBucketOutput {
        bucket_region: Some(store.opts.region.clone()),
        ..Default::default()
    });
    if let Ok(v) = http::HeaderValue::from_str(&store.opts.region) {
        resp.headers.insert("x-amz-bucket-region", v);
    }
    Ok(resp)
}

pub(super) fn list_buckets(store: &Store) -> S3Result<S3Response<ListBucketsOutput>> {
    let buckets = store
        .index
        .buckets()
        .into_iter()
        .map(|(name, created)| Bucket {
            creation_date: Some(Timestamp::from(created)),
            name: Some(name),
            ..Default::default()
        })
        .collect();
    Ok(S3Response::new(ListBucketsOutput {
        buckets: Some(buckets),
        owner: Some(owner(store)),
        ..Default::default()
    }))
}

pub(super) fn get_bucket_location(
    store: &Store,
    req: S3Request<GetBucketLocationInput>,
) -> S3Result<S3Response<GetBucketLocationOutput>> {
    store.require_bucket(&req.input.bucket)?;
    let location_constraint = (store.opts.region != "us-east-1")
        .then(|| BucketLocationConstraint::from(store.opts.region.clone()));
    Ok(S3Response::new(GetBucketLocationOutput {
        location_constraint,
    }))
}
