"""The request budget of docs/design.md, counted at the store (exact counts)."""

from __future__ import annotations

import math

import nbformat
import pytest
from tornado.web import HTTPError

from nbshelf import ShelfContentsManager
from nbshelf.contents import folder_ops
from nbshelf.stores import ObjectStore, Unavailable


async def _notebook(cm: ShelfContentsManager, path: str = "nb.ipynb") -> dict:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    return await cm.save({"type": "notebook", "content": nb}, path)


def counts(store: ObjectStore) -> dict[str, int]:
    return store.requests.snapshot()


async def test_open_a_notebook_is_one_get(manager: ShelfContentsManager) -> None:
    await _notebook(manager)
    manager.store.requests.reset()
    model = await manager.get("nb.ipynb", content=True, type="notebook", require_hash=True)
    assert counts(manager.store) == {"GET": 1}
    assert model["hash_algorithm"] == "md5" and model["hash"]
    manager.store.requests.reset()
    await manager.get("nb.ipynb")  # JupyterLab may also open without a type
    assert counts(manager.store) == {"GET": 1}


async def test_poll_with_hash_is_one_head(manager: ShelfContentsManager) -> None:
    saved = await _notebook(manager)
    opened = await manager.get("nb.ipynb", require_hash=True)
    manager.store.requests.reset()
    polled = await manager.get("nb.ipynb", content=False, require_hash=True)
    assert counts(manager.store) == {"HEAD": 1}
    assert polled["content"] is None
    assert polled["hash"] == opened["hash"]  # same hash with and without the body
    assert polled["last_modified"] == saved["last_modified"]


async def test_save_is_one_put(manager: ShelfContentsManager) -> None:
    await _notebook(manager)
    model = await manager.get("nb.ipynb")
    manager.store.requests.reset()
    saved = await manager.save(model, "nb.ipynb")
    assert counts(manager.store) == {"PUT": 1}
    again = await manager.get("nb.ipynb", content=False)
    assert saved["last_modified"] == again["last_modified"]


@pytest.mark.parametrize("n_files,n_folders", [(10, 0), (100, 30), (1000, 100)])
async def test_list_a_folder_costs_pages_only(
    manager: ShelfContentsManager, n_files: int, n_folders: int
) -> None:
    store = manager.store
    await store.put("big/", b"")  # the folder's own marker is listed too (it is an object)
    for i in range(n_files):
        await store.put(f"big/f{i:04}.txt", b"x")
    for i in range(n_folders):
        await store.put(f"big/d{i:03}/", b"")
        await store.put(f"big/d{i:03}/inner.txt", b"y")
    store.page_size = 100
    store.requests.reset()
    model = await manager.get("big", type="directory")
    entries = n_files + n_folders
    assert len(model["content"]) == entries
    # nothing per entry; one LIST a page, and on the local store one directory scan for
    # every page (no page scans the folder again)
    pages = 1 if store.local_path("") is not None else math.ceil((entries + 1) / 100)
    assert counts(store) == {"LIST": pages}


async def test_create_checkpoint_is_one_copy_plus_prune(manager: ShelfContentsManager) -> None:
    await _notebook(manager)
    manager.store.requests.reset()
    await manager.create_checkpoint("nb.ipynb")
    assert counts(manager.store) == {"COPY": 1, "LIST": 1}  # the file's first: listed once
    keep = manager.checkpoints.keep
    for _ in range(keep - 1):
        manager.store.requests.reset()
        await manager.create_checkpoint("nb.ipynb")
        assert counts(manager.store) == {"COPY": 1}  # this server knows them: no LIST
    manager.store.requests.reset()
    await manager.create_checkpoint("nb.ipynb")  # one too many: the oldest goes
    assert counts(manager.store) == {"COPY": 1, "DELETE": 1}
    assert len(await manager.list_checkpoints("nb.ipynb")) == keep


async def test_rename_a_folder_of_n_is_n_copies_then_n_deletes(
    manager: ShelfContentsManager,
) -> None:
    store = manager.store
    if folder_ops.moves_whole(store):
        pytest.skip("the local store moves a folder with one rename: test_whole_moves.py")
    await store.put("old/", b"")
    for i in range(99):
        await store.put(f"old/f{i:03}.txt", f"{i}".encode())
    store.requests.reset()
    ops: list[str] = []
    real_copy, real_delete = store._copy, store._delete

    async def copy(src: str, dst: str):  # record the order of the operations
        ops.append("COPY")
        return await real_copy(src, dst)

    async def delete(keys):
        ops.append("DELETE")
        return await real_delete(keys)

    store._copy, store._delete = copy, delete  # type: ignore[method-assign]
    await manager.rename("old", "new")
    # 100 objects (99 files + the marker): 100 COPY, then 100 DELETE; plus the checks
    # that "new" is free (HEAD file, HEAD marker, LIST), that "old" is a folder
    # (HEAD), its listing (LIST) and its checkpoints' listing (LIST); plus the journal
    # .nbshelf/ops/<id>.json, the operation's lease, written before the first copy
    # (1 PUT) and removed after the sources' delete (1 DELETE), so a crash in between
    # can be recovered; the journals listed once, for another server's live lease on an
    # overlapping folder (LIST); the sources listed again before their delete, for a
    # file another server saved meanwhile (LIST)
    assert counts(store) == {"HEAD": 3, "LIST": 5, "PUT": 1, "COPY": 100, "DELETE": 101}
    # one delete request for the sources, after every copy; then the journal's
    assert ops == ["COPY"] * 100 + ["DELETE", "DELETE"]
    assert await manager.dir_exists("new") and not await manager.dir_exists("old")
    assert (await manager.get("new/f042.txt"))["content"] == "42"


async def test_failed_copy_leaves_the_folder_intact(manager: ShelfContentsManager) -> None:
    store = manager.store
    if folder_ops.moves_whole(store):
        pytest.skip("the local store copies only across filesystems: test_whole_moves.py")
    for i in range(20):
        await store.put(f"keep/f{i:02}.txt", b"data")
    real_copy = store._copy

    async def flaky_copy(src: str, dst: str):
        if src.endswith("f13.txt"):
            raise Unavailable("copy failed", store=store.description)
        return await real_copy(src, dst)

    store._copy = flaky_copy  # type: ignore[method-assign]
    with pytest.raises(HTTPError) as e:
        await manager.rename("keep", "moved")
    assert e.value.status_code == 503
    store._copy = real_copy  # type: ignore[method-assign]
    listing = await manager.get("keep", type="directory")
    assert len(listing["content"]) == 20  # every source intact
    assert not await manager.dir_exists("moved")  # partial copies removed
