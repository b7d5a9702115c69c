"""A local STAND-IN for Rackspace's identity service (Keystone v2.0 API), because the
real one (identity.api.rackspacecloud.com) cannot run here.

It speaks the part of the v2.0 API Cloud Files clients use: ``POST /v2.0/tokens``
with ``RAX-KSKEY:apiKeyCredentials`` (username + API key), or with
``passwordCredentials`` plus ``tenantName``/``tenantId`` (plain Keystone v2, for
older OpenStack clouds). It answers with a service catalog whose ``cloudFiles``
(type ``object-store``) endpoints, one per region, are given by the test, and a
token the *real* local Swift accepts: a tempauth token it fetches from that Swift.

Also a stand-in for the Cloud Files CDN (catalog type ``rax:object-cdn``): the
management API (``PUT``/``HEAD /cdn-mgmt/v1/<tenant>/<container>`` with
``X-CDN-Enabled``, answering ``X-Cdn-Uri``/``X-Cdn-Ssl-Uri``) and a tiny "edge"
(``GET /cdn-edge/<container>/<object>``) that serves a CDN-enabled container's
objects anonymously from the real Swift, as the CDN does. The real CDN's URLs
are https; this fake's are http on loopback.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import free_port


class RackspaceIdentity:
    """``with RackspaceIdentity(swift_auth_url, endpoints) as ident: ident.url``."""

    def __init__(
        self,
        swift_auth_url: str,
        endpoints: dict[str, str],
        *,
        users: dict[str, str] | None = None,
        passwords: dict[str, str] | None = None,
        tenant: tuple[str, str] = ("123456", "MossoCloudFS_123456"),
        swift_user: tuple[str, str] = ("test:tester", "testing"),
        cdn_origin: str | None = None,
    ) -> None:
        self.swift_auth_url = swift_auth_url
        self.endpoints = endpoints  # region -> publicURL
        self.users = users or {"rackuser": "rack-api-key-0123"}  # username -> API key
        self.passwords = passwords or {"v2user": "v2-password"}
        self.tenant_id, self.tenant_name = tenant
        self.swift_user = swift_user
        self.requests: list[dict[str, Any]] = []  # request bodies, secrets removed
        # the CDN stand-in: the storage URL the edge reads from, containers enabled
        self.cdn_origin = cdn_origin or (sorted(endpoints.items())[0][1] if endpoints else "")
        self.cdn_enabled: set[str] = set()
        self.cdn_requests: list[tuple[str, str]] = []  # (method, container)
        self.tokens: set[str] = set()
        self.port = free_port()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2.0"

    def start(self) -> RackspaceIdentity:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                status, answer = outer._tokens(self.path, body.get("auth", {}))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self) -> None:
                outer._cdn_manage(self, "PUT")

            def do_HEAD(self) -> None:
                outer._cdn_manage(self, "HEAD")

            def do_GET(self) -> None:
                outer._cdn_edge(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> RackspaceIdentity:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------
    def _tokens(self, path: str, auth: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path.rstrip("/") != "/v2.0/tokens":
            return 404, {"itemNotFound": {"code": 404, "message": "Resource not found"}}
        rax = auth.get("RAX-KSKEY:apiKeyCredentials")
        pw = auth.get("passwordCredentials")
        self.requests.append(
            {
                "kind": "apiKey" if rax else "password" if pw else "?",
                "tenantName": auth.get("tenantName"),
                "tenantId": auth.get("tenantId"),
            }
        )
        if rax:
            ok = self.users.get(rax.get("username")) == rax.get("apiKey")
            user = rax.get("username")
        elif pw:
            ok = self.passwords.get(pw.get("username")) == pw.get("password")
            user = pw.get("username")
            if auth.get("tenantName") not in (None, self.tenant_name) or auth.get(
                "tenantId"
            ) not in (None, self.tenant_id):
                ok = False
        else:
            ok, user = False, None
        if not ok:
            message = "Username or api key is invalid."
            return 401, {"unauthorized": {"code": 401, "message": message}}
        token = self._swift_token()
        self.tokens.add(token)
        catalog = [
            {
                "name": "cloudFiles",
                "type": "object-store",
                "endpoints": [
                    {
                        "region": region,
                        "tenantId": self.tenant_name,
                        "publicURL": url,
                        "internalURL": url,
                    }
                    for region, url in sorted(self.endpoints.items())
                ],
            },
            {
                "name": "cloudFilesCDN",
                "type": "rax:object-cdn",
                "endpoints": [
                    {"region": r, "tenantId": self.tenant_name, "publicURL": self.cdn_url}
                    for r in sorted(self.endpoints)
                ],
            },
        ]
        return 200, {
            "access": {
                "token": {
                    "id": token,
                    "expires": "2099-01-01T00:00:00.000Z",
                    "tenant": {"id": self.tenant_id, "name": self.tenant_name},
                    "RAX-AUTH:authenticatedBy": ["APIKEY" if rax else "PASSWORD"],
                },
                "serviceCatalog": catalog,
                "user": {"id": "10001", "name": user, "roles": [{"name": "object-store:admin"}]},
            }
        }

    def _swift_token(self) -> str:
        req = urllib.request.Request(
            self.swift_auth_url,
            headers={"X-Auth-User": self.swift_user[0], "X-Auth-Key": self.swift_user[1]},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return str(resp.headers["X-Auth-Token"])

    # ------------------------------------------------------------------ CDN stand-in
    @property
    def cdn_url(self) -> str:
        """The CDN management endpoint the catalog lists (type ``rax:object-cdn``)."""
        return f"http://127.0.0.1:{self.port}/cdn-mgmt/v1/{self.tenant_name}"

    def cdn_uri(self, container: str) -> str:
        return f"http://127.0.0.1:{self.port}/cdn-edge/{container}"

    def _cdn_manage(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        prefix = f"/cdn-mgmt/v1/{self.tenant_name}/"
        container = (
            handler.path.split("?", 1)[0][len(prefix) :] if handler.path.startswith(prefix) else ""
        )
        status, headers = 404, {}
        if not container or "/" in container:
            status = 404
        elif handler.headers.get("X-Auth-Token") not in self.tokens:
            status = 401
        else:
            self.cdn_requests.append((method, container))
            if method == "PUT" and handler.headers.get("X-CDN-Enabled", "").lower() == "true":
                status = 201 if container not in self.cdn_enabled else 202
                self.cdn_enabled.add(container)
            elif container in self.cdn_enabled:
                status = 204
            if container in self.cdn_enabled:
                headers = {
                    "X-Cdn-Enabled": "True",
                    "X-Cdn-Uri": self.cdn_uri(container),
                    "X-Cdn-Ssl-Uri": self.cdn_uri(container),
                    "X-Ttl": "900",
                }
        handler.send_response(status)
        for k, v in headers.items():
            handler.send_header(k, v)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _cdn_edge(self, handler: BaseHTTPRequestHandler) -> None:
        """Anonymous GET of a CDN-enabled container's object, read from the real Swift."""
        import urllib.error

        rest = handler.path.split("?", 1)[0]
        status, body, ctype = 404, b"not found", "text/plain"
        if rest.startswith("/cdn-edge/"):
            container, _, key = rest[len("/cdn-edge/") :].partition("/")
            if container in self.cdn_enabled and key:
                req = urllib.request.Request(
                    f"{self.cdn_origin}/{container}/{key}",
                    headers={"X-Auth-Token": self._swift_token()},
                )
                try:
                    with urllib.request.urlopen(req, timeout=10) as resp:
                        status, body = resp.status, resp.read()
                        ctype = resp.headers.get("Content-Type", ctype)
                except urllib.error.HTTPError as e:
                    status, body = e.code, b"origin error"
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
