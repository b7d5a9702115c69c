"""Notebook trust with the signature hashed off the event loop (contents/trust.py): what
this server saved is trusted when opened again, small or large (past 1 MB parsing and
hashing run in a worker thread); a notebook with rich output written by another tool is
not; a manager that overrides jupyter_server's trust methods keeps its own."""

from __future__ import annotations

import base64
import os
from typing import Any

import nbformat
import pytest

from nbshelf import ShelfContentsManager


def _notebook(image_bytes: int) -> dict[str, Any]:
    cell = nbformat.v4.new_code_cell("plot()")
    png = base64.b64encode(os.urandom(image_bytes)).decode()
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png})]
    return nbformat.v4.new_notebook(cells=[cell])


def _trusted(model: dict[str, Any]) -> list[bool]:
    return [c["metadata"].get("trusted") for c in model["content"]["cells"]]


@pytest.mark.parametrize("image_bytes", [1_000, 2_000_000])
async def test_saved_notebooks_are_trusted_and_others_are_not(
    manager: ShelfContentsManager, image_bytes: int
) -> None:
    nb = _notebook(image_bytes)
    nb.cells[0].metadata["trusted"] = True  # as JupyterLab sends an output it ran
    await manager.save({"type": "notebook", "content": nb}, "mine.ipynb")
    assert _trusted(await manager.get("mine.ipynb")) == [True]
    # the same notebook written by another tool, its output changed: not signed here
    other = _notebook(image_bytes)
    await manager.store.put("theirs.ipynb", nbformat.writes(nbformat.from_dict(other)).encode())
    assert _trusted(await manager.get("theirs.ipynb")) == [False]
    # opened and saved back as it is (untrusted output): still not trusted
    opened = await manager.get("theirs.ipynb")
    await manager.save({"type": "notebook", "content": opened["content"]}, "theirs.ipynb")
    assert _trusted(await manager.get("theirs.ipynb")) == [False]


async def test_an_overridden_trust_method_is_still_called(
    manager: ShelfContentsManager,
) -> None:
    calls: list[str] = []

    class Custom(ShelfContentsManager):
        def mark_trusted_cells(self, nb: Any, path: str = "") -> None:
            calls.append(path)
            super().mark_trusted_cells(nb, path)

    custom = Custom(store_instance=manager.store)
    nb = _notebook(100)
    nb.cells[0].metadata["trusted"] = True
    await custom.save({"type": "notebook", "content": nb}, "c.ipynb")
    assert _trusted(await custom.get("c.ipynb")) == [True]
    assert calls == ["c.ipynb"]
