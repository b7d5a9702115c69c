"""The trash on the real Swift, through a real ``nbshelf serve`` and the ``nbshelf trash``
command: a deleted notebook and folder wait in ``.nbshelf/trash/``, are listed and
restored byte-exactly; ``delete_to_trash = False`` deletes for good."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import swiftclient

from tests.servers.jupyter import NbshelfServer
from tests.servers.swift import SwiftServer

from .conftest import SWIFT_KEY, Ledger, assert_no_secret, swift_env

pytestmark = pytest.mark.swift


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbshelf.cli", "trash", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_trash_list_restore_and_delete_for_good(
    swift_server: SwiftServer, container: str, tmp_path: Path, ledger: Ledger
) -> None:
    env = swift_env(swift_server.auth_url)
    root = tmp_path / "root"
    root.mkdir()
    srv = NbshelfServer(root, store=f"swift://{container}", env=env).start()
    conn = swiftclient.Connection(authurl=swift_server.auth_url, user="test:tester", key=SWIFT_KEY)
    nb = dict(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("keep me")]))
    try:
        assert srv.api("PUT", "/api/contents/a.ipynb", json={"type": "notebook", "content": nb}).ok
        assert srv.api("PUT", "/api/contents/dir", json={"type": "directory"}).ok
        assert srv.api(
            "PUT", "/api/contents/dir/b.ipynb", json={"type": "notebook", "content": nb}
        ).ok
        original = conn.get_object(container, "a.ipynb")[1]
        assert srv.api("DELETE", "/api/contents/a.ipynb").status_code == 204
        assert srv.api("DELETE", "/api/contents/dir").status_code == 204
        ledger.saves("deletes to the trash (Swift)", 2)
    finally:
        srv.stop()
    store = f"swift://{container}"
    listed = _cli(env, "--store", store, "list")
    assert listed.returncode == 0, listed.stderr
    assert "a.ipynb" in listed.stdout and "dir/b.ipynb" in listed.stdout
    ref = next(
        w for line in listed.stdout.splitlines() for w in line.split() if w.endswith("/a.ipynb")
    )
    restored = _cli(env, "--store", store, "restore", ref)
    assert restored.returncode == 0, restored.stderr
    back = conn.get_object(container, "a.ipynb")[1]
    ledger.lost("delete then restore from the trash", 0 if back == original else len(original))
    assert back == original
    assert_no_secret(listed.stdout + listed.stderr + restored.stdout + restored.stderr)

    # delete_to_trash = False: gone for good, nothing new in the trash
    root2 = tmp_path / "root2"
    root2.mkdir()
    srv = NbshelfServer(
        root2, "--ShelfContentsManager.delete_to_trash=False", store=store, env=env
    ).start()
    try:
        before = [
            o["name"]
            for o in conn.get_container(container, prefix=".nbshelf/trash/", full_listing=True)[1]
        ]
        assert srv.api("DELETE", "/api/contents/a.ipynb").status_code == 204
        after = [
            o["name"]
            for o in conn.get_container(container, prefix=".nbshelf/trash/", full_listing=True)[1]
        ]
        assert after == before
        with pytest.raises(swiftclient.ClientException):
            conn.head_object(container, "a.ipynb")
    finally:
        srv.stop()
        conn.close()
