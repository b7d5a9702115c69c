"""Renewing expiring credentials for stores whose client library asks from its own threads.

A store opened with a ``credentials`` option (a credential source,
:mod:`.expiring`: on JupyterHub the hub client's provider) does not keep the credentials
it was built with. The S3 store (and any obstore store) keeps them in a
:class:`CredentialCache`:

* :meth:`CredentialCache.fresh` is awaited before each request (the store's
  ``_before_request`` hook): it returns the held credentials at once while they are not
  due (:class:`.expiring.RefreshClock`); once due but still valid it starts one refresh
  in the background and returns them; only when none are held, or they have expired,
  does the request wait for the source, in a worker thread, never on the event loop.
* :meth:`CredentialCache.current` is what the client library's own callback returns
  (obstore calls its ``credential_provider`` from its threads, before each request
  whose cached credentials have less than 5 minutes left): no network call unless
  nothing valid is held.

A source that fails raises :class:`~.errors.CredentialsUnavailable` (a kind of
:class:`~.errors.Unavailable`: a 503 that names where credentials come from, never a
secret). While the held credentials still work, a failed background refresh is only
logged and tried again a little later.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from .errors import CredentialsUnavailable, StoreError
from .expiring import CredentialSource, ExpiringCredentials, RefreshClock

log = logging.getLogger(__name__)


class CredentialCache:
    """The credentials a store uses now, renewed from ``source`` before they expire.

    ``where`` names the store, for messages. ``fetches`` counts the source's answers
    taken into use (the server's status endpoint shows it; tests assert it)."""

    def __init__(
        self, source: CredentialSource, *, where: str, clock: RefreshClock | None = None
    ) -> None:
        self.source = source
        self.where = where
        self.clock = clock or RefreshClock()
        self._held: ExpiringCredentials | None = None
        self._lock = threading.Lock()  # one call of the source at a time, whatever thread
        self._task: asyncio.Task[None] | None = None
        self.fetches = 0

    @property
    def refreshes(self) -> int:
        """Answers taken into use after the first one."""
        return max(0, self.fetches - 1)

    def _valid(self) -> ExpiringCredentials | None:
        return None if self._held is None or self.clock.expired else self._held

    def _fetch(self, *, ahead: bool) -> ExpiringCredentials:
        """Ask the source (blocking). ``ahead``: the held ones still work; a failure or
        the same credentials again keep them."""
        with self._lock:
            if self._held is not None and not self.clock.expired and not self.clock.due:
                return self._held  # another thread renewed them meanwhile
            try:
                creds = self.source()
            except Exception as e:
                if ahead and self._valid() is not None:
                    self.clock.failed()
                    log.warning(
                        "%s: credentials not renewed yet, the current ones are kept: %s",
                        self.where,
                        e,
                    )
                    return self._held  # type: ignore[return-value]
                if isinstance(e, StoreError):
                    raise
                raise CredentialsUnavailable(
                    f"fresh credentials could not be had ({e})", store=self.where
                ) from None
            if self._held is not None and not self.clock.is_newer(creds):
                self.clock.failed()  # the same credentials again: ask a little later
                if self._valid() is not None:
                    return self._held
            self._held = creds
            self.clock.accepted(creds)
            self.fetches += 1
            return creds

    def current(self) -> ExpiringCredentials:
        """The credentials to sign a request with now (blocking only when none valid)."""
        held = self._valid()
        return held if held is not None else self._fetch(ahead=False)

    async def fresh(self) -> ExpiringCredentials:
        """Before a request: valid credentials, renewed ahead of their expiry."""
        held = self._valid()
        if held is None:
            return await asyncio.to_thread(self._fetch, ahead=False)
        if self.clock.due and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._renew_ahead())
        return held

    async def _renew_ahead(self) -> None:
        """The background renewal; its failure is logged, and the next request, if the
        held credentials expired meanwhile, asks again and says why it cannot."""
        try:
            await asyncio.to_thread(self._fetch, ahead=True)
        except Exception as e:
            log.warning("%s: renewing the credentials failed: %s", self.where, e)

    def prime(self, creds: ExpiringCredentials) -> None:
        """Hold ``creds``, already fetched by the caller (it asked where the store is)."""
        with self._lock:
            self._held = creds
            self.clock.accepted(creds)
            self.fetches += 1
