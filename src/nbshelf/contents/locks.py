"""Within one server: writes and folder operations on overlapping paths never interleave.

A folder rename is many copies then one bulk delete. A save that lands in the folder
between its copy and the delete would be answered 200 and then deleted with the
source; two renames of one folder would both copy everything. So:

- a *tree operation* (rename or delete of a file or folder, and the destination of a
  rename or copy) claims its paths and everything under them. A second tree operation
  on an overlapping path is refused at once (409: "proj is being moved to A");
- a *write* (save, new file, folder creation, the last chunk of an upload) into a claimed
  tree is refused at once with the same 409: it is never answered and then dropped;
- a tree operation waits, before it lists what it will move, for the writes already
  running under its paths to finish, so every write answered before it began is moved
  with the folder.

Everything runs on the server's event loop, so the checks and the claims are atomic
without a thread lock. Across servers, folder operations hold a lease in the store
(:mod:`.journal`); this module knows nothing of the store.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from tornado.web import HTTPError


def overlaps(a: str, b: str) -> bool:
    """Whether one path is the other or lies under it ("" is the root: under it, all)."""
    return a == b or not a or not b or a.startswith(b + "/") or b.startswith(a + "/")


def _under(path: str, tree: str) -> bool:
    return not tree or path == tree or path.startswith(tree + "/")


class PathLocks:
    """The paths of one server's running tree operations and writes."""

    def __init__(self) -> None:
        self._trees: dict[str, str] = {}  # claimed path -> what is happening to it
        self._writes: collections.Counter[str] = collections.Counter()
        self._changed = asyncio.Condition()

    def busy(self, path: str) -> str | None:
        """What is happening to a claimed tree holding ``path`` (None: nothing)."""
        for tree, what in self._trees.items():
            if _under(path, tree):
                return f"{tree or 'the root folder'} is {what}"
        return None

    @asynccontextmanager
    async def writing(self, path: str) -> AsyncIterator[None]:
        """Hold ``path`` while it is written; 409 at once inside a claimed tree."""
        busy = self.busy(path)
        if busy:
            raise HTTPError(409, f"{path} cannot be written now: {busy}; try again when it is done")
        self._writes[path] += 1
        try:
            yield
        finally:
            self._writes[path] -= 1
            if not self._writes[path]:
                del self._writes[path]
            async with self._changed:
                self._changed.notify_all()

    @asynccontextmanager
    async def tree(self, claims: Iterable[tuple[str, str]]) -> AsyncIterator[None]:
        """Claim every ``(path, what is happening to it)``: 409 at once if one overlaps a
        running tree operation; then wait for the writes already under them to finish."""
        claims = list(claims)
        for path, _ in claims:
            for tree, what in self._trees.items():
                if overlaps(path, tree):
                    raise HTTPError(
                        409,
                        f"{path} cannot change now: {tree or 'the root folder'} is {what}; "
                        "try again when it is done",
                    )
        mine = [path for path, _ in claims if path not in self._trees]
        for path, what in claims:
            self._trees.setdefault(path, what)
        try:
            async with self._changed:
                await self._changed.wait_for(
                    lambda: not any(_under(w, path) for w in self._writes for path, _ in claims)
                )
            yield
        finally:
            for path in mine:
                self._trees.pop(path, None)
