"""The counting proxy itself: counts by method and path, forwards bodies whole,
passes ``Expect: 100-continue`` clients through, adds latency without changing counts;
in a thread of the test's process and in a process of its own (the benchmark's)."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest

from tests.servers.counting_proxy import CountingProxy, RecordCounts
from tests.servers.proxy_process import ProxyProcess
from tests.servers.s3 import S3Target

pytestmark = pytest.mark.s3


def _proxy(kind: str, upstream: str, latency: float) -> Any:
    proxy: Any = CountingProxy(upstream) if kind == "thread" else ProxyProcess(upstream)
    proxy.start()
    proxy.latency = latency  # the process: set over its control path
    return proxy


@pytest.mark.parametrize("kind", ["thread", "process"])
@pytest.mark.parametrize("latency", [0.0, 0.01])
def test_proxy_counts_and_forwards(
    s3_server: S3Target, bucket: str, latency: float, kind: str
) -> None:
    proxy: RecordCounts
    with _proxy(kind, s3_server.endpoint, latency) as proxy:
        client: Any = S3Target(
            s3_server.name, proxy.url, s3_server.access_key, s3_server.secret_key
        ).boto()
        body = os.urandom(3 * 1024 * 1024)  # boto3 sends Expect: 100-continue for this
        client.put_object(Bucket=bucket, Key="p/x.bin", Body=body)
        got = client.get_object(Bucket=bucket, Key="p/x.bin")["Body"].read()
        client.head_object(Bucket=bucket, Key="p/x.bin")
        client.list_objects_v2(Bucket=bucket, Prefix="p/")
        assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest()
        assert dict(proxy.counts) == {"PUT": 1, "GET": 2, "HEAD": 1}
        assert proxy.count("GET", f"/{bucket}/p/") == 1
        assert [r.status for r in proxy.snapshot()] == [200, 200, 200, 200]
        assert proxy.snapshot()[0].headers["expect"] == "100-continue"
        proxy.reset()
        assert proxy.total == 0


def test_the_proxy_process_refuses_an_unknown_control_and_stops_by_its_pid() -> None:
    import http.client

    from tests.servers.counting_proxy import CONTROL

    with ProxyProcess("http://127.0.0.1:9") as proxy:  # never forwarded to
        pid = proxy.proc.pid if proxy.proc else 0
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
        conn.request("POST", CONTROL + "nonsense")
        resp = conn.getresponse()
        assert (resp.status, b"no such control" in resp.read()) == (400, True)
        conn.close()
        assert proxy.total == 0
    assert pid and not os.path.exists(f"/proc/{pid}")  # stopped and waited for


def test_an_upstream_connection_closed_while_idle_is_replaced() -> None:
    """A server that ends a kept-alive connection once it has been idle (Swift after its
    ``client_timeout``) must not make the proxy fail the client's next request on it:
    the proxy opens a new upstream connection, as a client's pool would (the benchmark's
    10,000-entry Swift listing failed on such connections after 100 s of seeding)."""
    import asyncio
    import http.client
    import threading
    import time

    connections = []
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    port: list[int] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while True:
            try:
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 0.2)
            except (asyncio.TimeoutError, asyncio.IncompleteReadError):
                writer.close()  # idle for 0.2 s: this server ends the connection
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(asyncio.start_server(answer, "127.0.0.1", 0))
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    assert ready.wait(10)
    try:
        with CountingProxy(f"http://127.0.0.1:{port[0]}") as proxy:
            conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
            statuses = []
            for _ in range(3):
                conn.request("GET", "/x")
                resp = conn.getresponse()
                assert resp.read() == b"ok"
                statuses.append(resp.status)
                time.sleep(0.5)  # the upstream closes its side meanwhile
            conn.close()
            assert statuses == [200, 200, 200]
            assert proxy.total == 3
            assert len(connections) == 3  # one upstream connection per idle gap
    finally:
        loop.call_soon_threadsafe(loop.stop)
