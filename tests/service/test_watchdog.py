"""``nbshelf serve --keep-alive`` against real servers: a hung one and a crashed one come back.

Timings are shortened through NBSHELF_WATCHDOG_* so the test is quick; nothing asserts a
duration: the test waits for the observable effect (a new server pid answering).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nbshelf.service import watchdog
from tests.service.conftest import NBSHELF, alive, free_port, runtime_infos, status, wait_for

FAST = {
    "NBSHELF_WATCHDOG_INTERVAL": "0.5",
    "NBSHELF_WATCHDOG_PROBE_TIMEOUT": "3",  # generous: CI machines may be loaded
    "NBSHELF_WATCHDOG_FAILURES": "3",
    "NBSHELF_WATCHDOG_STOP_GRACE": "3",
    "NBSHELF_WATCHDOG_BACKOFF_INITIAL": "0.2",
    "NBSHELF_WATCHDOG_BACKOFF_MAX": "1",
    "NBSHELF_WATCHDOG_STARTUP_TIMEOUT": "40",
}


def test_backoff_doubles_and_is_bounded() -> None:
    delays = [watchdog.backoff(n, 1.0, 60.0) for n in range(10)]
    assert delays[:7] == [1, 2, 4, 8, 16, 32, 60]
    assert max(delays) == 60 and watchdog.backoff(10_000, 1.0, 60.0) == 60


def test_settings_from_env() -> None:
    s = watchdog.Settings.from_env(
        {"NBSHELF_WATCHDOG_INTERVAL": "2", "NBSHELF_WATCHDOG_FAILURES": "4"}
    )
    assert (s.interval, s.failures, s.backoff_max) == (2.0, 4, 60.0)
    with pytest.raises(ValueError, match="NBSHELF_WATCHDOG_INTERVAL"):
        watchdog.Settings.from_env({"NBSHELF_WATCHDOG_INTERVAL": "soon"})


def test_child_argv_drops_keep_alive_and_keeps_extra(tmp_path: Path) -> None:
    args = argparse.Namespace(
        store="memory://",
        root_dir=str(tmp_path),
        ip="127.0.0.21",
        port=9999,
        no_browser=True,
        app="lab",
        keep_alive=True,
        extra=["--ServerApp.allow_root=True"],
    )
    argv = watchdog.child_argv(args, python="/py")
    assert argv[:4] == ["/py", "-m", "nbshelf.service.launch", "serve"]
    assert "--keep-alive" not in argv
    assert argv[-1] == "--ServerApp.allow_root=True"
    assert f"--notebook-dir={tmp_path}" in argv and "--port=9999" in argv


def _answering_child(home: Path, port: int, not_pid: set[int]) -> dict[str, Any] | None:
    for info in runtime_infos(home):
        mine = info.get("port") == port and info["pid"] not in not_pid and alive(info["pid"])
        if mine and status(info["url"], info["token"]) == 200:
            return info
    return None


def test_watchdog_restarts_hung_and_crashed_server_and_forwards_sigterm(
    home: Path, tmp_path: Path, procs: list[subprocess.Popen[Any]]
) -> None:
    ip = "127.0.0.21"
    port = free_port(ip)
    nb = tmp_path / "nb"
    nb.mkdir()
    log = (tmp_path / "watchdog.log").open("w")
    dog = subprocess.Popen(
        [
            NBSHELF,
            "serve",
            "--keep-alive",
            "--no-browser",
            f"--ip={ip}",
            f"--port={port}",
            f"--notebook-dir={nb}",
            "--ServerApp.allow_root=True",
        ],
        env={**os.environ, **FAST},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    procs.append(dog)

    log_file = tmp_path / "watchdog.log"

    def seen_by_watchdog(info: dict[str, Any]) -> bool:
        return f"server pid {info['pid']} answers at" in log_file.read_text()

    first = wait_for(lambda: _answering_child(home, port, set()), what="first server")
    assert first["pid"] != dog.pid  # the server is a child, the watchdog stays
    wait_for(lambda: seen_by_watchdog(first), what="the watchdog to see it answer")

    # Hung: the process exists but answers nothing.
    os.kill(first["pid"], signal.SIGSTOP)
    second = wait_for(lambda: _answering_child(home, port, {first["pid"]}), what="restart")
    assert not alive(first["pid"])
    wait_for(lambda: seen_by_watchdog(second), what="the watchdog to see it answer")

    # Crashed: killed outright.
    os.kill(second["pid"], signal.SIGKILL)
    third = wait_for(
        lambda: _answering_child(home, port, {first["pid"], second["pid"]}), what="restart 2"
    )

    # SIGTERM to the watchdog stops the server cleanly, then the watchdog exits 0.
    dog.send_signal(signal.SIGTERM)
    assert dog.wait(60) == 0
    assert not alive(third["pid"])
    text = log_file.read_text()
    assert "not answering" in text
    assert "exited with signal SIGKILL" in text
    assert "asked to stop" in text
    assert status(f"http://{ip}:{port}/", third["token"]) == 0  # nothing listens any more


def test_clean_shutdown_is_not_restarted(
    home: Path, tmp_path: Path, procs: list[subprocess.Popen[Any]]
) -> None:
    """File > Shut Down in JupyterLab: the watchdog ends with 0 (restart-on-failure agrees)."""
    import urllib.request

    ip = "127.0.0.22"
    port = free_port(ip)
    dog = subprocess.Popen(
        [
            NBSHELF,
            "serve",
            "--keep-alive",
            "--no-browser",
            f"--ip={ip}",
            f"--port={port}",
            f"--notebook-dir={tmp_path}",
            "--ServerApp.allow_root=True",
        ],
        env={**os.environ, **FAST},
        stderr=subprocess.PIPE,
        text=True,
    )
    procs.append(dog)
    info = wait_for(lambda: _answering_child(home, port, set()), what="server")
    req = urllib.request.Request(
        info["url"] + "api/shutdown",
        method="POST",
        headers={"Authorization": f"token {info['token']}"},
    )
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=10).close()
    assert dog.wait(60) == 0
    assert "not restarting" in (dog.stderr.read() if dog.stderr else "")
