"""Start-up: the threads a first request would start are started when the server starts
(nbshelf.server.warmup), so no request makes the event loop wait for a thread to run.
On the real Swift (its blocking client runs in the store's threads): after ``warm``, a
first folder rename starts no thread."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import threading
from typing import Any

import pytest

from nbshelf import ShelfContentsManager
from nbshelf.server.warmup import SWITCH_INTERVAL, tune_interpreter, warm
from nbshelf.stores import open_store
from nbshelf.stores.base import URGENT_THREADS
from tests.servers.swift_client import tempauth_options


class _App:
    log = logging.getLogger("test-warmup")


def _threads(prefix: str) -> set[int]:
    return {t.ident or 0 for t in threading.enumerate() if t.name.startswith(prefix)}


@pytest.fixture
def unfrozen() -> Any:
    """``warm`` freezes the garbage collector's objects and sets the switch interval:
    undone after the test."""
    interval = sys.getswitchinterval()
    yield
    gc.unfreeze()
    sys.setswitchinterval(interval)


def test_the_switch_interval_goes_to_1_ms_unless_the_user_set_one(unfrozen: Any) -> None:
    """A worker thread running Python keeps the GIL, and so the event loop, for up to
    the switch interval: the server lowers Python's 5 ms default, never a chosen value."""
    sys.setswitchinterval(0.005)
    tune_interpreter()
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL) == pytest.approx(0.001)
    assert gc.get_freeze_count() > 0
    sys.setswitchinterval(0.002)
    tune_interpreter()
    assert sys.getswitchinterval() == pytest.approx(0.002)


def test_warm_starts_every_store_thread_before_the_first_request(
    swift_server: Any, unfrozen: Any
) -> None:
    store = open_store("swift://t-warm", max_concurrency=8, **tempauth_options(swift_server))
    cm = ShelfContentsManager(store_instance=store)
    assert not _threads("nbshelf-swift")
    warm(_App(), cm)
    started = _threads("nbshelf-swift")
    assert len(started) == 8 + URGENT_THREADS  # the shared pool and the urgent lane
    assert gc.get_freeze_count() > 0

    async def first_requests() -> None:
        await store.check()
        await cm.save({"type": "directory"}, "proj")
        for i in range(20):
            await store.put(f"proj/f{i}.txt", b"x")
        await cm.rename("proj", "moved")
        assert len((await cm.get("moved"))["content"]) == 20

    asyncio.run(first_requests())
    assert _threads("nbshelf-swift") == started  # not one thread started by a request
    asyncio.run(store.close())


def test_warm_leaves_a_store_that_cannot_open_to_the_first_request(unfrozen: Any) -> None:
    cm = ShelfContentsManager(store_url="swift://c", store_options={"environ": {}})
    warm(_App(), cm)  # no credentials: logged, the server still starts
