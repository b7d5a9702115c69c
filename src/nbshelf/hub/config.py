"""What a JupyterHub admin calls in ``jupyterhub_config.py`` (docs/jupyterhub.md)::

    from nbshelf.hub.config import configure
    configure(
        c,
        issuer="nbshelf.hub.s3:S3Issuer",
        issuer_options={"bucket": "hub-notebooks", "role_arn": "arn:aws:iam::...:role/nbshelf"},
        service_environment={"AWS_ACCESS_KEY_ID": ..., "AWS_SECRET_ACCESS_KEY": ...},
    )

It adds, and changes nothing else:

* the managed service ``nbshelf-credentials`` (:mod:`.service`), which alone receives the
  broad credentials (``service_environment``, or its own instance role);
* the scope ``access:services!service=nbshelf-credentials`` to the ``user`` role and to
  the servers' tokens (``server`` role), so that each server's ``JUPYTERHUB_API_TOKEN``
  may call the service and nothing more;
* to every single-user server's environment: the service's URL and name, never a
  credential; and ``--ServerApp.contents_manager_class=nbshelf.hub.HubContentsManager``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from .client import ENV_SERVICE, ENV_URL
from .service import ENV_BIND_IP, ENV_ISSUER, ENV_ISSUER_OPTIONS

SERVICE_NAME = "nbshelf-credentials"
#: The scopes of the ``server`` role before this change (JupyterHub's defaults).
SERVER_ROLE_SCOPES = ("users:activity!user", "access:servers!server")
MANAGER = "nbshelf.hub.HubContentsManager"


def _given(section: Any, name: str, empty: Any) -> Any:
    """A setting the config file gave already (``empty`` if none: an unset traitlets
    config value is a lazy placeholder, not the trait's default)."""
    return section.get(name, empty)


def _add_role_scopes(
    roles: list[dict[str, Any]], name: str, base: tuple[str, ...], scope: str
) -> None:
    for role in roles:
        if role.get("name") == name:
            scopes = list(role.get("scopes") or base)
            if scope not in scopes:
                scopes.append(scope)
            role["scopes"] = scopes
            return
    roles.append({"name": name, "scopes": [*base, scope]})


def configure(
    c: Any,
    *,
    issuer: str,
    issuer_options: dict[str, Any],
    service_environment: dict[str, str] | None = None,
    name: str = SERVICE_NAME,
    host: str = "127.0.0.1",
    port: int = 10101,
    bind_ip: str | None = None,
    service_user: str | None = None,
    python: str = sys.executable,
) -> dict[str, Any]:
    """Add the credentials service and the single-user servers' settings to ``c``;
    return the service's entry. ``host``/``port``: where the hub and the servers reach
    the service (a Kubernetes service name on zero-to-jupyterhub); ``bind_ip``: where it
    listens, when not ``host`` (``0.0.0.0`` in a hub pod); ``service_user``: a Unix user
    to run it as (the hub's own user if None); ``python``: the interpreter with
    nbshelf[hub]."""
    url = f"http://{host}:{port}"
    service: dict[str, Any] = {
        "name": name,
        "url": url,
        "command": [python, "-m", "nbshelf.hub.service"],
        "environment": {
            ENV_ISSUER: issuer,
            ENV_ISSUER_OPTIONS: json.dumps(issuer_options),
            **(service_environment or {}),
        },
        "display": False,
    }
    if service_user:
        service["user"] = service_user
    if bind_ip:
        service["environment"][ENV_BIND_IP] = bind_ip
    c.JupyterHub.services = [*_given(c.JupyterHub, "services", []), service]

    scope = f"access:services!service={name}"
    roles = [dict(r) for r in _given(c.JupyterHub, "load_roles", [])]
    _add_role_scopes(roles, "user", ("self",), scope)
    _add_role_scopes(roles, "server", SERVER_ROLE_SCOPES, scope)
    c.JupyterHub.load_roles = roles

    env = dict(_given(c.Spawner, "environment", {}))
    env.update({ENV_URL: f"{url}/services/{name}/", ENV_SERVICE: name})
    c.Spawner.environment = env
    args = list(_given(c.Spawner, "args", []))
    flag = f"--ServerApp.contents_manager_class={MANAGER}"
    if flag not in args:
        args.append(flag)
    c.Spawner.args = args
    return service
