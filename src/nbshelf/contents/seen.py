"""What this server itself read or wrote a moment ago, so it need not ask the store again.

jupyter_server's PUT handler asks ``file_exists`` before every save, and JupyterLab polls
just before it saves: answering from here keeps a save at one request. A stale answer
only changes the status code of the save (200 versus 201).
"""

from __future__ import annotations

import time
from collections import OrderedDict


class RecentlySeen:
    """Paths seen in the last ``ttl`` seconds (at most ``size``, oldest forgotten first)."""

    def __init__(self, ttl: float = 5.0, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._seen: OrderedDict[str, float] = OrderedDict()

    def remember(self, path: str) -> None:
        self._seen[path] = time.monotonic()
        self._seen.move_to_end(path)
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)

    def forget(self, path: str) -> None:
        """Forget a path and everything under it (it was renamed or deleted)."""
        for key in [k for k in self._seen if k == path or k.startswith(path + "/")]:
            del self._seen[key]

    def __contains__(self, path: str) -> bool:
        when = self._seen.get(path)
        return when is not None and time.monotonic() - when < self.ttl
