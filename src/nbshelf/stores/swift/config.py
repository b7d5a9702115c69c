"""Options of the Swift / Cloud Files store, from keyword arguments and the environment.

The option names are the ones Bookstore users wrote (``account_name``,
``account_key``, ``container_name``, ``region``, ``auth_endpoint``,
``tenant_id``, ``tenant_name``), plus the OpenStack names for what Bookstore
never had (Keystone v3 domains, application credentials, tempauth). Keyword
arguments win over the environment (``ST_*`` as the ``swift`` CLI reads them,
``OS_*`` as every OpenStack client does).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlparse

from ..errors import StoreError
from ..options import OptionReader

#: Rackspace's public identity service (v2.0 with RAX-KSKEY:apiKeyCredentials).
RACKSPACE_IDENTITY = "https://identity.api.rackspacecloud.com/v2.0"
#: Overrides RACKSPACE_IDENTITY when no auth URL is configured.
ENV_RACKSPACE_IDENTITY = "NBSHELF_RACKSPACE_IDENTITY_URL"
RACKSPACE_REGIONS = ("DFW", "ORD", "IAD", "LON", "SYD", "HKG")
AUTH_VERSIONS = ("1", "2", "3", "rackspace", "token")

# Bookstore's and the OpenStack CLI's spellings -> the field they set. (Bookstore's
# ``container_name`` and ``notebook_user`` are mapped with the URL, in stores/location.py.)
_ALIASES = {
    "auth_endpoint": "auth_url",
    "authurl": "auth_url",
    "user": "account_name",
    "username": "account_name",
    "key": "account_key",
    "password": "account_key",
    "api_key": "account_key",
    "region_name": "region",
    "preauthurl": "storage_url",
    "preauthtoken": "auth_token",
    "token": "auth_token",
    "endpoint_type": "interface",
}


@dataclass
class SwiftConfig:
    """Where the container is and how to authenticate. Secrets never show in ``repr``."""

    container: str
    prefix: str = ""
    auth_version: str | None = None  # 1, 2, 3, rackspace, token; inferred when None
    auth_url: str | None = None
    account_name: str | None = None  # tempauth "account:user", Keystone or Rackspace user
    account_key: str | None = field(default=None, repr=False)  # key, password or API key
    tenant_id: str | None = None  # Keystone v2 / Rackspace
    tenant_name: str | None = None
    project_name: str | None = None  # Keystone v3
    project_id: str | None = None
    user_domain_name: str | None = None
    user_domain_id: str | None = None
    project_domain_name: str | None = None
    project_domain_id: str | None = None
    application_credential_id: str | None = None
    application_credential_secret: str | None = field(default=None, repr=False)
    region: str | None = None
    interface: str = "public"  # "internal" = Rackspace ServiceNet
    service_type: str = "object-store"
    service_name: str | None = None  # "cloudFiles" for Rackspace
    storage_url: str | None = None  # explicit endpoint (with auth_token, or overriding the catalog)
    auth_token: str | None = field(default=None, repr=False)
    temp_url_key: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    # ------------------------------------------------------------ building
    @classmethod
    def build(
        cls,
        container: str,
        prefix: str = "",
        *,
        environ: Mapping[str, str] | None = None,
        options: OptionReader,
        deferred: bool = False,
    ) -> SwiftConfig:
        """Options first (each field under its name or an alias), then the environment;
        then infer the auth method and check. ``deferred``: the credentials come later
        from a credential source (:meth:`with_credentials`); only the rest is checked."""
        env = os.environ if environ is None else environ
        opts: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in ("container", "prefix"):
                continue
            names = (f.name, *(alias for alias, name in _ALIASES.items() if name == f.name))
            value = options.raw(*names)
            if value is not None:
                opts[f.name] = value
        opts["container"] = container
        opts["prefix"] = prefix
        for name, value in _from_env(env, opts).items():
            opts.setdefault(name, value)
        if "timeout" in opts:
            try:
                opts["timeout"] = float(opts["timeout"])
            except (TypeError, ValueError):
                raise StoreError(f"swift timeout {opts['timeout']!r} is not a number") from None
        cfg = cls(**opts)
        if deferred:
            if not cfg.container or "/" in cfg.container:
                raise StoreError(f"invalid swift container name {cfg.container!r}")
            return cfg
        cfg.auth_version = cfg._infer_version()
        if cfg.auth_version == "rackspace" and not cfg.auth_url:
            # Bookstore's Cloud Files config names no identity URL; this variable points it
            # at another Rackspace-compatible identity (a proxy, or the tests' stand-in)
            cfg.auth_url = env.get(ENV_RACKSPACE_IDENTITY) or None
        cfg._validate()
        return cfg

    def _infer_version(self) -> str:
        v = (self.auth_version or "").lower().lstrip("v")
        if v in ("1.0", "1"):
            return "1"
        if v in ("2.0", "2"):
            return "2"
        if v in AUTH_VERSIONS:
            return v
        if v:
            raise StoreError(f"unknown swift auth_version {self.auth_version!r}")
        if self.application_credential_id:
            return "3"
        if not self.auth_url:
            if self.auth_token and self.storage_url:
                return "token"
            if self.account_name and self.account_key:
                return "rackspace"  # Bookstore's default: Cloud Files with an API key
            return "token"
        host = urlparse(self.auth_url).hostname or ""
        path = urlparse(self.auth_url).path.rstrip("/")
        if host.endswith("rackspacecloud.com"):
            return "rackspace"
        if path.endswith(("/v1.0", "/v1")):
            return "1"
        if path.endswith("/v2.0"):
            # Bookstore's options (user, API key, Rackspace region, no tenant) at a v2.0
            # identity that is not Rackspace's own host: a Rackspace-compatible identity
            rax = (self.region or "").upper() in RACKSPACE_REGIONS
            if rax and not (self.tenant_id or self.tenant_name):
                return "rackspace"
            return "2"
        return "3"

    def _validate(self) -> None:
        if not self.container or "/" in self.container:
            raise StoreError(f"invalid swift container name {self.container!r}")
        v = self.auth_version
        if v == "rackspace":
            self.auth_url = self.auth_url or RACKSPACE_IDENTITY
            self.service_name = self.service_name or "cloudFiles"
            if self.region:
                self.region = self.region.upper()
            if not self.region:
                raise StoreError(
                    "Rackspace Cloud Files needs a region: one of " + ", ".join(RACKSPACE_REGIONS)
                )
        if v == "token":
            if not (self.storage_url and self.auth_token):
                raise StoreError(
                    "no Swift credentials: set ST_AUTH/ST_USER/ST_KEY (tempauth), OS_AUTH_URL "
                    "and OS_USERNAME/OS_PASSWORD or OS_APPLICATION_CREDENTIAL_ID/SECRET "
                    "(Keystone), account_name/account_key/region (Rackspace), or a "
                    "storage_url with an auth_token"
                )
            return
        if v == "3" and self.application_credential_id:
            if not self.application_credential_secret:
                raise StoreError("application_credential_id needs application_credential_secret")
        elif not (self.account_name and self.account_key):
            raise StoreError(f"swift auth v{v} at {self.auth_url} needs a user and a key")
        if not self.auth_url:
            raise StoreError(f"swift auth v{v} needs an auth URL")

    def with_credentials(self, env: Mapping[str, str]) -> SwiftConfig:
        """This configuration with the credentials ``env`` names (``OS_*``, ``ST_*``)
        in place of its own: what a credential source's fresh credentials make of it.
        The region and interface stay unless ``env`` names them too."""
        cleared: dict[str, Any] = {name: None for name in _CREDENTIAL_FIELDS}
        cleared["region"] = self.region
        cleared["interface"] = self.interface
        cfg = replace(self, **cleared)
        for name, value in _from_env(env, {}).items():
            setattr(cfg, name, value)
        cfg.auth_version = cfg._infer_version()
        cfg._validate()
        return cfg

    # ------------------------------------------------------------ for messages
    @property
    def who(self) -> str:
        """The user (or credential id) for error messages: never a secret."""
        if self.auth_version == "token":
            return "a pre-issued token"
        if self.application_credential_id:
            return f"application credential {self.application_credential_id}"
        return f"user {self.account_name}"


#: The fields a credential source replaces (everything the environment may set).
_CREDENTIAL_FIELDS = (
    "auth_version",
    "auth_url",
    "account_name",
    "account_key",
    "tenant_id",
    "tenant_name",
    "project_name",
    "project_id",
    "user_domain_name",
    "user_domain_id",
    "project_domain_name",
    "project_domain_id",
    "application_credential_id",
    "application_credential_secret",
    "storage_url",
    "auth_token",
)


def _from_env(env: Mapping[str, str], opts: Mapping[str, Any]) -> dict[str, str]:
    """The options the ``swift`` CLI and the OpenStack clients read from the environment."""
    out: dict[str, str] = {}

    def put(name: str, *keys: str) -> None:
        for k in keys:
            if env.get(k):
                out[name] = env[k]
                return

    version = (
        str(opts.get("auth_version") or "")
        or env.get("ST_AUTH_VERSION", "")
        or env.get("OS_AUTH_VERSION", "")
        or env.get("OS_IDENTITY_API_VERSION", "")
    )
    use_st = bool(env.get("ST_AUTH")) and version.lstrip("v") in ("", "1", "1.0")
    if "auth_url" in opts and not opts.get("auth_version"):
        use_st = use_st and str(opts["auth_url"]).rstrip("/").endswith(("/v1.0", "/v1"))
    if use_st:
        put("auth_url", "ST_AUTH")
        put("account_name", "ST_USER")
        put("account_key", "ST_KEY")
        out["auth_version"] = "1"
    else:
        put("auth_url", "OS_AUTH_URL")
        put("account_name", "OS_USERNAME")
        put("account_key", "OS_PASSWORD")
        put("tenant_id", "OS_TENANT_ID")
        put("tenant_name", "OS_TENANT_NAME")
        put("project_name", "OS_PROJECT_NAME")
        put("project_id", "OS_PROJECT_ID")
        put("user_domain_name", "OS_USER_DOMAIN_NAME")
        put("user_domain_id", "OS_USER_DOMAIN_ID")
        put("project_domain_name", "OS_PROJECT_DOMAIN_NAME")
        put("project_domain_id", "OS_PROJECT_DOMAIN_ID")
        put("application_credential_id", "OS_APPLICATION_CREDENTIAL_ID")
        put("application_credential_secret", "OS_APPLICATION_CREDENTIAL_SECRET")
        put("region", "OS_REGION_NAME")
        put("interface", "OS_INTERFACE", "OS_ENDPOINT_TYPE")
        put("storage_url", "OS_STORAGE_URL")
        put("auth_token", "OS_AUTH_TOKEN")
        if version:
            out["auth_version"] = version
        if env.get("OS_AUTH_TYPE", "").startswith("v3applicationcredential"):
            out["auth_version"] = "3"
    return out
