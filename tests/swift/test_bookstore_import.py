"""``nbshelf import-bookstore`` on a container filled the way the original Bookstore
filled it (swiftclient: objects named by notebook id, ``X-Object-Meta-Nbname``,
checkpoints under ``{id}/checkpoints/{id}``, nbformat v3 JSON), on the real Swift,
through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
import swiftclient

from nbshelf import ShelfContentsManager
from nbshelf.stores.swift import SwiftStore
from tests.servers.swift import SwiftServer

pytestmark = pytest.mark.swift


def v3_notebook(source: str) -> bytes:
    """An IPython 1.x notebook (nbformat 3), as Bookstore stored them."""
    return json.dumps(
        {
            "metadata": {"name": ""},
            "nbformat": 3,
            "nbformat_minor": 0,
            "worksheets": [
                {
                    "cells": [
                        {
                            "cell_type": "code",
                            "collapsed": False,
                            "input": source,
                            "language": "python",
                            "metadata": {},
                            "outputs": [],
                        }
                    ],
                    "metadata": {},
                }
            ],
        }
    ).encode()


def conn_for(swift: SwiftServer) -> swiftclient.Connection:
    return swiftclient.Connection(authurl=swift.auth_url, user="test:tester", key="testing")


@pytest.fixture
def old_container(swift_server: SwiftServer) -> tuple[str, dict[str, str]]:
    """Two notebooks named 'Analysis' (a collision), one 'Notes' with two checkpoints, and
    an unrelated object."""
    container = "bookstore-" + uuid.uuid4().hex[:8]
    conn = conn_for(swift_server)
    conn.put_container(container)
    ids = {
        "analysis": str(uuid.uuid4()),
        "analysis2": str(uuid.uuid4()),
        "notes": str(uuid.uuid4()),
    }
    for key, name, src in (
        ("analysis", "Analysis", "a = 1"),
        ("analysis2", "Analysis", "a = 2"),
        ("notes", "Notes", "notes = 'v3'"),
    ):
        conn.put_object(
            container,
            ids[key],
            v3_notebook(src),
            content_type="application/json",
            headers={"X-Object-Meta-Nbname": name},
        )
    for i, src in enumerate(("notes = 'v1'", "notes = 'v2'")):
        conn.put_object(
            container,
            f"{ids['notes']}/checkpoints/{uuid.uuid4()}",
            v3_notebook(src),
            content_type="application/json",
        )
        del i
    conn.put_object(container, "README.txt", b"not a notebook")
    return container, ids


def run_cli(swift: SwiftServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "ST_", "NBSHELF_"))}
    env.update(ST_AUTH=swift.auth_url, ST_USER="test:tester", ST_KEY="testing")
    return subprocess.run(
        [sys.executable, "-m", "nbshelf.cli", "import-bookstore", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def names(swift: SwiftServer, container: str) -> list[str]:
    return sorted(o["name"] for o in conn_for(swift).get_container(container)[1])


def test_dry_run_prints_the_plan_and_writes_nothing(swift_server, old_container):
    container, ids = old_container
    before = names(swift_server, container)
    r = run_cli(swift_server, f"swift://{container}", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert names(swift_server, container) == before
    first, second = sorted((ids["analysis"], ids["analysis2"]))
    assert f"notebook  {first} 'Analysis' -> Analysis.ipynb" in r.stdout
    assert (
        f"notebook  {second} 'Analysis' -> Analysis-{second.replace('-', '')[:8]}.ipynb"
        "  (renamed: another Bookstore notebook has this name)"
    ) in r.stdout
    assert f"notebook  {ids['notes']} 'Notes' -> Notes.ipynb" in r.stdout
    assert r.stdout.count("  checkpoint ") == 2
    assert "ignored   README.txt" in r.stdout
    assert "3 notebook(s) and 2 checkpoint(s) to copy" in r.stdout
    assert "dry run: nothing written" in r.stdout
    assert "testing" not in r.stdout + r.stderr


async def test_import_copies_into_nbshelf_layout_and_keeps_originals(swift_server, old_container):
    container, ids = old_container
    before = names(swift_server, container)
    r = run_cli(swift_server, f"swift://{container}")
    assert r.returncode == 0, r.stderr
    after = names(swift_server, container)
    assert set(before) <= set(after)  # nothing deleted
    second = sorted((ids["analysis"], ids["analysis2"]))[1]
    assert {
        "Analysis.ipynb",
        f"Analysis-{second.replace('-', '')[:8]}.ipynb",
        "Notes.ipynb",
    } <= set(after)
    cps = [n for n in after if n.startswith(".nbshelf/checkpoints/Notes.ipynb/")]
    assert len(cps) == 2

    # nbshelf reads them: the v3 notebook is upgraded, its checkpoints listed and restorable
    store = SwiftStore.from_url(
        f"swift://{container}",
        auth_url=swift_server.auth_url,
        account_name="test:tester",
        account_key="testing",
        environ={},
    )
    cm = ShelfContentsManager(store_instance=store)
    model = await cm.get("Notes.ipynb")
    assert model["content"]["nbformat"] == 4
    assert [c["source"] for c in model["content"]["cells"]] == ["notes = 'v3'"]
    listed = await cm.checkpoints.list_checkpoints("Notes.ipynb")
    assert len(listed) == 2
    await cm.checkpoints.restore_checkpoint(cm, listed[0]["id"], "Notes.ipynb")
    restored = await cm.get("Notes.ipynb")
    assert [c["source"] for c in restored["content"]["cells"]] in (
        ["notes = 'v1'"],
        ["notes = 'v2'"],
    )
    listing = await cm.get("")
    assert {e["name"] for e in listing["content"] if e["type"] == "notebook"} >= {
        "Analysis.ipynb",
        "Notes.ipynb",
    }
    await store.close()

    # a second run brings nothing twice
    again = run_cli(swift_server, f"swift://{container}")
    assert again.returncode == 0, again.stderr
    assert "0 notebook(s) and 0 checkpoint(s) to copy, 3 skipped" in again.stdout
    assert "already imported as Notes.ipynb" in again.stdout
    assert names(swift_server, container) == after


def test_import_into_another_container_with_skip(swift_server, old_container):
    container, _ = old_container
    target = container + "-new"
    conn_for(swift_server).put_container(target)
    conn_for(swift_server).put_object(target, "Notes.ipynb", b"{}")  # taken by another file
    r = run_cli(
        swift_server, f"swift://{container}", "--to", f"swift://{target}", "--on-collision", "skip"
    )
    assert r.returncode == 0, r.stderr
    assert "'Notes': Notes.ipynb already exists" in r.stdout
    got = names(swift_server, target)
    assert "Analysis.ipynb" in got and got.count("Notes.ipynb") == 1
    assert conn_for(swift_server).get_object(target, "Notes.ipynb")[1] == b"{}"  # untouched
    assert not [n for n in got if n.startswith(".nbshelf/checkpoints/Notes.ipynb/")]
