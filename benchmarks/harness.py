"""The operations, the same data for every target, and the loop that measures them.

Every operation is driven through the contents manager's Python API exactly as
jupyter_server's REST handlers drive it (``ensure_async``: a sync manager runs on
the event loop thread). Each call is measured on its own (requests at the counting
proxy and at nbshelf's store counter, wall time, the longest event-loop stall,
memory for the 20 MB cases) and its result is then checked independently, through
raw access to the server, outside the measured window.
"""

from __future__ import annotations

import copy
import gc
import inspect
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import nbformat

from .measure import Sample, call, measure, python_heap_peak
from .targets import Target

NB, CP, BIG, SUBS = "nb.ipynb", "cp.ipynb", "big.ipynb", "subs"
REN = ("ren-a.ipynb", "ren-b.ipynb")
RF = ("rf-a", "rf-b")


# --------------------------------------------------------------------------- settings
@dataclass
class Settings:
    """Repetition counts (small and fixed) and data sizes."""

    reps: int = 5  # small operations, no added latency
    lat_reps: int = 3  # small operations, 10 ms per request added
    big_reps: int = 3  # listing 1000, folder operations
    big_lat_reps: int = 2
    mem_reps: int = 2  # the 20 MB notebook
    mem_lat_reps: int = 1
    latency: float = 0.010
    list_sizes: tuple[int, ...] = (10, 100, 1000)
    n_subfolders: int = 100
    n_folder: int = 100
    big_mb: int = 20

    @classmethod
    def light(cls) -> Settings:
        """Fewer repetitions (``--light``): the whole run within its window on a loaded
        machine, issue 16's cases included."""
        return cls(reps=3, lat_reps=2, big_reps=2, big_lat_reps=1, mem_reps=1, mem_lat_reps=1)

    @classmethod
    def quick(cls) -> Settings:
        """One repetition of everything, no latency phase (the smoke test)."""
        return cls(
            reps=1,
            lat_reps=0,
            big_reps=1,
            big_lat_reps=0,
            mem_reps=1,
            mem_lat_reps=0,
            list_sizes=(10, 100, 1000),
            n_subfolders=100,
            n_folder=100,
            big_mb=2,
        )


# --------------------------------------------------------------------------- data
def small_notebook() -> dict[str, Any]:
    """A typical small notebook (about 3 KB): markdown, code, a stream and a result."""
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell("# Analysis\n\nLoad the data and plot it.")]
    for i in range(6):
        cell = v4.new_code_cell(f"x{i} = [n * n for n in range({i * 10})]\nsum(x{i})", id=f"c{i}")
        cell.execution_count = i + 1
        cell.outputs = [
            v4.new_output("stream", name="stdout", text=f"computing {i}\n" * 3),
            v4.new_output(
                "execute_result", data={"text/plain": str(i * 1000)}, execution_count=i + 1
            ),
        ]
        cells.append(cell)
    nb = v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    return json.loads(nbformat.writes(nb))


def big_notebook(mb: int) -> dict[str, Any]:
    """A notebook of about ``mb`` MB: cells with base64 PNG outputs (random bytes)."""
    import base64
    import random

    rng = random.Random(0)
    v4 = nbformat.v4
    cells = []
    per_cell = 1024 * 1024  # 1 MiB of image data per cell, base64 adds a third
    n = max(1, round(mb * 1_000_000 / (per_cell * 4 / 3)))
    for i in range(n):
        png = base64.b64encode(rng.randbytes(per_cell)).decode()
        cell = v4.new_code_cell(f"plot({i})", id=f"b{i}")
        cell.outputs = [v4.new_output("display_data", data={"image/png": png})]
        cells.append(cell)
    return json.loads(nbformat.writes(v4.new_notebook(cells=cells)))


def nb_bytes(nb: dict[str, Any]) -> bytes:
    return nbformat.writes(nbformat.from_dict(nb)).encode()


def nb_model(nb: dict[str, Any]) -> dict[str, Any]:
    """The model JupyterLab PUTs to save a notebook."""
    return {"type": "notebook", "format": "json", "content": nb}


def with_first_source(nb: dict[str, Any], source: str) -> dict[str, Any]:
    out = copy.deepcopy(nb)
    out["cells"][0]["source"] = source
    return out


def first_source(data: bytes | None) -> str | None:
    if data is None:
        return None
    src = json.loads(data)["cells"][0]["source"]
    return "".join(src) if isinstance(src, list) else str(src)


# --------------------------------------------------------------------------- context
@dataclass
class Ctx:
    """What the operations of one target share."""

    target: Target
    cm: Any
    settings: Settings
    small: dict[str, Any]
    big: dict[str, Any]
    big_raw: bytes
    supports_hash: bool
    flips: dict[str, int] = field(default_factory=dict)
    checkpoint_ids: list[str] = field(default_factory=list)

    @property
    def raw(self) -> Any:
        return self.target.raw


def short(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    msg = f"{type(e).__name__}: {text}" if text else type(e).__name__
    return msg[:240]


async def poll(ctx: Ctx, path: str) -> Any:
    if ctx.supports_hash:
        return await call(ctx.cm.get, path, content=False, require_hash=True)
    return await call(ctx.cm.get, path, content=False)


# --------------------------------------------------------------------------- operations
@dataclass
class Op:
    """One benchmarked operation: prepare (not measured), run (measured), verify."""

    name: str
    title: str
    run: Callable[[Ctx, Any], Awaitable[Any]]
    verify: Callable[[Ctx, Any, Any], Awaitable[str | None]]
    prepare: Callable[[Ctx, int], Awaitable[Any]] | None = None
    size: str = "small"  # small | big | mem: which repetition counts apply
    memory: bool = False


async def _open(ctx: Ctx, _: Any) -> Any:
    return await call(ctx.cm.get, NB, content=True, type="notebook")


async def _verify_open(ctx: Ctx, _: Any, model: Any) -> str | None:
    want = json.loads(await ctx.raw.get(NB) or b"{}").get("cells", [])
    got = (model or {}).get("content") or {}
    cells = got.get("cells", []) if isinstance(got, dict) else []
    if len(cells) != len(want) or [c.get("source") for c in cells] != [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in want
    ]:
        return "the notebook returned differs from the stored one"
    return None


async def _poll(ctx: Ctx, _: Any) -> Any:
    return await poll(ctx, NB)


async def _verify_poll(ctx: Ctx, _: Any, model: Any) -> str | None:
    if model.get("content") is not None:
        return "content returned though content=False"
    if ctx.supports_hash and not model.get("hash"):
        return "require_hash=True but no hash returned"
    return None


async def _prep_save(ctx: Ctx, rep: int) -> tuple[dict[str, Any], str]:
    token = f"# revision {uuid.uuid4().hex}"
    return nb_model(with_first_source(ctx.small, token)), token


async def _save(ctx: Ctx, state: tuple[dict[str, Any], str]) -> Any:
    return await call(ctx.cm.save, state[0], NB)


async def _save_sequence(ctx: Ctx, state: tuple[dict[str, Any], str]) -> Any:
    """JupyterLab's save: GET ?content=0&hash=1, PUT (file_exists + save), POST checkpoint."""
    await poll(ctx, NB)
    await call(ctx.cm.file_exists, NB)
    model = await call(ctx.cm.save, state[0], NB)
    await call(ctx.cm.create_checkpoint, NB)
    return model


async def _verify_save(ctx: Ctx, state: tuple[dict[str, Any], str], _: Any) -> str | None:
    stored = first_source(await ctx.raw.get(NB))
    return None if stored == state[1] else "the stored notebook is not the one saved"


def _list_op(n: int) -> Op:
    folder = f"l{n}"
    names = {f"nb{i:04}.ipynb" for i in range(n)}

    async def run(ctx: Ctx, _: Any) -> Any:
        return await call(ctx.cm.get, folder, content=True, type="directory")

    async def verify(ctx: Ctx, _: Any, model: Any) -> str | None:
        got = {e["name"] for e in model.get("content") or [] if not e["name"].startswith(".")}
        if got != names:
            return f"listed {len(got)} of {n} notebooks"
        return None

    return Op(
        f"list_{n}",
        f"list a folder of {n} notebooks",
        run,
        verify,
        size="big" if n >= 1000 else "small",
    )


async def _list_subs(ctx: Ctx, _: Any) -> Any:
    return await call(ctx.cm.get, SUBS, content=True, type="directory")


async def _verify_subs(ctx: Ctx, _: Any, model: Any) -> str | None:
    n = ctx.settings.n_subfolders
    entries = [e for e in model.get("content") or [] if not e["name"].startswith(".")]
    dirs = {e["name"] for e in entries if e["type"] == "directory"}
    if dirs != {f"s{i:03}" for i in range(n)} or len(entries) != n:
        return f"listed {len(dirs)} of {n} subfolders ({len(entries)} entries)"
    return None


async def _ckpt_create(ctx: Ctx, _: Any) -> Any:
    return await call(ctx.cm.create_checkpoint, CP)


async def _verify_ckpt_create(ctx: Ctx, _: Any, cp: Any) -> str | None:
    listed = [c["id"] for c in await call(ctx.cm.list_checkpoints, CP)]
    if not cp or cp.get("id") not in listed:
        return "the new checkpoint is not listed"
    ctx.checkpoint_ids.append(cp["id"])
    return None


async def _prep_restore(ctx: Ctx, rep: int) -> tuple[str, str]:
    before = f"# before {uuid.uuid4().hex}"
    await call(ctx.cm.save, nb_model(with_first_source(ctx.small, before)), CP)
    cp = await call(ctx.cm.create_checkpoint, CP)
    await call(ctx.cm.save, nb_model(with_first_source(ctx.small, "# edited later")), CP)
    return cp["id"], before


async def _ckpt_restore(ctx: Ctx, state: tuple[str, str]) -> Any:
    return await call(ctx.cm.restore_checkpoint, state[0], CP)


async def _verify_restore(ctx: Ctx, state: tuple[str, str], _: Any) -> str | None:
    stored = first_source(await ctx.raw.get(CP))
    if stored != state[1]:
        return "restore did not bring the checkpointed content back"
    return None


def _flip(ctx: Ctx, name: str, pair: tuple[str, str]) -> tuple[str, str]:
    k = ctx.flips.get(name, 0)
    ctx.flips[name] = k + 1
    return (pair[0], pair[1]) if k % 2 == 0 else (pair[1], pair[0])


async def _prep_rename(ctx: Ctx, rep: int) -> tuple[str, str]:
    return _flip(ctx, "rename", REN)


async def _rename(ctx: Ctx, state: tuple[str, str]) -> Any:
    return await call(ctx.cm.rename, *state)


async def _verify_rename(ctx: Ctx, state: tuple[str, str], _: Any) -> str | None:
    src, dst = state
    if await ctx.raw.get(dst) is None:
        return f"{dst} does not exist after the rename"
    if await ctx.raw.get(src) is not None:
        return f"{src} still exists after the rename"
    return None


async def _prep_rename_folder(ctx: Ctx, rep: int) -> tuple[str, str]:
    return _flip(ctx, "rename_folder", RF)


async def _verify_rename_folder(ctx: Ctx, state: tuple[str, str], _: Any) -> str | None:
    src, dst = state
    n = ctx.settings.n_folder
    moved = [k for k in await ctx.raw.keys(dst) if k.endswith(".ipynb")]
    left = await ctx.raw.keys(src)
    if len(moved) != n or left:
        return f"{len(moved)} of {n} notebooks under the new name, {len(left)} objects left"
    return None


async def _prep_delete(ctx: Ctx, rep: int) -> str:
    folder = f"del-{rep}"
    await call(ctx.cm.save, {"type": "directory"}, folder)
    raw = nb_bytes(ctx.small)
    await ctx.raw.put_many(
        [(f"{folder}/nb{i:03}.ipynb", raw) for i in range(ctx.settings.n_folder)]
    )
    return folder


async def _delete(ctx: Ctx, folder: str) -> Any:
    return await call(ctx.cm.delete, folder)


async def _verify_delete(ctx: Ctx, folder: str, _: Any) -> str | None:
    left = await ctx.raw.keys(folder)
    return f"{len(left)} objects left in the folder" if left else None


async def _prep_save_big(ctx: Ctx, rep: int) -> dict[str, Any]:
    model = nb_model(json.loads(ctx.big_raw))
    gc.collect()
    return model


async def _save_big(ctx: Ctx, model: dict[str, Any]) -> Any:
    return await call(ctx.cm.save, model, BIG)


async def _verify_big_stored(ctx: Ctx, _: Any, __: Any) -> str | None:
    data = await ctx.raw.get(BIG)
    if data is None:
        return "nothing stored"
    cells = json.loads(data)["cells"]
    if (
        len(cells) != len(ctx.big["cells"])
        or cells[-1]["outputs"] != ctx.big["cells"][-1]["outputs"]
    ):
        return "the stored notebook differs from the one saved"
    return None


async def _prep_open_big(ctx: Ctx, rep: int) -> None:
    if rep == 0 and await ctx.raw.get(BIG) is None:  # the save failed: seed it directly
        await ctx.raw.put(BIG, ctx.big_raw)
    gc.collect()


async def _open_big(ctx: Ctx, _: Any) -> Any:
    return await call(ctx.cm.get, BIG, content=True, type="notebook")


async def _verify_open_big(ctx: Ctx, _: Any, model: Any) -> str | None:
    cells = (model.get("content") or {}).get("cells", [])
    if len(cells) != len(ctx.big["cells"]):
        return f"{len(cells)} cells returned, {len(ctx.big['cells'])} stored"
    return None


def operations(settings: Settings) -> list[Op]:
    """Every operation, in the order they run on each target."""
    ops = [
        Op("open", "open a notebook (get, content)", _open, _verify_open),
        Op("poll", "poll (get content=0, require_hash)", _poll, _verify_poll),
        Op(
            "save_sequence",
            "JupyterLab save: poll + file_exists + save + checkpoint",
            _save_sequence,
            _verify_save,
            _prep_save,
        ),
        Op("save", "save alone", _save, _verify_save, _prep_save),
    ]
    ops += [_list_op(n) for n in settings.list_sizes]
    ops += [
        Op(
            "list_subfolders",
            f"list a folder of {settings.n_subfolders} subfolders",
            _list_subs,
            _verify_subs,
        ),
        Op("checkpoint_create", "create a checkpoint", _ckpt_create, _verify_ckpt_create),
        Op(
            "checkpoint_restore",
            "restore a checkpoint",
            _ckpt_restore,
            _verify_restore,
            _prep_restore,
        ),
        Op("rename", "rename a notebook", _rename, _verify_rename, _prep_rename),
        Op(
            "rename_folder",
            f"rename a folder of {settings.n_folder} notebooks",
            _rename,
            _verify_rename_folder,
            _prep_rename_folder,
            size="big",
        ),
        Op(
            "delete_folder",
            f"delete a folder of {settings.n_folder} notebooks",
            _delete,
            _verify_delete,
            _prep_delete,
            size="big",
        ),
        Op(
            "save_big",
            f"save a {settings.big_mb} MB notebook",
            _save_big,
            _verify_big_stored,
            _prep_save_big,
            size="mem",
            memory=True,
        ),
        Op(
            "open_big",
            f"open a {settings.big_mb} MB notebook",
            _open_big,
            _verify_open_big,
            _prep_open_big,
            size="mem",
            memory=True,
        ),
    ]
    return ops


# --------------------------------------------------------------------------- seeding
async def seed(ctx: Ctx) -> None:
    """The same data on every target: notebooks written raw, folders made by the
    manager itself (each tool's own folder convention: marker, .s3keep, directory)."""
    s = ctx.settings
    raw_nb = nb_bytes(ctx.small)
    items = [(NB, raw_nb), (CP, raw_nb), (REN[0], raw_nb)]
    folders = [f"l{n}" for n in s.list_sizes] + [SUBS, RF[0]]
    for folder in folders:
        await call(ctx.cm.save, {"type": "directory"}, folder)
    for n in s.list_sizes:
        items += [(f"l{n}/nb{i:04}.ipynb", raw_nb) for i in range(n)]
    for i in range(s.n_subfolders):
        await call(ctx.cm.save, {"type": "directory"}, f"{SUBS}/s{i:03}")
        items.append((f"{SUBS}/s{i:03}/nb.ipynb", raw_nb))
    items += [(f"{RF[0]}/nb{i:03}.ipynb", raw_nb) for i in range(s.n_folder)]
    await ctx.raw.put_many(items)


# --------------------------------------------------------------------------- running
def _reps(op: Op, s: Settings) -> tuple[int, int]:
    return {
        "small": (s.reps, s.lat_reps),
        "big": (s.big_reps, s.big_lat_reps),
        "mem": (s.mem_reps, s.mem_lat_reps),
    }[op.size]


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 2) if xs else None


async def run_op(ctx: Ctx, op: Op, store: Any, log: Callable[[str], None]) -> dict[str, Any]:
    """All repetitions of one operation on one target."""
    proxy = ctx.target.proxy
    s = ctx.settings
    reps, lat_reps = _reps(op, s)
    phases = [(0.0, reps)] + ([(s.latency, lat_reps)] if proxy is not None and lat_reps else [])
    out: dict[str, Any] = {"title": op.title, "status": "ok", "problem": None}
    samples: dict[float, list[Sample]] = {0.0: [], s.latency: []}
    rep = 0
    try:
        for latency, n in phases:
            for _ in range(n):
                if proxy is not None:
                    proxy.latency = 0.0
                try:
                    state = await op.prepare(ctx, rep) if op.prepare else None
                except Exception as e:
                    out.update(status="failed", problem=f"setup failed: {short(e)}")
                    return _summarize(out, samples, s)
                if proxy is not None:
                    proxy.latency = latency
                try:
                    sample = await measure(
                        lambda st=state: op.run(ctx, st),
                        proxy=proxy,
                        store=store,
                        memory=op.memory,
                    )
                except Exception as e:
                    out.update(status="failed", problem=short(e))
                    return _summarize(out, samples, s)
                finally:
                    if proxy is not None:
                        proxy.latency = 0.0
                problem = await op.verify(ctx, state, sample.result)
                sample.result = None
                samples[latency].append(sample)
                rep += 1
                if problem:
                    out.update(status="wrong", problem=problem)
                    return _summarize(out, samples, s)
        if op.memory:
            state = await op.prepare(ctx, rep) if op.prepare else None
            peak = await python_heap_peak(lambda: op.run(ctx, state))
            out["python_heap_peak_mb"] = round(peak / 1e6, 1)
    except Exception as e:  # a verification or the tracemalloc run failed
        out.update(status="failed", problem=short(e))
    return _summarize(out, samples, s)


def _summarize(
    out: dict[str, Any], samples: dict[float, list[Sample]], s: Settings
) -> dict[str, Any]:
    plain, lat = samples[0.0], samples[s.latency]
    both = plain + lat
    out["requests"] = [x.proxy for x in both] if both and both[0].proxy is not None else None
    out["store_requests"] = [x.store for x in both] if both and both[0].store is not None else None
    out["ms"] = [round(x.ms, 2) for x in plain]
    out["median_ms"] = _median([x.ms for x in plain])
    out["latency_ms"] = [round(x.ms, 2) for x in lat]
    out["median_latency_ms"] = _median([x.ms for x in lat])
    out["block_ms"] = [round(x.block_ms, 2) for x in plain]
    out["block_latency_ms"] = [round(x.block_ms, 2) for x in lat]
    out["max_block_ms"] = round(max(x.block_ms for x in plain), 2) if plain else None
    out["max_block_latency_ms"] = round(max(x.block_ms for x in lat), 2) if lat else None
    # the garbage collector's longest pass in the call that blocked longest (each phase)
    out["max_block_gc_ms"] = round(max(plain, key=lambda x: x.block_ms).gc_ms, 2) if plain else None
    out["max_block_latency_gc_ms"] = (
        round(max(lat, key=lambda x: x.block_ms).gc_ms, 2) if lat else None
    )
    # the longest gap less the loop thread's run-queue wait (measure.Ticker), and the
    # collector's longest pass in CPU time in that call
    for key, xs in (("", plain), ("_latency", lat)):
        busiest = max(xs, key=lambda x: x.busy_ms) if xs else None
        out[f"max_busy{key}_ms"] = round(busiest.busy_ms, 2) if busiest else None
        out[f"max_busy{key}_gc_cpu_ms"] = round(busiest.gc_cpu_ms, 2) if busiest else None
    growth = [x.rss_growth for x in both if x.rss_growth is not None]
    out["rss_growth_mb"] = round(max(growth) / 1e6, 1) if growth else None
    return out


def _store_of(cm: Any) -> Any:
    """nbshelf's store (for its request counter); None for other managers."""
    from nbshelf import ShelfContentsManager

    return cm.store if isinstance(cm, ShelfContentsManager) else None


async def run_target(
    target: Target,
    settings: Settings,
    *,
    log: Callable[[str], None] = print,
    only: set[str] | None = None,
) -> dict[str, Any]:
    """Build the manager, seed the data, run every operation; never raises."""
    result: dict[str, Any] = {
        "id": target.id,
        "name": target.name,
        "server": target.server,
        "api": target.api,
        "notes": list(target.notes),
        "error": None,
        "ops": {},
    }
    t0 = time.perf_counter()
    try:
        cm = target.make_cm()
    except Exception as e:
        result["error"] = f"cannot be configured: {short(e)}"
        return result
    small = small_notebook()
    big = big_notebook(settings.big_mb)
    supports_hash = "require_hash" in inspect.signature(cm.get).parameters
    if not supports_hash:
        result["notes"].append("get() has no require_hash parameter: polls return no hash")
    ctx = Ctx(target, cm, settings, small, big, nb_bytes(big), supports_hash)
    try:
        await seed(ctx)
    except Exception as e:
        result["error"] = f"seeding failed: {short(e)}"
        return result
    result["seed_s"] = round(time.perf_counter() - t0, 1)
    store = _store_of(cm)
    for op in operations(settings):
        if only and op.name not in only:
            continue
        t1 = time.perf_counter()
        res = await run_op(ctx, op, store, log)
        result["ops"][op.name] = res
        log(
            f"  {target.id:32} {op.name:18} {res['status']:6} "
            f"{res['median_ms']} ms  {time.perf_counter() - t1:.1f} s"
            + (f"  ({res['problem']})" if res["problem"] else "")
        )
        if op.name == "checkpoint_create" and res["status"] == "ok":
            await _checkpoint_checks(ctx, res)
    result["elapsed_s"] = round(time.perf_counter() - t0, 1)
    return result


async def _checkpoint_checks(ctx: Ctx, res: dict[str, Any]) -> None:
    """Are checkpoints really stored, and does a second server on the same store see them?"""
    reqs = res.get("requests")
    if reqs and sum(reqs[0].values()) == 0:
        res.update(status="wrong", problem="made no request: nothing stored (a fake checkpoint)")
        return
    if not ctx.checkpoint_ids:
        return
    try:
        other = ctx.target.make_cm()
        seen = [c["id"] for c in await call(other.list_checkpoints, CP)]
    except Exception as e:
        res["caveat"] = f"a second manager could not list checkpoints: {short(e)}"
        return
    if ctx.checkpoint_ids[-1] not in seen:
        res["caveat"] = (
            "not in the store: a second server on the same bucket does not see the checkpoint "
            "(kept on the first server's local disk)"
        )
