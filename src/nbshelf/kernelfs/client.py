"""HTTP to the Jupyter server that started this kernel (stdlib only: no jupyter_server).

Every request has a timeout; a refused or dropped connection is one retry for reads
(a restarted server answers the next call) and a :class:`ConnectionError` naming the
server otherwise. HTTP errors become the Python exceptions a file API raises.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

ENV_URL = "NBSHELF_SERVER_URL"
ENV_TOKEN = "NBSHELF_KERNEL_TOKEN"
ENV_DIR = "NBSHELF_NOTEBOOK_DIR"
ENV_WORK = "NBSHELF_WORK_DIR"
ENV_KERNEL = "NBSHELF_KERNEL_ID"
API = "/nbshelf/api/kernel-files"


class ShelfError(OSError):
    """The server answered with an error that no more precise exception names."""


class ShelfClient:
    """One server, one credential; a connection per thread, reopened when it drops."""

    def __init__(
        self,
        server_url: str | None = None,
        token: str | None = None,
        *,
        jupyter_token: str | None = None,
        timeout: float = 60.0,
        retries: int = 2,
    ) -> None:
        url = server_url or os.environ.get(ENV_URL, "")
        if not url:
            raise ConnectionError(
                "shelf:// reaches the notebook store through the Jupyter server that started "
                f"this kernel, and ${ENV_URL} is not set: start the kernel from "
                "`nbshelf serve` (or pass server_url= and token=)"
            )
        self.url = url.rstrip("/")
        parts = urlsplit(self.url)
        self.scheme = parts.scheme or "http"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        self.base = parts.path.rstrip("/")
        if jupyter_token:
            self.auth = f"token {jupyter_token}"
        else:
            tok = token if token is not None else os.environ.get(ENV_TOKEN, "")
            if not tok:
                raise PermissionError(f"no ${ENV_TOKEN}: the server at {self.url} gave none")
            self.auth = f"nbshelf-kernel {tok}"
        self.timeout = timeout
        self.retries = retries
        self._local = threading.local()

    # ------------------------------------------------------------------ plumbing
    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.scheme == "https":
                conn = http.client.HTTPSConnection(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def target(self, endpoint: str, **params: Any) -> str:
        query = urlencode({k: v for k, v in params.items() if v is not None}, quote_via=quote)
        return f"{self.base}{API}/{endpoint}" + (f"?{query}" if query else "")

    def request(
        self,
        method: str,
        endpoint: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        stream: bool = False,
        **params: Any,
    ) -> http.client.HTTPResponse:
        """One request; the response is read whole unless ``stream`` (then the caller
        reads and closes it)."""
        hdrs = {"Authorization": self.auth, **(headers or {})}
        if body is not None:
            hdrs["Content-Length"] = str(len(body))
        url = self.target(endpoint, **params)
        attempt = 0
        while True:
            attempt += 1
            conn = self._conn()
            try:
                conn.request(method, url, body=body, headers=hdrs)
                resp = conn.getresponse()
                if not stream:
                    resp.data = resp.read()  # type: ignore[attr-defined]
            except TimeoutError as e:
                self._drop()
                raise ConnectionError(
                    f"the Jupyter server at {self.url} did not answer {method} "
                    f"{endpoint} within {self.timeout:.0f}s"
                ) from e
            except (OSError, http.client.HTTPException) as e:
                self._drop()
                # a stale kept-alive connection, or a server restarting: try again
                if attempt <= self.retries and (idempotent or _not_sent(e)):
                    time.sleep(0.2 * attempt)
                    continue
                raise ConnectionError(
                    f"cannot reach the Jupyter server at {self.url} ({e.__class__.__name__}: "
                    f"{e}); is it running?"
                ) from None
            if resp.status >= 400:
                data = resp.read() if stream else resp.data  # type: ignore[attr-defined]
                if stream:
                    resp.close()
                raise _error(resp.status, data, params.get("path") or endpoint, self.url)
            return resp

    def json(self, method: str, endpoint: str, **kw: Any) -> Any:
        resp = self.request(method, endpoint, **kw)
        data = resp.data  # type: ignore[attr-defined]
        return json.loads(data) if data else None

    def open_stream(self, path: str, start: int, end: int | None = None) -> Stream:
        """An open response with bytes ``start``..``end`` (default: to the end) of a file,
        on a connection of its own (other calls may run while it is read)."""
        own = ShelfClient.__new__(ShelfClient)
        own.__dict__.update(self.__dict__)
        own._local = threading.local()
        last = "" if end is None else str(end - 1)
        resp = own.request(
            "GET", "data", headers={"Range": f"bytes={start}-{last}"}, stream=True, path=path
        )
        return Stream(own, resp, start)

    def stream(self, path: str, start: int, end: int, piece: int = 1 << 20) -> Iterator[bytes]:
        """Bytes ``start``..``end`` of a file, a piece at a time."""
        s = self.open_stream(path, start, end)
        resp = s.resp
        try:
            while True:
                chunk = resp.read(piece)
                if not chunk:
                    break
                yield chunk
        except (OSError, http.client.HTTPException) as e:
            self._drop()
            raise ConnectionError(f"the Jupyter server at {self.url} dropped a read: {e}") from None
        finally:
            s.close()


class Stream:
    """A file's bytes being received, from ``pos`` on."""

    def __init__(self, client: ShelfClient, resp: http.client.HTTPResponse, pos: int) -> None:
        self.client, self.resp, self.pos = client, resp, pos

    def read(self, n: int) -> bytes:
        """Exactly ``n`` bytes, fewer only at the end of the file."""
        parts: list[bytes] = []
        want = n
        try:
            while want > 0:
                chunk = self.resp.read(want)
                if not chunk:
                    break
                parts.append(chunk)
                want -= len(chunk)
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise ConnectionError(
                f"the Jupyter server at {self.client.url} dropped a read: {e}"
            ) from None
        data = b"".join(parts)
        self.pos += len(data)
        return data

    def close(self) -> None:
        self.resp.close()
        self.client._drop()


def _not_sent(e: BaseException) -> bool:
    return isinstance(e, ConnectionRefusedError)


def _error(status: int, body: bytes, path: str, url: str) -> OSError:
    try:
        reply = json.loads(body)
        message = reply.get("message") or ""
        reason = reply.get("reason") or ""
    except ValueError:
        message, reason = body.decode(errors="replace")[:200], ""
    text = f"{message} (server {url}, HTTP {status})"
    if reason == "IsADirectory":
        return IsADirectoryError(text)
    if reason == "NotADirectory":
        return NotADirectoryError(text)
    if status == 404:
        return FileNotFoundError(2, message or "No such file or directory", path)
    if status in (401, 403):
        return PermissionError(13, message or "Permission denied", path)
    if status == 409 and "exist" in message.lower():
        return FileExistsError(17, message or "File exists", path)
    if status == 409:  # a folder being moved or deleted, a file changed while read
        return OSError(16, text, path)
    if status == 400 and reason == "NotEmpty":
        return OSError(39, message, path)
    if status == 400:
        return ShelfError(22, text)
    if status >= 500:
        return ConnectionError(f"the notebook store failed behind {url}: {message} (HTTP {status})")
    return ShelfError(text)
