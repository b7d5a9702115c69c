"""moto's real HTTP server in a subprocess on a free 127.0.0.1 port.

A subprocess (not moto's in-process mocks) so that requests really cross a
socket, can be counted by a proxy, and moto's global state never leaks into
the test process. Stopped by its own PID only.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

from . import ServerUnavailable, free_port, started, stopped

ACCESS_KEY = "testing-key"
SECRET_KEY = "testing-secret"  # moto accepts any pair; this one is only ever used against moto
REGION = "us-east-1"


@dataclass
class MotoServer:
    """A running ``moto.server`` process."""

    proc: subprocess.Popen[bytes]
    endpoint: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION
    kind: str = "moto"  # what the run summary counts it as

    def stop(self) -> None:
        if self.proc.poll() is None:
            stopped(self.kind)
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def reset(self) -> None:
        """Forget every bucket and object (moto's own reset endpoint)."""
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).close()

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_moto(
    timeout: float = 30.0,
    *,
    env: dict[str, str] | None = None,
    kind: str = "moto",
    module: str = "moto.server",
) -> MotoServer:
    """Start ``python -m moto.server`` (with ``env`` added to its environment) and wait
    until it answers. ``module``: another entry point with moto's command line (the
    benchmark's ``benchmarks.moto_seeding``)."""
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        raise ServerUnavailable("moto's server is not installed: pip install 'moto[server]'")
    port = free_port()
    started(kind)
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    server = MotoServer(proc, f"http://127.0.0.1:{port}", kind=kind)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"{server.endpoint}/moto-api/", timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"moto server did not answer on {server.endpoint} within {timeout} s")
