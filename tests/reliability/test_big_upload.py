"""A 1 GiB upload through the REST API of a real ``nbshelf serve`` on the local store,
sent as JupyterLab sends a large file: 1 MiB chunks, base64, numbered 1, 2, ... -1.

The data is generated chunk by chunk from a seed (neither side holds 1 GiB), the
SHA-256 of what was sent is compared with the file in the store, and the server
process's peak resident memory (``VmHWM`` in ``/proc/<pid>/status``) may grow by
less than ``MAX_RSS_GROWTH`` over the whole upload: the chunks are spooled to disk
and the complete file is streamed from there to the store, never held in memory.
A bound, not a timing. ``NBSHELF_BIG_UPLOAD_MB`` sets the size (default 1024).
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
from pathlib import Path

import requests

from tests.servers.jupyter import NbshelfServer

from .conftest import Ledger

CHUNK = 1 << 20  # JupyterLab's chunk size
SIZE_MB = int(os.environ.get("NBSHELF_BIG_UPLOAD_MB", "1024"))
MAX_RSS_GROWTH = 300 << 20


def _chunk(seed: int, i: int) -> bytes:
    return random.Random(seed * 1_000_003 + i).randbytes(CHUNK)


def _peak_rss(pid: int) -> int:
    """The process's peak resident set size so far, in bytes (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/<pid>/status")


def _upload(srv: NbshelfServer, path: str, n_chunks: int, seed: int) -> tuple[str, dict]:
    """Send ``n_chunks`` chunks; return the SHA-256 of what was sent and the last answer."""
    digest = hashlib.sha256()
    session = requests.Session()
    session.headers.update(srv.headers)
    model: dict = {}
    for i in range(1, n_chunks + 1):
        data = _chunk(seed, i)
        digest.update(data)
        r = session.put(
            f"{srv.url}/api/contents/{path}",
            json={
                "type": "file",
                "format": "base64",
                "name": path.rsplit("/", 1)[-1],
                "chunk": -1 if i == n_chunks else i,
                "content": base64.b64encode(data).decode("ascii"),
            },
            timeout=300,
        )
        assert r.status_code in (200, 201), (i, r.status_code, r.text[:300])
        model = r.json()
    return digest.hexdigest(), model


def _sha256_of(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def test_one_gib_chunked_upload_is_streamed(tmp_path: Path, ledger: Ledger) -> None:
    store = tmp_path / "store"
    store.mkdir()
    spool = tmp_path / "spool"
    spool.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    srv = NbshelfServer(root, store=str(store), env={"NBSHELF_SPOOL_DIR": str(spool)}).start()
    try:
        pid = srv.proc.pid  # type: ignore[union-attr]
        # warm up the upload path (imports, buffers) so what follows measures the size
        _upload(srv, "warm.bin", 4, seed=1)
        before = _peak_rss(pid)
        seed = random.randrange(1 << 30)
        print(f"\n1 GiB upload: seed {seed}, {SIZE_MB} chunks of 1 MiB")
        sent, model = _upload(srv, "big/huge.bin", SIZE_MB, seed)
        growth = _peak_rss(pid) - before
        print(f"server peak RSS {before >> 20} MiB before, grew by {growth >> 20} MiB")
        ledger.saves("1 GiB upload in 1 MiB chunks (local)")
        assert model["size"] == SIZE_MB * CHUNK
        stored = store / "big" / "huge.bin"
        assert stored.stat().st_size == SIZE_MB * CHUNK
        same = _sha256_of(stored) == sent
        ledger.lost("1 GiB chunked upload", 0 if same else stored.stat().st_size)
        assert same, "the stored file is not what was sent"
        assert growth < MAX_RSS_GROWTH, f"peak RSS grew by {growth >> 20} MiB"
        assert not list(spool.iterdir())  # the spooled chunks are gone
        polled = srv.api("GET", "/api/contents/big/huge.bin", params={"content": 0}).json()
        assert polled["size"] == SIZE_MB * CHUNK
    finally:
        srv.stop()
