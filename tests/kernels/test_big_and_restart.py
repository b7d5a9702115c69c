"""A 200 MB file through shelf:// both ways with the kernel's memory bounded; a server
restart survived by the next call; ``%shelf`` for plain ``open()``."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest
import requests

from nbshelf.kernelfs import ShelfFileSystem
from tests.kernels.kernel import KernelError, execute, start_session
from tests.servers.jupyter import NbshelfServer

BIG_MB = 200
BOUND_MB = 64  # the kernel's peak memory above its baseline while streaming 200 MB

BIG_CODE = f"""
import hashlib, json, random, resource
import fsspec

def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
def hwm_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024

fs = fsspec.filesystem("shelf")
block = random.Random(14).randbytes(1 << 20)
fs.info("data.csv") if fs.exists("data.csv") else None   # the client is warmed up
# the high-water mark is reset (Linux: clear_refs 5), so the peak is this cell's
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base = rss_mb()
sent = hashlib.md5()
with fs.open("big.bin", "wb") as f:
    for i in range({BIG_MB}):
        piece = i.to_bytes(4, "big") + block[4:]
        sent.update(piece)
        f.write(piece)
peak_write = hwm_mb() - base
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base2 = rss_mb()
got = hashlib.md5()
n = 0
with fs.open("big.bin", "rb") as f:
    while True:
        piece = f.read(1 << 20)
        if not piece:
            break
        got.update(piece)
        n += len(piece)
peak_read = hwm_mb() - base2
print(json.dumps({{"sent": sent.hexdigest(), "got": got.hexdigest(), "n": n,
                   "peak_write_mb": peak_write, "peak_read_mb": peak_read, "base_mb": base}}))
"""


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} for {pid}")


def _reset_peak(pid: int) -> float:
    """Reset a process's memory high-water mark (Linux clear_refs 5); its RSS now."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return _status_mb(pid, "VmRSS")


def test_200_mb_streamed_both_ways_with_bounded_kernel_memory(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "proj").mkdir(parents=True)
    srv = NbshelfServer(root, f"--ShelfKernels.work_dir={tmp_path / 'work'}").start()
    try:
        kid = start_session(srv, "proj/big.ipynb")
        execute(srv, kid, "import fsspec, hashlib, json, random")  # imports before the base
        assert srv.proc is not None
        server_base = _reset_peak(srv.proc.pid)
        out = json.loads(execute(srv, kid, BIG_CODE, timeout=280).strip().splitlines()[-1])
        server_peak = _status_mb(srv.proc.pid, "VmHWM") - server_base
    finally:
        srv.stop()
    print(f"\nkernel memory streaming {BIG_MB} MB through shelf://: {out}")
    print(f"server peak growth over both directions: {server_peak:.1f} MB")
    assert server_peak < BOUND_MB  # the server holds no whole file, and keeps no pieces
    assert out["n"] == BIG_MB << 20
    assert out["got"] == out["sent"]
    on_disk = hashlib.md5()
    with open(root / "proj" / "big.bin", "rb") as f:
        for piece in iter(lambda: f.read(1 << 20), b""):
            on_disk.update(piece)
    assert on_disk.hexdigest() == out["sent"]  # byte-exact in the store
    assert out["peak_write_mb"] < BOUND_MB, out
    assert out["peak_read_mb"] < BOUND_MB, out


def test_a_restarted_server_answers_the_next_call(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    srv = NbshelfServer(
        root, f"--ShelfKernels.work_dir={tmp_path / 'work'}", store="memory://restart"
    ).start()
    try:
        kid = start_session(srv, "a.ipynb")
        env = json.loads(execute(srv, kid, "import os, json; print(json.dumps(dict(os.environ)))"))
        # the kernel's own credentials, used here from the test process
        fs = ShelfFileSystem(
            env["NBSHELF_SERVER_URL"], env["NBSHELF_KERNEL_TOKEN"], skip_instance_cache=True
        )
        fs.pipe("x.txt", b"before")
        # the kernel's token opens the kernel-files endpoints and nothing else
        tok = env["NBSHELF_KERNEL_TOKEN"]
        for scheme in ("nbshelf-kernel", "token"):
            for api in ("/api/contents", "/api/kernels", "/api/sessions", "/nbshelf/api/status"):
                r = requests.get(
                    srv.url + api, headers={"Authorization": f"{scheme} {tok}"}, timeout=30
                )
                assert r.status_code == 403, (scheme, api, r.status_code)
        r = requests.get(
            srv.url + "/nbshelf/api/kernel-files/list",
            headers={"Authorization": "nbshelf-kernel not-the-token"},
            timeout=30,
        )
        assert r.status_code == 403
        srv.stop()
        t0 = time.monotonic()
        with pytest.raises(ConnectionError) as e:
            fs.ls("/")
        assert srv.url in str(e.value)
        assert time.monotonic() - t0 < 60  # a clear error, not a hang (generous bound)
        srv.start()  # the same port, runtime folder and so cookie secret: the same token
        fs.pipe("y.txt", b"after")  # the memory store starts empty again
        assert fs.cat("y.txt") == b"after"
    finally:
        srv.stop()


MAGIC_CODE = """
%shelf pull data.csv
print(open("data.csv").read().strip())
with open("out.txt", "w") as f:
    f.write("made with open()")
"""


def test_shelf_magic_pull_push_and_the_reminder(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    srv = NbshelfServer(
        root, f"--ShelfKernels.work_dir={tmp_path / 'work'}", store="memory://magic"
    ).start()
    try:
        import base64

        body = {
            "type": "file",
            "format": "base64",
            "content": base64.b64encode(b"a,b\n1,2\n").decode(),
        }
        assert srv.api("PUT", "/api/contents/p/data.csv", json=body).ok
        kid = start_session(srv, "p/n.ipynb")
        out = execute(srv, kid, MAGIC_CODE)
        assert "a,b\n1,2" in out
        assert "out.txt only in the kernel's working folder" in out  # never silent
        assert "not pushed: out.txt" in execute(srv, kid, "%shelf status")
        out = execute(srv, kid, "%shelf push out.txt")
        assert "pushed out.txt" in out
        assert "nothing to push" in execute(srv, kid, "%shelf status")
        r = srv.api("GET", "/api/contents/p/out.txt", params={"type": "file", "format": "text"})
        assert r.json()["content"] == "made with open()"
        assert (tmp_path / "work" / "p" / "out.txt").exists()  # kept after the push
        assert os.path.isdir(tmp_path / "work" / "p")

        # a pull never replaces a local file whose changes were not pushed
        local = tmp_path / "work" / "p" / "data.csv"
        out = execute(srv, kid, "open('data.csv', 'w').write('changed in the kernel')")
        assert "data.csv only in the kernel's working folder" in out
        with pytest.raises(KernelError) as refused:
            execute(srv, kid, "%shelf pull data.csv")
        assert refused.value.ename == "FileExistsError"
        assert "%shelf pull --force data.csv" in refused.value.evalue
        assert local.read_text() == "changed in the kernel"
        # a restarted kernel knows what was pulled and pushed: only data.csv is unpushed
        r = srv.api("POST", f"/api/kernels/{kid}/restart")
        assert r.status_code == 200, r.text
        status = execute(srv, kid, "%shelf status")
        assert status.split("\n")[0] == "not pushed: data.csv" and "out.txt" not in status
        assert "pulled data.csv" in execute(srv, kid, "%shelf pull --force data.csv")
        assert local.read_text() == "a,b\n1,2\n"
        assert "nothing to push" in execute(srv, kid, "%shelf status")
    finally:
        srv.stop()
