"""The first calls after start-up, each in a fresh Python process.

A server's first listing, save, checkpoint and folder rename pay for what nothing
before them loaded: lazy imports, TLS contexts, thread pools, a store's first
authentication. Inside the long benchmark process those were paid long ago, so this
runs them in a new process (``python -m benchmarks.coldstart SPEC_JSON``), with the
ticking coroutine on, and prints one JSON line: each call's time, longest
event-loop block and store requests. The parent seeds the folders first; the memory
store, which lives in one process only, is seeded here before anything is measured.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

#: the calls, in order: (name, what it does)
CALLS = (
    ("list", "list a folder"),
    ("open", "open a notebook"),
    ("save", "save a notebook"),
    ("checkpoint", "create a checkpoint"),
    ("rename_folder", "rename a folder"),
    ("list_again", "list the folder again (warm)"),
)


def _manager(spec: dict[str, Any]) -> Any:
    if spec["kind"] == "jupyter_server":
        from jupyter_server.services.contents.filemanager import AsyncFileContentsManager

        return AsyncFileContentsManager(root_dir=spec["root_dir"])
    from nbshelf import ShelfContentsManager

    if spec.get("store_url"):
        return ShelfContentsManager(
            store_url=spec["store_url"], store_options=spec.get("store_options") or {}
        )
    return ShelfContentsManager(root_dir=spec["root_dir"])


async def _seed_memory(cm: Any, spec: dict[str, Any], data: bytes) -> None:
    for i in range(spec["n"]):
        await cm.store.put(f"{spec['folder']}/nb{i:06}.ipynb", data)
    for i in range(spec["rename_n"]):
        await cm.store.put(f"{spec['rename'][0]}/nb{i:06}.ipynb", data)
    await cm.store.put(spec["notebook"], data)
    cm.store.requests.reset()


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.harness import nb_bytes, nb_model, small_notebook
    from benchmarks.measure import call, measure

    t0 = time.perf_counter()
    cm = _manager(spec)
    made_ms = (time.perf_counter() - t0) * 1000
    nb = small_notebook()
    if spec.get("seed_here"):
        await _seed_memory(cm, spec, nb_bytes(nb))
    store = getattr(cm, "store", None) if spec["kind"] == "nbshelf" else None
    folder, path = spec["folder"], spec["notebook"]
    src, dst = spec["rename"]
    fns = {
        "list": lambda: call(cm.get, folder, content=True, type="directory"),
        "open": lambda: call(cm.get, path, content=True, type="notebook"),
        "save": lambda: call(cm.save, nb_model(nb), path),
        "checkpoint": lambda: call(cm.create_checkpoint, path),
        "rename_folder": lambda: call(cm.rename, src, dst),
        "list_again": lambda: call(cm.get, folder, content=True, type="directory"),
    }
    out: dict[str, Any] = {
        "manager_ms": round(made_ms, 2),
        "n": spec["n"],
        "rename_n": spec["rename_n"],
        "calls": {},
    }
    for name, title in CALLS:
        try:
            s = await measure(fns[name], store=store)
        except Exception as e:
            out["calls"][name] = {"title": title, "error": f"{type(e).__name__}: {e}"[:240]}
            continue
        got = None
        if name.startswith("list"):
            got = len(s.result.get("content") or [])
        out["calls"][name] = {
            "title": title,
            "ms": round(s.ms, 2),
            "block_ms": round(s.block_ms, 2),
            "gc_ms": round(s.gc_ms, 2),
            "busy_ms": round(s.busy_ms, 2),
            "gc_cpu_ms": round(s.gc_cpu_ms, 2),
            "store_requests": s.store,
            "entries": got,
        }
    return out


def main() -> int:
    spec = json.loads(sys.argv[1])
    print(json.dumps(asyncio.run(run(spec))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# --------------------------------------------------------------------------- the parent side
def specs_for(env: Any) -> list[dict[str, Any]]:
    """What to start fresh on one server: nbshelf (and jupyter_server's own manager on
    local disk, for comparison)."""
    from benchmarks.scale import LocalEnv, MemoryEnv, S3Env, SwiftEnv

    if isinstance(env, LocalEnv):
        return [
            {"kind": "jupyter_server", "label": "jupyter_server", "root_dir": str(env.root)},
            {"kind": "nbshelf", "label": "nbshelf (local store)", "root_dir": str(env.root)},
        ]
    if isinstance(env, MemoryEnv):
        return [
            {
                "kind": "nbshelf",
                "label": "nbshelf (memory store)",
                "store_url": "memory://coldstart",
                "seed_here": True,
            }
        ]
    if isinstance(env, (S3Env, SwiftEnv)):
        return [
            {
                "kind": "nbshelf",
                "label": env.systems[3].label,
                "store_url": env.nb_url,
                "store_options": env.nb_opts,
            }
        ]
    return []


async def coldstart(env: Any, log: Any = print, n: int = 1000, rename_n: int = 100) -> list[Any]:
    """Seed each spec's folders, start a fresh process per spec, collect its JSON."""
    import os
    import uuid

    from benchmarks.harness import nb_bytes, small_notebook

    data = nb_bytes(small_notebook())
    out = []
    for spec in specs_for(env):
        tag = f"cold-{uuid.uuid4().hex[:6]}"
        spec.update(
            folder=f"{tag}-l{n}",
            notebook=f"{tag}-l{n}/nb000000.ipynb",
            rename=[f"{tag}-rf-a", f"{tag}-rf-b"],
            n=n,
            rename_n=rename_n,
        )
        try:
            if not spec.get("seed_here"):
                await env.seed(spec["folder"], n, data)
                await env.seed(spec["rename"][0], rename_n, data)
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.coldstart",
                json.dumps(spec),
                cwd=str(REPO),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={
                    **os.environ,
                    "PYTHONPATH": os.pathsep.join(
                        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
                    ),
                },
            )
            stdout, stderr = await asyncio.wait_for(proc.communicate(), 600)
            if proc.returncode != 0:
                raise RuntimeError(stderr.decode(errors="replace").strip().splitlines()[-1])
            res = json.loads(stdout.decode().strip().splitlines()[-1])
        except Exception as e:
            res = {"error": f"{type(e).__name__}: {e}"[:240], "calls": {}}
        res.update(
            server=env.name,
            label=spec["label"],
            kind=spec["kind"],
        )
        worst = max((c.get("block_ms", 0) for c in res["calls"].values()), default=None)
        log(f"  coldstart {env.name:10} {spec['label']:32} longest block {worst} ms")
        out.append(res)
    return out
