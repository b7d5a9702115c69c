"""A TCP proxy that injects faults between a client and a real server, for tests.

Real servers fail in ways a mock never shows: a connection cut in the middle of an
upload, a server that accepts and then stalls, a gateway answering 503. This proxy
sits on 127.0.0.1 in front of any TCP server (Swift, S3, ...) and forwards bytes
unchanged (so ``Host`` headers, hence storage URLs handed out by the server, name the
proxy) until told to misbehave; :meth:`FaultProxy.set` changes the mode at any time::

    with FaultProxy("127.0.0.1", swift_port) as proxy:
        proxy.set("cut_request", after=1_000_000)   # upstream sees a truncated body
        ...
        proxy.set("pass")

Modes:

- ``pass``: forward both ways.
- ``refuse``: close each new connection at once (as a stopped server would, after accept).
- ``reset``: close with a TCP reset (SO_LINGER 0).
- ``delay``: wait ``seconds`` before forwarding a new connection.
- ``status``: answer ``status`` (default 503) with a short body; nothing is forwarded.
- ``cut_request``: forward ``after`` more bytes the client sends, then reset both sides.
- ``cut_response``: forward ``after`` more bytes the server answers, then reset both.
- ``pause``: forward nothing (new or open connections) until the mode changes (a stall).

It counts connections and bytes (``stats``) so a test can tell the fault happened.

``set(mode, times=N)`` makes a fault transient: it hits the next N connections (or,
for the ``cut_*`` modes, N cuts), then the proxy passes again. :meth:`drop` closes
the open (keep-alive) connections, as a restarting server would, so that the
client's next request opens a new connection and meets the new mode.
"""

from __future__ import annotations

import collections
import contextlib
import socket
import struct
import threading
import time
from typing import Any

from . import free_port

MODES = ("pass", "refuse", "reset", "delay", "status", "cut_request", "cut_response", "pause")
_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class FaultProxy:
    """Forward ``host:port`` -> ``upstream``, with the fault of the current mode."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self.port = port or free_port(host)
        self.mode = "pass"
        self.params: dict[str, Any] = {}
        self.stats: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._listener: socket.socket | None = None
        self._socks: set[socket.socket] = set()
        self._generation = 0
        self._remaining: int | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    # ------------------------------------------------------------ control
    def set(self, mode: str, **params: Any) -> None:
        """Switch mode. ``refuse``, ``reset``, ``status`` and ``delay`` act on connections
        accepted from now on; ``cut_*`` and ``pause`` on open (keep-alive) ones too, the
        cut counting the bytes forwarded since this call."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
        with self._changed:
            self.mode, self.params = mode, params
            self._remaining = int(params.pop("times", 0)) or None
            self._generation += 1
            self._changed.notify_all()

    def drop(self) -> None:
        """Close every open connection (both sides)."""
        with self._lock:
            socks = list(self._socks)
            self._socks.clear()
        for s in socks:
            _close(s)

    def _spend(self) -> None:
        """One fault happened: after the last of ``times``, pass again."""
        with self._changed:
            if self._remaining is None:
                return
            self._remaining -= 1
            if self._remaining <= 0:
                self.mode, self.params, self._remaining = "pass", {}, None
                self._generation += 1
                self._changed.notify_all()

    def start(self) -> FaultProxy:
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((self.host, self.port))
        ls.listen(64)
        self._listener = ls
        self._thread = threading.Thread(target=self._accept, daemon=True, name="fault-proxy")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every open connection."""
        ls, self._listener = self._listener, None
        if ls is not None:
            with contextlib.suppress(OSError):
                ls.shutdown(socket.SHUT_RDWR)
            ls.close()
        with self._changed:
            socks = list(self._socks)
            self._changed.notify_all()
        for s in socks:
            _close(s)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ internals
    def _accept(self) -> None:
        while self._listener is not None:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                mode, params = self.mode, dict(self.params)
            self.stats["connections"] += 1
            self.stats[f"mode:{mode}"] += 1
            if mode in ("refuse", "reset", "status", "delay"):
                self._spend()
            threading.Thread(target=self._serve, args=(client, mode, params), daemon=True).start()

    def _serve(self, client: socket.socket, mode: str, params: dict[str, Any]) -> None:
        self._track(client)
        if mode == "refuse":
            _close(client)
            return
        if mode == "reset":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            _close(client)
            return
        if mode == "status":
            status = int(params.get("status", 503))
            body = f"fault proxy: {status}\n".encode()
            with contextlib.suppress(OSError):
                client.settimeout(2)
                client.recv(65536)  # the request's head (its body, if any, is not needed)
                client.sendall(
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                    f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
                    "Connection: close\r\n\r\n".encode()
                    + body
                )
            _close(client)
            return
        if mode == "pause":
            self._current()
        if mode == "delay":
            time.sleep(float(params.get("seconds", 1.0)))
        try:
            upstream = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            _close(client)
            return
        upstream.settimeout(None)
        self._track(upstream)
        pair = (client, upstream)
        threading.Thread(
            target=self._pump, args=(client, upstream, "up", pair), daemon=True
        ).start()
        self._pump(upstream, client, "down", pair)

    def _current(self) -> tuple[str, dict[str, Any], int]:
        """The mode now (waiting while it is ``pause``) and its generation."""
        with self._changed:
            while self.mode == "pause" and self._listener is not None:
                self._changed.wait(0.5)
            return self.mode, self.params, self._generation

    def _pump(
        self,
        src: socket.socket,
        dst: socket.socket,
        direction: str,
        pair: tuple[socket.socket, socket.socket],
    ) -> None:
        gen, sent = -1, 0  # bytes forwarded this way since the mode last changed
        cut_mode = "cut_request" if direction == "up" else "cut_response"
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    return
                mode, params, g = self._current()
                if g != gen:
                    gen, sent = g, 0
                if mode == cut_mode and sent + len(data) >= int(params["after"]):
                    dst.sendall(data[: max(0, int(params["after"]) - sent)])
                    self.stats[f"cut_{direction}"] += 1
                    self._spend()
                    for s in pair:  # a reset on both sides: nothing more gets through
                        with contextlib.suppress(OSError):
                            s.setsockopt(
                                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                            )
                        _close(s)
                    return
                dst.sendall(data)
                sent += len(data)
                self.stats[f"bytes_{direction}"] += len(data)
        except OSError:
            for s in pair:
                _close(s)

    def _track(self, s: socket.socket) -> None:
        with self._lock:
            self._socks.add(s)


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.close()
