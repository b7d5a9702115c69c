"""The counting proxy in a process of its own.

The benchmark measures how long nbshelf holds its process's event loop and how much
CPU the process spends: a proxy running in a thread of that process (forwarding every
request, adding the latency, keeping a record of each) puts its own work, and the
collector passes its allocations trigger, into those figures. This one runs with
``python -m tests.servers.counting_proxy``, is steered over HTTP (latency, reset,
records: paths the proxy answers itself) and stopped by its PID.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

from .counting_proxy import CONTROL, Record, RecordCounts

_REPO = Path(__file__).resolve().parents[2]


class ProxyProcess(RecordCounts):
    """A :class:`~tests.servers.counting_proxy.CountingProxy` in a child process, with
    the same ``url``, ``latency``, ``reset()``, ``snapshot()`` and counts."""

    def __init__(self, upstream: str, *, host: str = "127.0.0.1") -> None:
        self.upstream, self.host = upstream, host
        self.port = 0
        self._latency = 0.0
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ProxyProcess:
        cmd = [sys.executable, "-m", "tests.servers.counting_proxy", self.upstream]
        self.proc = subprocess.Popen(
            [*cmd, "--host", self.host], cwd=_REPO, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"counting proxy process did not start (said {line!r})")
        self.port = int(line)
        return self

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> ProxyProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, what: str, **query: str) -> bytes:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("POST", CONTROL + what + ("?" + urlencode(query) if query else ""))
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise RuntimeError(f"counting proxy: {what} answered {resp.status}")
            return body
        finally:
            conn.close()

    @property
    def latency(self) -> float:
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds != self._latency:
            self._call("latency", s=repr(seconds))
            self._latency = seconds

    def reset(self) -> None:
        self._call("reset")

    def snapshot(self) -> list[Record]:
        return [Record(**r) for r in json.loads(self._call("records"))]
