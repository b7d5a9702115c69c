"""The always-on server keeps the user's own Jupyter configuration, under nbshelf's settings.

``nbshelf service install`` writes nbshelf's ``jupyter_server_config.json`` and a unit whose
command puts its folder first in ``JUPYTER_CONFIG_PATH`` (``--jupyter-config-path``). A
``--config=FILE`` would make Jupyter read FILE only and silently drop the user's
``~/.jupyter/jupyter_server_config.py`` (kernels, contents, password ...).

Here install runs for real in a private HOME (only systemctl is a recording FAKE: no systemd
is booted here), then the unit's ExecStart is run as systemd's user manager would run it
(HOME, PATH, the unit's Environment=), and the real server is asked over HTTP which
configuration it took.
"""

from __future__ import annotations

import http.client
import json
import os
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from nbshelf.cli import main
from nbshelf.service import plan
from tests.service.conftest import free_port, runtime_infos, wait_for

USER_CONFIG = """\
c.ServerApp.allow_root = True  # as root (these tests' machines), the server starts only with it
c.ServerApp.tornado_settings = {"headers": {"X-From-User-Config": "kept"}}
c.ContentsManager.untitled_notebook = "FromUserConfig"
# Both are nbshelf's too: nbshelf's values must win, the Host check stays as nbshelf sets it.
c.ServerApp.local_hostnames = ["localhost", "userhost"]
c.ServerApp.allow_remote_access = True
"""


def request(
    port: int, method: str, path: str, token: str, host: str, body: dict[str, Any] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to 127.0.0.1:port with the given Host header."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Authorization": f"token {token}", "Host": host}
        data = None if body is None else json.dumps(body)
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def unit_command_and_env(unit: str, home: Path) -> tuple[list[str], dict[str, str]]:
    """ExecStart's words and the environment systemd's user manager would give them."""
    lines = unit.splitlines()
    exec_start = next(x for x in lines if x.startswith("ExecStart="))
    argv = shlex.split(exec_start.removeprefix("ExecStart=").replace("%%", "%"))
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    for line in lines:
        if line.startswith("Environment="):
            name, _, value = line.removeprefix("Environment=").partition("=")
            env[name] = value
    return argv, env


def test_service_server_applies_user_config_and_nbshelf_settings(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    procs: list[subprocess.Popen[Any]],
) -> None:
    calls: list[list[str]] = []

    def fake_systemctl(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        calls.append(list(argv))
        return subprocess.CompletedProcess(list(argv), 0, "", "")

    monkeypatch.setattr(plan, "run_command", fake_systemctl)  # FAKE: systemctl only
    user_config = home / ".jupyter" / "jupyter_server_config.py"
    user_config.parent.mkdir()
    user_config.write_text(USER_CONFIG)
    nb = tmp_path / "notebooks"
    nb.mkdir()
    port = free_port("127.0.0.1")
    install = ["service", "install", "--port", str(port), "--hostname", "py"]
    assert main([*install, "--notebook-dir", str(nb), "--no-password"]) == 0
    assert ["systemctl", "--user", "enable", "nbshelf.service"] in calls

    unit = (home / ".config/systemd/user/nbshelf.service").read_text()
    argv, env = unit_command_and_env(unit, home)
    assert not [a for a in argv if a.startswith("--config")], argv
    nbshelf_dir = home / ".config" / "nbshelf"
    assert f"--jupyter-config-path={nbshelf_dir}" in argv
    config = json.loads((nbshelf_dir / "jupyter_server_config.json").read_text())
    assert config["ServerApp"]["local_hostnames"] == ["localhost", "py"]

    server = subprocess.Popen(argv, cwd=nb, env=env, start_new_session=True)
    procs.append(server)  # the watchdog, stopped by PID (SIGTERM), which stops Jupyter
    log = home / ".local/state/nbshelf/server.log"

    def started() -> str | None:
        text = log.read_text() if log.exists() else ""
        assert server.poll() is None, f"exited {server.returncode}:\n{text[-3000:]}"
        assert "Running as root is not recommended" not in text, "user config not applied"
        for info in runtime_infos(home):
            if info.get("port") == port and info.get("token"):
                return str(info["token"])
        return None

    token = wait_for(started, timeout=120, what="the service's server to start")

    def answers() -> int:
        try:
            return request(port, "GET", "/api/status", token, f"py:{port}")[0]
        except OSError:
            return 0

    assert wait_for(answers, timeout=60, what="/api/status") == 200

    # The user's configuration is in force: allow_root (else, as root, no server at all), a
    # server setting (a response header) and a contents setting (the untitled name).
    _, headers, _ = request(port, "GET", "/api/status", token, f"py:{port}")
    assert headers.get("X-From-User-Config") == "kept", headers
    status, _, body = request(
        port, "POST", "/api/contents", token, "localhost", {"type": "notebook"}
    )
    assert status == 201, body
    assert json.loads(body)["name"] == "FromUserConfig.ipynb"
    assert (nb / "FromUserConfig.ipynb").exists()

    # nbshelf's settings are in force, over the user's: py passes the Host check; the user's
    # own "userhost" and allow_remote_access=True do not, and a foreign Host is refused.
    assert request(port, "GET", "/api/contents", token, f"py:{port}")[0] == 200
    assert request(port, "GET", "/api/status", token, f"userhost:{port}")[0] == 403
    assert request(port, "GET", "/api/status", token, f"evil.example:{port}")[0] == 403
    # Auth stays on.
    assert request(port, "GET", "/api/status", "wrong", f"py:{port}")[0] == 403
