"""Start and stop a real ``nbshelf serve`` (jupyter_server + JupyterLab) on 127.0.0.1.

The system under test, not a backing server: most tests start one with the store,
environment and options they test (each stopped by its PID at the end); the plugin's
``local_server`` fixture is one on the local store shared by the session."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from . import free_port, started

#: the tools of the ``ecosystem`` extra that enable themselves when installed: server
#: extensions and JupyterLab extensions. A server is started without them unless a test
#: asks (``ecosystem=True``, tests/ecosystem): nbshelf's own tests run on plain JupyterLab.
ECOSYSTEM_SERVER_EXTENSIONS = (
    "jupyterlab_jupytext",
    "nbdime",
    "jupyter_server_ydoc",
    "jupyter_server_fileid",
)
ECOSYSTEM_LAB_EXTENSIONS = (
    "jupyterlab-jupytext",
    "nbdime-jupyterlab",
    "@jupyter/collaboration-extension",
    "@jupyter/docprovider-extension",
)


class NbshelfServer:
    """``nbshelf serve --no-browser`` as a child process, stopped by its PID."""

    def __init__(
        self,
        root: Path,
        *extra: str,
        store: str = "",
        env: dict[str, str] | None = None,
        ecosystem: bool = False,
    ):
        self.root = root
        self.ecosystem = ecosystem
        self.extra = list(extra)
        self.store = store
        self.env = env or {}
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = root.parent / f"{root.name}-server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "nbshelf.cli",
            "serve",
            "--no-browser",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--notebook-dir",
            str(self.root),
            # the tests run as root on CI machines; nbshelf never sets this itself
            "--ServerApp.allow_root=True",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.port_retries=0",
        ]
        if self.store:
            cmd += ["--store", self.store]
        if not self.ecosystem:  # the command line wins over the environment's enable files
            for name in ECOSYSTEM_SERVER_EXTENSIONS:
                cmd += ["--ServerApp.jpserver_extensions", f"{name}=False"]
        return cmd + self.extra

    def start(self, timeout: float = 60) -> NbshelfServer:
        started("nbshelf serve")
        env = {**os.environ, "JUPYTER_PLATFORM_DIRS": "1", **self.env}
        env["JUPYTER_CONFIG_DIR"] = str(self.root.parent / f"{self.root.name}-config")
        env["JUPYTER_RUNTIME_DIR"] = str(self.root.parent / f"{self.root.name}-runtime")
        # kernels of notebooks in object stores work in a folder beside the test's root
        # (not in the user's Jupyter data folder): nbshelf.server.kernel_files
        env["NBSHELF_WORK_DIR"] = env.get("NBSHELF_WORK_DIR") or str(
            self.root.parent / f"{self.root.name}-work"
        )
        if not self.ecosystem:
            self._without_ecosystem(Path(env["JUPYTER_CONFIG_DIR"]))
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.root
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nbshelf serve exited {self.proc.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/api/status", headers=self.headers, timeout=2).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"nbshelf serve did not answer in {timeout}s:\n{self.log()}")

    @staticmethod
    def _without_ecosystem(config_dir: Path) -> None:
        """Switch the installed ecosystem tools' JupyterLab extensions off in this server's
        own config folder (their server extensions are off on the command line)."""
        labconfig = config_dir / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        disabled = {"disabledExtensions": dict.fromkeys(ECOSYSTEM_LAB_EXTENSIONS, True)}
        (labconfig / "page_config.json").write_text(json.dumps(disabled))

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 60)
        return requests.request(method, f"{self.url}{path}", headers=headers, **kwargs)

    def requests_made(self) -> dict[str, int]:
        """The store requests the server has made so far (nbshelf's status endpoint)."""
        return dict(self.api("GET", "/nbshelf/api/status").json()["requests"])
