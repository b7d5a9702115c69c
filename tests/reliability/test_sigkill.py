"""SIGKILL a real ``nbshelf serve`` in the middle of saves and chunked uploads.

Each round starts a server, has a client thread save notebooks and upload files in
chunks as fast as it can, kills the server with SIGKILL after a random moment, and
then reads every object straight from the store: each notebook must parse and hold
one of the versions sent, each uploaded file must be byte-exactly one of the
versions sent; nothing truncated, nothing half-written. Rounds are bounded in count
(``NBSHELF_SIGKILL_ROUNDS``, default 6 per store) and in time (a client gives up
after 2 s), on the local store and on the real Swift. The random seed is printed.
"""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import threading
import uuid
from pathlib import Path
from typing import Any

import nbformat
import pytest
import requests
import swiftclient

from tests.servers.jupyter import NbshelfServer
from tests.servers.swift import SwiftServer

from .conftest import SWIFT_KEY, Ledger, swift_env

ROUNDS = int(os.environ.get("NBSHELF_SIGKILL_ROUNDS", "6"))
CHUNK = 256 * 1024


class Client(threading.Thread):
    """Saves and chunked uploads until the server dies; remembers every version sent."""

    def __init__(self, srv: NbshelfServer, rng: random.Random, sent: dict[str, set[Any]]) -> None:
        super().__init__(daemon=True)
        self.srv, self.rng, self.sent = srv, rng, sent
        self.saves = 0

    def run(self) -> None:
        try:
            for _ in range(10_000):
                if self.rng.random() < 0.6:
                    self._save_notebook()
                else:
                    self._upload()
        except requests.RequestException:
            return  # the server was killed

    def _api(self, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(
            method, f"{self.srv.url}{path}", headers=self.srv.headers, timeout=2, **kw
        )

    def _save_notebook(self) -> None:
        name = f"nb{self.rng.randrange(3)}.ipynb"
        version = uuid.uuid4().hex * self.rng.randrange(1, 2000)
        self.sent.setdefault(name, set()).add(version)
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(version)])
        self.saves += 1
        self._api("PUT", f"/api/contents/{name}", json={"type": "notebook", "content": nb})

    def _upload(self) -> None:
        name = f"up{self.rng.randrange(2)}.bin"
        data = os.urandom(CHUNK * self.rng.randrange(2, 6))
        self.sent.setdefault(name, set()).add(data)
        self.saves += 1
        chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
        for i, part in enumerate(chunks, 1):
            number = -1 if i == len(chunks) else i
            self._api(
                "PUT",
                f"/api/contents/{name}",
                json={
                    "type": "file",
                    "format": "base64",
                    "chunk": number,
                    "content": base64.b64encode(part).decode(),
                },
            )


def _check(name: str, data: bytes | None, sent: dict[str, set[Any]], ledger: Ledger) -> None:
    if data is None:
        return  # never saved whole yet: absent is right
    if name.endswith(".ipynb"):
        nb = json.loads(data)  # never truncated
        source = "".join(nb["cells"][0]["source"])
        ok = source in sent[name]
    else:
        ok = data in sent[name]
    ledger.lost("SIGKILL during saves", 0 if ok else len(data))
    assert ok, f"{name}: {len(data)} bytes that are none of the versions sent"


def _rounds(start: Any, read: Any, names: Any, ledger: Ledger, label: str) -> None:
    seed = int(os.environ.get("NBSHELF_SIGKILL_SEED", random.randrange(1 << 30)))
    print(f"\nSIGKILL rounds on {label}: seed {seed}")
    rng = random.Random(seed)
    sent: dict[str, set[Any]] = {}
    for _ in range(ROUNDS):
        srv: NbshelfServer = start()
        client = Client(srv, rng, sent)
        client.start()
        threading.Event().wait(rng.uniform(0.2, 1.5))
        os.kill(srv.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        srv.proc.wait(10)  # type: ignore[union-attr]
        client.join(10)
        ledger.fault(f"SIGKILL of nbshelf serve ({label})")
        ledger.saves(f"saves/uploads racing a SIGKILL ({label})", client.saves)
        for name in names():
            _check(name, read(name), sent, ledger)


def test_sigkill_local(tmp_path: Path, ledger: Ledger) -> None:
    store = tmp_path / "store"
    store.mkdir()
    n = iter(range(1000))

    def start() -> NbshelfServer:
        root = tmp_path / f"r{next(n)}"
        root.mkdir()
        return NbshelfServer(root, store=str(store)).start()

    def names() -> list[str]:
        return [p.name for p in store.iterdir() if p.is_file() and not p.name.startswith(".")]

    _rounds(start, lambda name: (store / name).read_bytes(), names, ledger, "local")


@pytest.mark.swift
def test_sigkill_swift(
    swift_server: SwiftServer, container: str, tmp_path: Path, ledger: Ledger
) -> None:
    n = iter(range(1000))

    def start() -> NbshelfServer:
        root = tmp_path / f"r{next(n)}"
        root.mkdir()
        return NbshelfServer(
            root, store=f"swift://{container}", env=swift_env(swift_server.auth_url)
        ).start()

    conn = swiftclient.Connection(authurl=swift_server.auth_url, user="test:tester", key=SWIFT_KEY)

    def names() -> list[str]:
        try:
            return [
                o["name"]
                for o in conn.get_container(container, full_listing=True)[1]
                if not o["name"].startswith(".")
            ]
        except swiftclient.ClientException:
            return []

    _rounds(start, lambda name: conn.get_object(container, name)[1], names, ledger, "Swift")
    conn.close()
