"""A real JupyterHub for the tests: jupyterhub from PyPI (in .venv, running as root so that
LocalProcessSpawner can start each single-user server as its own Unix user),
configurable-http-proxy from npm (scripts/install-jupyterhub.sh), hub, proxy and
credentials service on 127.0.0.1, stopped by PID.

The users are real Unix users (``nbshelf-*``, created once with ``useradd`` and reused);
their servers and kernels run from .venv-hub (built with /usr/bin/python3: .venv's
Python may live under /root, which they cannot execute). The test drives the hub through
its REST API with an admin service token (no login form); each user's requests go
through the proxy with a token of that user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from ..servers import ServerUnavailable, free_port, started, stopped

REPO = Path(__file__).resolve().parents[2]
HUB_VENV = Path(os.environ.get("NBSHELF_HUB_VENV", REPO / ".venv-hub"))
#: a Unix user that only checks that other users can run the servers' virtualenv
PROBE_USER = "nbshelf-probe"
CHP = (
    Path(os.environ.get("NBSHELF_CHP_DIR", REPO / ".chp"))
    / "node_modules/.bin/configurable-http-proxy"
)


def require_hub_tools() -> None:
    """Skip (with what to run) where a piece is missing; never run servers as root."""
    if os.geteuid() != 0:
        raise ServerUnavailable(
            "the JupyterHub tests start servers as other Unix users: run as root"
        )
    if shutil.which("useradd") is None:
        raise ServerUnavailable("useradd not found")
    if not CHP.exists():
        raise ServerUnavailable(f"{CHP} missing: run scripts/install-jupyterhub.sh")
    if not (HUB_VENV / "bin/jupyterhub-singleuser").exists():
        raise ServerUnavailable(f"{HUB_VENV} missing: run scripts/install-jupyterhub.sh")
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        raise ServerUnavailable("jupyterhub is not installed in this virtualenv") from None
    # the users' servers run .venv-hub, whose nbshelf is this tree (editable): both must
    # be readable by other users (a repository under a mode-700 folder is not)
    ensure_unix_user(PROBE_USER)
    probe = subprocess.run(
        # what the servers import: nbshelf's, and the share renderer's (a share answered
        # 501 where .venv-hub was built without the share extra)
        [str(HUB_VENV / "bin/python"), "-c", "import nbshelf.hub.singleuser, nbconvert, nh3"],
        user=PROBE_USER,
        cwd="/",
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        raise ServerUnavailable(
            f"{PROBE_USER} cannot run {HUB_VENV}/bin/python with this tree's nbshelf "
            f"(is {REPO} readable by other users?): {probe.stderr.decode()[-300:]}"
        )


def ensure_unix_user(name: str) -> None:
    """A Unix user ``name`` (nbshelf-*) with a home, created once and reused."""
    assert name.startswith("nbshelf-")
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", name], check=True)
    home = Path(pwd.getpwnam(name).pw_dir)
    if not home.exists():
        info = pwd.getpwnam(name)
        home.mkdir(parents=True)
        os.chown(home, info.pw_uid, info.pw_gid)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@dataclass
class UserServer:
    """One user's single-user server, reached through the hub's proxy with a user token
    (duck-types tests/servers/jupyter.NbshelfServer for tests/kernels/kernel.py)."""

    name: str
    url: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=120, **kwargs)


@dataclass
class Hub:
    proc: subprocess.Popen[bytes]
    url: str
    admin_token: str
    log_path: Path
    servers: dict[str, UserServer] = field(default_factory=dict)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}/hub/api{path}",
            headers={"Authorization": f"token {self.admin_token}"},
            timeout=60,
            **kwargs,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def start_server(self, name: str, timeout: float = 240) -> UserServer:
        """Create the hub user (if new), start its server and wait until it is ready;
        a token of that user to reach it through the proxy."""
        r = self.api("POST", f"/users/{name}")
        assert r.status_code in (201, 409), r.text
        r = self.api("POST", f"/users/{name}/server")
        assert r.status_code in (201, 202, 400), r.text  # 400: already running
        deadline = time.monotonic() + timeout
        while True:
            model = self.api("GET", f"/users/{name}").json()
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}'s server not ready:\n{self.log()[-4000:]}")
            if server is None and model.get("pending") is None:
                raise AssertionError(f"{name}'s server failed to start:\n{self.log()[-4000:]}")
            time.sleep(1)
        r = self.api("POST", f"/users/{name}/tokens", json={"note": "nbshelf test"})
        assert r.status_code == 201, r.text
        srv = UserServer(name, f"{self.url}/user/{name}", r.json()["token"])
        self.servers[name] = srv
        return srv

    def server_pid(self, name: str) -> int:
        """The PID of ``name``'s single-user server (LocalProcessSpawner's state)."""
        model = self.api("GET", f"/users/{name}").json()
        return int(model["servers"][""]["state"]["pid"])

    def stop_server(self, name: str) -> None:
        self.api("DELETE", f"/users/{name}/server")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            model = self.api("GET", f"/users/{name}").json()
            if not (model.get("servers") or {}).get(""):
                return
            time.sleep(0.5)

    def children(self) -> dict[int, bytes]:
        """The processes the hub started, by PID with their command line: its proxy (its
        pid file), the users' servers (their spawners' state)."""
        pids = []
        pid_file = self.log_path.parent / "jupyterhub-proxy.pid"
        if pid_file.exists():
            pids.append(int(pid_file.read_text().strip() or 0))
        for name in self.servers:
            with contextlib.suppress(KeyError, TypeError, ValueError, requests.RequestException):
                pids.append(self.server_pid(name))
        return {p: c for p in pids if p > 0 and (c := _cmdline(p))}

    def stop(self) -> None:
        if self.proc.poll() is None:
            stopped("jupyterhub")
            children = self.children()
            os.kill(self.proc.pid, signal.SIGTERM)  # the hub stops its proxy, service, servers
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            for pid, cmdline in children.items():  # what the hub left running, by PID
                if _cmdline(pid) == cmdline:  # the same process, not a reused PID
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)


CONFIG = """\
from nbshelf.hub.config import configure

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.JupyterHub.db_url = "sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{state}/jupyterhub_cookie_secret"
c.JupyterHub.cleanup_servers = True
c.Authenticator.allowed_users = set({users!r})
# the test's driver: a service with an admin-like role (creates users, servers, tokens)
c.JupyterHub.services = [{{"name": "nbshelf-test-driver", "api_token": {admin_token!r}}}]
c.JupyterHub.load_roles = [
    {{
        "name": "nbshelf-test-driver",
        "scopes": ["admin:users", "admin:servers", "admin:server_state", "tokens", "read:users"],
        "services": ["nbshelf-test-driver"],
    }}
]
configure(
    c,
    issuer={issuer!r},
    issuer_options={issuer_options!r},
    service_environment={service_environment!r},
    port={service_port},
)
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.start_timeout = 600
# a server is stopped with SIGINT, then SIGTERM: jupyter_server answers SIGINT with a
# question (with no terminal it waits 5 s, then carries on), so the SIGTERM that stops it
# comes after 1 s, not after the default 10 s (the hub stops every server as it exits)
c.LocalProcessSpawner.interrupt_timeout = 1
c.Spawner.http_timeout = 600
{extra_config}
"""


def start_hub(
    state: Path,
    users: list[str],
    *,
    issuer_options: dict[str, Any],
    service_environment: dict[str, str],
    issuer: str = "nbshelf.hub.s3:S3Issuer",
    extra_config: str = "",
) -> Hub:
    """Write the config into ``state`` and start the hub; wait until its API answers."""
    require_hub_tools()
    for user in users:
        ensure_unix_user(user)
    state.mkdir(parents=True, exist_ok=True)
    port, admin_token = free_port(), secrets.token_hex(24)
    (state / "jupyterhub_config.py").write_text(
        CONFIG.format(
            port=port,
            hub_port=free_port(),
            proxy_api_port=free_port(),
            service_port=free_port(),
            chp=str(CHP),
            state=state,
            users=users,
            admin_token=admin_token,
            issuer=issuer,
            issuer_options=issuer_options,
            service_environment=service_environment,
            singleuser=str(HUB_VENV / "bin/jupyterhub-singleuser"),
            extra_config=extra_config,
        )
    )
    # nothing of the test's own credentials in the hub's (and so the spawners') environment
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OS_", "ST_"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    log_path = state / "jupyterhub.log"
    started("jupyterhub")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(state / "jupyterhub_config.py")],
            cwd=state,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    hub = Hub(proc, f"http://127.0.0.1:{port}", admin_token, log_path)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"the hub exited ({proc.returncode}):\n{hub.log()[-4000:]}")
        try:
            if hub.api("GET", "/").status_code == 200:
                return hub
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            hub.stop()
            raise AssertionError(f"the hub did not answer:\n{hub.log()[-4000:]}")
        time.sleep(0.5)


def start_servers(hub: Hub, *names: str) -> dict[str, UserServer]:
    """The users' servers, started in this order, by name."""
    return {name: hub.start_server(name) for name in names}


def markdown_notebook(text: str) -> dict[str, Any]:
    """A contents-API notebook model of one markdown cell."""
    return {
        "type": "notebook",
        "format": "json",
        "content": {
            "cells": [{"cell_type": "markdown", "metadata": {}, "source": text}],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
    }


#: What an attacking kernel runs first (``json``, ``os`` and ``urllib`` imported): its
#: server's environment read from ``/proc`` (``out["server_env"]``: the store credential
#: variables found there), and ``ask(path)`` of the hub's credentials service with the
#: server's own token.
KERNEL_PRELUDE = r"""
raw = open(f"/proc/{os.getppid()}/environ", "rb").read().decode()
env = dict(x.split("=", 1) for x in raw.split("\0") if "=" in x)
out = {"server_env": sorted(k for k in env if k.startswith(("AWS_", "OS_", "ST_"))),
       "uid": os.getuid()}
url, token = env["NBSHELF_HUB_CREDENTIALS_URL"], env["JUPYTERHUB_API_TOKEN"]
def ask(path):
    req = urllib.request.Request(url + path, headers={"Authorization": "token " + token})
    try:
        return 200, json.load(urllib.request.urlopen(req))
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
"""
