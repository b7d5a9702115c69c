"""Real-time collaboration (jupyter-collaboration, JupyterLab's defaults) on every
backend, driven as JupyterLab drives it: a session (``PUT /api/collaboration/session``),
then the document's room over a websocket, synchronised by pycrdt's provider (the client
of pycrdt-websocket) into a ``jupyter_ydoc.YNotebook``. An edit in the room is saved to
the store; a change made outside the room (a REST save) reaches the client through the
room's file poll, whose cost is HEAD requests only."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.ecosystem.conftest import Served, notebook, unique
from tests.servers.jupyter import NbshelfServer
from tests.servers.swift import SwiftServer
from tests.share.helpers import clean_env

WAIT = 60.0  # seconds an expected change may take to arrive on a loaded machine


class TornadoChannel:
    """A pycrdt ``Channel`` over tornado's websocket client."""

    def __init__(self, ws: Any, path: str) -> None:
        self._ws = ws
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    def __aiter__(self) -> TornadoChannel:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self.recv()
        except Exception:
            raise StopAsyncIteration() from None

    async def send(self, message: bytes) -> None:
        await self._ws.write_message(message, binary=True)

    async def recv(self) -> bytes:
        message = await self._ws.read_message()
        if message is None:
            raise ConnectionError("the room closed")
        return bytes(message)


async def _until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {WAIT}s: {what}")


def _sources(nb: dict[str, Any]) -> list[str]:
    return ["".join(c["source"]) for c in nb["cells"]]


@asynccontextmanager
async def _room(server: NbshelfServer, path: str) -> AsyncIterator[tuple[Any, dict[str, Any]]]:
    """The notebook's room as JupyterLab joins it: a session, then its websocket synced
    into a ``YNotebook`` by pycrdt's provider. Yields the notebook and the session."""
    from jupyter_ydoc import YNotebook
    from pycrdt import Doc, Provider
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    r = server.api(
        "PUT",
        f"/api/collaboration/session/{quote(path, safe='')}",
        json={"format": "json", "type": "notebook"},
    )
    assert r.status_code == 201, r.text
    session = r.json()
    room = f"json:notebook:{session['fileId']}"
    ws_url = server.url.replace("http", "ws", 1)
    request = HTTPRequest(
        f"{ws_url}/api/collaboration/room/{room}?sessionId={session['sessionId']}",
        headers=server.headers,
    )
    ws = await websocket_connect(request)
    doc: Any = Doc()
    ynb = YNotebook(doc)
    try:
        async with Provider(doc, TornadoChannel(ws, room)):
            yield ynb, session
    finally:
        ws.close()


async def test_room_sync_save_and_outside_change(eco: Served) -> None:
    path = f"{unique('rtc')}/n.ipynb"
    eco.folder(path.split("/")[0])
    eco.save(path, notebook("x = 1"))
    async with _room(eco.server, path) as (ynb, session):
        # the room loaded the notebook from the store
        await _until(lambda: ynb.cell_number == 1, "the room's first sync")
        assert _sources(ynb.get()) == ["x = 1"]

        # an edit in the room is saved to the store (document_save_delay: 1 s)
        ynb.append_cell({"cell_type": "code", "source": "y = 2", "metadata": {}})

        def saved() -> bool:
            got = eco.api("GET", f"/api/contents/{path}").json()
            return _sources(got["content"]) == ["x = 1", "y = 2"]

        await _until(saved, "the room's save")

        # the file poll of an idle room (every second by default): 1 HEAD per poll on
        # an object store; nothing is downloaded. (On the local store, where requests
        # are stats and nbshelf caches nothing, jupytext's dir_exists adds a listing.)
        before = eco.counts()
        await asyncio.sleep(3.5)
        polled = eco.since(before)
        if eco.kind == "local":
            assert polled["HEAD"] >= 1 and "GET" not in polled, polled
        else:
            assert set(polled) == {"HEAD"}, polled

        # a change made outside the room reaches the client
        eco.save(path, notebook("x = 1", "y = 2", "z = 3"))
        await _until(lambda: ynb.cell_number == 3, "the outside change in the room")
        assert _sources(ynb.get()) == ["x = 1", "y = 2", "z = 3"]

    # a rename keeps the document's id (the file id manager follows nbshelf's events)
    new = path.replace("n.ipynb", "renamed.ipynb")
    assert eco.api("PATCH", f"/api/contents/{path}", json={"path": new}).status_code == 200
    r = eco.api(
        "PUT",
        f"/api/collaboration/session/{quote(new, safe='')}",
        json={"format": "json", "type": "notebook"},
    )
    assert r.status_code in (200, 201) and r.json()["fileId"] == session["fileId"]

    # the collaboration's own files are on the server's local disk (its root_dir, the
    # folder `nbshelf serve` runs in), never in the notebooks' store
    assert (eco.server.root / ".jupyter_ystore.db").is_file()
    assert (eco.server.root / ".jupyter" / "collaboration_sessions.json").is_file()
    everything = eco.api("GET", "/api/contents", params={"content": 1}).json()["content"]
    assert not {".jupyter_ystore.db", ".jupyter"} & {e["name"] for e in everything}


POLL_SECONDS = 5.0  # the lowered rate of the test below (jupyter-collaboration: 1 s)
IDLE_SECONDS = 11.0  # the idle window asked for: 3 polls fit in 11 s, more only if it ran late


@pytest.mark.swift
async def test_a_lower_poll_rate_for_remote_stores(
    swift_server: SwiftServer, tmp_path: Path
) -> None:
    """``YDocExtension.file_poll_interval`` (jupyter-collaboration's own setting, docs/
    ecosystem.md) lowers what an idle room costs on a remote store: one HEAD per poll,
    and no more polls than the interval lets fit in the time (a poll is a sleep of the
    interval, then the check, so a loaded machine only makes fewer).

    jupytext is on in these servers, and a poll is a ``get``: once the existence cache's
    answers are older than ``existence_cache_seconds`` the next poll asks jupytext's
    probes again (test_jupytext.py counts what that costs). The cache is kept here for
    longer than the window, so what is counted is the room's own poll. (With the default
    5 s, CI counted 4 HEAD in an 11 s window: the polls and a probe asked again.)"""
    root = tmp_path / "root"
    root.mkdir()
    env = clean_env(ST_AUTH=swift_server.auth_url, ST_USER="test:tester", ST_KEY="testing")
    server = NbshelfServer(
        root,
        f"--YDocExtension.file_poll_interval={POLL_SECONDS}",
        f"--ArbitraryFileIdManager.db_path={tmp_path / 'file_id_manager.db'}",
        "--ShelfContentsManager.existence_cache_seconds=600",
        store=f"swift://{unique('poll')}",
        env=env,
        ecosystem=True,
    ).start(timeout=120)
    try:
        path = "slow.ipynb"
        r = server.api(
            "PUT", f"/api/contents/{path}", json={"type": "notebook", "content": notebook("p = 1")}
        )
        assert r.status_code == 201, r.text
        # what one poll asks the contents manager (get without content): 1 HEAD
        before = server.requests_made()
        assert server.api("GET", f"/api/contents/{path}", params={"content": 0}).ok
        after = server.requests_made()
        assert {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)} == {
            "HEAD": 1
        }
        async with _room(server, path) as (ynb, _):
            await _until(lambda: ynb.cell_number == 1, "the room's first sync")
            # the window is what passed between the two readings, not the sleep asked for:
            # on a loaded machine the test's own loop and its blocking reads run late
            started = time.monotonic()
            before = server.requests_made()
            await asyncio.sleep(IDLE_SECONDS)
            after = server.requests_made()
            window = time.monotonic() - started
        polled = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
        assert set(polled) == {"HEAD"}, polled  # nothing downloaded, nothing written
        # polls at least POLL_SECONDS apart: at most floor(window / interval) + 1 fit
        most = math.floor(window / POLL_SECONDS) + 1
        assert 1 <= polled["HEAD"] <= most, (polled, f"window {window:.1f} s")
    finally:
        server.stop()


def test_local_file_id_manager_is_named_at_start(tmp_path: Any) -> None:
    """LocalFileIdManager stats local files: on a store elsewhere every session is a 404,
    and nbshelf says why (and what to change) when the server starts."""
    root = tmp_path / "root"
    root.mkdir()
    server = NbshelfServer(
        root,
        "--FileIdExtension.file_id_manager_class=jupyter_server_fileid.manager.LocalFileIdManager",
        f"--LocalFileIdManager.db_path={tmp_path / 'file_id_manager.db'}",
        store=f"memory://{unique('fileid')}",
        ecosystem=True,
    ).start(timeout=120)
    try:
        log = server.log()
        assert "LocalFileIdManager tracks files on the local disk" in log
        assert "ArbitraryFileIdManager" in log and "memory://" in log
        server.api(
            "PUT",
            "/api/contents/n.ipynb",
            json={"type": "notebook", "content": notebook("x = 1")},
        )
        r = server.api(
            "PUT",
            "/api/collaboration/session/n.ipynb",
            json={"format": "json", "type": "notebook"},
        )
        assert r.status_code == 404  # what the message warned about
    finally:
        server.stop()
