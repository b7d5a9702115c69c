"""Faults between a real ``nbshelf serve`` and a real Swift.

- The Swift proxy stopped mid-session: every contents request answers 503 with a
  message naming the store (never a secret, nor a traceback), and the first save after
  the proxy is back succeeds (its token cache went with it: nbshelf renews the token).
- A connection cut in the middle of a large upload (``tests/servers/fault_proxy.py``
  forwards the first megabyte of the PUT, then resets both sides): the save fails
  with 503, and the object is the previous version, or absent for a new file, never
  a truncated one.

The Swift is the session's one (tests/servers/plugin.py), on a container of this module's
own: stopping its proxy is a fault this test injects and repairs (``start_proxy`` brings it
back on the same port before the test ends); tests run one at a time, so no other test
is talking to it meanwhile. A restart is not a new server: no second Swift is started.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
import swiftclient

from tests.servers.fault_proxy import FaultProxy
from tests.servers.jupyter import NbshelfServer
from tests.servers.swift import HOST, SwiftServer

pytestmark = pytest.mark.swift

SECRET = "testing"  # the tempauth key: must appear in no message and no log line
CONTAINER = f"faults-{uuid.uuid4().hex[:8]}"


def env_for(auth_url: str) -> dict[str, str]:
    env = {k: "" for k in os.environ if k.startswith(("OS_", "NBSHELF_"))}
    env.update(ST_AUTH=auth_url, ST_USER="test:tester", ST_KEY=SECRET)
    return env


def direct(swift: SwiftServer) -> swiftclient.Connection:
    """A connection straight to Swift (not through any fault)."""
    return swiftclient.Connection(authurl=swift.auth_url, user="test:tester", key=SECRET)


def nb(text: str) -> dict:
    return dict(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(text)]))


def assert_no_secret(text: str) -> None:
    assert SECRET not in text, "a secret leaked"


def test_proxy_stopped_mid_session_is_503_then_the_next_save_succeeds(
    swift_server: SwiftServer, tmp_path: Path
) -> None:
    srv = NbshelfServer(
        tmp_path / "root", store=f"swift://{CONTAINER}", env=env_for(swift_server.auth_url)
    )
    srv.root.mkdir()
    srv.start()
    try:
        url = "/api/contents/outage.ipynb"
        assert srv.api("PUT", url, json={"type": "notebook", "content": nb("before")}).ok
        swift_server.stop_proxy()
        try:
            for method, kwargs in (
                ("PUT", {"json": {"type": "notebook", "content": nb("during")}}),
                ("GET", {}),
                ("GET", {"params": {"content": 0, "hash": 1}}),
                ("POST", {"path": "/api/contents/outage.ipynb/checkpoints"}),
            ):
                r = srv.api(method, kwargs.pop("path", url), **kwargs)
                assert r.status_code == 503, (method, r.status_code, r.text)
                message = r.json()["message"]
                assert f"swift://{CONTAINER}" in message  # names the store
                assert swift_server.endpoint in message  # and where it is
                assert "check" in message and "Traceback" not in r.text
                assert_no_secret(r.text)
        finally:
            swift_server.start_proxy()
        r = srv.api("PUT", url, json={"type": "notebook", "content": nb("after")})
        assert r.status_code == 200, r.text
        got = srv.api("GET", url).json()
        assert [c["source"] for c in got["content"]["cells"]] == ["after"]
        # the restarted proxy forgot the token: it was renewed once, transparently
        assert srv.requests_made().get("AUTH") == 2
    finally:
        srv.stop()
    assert_no_secret(srv.log())
    assert "Traceback" not in srv.log()


@pytest.fixture
def faulty(swift_server: SwiftServer) -> Iterator[FaultProxy]:
    with FaultProxy(HOST, swift_server.ports["proxy"]) as proxy:
        yield proxy


def upload(srv: NbshelfServer, path: str, data: bytes) -> int:
    r = srv.api(
        "PUT",
        f"/api/contents/{path}",
        json={"type": "file", "format": "base64", "content": base64.b64encode(data).decode()},
    )
    return r.status_code


def test_a_cut_upload_never_leaves_a_truncated_object(
    swift_server: SwiftServer, faulty: FaultProxy, tmp_path: Path
) -> None:
    # nbshelf talks to Swift only through the fault proxy (tempauth hands out a storage
    # URL on the host the client asked, so the object requests go through it too)
    srv = NbshelfServer(
        tmp_path / "root", store=f"swift://{CONTAINER}", env=env_for(f"{faulty.url}/auth/v1.0")
    )
    srv.root.mkdir()
    srv.start()
    conn = direct(swift_server)
    old = os.urandom(3 * 1024 * 1024)
    new = os.urandom(3 * 1024 * 1024)
    try:
        assert upload(srv, "big.bin", old) == 201  # created
        assert faulty.stats["connections"] >= 1

        faulty.set("cut_request", after=1024 * 1024)  # the PUT's first MB, then a reset
        assert upload(srv, "big.bin", new) == 503
        assert upload(srv, "fresh.bin", new) == 503
        assert faulty.stats["cut_up"] >= 2

        headers, body = conn.get_object(CONTAINER, "big.bin")
        assert hashlib.md5(body).digest() == hashlib.md5(old).digest()  # the old version
        assert int(headers["content-length"]) == len(old)
        with pytest.raises(swiftclient.ClientException) as e:
            conn.head_object(CONTAINER, "fresh.bin")
        assert e.value.http_status == 404  # absent, not partial

        faulty.set("pass")
        assert upload(srv, "big.bin", new) == 200
        assert hashlib.md5(conn.get_object(CONTAINER, "big.bin")[1]).digest() == (
            hashlib.md5(new).digest()
        )
    finally:
        srv.stop()
        conn.close()
    assert_no_secret(srv.log())
