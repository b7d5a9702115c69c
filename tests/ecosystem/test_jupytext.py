"""jupytext 1.19 (its server extension wraps nbshelf's contents manager) on a real
``nbshelf serve``: paired notebooks, text notebooks typed in listings as jupytext says,
and the store requests of an open, a poll and a save with jupytext on, exactly.

jupytext looks for 12 configuration files in the notebook's folder and in every folder
above it on each open and save, and asks whether the notebook is a folder: without
nbshelf's short-lived cache of "not found" answers (contents/existence.py) that is about
25 HEAD + 2 LIST per request on an object store.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.ecosystem.conftest import Served, notebook, unique
from tests.servers.jupyter import NbshelfServer
from tests.servers.swift import SwiftServer
from tests.share.helpers import clean_env


def _open(eco: Served, path: str) -> dict:  # type: ignore[type-arg]
    r = eco.api("GET", f"/api/contents/{path}", params={"type": "notebook", "content": 1})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _poll(eco: Served, path: str) -> dict:  # type: ignore[type-arg]
    r = eco.api("GET", f"/api/contents/{path}", params={"content": 0, "hash": 1})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _types(eco: Served, folder: str) -> dict[str, str]:
    listing = eco.api("GET", f"/api/contents/{folder}").json()["content"]
    return {e["name"]: e["type"] for e in listing}


@pytest.mark.parametrize("eco", ["memory", "s3-moto", "swift"], indirect=True)
def test_requests_per_open_poll_save_with_jupytext(eco: Served) -> None:
    """Exact store requests with jupytext on (the cache's answers all younger than its
    age, see conftest). The local store is left out: there every probe is a stat."""
    eco.api("GET", "/api/contents")  # the root is listed (as the file browser does)
    eco.quiet()
    save = eco.save_cost
    folder = unique("jt")
    before = eco.counts()
    eco.folder(folder)
    # a new folder: 1 PUT of its marker (on S3 + 1 HEAD)
    assert eco.since(before) == ({"PUT": 1, "HEAD": 1} if eco.kind == "s3" else {"PUT": 1})

    path = f"{folder}/n.ipynb"
    before = eco.counts()
    eco.save(path, notebook("x = 1"))
    # first save in a folder: the handler's HEAD (not found), then jupytext's 12 probes
    # in the folder are one LIST of it; the root's are answered by its listing
    assert eco.since(before) == {"HEAD": save.get("HEAD", 0) + 1, "LIST": 1, "PUT": 1}

    before = eco.counts()
    assert _open(eco, path)["content"]["cells"][0]["source"] == "x = 1"
    assert eco.since(before) == {"GET": 1}  # open: 1 GET, as without jupytext

    before = eco.counts()
    assert _poll(eco, path)["hash"]
    assert eco.since(before) == {"HEAD": 1}  # poll: 1 HEAD

    before = eco.counts()
    eco.save(path, notebook("x = 2"))
    assert eco.since(before) == save  # save: 1 PUT

    before = eco.counts()
    assert _types(eco, folder) == {"n.ipynb": "notebook"}
    assert eco.since(before) == {"LIST": 1}  # listing: 1 LIST, nothing per entry

    # a paired notebook: both files are written, read and polled
    pair = notebook("y = 1")
    pair["metadata"]["jupytext"] = {"formats": "ipynb,py:percent"}
    before = eco.counts()
    eco.save(f"{folder}/pair.ipynb", pair)
    assert eco.since(before) == {k: 2 * v for k, v in save.items()}
    before = eco.counts()
    assert _open(eco, f"{folder}/pair.ipynb")["content"]["cells"][0]["source"] == "y = 1"
    assert eco.since(before) == {"GET": 2, "HEAD": 1}  # both files, the .py's time
    before = eco.counts()
    _poll(eco, f"{folder}/pair.ipynb")
    assert eco.since(before) == {"HEAD": 3}  # both times, and the .py's hash


@pytest.mark.swift
def test_a_poll_after_the_cache_expired_asks_the_probes_again(
    swift_server: SwiftServer, tmp_path: Path
) -> None:
    """With the default ``existence_cache_seconds`` (5 s): a poll while the cached
    answers are young costs 1 HEAD; once they are older, jupytext's probes are asked
    again and the same poll costs 3 HEAD + 1 LIST on Swift (docs/ecosystem.md). Every
    wait here is a lower bound: a slower machine only lets more of the cache expire,
    and 6 s lets all of it."""
    root = tmp_path / "root"
    root.mkdir()
    env = clean_env(ST_AUTH=swift_server.auth_url, ST_USER="test:tester", ST_KEY="testing")
    server = NbshelfServer(root, store=f"swift://{unique('expiry')}", env=env, ecosystem=True)
    server.start(timeout=120)
    try:
        path = "n.ipynb"
        r = server.api(
            "PUT", f"/api/contents/{path}", json={"type": "notebook", "content": notebook("a")}
        )
        assert r.status_code == 201, r.text

        def poll() -> dict[str, int]:
            before = server.requests_made()
            r = server.api("GET", f"/api/contents/{path}", params={"content": 0, "hash": 1})
            assert r.status_code == 200, r.text
            after = server.requests_made()
            return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}

        assert poll() == {"HEAD": 1}  # the answers the save left are young
        for _ in range(2):
            time.sleep(6)  # every cached answer is older than 5 s
            assert poll() == {"HEAD": 3, "LIST": 1}
            assert poll() == {"HEAD": 1}  # and young again
    finally:
        server.stop()


def test_text_notebooks_are_listed_as_jupytext_says(eco: Served) -> None:
    folder = unique("types")
    eco.folder(folder)
    pair = notebook("z = 1")
    pair["metadata"]["jupytext"] = {"formats": "ipynb,py:percent"}
    eco.save(f"{folder}/pair.ipynb", pair)
    r = eco.api(
        "PUT",
        f"/api/contents/{folder}/data.csv",
        json={"type": "file", "format": "text", "content": "a,b\n1,2\n"},
    )
    assert r.status_code == 201
    # as jupyter_server's file manager under jupytext lists them (it calls jupytext's get
    # per entry): .py and .md are notebooks, other files are files
    eco.api(
        "PUT",
        f"/api/contents/{folder}/notes.md",
        json={"type": "file", "format": "text", "content": "# Notes\n"},
    )
    assert _types(eco, folder) == {
        "pair.ipynb": "notebook",
        "pair.py": "notebook",
        "data.csv": "file",
        "notes.md": "notebook",
    }
    # a jupytext.toml saved by this server applies at once (its cached "not found" is
    # forgotten by the save)
    r = eco.api(
        "PUT",
        f"/api/contents/{folder}/jupytext.toml",
        json={"type": "file", "format": "text", "content": 'notebook_extensions = ["ipynb"]\n'},
    )
    assert r.status_code == 201
    # jupytext reads a folder's configuration again when a notebook is opened or saved
    # there (listings reuse it), on any contents manager
    _open(eco, f"{folder}/pair.ipynb")
    assert _types(eco, folder) == {
        "pair.ipynb": "notebook",
        "pair.py": "file",
        "data.csv": "file",
        "notes.md": "file",
        "jupytext.toml": "file",
    }


def test_paired_notebook_edited_on_either_side(eco: Served) -> None:
    folder = unique("pair")
    eco.folder(folder)
    pair = notebook("a = 1")
    pair["metadata"]["jupytext"] = {"formats": "ipynb,py:percent"}
    eco.save(f"{folder}/p.ipynb", pair)
    text = eco.api("GET", f"/api/contents/{folder}/p.py", params={"type": "file"}).json()
    assert "a = 1" in text["content"] and "# %%" in text["content"]
    # the text side edited (as in an editor): the notebook opens with the new source
    edited = text["content"].replace("a = 1", "a = 2")
    r = eco.api(
        "PUT",
        f"/api/contents/{folder}/p.py",
        json={"type": "file", "format": "text", "content": edited},
    )
    assert r.status_code == 200
    assert _open(eco, f"{folder}/p.ipynb")["content"]["cells"][0]["source"] == "a = 2"
    # the notebook side edited: the text file follows
    opened = _open(eco, f"{folder}/p.py")["content"]
    opened["cells"][0]["source"] = "a = 3"
    eco.save(f"{folder}/p.py", opened)
    text = eco.api("GET", f"/api/contents/{folder}/p.py", params={"type": "file"}).json()
    assert "a = 3" in text["content"]
    # rename moves both files
    r = eco.api("PATCH", f"/api/contents/{folder}/p.ipynb", json={"path": f"{folder}/q.ipynb"})
    assert r.status_code == 200, r.text
    assert set(_types(eco, folder)) == {"q.ipynb", "q.py"}


def test_new_notebook_gets_the_next_free_name_and_the_server_keeps_answering(
    eco: Served,
) -> None:
    """JupyterLab's New Notebook (POST type notebook) with jupytext on. jupytext 1.19's
    async manager tests an un-awaited ``exists()`` here (always true), which hung the
    whole server; nbshelf gives it the folder's names (server/jupytext_untitled.py)."""
    folder = unique("untitled")
    eco.folder(folder)
    names = []
    for _ in range(2):
        r = eco.api("POST", f"/api/contents/{folder}", json={"type": "notebook"})
        assert r.status_code == 201, r.text
        names.append(r.json()["name"])
    assert names == ["Untitled.ipynb", "Untitled1.ipynb"]
    # jupytext's rule: a text notebook takes its stem for every notebook extension
    r = eco.api(
        "PUT",
        f"/api/contents/{folder}/Untitled2.py",
        json={"type": "file", "format": "text", "content": "# %%\nx = 1\n"},
    )
    assert r.status_code == 201, r.text
    r = eco.api("POST", f"/api/contents/{folder}", json={"type": "notebook"})
    assert r.status_code == 201 and r.json()["name"] == "Untitled3.ipynb", r.text
    # other types go to nbshelf itself; a missing folder is still jupytext's 404
    r = eco.api("POST", f"/api/contents/{folder}", json={"type": "file"})
    assert r.status_code == 201 and r.json()["name"].startswith("untitled"), r.text
    r = eco.api("POST", f"/api/contents/{unique('nothere')}", json={"type": "notebook"})
    assert r.status_code == 404, r.text
    assert eco.api("GET", "/api/status").status_code == 200
