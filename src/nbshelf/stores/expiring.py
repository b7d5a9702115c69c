"""Credentials that expire, and when to ask for fresh ones.

On JupyterHub each single-user server holds short-lived credentials scoped to its
user (:mod:`nbshelf.hub`). A backend given a *credential source* (a callable returning
:class:`ExpiringCredentials`, e.g. the hub client's provider, whose ``IssuedCredentials``
fit this protocol) asks it again well before the credentials expire, keeps using the
current ones while it asks, and switches without a restart and without a failed request.
:class:`RefreshClock` is that timing, shared by the backends; it knows nothing of HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Protocol, runtime_checkable


@runtime_checkable
class ExpiringCredentials(Protocol):
    """Variables a backend reads its credentials from (``OS_*``, ``AWS_*``) and until when."""

    @property
    def env(self) -> Mapping[str, str]: ...

    @property
    def expires_at(self) -> datetime | None: ...


#: What a backend calls (in a worker thread: it may block) for fresh credentials.
CredentialSource = Callable[[], ExpiringCredentials]

#: Ask again when this much of the credentials' life is left (at most :data:`MAX_MARGIN`):
#: for 90-second credentials after 45 s, for one-hour credentials 5 minutes before the end.
MARGIN_FRACTION = 0.5
MAX_MARGIN = 300.0
#: After a failed attempt, wait this long before the next one (less if they expire sooner).
RETRY_AFTER = 5.0


class RefreshClock:
    """When the current credentials must be replaced: ``due`` (ask, keep using them) and
    ``expired`` (they no longer work: wait for fresh ones)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.expires: float | None = None  # epoch seconds; None: never
        self._refresh_at: float | None = None
        self._next_try = 0.0
        #: whether any credentials were accepted yet
        self.accepted_once = False

    def accepted(self, creds: ExpiringCredentials) -> None:
        """``creds`` are now in use."""
        now = self._clock()
        self.accepted_once = True
        if creds.expires_at is None:
            self.expires = self._refresh_at = None
            return
        at = creds.expires_at
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        self.expires = at.timestamp()
        life = max(0.0, self.expires - now)
        self._refresh_at = self.expires - min(MAX_MARGIN, life * MARGIN_FRACTION)
        self._next_try = 0.0

    def failed(self) -> None:
        """An attempt to get fresh credentials failed: try again a little later."""
        now = self._clock()
        wait = RETRY_AFTER
        if self.expires is not None:
            wait = min(wait, max(0.5, (self.expires - now) / 4))
        self._next_try = now + wait

    def is_newer(self, creds: ExpiringCredentials) -> bool:
        """Whether ``creds`` last longer than the current ones (a source that answers
        from a cache may hand back the same credentials)."""
        if creds.expires_at is None or self.expires is None:
            return True
        at = creds.expires_at
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        return at.timestamp() > self.expires

    @property
    def due(self) -> bool:
        now = self._clock()
        return self._refresh_at is not None and now >= self._refresh_at and now >= self._next_try

    @property
    def expired(self) -> bool:
        return self.expires is not None and self._clock() >= self.expires
