"""One real ``nbshelf serve`` per backend with the tools JupyterLab users add switched on
(jupytext, nbdime, jupyter-collaboration; the ``ecosystem`` extra), shared by every test
of this folder: local, memory, S3 (moto) and the real Swift.

The servers keep jupyter-collaboration's and jupytext's defaults, except three settings
stated here: ``existence_cache_seconds`` is 120 (the default is 5) so that no cached
answer expires in the middle of a test on a loaded machine and the request counts are
exact; ``HTMLExporter.embed_images`` is on, so an HTML export reads the notebook's
neighbouring images from the resources folder (the place nbconvert asks for them); and
a collaboration room is closed 3 s after its last client left
(``YDocExtension.document_cleanup_delay``, 60 s by default), so that a test counting
requests waits seconds, not a minute, for the rooms earlier tests left (:meth:`Served.quiet`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import nbformat
import pytest

from tests.servers.jupyter import NbshelfServer
from tests.share.helpers import clean_env

BACKENDS = ("local", "memory", "s3-moto", "swift")
CACHE_SECONDS = 120
ROOM_CLEANUP_SECONDS = 3


@dataclass
class Served:
    """A server on one backend, and what the tests need to know about it."""

    backend: str
    server: NbshelfServer
    store_url: str

    @property
    def kind(self) -> str:
        return "s3" if self.backend.startswith("s3") else self.backend

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.server.api(method, path, **kwargs)

    def counts(self) -> dict[str, int]:
        return self.server.requests_made()

    def since(self, before: dict[str, int]) -> dict[str, int]:
        """The store requests made since ``before`` (only the kinds that changed)."""
        now = self.counts()
        return {k: v - before.get(k, 0) for k, v in now.items() if v != before.get(k, 0)}

    def save(self, path: str, nb: dict[str, Any]) -> dict[str, Any]:
        r = self.api("PUT", f"/api/contents/{path}", json={"type": "notebook", "content": nb})
        assert r.status_code in (200, 201), r.text
        return dict(r.json())

    def quiet(self, still: float = 3.0, limit: float = 150.0) -> None:
        """Wait until the server has sent no store request for ``still`` seconds, before
        counting requests: a collaboration room an earlier test of this shared server
        left polls its file (1 HEAD a second) and may save until jupyter-collaboration's
        ``document_cleanup_delay`` (:data:`ROOM_CLEANUP_SECONDS` here) after its last
        client left."""
        deadline = time.monotonic() + limit
        last, since = self.counts(), time.monotonic()
        while time.monotonic() - since < still:
            assert time.monotonic() < deadline, "the server never went quiet"
            time.sleep(0.5)
            now = self.counts()
            if now != last:
                last, since = now, time.monotonic()

    def folder(self, path: str) -> None:
        r = self.api("PUT", f"/api/contents/{path}", json={"type": "directory"})
        assert r.status_code in (200, 201), r.text

    @property
    def save_cost(self) -> dict[str, int]:
        """A save's requests: 1 PUT on every backend here (moto's PutObject answer carries
        Last-Modified; on AWS, which does not send it, a HEAD follows:
        tests/contents/test_save_cycle.py)."""
        return {"PUT": 1}


def notebook(*sources: str, markdown: str = "") -> dict[str, Any]:
    cells = [nbformat.v4.new_markdown_cell(markdown)] if markdown else []
    cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    return dict(nb)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _start(backend: str, request: pytest.FixtureRequest, root: Any) -> Served:
    extra = [
        f"--ShelfContentsManager.existence_cache_seconds={CACHE_SECONDS}",
        "--HTMLExporter.embed_images=True",
        f"--YDocExtension.document_cleanup_delay={ROOM_CLEANUP_SECONDS}",
        # the file id database of this server (by default one in ~/.local/share/jupyter)
        f"--ArbitraryFileIdManager.db_path={root.parent / f'{root.name}-file_id_manager.db'}",
    ]
    env: dict[str, str] = clean_env()
    if backend == "local":
        folder = root.parent / f"{root.name}-store"
        folder.mkdir()
        store = str(folder)
    elif backend == "memory":
        store = f"memory://{unique('eco')}"
    elif backend == "s3-moto":
        moto = request.getfixturevalue("moto_server")
        bucket = unique("eco")
        from tests.servers.s3 import S3Target

        S3Target("moto", moto.endpoint, moto.access_key, moto.secret_key).boto().create_bucket(
            Bucket=bucket
        )
        env = clean_env(
            AWS_ACCESS_KEY_ID=moto.access_key,
            AWS_SECRET_ACCESS_KEY=moto.secret_key,
            AWS_ENDPOINT_URL_S3=moto.endpoint,
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
        )
        store = f"s3://{bucket}/pre"
    else:  # swift
        swift = request.getfixturevalue("swift_server")
        env = clean_env(ST_AUTH=swift.auth_url, ST_USER="test:tester", ST_KEY="testing")
        store = f"swift://{unique('eco')}"
    server = NbshelfServer(root, *extra, store=store, env=env, ecosystem=True).start(timeout=120)
    return Served(backend, server, store)


def _marks(backend: str) -> list[Any]:
    return {
        "swift": [pytest.mark.swift],
        "s3-moto": [pytest.mark.s3],
    }.get(backend, [])


@pytest.fixture(
    scope="session",
    params=[pytest.param(b, id=b, marks=_marks(b)) for b in BACKENDS],
)
def eco(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """``nbshelf serve`` with jupytext, nbdime and jupyter-collaboration, per backend."""
    served = _start(request.param, request, tmp_path_factory.mktemp(f"eco-{request.param}"))
    yield served
    served.server.stop()
