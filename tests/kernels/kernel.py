"""Run code in a real kernel started through a real server's session API, over the
kernel's websocket (the way JupyterLab does)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timezone
from typing import Any

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from tests.servers.jupyter import NbshelfServer


class KernelError(AssertionError):
    """The code raised in the kernel: ``ename`` and ``evalue`` are the kernel's."""

    def __init__(self, ename: str, evalue: str, output: str) -> None:
        super().__init__(f"{ename}: {evalue}\n--- output ---\n{output}")
        self.ename, self.evalue, self.output = ename, evalue, output


def start_session(srv: NbshelfServer, notebook: str) -> str:
    """A session for ``notebook`` (created if missing): its kernel's id."""
    r = srv.api(
        "POST",
        "/api/sessions",
        json={
            "path": notebook,
            "name": notebook.rsplit("/", 1)[-1],
            "type": "notebook",
            "kernel": {"name": "python3"},
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["kernel"]["id"])


def _msg(code: str, session: str) -> dict[str, Any]:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "username": "test",
            "session": session,
            "msg_type": "execute_request",
            "version": "5.3",
            "date": datetime.now(timezone.utc).isoformat(),
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
        "buffers": [],
    }


async def _execute(srv: NbshelfServer, kernel_id: str, code: str, timeout: float) -> str:
    ws_url = srv.url.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels"
    req = HTTPRequest(ws_url, headers=srv.headers)
    ws = await websocket_connect(req, max_message_size=64 << 20)
    session = uuid.uuid4().hex
    msg = _msg(code, session)
    msg_id = msg["header"]["msg_id"]
    out: list[str] = []
    error: tuple[str, str] | None = None
    replied = idle = False
    try:
        await ws.write_message(json.dumps(msg))
        while not (replied and idle):
            raw = await asyncio.wait_for(ws.read_message(), timeout)
            if raw is None:
                raise AssertionError("the kernel's websocket closed")
            m = json.loads(raw)
            if m.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = m["header"]["msg_type"]
            content = m["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                error = (content["ename"], content["evalue"])
            elif kind == "execute_reply":
                replied = True
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
    finally:
        ws.close()
    if error:
        raise KernelError(error[0], error[1], "".join(out))
    return "".join(out)


def execute(srv: NbshelfServer, kernel_id: str, code: str, timeout: float = 240) -> str:
    """Run ``code``; its stdout, or :class:`KernelError` with the kernel's exception."""
    return asyncio.run(_execute(srv, kernel_id, code, timeout))
