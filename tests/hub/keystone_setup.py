"""What a Keystone admin sets up once for nbshelf on JupyterHub (docs/jupyterhub.md,
"Swift / Keystone"), done on the tests' real Keystone: a project whose Swift account
holds every user's container, the role ``nbshelf-notebooks`` (no Swift operator role),
the hub side's Keystone user (an admin of that project); and what a kernel builds from
credentials it read. Shared by tests/hub's Swift tests."""

from __future__ import annotations

import uuid
from typing import Any

import requests
import swiftclient
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3 as ks_v3

from nbshelf.hub import IssuedCredentials
from nbshelf.hub.keystone import KeystoneIssuer

HUB_PASSWORD = "hub-" + uuid.uuid4().hex


class Setup:
    """What the admin creates once, and a way to build issuers on it."""

    def __init__(self, keystone: Any, swift: Any) -> None:
        self.keystone = keystone
        self.swift = swift
        self.tag = uuid.uuid4().hex[:8]
        self.project = f"notebooks-{self.tag}"
        self.hub_user = f"nbshelf-hub-{self.tag}"
        h = keystone.admin_headers()
        v3 = keystone.v3
        self.project_id = _create(
            h, f"{v3}/projects", "project", {"name": self.project, "domain_id": "default"}
        )["id"]
        roles = requests.get(f"{v3}/roles", headers=h, timeout=30).json()["roles"]
        by_name = {r["name"]: r["id"] for r in roles}
        if "nbshelf-notebooks" not in by_name:
            by_name["nbshelf-notebooks"] = _create(
                h, f"{v3}/roles", "role", {"name": "nbshelf-notebooks"}
            )["id"]
        self.role_ids = by_name
        hub = _create(
            h,
            f"{v3}/users",
            "user",
            {"name": self.hub_user, "password": HUB_PASSWORD, "domain_id": "default"},
        )
        requests.put(
            f"{v3}/projects/{self.project_id}/users/{hub['id']}/roles/{by_name['admin']}",
            headers=h,
            timeout=30,
        ).raise_for_status()

    def issuer(self, **kw: Any) -> KeystoneIssuer:
        opts: dict[str, Any] = {
            "auth_url": self.keystone.url,
            "admin_username": self.hub_user,
            "admin_password": HUB_PASSWORD,
            "project": self.project,
            "user_name_template": f"nbshelf-{self.tag}-{{username}}",
            "user_key": "key-" + self.tag,
            "lifetime": 3600,
        }
        opts.update(kw)
        return KeystoneIssuer(**opts)

    def storage_url(self) -> str:
        return f"{self.swift.endpoint}/v1/AUTH_{self.project_id}"

    def operator(self) -> swiftclient.Connection:
        """The hub side's own view of the account (an operator: sees everything)."""
        return swiftclient.Connection(
            session=_session(
                ks_v3.Password(
                    auth_url=self.keystone.v3,
                    username=self.hub_user,
                    password=HUB_PASSWORD,
                    user_domain_id="default",
                    project_id=self.project_id,
                )
            )
        )


def _create(h: dict[str, str], url: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    r = requests.post(url, headers=h, json={kind: body}, timeout=30)
    r.raise_for_status()
    return dict(r.json()[kind])


def _session(plugin: Any) -> ks_session.Session:
    return ks_session.Session(auth=plugin, timeout=30)


def kernel_session(creds: IssuedCredentials) -> ks_session.Session:
    """What a kernel builds from the variables it read: a session of the credential."""
    env = creds.env
    assert env["OS_AUTH_TYPE"] == "v3applicationcredential"
    return _session(
        ks_v3.ApplicationCredential(
            auth_url=env["OS_AUTH_URL"],
            application_credential_id=env["OS_APPLICATION_CREDENTIAL_ID"],
            application_credential_secret=env["OS_APPLICATION_CREDENTIAL_SECRET"],
        )
    )


def snapshot(
    conn: swiftclient.Connection, container: str
) -> dict[str, tuple[bytes, dict[str, str]]]:
    """Every object of ``container``: its bytes and its metadata headers."""
    out = {}
    for o in conn.get_container(container, full_listing=True)[1]:
        headers, body = conn.get_object(container, o["name"])
        meta = {k: v for k, v in headers.items() if k.startswith("x-object-meta-")}
        out[o["name"]] = (body, meta)
    return out
