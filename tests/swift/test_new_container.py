"""The first writes into a container that does not exist yet, many at once, on the real
Swift: the store creates the container and every write lands.

A Swift proxy keeps a "no such container" answer in its cache for a tenth of
``recheck_container_existence`` (6 s by default). Puts that race the container's
creation can put that answer back after the creation cleared it, and the puts after
them get 404 from the cache though the container exists: seen in a clean run, where
jupyter_server's suite mirrored its fixtures 16 at a time into a new container and one
put failed with "no such object". The store now sends such a put again, with backoff,
for up to ``CONTAINER_SHOWS_SECONDS``.

This is a race test: it needs a put still in flight while another one creates the
container. On an idle machine it passed without the retry too (3 runs of 4 rounds); it
guards the path under load, where the clean run met it. Nothing here can make Swift's
proxy keep a stale answer on demand (its cache is cleared by the container's creation).
"""

from __future__ import annotations

import uuid

import pytest

from nbshelf.stores import gather_bounded
from nbshelf.stores.swift import SwiftStore

ROUNDS = 4
WRITERS = 32


@pytest.mark.swift
async def test_many_first_writes_into_a_new_container_all_land(swift_server) -> None:  # type: ignore[no-untyped-def]
    env = {"ST_AUTH": swift_server.auth_url, "ST_USER": "test:tester", "ST_KEY": "testing"}
    for _ in range(ROUNDS):
        store = SwiftStore.from_url(f"swift://new-{uuid.uuid4().hex[:10]}", environ=env)
        try:
            files = {f"d/f{i:02}.txt": f"file {i}".encode() for i in range(WRITERS)}
            await gather_bounded((store.put(k, v) for k, v in files.items()), WRITERS)
            listing = await store.list_all("d/", delimiter=None)
            assert {o.key for o in listing.objects} == set(files)
            for key, data in files.items():
                assert (await store.get(key)).data == data
        finally:
            await store.close()
