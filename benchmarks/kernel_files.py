"""shelf:// against the store's own client and the local disk, side by side in one run.

    python -m benchmarks.kernel_files                 # 1 MB and 100 MB, every store
    python -m benchmarks.kernel_files --sizes 1 --stores local

Writes and reads one file of each size through:

- ``shelf://`` (``nbshelf.kernelfs.ShelfFileSystem``, the code a kernel runs), talking
  to a real ``nbshelf serve`` on 127.0.0.1 whose store is the local disk, a real
  OpenStack Swift (native API) or a moto S3 server;
- the store's own client, as a kernel holding the store's credentials would use it:
  python-swiftclient (streamed ``put_object`` / ``get_object(resp_chunk_size=...)``)
  and obstore (``put`` from a file, ``get(...).stream()``);
- the local disk (``open``; the page cache makes reads a memory copy).

Every path streams in 8 MB pieces and checks the bytes read back (MD5). The figures
are the median of the repetitions (5 for 1 MB, 2 for 100 MB), in ms and MB/s, written
to ``benchmarks/results/kernel_files.json`` and printed as the table of docs/data.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PIECE = 8 << 20
OUT = REPO / "benchmarks" / "results" / "kernel_files.json"


def payload(mb: int) -> Iterator[bytes]:
    block = os.urandom(1 << 20)
    for i in range(mb):
        yield i.to_bytes(4, "big") + block[4:]


def _file_of(mb: int, folder: Path) -> tuple[Path, str]:
    path = folder / f"payload-{mb}mb.bin"
    h = hashlib.md5()
    with open(path, "wb") as f:
        for piece in payload(mb):
            h.update(piece)
            f.write(piece)
    return path, h.hexdigest()


class Way:
    """One way to write a local file to a name and read it back (streamed)."""

    def __init__(
        self,
        label: str,
        store: str,
        write: Callable[[Path, str], None],
        read: Callable[[str], Iterator[bytes]],
    ) -> None:
        self.label, self.store, self.write, self.read = label, store, write, read


def _stream_file(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        yield from iter(lambda: f.read(PIECE), b"")


def shelf_way(srv: Any, store: str) -> Way:
    from nbshelf.kernelfs import ShelfFileSystem

    fs = ShelfFileSystem(srv.url, jupyter_token=srv.token, skip_instance_cache=True)

    def write(src: Path, name: str) -> None:
        fs.put_file(str(src), f"/bench/{name}")

    def read(name: str) -> Iterator[bytes]:
        with fs.open(f"/bench/{name}", "rb") as f:
            yield from iter(lambda: f.read(PIECE), b"")

    return Way("shelf:// (through nbshelf serve)", store, write, read)


def disk_way(folder: Path) -> Way:
    def write(src: Path, name: str) -> None:
        with open(folder / name, "wb") as out:
            for piece in _stream_file(src):
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())

    def read(name: str) -> Iterator[bytes]:
        yield from _stream_file(folder / name)

    return Way("open() on the local disk", "local disk", write, read)


def swiftclient_way(auth_url: str, user: str, key: str, container: str) -> Way:
    from swiftclient.client import Connection

    conn = Connection(authurl=auth_url, user=user, key=key, retries=1)
    conn.put_container(container)

    def write(src: Path, name: str) -> None:
        with open(src, "rb") as f:
            conn.put_object(container, name, f, chunk_size=PIECE)

    def read(name: str) -> Iterator[bytes]:
        _, body = conn.get_object(container, name, resp_chunk_size=PIECE)
        yield from body

    return Way("python-swiftclient (the store's client)", "swift", write, read)


def obstore_way(endpoint: str, key: str, secret: str, bucket: str) -> Way:
    import obstore
    from obstore.store import S3Store

    s3 = S3Store(
        bucket,
        endpoint=endpoint,
        access_key_id=key,
        secret_access_key=secret,
        region="us-east-1",
        client_options={"allow_http": True},
        virtual_hosted_style_request=False,
    )

    def write(src: Path, name: str) -> None:
        with open(src, "rb") as f:
            obstore.put(s3, name, f, chunk_size=PIECE)

    def read(name: str) -> Iterator[bytes]:
        for chunk in obstore.get(s3, name).stream(min_chunk_size=PIECE):
            yield bytes(chunk)

    return Way("obstore (the store's client)", "s3 (moto)", write, read)


def measure(way: Way, src: Path, md5: str, mb: int, reps: int) -> dict[str, Any]:
    writes, reads = [], []
    for rep in range(reps):
        name = f"f{mb}-{rep}-{uuid.uuid4().hex[:6]}.bin"
        t0 = time.perf_counter()
        way.write(src, name)
        writes.append(time.perf_counter() - t0)
        h = hashlib.md5()
        t0 = time.perf_counter()
        for piece in way.read(name):
            h.update(piece)
        reads.append(time.perf_counter() - t0)
        if h.hexdigest() != md5:
            raise AssertionError(f"{way.label} on {way.store}: the bytes read back differ")
    w, r = statistics.median(writes), statistics.median(reads)
    return {
        "way": way.label,
        "store": way.store,
        "mb": mb,
        "reps": reps,
        "write_ms": round(w * 1000, 1),
        "read_ms": round(r * 1000, 1),
        "write_mb_s": round(mb / w, 1),
        "read_mb_s": round(mb / r, 1),
    }


def table(rows: list[dict[str, Any]]) -> str:
    out = [
        "| store | how | size | write ms | read ms | write MB/s | read MB/s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['store']} | {r['way']} | {r['mb']} MB | {r['write_ms']} | {r['read_ms']} "
            f"| {r['write_mb_s']} | {r['read_mb_s']} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1,100", help="MB, comma separated")
    ap.add_argument("--stores", default="local,swift,s3", help="local, swift, s3")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    stores = set(args.stores.split(","))

    from tests.servers.jupyter import NbshelfServer

    from benchmarks import targets as tg

    load_before = os.getloadavg()  # the machine's load: the figures are only as quiet as it
    work = Path(tempfile.mkdtemp(prefix="nbshelf-bench-kernel-files-", dir=REPO / "build"))
    stops: list[Callable[[], None]] = []
    ways: list[Way] = []
    try:
        disk = work / "disk"
        disk.mkdir()
        ways.append(disk_way(disk))
        if "local" in stores:
            (work / "local").mkdir()
            srv = NbshelfServer(work / "local").start()
            stops.append(srv.stop)
            ways.append(shelf_way(srv, "local disk"))
        if "swift" in stores:
            swift = tg.start_swift()
            stops.append(swift.stop or (lambda: None))
            auth = f"{swift.endpoint}/auth/v1.0"
            ways.append(swiftclient_way(auth, tg.SWIFT_USER, tg.SWIFT_KEY, "bench-native"))
            (work / "swift").mkdir()
            env = {k: "" for k in os.environ if k.startswith(("OS_", "ST_", "AWS_"))}
            env.update(ST_AUTH=auth, ST_USER=tg.SWIFT_USER, ST_KEY=tg.SWIFT_KEY)
            srv = NbshelfServer(work / "swift", store="swift://bench-shelf", env=env).start()
            stops.append(srv.stop)
            ways.append(shelf_way(srv, "swift"))
        if "s3" in stores:
            moto = tg.start_moto()
            stops.append(moto.stop or (lambda: None))
            native = moto.new_bucket("native")
            ways.append(obstore_way(moto.endpoint, moto.access_key, moto.secret_key, native))
            bucket = moto.new_bucket("shelf")
            (work / "s3").mkdir()
            env = {k: "" for k in os.environ if k.startswith(("OS_", "ST_", "AWS_"))}
            env.update(
                AWS_ACCESS_KEY_ID=moto.access_key,
                AWS_SECRET_ACCESS_KEY=moto.secret_key,
                AWS_ENDPOINT_URL_S3=moto.endpoint,
                AWS_REGION="us-east-1",
            )
            srv = NbshelfServer(work / "s3", store=f"s3://{bucket}", env=env).start()
            stops.append(srv.stop)
            ways.append(shelf_way(srv, "s3 (moto)"))
        rows = []
        for mb in sizes:
            src, md5 = _file_of(mb, work)
            reps = 5 if mb <= 10 else 2
            for way in ways:
                print(f"{way.store}: {way.label}, {mb} MB ...", file=sys.stderr, flush=True)
                rows.append(measure(way, src, md5, mb, reps))
            src.unlink()
        order = {"local disk": 0, "swift": 1, "s3 (moto)": 2}
        rows.sort(key=lambda r: (r["mb"], order.get(r["store"], 9), r["way"]))
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        load = {
            "cores": os.cpu_count(),
            "loadavg_1_5_15_before": [round(x, 2) for x in load_before],
            "loadavg_1_5_15_after": [round(x, 2) for x in os.getloadavg()],
        }
        Path(args.out).write_text(
            json.dumps(
                {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **load, "rows": rows},
                indent=1,
            )
        )
        print(table(rows))
        print(f"\nload average (1, 5, 15 min) before {load_before}, after {os.getloadavg()}")
    finally:
        for stop in reversed(stops):
            try:
                stop()
            except Exception as e:  # keep stopping the others
                print(f"stop failed: {e}", file=sys.stderr)
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
