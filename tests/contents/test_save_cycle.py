"""JupyterLab's save cycle, request by request, on every backend: poll for changes
(content=0, hash=1), ``file_exists`` (what jupyter_server's PUT handler asks), the save,
then the checkpoint JupyterLab creates after it. Counted exactly at the store and, where
there is one, at the real server: 3 requests (HEAD, PUT, COPY) once this server knows
the file's checkpoints, + 1 DELETE when the oldest is pruned."""

from __future__ import annotations

from typing import Any

import nbformat
import pytest

from nbshelf import ShelfContentsManager
from nbshelf.contents.checkpoints import ShelfCheckpoints
from tests.servers.backends import Backend

pytestmark = pytest.mark.backends("memory", "local", "swift", "s3-moto", "s3-swift")

NB = "cycle.ipynb"


def _model(text: str) -> dict[str, Any]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(text)])
    return {"type": "notebook", "format": "json", "content": nb}


async def _cycle(cm: ShelfContentsManager, text: str) -> dict[str, Any]:
    """What JupyterLab 4 sends for one save of an open notebook."""
    polled = await cm.get(NB, content=False, require_hash=True)
    assert polled["hash"]
    assert await cm.file_exists(NB)  # jupyter_server's PUT handler asks first
    saved = await cm.save(_model(text), NB)
    await cm.create_checkpoint(NB)
    return saved


def _manager(backend: Backend, keep: int = 3) -> ShelfContentsManager:
    cm = ShelfContentsManager(store_instance=backend.store)
    assert isinstance(cm.checkpoints, ShelfCheckpoints)
    cm.checkpoints.keep = keep
    return cm


async def test_save_cycle_is_three_requests(backend: Backend) -> None:
    cm = _manager(backend, keep=3)
    await cm.save(_model("v0"), NB)
    await _cycle(cm, "v1")  # the file's first checkpoint lists its checkpoints once
    for i in range(2, 4):  # checkpoints 2 and 3 of 3: nothing to prune
        backend.reset()
        saved = await _cycle(cm, f"v{i}")
        backend.assert_counts({"HEAD": 1, "PUT": 1, "COPY": 1})
    backend.reset()
    saved = await _cycle(cm, "v4")  # the 4th: the oldest goes, in the same cycle
    backend.assert_counts({"HEAD": 1, "PUT": 1, "COPY": 1, **backend.delete_cost(1)})
    listed = await cm.list_checkpoints(NB)
    assert len(listed) == 3
    # what the save said is what the next poll sees (no "file changed" dialog)
    polled = await cm.get(NB, content=False, require_hash=True)
    assert polled["last_modified"] == saved["last_modified"]
    restored = listed[-1]["id"]
    await cm.restore_checkpoint(restored, NB)
    assert (await cm.get(NB))["content"]["cells"][0]["source"] == "v4"


async def test_checkpoints_of_another_server_are_pruned_once_listed(backend: Backend) -> None:
    ours, theirs = _manager(backend, keep=2), _manager(backend, keep=2)
    await ours.save(_model("v0"), NB)
    await ours.create_checkpoint(NB)  # listed once: ours knows 1
    await theirs.create_checkpoint(NB)
    await theirs.create_checkpoint(NB)  # theirs pruned to 2 from its own listing
    backend.reset()
    await ours.create_checkpoint(NB)  # from what ours knows: 2 of its own, nothing pruned
    backend.assert_counts({"COPY": 1})
    assert len(await ours.list_checkpoints(NB)) == 3  # one more than keep, for now
    backend.reset()
    await ours.create_checkpoint(NB)  # the listing above taught ours every one of them
    backend.assert_counts({"COPY": 1, **backend.delete_cost(2)})
    assert len(await ours.list_checkpoints(NB)) == 2


async def test_knowledge_follows_renames_and_can_be_off(backend: Backend) -> None:
    cm = _manager(backend, keep=2)
    await cm.save(_model("v0"), NB)
    await cm.create_checkpoint(NB)
    await cm.rename(NB, "moved.ipynb")
    backend.reset()
    await cm.create_checkpoint("moved.ipynb")  # moved with the file: listed again
    backend.assert_counts({"COPY": 1, "LIST": 1})
    assert len(await cm.list_checkpoints("moved.ipynb")) == 2
    cm.checkpoints.known_seconds = 0  # list them at every checkpoint
    backend.reset()
    await cm.create_checkpoint("moved.ipynb")
    backend.assert_counts({"COPY": 1, "LIST": 1, **backend.delete_cost(1)})


class _ImportWatch:
    """A finder first in ``sys.meta_path`` that only records what is looked up: every
    import not already in ``sys.modules`` (a failed one included) passes through it."""

    def __init__(self) -> None:
        self.looked_up: list[str] = []

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        self.looked_up.append(name)
        return None


async def test_a_save_cycle_imports_nothing(backend: Backend) -> None:
    """Once warm, a save cycle looks up no module: httpcore (under the S3 store's httpx)
    imports ``sniffio`` at every lock it makes and, where it is not installed, searches
    ``sys.path`` for it each time (nbshelf[s3] installs it)."""
    import sys

    cm = _manager(backend, keep=3)
    await cm.save(_model("v0"), NB)
    await _cycle(cm, "warm")
    watch = _ImportWatch()
    sys.meta_path.insert(0, watch)
    try:
        await _cycle(cm, "v1")
        await _cycle(cm, "v2")
    finally:
        sys.meta_path.remove(watch)
    assert watch.looked_up == []
