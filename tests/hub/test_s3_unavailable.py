"""A single-user server whose hub cannot issue credentials answers a clear 503 that names
the hub's credentials service (no traceback, no token), and keeps answering it, for every
contents request, until the service is back (a real jupyter_server over HTTP)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..servers import free_port
from ..servers.jupyter import ECOSYSTEM_SERVER_EXTENSIONS, NbshelfServer

TOKEN = "0123456789abcdef0123456789abcdef"  # the server's JupyterHub API token, as spawned


class HubConfiguredServer(NbshelfServer):
    """jupyter_server as jupyterhub_config.py configures it (HubContentsManager), without
    the hub (``nbshelf serve`` would choose its own contents manager)."""

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.allow_root=True",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.port_retries=0",
            *(f"--ServerApp.jpserver_extensions={n}=False" for n in ECOSYSTEM_SERVER_EXTENSIONS),
            *self.extra,
        ]


@pytest.fixture
def orphan(tmp_path: Path) -> Iterator[NbshelfServer]:
    root = tmp_path / "root"
    root.mkdir()
    srv = HubConfiguredServer(
        root,
        "--ServerApp.contents_manager_class=nbshelf.hub.HubContentsManager",
        env={
            # the hub's service, down: nothing listens there
            "NBSHELF_HUB_CREDENTIALS_URL": f"http://127.0.0.1:{free_port()}/services/nbshelf-credentials/",
            "NBSHELF_HUB_SERVICE": "nbshelf-credentials",
            "JUPYTERHUB_API_TOKEN": TOKEN,
        },
    )
    srv.start()
    yield srv
    srv.stop()


def test_503_names_the_hub_service(orphan: NbshelfServer) -> None:
    for method, path, body in (
        ("GET", "/api/contents/", None),
        ("GET", "/api/contents/a.ipynb", None),
        ("PUT", "/api/contents/a.txt", {"type": "file", "format": "text", "content": "x"}),
    ):
        r = orphan.api(method, path, json=body)
        assert r.status_code == 503, (path, r.status_code, r.text)
        message = r.json()["message"]
        assert "JupyterHub service nbshelf-credentials" in message
        assert "cannot be reached" in message and "hub's admin" in message
        assert "Traceback" not in r.text and TOKEN not in r.text
    hub = orphan.api("GET", "/nbshelf/api/hub").json()
    assert hub["service"] == "nbshelf-credentials" and hub["fetches"] == 0
    log = orphan.log()
    assert TOKEN not in log
    assert "Traceback" not in log
