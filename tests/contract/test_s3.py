"""The store contract on real S3 servers (moto, Swift s3api), with exact request counts
asserted at the store's counter and at a counting proxy in front of the server."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import tracemalloc
import urllib.error
import urllib.request
from typing import Any

import obstore
import pytest
from obstore.store import S3Store as OsS3
from tests.servers.backends import S3
from tests.servers.s3 import S3Target, assert_counts, make_store, reset
from tests.servers.counting_proxy import CountingProxy

from nbshelf.stores import Conflict, NotFound
from nbshelf.stores.obstore import S3Store
from nbshelf.stores.obstore.base import MARKER_NAME

pytestmark = pytest.mark.backends(*S3)


async def test_put_head_get_list_agree(store: S3Store, proxy: CountingProxy) -> None:
    reset(store, proxy)
    put = await store.put("nb/a.ipynb", b'{"cells": []}', content_type="application/json")
    assert_counts(store, proxy, {"PUT": 1, "HEAD": 1})  # save: PUT + HEAD for Last-Modified
    assert put.key == "nb/a.ipynb" and put.size == 13 and put.etag
    assert put.last_modified.microsecond == 0

    reset(store, proxy)
    head = await store.head("nb/a.ipynb")
    assert_counts(store, proxy, {"HEAD": 1})
    reset(store, proxy)
    got = await store.get("nb/a.ipynb")
    assert_counts(store, proxy, {"GET": 1})
    reset(store, proxy)
    page = await store.list("nb/")
    assert_counts(store, proxy, {"LIST": 1})

    assert got.data == b'{"cells": []}'
    assert got.info.content_type == "application/json"
    listed = page.objects[0]
    for info in (head, got.info, listed):
        assert info.key == put.key
        assert info.last_modified == put.last_modified
        assert info.etag == put.etag
        assert info.size == put.size
    assert put.md5 == hashlib.md5(b'{"cells": []}').hexdigest()


async def test_metadata_round_trip(store: S3Store) -> None:
    await store.put("m.txt", b"x", metadata={"md5": "abc", "owner": "alice"})
    got = await store.get("m.txt")
    assert got.info.metadata == {"md5": "abc", "owner": "alice"}


async def test_missing(store: S3Store, proxy: CountingProxy) -> None:
    reset(store, proxy)
    with pytest.raises(NotFound):
        await store.head("nope.ipynb")
    with pytest.raises(NotFound):
        await store.get("nope.ipynb")
    assert_counts(store, proxy, {"HEAD": 1, "GET": 1})
    await store.delete(["nope.ipynb"])  # deletes are idempotent


async def test_conditional_create(store: S3Store, proxy: CountingProxy) -> None:
    reset(store, proxy)
    first = await store.put("c.ipynb", b"one", if_none_match=True)
    assert_counts(store, proxy, {"PUT": 1, "HEAD": 1})
    reset(store, proxy)
    with pytest.raises(Conflict):
        await store.put("c.ipynb", b"two", if_none_match=True)
    assert_counts(store, proxy, {"PUT": 1})
    assert proxy.snapshot()[0].headers.get("if-none-match") == "*"
    assert proxy.snapshot()[0].status == 412
    assert (await store.get("c.ipynb")).data == b"one"
    assert (await store.head("c.ipynb")).etag == first.etag


async def test_server_side_copy(store: S3Store, proxy: CountingProxy) -> None:
    """One CopyObject, signed and sent by nbshelf (httpx), its answer read: LastModified
    and ETag come from it, so no HEAD follows. The answer has no size: -1 (unknown)."""
    body = os.urandom(100_000)
    put = await store.put("src.bin", body)
    reset(store, proxy)
    info = await store.copy("src.bin", "ckpt/src.bin")
    assert_counts(store, proxy, {"COPY": 1})
    copy_request = proxy.snapshot()[0]
    assert copy_request.headers.get("content-length", "0") == "0"  # no body crossed
    assert copy_request.headers["x-amz-copy-source"].endswith("/pre/src.bin")
    assert info.key == "ckpt/src.bin" and info.size == -1
    assert info.last_modified.microsecond == 0 and info.last_modified.tzinfo is not None
    assert info.etag == put.etag  # a copy of a single-part object keeps its MD5
    assert (await store.get("ckpt/src.bin")).data == body
    head = await store.head("ckpt/src.bin")
    listed = (await store.list("ckpt/")).objects[0]
    assert head.last_modified == info.last_modified == listed.last_modified
    assert head.etag == info.etag == listed.etag
    assert head.size == listed.size == len(body)


async def test_copy_odd_names_and_missing_source(store: S3Store, proxy: CountingProxy) -> None:
    """The copy source is URL-encoded; a missing source is NotFound, in one request."""
    await store.put("dir with space/ä+b&c.ipynb", b"{}")
    info = await store.copy("dir with space/ä+b&c.ipynb", "ckpt/ä+b&c copy.ipynb")
    assert info.key == "ckpt/ä+b&c copy.ipynb"
    assert (await store.get("ckpt/ä+b&c copy.ipynb")).data == b"{}"
    reset(store, proxy)
    with pytest.raises(NotFound):
        await store.copy("nope.ipynb", "ckpt/nope.ipynb")
    assert_counts(store, proxy, {"COPY": 1})


async def test_copy_without_static_credentials_heads(
    s3_server: S3Target, proxy: CountingProxy, bucket: str
) -> None:
    """Without static credentials (instance or web-identity chains) the copy is obstore's,
    whose answer is dropped: a HEAD follows for Last-Modified and size."""
    store = make_store(s3_server, proxy.url, bucket)
    await store.put("src.ipynb", b"{}")
    store.settings.access_key_id = None  # as if obstore's own chain held the keys
    reset(store, proxy)
    info = await store.copy("src.ipynb", "ckpt/src.ipynb")
    assert_counts(store, proxy, {"COPY": 1, "HEAD": 1})
    assert info.size == 2
    await store.close()


async def test_batch_delete(store: S3Store, proxy: CountingProxy, boto: Any, bucket: str) -> None:
    keys = [f"d/k{i}.ipynb" for i in range(7)]
    await asyncio.gather(*(store.put(k, b"x") for k in keys))
    reset(store, proxy)
    await store.delete(keys)
    assert_counts(store, proxy, {"DELETE": 1})  # one DeleteObjects for all seven
    assert (await store.list("d/")).objects == []
    assert boto.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


async def test_delimited_listing(store: S3Store, proxy: CountingProxy) -> None:
    for key in ("a.ipynb", "b.txt", "sub/x.ipynb", "sub/deeper/y.ipynb", "sub2/z.ipynb"):
        await store.put(key, b"1")
    await store.put("empty/", b"")
    reset(store, proxy)
    page = await store.list("")
    assert_counts(store, proxy, {"LIST": 1})
    assert [o.key for o in page.objects] == ["a.ipynb", "b.txt"]
    assert [p.key for p in page.prefixes] == ["empty/", "sub/", "sub2/"]
    assert page.next_token is None
    sub = await store.list("sub/")
    assert [o.key for o in sub.objects] == ["sub/x.ipynb"]
    assert [p.key for p in sub.prefixes] == ["sub/deeper/"]
    flat = await store.list("", delimiter=None)
    assert [o.key for o in flat.objects] == [
        "a.ipynb",
        "b.txt",
        "empty/",
        "sub/deeper/y.ipynb",
        "sub/x.ipynb",
        "sub2/z.ipynb",
    ]
    partial = await store.list("su")
    assert [p.key for p in partial.prefixes] == ["sub/", "sub2/"]


async def test_paged_listing(s3_server: S3Target, store: S3Store, proxy: CountingProxy) -> None:
    """1001 entries: two S3 pages of 1000; the store hands them out in pages of 400."""
    raw = OsS3(
        store.settings.bucket,
        endpoint=s3_server.endpoint,
        access_key_id=s3_server.access_key,
        secret_access_key=s3_server.secret_key,
        region=s3_server.region,
        client_options={"allow_http": True},
    )
    sem = asyncio.Semaphore(32)

    async def put(i: int) -> None:
        async with sem:
            key = f"pre/many/f{i:04d}" if i < 990 else f"pre/many/dir{i}/x"
            await obstore.put_async(raw, key, b"x")

    await asyncio.gather(*(put(i) for i in range(1001)))
    store.page_size = 400
    reset(store, proxy)
    pages = [page async for page in store.walk("many/")]
    assert [len(p.objects) + len(p.prefixes) for p in pages] == [400, 400, 201]
    assert_counts(store, proxy, {"LIST": 2})
    keys = [o.key for p in pages for o in p.objects] + [x.key for p in pages for x in p.prefixes]
    assert len(set(keys)) == 1001
    assert sorted(x.key for p in pages for x in p.prefixes) == sorted(
        f"many/dir{i}/" for i in range(990, 1001)
    )
    in_order = [min([o.key for o in p.objects] + [x.key for x in p.prefixes]) for p in pages]
    assert in_order == sorted(in_order)


async def test_folder_markers(store: S3Store, proxy: CountingProxy, boto: Any, bucket: str) -> None:
    reset(store, proxy)
    info = await store.put("proj/", b"")
    assert info.key == "proj/" and info.size == 0
    assert_counts(store, proxy, {"PUT": 1, "HEAD": 1})
    raw_keys = [o["Key"] for o in boto.list_objects_v2(Bucket=bucket)["Contents"]]
    assert raw_keys == [f"pre/proj/{MARKER_NAME}"]
    assert [p.key for p in (await store.list("")).prefixes] == ["proj/"]
    assert [o.key for o in (await store.list("proj/")).objects] == ["proj/"]
    assert [o.key for o in (await store.list("", delimiter=None)).objects] == ["proj/"]
    reset(store, proxy)
    assert (await store.head("proj/")).key == "proj/"
    assert_counts(store, proxy, {"LIST": 1})
    reset(store, proxy)
    await store.delete(["proj/"])
    # DeleteObjects for ours, and no DELETE of "proj/": no listing showed a foreign one
    assert_counts(store, proxy, {"DELETE": 1})
    with pytest.raises(NotFound):
        await store.head("proj/")
    assert boto.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


async def test_foreign_markers(
    store: S3Store, proxy: CountingProxy, boto: Any, bucket: str
) -> None:
    """Markers "a/b/" written by another tool (boto3 here, the S3 console in life)."""
    boto.put_object(Bucket=bucket, Key="pre/console/", Body=b"")
    boto.put_object(Bucket=bucket, Key="pre/full/", Body=b"")
    boto.put_object(Bucket=bucket, Key="pre/full/n.ipynb", Body=b"{}")
    boto.put_object(Bucket=bucket, Key="pre/empty.txt", Body=b"")
    top = await store.list("")
    assert [p.key for p in top.prefixes] == ["console/", "full/"]
    assert [o.key for o in top.objects] == ["empty.txt"]
    assert [o.key for o in (await store.list("console/")).objects] == ["console/"]
    assert [o.key for o in (await store.list("full/")).objects] == ["full/", "full/n.ipynb"]
    reset(store, proxy)
    flat = await store.list("", delimiter=None)
    # one LIST, and one HEAD per zero-byte entry to tell a marker from an empty file
    assert_counts(store, proxy, {"LIST": 1, "HEAD": 3})
    assert [o.key for o in flat.objects] == ["console/", "empty.txt", "full/", "full/n.ipynb"]
    head = await store.head("console/")
    assert head.key == "console/" and head.size == 0

    reset(store, proxy)
    await store.delete(["console/"])
    # DeleteObjects for ours, and the DELETE of "console/" itself: the listings showed it
    assert_counts(store, proxy, {"DELETE": 2})
    raw = [o["Key"] for o in boto.list_objects_v2(Bucket=bucket)["Contents"]]
    assert "pre/console/" not in raw
    with pytest.raises(NotFound):
        await store.head("console/")
    reset(store, proxy)
    await store.delete(["console/"])  # deleted and forgotten: no second raw DELETE
    assert_counts(store, proxy, {"DELETE": 1})
    reset(store, proxy)
    await store.delete(["full/n.ipynb", "full/"])
    assert_counts(store, proxy, {"DELETE": 2})
    assert [p.key for p in (await store.list("")).prefixes] == []


async def test_foreign_marker_seen_only_by_head_or_recursive_listing(
    s3_server: S3Target, proxy: CountingProxy, bucket: str, boto: Any
) -> None:
    """What a folder delete or rename does first (a head, or a recursive listing of the
    folder) is enough to find a foreign "a/b/"; a store that never looked at the folder
    sends no raw DELETE, and the foreign marker stays (a parent's listing shows "a/b/"
    only as a common prefix, which an empty folder and a marker share)."""
    for key in ("pre/h/", "pre/r/", "pre/r/sub/", "pre/r/sub/x.ipynb", "pre/unseen/"):
        boto.put_object(Bucket=bucket, Key=key, Body=b"{}" if key.endswith("b") else b"")
    store = make_store(s3_server, proxy.url, bucket)
    await store.head("h/")
    flat = await store.list_all("r/", delimiter=None)
    assert [o.key for o in flat.objects] == ["r/", "r/sub/", "r/sub/x.ipynb"]
    reset(store, proxy)
    await store.delete(["h/", "r/", "r/sub/", "r/sub/x.ipynb", "unseen/"])
    assert_counts(store, proxy, {"DELETE": 4})  # 1 DeleteObjects + h/, r/, r/sub/
    raw = [o["Key"] for o in boto.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert raw == ["pre/unseen/"]
    await store.close()


async def test_multipart_streaming_upload(
    store: S3Store, proxy: CountingProxy, boto: Any, bucket: str
) -> None:
    """A 50 MB spooled upload streams as a multipart upload, never held in memory."""
    size = 50 * 1024 * 1024
    digest = hashlib.md5()
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as f:
        block = os.urandom(1024 * 1024)
        for _ in range(50):
            f.write(block)
            digest.update(block)
        f.seek(0)
        del block
        reset(store, proxy)
        tracemalloc.start()
        try:
            info = await store.put("big/data.bin", f)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    parts = -(-size // store.chunk_size)
    assert_counts(store, proxy, {"POST": 2, "PUT": parts, "HEAD": 1})
    assert peak < size / 2.5, f"peak Python memory {peak / 1e6:.1f} MB for a 50 MB upload"
    assert info.size == size
    assert info.etag and info.etag.endswith(f"-{parts}")
    body = boto.get_object(Bucket=bucket, Key="pre/big/data.bin")["Body"]
    check = hashlib.md5()
    for chunk in iter(lambda: body.read(1 << 20), b""):
        check.update(chunk)
    assert check.hexdigest() == digest.hexdigest()


async def test_signed_and_public_url(store: S3Store, proxy: CountingProxy) -> None:
    await store.put("share/n.ipynb", b"shared")
    reset(store, proxy)
    url = await store.signed_url("share/n.ipynb", 300)
    assert store.requests.total == 0  # signing is local
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"shared"
    assert "X-Amz-Signature=" in url
    assert store.settings.secret_access_key not in url  # type: ignore[operator]
    plain = store.public_url("share/n.ipynb")
    assert plain.startswith(proxy.url) and "share/n.ipynb" in plain


async def test_folder_rename_budget(store: S3Store, proxy: CountingProxy) -> None:
    """Rename a folder of N objects at the store level, counted at the server:
    1 LIST, N COPY (no HEAD: the CopyObject answer is read), 1 DeleteObjects."""
    n = 20
    await asyncio.gather(*(store.put(f"old/n{i:02d}.ipynb", b"{}") for i in range(n)))
    reset(store, proxy)
    listing = await store.list_all("old/", delimiter=None)
    keys = [o.key for o in listing.objects]
    await asyncio.gather(*(store.copy(k, "new/" + k[len("old/") :]) for k in keys))
    await store.delete(keys)
    assert_counts(store, proxy, {"LIST": 1, "COPY": n, "DELETE": 1})
    assert len((await store.list("new/")).objects) == n
    assert (await store.list("old/")).objects == []


async def test_virtual_hosted_addressing(
    s3_server: S3Target, proxy: CountingProxy, bucket: str, boto: Any
) -> None:
    """``bucket.host/key`` requests: the proxy acts as the HTTP proxy so that
    ``<bucket>.localhost`` needs no DNS; moto reads the bucket from the Host header."""
    if s3_server.name != "moto":
        pytest.skip("the test Swift has no storage_domain for virtual-hosted buckets")
    store = S3Store.from_url(
        f"s3://{bucket}/pre",
        endpoint_url="http://localhost",
        addressing="virtual",
        proxy_url=proxy.url,
        access_key_id=s3_server.access_key,
        secret_access_key=s3_server.secret_key,
    )
    boto.put_object(Bucket=bucket, Key="pre/console/", Body=b"")
    boto.put_object(Bucket=bucket, Key="pre/src.ipynb", Body=b"{}")
    reset(store, proxy)
    await store.put("v.ipynb", b"{}")
    page = await store.list("")
    await store.head("console/")  # one LIST: shows the foreign marker
    await store.delete(["console/", "src.ipynb"])
    await store.copy("v.ipynb", "w.ipynb")  # the signed CopyObject, virtual-hosted
    assert_counts(store, proxy, {"PUT": 1, "HEAD": 1, "LIST": 2, "DELETE": 2, "COPY": 1})
    assert {r.headers["host"] for r in proxy.snapshot()} == {f"{bucket}.localhost"}
    assert [o.key for o in page.objects] == ["src.ipynb", "v.ipynb"]
    assert [p.key for p in page.prefixes] == ["console/"]
    raw = [o["Key"] for o in boto.list_objects_v2(Bucket=bucket)["Contents"]]
    assert raw == ["pre/v.ipynb", "pre/w.ipynb"]
    await store.close()
