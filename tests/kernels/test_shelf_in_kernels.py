"""shelf:// in a real kernel started by a real ``nbshelf serve`` (issue 14).

On the local store, memory, S3 (moto) and the real Swift: the kernel of
``proj/sub/analysis.ipynb`` reads ``data.csv`` beside it with pandas by a relative
``shelf://`` path, writes a parquet file (pyarrow) and a PNG (matplotlib, Agg) back;
both are listed by the contents API and stored byte-exact; the kernel's environment
holds no store credential; errors are Python exceptions.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.kernels.kernel import KernelError, execute, start_session
from tests.servers.jupyter import NbshelfServer

NOTEBOOK = "proj/sub/analysis.ipynb"
CSV = b"city,temp\nOslo,4.5\nLima,19.0\nPerth,23.25\n"
SECRETS = {"AWS_SECRET_ACCESS_KEY": "", "ST_KEY": "testing", "AWS_ACCESS_KEY_ID": ""}


@dataclass
class Served:
    name: str
    server: NbshelfServer
    read_back: Callable[[str], bytes]  # the bytes the store holds at a path
    secrets: tuple[str, ...]  # credential values that must not reach a kernel


def _clean_env(**values: str) -> dict[str, str]:
    env = {k: "" for k in os.environ if k.startswith(("OS_", "ST_", "AWS_", "NBSHELF_"))}
    env.update(values)
    return env


def _via_api(srv: NbshelfServer) -> Callable[[str], bytes]:
    def read(path: str) -> bytes:
        r = srv.api("GET", f"/api/contents/{path}", params={"type": "file", "format": "base64"})
        assert r.ok, r.text
        return base64.b64decode(r.json()["content"])

    return read


def _serve(kind: str, request: pytest.FixtureRequest, tmp: Path) -> Served:
    root = tmp / "root"
    root.mkdir()
    work = ("--ShelfKernels.work_dir=" + str(tmp / "work"),)
    if kind == "local":
        srv = NbshelfServer(root, *work, env=_clean_env()).start()
        return Served(kind, srv, lambda p: (root / p).read_bytes(), ())
    if kind == "memory":
        srv = NbshelfServer(root, *work, store="memory://kernels", env=_clean_env()).start()
        return Served(kind, srv, _via_api(srv), ())
    if kind == "s3":
        import uuid

        target = request.getfixturevalue("moto_s3")
        bucket = f"kernels-{uuid.uuid4().hex[:10]}"
        s3 = target.boto()
        s3.create_bucket(Bucket=bucket)
        secret = "moto-secret-for-kernel-test-0001"
        env = _clean_env(
            AWS_ACCESS_KEY_ID="AKIAKERNELTEST01",
            AWS_SECRET_ACCESS_KEY=secret,
            AWS_ENDPOINT_URL_S3=target.endpoint,
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
        )
        srv = NbshelfServer(root, *work, store=f"s3://{bucket}/users/alice", env=env).start()

        def read_s3(path: str) -> bytes:
            return s3.get_object(Bucket=bucket, Key=f"users/alice/{path}")["Body"].read()

        return Served(kind, srv, read_s3, (secret, "AKIAKERNELTEST01"))
    assert kind == "swift"
    swift = request.getfixturevalue("swift_server")
    from swiftclient.client import Connection

    conn = Connection(authurl=swift.auth_url, user="test:tester", key="testing")
    container = "kernel-files"
    conn.put_container(container)
    env = _clean_env(ST_AUTH=swift.auth_url, ST_USER="test:tester", ST_KEY="testing")
    srv = NbshelfServer(root, *work, store=f"swift://{container}", env=env).start()
    return Served(kind, srv, lambda p: conn.get_object(container, p)[1], ("testing",))


@pytest.fixture(
    params=[
        "local",
        "memory",
        pytest.param("s3", marks=pytest.mark.s3),
        pytest.param("swift", marks=pytest.mark.swift),
    ]
)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    s = _serve(request.param, request, tmp_path)
    try:
        yield s
    finally:
        s.server.stop()


def _put_file(srv: NbshelfServer, path: str, data: bytes) -> None:
    body = {"type": "file", "format": "base64", "content": base64.b64encode(data).decode()}
    r = srv.api("PUT", f"/api/contents/{path}", json=body)
    assert r.status_code in (200, 201), r.text


DATA_CODE = """
import io, json, os
import pandas as pd, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

df = pd.read_csv("shelf://data.csv")
df["temp_f"] = df["temp"] * 9 / 5 + 32
df.to_parquet("shelf://out/result.parquet", index=False)
fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
ax.bar(df["city"], df["temp"])
import fsspec
with fsspec.open("shelf://out/temps.png", "wb") as f:  # savefig takes a file object
    fig.savefig(f, format="png", metadata={"Software": None})
back = pd.read_parquet("shelf://out/result.parquet")

import fsspec
fs = fsspec.filesystem("shelf")
with fsspec.open("shelf://notes.txt", "w") as f:
    f.write("hello from the kernel\\n")
with fsspec.open("shelf:///proj/sub/notes.txt", "r") as f:
    notes = f.read()
import polars as pl
try:
    pl_direct = pl.read_csv("shelf://data.csv").shape
except Exception as e:
    pl_direct = repr(e)
with fsspec.open("shelf://data.csv", "rb") as f:
    pl_shape = pl.read_csv(f).shape
with fsspec.open("shelf://out/result.parquet", "rb") as f:
    pq = pl.read_parquet(f)
with fsspec.open("shelf://out/polars.csv", "wb") as f:
    pq.write_csv(f)
import numpy as np, xarray as xr
grid = xr.Dataset({"t": (("y", "x"), np.arange(6.0).reshape(2, 3))}, coords={"x": [10, 20, 30]})
with fsspec.open("shelf://out/grid.nc", "wb") as f:
    f.write(bytes(grid.to_netcdf(engine="scipy")))
with fsspec.open("shelf://out/grid.nc", "rb") as f:
    xs = xr.open_dataset(f, engine="scipy").load()
local = io.BytesIO(); df.to_parquet(local, index=False)
buf = io.BytesIO(); fig.savefig(buf, format="png", metadata={"Software": None})
print(json.dumps({
    "rows": len(back), "cols": list(back.columns), "notes": notes,
    "ls": sorted(fs.ls("out", detail=False)),
    "glob": sorted(fs.glob("shelf://**/*.png")),
    "exists": [fs.exists("data.csv"), fs.exists("nope.csv")],
    "info": fs.info("data.csv")["size"],
    "png": buf.getvalue().hex(), "cwd": os.getcwd(),
    "polars": [list(pl_shape), str(pl_direct)],
    "xarray": [float(xs["t"].sum()), xs["x"].values.tolist()],
    "env": dict(os.environ),
}))
"""


def test_pandas_parquet_png_next_to_the_notebook(served: Served) -> None:
    srv = served.server
    _put_file(srv, "proj/sub/data.csv", CSV)
    kid = start_session(srv, NOTEBOOK)
    out = json.loads(execute(srv, kid, DATA_CODE).strip().splitlines()[-1])

    assert out["rows"] == 3 and out["cols"] == ["city", "temp", "temp_f"]
    assert out["notes"] == "hello from the kernel\n"
    print("polars read_csv('shelf://...') directly:", out["polars"][1])
    assert out["polars"][0] == [3, 2]
    assert out["xarray"] == [15.0, [10, 20, 30]]
    assert out["ls"] == [
        "/proj/sub/out/grid.nc",
        "/proj/sub/out/polars.csv",
        "/proj/sub/out/result.parquet",
        "/proj/sub/out/temps.png",
    ]
    assert out["glob"] == ["/proj/sub/out/temps.png"]
    assert out["exists"] == [True, False] and out["info"] == len(CSV)

    # listed through the contents API, beside the notebook
    r = srv.api("GET", "/api/contents/proj/sub/out")
    assert r.ok, r.text
    listed = sorted(e["name"] for e in r.json()["content"])
    assert listed == ["grid.nc", "polars.csv", "result.parquet", "temps.png"]
    # stored byte-exact: the PNG is the one the kernel drew; the parquet file reads back
    assert served.read_back("proj/sub/out/temps.png") == bytes.fromhex(out["png"])
    parquet = served.read_back("proj/sub/out/result.parquet")
    assert parquet[:4] == b"PAR1" and parquet[-4:] == b"PAR1"
    assert served.read_back("proj/sub/notes.txt") == b"hello from the kernel\n"
    assert served.read_back("proj/sub/out/polars.csv").startswith(b"city,temp,temp_f\nOslo,")

    # where the kernel works: the notebook's real folder on the local store
    if served.name == "local":
        assert out["cwd"] == str(srv.root / "proj" / "sub")
    else:
        assert out["cwd"].endswith("/work/proj/sub")

    # no store credential in the kernel's environment; the kernel's own token only
    env = out["env"]
    assert env["NBSHELF_NOTEBOOK_DIR"] == "proj/sub"
    assert env["NBSHELF_SERVER_URL"] == srv.url
    dumped = json.dumps(env)
    for secret in served.secrets:
        assert secret not in dumped
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "ST_KEY", "OS_PASSWORD"):
        assert not env.get(name), f"{name} reached the kernel"
    assert srv.token not in dumped  # nor the server's login token


ERRORS_CODE = """
import fsspec, json
fs = fsspec.filesystem("shelf")
seen = {}
def kind(fn):
    try:
        fn()
    except Exception as e:
        return type(e).__name__
    return "ok"
seen["missing"] = kind(lambda: fs.open("nope.csv", "rb").read())
seen["internal"] = kind(lambda: fs.ls("/.nbshelf"))
seen["hidden"] = kind(lambda: fs.open("/.secret", "rb"))
seen["above"] = kind(lambda: fs.info("../../../etc/passwd"))
fs.mkdir("made/deeper")
seen["folder"] = kind(lambda: fs.open("made", "rb").read())
seen["mkdir"] = fs.isdir("made/deeper")
fs.pipe("made/deeper/a.txt", b"a")
fs.mv("made/deeper/a.txt", "made/b.txt")
seen["mv"] = [fs.exists("made/deeper/a.txt"), fs.cat("made/b.txt").decode()]
seen["rm_nonempty"] = kind(lambda: fs.rm("made"))
fs.rm("made", recursive=True)
seen["rm"] = fs.exists("made")
bad = fsspec.filesystem("shelf", token="wrong", skip_instance_cache=True)
seen["token"] = kind(lambda: bad.ls(""))
down = fsspec.filesystem("shelf", server_url="http://127.0.0.1:9", skip_instance_cache=True)
try:
    down.ls("")
except ConnectionError as e:
    seen["down"] = str(e)
print(json.dumps(seen))
"""


def test_errors_are_python_exceptions(served: Served) -> None:
    if served.name in ("s3", "swift"):
        pytest.skip("the path rules are the server's, the same on every store: local, memory")
    srv = served.server
    kid = start_session(srv, NOTEBOOK)
    seen = json.loads(execute(srv, kid, ERRORS_CODE).strip().splitlines()[-1])
    assert seen["missing"] == "FileNotFoundError"
    assert seen["internal"] == "PermissionError"
    assert seen["hidden"] == "PermissionError"
    assert seen["above"] == "PermissionError"
    assert seen["folder"] == "IsADirectoryError"
    assert seen["mkdir"] is True
    assert seen["mv"] == [False, "a"]
    assert seen["rm_nonempty"] == "OSError"
    assert seen["rm"] is False
    assert seen["token"] == "PermissionError"
    assert "http://127.0.0.1:9" in seen["down"]
    with pytest.raises(KernelError) as e:
        execute(srv, kid, "import pandas as pd; pd.read_csv('shelf://absent.csv')")
    assert e.value.ename == "FileNotFoundError"


def test_a_moved_notebook_takes_its_relative_paths_along(served: Served) -> None:
    if served.name != "memory":
        pytest.skip("the session API is the same on every store: memory")
    srv = served.server
    r = srv.api(
        "POST",
        "/api/sessions",
        json={
            "path": NOTEBOOK,
            "name": "analysis.ipynb",
            "type": "notebook",
            "kernel": {"name": "python3"},
        },
    )
    assert r.status_code == 201, r.text
    sid, kid = r.json()["id"], r.json()["kernel"]["id"]
    code = 'import fsspec; fs = fsspec.filesystem("shelf"); fs.pipe("here.txt", b"1")'
    execute(srv, kid, code)
    # JupyterLab moves the notebook, then tells the session its new path
    r = srv.api("PATCH", f"/api/sessions/{sid}", json={"path": "elsewhere/analysis.ipynb"})
    assert r.ok, r.text
    # the kernel asks where its notebook is at most every WHERE_TTL (5 s) seconds
    execute(srv, kid, 'import time; time.sleep(5.5); fs.pipe("there.txt", b"2")')
    assert served.read_back("proj/sub/here.txt") == b"1"
    assert served.read_back("elsewhere/there.txt") == b"2"
