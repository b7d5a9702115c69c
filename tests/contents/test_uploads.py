"""Chunked uploads are sessions (issue 11, part 3), at the manager: one session per path,
a second upload of a path in progress refused, an abandoned one replaced and its late
chunks refused, bounds in number and bytes (507), no file descriptor between chunks,
and the chunk number checked (400, never 500). Time is a fake clock, never waited for."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from tornado.web import HTTPError

from nbshelf import ShelfContentsManager
from nbshelf.contents.uploads import SPOOL_PREFIX, ChunkSpool, UploadLimits
from nbshelf.stores import NotFound, ObjectStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    d = tmp_path / "spool"
    d.mkdir()
    return d


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def up(manager: ShelfContentsManager, spool_dir: Path, clock: Clock) -> ShelfContentsManager:
    manager.max_pending_uploads = 5
    manager.max_spooled_bytes = 1000
    manager._spool = ChunkSpool(str(spool_dir), manager._upload_limits, clock=clock)
    return manager


async def send(cm: ShelfContentsManager, path: str, chunk: object, data: bytes) -> dict:
    model = {"type": "file", "format": "base64", "content": base64.b64encode(data).decode()}
    return await cm.save({**model, "chunk": chunk}, path)


async def refused(cm: ShelfContentsManager, path: str, chunk: object, data: bytes) -> HTTPError:
    with pytest.raises(HTTPError) as e:
        await send(cm, path, chunk, data)
    return e.value


async def stored(store: ObjectStore, path: str) -> bytes | None:
    try:
        return (await store.get(path)).data
    except NotFound:
        return None


async def test_interleaved_uploads_of_one_path_never_mix(
    up: ShelfContentsManager, store: ObjectStore, spool_dir: Path
) -> None:
    """A1, B1, A2, A-1: A lands whole (its own bytes), B is refused with 409."""
    await send(up, "f.bin", 1, b"A1")
    e = await refused(up, "f.bin", 1, b"B1")
    assert e.status_code == 409 and "another upload of this file is in progress" in str(
        e.log_message
    )
    await send(up, "f.bin", 2, b"A2")
    model = await send(up, "f.bin", -1, b"A3")
    assert model["size"] == 6 and await stored(store, "f.bin") == b"A1A2A3"
    e = await refused(up, "f.bin", 2, b"B2")  # B's client, had it gone on
    assert e.status_code == 400
    assert await stored(store, "f.bin") == b"A1A2A3"
    assert not list(spool_dir.iterdir()) and up._spool.spooled_bytes == 0


async def test_an_abandoned_upload_is_replaced_and_its_late_chunks_refused(
    up: ShelfContentsManager, store: ObjectStore, clock: Clock, spool_dir: Path
) -> None:
    await send(up, "f.bin", 1, b"A1")
    await send(up, "f.bin", 2, b"A2")
    clock.now += up.upload_takeover_seconds + 1  # A's client went silent
    await send(up, "f.bin", 1, b"B1")  # a retry replaces it
    assert len(list(spool_dir.iterdir())) == 1  # A's spool file is gone already
    e = await refused(up, "f.bin", 3, b"A3")  # A's client resumes: refused, not appended
    assert e.status_code == 409 and "a newer upload of the same file replaced it" in str(
        e.log_message
    )
    await send(up, "f.bin", 2, b"B2")
    await send(up, "f.bin", 3, b"B3")
    await send(up, "f.bin", -1, b"B4")
    assert await stored(store, "f.bin") == b"B1B2B3B4"
    assert not list(spool_dir.iterdir())


async def test_a_retry_passing_the_abandoned_uploads_position_completes(
    up: ShelfContentsManager, store: ObjectStore, clock: Clock
) -> None:
    await send(up, "f.bin", 1, b"A1")
    clock.now += up.upload_takeover_seconds + 1
    for n, part in ((1, b"B1"), (2, b"B2"), (3, b"B3"), (-1, b"B4")):
        await send(up, "f.bin", n, part)
    assert await stored(store, "f.bin") == b"B1B2B3B4"


async def test_unfinished_uploads_expire(
    up: ShelfContentsManager, store: ObjectStore, clock: Clock, spool_dir: Path
) -> None:
    await send(up, "f.bin", 1, b"A1")
    clock.now += up.upload_expiry_seconds + 1
    up._spool.expire()
    assert up._spool.pending == 0 and not list(spool_dir.iterdir())
    e = await refused(up, "f.bin", 2, b"A2")
    assert e.status_code == 409 and "expired" in str(e.log_message)
    assert await stored(store, "f.bin") is None


async def test_bounds_in_number_and_bytes_are_507(
    up: ShelfContentsManager, store: ObjectStore, spool_dir: Path
) -> None:
    for i in range(5):
        await send(up, f"f{i}.bin", 1, b"x" * 100)
    e = await refused(up, "f5.bin", 1, b"x")
    assert e.status_code == 507 and "max_pending_uploads = 5" in str(e.log_message)
    e = await refused(up, "f0.bin", 2, b"x" * 600)  # 500 spooled + 600 > 1000
    assert e.status_code == 507 and "max_spooled_bytes = 1000" in str(e.log_message)
    assert up._spool.pending == 4 and up._spool.spooled_bytes == 400
    # the rest keeps working: a save, another upload once there is room
    await up.save({"type": "file", "format": "text", "content": "ok"}, "plain.txt")
    await send(up, "f5.bin", 1, b"y")
    await send(up, "f5.bin", -1, b"z")
    assert await stored(store, "f5.bin") == b"yz"
    assert len(list(spool_dir.iterdir())) == 4


async def test_no_file_descriptor_is_held_between_chunks(
    up: ShelfContentsManager, spool_dir: Path
) -> None:
    up.max_pending_uploads = 200
    up.max_spooled_bytes = 1 << 20
    before = len(os.listdir("/proc/self/fd"))
    for i in range(150):
        await send(up, f"f{i}.bin", 1, b"chunk")
    assert len(os.listdir("/proc/self/fd")) <= before
    assert len(list(spool_dir.iterdir())) == 150
    assert all(p.name.startswith(SPOOL_PREFIX) for p in spool_dir.iterdir())
    assert all(p.stat().st_mode & 0o077 == 0 for p in spool_dir.iterdir())  # private


@pytest.mark.parametrize("chunk", ["abc", [1], {"n": 1}, 1.5, True, 0, -2, "2"])
async def test_a_bad_chunk_value_is_400(up: ShelfContentsManager, chunk: object) -> None:
    e = await refused(up, "f.bin", chunk, b"x")
    assert e.status_code == 400 and "Invalid chunk" in str(e.log_message)


def test_limits_default() -> None:
    limits = ShelfContentsManager()._upload_limits()
    assert limits == UploadLimits(100, 4 << 30, 3600.0, 60.0)


async def test_spool_files_left_by_a_stopped_server_are_swept(
    up: ShelfContentsManager, spool_dir: Path
) -> None:
    old = spool_dir / f"{SPOOL_PREFIX}1-dead.part"
    old.write_bytes(b"left behind")
    os.utime(old, (0, 0))  # written long ago: expired for any server
    recent = spool_dir / f"{SPOOL_PREFIX}2-live.part"
    recent.write_bytes(b"another server's upload in progress")
    await send(up, "f.bin", 1, b"A1")
    assert not old.exists() and recent.exists()
