"""What only the Swift store does, on a real Swift all-in-one (tempauth), with exact
request counts asserted twice: at the store's counter and in the real proxy's access log:
markers written by older tools, bulk deletes, the container created on first use, the
``{username}`` prefix. The contract every store keeps is in test_store.py."""

from __future__ import annotations

import asyncio

import pytest
import swiftclient

from nbshelf.stores.swift import SwiftStore
from tests.servers.swift import SwiftServer
from tests.servers.swift_client import server_counts, tempauth_options

pytestmark = pytest.mark.backends("swift")


def raw(swift: SwiftServer) -> swiftclient.Connection:
    """A plain swiftclient connection: what another tool (the `swift` CLI, Horizon) does."""
    return swiftclient.Connection(authurl=swift.auth_url, user="test:tester", key="testing")


def counts(store: SwiftStore) -> dict[str, int]:
    return store.requests.snapshot()


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
    bob = SwiftStore.from_url(
        f"swift://{new_container}/users/bob", **tempauth_options(swift_server)
    )
    await alice.check()
    await alice.put("n.ipynb", b"a")
    await bob.put("n.ipynb", b"b")
    _, objs = raw(swift_server).get_container(new_container)
    assert sorted(o["name"] for o in objs) == ["users/alice/n.ipynb", "users/bob/n.ipynb"]
    assert [o.key for o in (await alice.list("")).objects] == ["n.ipynb"]
    assert (await bob.get("n.ipynb")).data == b"b"
    await alice.close()
    await bob.close()
