"""Swift behind Keystone: one container per user, reachable by that user's Keystone user only.

The layout (docs/jupyterhub.md, "Swift / Keystone"): every user's notebooks live in
the container ``notebooks-{username}`` of one Swift account, the account of a Keystone
project the admin creates for nbshelf (``notebooks``). The hub side signs in as a
Keystone user holding an operator role on that project (and the right to create users);
for each JupyterHub user it keeps

* a Keystone user ``nbshelf-{username}`` whose only role on the project is
  :attr:`KeystoneIssuer.role`, which is no Swift operator role: on its own it reaches
  nothing in the account (checked at every issue, see below);
* the container, whose ACLs (``X-Container-Read`` / ``X-Container-Write``) name that user
  alone, by ids (``<project id>:<user id>``): listing, reading, writing and deleting in
  it and nowhere else; no account listing, no container creation, no ACL change;

and hands the user's server a **restricted application credential** of that user,
expiring after :attr:`KeystoneIssuer.lifetime` seconds (Keystone caps the tokens made
from it at that time, and a restricted credential cannot mint another credential or a
trust), the server asking again before it expires.

Why not an application credential restricted by access rules (one shared Keystone user,
one rule per container)? Swift's authtoken (keystonemiddleware 13) refuses every token
carrying access rules unless ``service_type`` is set in its configuration, and where it
is set, it skips the rules for a request that also carries a valid ``X-Service-Token``;
where ``service_token_roles_required`` is false (the default up to at least
keystonemiddleware 10.1, Debian 12's), the user's own
token sent again as service token will do, and a kernel reaches the whole account
(tests/hub/test_swift_keystone.py shows both; docs/jupyterhub.md says more).

The per-user Keystone user's password is never stored: it is an HMAC of its name under
:attr:`KeystoneIssuer.user_key`, so any hub process holding that key signs in as the user;
if the key changes, the password is reset once (which revokes the user's earlier tokens:
a server's next request is refused once, 401, and sent again with fresh credentials).

Before handing out a credential the issuer checks, as the user, that the token holds no
role but :attr:`KeystoneIssuer.role` and that Swift refuses it the account listing: a
user given an operator role by mistake is refused credentials, never given the account.

Share links: each container has a temp-URL key of its own, which only the account's
operators see; :meth:`KeystoneIssuer.sign_url` signs a TempURL inside the asking user's
container for as long as the user chose (the service's ``POST sign``), since a link
signed with the server's short-lived credentials could not outlive them.
"""

from __future__ import annotations

import base64
import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlsplit

from traitlets import Float, Integer, Unicode, default
from traitlets.config import LoggingConfigurable

from ..stores.errors import StoreError
from ..stores.location import USERNAME, check_username
from .credentials import IssuedCredentials, IssueRefused

try:  # the swift extra
    from keystoneauth1 import exceptions as ks_exc
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3 as ks_v3
    from swiftclient.utils import generate_temp_url
except ImportError:  # pragma: no cover - exercised only without keystoneauth1
    ks_exc = ks_session = ks_v3 = generate_temp_url = None  # type: ignore[assignment]

log = logging.getLogger("nbshelf.hub.keystone")

#: Environment variables of the hub side's own secrets (never in a config file).
ENV_ADMIN_PASSWORD = "NBSHELF_KEYSTONE_ADMIN_PASSWORD"
ENV_USER_KEY = "NBSHELF_KEYSTONE_USER_KEY"
#: Names of the application credentials the issuer makes (its own, deleted once expired).
CREDENTIAL_PREFIX = "nbshelf-"
#: The container metadata holding the key that signs its links (TempURLs).
TEMP_URL_KEY = "X-Container-Meta-Temp-URL-Key"
#: Longest link signed here (TempURLs have no limit of their own): about ten years.
MAX_LINK_SECONDS = 3650 * 86400
#: The option of IssuedCredentials by which the server learns the hub signs its links.
HUB_SIGNS_LINKS = "hub_signs_links"
#: Shortest lifetime allowed: a server must have time to use them before asking again.
MIN_LIFETIME = 60
#: Keystone user options that keep a machine user's password usable: it is reset by the
#: hub, never by a person (no first-use change, no expiry, no lockout).
USER_OPTIONS = {
    "ignore_change_password_upon_first_use": True,
    "ignore_password_expiry": True,
    "ignore_lockout_failure_attempts": True,
}


@dataclass
class _Reply:
    status: int
    headers: dict[str, str]
    body: Any


class KeystoneIssuer(LoggingConfigurable):
    """Per-user Swift containers and short-lived Keystone application credentials."""

    auth_url = Unicode(
        "", config=True, help="Keystone's URL (with or without /v3), as the hub reaches it."
    )
    admin_username = Unicode(
        "nbshelf-hub",
        config=True,
        help="The hub side's Keystone user: an operator role (e.g. admin) on `project`, "
        "and the right to create users and grant `role` (Keystone's admin role).",
    )
    admin_password = Unicode(
        config=True,
        help=f"Its password (default: ${ENV_ADMIN_PASSWORD}; keep it out of config files).",
    )
    admin_user_domain = Unicode("Default", config=True, help="The domain of admin_username.")
    project = Unicode(
        "notebooks",
        config=True,
        help="The Keystone project whose Swift account holds every user's container.",
    )
    project_domain = Unicode("Default", config=True, help="The domain of `project`.")
    user_domain = Unicode(
        "Default",
        config=True,
        help="The domain the per-user Keystone users are created in (its name).",
    )
    user_name_template = Unicode(
        "nbshelf-{username}", config=True, help="The per-user Keystone user's name."
    )
    container_template = Unicode(
        "notebooks-{username}", config=True, help="The per-user Swift container's name."
    )
    role = Unicode(
        "nbshelf-notebooks",
        config=True,
        help="The one role the per-user users hold on `project`: it must NOT be one of "
        "Swift's operator_roles (nor project_reader_roles); the ACLs grant the rest.",
    )
    lifetime = Integer(
        3600,
        config=True,
        help=f"Seconds an application credential lasts (at least {MIN_LIFETIME}); the "
        "server asks again before it expires.",
    )
    user_key = Unicode(
        config=True,
        help="The secret the per-user passwords are derived from (default: "
        f"${ENV_USER_KEY}; if unset, a random key per process: passwords are then reset "
        "once after each restart of the hub side).",
    )
    region = Unicode("", config=True, help="The object-store region (when there are several).")
    interface = Unicode("public", config=True, help="The catalog interface the servers use.")
    timeout = Float(30.0, config=True, help="Seconds for each Keystone or Swift request.")

    @default("admin_password")
    def _admin_password_default(self) -> str:
        return os.environ.get(ENV_ADMIN_PASSWORD, "")

    @default("user_key")
    def _user_key_default(self) -> str:
        return os.environ.get(ENV_USER_KEY, "") or secrets.token_hex(32)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if ks_session is None:  # pragma: no cover
            raise IssueRefused(
                "the Keystone issuer needs keystoneauth1: pip install 'nbshelf[swift]'"
            )
        self._admin: Any = None
        self._ids: dict[str, str] = {}  # what was looked up once: project, role, domain
        self._users: dict[str, str] = {}  # Keystone user name -> id
        self._temp_url_keys: dict[str, str] = {}  # container -> its temp-URL key
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        #: requests sent, by kind (tests assert them; the hub may log them)
        self.requests: dict[str, int] = {}

    # ------------------------------------------------------------------ the contract
    def issue(self, username: str) -> IssuedCredentials:
        """A restricted application credential of ``username``'s Keystone user, reaching
        ``username``'s container only, expiring after :attr:`lifetime` seconds."""
        try:
            check_username(username)
        except StoreError as e:
            raise IssueRefused(e.message) from None
        if self.lifetime < MIN_LIFETIME:
            raise IssueRefused(
                f"KeystoneIssuer.lifetime is {self.lifetime} s: it must be at least "
                f"{MIN_LIFETIME} s"
            )
        with self._user_lock(username), self._errors():
            return self._issue(username)

    # ------------------------------------------------------------------ the steps
    def _issue(self, username: str) -> IssuedCredentials:
        kname = self.user_name_template.replace(USERNAME, username)
        container = self.container_template.replace(USERNAME, username)
        project_id = self._project_id()
        storage = self._storage_url()
        user_id = self._ensure_user(kname)
        self._ensure_container(storage, container, f"{project_id}:{user_id}")
        user = self._user_session(kname, user_id)
        self._check_isolated(user, storage, kname)
        cred_id, secret, expires = self._application_credential(user, user_id, container)
        self._sweep(user, user_id)
        env = {
            "OS_AUTH_URL": self._v3,
            "OS_AUTH_TYPE": "v3applicationcredential",
            "OS_APPLICATION_CREDENTIAL_ID": cred_id,
            "OS_APPLICATION_CREDENTIAL_SECRET": secret,
            "OS_INTERFACE": self.interface,
        }
        if self.region:
            env["OS_REGION_NAME"] = self.region
        log.info(
            "issued application credential %s of Keystone user %s for container %s, until %s",
            cred_id,
            kname,
            container,
            expires.isoformat(),
        )
        return IssuedCredentials(
            store_url=f"swift://{container}",
            env=env,
            expires_at=expires,
            options={HUB_SIGNS_LINKS: True},
        )

    def sign_url(self, username: str, key: str, expires_in: int) -> str:
        """A TempURL GET of ``key`` in ``username``'s container, signed here with the
        container's own key (which no user sees), for as long as asked: a share link
        outlives the server's short-lived credentials."""
        try:
            check_username(username)
        except StoreError as e:
            raise IssueRefused(e.message) from None
        parts = key.split("/")
        if not key or any(p in ("", ".", "..") for p in parts[:-1]) or parts[-1] in (".", ".."):
            raise IssueRefused(f"{username} may not sign a link to {key!r}: not an object name")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
            raise IssueRefused(f"{username} may not sign a link to a key with control characters")
        if not 0 < expires_in <= MAX_LINK_SECONDS:
            raise IssueRefused(f"a link lasts 1 s to {MAX_LINK_SECONDS // 86400} days")
        container = self.container_template.replace(USERNAME, username)
        with self._user_lock(username), self._errors():
            secret = self._temp_url_keys.get(container)
            if secret is None:  # this process has not issued to the user yet
                storage = self._storage_url()
                kname = self.user_name_template.replace(USERNAME, username)
                grantee = f"{self._project_id()}:{self._ensure_user(kname)}"
                self._ensure_container(storage, container, grantee)
                secret = self._temp_url_keys[container]
            storage = self._storage_url()
        base = urlsplit(storage)
        path = f"{base.path}/{container}/{key}"
        signed = generate_temp_url(path, int(expires_in), secret, "GET", digest="sha256")
        query = str(signed.decode() if isinstance(signed, bytes) else signed).split("?", 1)[1]
        return f"{base.scheme}://{base.netloc}{quote(path)}?{query}"

    def _project_id(self) -> str:
        if "project" not in self._ids:
            self._admin_session()  # scoped to the project: its id comes with the token
            self._ids["project"] = self._admin.get_project_id()
        return self._ids["project"]

    def _storage_url(self) -> str:
        if "storage" not in self._ids:
            try:
                url = self._admin_session().get_endpoint(
                    service_type="object-store",
                    interface=self.interface,
                    region_name=self.region or None,
                )
            except ks_exc.EndpointNotFound:
                url = None
            if not url:
                where = f" in region {self.region}" if self.region else ""
                raise IssueRefused(
                    f"Keystone's catalog at {self._v3} has no {self.interface} object-store "
                    f"endpoint{where}: register Swift's endpoint or set KeystoneIssuer.region"
                )
            self._ids["storage"] = str(url).rstrip("/")
        return self._ids["storage"]

    def _role_id(self) -> str:
        if "role" not in self._ids:
            found = self._get(f"/roles?name={quote(self.role)}", "look up role").body["roles"]
            if not found:
                raise IssueRefused(
                    f"Keystone has no role {self.role!r}: create it (`openstack role create "
                    f"{self.role}`); it must not be one of Swift's operator roles"
                )
            self._ids["role"] = found[0]["id"]
        return self._ids["role"]

    def _domain_id(self) -> str:
        if "domain" not in self._ids:
            name = self.user_domain
            found = self._get(f"/domains?name={quote(name)}", "look up domain").body["domains"]
            if not found:
                raise IssueRefused(f"Keystone has no domain {name!r} (KeystoneIssuer.user_domain)")
            self._ids["domain"] = found[0]["id"]
        return self._ids["domain"]

    def _ensure_user(self, kname: str) -> str:
        """The per-user Keystone user's id, creating it (and its one role) if missing."""
        if kname in self._users:
            return self._users[kname]
        domain_id = self._domain_id()
        path = f"/users?name={quote(kname)}&domain_id={quote(domain_id)}"
        found = self._get(path, "look up user").body["users"]
        if found:
            user = found[0]
            if not user.get("enabled", True):
                raise self._disabled(kname)
        else:
            body = {
                "user": {
                    "name": kname,
                    "domain_id": domain_id,
                    "password": self._password(kname),
                    "description": "nbshelf: one JupyterHub user's notebooks (made by the hub)",
                    "options": USER_OPTIONS,
                }
            }
            reply = self._send("POST", "/users", "create user", json=body, ok=(201, 409))
            if reply.status == 409:  # made meanwhile by another hub process
                user = self._get(path, "look up user").body["users"][0]
            else:
                user = reply.body["user"]
                log.info("created Keystone user %s (%s)", kname, user["id"])
        self._grant(user["id"])
        self._users[kname] = user["id"]
        return str(user["id"])

    def _grant(self, user_id: str) -> None:
        path = f"/projects/{self._project_id()}/users/{user_id}/roles/{self._role_id()}"
        self._send("PUT", path, "grant the role", ok=(200, 201, 204))

    def _ensure_container(self, storage: str, container: str, grantee: str) -> None:
        """The container, with ACLs naming ``grantee`` (``project id:user id``) alone, and
        a temp-URL key of its own (for links signed here; only the account's operators
        see it)."""
        url = f"{storage}/{quote(container)}"
        acl = {"X-Container-Read": grantee, "X-Container-Write": grantee}
        head = self._swift("HEAD", url, "look at the container", ok=(200, 204, 404))
        if head.status == 404:
            key = secrets.token_urlsafe(32)
            headers = {**acl, TEMP_URL_KEY: key}
            self._swift("PUT", url, "create the container", headers=headers, ok=(201, 202))
            self._temp_url_keys[container] = key
            log.info("created container %s for %s", container, grantee)
            return
        have = {k.lower(): v for k, v in head.headers.items()}
        fix = {k: v for k, v in acl.items() if have.get(k.lower(), "") != v}
        key = have.get(TEMP_URL_KEY.lower(), "")
        if not key:
            key = fix[TEMP_URL_KEY] = secrets.token_urlsafe(32)
        self._temp_url_keys[container] = key
        if fix:
            self._swift("POST", url, "set the container's ACLs", headers=fix, ok=(204,))
            if set(fix) & set(acl):  # broader or other ACLs than this user alone
                log.warning("container %s had other ACLs: set to %s only", container, grantee)

    def _user_session(self, kname: str, user_id: str) -> Any:
        """A session of the per-user user, scoped to the project; its password reset
        (and its role granted again) once if Keystone refuses it."""
        for attempt in (1, 2):
            sess = ks_session.Session(
                auth=ks_v3.Password(
                    auth_url=self._v3,
                    user_id=user_id,
                    password=self._password(kname),
                    project_id=self._project_id(),
                ),
                timeout=self.timeout,
            )
            try:
                self._count("AUTH")
                sess.get_token()
                return sess
            except ks_exc.Unauthorized:
                if attempt == 2:
                    raise IssueRefused(
                        f"Keystone refuses user {kname} on project {self.project} even after "
                        "its password was reset and its role granted again: check that the "
                        "user, its domain and the project are enabled"
                    ) from None
            self._recover_user(kname, user_id)
        raise AssertionError("unreachable")

    def _recover_user(self, kname: str, user_id: str) -> None:
        """Keystone refused the user: say so if an admin disabled or deleted it, else
        reset its password (the key changed?) and grant its role again."""
        reply = self._send("GET", f"/users/{user_id}", "look up user", ok=(200, 404))
        if reply.status == 404:
            self._users.pop(kname, None)
            raise IssueRefused(
                f"Keystone user {kname} was deleted meanwhile: it is made again at the next request"
            )
        if not reply.body["user"].get("enabled", True):
            self._users.pop(kname, None)
            raise self._disabled(kname)
        body = {"user": {"password": self._password(kname), "options": USER_OPTIONS}}
        self._send("PATCH", f"/users/{user_id}", "reset the user's password", json=body)
        self._grant(user_id)
        log.warning("reset the password of Keystone user %s (the key changed?)", kname)
        # the reset revokes the user's tokens issued up to this second (Keystone's
        # revocation events have a one-second resolution): sign in in the next one
        time.sleep(1.0 - time.time() % 1.0 + 0.05)

    @staticmethod
    def _disabled(kname: str) -> IssueRefused:
        return IssueRefused(
            f"Keystone user {kname} is disabled: an admin disabled it; enable it "
            f"(`openstack user set --enable {kname}`) to let this user's server in"
        )

    def _check_isolated(self, user: Any, storage: str, kname: str) -> None:
        """Refuse to hand out credentials that would reach more than the container."""
        roles = set(user.auth.get_access(user).role_names)
        extra = sorted(roles - {self.role})
        if extra:
            raise IssueRefused(
                f"Keystone user {kname} holds roles {', '.join(extra)} on project "
                f"{self.project} besides {self.role}: they may reach every user's container; "
                f"remove them (`openstack role remove --user {kname} --project {self.project} "
                "ROLE`)"
            )
        self._count("LIST")
        r = user.get(storage, raise_exc=False, headers={"Accept": "application/json"})
        if r.status_code < 400:
            raise IssueRefused(
                f"Swift lets Keystone user {kname} list the whole account of project "
                f"{self.project}: the role {self.role} is one of Swift's operator_roles or "
                "project_reader_roles; use another role"
            )
        if r.status_code not in (401, 403):
            raise IssueRefused(f"Swift at {storage} answered HTTP {r.status_code}: is it running?")

    def _application_credential(
        self, user: Any, user_id: str, container: str
    ) -> tuple[str, str, datetime]:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        expires = now + timedelta(seconds=self.lifetime)
        body = {
            "application_credential": {
                "name": f"{CREDENTIAL_PREFIX}{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}",
                "description": f"nbshelf: {container}, issued by the hub side",
                "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                "unrestricted": False,
                "roles": [{"id": self._role_id()}],
            }
        }
        reply = self._user_send(
            user, "POST", f"/users/{user_id}/application_credentials", body, ok=(201,)
        )
        cred = reply.body["application_credential"]
        return str(cred["id"]), str(cred["secret"]), expires

    def _sweep(self, user: Any, user_id: str) -> None:
        """Delete this user's expired nbshelf application credentials (they pile up)."""
        path = f"/users/{user_id}/application_credentials"
        reply = self._user_send(user, "GET", path, None, ok=(200,))
        now = datetime.now(timezone.utc)
        for cred in reply.body.get("application_credentials", []):
            at = cred.get("expires_at")
            if not str(cred.get("name", "")).startswith(CREDENTIAL_PREFIX) or not at:
                continue
            when = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            if when < now:
                self._user_send(user, "DELETE", f"{path}/{cred['id']}", None, ok=(204, 404))

    # ------------------------------------------------------------------ plumbing
    @property
    def _v3(self) -> str:
        url = self.auth_url.rstrip("/")
        if not url:
            raise IssueRefused("KeystoneIssuer.auth_url is not set: give Keystone's URL")
        return url if url.endswith("/v3") else url + "/v3"

    def _password(self, kname: str) -> str:
        mac = hmac.new(self.user_key.encode(), f"{self.user_domain}/{kname}".encode(), "sha256")
        # upper, lower, digit and symbol: what a password_regex usually asks for
        return "Nb1-" + base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")

    def _admin_session(self) -> Any:
        if self._admin is None:
            if not self.admin_password:
                raise IssueRefused(
                    f"no password for the hub side's Keystone user {self.admin_username}: "
                    f"set ${ENV_ADMIN_PASSWORD} (or KeystoneIssuer.admin_password)"
                )
            plugin = ks_v3.Password(
                auth_url=self._v3,
                username=self.admin_username,
                password=self.admin_password,
                user_domain_name=self.admin_user_domain,
                project_name=self.project,
                project_domain_name=self.project_domain,
            )
            sess = ks_session.Session(auth=plugin, timeout=self.timeout)
            try:
                self._count("AUTH")
                sess.get_token()
            except ks_exc.Unauthorized:
                raise IssueRefused(
                    f"Keystone at {self._v3} refuses the hub side's user {self.admin_username} "
                    f"(domain {self.admin_user_domain}) on project {self.project}: check its "
                    f"password (${ENV_ADMIN_PASSWORD}) and that it has a role on that project"
                ) from None
            self._admin = sess
        return self._admin

    def _get(self, path: str, what: str) -> _Reply:
        return self._send("GET", path, what, ok=(200,))

    def _send(
        self,
        method: str,
        path: str,
        what: str,
        *,
        json: Any = None,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> _Reply:
        """An identity request as the hub side's user."""
        self._count(f"KEYSTONE {method}")
        r = self._admin_session().request(self._v3 + path, method, json=json, raise_exc=False)
        return self._reply(r, what, ok, f"the hub side's user {self.admin_username}")

    def _user_send(
        self, user: Any, method: str, path: str, json: Any, *, ok: tuple[int, ...]
    ) -> _Reply:
        """An identity request as the per-user user (its own application credentials)."""
        self._count(f"KEYSTONE {method}")
        r = user.request(self._v3 + path, method, json=json, raise_exc=False)
        return self._reply(r, "manage its application credentials", ok, "the per-user user")

    def _swift(
        self,
        method: str,
        url: str,
        what: str,
        *,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...],
    ) -> _Reply:
        """A Swift request as the hub side's user (an operator of the account)."""
        self._count(f"SWIFT {method}")
        r = self._admin_session().request(url, method, headers=headers or {}, raise_exc=False)
        if r.status_code in (401, 403):
            raise IssueRefused(
                f"Swift refuses the hub side's user {self.admin_username} to {what} in the "
                f"account of project {self.project} (HTTP {r.status_code}): give it one of "
                "Swift's operator_roles (e.g. admin or member) on that project"
            )
        return self._reply(r, what, ok, f"the hub side's user {self.admin_username}")

    def _reply(self, r: Any, what: str, ok: tuple[int, ...], who: str) -> _Reply:
        if r.status_code not in ok:
            detail = ""
            with suppress(Exception):
                detail = str(r.json().get("error", {}).get("message", ""))[:200]
            hint = ""
            if r.status_code == 403:
                hint = ": it lacks the permission (Keystone's admin role is needed)"
            raise IssueRefused(
                f"{who} could not {what}: HTTP {r.status_code}"
                + (f" ({detail})" if detail else "")
                + hint
            )
        body: Any = None
        if r.content:
            try:
                body = r.json()
            except ValueError:
                body = None
        return _Reply(r.status_code, dict(r.headers), body)

    def _count(self, kind: str) -> None:
        self.requests[kind] = self.requests.get(kind, 0) + 1

    @contextmanager
    def _user_lock(self, username: str) -> Iterator[None]:
        with self._locks_lock:
            lock = self._locks.setdefault(username, threading.Lock())
        with lock:
            yield

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Keystone or Swift out of reach, or failing: a refusal saying which and where."""
        try:
            yield
        except IssueRefused:
            raise
        except Exception as e:
            if ks_exc is not None and isinstance(e, ks_exc.ConnectFailure | ks_exc.ConnectionError):
                raise IssueRefused(
                    f"Keystone or Swift cannot be reached from the hub side ({type(e).__name__} "
                    f"at {self.auth_url}): check that they are running and reachable"
                ) from None
            if ks_exc is not None and isinstance(e, ks_exc.Unauthorized | ks_exc.Forbidden):
                self._admin = None  # signed out meanwhile (password changed?): sign in again
                raise IssueRefused(
                    f"Keystone at {self.auth_url} refused a request of the hub side "
                    f"({type(e).__name__}): check the hub side's Keystone user and its roles"
                ) from None
            if ks_exc is not None and isinstance(e, ks_exc.HttpError):
                raise IssueRefused(
                    f"Keystone at {self.auth_url} failed (HTTP {e.http_status}): check its log"
                ) from None
            log.exception("the Keystone issuer failed unexpectedly")
            raise IssueRefused(
                f"the Keystone issuer failed ({type(e).__name__}): see the hub side's log"
            ) from None
