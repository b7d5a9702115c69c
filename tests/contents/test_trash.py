"""The trash: deletes are recoverable, from Python and from `nbshelf trash`."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nbshelf import ShelfContentsManager
from nbshelf.contents import layout, trash
from nbshelf.stores import ObjectStore


async def _text(cm: ShelfContentsManager, path: str, text: str) -> None:
    await cm.save({"type": "file", "format": "text", "content": text}, path)


async def test_restore_a_deleted_folder(manager: ShelfContentsManager, store: ObjectStore) -> None:
    await _text(manager, "proj/a.txt", "A")
    await _text(manager, "proj/sub/b.txt", "B")
    await manager.delete("proj")
    assert not await manager.dir_exists("proj")
    items = await trash.list_trash(store)
    assert sorted(i.path for i in items) == ["proj/a.txt", "proj/sub/b.txt"]
    batch = items[0].batch
    restored = await trash.restore(store, f"{batch}/proj")
    assert sorted(restored) == ["proj/a.txt", "proj/sub/b.txt"]
    assert (await manager.get("proj/sub/b.txt"))["content"] == "B"
    assert await trash.list_trash(store) == []


async def test_restore_refuses_to_overwrite(
    manager: ShelfContentsManager, store: ObjectStore
) -> None:
    await _text(manager, "n.txt", "old")
    await manager.delete("n.txt")
    await _text(manager, "n.txt", "new")
    ref = (await trash.list_trash(store))[0].ref
    with pytest.raises(FileExistsError):
        await trash.restore(store, ref)
    assert await trash.restore(store, ref, to="n-restored.txt") == ["n-restored.txt"]
    assert (await manager.get("n-restored.txt"))["content"] == "old"
    assert (await manager.get("n.txt"))["content"] == "new"


async def test_purge_by_age(manager: ShelfContentsManager, store: ObjectStore) -> None:
    await _text(manager, "x.txt", "x")
    await manager.delete("x.txt")
    assert await trash.purge(store, timedelta(days=1)) == 0  # too recent
    assert await trash.purge(store) == 1
    assert await trash.list_trash(store) == []


def test_trash_cli_round_trip(tmp_path: Path) -> None:
    (tmp_path / "gone.txt").write_text("bye")

    async def delete() -> None:
        cm = ShelfContentsManager(root_dir=str(tmp_path))
        await cm.delete("gone.txt")

    import asyncio

    asyncio.run(delete())
    assert not (tmp_path / "gone.txt").exists()

    def nbshelf(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "nbshelf.cli", "trash", "--store", str(tmp_path), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    listed = nbshelf("list")
    assert listed.returncode == 0 and "gone.txt" in listed.stdout
    ref = listed.stdout.split()[-1]
    assert nbshelf("restore", ref).returncode == 0
    assert (tmp_path / "gone.txt").read_text() == "bye"
    bad = nbshelf("restore", "not-a-ref")
    assert bad.returncode == 2 and bad.stderr.startswith("nbshelf trash: error:")


async def test_pruning_lists_only_the_batches_old_enough(
    manager: ShelfContentsManager, store: ObjectStore
) -> None:
    await _text(manager, "new.txt", "n")
    await manager.delete("new.txt")
    old = layout.new_stamp(datetime.now(timezone.utc) - timedelta(days=40))
    for name in ("a.txt", "b.txt"):
        await store.put(layout.trash_key(old, f"old/{name}"), name.encode())
    store.requests.reset()
    assert await trash.purge(store, timedelta(days=30)) == 2
    assert store.requests["LIST"] == 2  # the batches (not their files), then the old one
    assert [t.path for t in await trash.list_trash(store)] == ["new.txt"]
