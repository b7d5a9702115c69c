"""Fixtures for ``nbshelf service`` tests: an isolated home, free ports, real servers by PID.

Every test gets its own HOME (so config, unit, runtime and log files land in tmp) and a
hosts file of its own via NBSHELF_HOSTS_FILE: no test can touch the machine's /etc/hosts.
The namespace tests replace /etc itself, in a private mount namespace only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
NBSHELF = str(Path(sys.executable).with_name("nbshelf"))
STRIP = ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR")


def free_port(ip: str) -> int:
    """A port free on ``ip`` right now (bound and released: the server binds it next)."""
    with socket.socket() as s:
        s.bind((ip, 0))
        return int(s.getsockname()[1])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME and hosts file for this test, in this process and its children."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("HOME", str(h))
    for name in STRIP:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith(("JUPYTER_", "NBSHELF_")):
            monkeypatch.delenv(name, raising=False)
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n")
    monkeypatch.setenv("NBSHELF_HOSTS_FILE", str(hosts))
    return h


def runtime_infos(home: Path) -> list[dict[str, Any]]:
    """Jupyter runtime files of servers started with HOME=home."""
    folder = home / ".local" / "share" / "jupyter" / "runtime"
    out = []
    for path in folder.glob("jpserver-*.json"):
        with contextlib.suppress(OSError, ValueError):
            out.append(json.loads(path.read_text()))
    return out


def status(url: str, token: str | None, host: str | None = None, timeout: float = 3) -> int:
    """HTTP status of GET url/api/status (0: no answer)."""
    req = urllib.request.Request(url.rstrip("/") + "/api/status")
    if token:
        req.add_header("Authorization", f"token {token}")
    if host:
        req.add_header("Host", host)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)
    except OSError:
        return 0


def wait_for(check: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; the timeout only bounds a failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_pid(proc: subprocess.Popen[Any]) -> None:
    """Stop a process the test started, by its PID: SIGTERM, then SIGKILL."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[Any]]]:
    """Processes a test starts; each stopped by PID at the end, whatever happened."""
    started: list[subprocess.Popen[Any]] = []
    yield started
    for p in reversed(started):
        stop_pid(p)
