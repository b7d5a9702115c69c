"""Folder moves on a store that moves a folder whole (``SupportsTreeMove``: the local
store, one ``os.rename``): a rename, a delete into the trash and a restore from it are
one rename each, plus one for the checkpoints, whatever the folder holds; still
journalled and leased (issue 11); and across two filesystems the generic copies take
over. Request counts are exact; contents are checked byte for byte."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from tornado.web import HTTPError

from nbshelf import ShelfContentsManager
from nbshelf.contents import folder_ops, journal, layout, trash
from nbshelf.stores import NotFound
from nbshelf.stores.local import LocalStore

N = 100


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    (tmp_path / "store").mkdir()
    return LocalStore(tmp_path / "store")


@pytest.fixture
def cm(store: LocalStore, tmp_path: Path) -> ShelfContentsManager:
    return ShelfContentsManager(root_dir=str(tmp_path), store_instance=store)


def _nb(i: int) -> dict:
    return {
        "type": "notebook",
        "content": nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = {i}")]),
    }


async def _fill(cm: ShelfContentsManager, folder: str, n: int = N) -> dict[str, bytes]:
    """``n`` notebooks (some in a subfolder) and an empty folder; two checkpoints of the
    first three. Returns every file's bytes by path under ``folder``."""
    for i in range(n):
        await cm.save(_nb(i), f"{folder}/{'sub/' if i % 4 == 0 else ''}nb{i:03}.ipynb")
    await cm.save({"type": "directory"}, f"{folder}/empty")
    for i in (1, 2, 3):
        for _ in range(2):
            await cm.create_checkpoint(f"{folder}/nb{i:03}.ipynb")
    return _files(cm, folder)


def _files(cm: ShelfContentsManager, folder: str) -> dict[str, bytes]:
    base = Path(cm.store.local_path(folder) or "")
    if not base.is_dir():
        return {}
    return {str(p.relative_to(base)): p.read_bytes() for p in base.rglob("*") if p.is_file()}


async def _checkpoint_ids(cm: ShelfContentsManager, folder: str) -> dict[str, list[str]]:
    return {
        f"nb{i:03}.ipynb": [c["id"] for c in await cm.list_checkpoints(f"{folder}/nb{i:03}.ipynb")]
        for i in (1, 2, 3)
    }


async def test_rename_a_folder_is_one_rename(cm: ShelfContentsManager, store: LocalStore) -> None:
    files = await _fill(cm, "proj")
    checkpoints = await _checkpoint_ids(cm, "proj")
    assert all(len(ids) == 2 for ids in checkpoints.values())
    store.requests.reset()
    await cm.rename("proj", "done")
    # "done" is free (HEAD file, HEAD marker, LIST of one key), "proj" is a folder (HEAD
    # file, HEAD marker: no listing of its keys); the journal and lease (PUT), the
    # journals listed for another server's live lease (LIST); the folder's rename and
    # its checkpoints' rename; the journal removed (DELETE). Nothing per file.
    assert store.requests.snapshot() == {"HEAD": 4, "LIST": 2, "PUT": 1, "RENAME": 2, "DELETE": 1}
    assert _files(cm, "done") == files and _files(cm, "proj") == {}
    assert await _checkpoint_ids(cm, "done") == checkpoints
    assert await cm.list_checkpoints("proj/nb001.ipynb") == []
    assert (await cm.get("done/sub/nb004.ipynb"))["content"]["cells"][0]["source"] == "x = 4"
    assert await cm.dir_exists("done/empty")
    with pytest.raises(HTTPError) as e:
        await cm.get("proj", type="directory")
    assert e.value.status_code == 404
    assert await journal.pending(store) == []


async def test_a_file_moves_and_goes_to_the_trash_with_one_rename(
    cm: ShelfContentsManager, store: LocalStore
) -> None:
    await cm.save(_nb(7), "a.ipynb")
    await cm.create_checkpoint("a.ipynb")
    before = (await cm.get("a.ipynb", require_hash=True))["hash"]
    [checkpoint] = await cm.list_checkpoints("a.ipynb")
    store.requests.reset()
    await cm.rename("a.ipynb", "b.ipynb")
    # "b.ipynb" is free (HEAD, HEAD of a marker, LIST of one key), "a.ipynb" a file (HEAD)
    assert store.requests.snapshot() == {"HEAD": 3, "LIST": 1, "RENAME": 2}
    assert (await cm.get("b.ipynb", require_hash=True))["hash"] == before
    assert await cm.list_checkpoints("b.ipynb") == [checkpoint]
    store.requests.reset()
    await cm.delete("b.ipynb")
    # HEAD (a file), its rename into the trash and its checkpoints', and once an hour
    # the trash's listing for what is older than its retention
    assert store.requests.snapshot() == {"HEAD": 1, "RENAME": 2, "LIST": 1}
    [trashed] = await trash.list_trash(store)
    assert trashed.path == "b.ipynb"
    assert not await cm.file_exists("b.ipynb") and await cm.list_checkpoints("b.ipynb") == []
    store.requests.reset()
    assert await trash.restore(store, trashed.ref) == ["b.ipynb"]
    assert store.requests["RENAME"] == 2 and store.requests["COPY"] == 0
    assert (await cm.get("b.ipynb", require_hash=True))["hash"] == before
    assert await cm.list_checkpoints("b.ipynb") == [checkpoint]  # back with it


async def test_delete_a_folder_to_the_trash_is_one_rename_and_restores(
    cm: ShelfContentsManager, store: LocalStore
) -> None:
    files = await _fill(cm, "proj")
    checkpoints = await _checkpoint_ids(cm, "proj")
    await cm.save(_nb(0), "warm.ipynb")
    await cm.delete("warm.ipynb")  # the trash's hourly pruning happens here, not below
    store.requests.reset()
    await cm.delete("proj")
    # "proj" is a folder (HEAD file, HEAD marker); the journal and lease (PUT), the
    # journals listed (LIST); the folder's rename into the trash and its checkpoints'
    # beside it; the journal removed (DELETE). Nothing per file, no copy.
    assert store.requests.snapshot() == {"HEAD": 2, "LIST": 1, "PUT": 1, "RENAME": 2, "DELETE": 1}
    assert _files(cm, "proj") == {} and not await cm.dir_exists("proj")
    assert await cm.list_checkpoints("proj/nb001.ipynb") == []
    listed = [t for t in await trash.list_trash(store) if t.path.startswith("proj/")]
    assert sorted(t.path for t in listed) == sorted(f"proj/{p}" for p in files)
    [batch] = {t.batch for t in listed}
    restored = await trash.restore(store, f"{batch}/proj")
    assert sorted(restored) == sorted(f"proj/{p}" for p in files)
    assert _files(cm, "proj") == files
    assert await _checkpoint_ids(cm, "proj") == checkpoints
    assert [t.path for t in await trash.list_trash(store)] == ["warm.ipynb"]
    assert await trash.purge(store) == 1  # the checkpoints that went with it do not count


async def test_restore_into_a_folder_made_again_merges_file_by_file(
    cm: ShelfContentsManager, store: LocalStore
) -> None:
    await _fill(cm, "proj", n=6)
    await cm.delete("proj")
    await cm.save(_nb(99), "proj/new.ipynb")  # the folder made again meanwhile
    [batch] = {t.batch for t in await trash.list_trash(store)}
    store.requests.reset()
    restored = await trash.restore(store, f"{batch}/proj")
    assert store.requests["COPY"] == len(restored) == 6  # not a rename over it
    names = {m["name"] for m in (await cm.get("proj", type="directory"))["content"]}
    assert names == {"new.ipynb", "sub", "nb001.ipynb", "nb002.ipynb", "nb003.ipynb", "nb005.ipynb"}


async def test_another_servers_live_lease_refuses_the_rename(
    cm: ShelfContentsManager, store: LocalStore
) -> None:
    files = await _fill(cm, "proj", n=5)
    rival = journal.new_journal("rename", "proj/sub", "elsewhere", tree=True)
    await journal.begin(store, rival)
    with pytest.raises(HTTPError) as e:
        await cm.rename("proj", "done")
    assert e.value.status_code == 409 and "by another server" in str(e.value.log_message)
    assert _files(cm, "proj") == files and _files(cm, "done") == {}
    assert [j.id for j in await journal.pending(store) if not isinstance(j, str)] == [rival.id]


async def test_the_destination_is_never_replaced(
    cm: ShelfContentsManager, store: LocalStore
) -> None:
    files = await _fill(cm, "proj", n=5)
    await cm.save({"type": "directory"}, "taken")
    with pytest.raises(HTTPError) as e:
        await cm.rename("proj", "taken")
    assert e.value.status_code == 409
    assert _files(cm, "proj") == files and await cm.dir_exists("taken")
    assert await journal.pending(store) == []


# ---------------------------------------------------------------- two filesystems
@pytest.fixture
def other_filesystem(store: LocalStore) -> Iterator[Path]:
    """A folder of the store that is a link to another filesystem (tmpfs)."""
    if not os.path.isdir("/dev/shm"):
        pytest.skip("no /dev/shm (tmpfs) here for a second filesystem")
    elsewhere = Path(tempfile.mkdtemp(prefix="nbshelf-test-", dir="/dev/shm"))
    try:
        if os.stat(elsewhere).st_dev == os.stat(store.root).st_dev:
            pytest.skip("/dev/shm is on the store's filesystem here")
        yield elsewhere
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)


async def test_across_two_filesystems_the_copies_take_over(
    cm: ShelfContentsManager, store: LocalStore, other_filesystem: Path
) -> None:
    files = await _fill(cm, "proj", n=10)
    checkpoints = await _checkpoint_ids(cm, "proj")
    os.symlink(other_filesystem, store.root / "mnt")
    store.requests.reset()
    await cm.rename("proj", "mnt/proj")  # EXDEV: copied, as on an object store
    # the folder's rename refused (EXDEV), then its objects copied; its checkpoints stay
    # on one filesystem: renamed
    assert store.requests["RENAME"] == 2 and store.requests["COPY"] == len(files) + 3
    assert _files(cm, "mnt/proj") == files and _files(cm, "proj") == {}
    assert await _checkpoint_ids(cm, "mnt/proj") == checkpoints  # same filesystem: a rename
    assert await journal.pending(store) == []
    # the trash on another filesystem: a delete copies into it, then deletes
    shutil.move(str(store.root / ".nbshelf"), str(other_filesystem / "internal"))
    os.symlink(other_filesystem / "internal", store.root / ".nbshelf")
    await cm.save(_nb(1), "here/a.ipynb")
    await cm.save(_nb(2), "here/b.ipynb")
    store.requests.reset()
    await cm.delete("here")
    assert store.requests["COPY"] == 2 and _files(cm, "here") == {}
    assert {t.path for t in await trash.list_trash(store)} >= {"here/a.ipynb", "here/b.ipynb"}


async def test_whole_moves_are_what_the_store_offers(store: LocalStore) -> None:
    from nbshelf.stores.memory import MemoryStore

    assert folder_ops.moves_whole(store) and not folder_ops.moves_whole(MemoryStore("w"))
    assert (
        layout.trashed_checkpoints_folder("B", "p/q")
        == ".nbshelf/trash/B/.nbshelf/checkpoints/p/q/"
    )


async def test_delete_without_the_trash_is_one_rename_out_of_sight(
    cm: ShelfContentsManager, store: LocalStore
) -> None:
    """``delete_to_trash`` off (and ``always_delete_dir`` on): the folder and its
    checkpoints' folder are each renamed out of sight and removed in a worker thread
    (``SupportsTreeDelete``): no listing, no journal, nothing per file."""
    cm.delete_to_trash, cm.always_delete_dir = False, True
    await _fill(cm, "proj")
    await cm.save(_nb(0), "keep/k.ipynb")
    store.requests.reset()
    await cm.delete("proj")
    # "proj" is a folder (HEAD file, HEAD marker); the folder and its checkpoints
    # renamed out of sight and removed (RENAME + DELETE each)
    assert store.requests.snapshot() == {"HEAD": 2, "RENAME": 2, "DELETE": 2}
    assert _files(cm, "proj") == {} and not await cm.dir_exists("proj")
    assert await cm.list_checkpoints("proj/nb001.ipynb") == []
    assert await trash.list_trash(store) == []
    hidden = [p.name for p in store.root.rglob("*") if p.name.startswith(".nbshelf-tmp-")]
    assert hidden == []  # removed, not only renamed
    assert [m["name"] for m in (await cm.get(""))["content"]] == ["keep"]
    assert (await cm.get("keep/k.ipynb"))["type"] == "notebook"


async def test_a_folder_half_removed_is_never_listed(store: LocalStore) -> None:
    """What a crash during the removal would leave (the hidden folder) is not listed."""
    await store.put("proj/a.txt", b"a")
    await store.put("proj/b/c.txt", b"c")
    (store.root / ".nbshelf-tmp-deleted-0123456789abcdef" / "x").mkdir(parents=True)
    (store.root / ".nbshelf-tmp-deleted-0123456789abcdef" / "x" / "y.txt").write_bytes(b"y")
    await store.delete_tree("proj")
    listed = await store.list_all("", delimiter=None)
    assert [o.key for o in listed.objects] == []
    with pytest.raises(NotFound):
        await store.delete_tree("proj")
    await store.put("f.txt", b"f")
    with pytest.raises(NotFound):
        await store.delete_tree("f.txt")


async def test_a_linked_in_folder_is_deleted_key_by_key(
    cm: ShelfContentsManager, store: LocalStore, other_filesystem: Path
) -> None:
    """A folder that is a link to elsewhere: removing its files, not the link, is what
    deleting it means; the tree delete declines and the generic delete takes over."""
    cm.delete_to_trash, cm.always_delete_dir = False, True
    os.symlink(other_filesystem, store.root / "mnt")
    await cm.save(_nb(1), "mnt/a.ipynb")
    store.requests.reset()
    await cm.delete("mnt")
    assert store.requests["RENAME"] == 0 and store.requests["DELETE"] >= 1
    assert list(other_filesystem.iterdir()) == []
