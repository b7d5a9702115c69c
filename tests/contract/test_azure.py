"""``az://`` on Azurite (Microsoft's emulator), through a counting proxy.

The same obstore-backed hooks as S3; this checks what differs: Azure's own
requests (block blobs, ``comp=list``, ``comp=batch`` deletes, SAS URLs).
"""

from __future__ import annotations

import collections
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from tests.servers.counting_proxy import CountingProxy, Record

from nbshelf.stores import Conflict, NotFound, open_store
from nbshelf.stores.obstore import AzureStore

pytestmark = pytest.mark.azure


def azure_operation(r: Record) -> str:
    if r.method == "GET":
        return "LIST" if r.query.get("comp") == "list" else "GET"
    if r.method == "PUT":
        return "COPY" if "x-ms-copy-source" in r.headers else "PUT"
    if r.method == "POST" and r.query.get("comp") == "batch":
        return "DELETE"
    return r.method


def counts(store: AzureStore, proxy: CountingProxy) -> tuple[dict[str, int], dict[str, int]]:
    server = dict(collections.Counter(azure_operation(r) for r in proxy.snapshot()))
    return store.requests.snapshot(), server


def reset(store: AzureStore, proxy: CountingProxy) -> None:
    store.requests.reset()
    proxy.reset()


@pytest.fixture
def az_proxy(azurite_server: Any) -> Iterator[CountingProxy]:
    with CountingProxy(f"http://127.0.0.1:{azurite_server.port}") as p:
        yield p


@pytest.fixture
async def az_store(azurite_server: Any, az_proxy: CountingProxy) -> AsyncIterator[AzureStore]:
    container = f"c{uuid.uuid4().hex[:12]}"
    azurite_server.create_container(container)
    options = {**azurite_server.store_options(), "endpoint": f"{az_proxy.url}/devstoreaccount1"}
    store = open_store(f"az://{container}/pre", **options)
    assert isinstance(store, AzureStore)
    yield store
    await store.close()


async def test_azure_contract(az_store: AzureStore, az_proxy: CountingProxy) -> None:
    store, proxy = az_store, az_proxy
    reset(store, proxy)
    put = await store.put("n/a.ipynb", b"{}", content_type="application/json")
    assert counts(store, proxy) == ({"PUT": 1, "HEAD": 1},) * 2
    reset(store, proxy)
    head = await store.head("n/a.ipynb")
    got = await store.get("n/a.ipynb")
    page = await store.list("n/")
    assert counts(store, proxy) == ({"HEAD": 1, "GET": 1, "LIST": 1},) * 2
    for info in (head, got.info, page.objects[0]):
        assert (info.key, info.last_modified, info.etag) == (put.key, put.last_modified, put.etag)
    assert got.data == b"{}" and got.info.content_type == "application/json"

    with pytest.raises(Conflict):
        await store.put("n/a.ipynb", b"x", if_none_match=True)
    reset(store, proxy)
    copy = await store.copy("n/a.ipynb", "n/b.ipynb")
    assert counts(store, proxy) == ({"COPY": 1, "HEAD": 1},) * 2
    assert copy.size == 2

    await store.put("n/sub/", b"")
    top = await store.list("n/")
    assert [o.key for o in top.objects] == ["n/a.ipynb", "n/b.ipynb"]
    assert [p.key for p in top.prefixes] == ["n/sub/"]
    assert [o.key for o in (await store.list("n/sub/")).objects] == ["n/sub/"]

    reset(store, proxy)
    await store.delete(["n/a.ipynb", "n/b.ipynb", "n/sub/"])
    assert counts(store, proxy) == ({"DELETE": 1},) * 2  # one blob batch
    with pytest.raises(NotFound):
        await store.head("n/a.ipynb")
    assert (await store.list("n/")).prefixes == []


async def test_azure_signed_url(az_store: AzureStore) -> None:
    await az_store.put("s.ipynb", b"shared")
    url = await az_store.signed_url("s.ipynb", 300)
    assert "sig=" in url
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"shared"
