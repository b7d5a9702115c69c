"""The flows JupyterLab performs, against a real ``nbshelf serve`` over HTTP.

Request counts come from the server itself (nbshelf's /nbshelf/api/status), so
they include every store request the REST handlers cause, not only the manager's.
"""

from __future__ import annotations

import base64
import hashlib
import os
from urllib.parse import quote

import nbformat
import pytest

from tests.servers.jupyter import NbshelfServer

CHUNK = 1024 * 1024  # JupyterLab's upload chunk size


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {
        k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)
    }


def new_nb(text: str = "print('hi')") -> dict:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(text)])


def test_jupyterlab_open_poll_save_checkpoint_revert(server: NbshelfServer) -> None:
    r = server.api("POST", "/api/contents", json={"type": "notebook"})
    assert r.status_code == 201
    path = r.json()["path"]
    url = f"/api/contents/{quote(path)}"

    before = server.requests_made()
    opened = server.api("GET", url, params={"type": "notebook", "content": 1, "hash": 1}).json()
    assert delta(before, server.requests_made()) == {"GET": 1}
    assert opened["hash_algorithm"] == "md5"

    # JupyterLab's save: poll for changes (content=0, hash=1), PUT, then create a checkpoint
    before = server.requests_made()
    polled = server.api("GET", url, params={"content": 0, "hash": 1}).json()
    assert delta(before, server.requests_made()) == {"HEAD": 1}
    assert polled["hash"] == opened["hash"]

    before = server.requests_made()
    r = server.api("PUT", url, json={"type": "notebook", "format": "json", "content": new_nb("v2")})
    assert r.status_code == 200
    saved = r.json()
    assert delta(before, server.requests_made()) == {"PUT": 1}

    before = server.requests_made()
    cp = server.api("POST", f"{url}/checkpoints")
    assert cp.status_code == 201
    assert delta(before, server.requests_made()) == {"COPY": 1, "LIST": 1}

    # a later poll sees exactly what the save said
    after = server.api("GET", url, params={"content": 0, "hash": 1}).json()
    assert after["last_modified"] == saved["last_modified"]
    assert after["hash"] != opened["hash"]

    server.api("PUT", url, json={"type": "notebook", "format": "json", "content": new_nb("v3")})
    checkpoints = server.api("GET", f"{url}/checkpoints").json()
    assert [c["id"] for c in checkpoints] == [cp.json()["id"]]
    r = server.api("POST", f"{url}/checkpoints/{checkpoints[-1]['id']}")
    assert r.status_code == 204
    reverted = server.api("GET", url).json()
    assert reverted["content"]["cells"][0]["source"] == "v2"


def test_rename_a_folder_with_its_checkpoints(server: NbshelfServer) -> None:
    assert server.api("PUT", "/api/contents/proj", json={"type": "directory"}).status_code == 201
    for i in range(5):
        r = server.api(
            "PUT",
            f"/api/contents/proj/n{i}.ipynb",
            json={"type": "notebook", "format": "json", "content": new_nb(str(i))},
        )
        assert r.status_code == 201
    server.api("POST", "/api/contents/proj/n0.ipynb/checkpoints")
    r = server.api("PATCH", "/api/contents/proj", json={"path": "renamed"})
    assert r.status_code == 200 and r.json()["path"] == "renamed"
    assert server.api("GET", "/api/contents/proj").status_code == 404
    names = sorted(m["name"] for m in server.api("GET", "/api/contents/renamed").json()["content"])
    assert names == [f"n{i}.ipynb" for i in range(5)]
    assert len(server.api("GET", "/api/contents/renamed/n0.ipynb/checkpoints").json()) == 1
    assert (server.root / "renamed" / "n3.ipynb").is_file()  # the local store is the folder


def test_upload_50mb_in_chunks_byte_identical(server: NbshelfServer) -> None:
    data = os.urandom(50 * CHUNK + 12345)
    url = "/api/contents/big.bin"
    before = server.requests_made()
    n = (len(data) + CHUNK - 1) // CHUNK
    for i in range(n):
        chunk = -1 if i == n - 1 else i + 1
        part = data[i * CHUNK : (i + 1) * CHUNK]
        r = server.api(
            "PUT",
            url,
            json={
                "type": "file",
                "format": "base64",
                "name": "big.bin",
                "chunk": chunk,
                "content": base64.b64encode(part).decode(),
            },
        )
        assert r.status_code in (200, 201), r.text
    assert delta(before, server.requests_made()).get("PUT") == 1  # one put, when complete
    got = server.api("GET", url, params={"format": "base64", "type": "file"}).json()
    assert (
        hashlib.sha256(base64.b64decode(got["content"])).digest() == hashlib.sha256(data).digest()
    )
    assert (server.root / "big.bin").read_bytes() == data


def test_errors_are_clear_http_statuses(server: NbshelfServer) -> None:
    assert server.api("GET", "/api/contents/missing.ipynb").status_code == 404
    (server.root / "broken.ipynb").write_text("{oops")
    r = server.api("GET", "/api/contents/broken.ipynb")
    assert r.status_code == 400 and "Unreadable Notebook" in r.json()["message"]
    server.api(
        "PUT", "/api/contents/a.txt", json={"type": "file", "format": "text", "content": "a"}
    )
    server.api(
        "PUT", "/api/contents/b.txt", json={"type": "file", "format": "text", "content": "b"}
    )
    r = server.api("PATCH", "/api/contents/a.txt", json={"path": "b.txt"})
    assert r.status_code == 409
    r = server.api("PUT", "/api/contents/x.ipynb", json={"type": "notebook", "content": {"bad": 1}})
    assert r.status_code == 400
    # nbshelf's own data is not reachable through the API, whatever the encoding
    for path in (".nbshelf", ".nbshelf/checkpoints", "%2enbshelf/trash"):
        assert server.api("GET", f"/api/contents/{path}").status_code == 400
        r = server.api(
            "PUT",
            f"/api/contents/{path}/x.txt",
            json={"type": "file", "format": "text", "content": "x"},
        )
        assert r.status_code == 400
    assert "Traceback" not in server.log()


def test_files_are_served_through_the_manager(server: NbshelfServer) -> None:
    """/files/ (downloads, images in Markdown) reads through the store, with auth."""
    import requests

    (server.root / "pic.bin").write_bytes(b"\x00\x01binary")
    r = server.api("GET", "/files/pic.bin")
    assert r.status_code == 200 and r.content == b"\x00\x01binary"
    anonymous = requests.get(f"{server.url}/files/pic.bin", timeout=10, allow_redirects=False)
    assert anonymous.status_code in (302, 403) and b"binary" not in anonymous.content
    assert server.api("GET", "/files/.nbshelf/checkpoints/x").status_code == 400


def test_nbshelf_status_endpoint_needs_auth(server: NbshelfServer) -> None:
    import requests

    r = requests.get(f"{server.url}/nbshelf/api/status", timeout=10)
    assert r.status_code == 403
    body = server.api("GET", "/nbshelf/api/status").json()
    assert body["contents_manager"] == "ShelfContentsManager"
    assert body["store"].startswith("file://")


@pytest.mark.parametrize(
    "store,expected",
    [
        ("ftp://x/y", "unknown store scheme 'ftp'"),
        ("/definitely/not/here", "does not exist"),
    ],
)
def test_bad_store_is_one_clear_line(tmp_path, store: str, expected: str) -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "nbshelf.cli", "serve", "--no-browser", "--store", store],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nbshelf serve: error:") and expected in lines[0]


def test_notebook7_front_end_serves_the_same_store(tmp_path) -> None:
    (tmp_path / "hello.ipynb").write_text(nbformat.writes(new_nb("hello")))
    srv = NbshelfServer(tmp_path, "--app", "notebook").start()
    try:
        r = srv.api("GET", "/tree")
        assert r.status_code == 200 and "Jupyter Notebook" in r.text
        model = srv.api("GET", "/api/contents/hello.ipynb").json()
        assert model["content"]["cells"][0]["source"] == "hello"
    finally:
        srv.stop()
