"""The operations of the matrix (its columns): each runs one client against one server and checks
the result independently of that client: bytes read back with the reference reader (curl) and
compared, listings compared with what was seeded, and the access log asked whether the requests
were the ones the operation is about (parts for multipart, 206 for ranges, QueryString for
presigned URLs, COPY for server-side copies). A cell raises Fail to fail."""

import os
import shutil

from common import Fail, read, same_file

SEED = "seed"


def count(requests, operation, key, status=None):
    return sum(1 for r in requests if r.operation == operation and r.key == key and (status is None or r.status == status))


def expect_requests(srv, mark, what, operation, key, status, at_least=1):
    n = count(srv.log.since(mark), operation, key, status)
    if n < at_least:
        raise Fail(f"{what}: the access log shows {n} {operation} {key} answered {status}, expected at least {at_least}")


def put(c, srv, fx, bucket):
    """An object and an empty one (backups have empty files too), each read back."""
    for name, key in (("put.bin", "put/obj.bin"), ("empty.bin", "put/empty.bin")):
        c.put(bucket, key, fx.path(name))
        srv.ref.get(bucket, key, fx.out("put.back"))
        same_file(fx.out("put.back"), fx.data(name), f"{key} read back")


def get(c, srv, fx, bucket):
    c.get(SEED, "small.bin", fx.out("get.back"))
    same_file(fx.out("get.back"), fx.data("small.bin"), "downloaded object")


def range_get(c, srv, fx, bucket):
    data = fx.data("small.bin")
    first, last = c.range_args(data, 1000, 40999)
    mark = srv.log.mark()
    c.range(SEED, "small.bin", first, last, fx.out("range.back"), data)
    same_file(fx.out("range.back"), data[first:last + 1], f"bytes {first}-{last}")
    expect_requests(srv, mark, "range get", "REST.GET.OBJECT", "small.bin", 206)


def head(c, srv, fx, bucket):
    mark = srv.log.mark()
    size = c.head(SEED, "big.bin")
    if size != len(fx.data("big.bin")):
        raise Fail(f"head says {size} bytes, the object has {len(fx.data('big.bin'))}")
    expect_requests(srv, mark, "head", "REST.HEAD.OBJECT", "big.bin", 200)


def compare_sets(what, got, want):
    if got != want:
        missing, extra = sorted(want - got, key=str)[:4], sorted(got - want, key=str)[:4]
        raise Fail(f"{what}: {len(got)} entries, {len(want)} expected; missing {missing}; unexpected {extra}")


def listing(c, srv, fx, bucket):
    mark = srv.log.mark()
    compare_sets("recursive listing of list/", c.list_all(SEED, "list/"), fx.list_all)
    pages = sum(1 for r in srv.log.since(mark) if r.operation == "REST.GET.BUCKET" and r.status == 200)
    if pages < 2:
        raise Fail(f"the recursive listing of {len(fx.list_all)} keys took {pages} page(s); paging was not exercised")
    keys, prefixes = c.list_delim(SEED, "list/")
    compare_sets("listing of list/ with delimiter / (objects)", keys, fx.list_top)
    compare_sets("listing of list/ with delimiter / (common prefixes)", prefixes, fx.list_prefixes)


def delete(c, srv, fx, bucket):
    srv.upload(fx.path("small.bin"), bucket, "del/obj.bin")
    if srv.ref.status(bucket, "del/obj.bin") != "200":
        raise Fail("the object to delete could not be created")
    c.delete(bucket, "del/obj.bin")
    status = srv.ref.status(bucket, "del/obj.bin")
    if status != "404":
        raise Fail(f"after delete, HEAD answers {status}, expected 404")


def mp_up(c, srv, fx, bucket):
    mark = srv.log.mark()
    c.mp_up(bucket, "mp/big.bin", fx.path("big.bin"))
    srv.ref.get(bucket, "mp/big.bin", fx.out("mpup.back"))
    same_file(fx.out("mpup.back"), fx.data("big.bin"), "multipart upload read back")
    expect_requests(srv, mark, "multipart upload", "REST.PUT.PART", "mp/big.bin", 200, at_least=2)
    expect_requests(srv, mark, "multipart upload", "REST.POST.UPLOAD", "mp/big.bin", 200)


def s3up_get(c, srv, fx, bucket):
    """s3up downloads what this client uploaded (put, mp-up) and verifies it; the kinds of
    verification it could make are returned for the report (crc32, crc64nvme-composite, ...)."""
    verified = []
    for key, name in (("put/obj.bin", "put.bin"), ("mp/big.bin", "big.bin")):
        report = srv.download(bucket, key, fx.out("s3up-get.back"))
        same_file(fx.out("s3up-get.back"), fx.data(name), f"s3up download of {key}")
        if report.get("size") != len(fx.data(name)):
            raise Fail(f"s3up reported {report.get('size')} bytes for {key}")
        verified.append(f"{key}: {report.get('verified')}")
    return ", ".join(verified)


def mp_down(c, srv, fx, bucket):
    mark = srv.log.mark()
    c.mp_down(SEED, "big.bin", fx.out("mpdown.back"))
    same_file(fx.out("mpdown.back"), fx.data("big.bin"), "multipart object downloaded")
    if c.ranged_download:
        expect_requests(srv, mark, "download in parts", "REST.GET.OBJECT", "big.bin", 206, at_least=2)


def copy(c, srv, fx, bucket):
    mark = srv.log.mark()
    c.copy(SEED, "small.bin", bucket, "copy/small.bin")
    srv.ref.get(bucket, "copy/small.bin", fx.out("copy.back"))
    same_file(fx.out("copy.back"), fx.data("small.bin"), "copied object")
    expect_requests(srv, mark, "server-side copy", "REST.COPY.OBJECT", "copy/small.bin", 200)


def mp_copy(c, srv, fx, bucket):
    mark = srv.log.mark()
    c.mp_copy(SEED, "big.bin", bucket, "copy/big.bin")
    srv.ref.get(bucket, "copy/big.bin", fx.out("mpcopy.back"))
    same_file(fx.out("mpcopy.back"), fx.data("big.bin"), "multipart copy")
    expect_requests(srv, mark, "multipart copy", "REST.COPY.PART", "copy/big.bin", 200, at_least=2)
    expect_requests(srv, mark, "multipart copy", "REST.POST.UPLOAD", "copy/big.bin", 200)


def presign(c, srv, fx, bucket):
    url = c.presign_get(SEED, "small.bin")
    if "X-Amz-Algorithm=AWS4-HMAC-SHA256" not in url or "X-Amz-Signature=" not in url:
        raise Fail(f"not a SigV4 presigned URL: {url[:200]}")
    mark = srv.log.mark()
    status = srv.ref.curl("-o", fx.out("presign.back"), url)
    if status != "200":
        raise Fail(f"presigned GET answered HTTP {status}: {read(fx.out('presign.back'))[:300]!r}")
    same_file(fx.out("presign.back"), fx.data("small.bin"), "presigned GET")
    if not any(r.operation == "REST.GET.OBJECT" and "QueryString" in r.line for r in srv.log.since(mark)):
        raise Fail("the access log shows no presigned (QueryString) GET")
    put_url = c.presign_put(bucket, "presigned/put.bin")
    if put_url is None:
        return
    status = srv.ref.curl("-o", fx.out("presign-put.out"), "-T", fx.path("put.bin"), put_url)
    if status != "200":
        raise Fail(f"presigned PUT answered HTTP {status}: {read(fx.out('presign-put.out'))[:300]!r}")
    srv.ref.get(bucket, "presigned/put.bin", fx.out("presign-put.back"))
    same_file(fx.out("presign-put.back"), fx.data("put.bin"), "object PUT through a presigned URL")
    if hasattr(c, "presign_put_mismatch"):
        presigned_checksum_mismatch(c, srv, fx, bucket)


def presigned_checksum_mismatch(c, srv, fx, bucket):
    """A presigned PUT URL that signs a checksum of another body must not store this one."""
    url = c.presign_put_mismatch(bucket, "presigned/mismatch.bin")
    if "x-amz-checksum-" not in url:
        raise Fail(f"expected a presigned PUT URL with a signed checksum: {url[:200]}")
    status = srv.ref.curl("-o", fx.out("mismatch.out"), "-T", fx.path("put.bin"), url)
    stored = srv.ref.status(bucket, "presigned/mismatch.bin")
    if status != "400" or stored != "404":
        raise Fail(f"a presigned PUT whose signed x-amz-checksum does not match the body answered HTTP {status} "
                   f"and the object is {'stored' if stored == '200' else 'HEAD ' + stored}: S3 refuses it (400 BadDigest)")


def check_tree(srv, fx, bucket, tree):
    for rel, data in tree.items():
        srv.ref.get(bucket, "sync/" + rel, fx.out("sync.back"))
        same_file(fx.out("sync.back"), data, f"synced sync/{rel}")


def sync(c, srv, fx, bucket):
    src = fx.make_sync_tree(c.name)
    c.sync_up(src, bucket, "sync/")
    check_tree(srv, fx, bucket, fx.sync_tree)
    mark = srv.log.mark()
    c.sync_up(src, bucket, "sync/")
    again = [r.key for r in srv.log.since(mark) if r.operation in ("REST.PUT.OBJECT", "REST.PUT.PART")]
    if again:
        raise Fail(f"a second sync with nothing changed uploaded again: {sorted(set(again))[:4]}")
    changed = fx.change_sync_tree(src)
    c.sync_up(src, bucket, "sync/")
    check_tree(srv, fx, bucket, changed)
    down = fx.out(f"sync-down-{c.name}")
    shutil.rmtree(down, ignore_errors=True)
    os.makedirs(down)
    c.sync_down(bucket, "sync/", down)
    got = {}
    for root, _, files in os.walk(down):
        for name in files:
            path = os.path.join(root, name)
            got[os.path.relpath(path, down)] = read(path)
    if got != changed:
        raise Fail(f"sync down: {sorted(got)} differ from {sorted(changed)} (or their bytes do)")


CELLS = {
    "put": put, "get": get, "range": range_get, "head": head, "list": listing, "delete": delete,
    "mp-up": mp_up, "s3up-get": s3up_get, "mp-down": mp_down, "copy": copy, "mp-copy": mp_copy, "presign": presign, "sync": sync,
}
OPS = list(CELLS)
