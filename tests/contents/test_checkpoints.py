"""ShelfCheckpoints: several per file, in the store, following their file."""

from __future__ import annotations

import pytest
from tornado.web import HTTPError

from nbshelf import ShelfContentsManager
from nbshelf.stores import ObjectStore


async def _text(cm: ShelfContentsManager, path: str, text: str) -> None:
    await cm.save({"type": "file", "format": "text", "content": text}, path)


async def _read(cm: ShelfContentsManager, path: str) -> str:
    return str((await cm.get(path))["content"])


async def test_checkpoints_keep_the_last_n_and_restore(manager: ShelfContentsManager) -> None:
    manager.checkpoints.keep = 3
    ids = []
    for version in range(5):
        await _text(manager, "f.txt", f"v{version}")
        ids.append((await manager.create_checkpoint("f.txt"))["id"])
    listed = await manager.list_checkpoints("f.txt")
    # oldest first on the wire; JupyterLab reverses it to offer the newest first
    assert [c["id"] for c in listed] == ids[-3:]
    assert listed[0]["last_modified"] <= listed[-1]["last_modified"]
    await _text(manager, "f.txt", "unsaved mess")
    await manager.restore_checkpoint(ids[2], "f.txt")
    assert await _read(manager, "f.txt") == "v2"


async def test_checkpoints_live_in_the_store_and_are_hidden(
    manager: ShelfContentsManager, store: ObjectStore
) -> None:
    await _text(manager, "f.txt", "v1")
    cp = await manager.create_checkpoint("f.txt")
    assert (await store.get(f".nbshelf/checkpoints/f.txt/{cp['id']}")).data == b"v1"
    root = await manager.get("")
    assert [m["name"] for m in root["content"]] == ["f.txt"]
    manager.allow_hidden = True
    root = await manager.get("")
    assert ".nbshelf" not in [m["name"] for m in root["content"]]
    for path in (".nbshelf", ".nbshelf/checkpoints", f".nbshelf/checkpoints/f.txt/{cp['id']}"):
        with pytest.raises(HTTPError) as e:
            await manager.get(path)
        assert e.value.status_code == 400  # .nbshelf/ is refused whatever the method
        with pytest.raises(HTTPError) as e:
            await manager.save({"type": "file", "format": "text", "content": "x"}, path)
        assert e.value.status_code == 400


async def test_checkpoints_follow_renames_and_deletes(manager: ShelfContentsManager) -> None:
    await _text(manager, "dir/a.txt", "a1")
    cp_a = await manager.create_checkpoint("dir/a.txt")
    await manager.rename("dir/a.txt", "dir/b.txt")
    assert await manager.list_checkpoints("dir/a.txt") == []
    assert [c["id"] for c in await manager.list_checkpoints("dir/b.txt")] == [cp_a["id"]]
    await manager.rename("dir", "moved")  # a folder's files take their checkpoints along
    assert [c["id"] for c in await manager.list_checkpoints("moved/b.txt")] == [cp_a["id"]]
    await manager.delete("moved/b.txt")
    assert await manager.list_checkpoints("moved/b.txt") == []


async def test_delete_one_checkpoint(manager: ShelfContentsManager) -> None:
    await _text(manager, "f.txt", "x")
    first = await manager.create_checkpoint("f.txt")
    second = await manager.create_checkpoint("f.txt")
    await manager.delete_checkpoint(first["id"], "f.txt")
    assert [c["id"] for c in await manager.list_checkpoints("f.txt")] == [second["id"]]
    with pytest.raises(HTTPError) as e:
        await manager.delete_checkpoint(first["id"], "f.txt")
    assert e.value.status_code == 404
    with pytest.raises(HTTPError) as e:
        await manager.restore_checkpoint("../../escape", "f.txt")
    assert e.value.status_code == 400


async def test_two_prefixes_never_share_checkpoints(store: ObjectStore, tmp_path) -> None:
    alice = ShelfContentsManager(root_dir=str(tmp_path), store_instance=store.with_prefix("alice"))
    bob = ShelfContentsManager(root_dir=str(tmp_path), store_instance=store.with_prefix("bob"))
    await _text(alice, "same.txt", "alice's")
    await _text(bob, "same.txt", "bob's")
    cp = await alice.create_checkpoint("same.txt")
    assert await bob.list_checkpoints("same.txt") == []
    with pytest.raises(HTTPError):
        await bob.restore_checkpoint(cp["id"], "same.txt")
    assert await _read(bob, "same.txt") == "bob's"
    assert (await store.head(f"alice/.nbshelf/checkpoints/same.txt/{cp['id']}")).size == 7


async def test_per_user_prefix_template(store: ObjectStore, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "carol")
    cm = ShelfContentsManager(
        root_dir=str(tmp_path), store_url="memory://tmpl", prefix="users/{username}"
    )
    await _text(cm, "n.txt", "c")
    assert (await cm.store.head("n.txt")).key == "n.txt"
    assert cm.store.prefix == "users/carol/"
