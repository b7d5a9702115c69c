"""Keep the store's credentials out of kernels and terminals.

Kernels and terminals are started by jupyter_server with a copy of the server's
own environment, so whatever credentials nbshelf read from ``ST_KEY``,
``OS_PASSWORD``, ``AWS_SECRET_ACCESS_KEY``... would be one ``os.environ`` away
from every notebook cell. This server extension builds the store first (the
backends read the environment once, when they are built, and keep what they
need: token renewal uses the kept configuration, never the environment again),
then removes those variables, and the ones naming credential files, from
``os.environ``. ``ShelfSecurity.pass_credentials_to_kernels = True`` keeps them
for users who want notebooks to reach the store themselves.

Files the credentials came from (``~/.aws/credentials``, ``clouds.yaml``) stay on
disk: a kernel runs as the same user and can read them; only the pointers to
them are removed. Log lines name the variables removed, never their values.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import MutableMapping
from typing import Any

from traitlets import Bool, List, Unicode
from traitlets.config import Configurable

log = logging.getLogger(__name__)

#: Variables nbshelf (or the clients it uses) reads credentials, or their files, from.
CREDENTIAL_VARIABLES = frozenset(
    {
        # Swift CLI style (tempauth, v1)
        "ST_AUTH",
        "ST_USER",
        "ST_KEY",
        "ST_AUTH_VERSION",
        # AWS and S3-compatible
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        # Azure
        "AZURE_STORAGE_ACCOUNT_KEY",
        "AZURE_STORAGE_ACCESS_KEY",
        "AZURE_STORAGE_SAS_TOKEN",
        "AZURE_STORAGE_SAS_KEY",
        "AZURE_STORAGE_TOKEN",
        "AZURE_STORAGE_CONNECTION_STRING",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        # Google Cloud Storage
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_SERVICE_ACCOUNT",
        "GOOGLE_SERVICE_ACCOUNT_PATH",
        "GOOGLE_SERVICE_ACCOUNT_KEY",
    }
)
#: Whole families: every OpenStack client variable (credentials, tokens, clouds.yaml
#: pointers, the auth URL they go with).
CREDENTIAL_PREFIXES = ("OS_",)
#: nbshelf's own variables that hold a secret, whatever their exact name.
_NBSHELF_SECRET = re.compile(r"^NBSHELF_.*(KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL)", re.I)
_SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL", re.I)


def is_credential_variable(name: str, extra: frozenset[str] = frozenset()) -> bool:
    """Whether ``name`` is one of the variables kernels must not inherit."""
    upper = name.upper()
    return (
        upper in CREDENTIAL_VARIABLES
        or upper in extra
        or upper.startswith(CREDENTIAL_PREFIXES)
        or bool(_NBSHELF_SECRET.match(upper))
    )


def scrub(
    environ: MutableMapping[str, str],
    *,
    extra: frozenset[str] = frozenset(),
    keep: frozenset[str] = frozenset(),
) -> list[str]:
    """Remove the credential variables from ``environ``; return their names (sorted).

    A variable whose value is one of the removed secrets (a copy under another
    name) goes too.
    """
    names = sorted(n for n in environ if is_credential_variable(n, extra) and n.upper() not in keep)
    secrets = {environ[n] for n in names if _SECRET_NAME.search(n) and len(environ[n]) >= 8}
    for n in names:
        del environ[n]
    copies = sorted(n for n, v in environ.items() if v in secrets and n.upper() not in keep)
    for n in copies:
        del environ[n]
    return sorted(names + copies)


class ShelfSecurity(Configurable):
    """What kernels and terminals inherit from the server's environment."""

    pass_credentials_to_kernels = Bool(
        False,
        config=True,
        help="Keep the store's credential variables (ST_*, OS_*, AWS_* keys, ...) in the "
        "environment that kernels and terminals inherit. Off: they are removed once the "
        "store is built.",
    )
    extra_variables = List(
        Unicode(),
        config=True,
        help="More environment variables to remove before kernels and terminals start.",
    )
    keep_variables = List(
        Unicode(),
        config=True,
        help="Variables to leave although they look like credentials (e.g. OS_CLOUD).",
    )


def _build_store(serverapp: Any) -> None:
    """Make the contents manager read its credentials now, while they are still there."""
    from ..stores import StoreError

    manager = getattr(serverapp, "contents_manager", None)
    if manager is None or not hasattr(manager, "store_description"):
        return
    try:
        _ = manager.store
    except StoreError as e:  # the error is reported where the store is used
        serverapp.log.warning("nbshelf: the store could not be built yet: %s", e)


def _load_jupyter_server_extension(serverapp: Any) -> None:
    settings = ShelfSecurity(parent=serverapp)
    if settings.pass_credentials_to_kernels:
        serverapp.log.warning(
            "nbshelf: store credentials stay in the environment kernels and terminals "
            "inherit (ShelfSecurity.pass_credentials_to_kernels = True)"
        )
        return
    _build_store(serverapp)
    removed = scrub(
        os.environ,
        extra=frozenset(v.upper() for v in settings.extra_variables),
        keep=frozenset(v.upper() for v in settings.keep_variables),
    )
    if removed:
        serverapp.log.info("nbshelf: kernels and terminals will not inherit %s", ", ".join(removed))


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "nbshelf.server.security"}]
