"""Notebook trust (nbformat's notary) with the notebook's HMAC computed off the event loop.

jupyter_server signs a notebook on save and checks its signature on open: both hash the
whole notebook (a walk of every cell and output: 20 ms for a notebook of 20 MB, on the
event loop). Here the hashing runs in the worker thread that parses or serialises the
notebook anyway, and only the signature database (SQLite, whose connection belongs to the
event loop's thread) is asked on the loop, as jupyter_server does. A manager or notary
that overrides jupyter_server's or nbformat's methods keeps its own, called as it is.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.services.contents.manager import ContentsManager
from nbformat.sign import NotebookNotary


def _default(manager: Any, method: str) -> bool:
    return getattr(type(manager), method) is getattr(ContentsManager, method)


def off_loop(manager: Any) -> bool:
    """Whether the notary's hashing may run in a worker thread: jupyter_server's own
    ``check_and_sign`` and ``mark_trusted_cells`` over nbformat's own notary."""
    notary = manager.notary
    return (
        _default(manager, "check_and_sign")
        and _default(manager, "mark_trusted_cells")
        and all(
            getattr(type(notary), m) is getattr(NotebookNotary, m)
            for m in ("compute_signature", "check_signature", "sign", "check_cells")
        )
    )


def digest_to_sign(manager: Any, nb: Any) -> str | None:
    """In a worker thread, before the notebook is serialised: its signature if every code
    cell is trusted (``check_cells`` also drops the cells' ``trusted`` flags, which are
    not saved), else None; "" for a notebook too old to be signed."""
    notary = manager.notary
    if not notary.check_cells(nb):
        return None
    return str(notary.compute_signature(nb)) if nb.nbformat >= 3 else ""


def store_signature(manager: Any, digest: str | None, path: str) -> None:
    """On the event loop: what ``check_and_sign`` does with the signature."""
    notary = manager.notary
    if digest is None:
        manager.log.warning("Notebook %s is not trusted", path)
        return
    if not digest:
        return
    try:
        notary.store.store_signature(digest, notary.algorithm)
    except Exception:
        manager.log.warning(
            "Signature store for notebook %s is corrupted or unavailable; recreating the store.",
            path,
            exc_info=True,
        )
        notary.store = notary.store_factory()
        notary.store.store_signature(digest, notary.algorithm)


def digest_to_check(manager: Any, nb: Any) -> str | None:
    """In a worker thread, after parsing: the signature to look up (None: too old)."""
    return str(manager.notary.compute_signature(nb)) if nb.nbformat >= 3 else None


def mark_cells(manager: Any, nb: Any, digest: str | None, path: str) -> None:
    """On the event loop: what ``mark_trusted_cells`` does with the signature."""
    notary = manager.notary
    trusted = digest is not None and bool(notary.store.check_signature(digest, notary.algorithm))
    if not trusted:
        manager.log.warning("Notebook %s is not trusted", path)
    notary.mark_cells(nb, trusted)


__all__ = ["digest_to_check", "digest_to_sign", "mark_cells", "off_loop", "store_signature"]
