"""Many users, one server (issue 16, part 7): 50 clients doing JupyterLab's save cycle.

A real server process (``nbshelf serve``, or plain ``jupyter server`` with its own
file manager) on 127.0.0.1; 50 concurrent HTTP clients, each saving its own notebook
again and again the way JupyterLab 4 does:

1. ``GET /api/contents/<path>?content=0&hash=1`` (has it changed on disk?)
2. ``PUT /api/contents/<path>`` (the save)
3. ``POST /api/contents/<path>/checkpoints`` (the checkpoint)

One warm-up cycle per client, then cycles for a fixed time. Reported: save cycles per
second, the cycle time (median, 95th percentile), errors, and the CPU time of the
server process (and of the store's own processes) per cycle, read from
``/proc/<pid>/stat`` before and after the measured window: on object stores this says
whether nbshelf's CPU or the store limits the throughput.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .harness import short, small_notebook
from .targets import REGION, SWIFT_KEY, SWIFT_USER, Server

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class LoadSettings:
    clients: int = 50
    seconds: float = 20.0

    @classmethod
    def tiny(cls) -> LoadSettings:
        return cls(clients=3, seconds=1.0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat") as f:
        # the command name (field 2) may hold spaces: split after its closing paren
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += cpu_seconds(pid)
    return total


def _own_cpu() -> float:
    """This process's CPU time (the 50 clients run here: their cost is reported too)."""
    t = os.times()
    return t.user + t.system


def _clean_env(**values: str) -> dict[str, str]:
    """No credentials from the machine: only what this server is given."""
    env = {k: "" for k in os.environ if k.startswith(("OS_", "ST_", "AWS_", "NBSHELF_"))}
    env.update(values)
    return env


def _jupyter_server_class() -> Any:
    from tests.servers.jupyter import NbshelfServer

    class JupyterServer(NbshelfServer):
        """Plain ``jupyter server`` with its own file manager (nbshelf switched off)."""

        def command(self) -> list[str]:
            import sys

            return [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                f"--ServerApp.root_dir={self.root}",
                "--ServerApp.allow_root=True",
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.port_retries=0",
                "--ServerApp.contents_manager_class="
                "jupyter_server.services.contents.largefilemanager.AsyncLargeFileManager",
                "--ServerApp.jpserver_extensions",
                "nbshelf=False",
            ]

    return JupyterServer


async def drive(url: str, token: str, pids: list[int], store_pids: list[int],
                s: LoadSettings) -> dict[str, Any]:  # fmt: skip
    """The clients against one running server."""
    import httpx

    headers = {"Authorization": f"token {token}"}
    base_nb = small_notebook()
    limits = httpx.Limits(max_connections=s.clients, max_keepalive_connections=s.clients)
    tag = uuid.uuid4().hex[:6]
    times: list[float] = []
    errors: list[str] = []
    counted = [0]

    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=120) as http:

        async def cycle(path: str, i: int) -> None:
            nb = copy.deepcopy(base_nb)
            nb["cells"][0]["source"] = f"# save {i} {uuid.uuid4().hex}"
            r = await http.get(f"/api/contents/{path}", params={"content": 0, "hash": 1})
            if r.status_code != 200:
                raise RuntimeError(f"GET {r.status_code}: {r.text[:160]}")
            r = await http.put(
                f"/api/contents/{path}",
                json={"type": "notebook", "format": "json", "content": nb},
            )
            if r.status_code not in (200, 201):
                raise RuntimeError(f"PUT {r.status_code}: {r.text[:160]}")
            r = await http.post(f"/api/contents/{path}/checkpoints")
            if r.status_code != 201:
                raise RuntimeError(f"POST checkpoints {r.status_code}: {r.text[:160]}")

        paths = [f"load-{tag}/c{i:03}.ipynb" for i in range(s.clients)]
        r = await http.put(f"/api/contents/load-{tag}", json={"type": "directory"})
        if r.status_code not in (200, 201):
            raise RuntimeError(f"cannot make the folder: {r.status_code} {r.text[:160]}")
        for p in paths:  # each client's notebook exists before the warm-up
            r = await http.put(
                f"/api/contents/{p}",
                json={"type": "notebook", "format": "json", "content": base_nb},
            )
            if r.status_code not in (200, 201):
                raise RuntimeError(f"cannot make {p}: {r.status_code} {r.text[:160]}")
        await asyncio.gather(*(cycle(p, 0) for p in paths))  # warm-up, not counted

        deadline = 0.0

        async def client(path: str) -> None:
            i = 1
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    await cycle(path, i)
                except Exception as e:
                    errors.append(short(e))
                    continue
                finally:
                    i += 1
                times.append(time.perf_counter() - t0)
                counted[0] += 1

        cpu0, store0, me0 = _cpu(pids), _cpu(store_pids), _own_cpu()
        t0 = time.perf_counter()
        deadline = t0 + s.seconds
        await asyncio.gather(*(client(p) for p in paths))
        elapsed = time.perf_counter() - t0
        cpu1, store1, me1 = _cpu(pids), _cpu(store_pids), _own_cpu()

    n = counted[0]
    times.sort()
    return {
        "clients": s.clients,
        "seconds": round(elapsed, 2),
        "cycles": n,
        "cycles_per_s": round(n / elapsed, 1) if elapsed else None,
        "median_cycle_ms": round(statistics.median(times) * 1000, 1) if times else None,
        "p95_cycle_ms": round(times[int(0.95 * (len(times) - 1))] * 1000, 1) if times else None,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "server_cpu_s": round(cpu1 - cpu0, 2),
        "server_cpu_ms_per_cycle": round((cpu1 - cpu0) * 1000 / n, 2) if n else None,
        "client_cpu_ms_per_cycle": round((me1 - me0) * 1000 / n, 2) if n else None,
        "store_cpu_s": round(store1 - store0, 2) if store_pids else None,
        "store_cpu_ms_per_cycle": (
            round((store1 - store0) * 1000 / n, 2) if n and store_pids else None
        ),
    }


async def run_one(
    label: str, server_name: str, start: Any, store_pids: list[int], s: LoadSettings, log: Any
) -> dict[str, Any]:
    """Start one server (``start()`` returns it), drive it, stop it by its PID."""
    out: dict[str, Any] = {"label": label, "server": server_name, "error": None}
    srv = None
    try:
        srv = await asyncio.to_thread(start)
        out.update(await drive(srv.url, srv.token, [srv.proc.pid], store_pids, s))
    except Exception as e:
        out["error"] = short(e)
    finally:
        if srv is not None:
            await asyncio.to_thread(srv.stop)
    log(
        f"  load {label:40} {out.get('cycles_per_s')} cycles/s, "
        f"median {out.get('median_cycle_ms')} ms, server CPU "
        f"{out.get('server_cpu_ms_per_cycle')} ms/cycle, errors {out.get('errors')}"
        + (f" ({out['error']})" if out["error"] else "")
    )
    return out


def _root(tag: str) -> Path:
    base = Path(tempfile.mkdtemp(prefix=f"nbshelf-load-{tag}-"))
    root = base / "root"
    root.mkdir()
    return root


async def run_local(s: LoadSettings, log: Any = print) -> list[dict[str, Any]]:
    """jupyter_server's own file manager and nbshelf's local store, each on local disk."""
    from tests.servers.jupyter import NbshelfServer

    js = _jupyter_server_class()
    out = [
        await run_one(
            "jupyter_server (its own file manager), local disk",
            "local",
            lambda: js(_root("js"), env=_clean_env()).start(timeout=120),
            [],
            s,
            log,
        ),
        await run_one(
            "nbshelf serve, local store",
            "local",
            lambda: NbshelfServer(_root("nb"), env=_clean_env()).start(timeout=120),
            [],
            s,
            log,
        ),
    ]
    return out


async def run_remote(server: Server, s: LoadSettings, log: Any = print) -> dict[str, Any]:
    """nbshelf serve on the object store, talking to it directly (no proxy)."""
    from tests.servers.jupyter import NbshelfServer

    bucket = server.new_bucket("load")
    if server.name == "swift":
        env = _clean_env(
            ST_AUTH=f"{server.endpoint}/auth/v1.0", ST_USER=SWIFT_USER, ST_KEY=SWIFT_KEY
        )
        store, label = f"swift://{bucket}", "nbshelf serve, Swift (native API)"
    else:
        env = _clean_env(
            AWS_ACCESS_KEY_ID=server.access_key,
            AWS_SECRET_ACCESS_KEY=server.secret_key,
            AWS_ENDPOINT_URL_S3=server.endpoint,
            AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
        )
        store, label = f"s3://{bucket}", f"nbshelf serve, S3 ({server.name})"
    return await run_one(
        label,
        server.name,
        lambda: NbshelfServer(_root(server.name), store=store, env=env).start(timeout=120),
        list(server.pids),
        s,
        log,
    )
