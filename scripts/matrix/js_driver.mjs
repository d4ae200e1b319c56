// The AWS SDK for JavaScript v3 as a command-line tool, for the client matrix
// (scripts/interop-matrix.sh). Usage: node js_driver.mjs OP ARGS... (see OPS below).
// The endpoint comes from MATRIX_ENDPOINT; credentials and region from the usual AWS_* variables;
// over HTTPS the CA file from NODE_EXTRA_CA_CERTS (Node's own way of trusting a private CA).
// Results go to stdout (JSON where structured); errors make a non-zero exit with the SDK's message.
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import {
  S3Client,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const MIB = 1024 * 1024;
const PART = 5 * MIB;

// Path-style: 127.0.0.1 has no bucket sub-domains.
const s3 = new S3Client({ endpoint: process.env.MATRIX_ENDPOINT, forcePathStyle: true });

async function put(bucket, key, path) {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(path) }));
}

async function get(bucket, key, path) {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await pipeline(out.Body, createWriteStream(path));
}

async function range(bucket, key, first, last, path) {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${first}-${last}` }));
  await pipeline(out.Body, createWriteStream(path));
}

async function head(bucket, key) {
  const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  console.log(JSON.stringify({ size: out.ContentLength }));
}

async function list(bucket, prefix, pageSize, delimiter = "") {
  const args = { Bucket: bucket, Prefix: prefix };
  if (delimiter) args.Delimiter = delimiter;
  const result = { keys: [], prefixes: [], pages: 0 };
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: Number(pageSize) }, args)) {
    result.pages += 1;
    for (const o of page.Contents ?? []) result.keys.push([o.Key, o.Size]);
    for (const p of page.CommonPrefixes ?? []) result.prefixes.push(p.Prefix);
  }
  console.log(JSON.stringify(result));
}

async function del(bucket, key) {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

async function mpup(bucket, key, path) {
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: createReadStream(path) },
    partSize: PART,
    queueSize: 4,
  });
  await upload.done();
}

// The SDK has no managed download: fetch the object part by part (GetObject ?partNumber=N), the
// way transfer managers download a multipart object, and check the byte count.
async function mpdown(bucket, key, path) {
  const first = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: 1 }));
  const count = first.PartsCount ?? 1;
  const chunks = [Buffer.from(await first.Body.transformToByteArray())];
  for (let n = 2; n <= count; n++) {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: n }));
    chunks.push(Buffer.from(await out.Body.transformToByteArray()));
  }
  const body = Buffer.concat(chunks);
  const total = Number((first.ContentRange ?? "").split("/")[1] ?? body.length);
  if (body.length !== total) throw new Error(`got ${body.length} bytes in ${count} parts, object has ${total}`);
  writeFileSync(path, body);
}

async function copy(bucket, src, dstBucket, dst) {
  await s3.send(new CopyObjectCommand({ Bucket: dstBucket, Key: dst, CopySource: `${bucket}/${encodeURIComponent(src)}` }));
}

// No managed copy either: CreateMultipartUpload, UploadPartCopy by ranges, Complete; abort on error.
async function mpcopy(bucket, src, dstBucket, dst) {
  const size = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: src }))).ContentLength;
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: dstBucket, Key: dst }));
  try {
    const parts = [];
    for (let n = 1, off = 0; off < size; n++, off += PART) {
      const last = Math.min(off + PART, size) - 1;
      const out = await s3.send(new UploadPartCopyCommand({
        Bucket: dstBucket, Key: dst, UploadId, PartNumber: n,
        CopySource: `${bucket}/${encodeURIComponent(src)}`, CopySourceRange: `bytes=${off}-${last}`,
      }));
      parts.push({ PartNumber: n, ETag: out.CopyPartResult.ETag });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: dstBucket, Key: dst, UploadId, MultipartUpload: { Parts: parts } }));
  } catch (e) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: dstBucket, Key: dst, UploadId }));
    throw e;
  }
}

async function presignGet(bucket, key) {
  console.log(await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 }));
}

// With the default checksum setting (WHEN_SUPPORTED) a presigned PutObject URL carries the CRC32
// of the empty body it was signed with, so S3 refuses any other body (aws-sdk-js-v3#6994):
// WHEN_REQUIRED is what makes presigned PUT URLs usable.
const presigner = new S3Client({
  endpoint: process.env.MATRIX_ENDPOINT, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED",
});

async function presignPut(bucket, key) {
  console.log(await getSignedUrl(presigner, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 }));
}

// The default presigned PUT URL (the trap above): a faithful server must refuse a body that does
// not match its x-amz-checksum-crc32.
async function presignPutDefault(bucket, key) {
  console.log(await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 }));
}

const OPS = {
  put, get, range, head, list, delete: del, mpup, mpdown, copy, mpcopy,
  "presign-get": presignGet, "presign-put": presignPut, "presign-put-default": presignPutDefault,
};

const [op, ...args] = process.argv.slice(2);
if (!OPS[op]) {
  console.error(`usage: js_driver.mjs {${Object.keys(OPS).join(",")}} ARGS...`);
  process.exit(2);
}
try {
  await OPS[op](...args);
} catch (e) {
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : "";
  console.error(`${e.name}: ${e.message}${status}`);
  process.exit(1);
}
