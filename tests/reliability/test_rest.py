"""Paths, bad input, per-user prefixes and concurrent edits, through real ``nbshelf
serve`` processes over HTTP, on the local store, the real Swift and S3 (moto).

- Paths that could leave the store's prefix (``..``, ``%2e%2e``, backslashes, NUL
  and control characters, overlong) are 400 on every backend; ``.nbshelf/`` is
  refused (400) whatever the method; nothing lands outside.
- Bad input (not a notebook, invalid JSON, an unreadable ``.ipynb``, 0 bytes,
  names with spaces, unicode, percent signs, bytes that are not UTF-8): works or a
  clear 4xx, never a 500, and the server stays up.
- Two users with ``prefix = users/{username}`` on one container see nothing of
  each other through the contents and checkpoints APIs.
- Two servers on one store: the second save is seen by the first one's poll (the
  hash changes), which is how JupyterLab decides to show its "File Changed" dialog.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.servers.jupyter import NbshelfServer
from tests.servers.swift import SwiftServer

from .conftest import Ledger, assert_no_secret, swift_env

MOTO_SECRET = "testing-secret"


def nb(text: str) -> dict[str, Any]:
    return dict(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(text)]))


class Backend:
    """How to start servers on one store (a fresh container/bucket/folder per backend)."""

    def __init__(self, name: str, tmp: Path, request: pytest.FixtureRequest) -> None:
        self.name = name
        self.tmp = tmp
        self.store = ""
        self.env: dict[str, str] = {}
        if name == "swift":
            swift: SwiftServer = request.getfixturevalue("swift_server")
            self.store = f"swift://rest-{uuid.uuid4().hex[:8]}"
            self.env = swift_env(swift.auth_url)
        elif name == "s3":
            moto = request.getfixturevalue("moto_server")
            bucket = f"rest-{uuid.uuid4().hex[:8]}"
            import boto3

            boto3.client(
                "s3",
                endpoint_url=moto.endpoint,
                aws_access_key_id=moto.access_key,
                aws_secret_access_key=moto.secret_key,
                region_name="us-east-1",
            ).create_bucket(Bucket=bucket)
            self.store = f"s3://{bucket}/nb"
            self.env = {
                "AWS_ACCESS_KEY_ID": moto.access_key,
                "AWS_SECRET_ACCESS_KEY": moto.secret_key,
                "AWS_ENDPOINT_URL_S3": moto.endpoint,
                "AWS_REGION": "us-east-1",
            }
        else:
            self.store = str(tmp / "shared-store")
            Path(self.store).mkdir()

    def server(self, label: str, *extra: str, env: dict[str, str] | None = None) -> NbshelfServer:
        root = self.tmp / label
        root.mkdir()
        return NbshelfServer(
            root, *extra, store=self.store, env={**self.env, **(env or {})}
        ).start()


@pytest.fixture(scope="module", params=["local", "swift", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    return Backend(request.param, tmp_path_factory.mktemp(request.param), request)


@pytest.fixture(scope="module")
def server(backend: Backend) -> Iterator[NbshelfServer]:
    srv = backend.server("main")
    yield srv
    srv.stop()
    log = srv.log()
    assert_no_secret(log, MOTO_SECRET)
    assert "] 500 " not in log and "Uncaught exception" not in log


BAD_PATHS = [
    "..%2Fescape.ipynb",
    "a%2F..%2F..%2Fescape.ipynb",
    "%2e%2e%2fescape.ipynb",
    "%2E%2E/escape.ipynb",
    "a%5C..%5Cescape.ipynb",
    "a\\b.ipynb",
    "nul%00.ipynb",
    "ctl%01.ipynb",
    "new%0Aline.ipynb",
    "del%7F.ipynb",
    ".%2Fdot.ipynb",
    "a%2F%2Fb.ipynb",
    "x" * 1000 + ".ipynb",
]


@pytest.mark.parametrize("path", BAD_PATHS, ids=lambda p: p[:24])
def test_paths_that_could_escape_are_400(
    server: NbshelfServer, backend: Backend, path: str, ledger: Ledger
) -> None:
    for method, kwargs in (
        ("PUT", {"json": {"type": "notebook", "content": nb("x")}}),
        ("GET", {}),
        ("DELETE", {}),
        ("PATCH", {"json": {"path": "moved.ipynb"}}),
    ):
        r = server.api(method, f"/api/contents/{path}", **kwargs)
        ledger.bad_input(f"path {method}")
        assert r.status_code == 400, (method, path, r.status_code, r.text[:200])
    r = server.api("PATCH", "/api/contents/legit.ipynb", json={"path": path})
    assert r.status_code in (400, 404), r.text  # a rename target is checked too
    assert server.api("GET", "/api/status").ok
    if backend.name == "local":
        assert not (Path(backend.store).parent / "escape.ipynb").exists()


def test_nbshelf_internals_are_out_of_reach(server: NbshelfServer, ledger: Ledger) -> None:
    assert (
        server.api(
            "PUT", "/api/contents/a.ipynb", json={"type": "notebook", "content": nb("a")}
        ).status_code
        == 201
    )
    assert server.api("POST", "/api/contents/a.ipynb/checkpoints").status_code == 201
    for path in (
        ".nbshelf",
        ".nbshelf/checkpoints",
        ".nbshelf/checkpoints/a.ipynb",
        ".nbshelf%2Fcheckpoints",
        "sub/../.nbshelf/x",
    ):
        ledger.bad_input(".nbshelf path", 2)
        put = server.api(
            "PUT", f"/api/contents/{path}/x.ipynb", json={"type": "notebook", "content": nb("x")}
        )
        assert put.status_code == 400, (path, put.status_code)
        got = server.api("GET", f"/api/contents/{path}")
        assert got.status_code == 400, (path, got.status_code)  # whatever the method
    listing = server.api("GET", "/api/contents/", params={"content": 1}).json()
    assert ".nbshelf" not in [e["name"] for e in listing["content"]]


def test_bad_input_is_a_clear_4xx_or_works(server: NbshelfServer, ledger: Ledger) -> None:
    def put(path: str, **body: Any) -> Any:
        ledger.bad_input(body.pop("_kind"))
        return server.api("PUT", f"/api/contents/{path}", **body)

    r = put("bad.ipynb", json={"type": "notebook", "content": {"foo": 1}}, _kind="not a notebook")
    assert r.status_code == 400 and "notebook" in r.json()["message"]
    r = put("bad.ipynb", data=b"{not json", _kind="invalid JSON body")
    assert r.status_code == 400
    r = put("new.ipynb", json={"type": "notebook"}, _kind="no content")
    assert r.status_code == 201  # jupyter_server creates an empty notebook
    r = put(
        "bad.ipynb",
        json={"type": "notebook", "content": {"nbformat": 4, "cells": "x"}},
        _kind="cells not a list",
    )
    assert r.status_code == 400
    r = put(
        "bad.bin",
        json={"type": "file", "format": "base64", "content": "!!!"},
        _kind="invalid base64",
    )
    assert r.status_code == 400
    # an .ipynb that is not JSON, written as a file, then opened as a notebook
    assert (
        put(
            "raw.ipynb",
            json={"type": "file", "format": "text", "content": "{oops"},
            _kind="unreadable .ipynb",
        ).status_code
        == 201
    )
    r = server.api("GET", "/api/contents/raw.ipynb", params={"type": "notebook"})
    assert r.status_code == 400 and "Unreadable Notebook" in r.json()["message"]
    # 0 bytes
    assert (
        put(
            "empty.txt", json={"type": "file", "format": "text", "content": ""}, _kind="0-byte file"
        ).status_code
        == 201
    )
    got = server.api("GET", "/api/contents/empty.txt").json()
    assert got["content"] == "" and got["size"] == 0
    assert (
        put(
            "empty.ipynb",
            json={"type": "file", "format": "text", "content": ""},
            _kind="0-byte notebook",
        ).status_code
        == 201
    )
    assert (
        server.api("GET", "/api/contents/empty.ipynb", params={"type": "notebook"}).status_code
        == 400
    )
    # names
    for name in (
        "with space.ipynb",
        "ünïcødé 😀.ipynb",
        "100%25.ipynb",
        "a%2525b.ipynb",
        "tab%09.ipynb",
        "%FF%FE.ipynb",
        "%C3%28.ipynb",
    ):
        r = put(name, json={"type": "notebook", "content": nb(name)}, _kind="odd name")
        assert r.status_code in (200, 201, 400), (name, r.status_code, r.text[:200])
        if r.status_code < 300:
            back = server.api("GET", f"/api/contents/{name}")
            assert back.status_code == 200, (name, back.status_code)
            assert back.json()["content"]["cells"][0]["source"] == name
    # a chunked upload with a missing chunk is refused and leaves nothing behind
    chunk = {"type": "file", "format": "base64", "content": base64.b64encode(b"x" * 10).decode()}
    assert put("up.bin", json={**chunk, "chunk": 1}, _kind="chunk 1").status_code in (200, 201)
    assert put("up.bin", json={**chunk, "chunk": 3}, _kind="missing chunk").status_code == 400
    assert (
        put("up.bin", json={**chunk, "chunk": -1}, _kind="last chunk without a start").status_code
        == 400
    )
    assert server.api("GET", "/api/contents/up.bin").status_code == 404
    assert server.api("GET", "/api/status").ok


def test_concurrent_edit_changes_the_hash_the_other_server_polls(
    backend: Backend, ledger: Ledger
) -> None:
    """JupyterLab 4 (docregistry Context._maybeSave) polls ``GET ?content=0&hash=1`` before
    each save; if the polled hash differs from the one it recorded after its own last
    save, it shows "File Changed" instead of saving. Without a hash it compares
    last_modified (margin 500 ms)."""
    a = backend.server("laptop")
    b = backend.server("desktop")
    try:
        url = "/api/contents/shared.ipynb"

        def poll(srv: NbshelfServer) -> dict[str, Any]:
            r = srv.api("GET", url, params={"content": 0, "hash": 1})
            assert r.status_code == 200
            return dict(r.json())

        saved = a.api("PUT", url, json={"type": "notebook", "content": nb("laptop v1")}).json()
        mine = poll(a)  # what JupyterLab records after its save
        assert mine["hash"] and mine["hash_algorithm"] == "md5"
        assert mine["last_modified"] == saved["last_modified"]

        assert b.api("GET", url).status_code == 200  # the desktop opens it, edits, saves
        assert b.api("PUT", url, json={"type": "notebook", "content": nb("desktop")}).ok
        ledger.saves("concurrent edit (second server)", 2)

        before_save = poll(a)  # the laptop's next save starts with this poll
        assert before_save["hash"] != mine["hash"]  # -> JupyterLab raises "File Changed"
        ledger.fault("concurrent edit from a second server")
        ledger.add("conflicts_detected", "second server's save", 1)
        ledger.lost("concurrent edit", 0)
    finally:
        a.stop()
        b.stop()


def test_per_user_prefixes_are_isolated(backend: Backend, ledger: Ledger) -> None:
    if backend.name == "local":
        pytest.skip("per-user prefixes are for shared object stores")
    alice = backend.server(
        "alice", "--ShelfContentsManager.prefix=users/{username}", env={"JUPYTERHUB_USER": "alice"}
    )
    bob = backend.server(
        "bob", "--ShelfContentsManager.prefix=users/{username}", env={"JUPYTERHUB_USER": "bob"}
    )
    try:
        url = "/api/contents/secret.ipynb"
        assert alice.api("PUT", url, json={"type": "notebook", "content": nb("alice")}).ok
        cp = alice.api("POST", f"{url}/checkpoints").json()["id"]
        ledger.bad_input("cross-user access", 8)
        assert bob.api("GET", url).status_code == 404
        assert bob.api("GET", f"{url}/checkpoints").status_code == 404 or (
            bob.api("GET", f"{url}/checkpoints").json() == []
        )
        assert bob.api("POST", f"{url}/checkpoints/{cp}").status_code == 404
        assert bob.api("DELETE", url).status_code == 404
        listing = bob.api("GET", "/api/contents/", params={"content": 1}).json()["content"]
        assert listing == []
        for sneaky in ("..%2Falice%2Fsecret.ipynb", "..%2F..%2Fusers%2Falice%2Fsecret.ipynb"):
            assert bob.api("GET", f"/api/contents/{sneaky}").status_code == 400
        # bob's own file of the same name does not touch alice's
        assert bob.api("PUT", url, json={"type": "notebook", "content": nb("bob")}).ok
        got = alice.api("GET", url).json()
        assert got["content"]["cells"][0]["source"] == "alice"
        assert len(alice.api("GET", f"{url}/checkpoints").json()) == 1
    finally:
        alice.stop()
        bob.stop()


def test_new_files_are_created_only_if_absent(backend: Backend, ledger: Ledger) -> None:
    """``new`` (POST /api/contents/<dir> and new-file PUTs without content) is a
    create-only put: a name another server created in the meantime is 409, not
    overwritten."""
    a = backend.server("creator-a")
    try:
        r = a.api("POST", "/api/contents/", json={"type": "notebook"})
        assert r.status_code == 201, r.text
        name = r.json()["path"]
        original = a.api("GET", f"/api/contents/{name}").json()["content"]
        # the manager's new() on an existing name (what a racing second creator meets)
        import asyncio

        from nbshelf import ShelfContentsManager
        from nbshelf.stores import open_store

        env_backup = dict(os.environ)
        os.environ.update(backend.env)
        try:
            cm = ShelfContentsManager(store_instance=open_store(backend.store))
            with pytest.raises(Exception) as e:
                asyncio.run(cm.new({"type": "notebook"}, name))
        finally:
            os.environ.clear()
            os.environ.update(env_backup)
        assert getattr(e.value, "status_code", None) == 409, e.value
        ledger.fault("second creator of the same new name")
        ledger.add("conflicts_detected", "create of an existing name", 1)
        assert a.api("GET", f"/api/contents/{name}").json()["content"] == original
    finally:
        a.stop()
