"""boto3 as a command-line tool, for the client matrix (scripts/interop-matrix.sh).

Usage: boto3_driver.py OP ARGS...  (see OPS below). The endpoint comes from MATRIX_ENDPOINT, the
CA file (HTTPS) from MATRIX_CA, credentials and region from the usual AWS_* variables.
With MATRIX_CRT=1 the driver insists that botocore signs through awscrt (its CRT signers replace
the Python ones when awscrt is importable); it fails rather than silently testing the other path.
Results go to stdout (JSON where structured); errors make a non-zero exit with the SDK's message.
"""

import json
import os
import sys

import boto3
import botocore.auth
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

MIB = 1024 * 1024
# "classic": boto3's CRT transfer manager ignores the client's endpoint_url and would send the
# transfer to AWS's regional endpoint (boto/boto3#4839), so transfers run through s3transfer
# with and without awscrt; with awscrt every request is still signed by the CRT signer.
TRANSFER = TransferConfig(
    multipart_threshold=5 * MIB,
    multipart_chunksize=5 * MIB,
    max_concurrency=4,
    preferred_transfer_client="classic",
)


def client():
    if os.environ.get("MATRIX_CRT") == "1":
        signer = botocore.auth.AUTH_TYPE_MAPS["s3v4"]
        if not signer.__module__.startswith("botocore.crt"):
            sys.exit(f"awscrt is not in use: s3v4 is signed by {signer.__module__}.{signer.__name__}")
    # Presigned URLs are SigV2 unless signature_version says s3v4; path-style addressing,
    # because 127.0.0.1 has no bucket sub-domains.
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"})
    return boto3.client(
        "s3",
        endpoint_url=os.environ["MATRIX_ENDPOINT"],
        verify=os.environ.get("MATRIX_CA") or None,
        config=config,
    )


def op_put(s3, bucket, key, path):
    with open(path, "rb") as f:
        s3.put_object(Bucket=bucket, Key=key, Body=f)


def op_get(s3, bucket, key, path):
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with open(path, "wb") as f:
        f.write(body)


def op_range(s3, bucket, key, first, last, path):
    got = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{last}")
    with open(path, "wb") as f:
        f.write(got["Body"].read())


def op_head(s3, bucket, key):
    print(json.dumps({"size": s3.head_object(Bucket=bucket, Key=key)["ContentLength"]}))


def op_list(s3, bucket, prefix, page_size, delimiter=""):
    paginator = s3.get_paginator("list_objects_v2")
    args = {"Bucket": bucket, "Prefix": prefix, "PaginationConfig": {"PageSize": int(page_size)}}
    if delimiter:
        args["Delimiter"] = delimiter
    keys, prefixes, pages = [], [], 0
    for page in paginator.paginate(**args):
        pages += 1
        keys += [[o["Key"], o["Size"]] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    print(json.dumps({"keys": keys, "prefixes": prefixes, "pages": pages}))


def op_delete(s3, bucket, key):
    s3.delete_object(Bucket=bucket, Key=key)


def op_mpup(s3, bucket, key, path):
    s3.upload_file(path, bucket, key, Config=TRANSFER)


def op_mpdown(s3, bucket, key, path):
    s3.download_file(bucket, key, path, Config=TRANSFER)


def op_copy(s3, bucket, src, dst_bucket, dst):
    s3.copy_object(Bucket=dst_bucket, Key=dst, CopySource={"Bucket": bucket, "Key": src})


def op_mpcopy(s3, bucket, src, dst_bucket, dst):
    # The managed copy: UploadPartCopy above the multipart threshold.
    s3.copy({"Bucket": bucket, "Key": src}, dst_bucket, dst, Config=TRANSFER)


def op_presign_get(s3, bucket, key):
    print(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300))


def op_presign_put(s3, bucket, key):
    print(s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300))


OPS = {
    "put": op_put,
    "get": op_get,
    "range": op_range,
    "head": op_head,
    "list": op_list,
    "delete": op_delete,
    "mpup": op_mpup,
    "mpdown": op_mpdown,
    "copy": op_copy,
    "mpcopy": op_mpcopy,
    "presign-get": op_presign_get,
    "presign-put": op_presign_put,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in OPS:
        sys.exit(f"usage: boto3_driver.py {{{','.join(OPS)}}} ARGS...")
    try:
        OPS[sys.argv[1]](client(), *sys.argv[2:])
    except Exception as e:  # one line with the SDK's error, not a traceback
        sys.exit(f"{type(e).__name__}: {e}")
