"""Store credentials never reach kernels or terminals (nbshelf.server.security).

A real ``nbshelf serve`` on the real Swift, its environment holding Swift
credentials (``ST_*``) and other credential variables nbshelf knows (``OS_*``,
``AWS_*``, a credentials-file pointer, an ``NBSHELF_*`` secret): a real kernel,
started through the REST API, runs ``os.environ`` and finds none of them; nor
does a real terminal's shell; the token is still renewed after the variables
are gone (the store keeps what it read when it was built); the opt-in keeps
them. No secret in any response or log line.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from queue import Empty

import nbformat
import pytest
from jupyter_client import BlockingKernelClient

from nbshelf.server.security import is_credential_variable, scrub
from tests.servers.jupyter import NbshelfServer
from tests.servers.swift import SwiftServer

from .conftest import Ledger, assert_no_secret, swift_env

pytestmark = pytest.mark.swift

OTHER_SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "aws-secret-for-the-test-0001",
    "AWS_ACCESS_KEY_ID": "AKIATESTKEYID0001",
    "OS_PASSWORD": "os-password-for-the-test-0001",
    "NBSHELF_SHARE_TOKEN": "nbshelf-token-for-the-test-0001",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials-for-the-test",
    "COPY_OF_KEY": "os-password-for-the-test-0001",  # the same secret under another name
}
FORBIDDEN = ("ST_AUTH", "ST_USER", "ST_KEY", *OTHER_SECRETS)


def test_scrub_rules() -> None:
    env = {
        "ST_KEY": "k" * 10,
        "OS_CLOUD": "x",
        "HOME": "/root",
        "PATH": "/bin",
        "AWS_ENDPOINT_URL_S3": "http://e",
        "NBSHELF_STORE": "swift://c",
        "OTHER": "k" * 10,
    }
    removed = scrub(env, keep=frozenset({"OS_CLOUD"}))
    assert removed == ["OTHER", "ST_KEY"]  # the copy of a secret goes too
    assert set(env) == {"OS_CLOUD", "HOME", "PATH", "AWS_ENDPOINT_URL_S3", "NBSHELF_STORE"}
    assert is_credential_variable("os_auth_token") and not is_credential_variable("HOME")


def _run_in_kernel(srv: NbshelfServer, code: str) -> str:
    """Start a kernel through the REST API and run ``code`` over its connection file."""
    r = srv.api("POST", "/api/kernels", json={"name": "python3"})
    assert r.status_code == 201, r.text
    kid = r.json()["id"]
    runtime = srv.root.parent / f"{srv.root.name}-runtime"
    conn = runtime / f"kernel-{kid}.json"
    for _ in range(100):
        if conn.exists():
            break
        time.sleep(0.1)
    client = BlockingKernelClient()
    client.load_connection_file(str(conn))
    client.start_channels()
    out: list[str] = []
    try:
        _wait_for_kernel_info(client, timeout=60)

        def hook(msg: dict) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])

        reply = client.execute_interactive(code, timeout=60, output_hook=hook)
        assert reply["content"]["status"] == "ok"
    finally:
        client.stop_channels()
        srv.api("DELETE", f"/api/kernels/{kid}")
    return "".join(out)


def _wait_for_kernel_info(client: BlockingKernelClient, timeout: float) -> None:
    """Wait until the kernel answers ``kernel_info`` and its IOPub channel is connected.

    jupyter_client's ``wait_for_ready`` judges a kernel it did not start by its
    heartbeat, which counts a beat answered more than a second late as death: on a
    loaded machine a starting kernel was declared dead ("Kernel died before replying
    to kernel_info") while it was still importing. This asks the kernel only."""
    deadline = time.monotonic() + timeout
    while True:
        client.kernel_info()
        try:
            msg = client.get_shell_msg(timeout=1)
        except Empty:
            msg = None
        if msg is not None and msg["msg_type"] == "kernel_info_reply":
            try:
                client.get_iopub_msg(timeout=0.2)  # the reply's status message: subscribed
                return
            except Empty:
                pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the kernel did not answer kernel_info in {timeout:.0f} s")


def _children_environ(pid: int) -> list[dict[str, str]]:
    """The environment of every process descended from ``pid`` (Linux /proc)."""
    kids: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], list(kids.get(pid, []))
    while todo:
        p = todo.pop()
        todo.extend(kids.get(p, []))
        try:
            raw = Path(f"/proc/{p}/environ").read_bytes()
        except OSError:
            continue
        out.append(
            dict(x.split("=", 1) for x in raw.decode(errors="replace").split("\0") if "=" in x)
        )
    return out


def _server(swift_server: SwiftServer, root: Path, container: str, *extra: str) -> NbshelfServer:
    root.mkdir()
    env = {**swift_env(swift_server.auth_url), **OTHER_SECRETS}
    return NbshelfServer(root, *extra, store=f"swift://{container}", env=env).start()


def test_kernels_and_terminals_inherit_no_credentials(
    swift_server: SwiftServer, container: str, tmp_path: Path, ledger: Ledger
) -> None:
    srv = _server(swift_server, tmp_path / "root", container)
    try:
        nb = dict(nbformat.v4.new_notebook())
        assert srv.api("PUT", "/api/contents/a.ipynb", json={"type": "notebook", "content": nb}).ok
        seen = json.loads(
            _run_in_kernel(srv, "import os, json; print(json.dumps(dict(os.environ)))")
        )
        assert "PATH" in seen  # the kernel did report its environment
        for name in FORBIDDEN:
            assert name not in seen, f"{name} reached the kernel"
        values = json.dumps(seen)
        assert_no_secret(values, *OTHER_SECRETS.values())

        r = srv.api("POST", "/api/terminals")
        if r.status_code == 404:
            pytest.skip("terminals are not enabled (terminado missing)")
        assert r.ok, r.text
        for _ in range(50):  # the terminal's shell starts lazily
            envs = _children_environ(srv.proc.pid)  # type: ignore[union-attr]
            if envs:
                break
            time.sleep(0.1)
        assert envs, "no terminal process found"
        for env in envs:
            for name in FORBIDDEN:
                assert name not in env
            assert_no_secret(json.dumps(env), *OTHER_SECRETS.values())
        srv.api("DELETE", f"/api/terminals/{r.json()['name']}")

        # the token is renewed from what the store kept, not from the environment
        swift_server.stop_proxy()
        ledger.fault("swift proxy stopped (token cache lost)")
        swift_server.start_proxy()
        r = srv.api("PUT", "/api/contents/a.ipynb", json={"type": "notebook", "content": nb})
        ledger.saves("save after token renewal")
        assert r.status_code == 200, r.text
        assert srv.requests_made().get("AUTH") == 2
    finally:
        srv.stop()
    log = srv.log()
    assert "kernels and terminals will not inherit" in log and "ST_KEY" in log
    assert_no_secret(log, *OTHER_SECRETS.values())


def test_opting_in_keeps_the_credentials(
    swift_server: SwiftServer, container: str, tmp_path: Path
) -> None:
    srv = _server(
        swift_server,
        tmp_path / "root",
        container,
        "--ShelfSecurity.pass_credentials_to_kernels=True",
    )
    try:
        seen = json.loads(
            _run_in_kernel(srv, "import os, json; print(json.dumps(dict(os.environ)))")
        )
        assert seen.get("ST_USER") == "test:tester"
    finally:
        srv.stop()
