"""Helpers of the share tests: a notebook with an output, anonymous fetches, a clean
environment for a server. The real servers (Swift with its S3 API, moto) are the
session's (tests/servers/plugin.py)."""

from __future__ import annotations

import json
import os
from typing import Any

import nbformat
import requests

MARK = "shared-output-7f3a"


def notebook(source: str = f"print('{MARK}')", text: str = f"{MARK}\n") -> dict[str, Any]:
    """A notebook with one executed code cell, an HTML output holding a script."""
    cell = nbformat.v4.new_code_cell(
        source,
        execution_count=1,
        outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=text),
            nbformat.v4.new_output(
                "display_data",
                data={
                    "text/html": "<b>rich</b><script>window.pwned = 1</script>",
                    "application/javascript": "window.pwned2 = 1",
                    "text/plain": "rich",
                },
            ),
        ],
    )
    return dict(nbformat.v4.new_notebook(cells=[cell]))


def clean_env(**values: str) -> dict[str, str]:
    """No OS_*/ST_*/AWS_*/NBSHELF_* from the machine: only what the test gives."""
    env = {k: "" for k in os.environ if k.startswith(("OS_", "ST_", "AWS_", "NBSHELF_"))}
    env.update(values)
    return env


def save(server: Any, path: str, nb: dict[str, Any]) -> None:
    r = server.api("PUT", f"/api/contents/{path}", json={"type": "notebook", "content": nb})
    assert r.status_code in (200, 201), r.text


def anonymous(url: str) -> requests.Response:
    """A plain GET with no credentials, no cookies, no session."""
    return requests.get(url, timeout=30, allow_redirects=False)


def check_published(share: dict[str, Any], text: str = MARK) -> bytes:
    """The rendered page and the notebook, fetched anonymously; returns the notebook bytes."""
    page = anonymous(share["urls"]["html"])
    assert page.status_code == 200, page.text[:300]
    assert page.headers["Content-Type"].startswith("text/html")
    assert text in page.text and "jp-Notebook" in page.text  # the lab template, outputs kept
    # output scripts are not executable (sanitized, as nbviewer), JavaScript outputs dropped
    assert "<script>window.pwned" not in page.text and "window.pwned2" not in page.text
    raw = anonymous(share["urls"]["notebook"])
    assert raw.status_code == 200
    nb = json.loads(raw.content)
    assert text in "".join(nb["cells"][0]["outputs"][0]["text"])
    return raw.content
