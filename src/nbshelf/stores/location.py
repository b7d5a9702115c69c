"""Where a store is: one parse of its URL, and the one ``{username}`` rule.

Every store is opened through :meth:`ObjectStore.from_url` (``open_store`` calls it),
which calls :func:`resolve` once, before the backend sees anything:

* the URL is split into scheme, container (bucket, directory, memory name) and key
  prefix; a path without ``scheme://`` is a local directory;
* the store's prefix is the URL's prefix followed by the ``prefix`` argument (the
  contents manager's ``prefix`` trait, the commands' ``--prefix``);
* ``{username}`` in that prefix (and, for Swift, in the container) is replaced by the
  user name: the ``for_user`` argument (or an old option), else ``$JUPYTERHUB_USER`` (the
  user a JupyterHub spawner starts the server for), else the login name; it must be a
  single, plain path segment (:func:`check_username`);
* old spellings of these options are mapped here, and nowhere else (:data:`LEGACY`).

The same rule holds for the contents manager (its ``prefix`` trait), every command
(``--store``, ``--prefix``) and an embedder calling ``open_store``.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .errors import StoreError

#: The variable naming the store when none is configured (``nbshelf serve``, every
#: command, the contents manager).
ENV_STORE = "NBSHELF_STORE"

#: The one placeholder a store URL, prefix or (Swift) container may hold.
USERNAME = "{username}"

#: Old option spellings -> (what they set, the schemes where they mean it; None: all).
LEGACY: dict[str, tuple[str, frozenset[str] | None]] = {
    # the Swift store's own name for the user of {username}
    "username_for_prefix": ("for_user", None),
    # Bookstore's (nbshelf.bookstore) name for it
    "notebook_user": ("for_user", None),
    # the S3 store's name for it (on Swift, ``username`` is the account, as OS_USERNAME)
    "username": ("for_user", frozenset({"s3", "gs", "az", "memory", "file"})),
    # Bookstore's trait and the Swift store's option: a container other than the URL's
    "container_name": ("container", frozenset({"swift"})),
    "container": ("container", frozenset({"swift"})),
}


@dataclass(frozen=True)
class StoreLocation:
    """A store URL, parsed and resolved: the backend builds its client from this."""

    scheme: str
    #: The bucket / container, the local store's directory, the memory store's name.
    container: str
    #: The key prefix inside it (``{username}`` already filled in), "" for none.
    prefix: str = ""


def scheme_of(url: str) -> str:
    """``swift://c/p`` -> ``swift``; a plain path -> ``file``."""
    return url.split("://", 1)[0].lower() if "://" in url else "file"


def check_username(username: str) -> str:
    """A user name fit to be one path segment of a key prefix or a container name:
    never empty, ``.`` or ``..``, never holding ``/``, ``\\`` or control characters,
    so that no user name can reach another user's prefix."""
    if (
        not username
        or username in (".", "..")
        or "/" in username
        or "\\" in username
        or any(ord(c) < 32 or ord(c) == 127 for c in username)
    ):
        raise StoreError(
            f"the user name {username!r} cannot be used for {USERNAME}: it must be one "
            "path segment (not empty, '.' or '..', no '/', '\\' or control characters)"
        )
    return username


def default_username() -> str:
    """The user ``{username}`` stands for when none is given: ``$JUPYTERHUB_USER``,
    else the login name."""
    hub_user = os.environ.get("JUPYTERHUB_USER")
    if hub_user:
        return hub_user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        raise StoreError(
            f"the store's prefix holds {USERNAME} but no user name is known: "
            "pass for_user (or set JUPYTERHUB_USER)"
        ) from None


def fill_username(template: str, username: str | None) -> str:
    """``template`` with every ``{username}`` replaced (nothing else is a placeholder)."""
    if USERNAME not in template:
        return template
    return template.replace(USERNAME, check_username(username or default_username()))


def _split(url: str, scheme: str) -> tuple[str, str]:
    """(container, prefix) of a URL, before the old spellings and ``{username}``."""
    if scheme == "file":
        if "://" not in url:
            return url, ""
        rest = url.split("://", 1)[1]
        host, slash, path = rest.partition("/")
        if host not in ("", "localhost"):
            raise StoreError(f"file URLs name a local path, not a host: {url!r}")
        return unquote(slash + path), ""
    rest = url.split("://", 1)[1] if "://" in url else url
    container, _, prefix = rest.partition("/")
    if scheme == "memory":  # a name, not a bucket: may be empty, taken as written
        return container, prefix
    return unquote(container), unquote(prefix).strip("/")


def resolve(
    url: str,
    *,
    scheme: str,
    form: str,
    prefix: str = "",
    for_user: str | None = None,
    options: MutableMapping[str, Any],
    username_in_container: bool = False,
) -> StoreLocation:
    """The store's location from its URL, the ``prefix`` and ``for_user`` arguments and
    the old spellings in ``options`` (taken out of it). ``form`` is the URL's shape for
    the error message (``s3://bucket[/prefix]``)."""
    if scheme_of(url) != scheme:
        raise StoreError(f"expected {form}, not {url!r}")
    container, url_prefix = _split(url, scheme)
    for old, (new, schemes) in LEGACY.items():
        if old not in options or (schemes is not None and scheme not in schemes):
            continue
        value = options.pop(old)
        if value in (None, ""):
            continue
        if new == "container":
            container = str(value)
        elif for_user not in (None, "", str(value)):
            raise StoreError(f"two user names given: {for_user!r} and {old}={value!r}")
        else:
            for_user = str(value)
    if not container and scheme not in ("memory", "file"):
        raise StoreError(f"expected {form}, not {url!r}")
    full_prefix = "/".join(p.strip("/") for p in (url_prefix, prefix) if p and p.strip("/"))
    full_prefix = fill_username(full_prefix, for_user)
    if username_in_container:
        container = fill_username(container, for_user)
    elif USERNAME in container:
        raise StoreError(
            f"{USERNAME} may be part of the prefix of a {scheme} store, not of {container!r}"
        )
    return StoreLocation(scheme, container, full_prefix)
