"""The export's resources folder on object stores (contents/export.py), as docs/ecosystem.md
states it: only the relative references of Markdown cells are fetched, one GET each, at
most MAX_FILES files of at most MAX_BYTES each, never above the store's root nor under
.nbshelf/; folders older than KEEP_SECONDS are removed by a later export."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import nbformat
import pytest

from nbshelf.contents import export
from nbshelf.stores import open_store


def _nb(*markdown: str) -> dict:
    return dict(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdown])
    )


def test_only_relative_references_inside_the_store() -> None:
    nb = _nb(
        "![a](a.png) ![b](<img/b%20c.png>) <img src='d.svg' width=3>",
        "![web](https://example.org/x.png) ![data](data:image/png;base64,AA==)",
        "![att](attachment:e.png) ![abs](/top.png) ![up](../../../escape.png)",
        "![own](../../.nbshelf/checkpoints/x) ![same](a.png)",
    )
    nb["cells"].append(nbformat.v4.new_code_cell("'![code](code.png)'"))
    assert export.referenced_files(nb, "proj/sub") == [
        "proj/sub/a.png",
        "proj/sub/img/b c.png",
        "proj/sub/d.svg",
    ]
    many = _nb(*(f"![{i}](f{i}.png)" for i in range(export.MAX_FILES + 10)))
    assert len(export.referenced_files(many, "")) == export.MAX_FILES


async def test_fill_gets_each_file_once_and_skips_the_big_and_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(export, "MAX_BYTES", 1000)
    store = open_store(f"memory://export-{uuid.uuid4().hex[:8]}")
    await store.put("p/small.png", b"x" * 1000)
    await store.put("p/big.png", b"x" * 1001)
    folders = export.ExportFolders()
    os_path = folders.os_path("p/n.ipynb")
    store.requests.reset()
    await folders.fill(store, "p/n.ipynb", _nb("![s](small.png) ![b](big.png) ![m](gone.png)"))
    assert store.requests.snapshot() == {"GET": 3}
    here = Path(os_path).parent
    assert sorted(os.listdir(here)) == ["small.png"]
    # an export that was not asked for (no os_path first) fetches nothing
    store.requests.reset()
    await folders.fill(store, "p/n.ipynb", _nb("![s](small.png)"))
    assert store.requests.total == 0


def test_old_folders_are_removed_by_a_later_export(monkeypatch: pytest.MonkeyPatch) -> None:
    folders = export.ExportFolders()
    first = Path(folders.os_path("a/n.ipynb")).parents[1]
    assert first.is_dir()
    monkeypatch.setattr(export, "KEEP_SECONDS", 0.0)
    folders.os_path("b/n.ipynb")
    assert not first.exists()
