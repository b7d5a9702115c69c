"""Keep JupyterLab's "New Notebook" working when jupytext is installed.

jupytext (1.19.6 checked) derives its contents manager from the configured one; for an
async manager (nbshelf's, and jupyter_server's default alike) its ``new_untitled`` calls
a synchronous ``increment_notebook_filename`` that tests ``any(self.exists(...))``
without awaiting: a coroutine is always true, so the loop never ends and the whole
server hangs on the first ``POST /api/contents {"type": "notebook"}``.

The repair keeps jupytext's own logic (its config, its formats) and gives it the answer
it needs synchronously: before jupytext's ``new_untitled`` runs, the folder is listed
once (one LIST, awaited), and ``increment_notebook_filename`` tests names against that
listing. It is applied only to a class whose ``increment_notebook_filename`` comes from
jupytext and whose ``exists`` is a coroutine function.
"""

from __future__ import annotations

import contextvars
import inspect
import itertools
from collections.abc import Callable, Coroutine
from typing import Any

from tornado.web import HTTPError

#: the names in the folder a ``new_untitled`` is creating in, while it runs
_TAKEN: contextvars.ContextVar[frozenset[str] | None] = contextvars.ContextVar(
    "nbshelf_untitled_taken", default=None
)
_REPAIRED = "_nbshelf_untitled_repaired"


def needs_repair(cls: type) -> bool:
    """True for jupytext's async manager with the un-awaited ``exists``."""
    increment = getattr(cls, "increment_notebook_filename", None)
    exists = getattr(cls, "exists", None)
    return (
        increment is not None
        and (getattr(increment, "__module__", "") or "").startswith("jupytext")
        and exists is not None
        and inspect.iscoroutinefunction(exists)
        and not getattr(cls, _REPAIRED, False)
    )


def _increment(config: Any, filename: str, taken: frozenset[str]) -> str:
    """jupytext's rule: ``Untitled.ipynb``, ``Untitled1.ipynb`` ... unique whatever
    the notebook extension (``Untitled.py`` takes ``Untitled.ipynb`` too)."""
    basename, dot, ext = filename.partition(".")
    extensions = list(getattr(config, "notebook_extensions", None) or [dot + ext])
    for i in itertools.count():
        stem = basename + (str(i) if i else "")
        if not any(stem + nb_ext in taken for nb_ext in extensions):
            return stem + dot + ext
    raise AssertionError("unreachable")  # pragma: no cover


def repair(cls: type) -> bool:
    """Patch ``cls`` in place; False when it needs no repair."""
    if not needs_repair(cls):
        return False
    original_new_untitled: Callable[..., Coroutine[Any, Any, Any]] = cls.new_untitled  # type: ignore[attr-defined]
    original_increment: Callable[..., str] = cls.increment_notebook_filename  # type: ignore[attr-defined]

    async def new_untitled(self: Any, path: str = "", type: str = "", ext: str = "") -> Any:
        if type != "notebook" and ext != ".ipynb":
            return await original_new_untitled(self, path, type, ext)
        try:
            listing = await self.get(path.strip("/"), content=True, type="directory")
        except HTTPError:
            # no such folder: jupytext's own dir_exists answers the 404
            return await original_new_untitled(self, path, type, ext)
        names = frozenset(entry["name"] for entry in listing.get("content") or [])
        token = _TAKEN.set(names)
        try:
            return await original_new_untitled(self, path, type, ext)
        finally:
            _TAKEN.reset(token)

    def increment_notebook_filename(self: Any, config: Any, filename: str, path: str = "") -> str:
        taken = _TAKEN.get()
        if taken is None:
            return original_increment(self, config, filename, path)
        return _increment(config, filename, taken)

    cls.new_untitled = new_untitled  # type: ignore[attr-defined]
    cls.increment_notebook_filename = increment_notebook_filename  # type: ignore[attr-defined]
    setattr(cls, _REPAIRED, True)
    return True


__all__ = ["needs_repair", "repair"]
