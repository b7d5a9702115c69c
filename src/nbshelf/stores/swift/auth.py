"""Authentication for the Swift store: one token shared by every thread's connection.

swiftclient's ``Connection`` is not thread-safe, so the store keeps one per
worker thread; they all share one :class:`SharedAuth`, so a token is fetched
once and renewed once (not once per thread) when Swift answers 401.

Tempauth v1 goes through swiftclient; Keystone v2/v3 and Rackspace through a
keystoneauth1 session (swiftclient's own Keystone path needs the old
python-keystoneclient). Rackspace's identity speaks Keystone v2.0 with an
API-key credential: :class:`RackspaceApiKey` is that one keystoneauth1 plugin.

Given a credential source (:mod:`nbshelf.stores.expiring`: on JupyterHub, the hub
client's provider of short-lived, per-user credentials), the credentials themselves
are replaced before they expire: the first thread to find them due asks the source,
signs in with the fresh ones and swaps the token while the others keep using the
current one; only once they have expired does a thread wait for fresh ones.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from swiftclient import client as swift_client

from ..base import RequestCounter
from ..errors import AuthFailed, CredentialsUnavailable, StoreError, Unavailable
from ..expiring import CredentialSource, ExpiringCredentials, RefreshClock
from .config import SwiftConfig

log = logging.getLogger("nbshelf.stores.swift")

try:  # keystoneauth1 is a dependency of the swift extra; tempauth works without it
    from keystoneauth1 import exceptions as ks_exc
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v2 as ks_v2
    from keystoneauth1.identity import v3 as ks_v3
except ImportError:  # pragma: no cover - exercised only without keystoneauth1
    ks_exc = ks_session = ks_v2 = ks_v3 = None  # type: ignore[assignment]


def _rackspace_plugin_class() -> Any:
    class RackspaceApiKey(ks_v2.Auth):
        """Keystone v2.0 auth with ``RAX-KSKEY:apiKeyCredentials`` (Rackspace identity)."""

        def __init__(self, auth_url: str, username: str, api_key: str, **kwargs: Any) -> None:
            super().__init__(auth_url, **kwargs)
            self.username = username
            self.api_key = api_key

        def get_auth_data(self, headers: Any = None) -> dict[str, Any]:
            return {
                "RAX-KSKEY:apiKeyCredentials": {"username": self.username, "apiKey": self.api_key}
            }

    return RackspaceApiKey


class SharedAuth:
    """The storage URL and token of one store, fetched and renewed under a lock."""

    def __init__(
        self,
        cfg: SwiftConfig,
        counter: RequestCounter,
        location: str,
        source: CredentialSource | None = None,
    ) -> None:
        self.cfg = cfg
        self.counter = counter
        self.location = location
        self.url: str | None = None
        self.token: str | None = None
        self._lock = threading.Lock()
        self._session: Any = None
        self._plugin: Any = None
        self._source = source
        self._clock = RefreshClock()
        self._refreshing = False
        self._source_error: StoreError | None = None

    @property
    def renews_ahead(self) -> bool:
        """Whether the credentials come from a source and are replaced before expiry."""
        return self._source is not None

    @property
    def source_error(self) -> StoreError | None:
        """Why the source gave no fresh credentials at the last 401 (None: it did, or
        there was no 401): what a request refused again with the current ones reports."""
        return self._source_error

    @property
    def can_renew(self) -> bool:
        return self.cfg.auth_version != "token" or self._source is not None

    def current(self) -> tuple[str, str]:
        """The shared URL and token, authenticating first if there is none yet, and
        replacing the credentials when their source's are due for renewal."""
        refresh = False
        with self._lock:
            if self.url is None or self.token is None or self._clock.expired:
                self._authenticate(force=self.token is not None)
            elif self._source is not None and self._clock.due and not self._refreshing:
                self._refreshing = refresh = True
            url, token = self.url, self.token
        assert url is not None and token is not None
        if refresh:  # outside the lock: the other threads keep the current token meanwhile
            try:
                self._refresh_ahead()
            finally:
                with self._lock:
                    self._refreshing = False
            with self._lock:
                url, token = self.url, self.token
            assert url is not None and token is not None
        return url, token

    def renew(self, stale: str | None) -> tuple[str, str]:
        """A new token, unless another thread already replaced ``stale``."""
        with self._lock:
            if self.token is None or (stale is not None and self.token == stale):
                self._authenticate(force=True)
            assert self.url is not None and self.token is not None
            return self.url, self.token

    # ------------------------------------------------------------ fresh credentials
    def _fetch(self) -> ExpiringCredentials:
        """The source's credentials; its failure as a store error naming what failed."""
        assert self._source is not None
        try:
            return self._source()
        except StoreError:
            raise
        except Exception as e:  # the source's message says where it asked and why it failed
            raise CredentialsUnavailable(
                f"fresh credentials could not be had ({e})", store=self.location
            ) from None

    def _take_fresh(self, force: bool) -> ExpiringCredentials | None:
        """Before signing in: the source's credentials to switch to (on first use, once
        the current ones are due or expired, and after a 401: ``force``, perhaps revoked),
        or None to keep the current ones. If the source fails while the current ones
        still work, they are kept."""
        have = self._clock.accepted_once
        self._source_error = None
        if have and not (force or self._clock.due or self._clock.expired):
            return None
        try:
            creds = self._fetch()
        except StoreError as e:
            if not have or self._clock.expired:
                raise
            self._source_error = e  # said instead, if the current ones are refused too
            self._clock.failed()
            log.warning(
                "%s: credentials not renewed yet, the current ones are kept: %s",
                self.location,
                e.message,
            )
            return None
        if have and not self._clock.is_newer(creds):
            return None
        return creds

    def _refresh_ahead(self) -> None:
        """Fresh credentials and a token from them before the current ones expire; on
        failure keep the current ones (still valid) and try again a little later."""
        try:
            creds = self._fetch()  # outside the lock: the slow part (the hub, Keystone)
            with self._lock:
                if not self._clock.is_newer(creds):
                    self._clock.failed()  # the same credentials again: ask later
                    return
                self._authenticate(creds=creds)
        except StoreError as e:
            with self._lock:
                self._clock.failed()
            log.warning(
                "%s: credentials not renewed yet, the current ones are kept: %s",
                self.location,
                e.message,
            )

    # ------------------------------------------------------------ the methods
    def _authenticate(self, force: bool = False, creds: ExpiringCredentials | None = None) -> None:
        """Sign in (under the lock); with a source, with its fresh credentials if due."""
        if self._source is not None and creds is None:
            creds = self._take_fresh(force)
        if creds is None:
            try:
                self._sign_in(force)
            except AuthFailed as e:
                raise self._refused(e) from None
            return
        saved = (self.cfg, self._plugin, self._session)
        try:
            self.cfg = self.cfg.with_credentials(creds.env)
            self._plugin = self._session = None
            self._sign_in(False)  # fresh credentials: a first sign-in, never a renewal
        except AuthFailed as e:
            self.cfg, self._plugin, self._session = saved
            raise self._refused(e) from None
        except BaseException:
            self.cfg, self._plugin, self._session = saved
            raise
        self._clock.accepted(creds)

    def _refused(self, e: AuthFailed) -> StoreError:
        """What to say when the credentials were refused: with a source, its reason if it
        could not give fresh ones, asked once more if it had not said (an admin may have
        disabled the user since it issued them: the source, say a hub, knows why); else
        the refusal itself."""
        if self._source is None:
            return e
        if self._source_error is None:
            try:
                self._fetch()
            except StoreError as reason:
                self._source_error = reason
        return self._source_error or e

    def _sign_in(self, force: bool) -> None:
        cfg = self.cfg
        if cfg.auth_version == "token":
            if self.token is not None and force:
                raise AuthFailed(
                    f"the pre-issued token was refused by {cfg.storage_url} and cannot be "
                    "renewed without credentials: give an auth URL, user and key instead",
                    store=self.location,
                )
            self.url, self.token = cfg.storage_url, cfg.auth_token
            return
        try:
            if cfg.auth_version == "1":
                self.counter.add("AUTH")
                url, token = swift_client.get_auth_1_0(
                    cfg.auth_url, cfg.account_name, cfg.account_key, timeout=cfg.timeout
                )
            else:
                url, token = self._keystone(force)
        except swift_client.ClientException as e:
            raise self._auth_error(e.http_status, e.http_reason) from None
        except StoreError:
            raise
        except Exception as e:
            raise self._ks_error(e) from None
        self.url = (cfg.storage_url or url).rstrip("/")
        self.token = token

    def _keystone(self, force: bool) -> tuple[str, str]:
        if ks_session is None:
            raise StoreError(
                "Keystone and Rackspace auth need keystoneauth1: pip install 'nbshelf[swift]'",
                store=self.location,
            )
        cfg = self.cfg
        if self._plugin is None:
            self._plugin = self._make_plugin()
            counted = self._plugin.get_auth_ref

            def get_auth_ref(session: Any, **kwargs: Any) -> Any:
                self.counter.add("AUTH")  # one POST to the identity service
                return counted(session, **kwargs)

            self._plugin.get_auth_ref = get_auth_ref
            self._session = ks_session.Session(auth=self._plugin, timeout=cfg.timeout)
        elif force:
            self._plugin.invalidate()
        token = self._session.get_token()
        if cfg.storage_url:
            return cfg.storage_url, token
        url = self._session.get_endpoint(
            service_type=cfg.service_type,
            service_name=cfg.service_name,
            interface=cfg.interface,
            region_name=cfg.region,
        )
        if not url:
            raise StoreError(self._no_endpoint_message(), store=self.location)
        return str(url), token

    def _make_plugin(self) -> Any:
        cfg = self.cfg
        auth_url = cfg.auth_url or ""
        password = cfg.account_key or ""
        if cfg.auth_version == "rackspace":
            return _rackspace_plugin_class()(
                cfg.auth_url,
                cfg.account_name,
                cfg.account_key,
                tenant_id=cfg.tenant_id,
                tenant_name=cfg.tenant_name,
            )
        if cfg.auth_version == "2":
            return ks_v2.Password(
                auth_url,
                username=cfg.account_name,
                password=password,
                tenant_id=cfg.tenant_id,
                tenant_name=cfg.tenant_name,
            )
        if cfg.application_credential_id:
            return ks_v3.ApplicationCredential(
                auth_url=auth_url,
                application_credential_id=cfg.application_credential_id,
                application_credential_secret=cfg.application_credential_secret or "",
            )
        user_domain_id = cfg.user_domain_id
        if not (cfg.user_domain_id or cfg.user_domain_name):
            user_domain_id = "default"
        project_domain_id = cfg.project_domain_id
        if not (cfg.project_domain_id or cfg.project_domain_name):
            project_domain_id = "default"
        return ks_v3.Password(
            auth_url=auth_url,
            username=cfg.account_name,
            password=password,
            project_name=cfg.project_name or cfg.tenant_name,
            project_id=cfg.project_id or cfg.tenant_id,
            user_domain_name=cfg.user_domain_name,
            user_domain_id=user_domain_id,
            project_domain_name=cfg.project_domain_name,
            project_domain_id=project_domain_id,
        )

    # ------------------------------------------------------------ errors
    def _auth_error(self, status: int | None, reason: str | None) -> StoreError:
        cfg = self.cfg
        if status in (401, 403):
            return AuthFailed(
                f"credentials refused by {cfg.auth_url} for {cfg.who} (HTTP {status}): "
                "check the user name and key",
                store=self.location,
            )
        if status is None or status >= 500:
            what = f"HTTP {status} {reason or ''}".strip() if status else "no answer"
            return Unavailable(
                f"the auth service {cfg.auth_url} failed ({what}): check that it is running "
                "and reachable",
                store=self.location,
            )
        return StoreError(
            f"authentication at {cfg.auth_url} for {cfg.who} failed (HTTP {status} {reason})",
            store=self.location,
        )

    def _ks_error(self, e: Exception) -> StoreError:
        cfg = self.cfg
        if ks_exc is not None:
            if isinstance(e, ks_exc.Unauthorized | ks_exc.Forbidden):
                return self._auth_error(getattr(e, "http_status", 401), None)
            if isinstance(e, ks_exc.EndpointNotFound | ks_exc.EmptyCatalog):
                return StoreError(self._no_endpoint_message(), store=self.location)
            if isinstance(e, ks_exc.HttpError):
                return self._auth_error(e.http_status, None)
            if isinstance(e, ks_exc.ConnectionError):
                return Unavailable(
                    f"cannot reach the auth service {cfg.auth_url} ({type(e).__name__}): "
                    "check the URL and that it is running",
                    store=self.location,
                )
        if isinstance(e, OSError) or "Connection" in type(e).__name__:
            return Unavailable(
                f"cannot reach the auth service {cfg.auth_url} ({type(e).__name__}): "
                "check the URL and that it is running",
                store=self.location,
            )
        return StoreError(
            f"authentication at {cfg.auth_url} for {cfg.who} failed ({type(e).__name__})",
            store=self.location,
        )

    def _no_endpoint_message(self) -> str:
        cfg = self.cfg
        where = f" in region {cfg.region}" if cfg.region else ""
        name = f" named {cfg.service_name}" if cfg.service_name else ""
        regions = ""
        try:
            access = self._plugin.get_access(self._session) if self._plugin else None
            if access is not None:
                eps = access.service_catalog.get_endpoints(service_type=cfg.service_type)
                found = sorted(
                    {
                        e.get("region") or e.get("region_id") or "?"
                        for lst in eps.values()
                        for e in lst
                    }
                )
                if found:
                    regions = f" (the catalog has regions {', '.join(found)})"
        except Exception:
            pass
        return (
            f"the service catalog of {cfg.auth_url} has no {cfg.interface} {cfg.service_type} "
            f"endpoint{name}{where}{regions}: check the region"
        )
