"""The hub's credentials service: a JupyterHub-managed service that alone holds the broad
store credentials and issues per-user ones (``python -m nbshelf.hub.service``).

JupyterHub starts it (``c.JupyterHub.services``, written by :func:`.config.configure`)
with its own API token, URL and prefix in ``JUPYTERHUB_*``, and the broad credentials in
the service's environment only (never the spawner's). Each single-user server calls

* ``GET  {prefix}credentials``: its user's :class:`IssuedCredentials` (JSON);
* ``POST {prefix}sign`` ``{"key": ..., "expires_in": ...}``: a share link signed on the
  hub, once the key is known to lie in the user's prefix (issuers with ``sign_url``);

authenticated by the server's own ``JUPYTERHUB_API_TOKEN`` (``Authorization: token ...``),
which the hub resolves to its user (:class:`jupyterhub.services.auth.HubAuth`). The token
must be a user's and hold ``access:services!service=<name>`` (JupyterHub's convention for
services; :func:`.config.configure` grants it to users and their servers' tokens). A
request naming another user (``?user=``) is refused. Every issue and every refusal is
logged here, on the hub side, with the user and the reason, never a secret.

The issuer is configured by ``CredentialsService.issuer_class`` and ``issuer_options``
(traitlets: a config file given with ``--config``, or the ``NBSHELF_HUB_ISSUER`` and
``NBSHELF_HUB_ISSUER_OPTIONS`` (JSON) variables the hub's config sets).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any
from urllib.parse import urlsplit

from tornado import httpserver, ioloop, web
from traitlets import Dict, Integer, Unicode, default
from traitlets.config import Application
from traitlets.utils.importstring import import_item

from .credentials import CredentialIssuer, IssueRefused

ENV_ISSUER = "NBSHELF_HUB_ISSUER"
ENV_ISSUER_OPTIONS = "NBSHELF_HUB_ISSUER_OPTIONS"
ENV_BIND_IP = "NBSHELF_HUB_SERVICE_IP"


class _Base(web.RequestHandler):
    """Token authentication through the hub; JSON errors (no traceback, no secret)."""

    @property
    def service(self) -> CredentialsService:
        return self.settings["nbshelf_service"]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = self._reason
        exc = kwargs.get("exc_info")
        if exc and isinstance(exc[1], web.HTTPError) and exc[1].log_message:
            reason = exc[1].log_message
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": status_code, "message": reason}))

    def refuse(self, status: int, user: str | None, why: str) -> web.HTTPError:
        """Log a refusal on the hub and make the error the caller reads."""
        self.service.log.warning(
            "nbshelf-credentials: refused %s %s for %s: %s",
            self.request.method,
            self.request.path,
            user or "an unknown token",
            why,
        )
        return web.HTTPError(status, why)

    async def user(self) -> str:
        """The name of the user whose token signs this request (or a logged refusal)."""
        auth = self.service.hub_auth
        token = auth.get_token(self, in_cookie=False)
        if not token:
            raise self.refuse(401, None, "no JupyterHub API token (Authorization: token ...)")
        try:
            model = await auth.user_for_token(token, sync=False)
        except Exception as e:  # the hub unreachable: not the caller's fault
            self.service.log.error("nbshelf-credentials: cannot ask the hub: %s", e)
            raise web.HTTPError(503, "the hub could not be asked who this token is") from None
        if not model:
            raise self.refuse(403, None, "the hub does not know this token")
        name = str(model.get("name") or "")
        if model.get("kind", "user") != "user":
            raise self.refuse(403, name, f"a {model.get('kind')} token, not a user's")
        scopes = auth.access_scopes
        if scopes and not auth.check_scopes(scopes, model):
            raise self.refuse(
                403, name, f"the token lacks {' or '.join(sorted(scopes))} (see docs/jupyterhub.md)"
            )
        asked = self.get_argument("user", name)
        if asked != name:
            raise self.refuse(403, name, f"credentials of {asked!r} asked with {name!r}'s token")
        return name

    async def run(self, fn: Any, *args: Any) -> Any:
        """An issuer call (blocking: STS, Keystone) in a worker thread."""
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class CredentialsHandler(_Base):
    async def get(self) -> None:
        name = await self.user()
        try:
            creds = await self.run(self.service.issuer.issue, name)
        except IssueRefused as e:
            raise self.refuse(503, name, f"cannot issue credentials: {e}") from None
        except Exception as e:
            self.service.log.exception("nbshelf-credentials: the issuer failed for %s", name)
            raise web.HTTPError(503, f"the issuer failed ({type(e).__name__})") from None
        self.service.issued[name] = self.service.issued.get(name, 0) + 1
        self.service.log.info(
            "nbshelf-credentials: issued %s for %s, valid until %s",
            creds.store_url,
            name,
            creds.expires_at.isoformat() if creds.expires_at else "revoked",
        )
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(creds.to_json()))


class SignHandler(_Base):
    async def post(self) -> None:
        name = await self.user()
        sign = getattr(self.service.issuer, "sign_url", None)
        if sign is None:
            raise self.refuse(501, name, "this hub's issuer signs no links")
        try:
            body = json.loads(self.request.body or b"{}")
            key, expires_in = str(body["key"]), int(body["expires_in"])
        except (ValueError, KeyError, TypeError):
            raise self.refuse(400, name, 'expected {"key": "...", "expires_in": seconds}') from None
        try:
            url = await self.run(sign, name, key, expires_in)
        except IssueRefused as e:
            raise self.refuse(403, name, str(e)) from None
        self.service.log.info(
            "nbshelf-credentials: signed a %d s link to %s for %s", expires_in, key, name
        )
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"url": url}))


class CredentialsService(Application):
    """Issues per-user store credentials to JupyterHub single-user servers."""

    name = "nbshelf-credentials"
    description = __doc__

    @default("log_level")
    def _log_level_default(self) -> int:
        return logging.INFO  # every issue and refusal is logged on the hub

    issuer_class = Unicode(
        config=True,
        help="The issuer, as module:Class or module.Class (nbshelf.hub.s3:S3Issuer, "
        "nbshelf.hub.keystone:KeystoneIssuer). Default: $NBSHELF_HUB_ISSUER.",
    )
    issuer_options = Dict(
        config=True,
        help="Keyword arguments of the issuer. Default: $NBSHELF_HUB_ISSUER_OPTIONS (JSON).",
    )
    service_url = Unicode(config=True, help="Where to listen (default: $JUPYTERHUB_SERVICE_URL).")
    service_prefix = Unicode(
        config=True, help="The URL prefix (default: $JUPYTERHUB_SERVICE_PREFIX)."
    )
    bind_ip = Unicode(
        config=True,
        help="The address to listen on when it is not the URL's host (0.0.0.0 in a hub pod "
        "whose service URL names a Kubernetes service). Default: $NBSHELF_HUB_SERVICE_IP.",
    )
    port = Integer(0, help="The port listened on (after start).")
    config_file = Unicode("", config=True, help="A traitlets config file to load.")
    #: the configured issuer, and the hub's token resolver (built by make_app)
    issuer: Any = None
    hub_auth: Any = None
    aliases = {"config": "CredentialsService.config_file"}

    @default("issuer_class")
    def _issuer_class_default(self) -> str:
        return os.environ.get(ENV_ISSUER, "")

    @default("issuer_options")
    def _issuer_options_default(self) -> dict[str, Any]:
        raw = os.environ.get(ENV_ISSUER_OPTIONS, "")
        return dict(json.loads(raw)) if raw else {}

    @default("service_url")
    def _service_url_default(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101")

    @default("bind_ip")
    def _bind_ip_default(self) -> str:
        return os.environ.get(ENV_BIND_IP, "")

    @default("service_prefix")
    def _service_prefix_default(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{self.name}/")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: credentials issued, by user (this process's life)
        self.issued: dict[str, int] = {}

    def make_issuer(self) -> CredentialIssuer:
        if not self.issuer_class:
            raise SystemExit(
                f"nbshelf-credentials: no issuer: set ${ENV_ISSUER} (e.g. nbshelf.hub.s3:S3Issuer)"
            )
        cls = import_item(self.issuer_class.replace(":", "."))
        issuer = cls(**self.issuer_options)
        if not isinstance(issuer, CredentialIssuer):
            raise SystemExit(f"nbshelf-credentials: {self.issuer_class} has no issue(username)")
        return issuer

    def make_app(self) -> web.Application:
        from jupyterhub.services.auth import HubAuth

        self.hub_auth = HubAuth()
        if self.issuer is None:
            self.issuer = self.make_issuer()
        prefix = "/" + self.service_prefix.strip("/") + "/"
        return web.Application(
            [(prefix + "credentials", CredentialsHandler), (prefix + "sign", SignHandler)],
            nbshelf_service=self,
        )

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        if self.config_file:
            self.load_config_file(self.config_file)

    def start(self) -> None:
        app = self.make_app()
        where = urlsplit(self.service_url)
        server = httpserver.HTTPServer(app, xheaders=True)
        server.listen(where.port or 80, self.bind_ip or where.hostname or "127.0.0.1")
        self.port = where.port or 80
        self.log.info(
            "nbshelf-credentials: %s issuing at %s%s",
            type(self.issuer).__name__,
            self.service_url.rstrip("/"),
            self.service_prefix,
        )
        try:
            ioloop.IOLoop.current().start()
        except KeyboardInterrupt:  # the hub stops its managed services with SIGINT
            self.log.info("nbshelf-credentials: stopped")


main = CredentialsService.launch_instance

if __name__ == "__main__":
    main()
