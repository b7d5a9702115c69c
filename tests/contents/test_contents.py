"""ShelfContentsManager behaviour beyond jupyter_server's own suite."""

from __future__ import annotations

import base64
import os

import nbformat
import pytest
from tornado.web import HTTPError

from nbshelf import ShelfContentsManager
from nbshelf.stores import AuthFailed, NotFound, ObjectStore, Unavailable


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_chunked_upload_is_assembled_only_when_complete(
    manager: ShelfContentsManager, store: ObjectStore
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 11)
    parts = [data[i : i + 1024 * 1024] for i in range(0, len(data), 1024 * 1024)]
    store.requests.reset()
    for n, part in enumerate(parts, start=1):
        chunk = -1 if n == len(parts) else n
        model = await manager.save(
            {"type": "file", "format": "base64", "content": _b64(part), "chunk": chunk}, "up.bin"
        )
        if chunk != -1:
            with pytest.raises(NotFound):  # nothing visible before the last chunk
                await store.head("up.bin")
    assert model["size"] == len(data)
    assert store.requests["PUT"] == 1
    got = await manager.get("up.bin", format="base64")
    assert base64.b64decode(got["content"]) == data


@pytest.mark.parametrize("order", [[1, 3, -1], [2, -1], [1, 2, 2, -1], [-1]])
async def test_chunks_out_of_order_are_refused(
    manager: ShelfContentsManager, order: list[int]
) -> None:
    with pytest.raises(HTTPError) as e:
        for chunk in order:
            await manager.save(
                {"type": "file", "format": "base64", "content": _b64(b"abc"), "chunk": chunk},
                "up.bin",
            )
    assert e.value.status_code == 400
    assert "upload the file again" in e.value.log_message
    assert not await manager.file_exists("up.bin")


async def test_bad_notebook_json_is_400(manager: ShelfContentsManager, store: ObjectStore) -> None:
    await store.put("bad.ipynb", b"{not json")
    with pytest.raises(HTTPError) as e:
        await manager.get("bad.ipynb")
    assert e.value.status_code == 400 and "Unreadable Notebook" in e.value.log_message


async def test_v3_notebook_is_upgraded_on_save(manager: ShelfContentsManager) -> None:
    v3 = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet()])
    await manager.save({"type": "notebook", "content": v3}, "old.ipynb")
    raw = await manager.store.get("old.ipynb")
    assert nbformat.reads(raw.data.decode(), as_version=nbformat.NO_CONVERT).nbformat == 4


async def test_folders_create_list_copy_delete(manager: ShelfContentsManager) -> None:
    untitled = await manager.new_untitled(type="directory")
    assert untitled["name"] == "Untitled Folder"
    assert (await manager.new_untitled(type="directory"))["name"] == "Untitled Folder 1"
    nb = await manager.new_untitled(path="Untitled Folder", type="notebook")
    assert nb["path"] == "Untitled Folder/Untitled.ipynb"
    assert (await manager.new_untitled(path="Untitled Folder", type="notebook"))[
        "name"
    ] == "Untitled1.ipynb"
    copied = await manager.copy("Untitled Folder/Untitled.ipynb")
    assert copied["name"] == "Untitled-Copy1.ipynb"
    listing = await manager.get("Untitled Folder")
    assert sorted(m["name"] for m in listing["content"]) == [
        "Untitled-Copy1.ipynb",
        "Untitled.ipynb",
        "Untitled1.ipynb",
    ]
    await manager.delete("Untitled Folder")
    assert not await manager.dir_exists("Untitled Folder")


async def test_each_copy_of_a_folder_gets_a_new_name(manager: ShelfContentsManager) -> None:
    """The second copy of a folder into its own parent is -Copy2: the first copy's folder
    is known to exist at once (on object stores, the short-lived existence cache learnt
    of the parent's names before the copy: jupyter_server's test_copy_dir found it)."""
    await manager.save({"type": "directory"}, "top")
    await manager.save({"type": "directory"}, "top/Star Notebooks")
    await manager.new(path="top/Star Notebooks/a.ipynb")
    first = await manager.copy("top/Star Notebooks", "top")
    second = await manager.copy("top/Star Notebooks", "top")
    assert [first["path"], second["path"]] == [
        "top/Star Notebooks-Copy1",
        "top/Star Notebooks-Copy2",
    ]
    names = {e["name"] for e in (await manager.get("top"))["content"]}
    assert names == {"Star Notebooks", "Star Notebooks-Copy1", "Star Notebooks-Copy2"}


async def test_delete_goes_to_the_trash(manager: ShelfContentsManager, store: ObjectStore) -> None:
    await manager.save({"type": "file", "format": "text", "content": "keep me"}, "d/f.txt")
    await manager.delete("d")
    trashed = await _trash(store)
    assert len(trashed) == 1 and trashed[0].endswith("/d/f.txt")
    assert (await store.get(trashed[0])).data == b"keep me"
    manager.delete_to_trash = False
    await manager.save({"type": "file", "format": "text", "content": "x"}, "e/g.txt")
    with pytest.raises(HTTPError) as e:
        await manager.delete("e")
    assert e.value.status_code == 400  # a non-empty folder, as jupyter_server refuses it
    await manager.delete("e/g.txt")
    assert len(await _trash(store)) == 1


async def _trash(store: ObjectStore) -> list[str]:
    listing = await store.list_all(".nbshelf/trash/", delimiter=None)
    return [o.key for o in listing.objects if not o.is_dir_marker]


@pytest.mark.parametrize(
    "path",
    ["../escape.txt", "a/../../b.txt", "a\\b.txt", "nul\x00.txt", "%2e%2e/x", ".nbshelf/x"],
)
async def test_bad_paths_are_refused(manager: ShelfContentsManager, path: str) -> None:
    model = {"type": "file", "format": "text", "content": "x"}
    if path.startswith("%2e"):
        # the server decodes %2e%2e to '..' before the manager sees it
        path = path.replace("%2e%2e", "..")
    with pytest.raises(HTTPError) as e:
        await manager.save(model, path)
    assert e.value.status_code == 400


async def test_store_failures_are_503_naming_the_store(
    manager: ShelfContentsManager, store: ObjectStore
) -> None:
    async def down(*args, **kwargs):
        raise Unavailable("connection refused at http://127.0.0.1:1/v1", store=store.description)

    store._get = down  # type: ignore[method-assign]
    with pytest.raises(HTTPError) as e:
        await manager.get("x.ipynb")
    assert e.value.status_code == 503
    assert store.description in e.value.log_message and "check" in e.value.log_message

    async def refused(*args, **kwargs):
        raise AuthFailed("401 from http://auth/v3 for user alice", store=store.description)

    store._head = refused  # type: ignore[method-assign]
    with pytest.raises(HTTPError) as e:
        await manager.get("x.ipynb", content=False)
    assert e.value.status_code == 503 and "credentials" in e.value.log_message


async def test_hidden_files_follow_allow_hidden_and_hide_globs(
    manager: ShelfContentsManager, store: ObjectStore
) -> None:
    for key in (".secret.txt", "visible.txt", "__pycache__/x.pyc", "x.pyc"):
        await store.put(key, b"1")
    names = sorted(m["name"] for m in (await manager.get(""))["content"])
    assert names == ["visible.txt"]  # dotfiles hidden, hide_globs (__pycache__, *.pyc) too
    manager.allow_hidden = True
    names = sorted(m["name"] for m in (await manager.get(""))["content"])
    assert names == [".secret.txt", "visible.txt"]
    assert await manager.is_hidden(".secret.txt") and await manager.is_hidden("a/.b/c")
    assert not await manager.is_hidden("a/b.txt")
