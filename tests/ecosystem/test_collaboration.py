"""Real-time collaboration (jupyter-collaboration, JupyterLab's defaults) on every
backend, driven as JupyterLab drives it: a session (``PUT /api/collaboration/session``),
then the document's room over a websocket, synchronised by pycrdt's provider (the client
of pycrdt-websocket) into a ``jupyter_ydoc.YNotebook``. An edit in the room is saved to
the store; a change made outside the room (a REST save) reaches the client through the
room's file poll, whose cost is HEAD requests only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from tests.ecosystem.conftest import Served, notebook, unique

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


async def test_room_sync_save_and_outside_change(eco: Served) -> None:
    from jupyter_ydoc import YNotebook
    from pycrdt import Doc, Provider
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    path = f"{unique('rtc')}/n.ipynb"
    eco.folder(path.split("/")[0])
    eco.save(path, notebook("x = 1"))
    r = eco.api(
        "PUT",
        f"/api/collaboration/session/{quote(path, safe='')}",
        json={"format": "json", "type": "notebook"},
    )
    assert r.status_code == 201, r.text
    session = r.json()
    room = f"json:notebook:{session['fileId']}"
    ws_url = eco.server.url.replace("http", "ws", 1)
    request = HTTPRequest(
        f"{ws_url}/api/collaboration/room/{room}?sessionId={session['sessionId']}",
        headers=eco.server.headers,
    )
    ws = await websocket_connect(request)
    doc = Doc()
    ynb = YNotebook(doc)
    try:
        async with Provider(doc, TornadoChannel(ws, room)):
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
    finally:
        ws.close()

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


def test_local_file_id_manager_is_named_at_start(tmp_path: Any) -> None:
    """LocalFileIdManager stats local files: on a store elsewhere every session is a 404,
    and nbshelf says why (and what to change) when the server starts."""
    from tests.servers.jupyter import NbshelfServer

    root = tmp_path / "root"
    root.mkdir()
    server = NbshelfServer(
        root,
        "--FileIdExtension.file_id_manager_class="
        "jupyter_server_fileid.manager.LocalFileIdManager",
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
