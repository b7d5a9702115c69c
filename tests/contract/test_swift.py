"""The store contract on a real Swift all-in-one (tempauth), with exact request counts
asserted twice: at the store's counter and in the real proxy's access log."""

from __future__ import annotations

import asyncio
import hashlib
import io

import pytest
import requests
import swiftclient
from tests.servers.swift import SwiftServer
from tests.servers.swift_client import server_counts, tempauth_options

from nbshelf.stores import Conflict, NotFound
from nbshelf.stores.swift import SwiftStore

pytestmark = pytest.mark.backends("swift")


def raw(swift: SwiftServer) -> swiftclient.Connection:
    """A plain swiftclient connection: what another tool (the `swift` CLI, Horizon) does."""
    return swiftclient.Connection(authurl=swift.auth_url, user="test:tester", key="testing")


def counts(store: SwiftStore) -> dict[str, int]:
    return store.requests.snapshot()


async def test_put_returns_what_head_get_and_list_say(store, swift_server, container):
    info = await store.put("nb/a.ipynb", b'{"cells": []}', metadata={"Kind": "nb"})
    assert counts(store) == {"PUT": 1}
    assert server_counts(swift_server, container) == {"PUT": 1}
    assert info.etag == hashlib.md5(b'{"cells": []}').hexdigest()
    assert info.md5 == info.etag and info.size == 13
    head = await store.head("nb/a.ipynb")
    got = await store.get("nb/a.ipynb")
    listed = (await store.list("nb/")).objects[0]
    assert counts(store) == {"PUT": 1, "HEAD": 1, "GET": 1, "LIST": 1}
    assert server_counts(swift_server, container) == {"HEAD": 1, "GET": 1, "LIST": 1}
    assert got.data == b'{"cells": []}'
    # whole seconds everywhere: a save's last_modified equals every later read's
    assert info.last_modified == head.last_modified == got.info.last_modified
    assert listed.last_modified == info.last_modified
    assert info.last_modified.microsecond == 0
    assert head.etag == got.info.etag == listed.etag == info.etag
    assert head.metadata == {"kind": "nb"} == info.metadata
    assert head.content_type == info.content_type == listed.content_type


async def test_put_streams_a_file_body(store):
    info = await store.put("f.bin", io.BytesIO(b"x" * 100_000))
    assert info.size == 100_000
    assert (await store.get("f.bin")).data == b"x" * 100_000


async def test_missing_keys_are_not_found(store, swift_server, container):
    with pytest.raises(NotFound) as e:
        await store.head("nope.ipynb")
    assert e.value.key == "nope.ipynb"
    with pytest.raises(NotFound):
        await store.get("nope.ipynb")
    assert counts(store) == {"HEAD": 1, "GET": 1}
    assert server_counts(swift_server, container) == {"HEAD": 1, "GET": 1}


async def test_conditional_put(store, swift_server, container):
    await store.put("once.txt", b"1", if_none_match=True)
    with pytest.raises(Conflict):
        await store.put("once.txt", b"2", if_none_match=True)
    assert (await store.get("once.txt")).data == b"1"
    assert counts(store) == {"PUT": 2, "GET": 1}
    log = swift_server.access_log()
    assert [e.status for e in log if e.method == "PUT"] == [201, 412]


async def test_directory_markers_and_delimited_listing(store):
    await store.put("a/b/", b"")
    await store.put("a/x.ipynb", b"{}")
    await store.put("a/c/d.ipynb", b"{}")
    root = await store.list("a/")
    assert [o.key for o in root.objects] == ["a/x.ipynb"]
    assert [p.key for p in root.prefixes] == ["a/b/", "a/c/"]
    inside = await store.list("a/b/")
    assert [o.key for o in inside.objects] == ["a/b/"]
    assert inside.objects[0].is_dir_marker and inside.objects[0].size == 0
    flat = await store.list("", delimiter=None)
    assert [o.key for o in flat.objects] == ["a/b/", "a/c/d.ipynb", "a/x.ipynb"]


async def test_old_application_directory_markers(store, swift_server, container):
    """Markers written by older tools: key without slash, content type application/directory."""
    conn = raw(swift_server)
    conn.put_object(container, "old", b"", content_type="application/directory")
    conn.put_object(container, "old/sub", b"", content_type="application/directory")
    conn.put_object(container, "old/sub/n.ipynb", b"{}")
    top = await store.list("")
    assert [p.key for p in top.prefixes] == ["old/"] and top.objects == []
    old = await store.list("old/")
    assert [p.key for p in old.prefixes] == ["old/sub/"]  # one entry, not two
    assert [o.key for o in old.objects] == []
    flat = await store.list("", delimiter=None)
    assert [o.key for o in flat.objects] == ["old/", "old/sub/", "old/sub/n.ipynb"]
    assert flat.objects[0].is_dir_marker
    info = await store.head("old/sub/")  # falls back to the old marker
    assert info.key == "old/sub/" and info.size == 0
    await store.delete(["old/sub/n.ipynb", "old/sub/", "old/"])
    _, left = conn.get_container(container)
    assert left == []


async def test_paged_listing_costs_ceil_n_over_page(store, swift_server, container):
    store.page_size = 10
    await asyncio.gather(*(store.put(f"p/{i:02d}.ipynb", b"{}") for i in range(20)))
    await asyncio.gather(*(store.put(f"p/sub{i}/x.ipynb", b"{}") for i in range(5)))
    store.requests.reset()
    swift_server.mark()
    pages = [page async for page in store.walk("p/")]
    assert len(pages) == 3  # 20 objects + 5 folders = 25 entries, 10 a page
    assert counts(store) == {"LIST": 3}
    assert server_counts(swift_server, container) == {"LIST": 3}
    assert sum(len(p.objects) for p in pages) == 20
    assert [p.key for page in pages for p in page.prefixes] == [f"p/sub{i}/" for i in range(5)]
    # exactly a page: one request, no empty second page
    store.requests.reset()
    page = await store.list("p/", delimiter=None, limit=25)
    assert page.next_token is None and len(page.objects) == 25
    assert counts(store) == {"LIST": 1}
    # a token (marker) resumes where the page ended
    first = await store.list("p/", limit=5)
    second = await store.list("p/", limit=5, token=first.next_token)
    assert [o.key for o in second.objects] == [f"p/{i:02d}.ipynb" for i in range(5, 10)]


async def test_server_side_copy(store, swift_server, container):
    src = await store.put("a.ipynb", b'{"x": 1}', metadata={"m": "1"})
    store.requests.reset()
    swift_server.mark()
    info = await store.copy("a.ipynb", ".nbshelf/checkpoints/a.ipynb/1")
    # one request (a PUT with X-Copy-From, as the server logs it); the response has the
    # etag and Last-Modified, not the size: size is -1 (unknown) unless copy_head=True
    assert counts(store) == {"COPY": 1}
    assert server_counts(swift_server, container) == {"PUT": 1}
    assert info.etag == src.etag and info.size == -1
    head = await store.head(".nbshelf/checkpoints/a.ipynb/1")
    assert head.last_modified == info.last_modified
    assert head.metadata == {"m": "1"} and head.size == src.size
    with pytest.raises(NotFound):
        await store.copy("missing.ipynb", "b.ipynb")


async def test_copy_head_option_gives_full_info(swift_server, new_container):
    opts = tempauth_options(swift_server, copy_head=True)
    s = SwiftStore.from_url(f"swift://{new_container}", **opts)
    await s.check()
    src = await s.put("a.txt", b"abc")
    s.requests.reset()
    info = await s.copy("a.txt", "b.txt")
    assert counts(s) == {"COPY": 1, "HEAD": 1}
    assert info.size == 3 and info.etag == src.etag and info.content_type == "text/plain"
    await s.close()


async def test_bulk_delete(store, swift_server, container):
    keys = [f"d/{i}.ipynb" for i in range(30)]
    await asyncio.gather(*(store.put(k, b"{}") for k in keys))
    store.requests.reset()
    swift_server.mark()
    await store.delete([*keys, "d/missing-1", "d/missing-2"])  # missing keys: no error
    assert counts(store) == {"INFO": 1, "POST": 1}  # /info once per store, then 1 POST
    assert server_counts(swift_server, container) == {"INFO": 1, "POST": 1}
    assert (await store.list("d/")).objects == []
    await store.put("e/1", b"")
    await store.put("e/2", b"")
    store.requests.reset()
    await store.delete(["e/1", "e/2"])
    assert counts(store) == {"POST": 1}
    await store.delete(["e/never"])  # one key: a plain DELETE, 404 is fine
    assert counts(store) == {"POST": 1, "DELETE": 1}


async def test_bulk_delete_in_chunks_of_the_cluster_maximum(store):
    await asyncio.gather(*(store.put(f"k{i}", b"") for i in range(5)))
    store._capabilities = {"bulk_delete": {"max_deletes_per_request": 2}}
    store.requests.reset()
    await store.delete([f"k{i}" for i in range(5)])
    assert counts(store) == {"POST": 3}
    assert (await store.list("")).objects == []


async def test_concurrent_deletes_without_bulk_delete(store, swift_server, container):
    await asyncio.gather(*(store.put(f"k{i}", b"") for i in range(6)))
    store._capabilities = {}  # as on a cluster whose /info has no bulk_delete
    store.requests.reset()
    swift_server.mark()
    await store.delete([f"k{i}" for i in range(6)] + ["gone"])
    assert counts(store) == {"DELETE": 7}
    assert server_counts(swift_server, container) == {"DELETE": 7}
    assert (await store.list("")).objects == []


async def test_container_created_on_first_use(swift_server, new_container):
    s = SwiftStore.from_url(f"swift://{new_container}", **tempauth_options(swift_server))
    swift_server.mark()
    await s.check()
    assert counts(s) == {"AUTH": 1, "HEAD": 1, "PUT": 1}
    assert server_counts(swift_server, new_container) == {"AUTH": 1, "HEAD": 1, "PUT": 1}
    await s.check()  # exists now: one HEAD
    assert counts(s) == {"AUTH": 1, "HEAD": 2, "PUT": 1}
    await s.close()


async def test_put_creates_a_missing_container(swift_server, new_container):
    s = SwiftStore.from_url(f"swift://{new_container}/u", **tempauth_options(swift_server))
    await s.put("x.ipynb", b"{}")  # no check() first: 404, create, retry
    assert counts(s) == {"AUTH": 1, "PUT": 3}
    assert (await s.get("x.ipynb")).data == b"{}"
    await s.close()


async def test_prefix_and_username_template(swift_server, new_container):
    alice = SwiftStore.from_url(
        f"swift://{new_container}/users/{{username}}",
        username_for_prefix="alice",
        **tempauth_options(swift_server),
    )
    bob = SwiftStore.from_url(f"swift://{new_container}/users/bob", **tempauth_options(swift_server))
    await alice.check()
    await alice.put("n.ipynb", b"a")
    await bob.put("n.ipynb", b"b")
    _, objs = raw(swift_server).get_container(new_container)
    assert sorted(o["name"] for o in objs) == ["users/alice/n.ipynb", "users/bob/n.ipynb"]
    assert [o.key for o in (await alice.list("")).objects] == ["n.ipynb"]
    assert (await bob.get("n.ipynb")).data == b"b"
    await alice.close()
    await bob.close()


async def test_signed_and_public_urls(store, swift_server, container):
    await store.put("shared/a b.ipynb", b"{}")
    raw(swift_server).post_account({"X-Account-Meta-Temp-URL-Key": "k-" + container})
    url = await store.signed_url("shared/a b.ipynb", 60)
    sig = url.split("temp_url_sig=")[1].split("&")[0]
    assert len(sig) == 64 and "k-" not in url  # HMAC-SHA256, hex; the key is not in it
    r = requests.get(url, timeout=10)
    assert r.status_code == 200 and r.content == b"{}"
    public = store.public_url("shared/a b.ipynb")
    assert requests.get(public, timeout=10).status_code == 401  # private container
    raw(swift_server).post_container(container, {"X-Container-Read": ".r:*"})
    assert requests.get(public, timeout=10).content == b"{}"
