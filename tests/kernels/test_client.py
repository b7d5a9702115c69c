"""nbshelf.kernelfs without a kernel: paths, and a server that never answers."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from nbshelf.kernelfs import ShelfFileSystem, resolve


def test_paths_resolve_against_the_notebook_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBSHELF_NOTEBOOK_DIR", "proj/sub")
    assert resolve("data.csv") == "/proj/sub/data.csv"
    assert resolve("./out/../x.png") == "/proj/sub/x.png"
    assert resolve("../shared/a.csv") == "/proj/shared/a.csv"
    assert resolve("/top.csv") == "/top.csv"
    assert ShelfFileSystem._strip_protocol("shelf://data.csv") == "/proj/sub/data.csv"
    assert ShelfFileSystem._strip_protocol("shelf:///proj/a") == "/proj/a"
    assert ShelfFileSystem._strip_protocol("/proj/sub/data.csv") == "/proj/sub/data.csv"
    with pytest.raises(PermissionError):
        resolve("../../../etc/passwd")
    monkeypatch.delenv("NBSHELF_NOTEBOOK_DIR")
    assert resolve("data.csv") == "/data.csv"


def test_outside_a_kernel_the_error_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NBSHELF_SERVER_URL", raising=False)
    with pytest.raises(ConnectionError, match="NBSHELF_SERVER_URL"):
        ShelfFileSystem(skip_instance_cache=True)


def test_a_server_that_never_answers_is_a_connection_error_not_a_hang() -> None:
    with socket.socket() as s:  # listens, never accepts: the request is never answered
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        fs = ShelfFileSystem(url, "t", timeout=1, skip_instance_cache=True)
        with pytest.raises(ConnectionError, match=url):
            fs.ls("/")


def test_importable_without_jupyter_server() -> None:
    code = (
        "import sys, fsspec; cls = fsspec.get_filesystem_class('shelf'); "
        "print(cls.__name__, 'jupyter_server' in sys.modules, 'tornado' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["ShelfFileSystem", "False", "False"]
