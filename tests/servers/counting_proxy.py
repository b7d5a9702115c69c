"""A counting HTTP/1.1 reverse proxy on 127.0.0.1, for tests and benchmarks.

Put it in front of any upstream (moto, Swift, Azurite) to count the requests a
client really sends, by method and path, as the server sees them, and
optionally to add a fixed latency to every request (the benchmark's "10 ms per
request"). Requests and responses are forwarded byte for byte (the Host header
too, so SigV4 signatures made for the proxy's address still verify upstream),
bodies are streamed, never held whole.

    with CountingProxy("http://127.0.0.1:5000", latency=0.010) as proxy:
        client(endpoint=proxy.url) ...
        assert proxy.count("PUT") == 1

It runs its own event loop in a daemon thread, so sync and async tests can
both use it; ``python -m tests.servers.counting_proxy UPSTREAM`` runs it as a process
of its own (:mod:`tests.servers.proxy_process`), steered through the paths under
:data:`CONTROL`, which are answered by the proxy and never counted or forwarded.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

_CHUNK = 1 << 16
#: Paths the proxy answers itself: ``latency?s=0.01``, ``reset``, ``records``.
CONTROL = "/_counting_proxy/"


@dataclass(frozen=True)
class Record:
    """One request as the upstream saw it (headers lower-cased)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str] = field(repr=False)
    status: int = 0


class RecordCounts:
    """Counts over :meth:`snapshot` (a proxy in this process or in its own)."""

    def snapshot(self) -> list[Record]:
        raise NotImplementedError

    @property
    def counts(self) -> collections.Counter[str]:
        """Requests by method."""
        return collections.Counter(r.method for r in self.snapshot())

    def count(self, method: str | None = None, path_prefix: str = "") -> int:
        return sum(
            1
            for r in self.snapshot()
            if (method is None or r.method == method) and r.path.startswith(path_prefix)
        )

    @property
    def total(self) -> int:
        return len(self.snapshot())


class CountingProxy(RecordCounts):
    """Reverse proxy to ``upstream`` (``http://host:port``) counting each request."""

    def __init__(self, upstream: str, *, latency: float = 0.0, host: str = "127.0.0.1") -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be http://host:port, not {upstream!r}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.latency = latency
        #: Response headers left out, by request method ({"PUT": {"last-modified"}}: a
        #: server that, as AWS S3, sends no Last-Modified with a PutObject's answer).
        self.drop_response_headers: dict[str, set[str]] = {}
        self.host = host
        self.port = 0
        self.records: list[Record] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None

    # ------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> CountingProxy:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, self.host, 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="counting-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("counting proxy did not start")
        return self

    def stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        loop.close()

    def __enter__(self) -> CountingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ counting
    def reset(self) -> None:
        with self._lock:
            self.records.clear()

    def snapshot(self) -> list[Record]:
        with self._lock:
            return list(self.records)

    def _control(self, target: str) -> bytes:
        """The answer (JSON) to a request under :data:`CONTROL`."""
        split = urlsplit(target)
        what = split.path[len(CONTROL) :]
        if what == "latency":
            self.latency = float(dict(parse_qsl(split.query)).get("s", "0"))
        elif what == "reset":
            self.reset()
        elif what == "records":
            return json.dumps([r.__dict__ for r in self.snapshot()]).encode()
        else:
            raise ValueError(f"no such control: {what!r}")
        return b"{}"

    # ------------------------------------------------------------ proxying
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader: asyncio.StreamReader | None = None
        up_writer: asyncio.StreamWriter | None = None
        try:
            while True:
                head = await _read_head(reader)
                if head is None:
                    return
                request_line, headers = head
                method, target, _ = request_line.split(" ", 2)
                if target.startswith(CONTROL):
                    try:
                        body, status_line = self._control(target), "200 OK"
                    except ValueError as e:
                        body, status_line = json.dumps({"error": str(e)}).encode(), "400 Bad"
                    writer.write(
                        f"HTTP/1.1 {status_line}\r\n".encode()
                        + b"content-type: application/json\r\n"
                        + f"content-length: {len(body)}\r\n\r\n".encode()
                        + body
                    )
                    await writer.drain()
                    continue
                if self.latency:
                    await asyncio.sleep(self.latency)
                if up_writer is None or up_writer.is_closing() or _dropped(up_reader):
                    # a kept-alive upstream connection the server closed while idle (Swift
                    # after its client_timeout) is replaced, as a client's pool would
                    # replace it, not used to fail the client's next request
                    if up_writer is not None:
                        up_writer.close()
                    up_reader, up_writer = await asyncio.open_connection(
                        self.upstream_host, self.upstream_port
                    )
                assert up_reader is not None
                if headers.get("expect", "").lower() == "100-continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    await writer.drain()
                up_writer.write(_format_head(request_line, headers, drop={"expect"}))
                await _pipe_body(reader, up_writer, headers, method=method, is_request=True)
                status_line, resp_headers = await _read_response_head(up_reader, writer)
                status = int(status_line.split(" ", 2)[1])
                split = urlsplit(target)
                record = Record(
                    method, split.path, dict(parse_qsl(split.query, True)), headers, status
                )
                with self._lock:  # before the client can see the response: no race with reset()
                    self.records.append(record)
                dropped = self.drop_response_headers.get(method, set())
                writer.write(_format_head(status_line, resp_headers, drop=dropped))
                await _pipe_body(up_reader, writer, resp_headers, method=method, status=status)
                if "close" in (headers.get("connection", "") + resp_headers.get("connection", "")):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            for w in (writer, up_writer):
                if w is not None:
                    with contextlib.suppress(Exception):
                        w.close()


def _dropped(up: asyncio.StreamReader | None) -> bool:
    """Whether the upstream ended the connection while it was idle (its EOF arrived)."""
    return up is not None and (up.at_eof() or up.exception() is not None)


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, dict[str, str]] | None:
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = raw.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers


async def _read_response_head(
    up: asyncio.StreamReader, client: asyncio.StreamWriter
) -> tuple[str, dict[str, str]]:
    """The final response head; interim 1xx responses are passed straight on."""
    while True:
        head = await _read_head(up)
        if head is None:
            raise ConnectionError("upstream closed")
        status_line, headers = head
        if status_line.split(" ", 2)[1].startswith("1"):
            client.write(_format_head(status_line, headers))
            continue
        return status_line, headers


def _format_head(
    first: str, headers: dict[str, str], drop: set[str] | frozenset[str] = frozenset()
) -> bytes:
    lines = [first] + [f"{k}: {v}" for k, v in headers.items() if k not in drop]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _pipe_body(
    src: asyncio.StreamReader,
    dst: asyncio.StreamWriter,
    headers: dict[str, str],
    *,
    method: str,
    is_request: bool = False,
    status: int = 0,
) -> None:
    """Copy one message body, framed by Content-Length, chunked coding, or (responses) EOF."""
    if not is_request and (method == "HEAD" or status in (204, 304) or 100 <= status < 200):
        await dst.drain()
        return
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = await src.readuntil(b"\r\n")
            dst.write(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers, then the blank line
                    line = await src.readuntil(b"\r\n")
                    dst.write(line)
                    if line == b"\r\n":
                        break
                break
            await _copy_exact(src, dst, size + 2)
    elif "content-length" in headers:
        await _copy_exact(src, dst, int(headers["content-length"]))
    elif not is_request:
        while block := await src.read(_CHUNK):
            dst.write(block)
            await dst.drain()
    await dst.drain()


async def _copy_exact(src: asyncio.StreamReader, dst: asyncio.StreamWriter, n: int) -> None:
    while n > 0:
        block = await src.read(min(n, _CHUNK))
        if not block:
            raise asyncio.IncompleteReadError(b"", n)
        dst.write(block)
        n -= len(block)
        await dst.drain()


def main(argv: list[str] | None = None) -> None:
    """Run a proxy until killed; its port is the first line printed."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("upstream")
    p.add_argument("--host", default="127.0.0.1")
    args = p.parse_args(argv)
    proxy = CountingProxy(args.upstream, host=args.host).start()
    print(proxy.port, flush=True)
    threading.Event().wait()  # until the parent stops it (by its PID)


if __name__ == "__main__":
    main()
