"""Run the whole benchmark in one go: start the servers, measure every target, write
``benchmarks/results/latest.json`` and ``docs/performance.md``.

    python -m benchmarks.run              # everything (scripts/bench.sh does this)
    python -m benchmarks.run --quick --servers local --no-doc --out /tmp/r.json
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # tests.servers (the launchers) live at the repo root
    sys.path.insert(0, str(REPO))

from benchmarks import targets as tg  # noqa: E402
from benchmarks.harness import Settings, run_target  # noqa: E402
from benchmarks.load import LoadSettings  # noqa: E402
from benchmarks.scale import ScaleSettings  # noqa: E402
from nbshelf.server.warmup import tune_interpreter  # noqa: E402

DEFAULT_OUT = REPO / "benchmarks" / "results" / "latest.json"
DEFAULT_DOC = REPO / "docs" / "performance.md"
COMMAND = "scripts/bench.sh"

#: Target builders per server, in table order. Local builders take no server.
LOCAL: list[tuple[str, Callable[[], tg.Target]]] = [
    ("jupyter_server/disk", tg.floor_target),
    ("nbshelf/disk", tg.nbshelf_local_target),
]
REMOTE: dict[str, list[tuple[str, str | None, Callable[[tg.Server], tg.Target]]]] = {
    "swift": [
        ("nbshelf/swift", None, tg.nbshelf_swift_target),
        ("nbshelf/s3", None, tg.nbshelf_s3_target),
        ("s3contents/s3", "s3contents", tg.s3contents_target),
        ("jupyter-fs/s3", "jupyter-fs", tg.jupyterfs_target),
    ],
    "moto": [
        ("nbshelf/s3", None, tg.nbshelf_s3_target),
        ("s3contents/s3", "s3contents", tg.s3contents_target),
        ("jupyter-fs/s3", "jupyter-fs", tg.jupyterfs_target),
    ],
}
STARTERS: dict[str, Callable[[], tg.Server]] = {"swift": tg.start_swift, "moto": tg.start_moto}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine_load() -> dict[str, Any]:
    """What `uptime` and `nproc` say now (the machine is shared: read the ratios)."""
    import os
    import subprocess

    def out(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    return {
        "uptime": out(["uptime"]),
        "nproc": out(["nproc"]) or str(os.cpu_count()),
        "loadavg": list(os.getloadavg()),
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def source() -> dict[str, Any]:
    """Which code was measured: the commit, and whether the tree had changes on top."""
    import os
    import subprocess

    def git(*args: str) -> str:
        try:
            r = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
        except OSError:
            return ""
        return r.stdout.strip() if r.returncode == 0 else ""

    commit = git("rev-parse", "HEAD") or os.environ.get("NBSHELF_BENCH_COMMIT", "")
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "src")
    export = not git("rev-parse", "HEAD") and bool(commit)
    return {
        "commit": commit,
        "src_changes": len(changed.splitlines()) if changed else 0,
        "exported": export,  # run from `git archive` of that commit (no work tree changes)
    }


async def _scale(env_factory: Callable[[], Any], settings: ScaleSettings, results: dict[str, Any],
                 *, lat_only: bool = False, coldstart: bool = True) -> None:  # fmt: skip
    """Issue 16's cases on one server (benchmarks/scale.py) and the first calls after
    start-up (benchmarks/coldstart.py)."""
    from benchmarks.coldstart import coldstart as cold
    from benchmarks.harness import short
    from benchmarks.scale import run_env

    scale = results.setdefault("scale", {"settings": vars(settings).copy(), "envs": {},
                                         "coldstart": []})  # fmt: skip
    try:
        env = env_factory()
    except Exception as e:
        log(f"scale: cannot set up: {short(e)}")
        scale["envs"][f"error-{len(scale['envs'])}"] = {"error": short(e), "rows": []}
        return
    try:
        log(f"scale {env.name} ...")
        scale["envs"][env.name] = await run_env(env, settings, log, lat_only=lat_only)
        if coldstart:
            scale["coldstart"] += await cold(
                env, log, n=settings.coldstart_n, rename_n=settings.coldstart_rename_n
            )
    finally:
        env.close()


def _failed(tid: str, server: str, reason: str) -> dict[str, Any]:
    name, _, api = tid.partition("/")
    return {
        "id": f"{tid}@{server}",
        "name": name,
        "server": server,
        "api": api,
        "notes": [],
        "error": reason,
        "ops": {},
    }


async def run_all(
    servers: list[str],
    settings: Settings,
    *,
    memory_target: bool = False,
    only_ops: set[str] | None = None,
    command: str = COMMAND,
    scale: ScaleSettings | None = None,
    load: LoadSettings | None = None,
) -> dict[str, Any]:
    """Measure every target of the named servers ("local", "swift", "moto"); with
    ``scale``, issue 16's large-folder cases too; with ``load``, 50 clients on a real
    server."""
    from benchmarks import load as ld
    from benchmarks import scale as sc

    started = time.perf_counter()
    # as nbshelf's server does once started (the thread switch interval at 1 ms, what is
    # loaded frozen out of the garbage collector): every system measured runs in this
    # process and gets the same
    tune_interpreter()
    results: dict[str, Any] = {
        "meta": {
            "switch_interval_s": sys.getswitchinterval(),
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "command": command,
            "load_at_start": machine_load(),
            "source": source(),
            "machine": tg.env_summary(),
            "versions": tg.versions(),
            "settings": {k: v for k, v in vars(settings).items()},
        },
        "servers": {},
        "targets": [],
    }
    if "local" in servers:
        results["servers"]["local"] = {"label": "local disk (no server, no network)"}
        builders = list(LOCAL)
        if memory_target:
            builders.append(("nbshelf/memory", tg.nbshelf_memory_target))
        for tid, build in builders:
            results["targets"].append(await _run_one(tid, "local", build, settings, only_ops))
        if scale is not None:
            await _scale(sc.LocalEnv, scale, results)
            await _scale(sc.MemoryEnv, scale, results)
        if load is not None:
            results.setdefault("load", {"settings": vars(load).copy(), "rows": []})
            results["load"]["rows"] += await ld.run_local(load, log)
    for name in [s for s in ("swift", "moto") if s in servers]:
        log(f"starting {name} ...")
        try:
            server = STARTERS[name]()
        except Exception as e:
            reason = f"{name} could not be started: {type(e).__name__}: {e}"
            log(reason)
            results["servers"][name] = {"label": name, "error": reason}
            for tid, _, _ in REMOTE[name]:
                results["targets"].append(_failed(tid, name, reason))
            continue
        results["servers"][name] = {"label": server.label, "version": server.version}
        try:
            for tid, dist, builder in REMOTE[name]:
                if dist and tg.installed(dist) is None:
                    results["targets"].append(
                        _failed(
                            tid,
                            name,
                            f"{dist} is not installed in this environment "
                            "(scripts/bench.sh installs it in .venv-bench)",
                        )
                    )
                    continue
                results["targets"].append(
                    await _run_one(tid, name, lambda b=builder, s=server: b(s), settings, only_ops)
                )
            if scale is not None:
                if name == "swift":
                    await _scale(lambda s=server: sc.SwiftEnv(s), scale, results)
                    await _scale(
                        lambda s=server: sc.S3Env(s, alternatives=False, tag="s3api"),
                        scale,
                        results,
                        lat_only=True,
                        coldstart=False,
                    )
                else:
                    await _scale(lambda s=server: sc.S3Env(s), scale, results)
            if load is not None:
                results.setdefault("load", {"settings": vars(load).copy(), "rows": []})
                results["load"]["rows"].append(await ld.run_remote(server, load, log))
        finally:
            assert server.stop is not None
            server.stop()
    results["meta"]["elapsed_s"] = round(time.perf_counter() - started, 1)
    results["meta"]["loadavg_at_end"] = list(__import__("os").getloadavg())
    results["meta"]["load_at_end"] = machine_load()
    return results


async def _run_one(
    tid: str,
    server: str,
    build: Callable[[], tg.Target],
    settings: Settings,
    only_ops: set[str] | None,
) -> dict[str, Any]:
    log(f"target {tid}@{server}")
    try:
        target = build()
    except Exception as e:
        from benchmarks.harness import short

        return _failed(tid, server, f"cannot be set up: {short(e)}")
    # each system, once set up, gets what nbshelf's server does once started: what is
    # loaded so far frozen out of the garbage collector. Without it a full collection
    # during one target walked every library the targets before it had loaded (a pass
    # of 282 ms of CPU in nbshelf's Swift folder rename, after s3contents' and
    # jupyter-fs' boto and s3fs), which no server running one of them would carry
    tune_interpreter()
    try:
        return await run_target(target, settings, log=log, only=only_ops)
    finally:
        target.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--servers",
        default="local,swift,moto",
        help="comma list of local, swift, moto (default: all)",
    )
    p.add_argument("--quick", action="store_true", help="one repetition, no latency phase")
    p.add_argument("--light", action="store_true", help="fewer repetitions of the side-by-side ops")
    p.add_argument("--ops", default="", help="comma list of operations (default: all)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--doc", type=Path, default=DEFAULT_DOC)
    p.add_argument("--no-doc", action="store_true", help="do not rewrite docs/performance.md")
    p.add_argument("--command", default=COMMAND, help="the command recorded in the results")
    p.add_argument("--no-scale", action="store_true", help="skip issue 16's large-folder cases")
    p.add_argument("--no-load", action="store_true", help="skip the 50-client load test")
    p.add_argument(
        "--sizes", default="", help="folder sizes of the scale cases (default 1000,10000,100000)"
    )
    p.add_argument("--clients", type=int, default=0, help="load test clients (default 50)")
    p.add_argument("--seconds", type=float, default=0, help="load test window (default 20 s)")
    p.add_argument("--memory-target", action="store_true", help="also nbshelf's memory store")
    p.add_argument(
        "--budget-scale",
        type=float,
        default=1.0,
        help="multiply each server's share of the run (scale cases) by this",
    )
    args = p.parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    if args.command == COMMAND and given:  # the run's own options, as scripts/bench.sh got them
        args.command = " ".join([COMMAND, *given])
    settings = Settings.quick() if args.quick else Settings.light() if args.light else Settings()
    scale = None if args.no_scale else (ScaleSettings.tiny() if args.quick else ScaleSettings())
    if scale is not None and args.sizes:
        scale.sizes = tuple(int(x) for x in args.sizes.split(",") if x.strip())
    load = None if args.no_load else (LoadSettings.tiny() if args.quick else LoadSettings())
    if scale is not None and args.budget_scale != 1.0:
        scale.env_budget_s = {k: v * args.budget_scale for k, v in scale.env_budget_s.items()}
    if load is not None and args.clients:
        load.clients = args.clients
    if load is not None and args.seconds:
        load.seconds = args.seconds
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    only = {o.strip() for o in args.ops.split(",") if o.strip()} or None
    results = asyncio.run(
        run_all(
            servers,
            settings,
            only_ops=only,
            command=args.command,
            scale=scale,
            load=load,
            memory_target=args.memory_target,
        )
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    log(f"wrote {args.out}")
    if not args.no_doc:
        from benchmarks.report import render

        args.doc.parent.mkdir(parents=True, exist_ok=True)
        args.doc.write_text(render(results))
        log(f"wrote {args.doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
