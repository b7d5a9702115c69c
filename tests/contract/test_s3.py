"""What only S3 stores do (moto, and the real Swift's S3 API), with exact request counts
asserted at the store's counter and at a counting proxy in front of the server: copies
without static credentials, S3's own pages of 1000, the hidden folder marker and markers
written by other tools, multipart uploads, virtual-hosted addressing. The contract every
store keeps is in test_store.py."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import tracemalloc
from typing import Any

import obstore
import pytest
from obstore.store import S3Store as OsS3

from nbshelf.stores import NotFound
from nbshelf.stores.obstore import S3Store
from nbshelf.stores.obstore.base import MARKER_NAME
from tests.servers.backends import S3
from tests.servers.counting_proxy import CountingProxy
from tests.servers.s3 import S3Target, assert_counts, make_store, reset

pytestmark = pytest.mark.backends(*S3)


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


async def test_save_reads_the_time_from_the_put_or_heads_where_the_server_omits_it(
    store: S3Store, proxy: CountingProxy
) -> None:
    """A PutObject's answer carries Last-Modified on moto and Swift's s3api: the save is 1
    PUT. AWS S3 sends none (the proxy drops it here): then 1 HEAD follows, and either way
    the time saved is the time a HEAD reports afterwards."""
    reset(store, proxy)
    saved = await store.put("a.ipynb", b'{"a": 1}')
    assert_counts(store, proxy, {"PUT": 1})
    assert (await store.head("a.ipynb")).last_modified == saved.last_modified
    proxy.drop_response_headers = {"PUT": {"last-modified"}}
    try:
        reset(store, proxy)
        saved = await store.put("b.ipynb", b'{"b": 2}')
        assert_counts(store, proxy, {"PUT": 1, "HEAD": 1})
    finally:
        proxy.drop_response_headers = {}
    assert (await store.head("b.ipynb")).last_modified == saved.last_modified
    assert saved.size == 8 and saved.etag == hashlib.md5(b'{"b": 2}').hexdigest()


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


@pytest.mark.backends("s3-moto")  # the test Swift has no storage_domain for virtual-hosted buckets
async def test_virtual_hosted_addressing(
    s3_server: S3Target, proxy: CountingProxy, bucket: str, boto: Any
) -> None:
    """``bucket.host/key`` requests: the proxy acts as the HTTP proxy so that
    ``<bucket>.localhost`` needs no DNS; moto reads the bucket from the Host header."""
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
    await store.put("v.ipynb", b"{}")  # the signed PutObject: its answer has the time
    page = await store.list("")
    await store.head("console/")  # one LIST: shows the foreign marker
    await store.delete(["console/", "src.ipynb"])
    await store.copy("v.ipynb", "w.ipynb")  # the signed CopyObject, virtual-hosted
    assert_counts(store, proxy, {"PUT": 1, "LIST": 2, "DELETE": 2, "COPY": 1})
    assert {r.headers["host"] for r in proxy.snapshot()} == {f"{bucket}.localhost"}
    assert [o.key for o in page.objects] == ["src.ipynb", "v.ipynb"]
    assert [p.key for p in page.prefixes] == ["console/"]
    raw = [o["Key"] for o in boto.list_objects_v2(Bucket=bucket)["Contents"]]
    assert raw == ["pre/v.ipynb", "pre/w.ipynb"]
    await store.close()
