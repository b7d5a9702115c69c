"""The local store's listing: one directory scan, paged without scanning again, reading
no extended attribute and hashing nothing; and its one-rename move of a file or folder
(``SupportsTreeMove``).

What the scan does is observed by counting the calls it makes to ``os.scandir``,
``os.getxattr`` and the store's own hashing (wrapped, each call still made): the
contract that a listing costs one scan and nothing per entry beyond a stat.
"""

from __future__ import annotations

import io
import os
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nbshelf.stores import Conflict, NotFound, ObjectInfo
from nbshelf.stores import local as local_module
from nbshelf.stores.capabilities import SupportsTreeMove
from nbshelf.stores.local import TEMP_PREFIX, LocalStore


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the scan, the extended attributes and the hashing were used."""
    seen: Counter[str] = Counter()

    def counting(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(os, "scandir", counting("scandir", os.scandir))
    monkeypatch.setattr(os, "getxattr", counting("getxattr", os.getxattr))
    monkeypatch.setattr(
        LocalStore, "_hash_file", staticmethod(counting("hash", LocalStore._hash_file))
    )
    return seen


def _files(root: Path, folder: str, n: int) -> list[str]:
    (root / folder).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / folder / f"nb{i:04}.ipynb").write_bytes(b"{}")  # written behind the store
    return [f"{folder}/nb{i:04}.ipynb" for i in range(n)]


async def test_a_paged_listing_is_one_scan_and_nothing_per_entry(
    tmp_path: Path, calls: Counter[str]
) -> None:
    store = LocalStore(tmp_path, prefix="users/ann", page_size=100)
    root = tmp_path / "users" / "ann"
    keys = _files(root, "big", 1000)
    (root / "big" / "sub").mkdir()
    (root / "big" / f"{TEMP_PREFIX}x").write_bytes(b"a write in progress")
    calls.clear()
    pages = [page async for page in store.walk("big/")]
    assert len(pages) == 11  # 1000 files + 1 folder + the folder's own marker, 100 a page
    assert calls == {"scandir": 1}  # one scan; no xattr read, no file hashed
    assert store.requests.snapshot() == {"LIST": 1}
    listed = [o for p in pages for o in p.objects]
    assert [o.key for o in listed] == ["big/", *keys]
    assert [p.key for page in pages for p in page.prefixes] == ["big/sub/"]
    assert all(p.next_token for p in pages[:-1]) and pages[-1].next_token is None
    # what a listing says of a file is what head says, but the etag and type (not read)
    head = await store.head("big/nb0007.ipynb")
    got = listed[8]
    assert isinstance(got, ObjectInfo) and got.key == head.key
    assert (got.size, got.last_modified) == (head.size, head.last_modified)
    assert got.etag is None and head.etag  # head hashes it, once, when asked
    assert got == ObjectInfo(got.key, got.size, got.last_modified)


async def test_a_page_continues_at_its_token(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    keys = _files(tmp_path, "p", 25)
    first = await store.list("p/", limit=10)
    second = await store.list("p/", limit=10, token=first.next_token)
    third = await store.list("p/", limit=10, token=second.next_token)
    got = [o.key for page in (first, second, third) for o in page.objects]
    assert got == ["p/", *keys] and third.next_token is None


async def test_a_large_listing_is_sorted_as_object_stores_sort_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_module, "SORT_RUN", 4)  # merged from many sorted runs
    store = LocalStore(tmp_path)
    names = ["ab", "ab.txt", "ab0", "a-b", "b", "B", "é", "z9", "a b", "ab_"]
    for name in names:
        (tmp_path / "f" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "f" / name).write_bytes(b"1")
    for folder in ("ab.d", "aa", "zz"):
        (tmp_path / "f" / folder / "in").mkdir(parents=True)
        (tmp_path / "f" / folder / "in" / "x.txt").write_bytes(b"2")
    flat = await store.list_all("f/", delimiter=None)
    expected_flat = sorted(
        ["f/", *(f"f/{n}" for n in names)]
        + [k for d in ("ab.d", "aa", "zz") for k in (f"f/{d}/", f"f/{d}/in/", f"f/{d}/in/x.txt")]
    )
    assert [o.key for o in flat.objects] == expected_flat
    top = await store.list_all("f/")
    assert [o.key for o in top.objects] == sorted(["f/", *(f"f/{n}" for n in names)])
    assert [p.key for p in top.prefixes] == ["f/aa/", "f/ab.d/", "f/zz/"]


# ---------------------------------------------------------------- SupportsFolderRows
class _PagedOnly(LocalStore):
    """The local store listed as every other store is (pages of ObjectInfo): without
    ``folder_rows`` it does not have the capability."""

    folder_rows = None  # type: ignore[assignment]


@pytest.mark.parametrize("prefix", ["", "users/ann"])
@pytest.mark.parametrize("allow_hidden", [False, True])
async def test_a_listing_from_rows_is_the_listing_from_pages(
    tmp_path: Path, calls: Counter[str], prefix: str, allow_hidden: bool
) -> None:
    """The contents listing built from the local store's rows (one scan, no ObjectInfo)
    is, model for model, the one built from its pages: files, notebooks, folders,
    hidden names, the internal folder at the top, the folder's own time; one scan."""
    from nbshelf import ShelfContentsManager
    from nbshelf.stores.capabilities import SupportsFolderRows

    root = tmp_path / prefix if prefix else tmp_path
    _files(root, "d", 300)
    for name in ("a.txt", "pic.png", ".hidden.py", "noext", "x~", "é.ipynb"):
        (root / "d" / name).write_bytes(b"1")
    (root / "d" / "sub" / "in").mkdir(parents=True)
    (root / "d" / ".dot").mkdir()
    (root / "d" / f"{TEMP_PREFIX}y").write_bytes(b"a write in progress")
    (root / ".nbshelf" / "trash").mkdir(parents=True)
    (root / "top.ipynb").write_bytes(b"{}")

    def manager(store: LocalStore) -> ShelfContentsManager:
        cm = ShelfContentsManager(store_instance=store, allow_hidden=allow_hidden)
        cm.hide_globs = [*cm.hide_globs, "*.png"]
        return cm

    rows = LocalStore(tmp_path, prefix=prefix, page_size=7)
    paged = _PagedOnly(tmp_path, prefix=prefix, page_size=7)
    assert isinstance(rows, SupportsFolderRows) and not isinstance(paged, SupportsFolderRows)
    for path in ("d", "", "d/sub", "d/.dot" if allow_hidden else "d/sub/in"):
        calls.clear()
        rows.requests.reset()
        got = await manager(rows).get(path, content=True, type="directory")
        assert calls["scandir"] == 1 and rows.requests.snapshot() == {"LIST": 1}, path
        want = await manager(paged).get(path, content=True, type="directory")
        # the order of a listing is no contract (JupyterLab sorts it); rows come by key
        keys = [e["path"] + ("/" if e["type"] == "directory" else "") for e in got["content"]]
        assert keys == sorted(keys), path
        got["content"].sort(key=lambda e: e["path"])
        want["content"].sort(key=lambda e: e["path"])
        assert got == want, path
    listed = await manager(rows).get("d", content=True)
    names = {e["name"] for e in listed["content"]}
    assert {"nb0000.ipynb", "a.txt", "sub", "noext", "é.ipynb"} <= names
    assert not {"pic.png", "x~", f"{TEMP_PREFIX}y"} & names  # hide_globs; a write under way
    assert ({".hidden.py", ".dot"} <= names) is allow_hidden
    top = await manager(rows).get("", content=True)
    assert ".nbshelf" not in {e["name"] for e in top["content"]}


def test_a_row_model_is_the_model_a_file_gets() -> None:
    """A file listed as a row gets the model a file listed as an ObjectInfo gets."""
    from datetime import datetime, timezone

    from nbshelf.contents import models

    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    for path in ("a.ipynb", "d/b.txt", "d/e/c.png", "noext", "x.IPYNB"):
        name = path.rsplit("/", 1)[-1]
        info = ObjectInfo(path, 12, when)
        assert models.row_model(path, name, 12, when) == models.entry_model(path, name, info)


# ---------------------------------------------------------------- SupportsTreeMove
async def test_a_folder_moves_with_one_rename(tmp_path: Path, calls: Counter[str]) -> None:
    store = LocalStore(tmp_path, prefix="pre")
    assert isinstance(store, SupportsTreeMove)
    saved = await store.put("proj/a.ipynb", b"{}", metadata={"m": "1"})
    await store.put("proj/deep/b.txt", b"b")
    await store.put("proj/empty/", b"")
    store.requests.reset()
    await store.move_tree("proj", "moved/here")
    assert store.requests.snapshot() == {"RENAME": 1}
    assert not (tmp_path / "pre" / "proj").exists()
    flat = await store.list_all("moved/", delimiter=None)
    assert [o.key for o in flat.objects] == [
        "moved/",
        "moved/here/",
        "moved/here/a.ipynb",
        "moved/here/deep/",
        "moved/here/deep/b.txt",
        "moved/here/empty/",
    ]
    head = await store.head("moved/here/a.ipynb")  # the same file: its hash and metadata
    assert (head.etag, head.metadata, head.last_modified) == (
        saved.etag,
        {"m": "1"},
        saved.last_modified,
    )
    assert calls["hash"] == 0  # the kept MD5 is still valid: nothing was rewritten


async def test_a_move_never_replaces_and_names_what_is_missing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    await store.put("a/x.txt", b"x")
    await store.put("b/", b"")  # an empty folder: os.rename alone would replace it
    await store.put("c.txt", b"c")
    with pytest.raises(Conflict):
        await store.move_tree("a", "b")
    with pytest.raises(Conflict):
        await store.move_tree("a", "c.txt")
    with pytest.raises(NotFound):
        await store.move_tree("nothing", "elsewhere")
    assert (await store.get("a/x.txt")).data == b"x"
    await store.move_tree("c.txt", "d/c.txt")  # a file moves the same way
    assert (await store.get("d/c.txt")).data == b"c"


async def test_a_save_caught_by_another_servers_rename_fails_loudly(tmp_path: Path) -> None:
    """Server A writes into ``proj`` while server B (its own store on the same directory)
    renames ``proj``, at the worst moment: after A's temporary file was made in ``proj``
    and before A renames it into place. A's put fails (nothing answered and then lost);
    the file is at neither path; A's temporary file, moved with the folder, is never
    listed."""
    a = LocalStore(tmp_path)
    await a.put("proj/keep.txt", b"k")
    moved: list[str] = []

    class Racing(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            if threading.current_thread().name.startswith("nbshelf-") and not moved:
                os.rename(tmp_path / "proj", tmp_path / "moved")  # B's move_tree, now
                moved.append("moved")
            return super().read(n)

    with pytest.raises(NotFound):
        await a.put("proj/x.txt", Racing(b"data"))
    assert moved == ["moved"]
    assert not (tmp_path / "proj" / "x.txt").exists()
    assert not (tmp_path / "moved" / "x.txt").exists()
    assert [o.key for o in (await a.list_all("moved/")).objects] == ["moved/", "moved/keep.txt"]


def test_release_in_slices_frees_all_it_alone_holds() -> None:
    """A large listing's rows are let go of a slice at a time (never one C call that
    frees 100,000 tuples with the GIL held): the list ends empty and each item is freed,
    one kept elsewhere stays."""
    import weakref

    from nbshelf.stores import release_in_slices

    class Item:
        pass

    items = [Item() for _ in range(10_001)]
    kept = items[5_000]
    refs = [weakref.ref(i) for i in items]
    release_in_slices(items)
    assert items == []
    assert [r() for r in refs].count(None) == 10_000
    assert refs[5_000]() is kept
