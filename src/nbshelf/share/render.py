"""The rendered page of a shared notebook: nbconvert's HTML, lab template, outputs kept.

Shared pages are read by people other than the notebook's author, so every
notebook is treated as untrusted, as nbviewer treats them: ``sanitize_html``
strips scripts and event handlers from Markdown cells and HTML outputs, and
JavaScript outputs are dropped. Rendering is CPU work (and the first call
imports nbconvert): it runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from typing import Any

from .models import ShareError

_LOCK = threading.Lock()  # one exporter, used by one thread at a time


@functools.lru_cache(maxsize=1)
def _exporter() -> Any:
    try:
        from nbconvert import HTMLExporter
    except ImportError:
        raise ShareError(
            501, "rendering shared notebooks needs nbconvert: pip install 'nbshelf[share]'"
        ) from None
    return HTMLExporter(template_name="lab", sanitize_html=True)


def render_html_sync(data: bytes, title: str) -> bytes:
    """HTML of a notebook file's bytes; 400 if they are not a notebook."""
    import nbformat

    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as e:  # nbformat raises several kinds for bad JSON / schema
        raise ShareError(400, f"{title} is not a valid notebook ({type(e).__name__})") from None
    # never execute anything shipped inside the notebook's own outputs
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            out.get("data", {}).pop("application/javascript", None)
    with _LOCK:
        body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return str(body).encode("utf-8")


async def render_html(data: bytes, title: str) -> bytes:
    return await asyncio.to_thread(render_html_sync, data, title)
