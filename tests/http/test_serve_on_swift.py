"""A real ``nbshelf serve --store swift://served-notebooks`` (credentials from the environment,
as the ``swift`` CLI reads them) against the real Swift all-in-one: the JupyterLab
flows through the REST API, the objects as the ``swift`` command-line client sees
them, and the request budget counted in the real proxy's access log."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nbformat
import pytest

from tests.servers.jupyter import NbshelfServer
from tests.servers.swift import REPO, SwiftServer
from tests.servers.swift_client import server_counts

pytestmark = pytest.mark.swift

CONTAINER = "served-notebooks"  # its own, on the session's Swift


def st_env(swift: SwiftServer) -> dict[str, str]:
    """Credentials as the environment gives them (no OS_* left to confuse the choice)."""
    env = {k: "" for k in os.environ if k.startswith(("OS_", "NBSHELF_"))}
    env.update(ST_AUTH=swift.auth_url, ST_USER="test:tester", ST_KEY="testing")
    return env


def swift_cli(swift: SwiftServer, *args: str) -> str:
    """The OpenStack ``swift`` client from the Swift virtualenv."""
    exe = Path(os.environ.get("NBSHELF_SWIFT_VENV") or REPO / ".venv-swift") / "bin" / "swift"
    if not exe.exists():
        pytest.skip(f"no swift CLI at {exe}: run scripts/install-swift.sh")
    out = subprocess.run(
        [str(exe), "-A", swift.auth_url, "-U", "test:tester", "-K", "testing", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"]},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def new_nb(*sources: str) -> dict[str, Any]:
    return dict(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]))


def sources(model: dict[str, Any]) -> list[str]:
    return [c["source"] for c in model["content"]["cells"]]


@pytest.fixture(scope="module")
def served(
    swift_server: SwiftServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NbshelfServer]:
    srv = NbshelfServer(
        tmp_path_factory.mktemp("swift-served"),
        store=f"swift://{CONTAINER}",
        env=st_env(swift_server),
    ).start()
    yield srv
    srv.stop()


def test_create_save_reload_checkpoint_revert_rename_folder(
    served: NbshelfServer, swift_server: SwiftServer
) -> None:
    status = served.api("GET", "/nbshelf/api/status").json()
    assert status["store"].startswith(f"swift://{CONTAINER} at {swift_server.endpoint}")
    assert served.api("PUT", "/api/contents/work", json={"type": "directory"}).status_code == 201
    r = served.api("POST", "/api/contents/work", json={"type": "notebook"})
    assert r.status_code == 201 and r.json()["path"] == "work/Untitled.ipynb"
    r = served.api(
        "PATCH", "/api/contents/work/Untitled.ipynb", json={"path": "work/analysis.ipynb"}
    )
    assert r.status_code == 200
    url = "/api/contents/work/analysis.ipynb"

    saved = served.api("PUT", url, json={"type": "notebook", "content": new_nb("x = 1")})
    assert saved.status_code == 200
    reloaded = served.api("GET", url, params={"content": 1, "hash": 1}).json()
    assert sources(reloaded) == ["x = 1"]
    assert reloaded["last_modified"] == saved.json()["last_modified"]

    cp = served.api("POST", f"{url}/checkpoints")
    assert cp.status_code == 201
    checkpoint = cp.json()["id"]
    served.api("PUT", url, json={"type": "notebook", "content": new_nb("x = 1", "x = 2")})
    assert sources(served.api("GET", url).json()) == ["x = 1", "x = 2"]
    r = served.api("POST", f"{url}/checkpoints/{checkpoint}")
    assert r.status_code == 204
    assert sources(served.api("GET", url).json()) == ["x = 1"]

    r = served.api("PATCH", "/api/contents/work", json={"path": "projects"})
    assert r.status_code == 200, r.text
    assert served.api("GET", "/api/contents/work").status_code == 404
    moved = served.api("GET", "/api/contents/projects/analysis.ipynb").json()
    assert sources(moved) == ["x = 1"]
    listed = served.api("GET", "/api/contents/projects/analysis.ipynb/checkpoints").json()
    assert [c["id"] for c in listed] == [checkpoint]

    # what the swift command-line client sees in the container
    names = swift_cli(swift_server, "list", CONTAINER).split()
    assert "projects/analysis.ipynb" in names
    assert "projects/" in names  # the folder marker, moved with its folder
    assert f".nbshelf/checkpoints/projects/analysis.ipynb/{checkpoint}" in names
    assert not [n for n in names if n.startswith(("work/", ".nbshelf/checkpoints/work/"))]
    body = swift_cli(swift_server, "download", CONTAINER, "projects/analysis.ipynb", "-o", "-")
    assert [c.source for c in nbformat.reads(body, as_version=4).cells] == ["x = 1"]
    stat = swift_cli(swift_server, "stat", CONTAINER, "projects/analysis.ipynb")
    assert "application/x-ipynb+json" in stat


def test_request_budget_counted_at_the_real_swift(
    served: NbshelfServer, swift_server: SwiftServer
) -> None:
    """open = 1 GET, poll (content=0, hash=1) = 1 HEAD, save = 1 PUT, in the proxy's log.

    JupyterLab's save asks the server whether the file exists before the PUT: the
    manager answers from the poll it just served (``_recently_seen``), not with a HEAD.
    """
    url = "/api/contents/" + quote("budget café.ipynb")
    assert served.api("PUT", url, json={"type": "notebook", "content": new_nb("a")}).ok
    swift_server.mark()
    before = served.requests_made()

    opened = served.api("GET", url, params={"type": "notebook", "content": 1, "hash": 1})
    assert opened.ok
    assert server_counts(swift_server, CONTAINER) == {"GET": 1}

    polled = served.api("GET", url, params={"content": 0, "hash": 1}).json()
    assert polled["hash"] == opened.json()["hash"]
    assert server_counts(swift_server, CONTAINER) == {"HEAD": 1}

    r = served.api(
        "PUT", url, json={"type": "notebook", "format": "json", "content": new_nb("a", "b")}
    )
    assert r.status_code == 200
    assert server_counts(swift_server, CONTAINER) == {"PUT": 1}

    # a poll after the save sees exactly what the save said (no spurious "changed on disk")
    again = served.api("GET", url, params={"content": 0, "hash": 1}).json()
    assert again["last_modified"] == r.json()["last_modified"]
    assert server_counts(swift_server, CONTAINER) == {"HEAD": 1}
    after = served.requests_made()
    assert {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)} == {
        "GET": 1,
        "HEAD": 2,
        "PUT": 1,
    }


def test_folder_listing_is_one_request(served: NbshelfServer, swift_server: SwiftServer) -> None:
    for i in range(12):
        served.api(
            "PUT",
            f"/api/contents/many/n{i}.ipynb",
            json={"type": "notebook", "content": new_nb(str(i))},
        )
    for sub in ("s1", "s2", "s3"):
        served.api("PUT", f"/api/contents/many/{sub}", json={"type": "directory"})
    swift_server.mark()
    listing = served.api("GET", "/api/contents/many").json()
    assert len(listing["content"]) == 15
    assert server_counts(swift_server, CONTAINER) == {"LIST": 1}
