# ruff: noqa: RUF001  (the multiplication sign and en dash are printed in the doc)
"""docs/performance.md's issue 16 sections: the targets read against the run, the
large-folder tables, the first calls after start-up and the 50-client load test.
Every figure comes from the results of one run; nothing here is typed in by hand."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

ENV_TITLES = {
    "local": "local disk",
    "memory": "memory store",
    "moto": "moto S3",
    "swift": "Swift (native API)",
    "swift-s3api": "Swift's S3 API",
}
CASE_TITLES = {
    "list": "List a folder",
    "rename": "Rename a folder",
    "delete": "Delete a folder",
    "rename-lat": "Rename a folder at +{lat} ms per request",
    "delete-lat": "Delete a folder at +{lat} ms per request",
}
BLOCK_TARGET_MS = 5.0


def _fmt(x: float | None) -> str:
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.1f}" if x >= 1 else f"{x:.2f}"


def _n(x: Any) -> str:
    return f"{x:,}" if isinstance(x, int) else "?"


def _ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}×" if x < 10 else f"{x:,.0f}×"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _counts(c: dict[str, int] | None) -> str:
    if not c:
        return "—"
    total = sum(c.values())
    detail = ", ".join(f"{v} {k}" for k, v in sorted(c.items(), key=lambda kv: -kv[1]))
    return detail if len(c) == 1 else f"{total} ({detail})"


# --------------------------------------------------------------------------- lookups
def envs(results: dict[str, Any]) -> dict[str, Any]:
    return dict((results.get("scale") or {}).get("envs") or {})


def rows(results: dict[str, Any], env: str) -> list[dict[str, Any]]:
    return list(envs(results).get(env, {}).get("rows") or [])


def row(results: dict[str, Any], env: str, case: str, n: int, system: str) -> dict[str, Any] | None:
    for r in rows(results, env):
        if r["case"] == case and r["n"] == n and r["system"] == system:
            return r
    return None


def med(r: dict[str, Any] | None) -> float | None:
    return r["median_ms"] if r and r["status"] == "ok" else None


def sizes(results: dict[str, Any], env: str, case: str) -> list[int]:
    return sorted({r["n"] for r in rows(results, env) if r["case"] == case})


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


# --------------------------------------------------------------------------- targets
@dataclass
class Check:
    target: str
    where: str
    measured: str
    reference: str
    ratio: float | None
    bound: str
    met: bool | None  # None: not measured
    #: a verdict other than met / not met (informative figures, the machine's noise)
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.note:
            return self.note
        return {True: "met", False: "**not met**", None: "not measured"}[self.met]

    def cells(self) -> list[str]:
        verdict = self.verdict
        return [
            self.target,
            self.where,
            self.measured,
            self.reference,
            _ratio(self.ratio),
            self.bound,
            verdict,
        ]


def _within(ratio: float | None, bound: float) -> bool | None:
    return None if ratio is None else ratio <= bound


def _largest(results: dict[str, Any], env: str, case: str, systems: Iterable[str]) -> int | None:
    """The largest size at which every one of ``systems`` has a result."""
    best = None
    for n in sizes(results, env, case):
        if all(med(row(results, env, case, n, s)) is not None for s in systems):
            best = n
    return best


def _list_checks(results: dict[str, Any]) -> list[Check]:
    out = []
    for n in sizes(results, "local", "list")[1:] or sizes(results, "local", "list"):
        nb, fl = (
            row(results, "local", "list", n, "nbshelf"),
            row(results, "local", "list", n, "floor"),
        )
        ratio = _div(med(nb), med(fl))
        out.append(
            Check(
                f"local store lists {n:,} within 3× `os.scandir` + stat",
                "local disk",
                f"{_fmt(med(nb))} ms" if med(nb) is not None else _status(nb),
                f"{_fmt(med(fl))} ms",
                ratio,
                "≤ 3×",
                _within(ratio, 3.0),
            )
        )
    for env, floor in (("memory", "store.list_all"), ("moto", "obstore"), ("swift", "swiftclient")):
        largest = _largest(results, env, "list", ("nbshelf", "floor"))
        if largest is None:
            continue
        n = largest
        nb, fl = row(results, env, "list", n, "nbshelf"), row(results, env, "list", n, "floor")
        ratio = _div(med(nb), med(fl))
        capped = envs(results)[env].get("skipped_sizes") or {}
        bad = [
            f"{r['n']:,}: nbshelf {r['status']}"
            for r in rows(results, env)
            if r["case"] == "list"
            and r["system"] == "nbshelf"
            and r["n"] > n
            and r["status"] != "ok"
        ]
        bad += [f"{int(k):,} capped" for k in capped]
        note = f" ({'; '.join(bad)})" if bad else ""
        out.append(
            Check(
                f"a folder of {n:,} lists within 1.5× the store's raw listing{note}",
                ENV_TITLES[env],
                f"{_fmt(med(nb))} ms",
                f"{floor}: {_fmt(med(fl))} ms",
                ratio,
                "≤ 1.5×",
                _within(ratio, 1.5),
            )
        )
    return out


def _status(r: dict[str, Any] | None) -> str:
    if r is None:
        return "not run"
    return f"{r['status']}: {r.get('problem') or ''}".strip(": ")


def _local_move_checks(results: dict[str, Any]) -> list[Check]:
    out = []
    ns = sizes(results, "local", "rename")
    if len(ns) >= 2:
        lo, hi = ns[0], ns[-1]
        a, b = (
            med(row(results, "local", "rename", lo, "nbshelf")),
            med(row(results, "local", "rename", hi, "nbshelf")),
        )
        fl = med(row(results, "local", "rename", hi, "floor"))
        out.append(
            Check(
                f"local folder rename is one `os.rename` (as fast at {hi:,} as at {lo:,})",
                "local disk",
                f"{_fmt(a)} ms at {lo:,}; {_fmt(b)} ms at {hi:,}",
                f"os.rename at {hi:,}: {_fmt(fl)} ms",
                _div(b, a),
                f"{hi:,} ÷ {lo:,} ≤ 2×",
                _within(_div(b, a), 2.0),
            )
        )
    ns = sizes(results, "local", "delete")
    if len(ns) >= 2:
        lo, hi = ns[0], ns[-1]
        a, b = (
            med(row(results, "local", "delete", lo, "nbshelf")),
            med(row(results, "local", "delete", hi, "nbshelf")),
        )
        fl = med(row(results, "local", "delete", hi, "floor-trash"))
        out.append(
            Check(
                f"local delete to the trash is one rename (as fast at {hi:,} as at {lo:,})",
                "local disk",
                f"{_fmt(a)} ms at {lo:,}; {_fmt(b)} ms at {hi:,}",
                f"os.rename into a trash at {hi:,}: {_fmt(fl)} ms",
                _div(b, a),
                f"{hi:,} ÷ {lo:,} ≤ 2×",
                _within(_div(b, a), 2.0),
            )
        )
    return out


def _floor_checks(results: dict[str, Any]) -> list[Check]:
    out = []
    lat = _lat_ms(results)
    for env in ("moto", "swift", "swift-s3api"):
        if env not in envs(results):
            continue
        for n in sizes(results, env, "rename-lat"):
            nb, fl = (
                row(results, env, "rename-lat", n, "nbshelf"),
                row(results, env, "rename-lat", n, "floor"),
            )
            ratio = _div(med(nb), med(fl))
            out.append(
                Check(
                    f"rename a folder of {n} at +{lat:g} ms/request within 1.5× the floor",
                    ENV_TITLES[env],
                    f"{_fmt(med(nb))} ms" if med(nb) is not None else _status(nb),
                    f"copies at once + 1 bulk delete: {_fmt(med(fl))} ms",
                    ratio,
                    "≤ 1.5×",
                    _within(ratio, 1.5),
                )
            )
        for n in sizes(results, env, "delete-lat"):
            nbt = med(row(results, env, "delete-lat", n, "nbshelf"))
            nt = med(row(results, env, "delete-lat", n, "nbshelf-notrash"))
            cp = med(row(results, env, "delete-lat", n, "floor-copies"))
            bk = med(row(results, env, "delete-lat", n, "floor-bulk"))
            floor = cp + bk if cp is not None and bk is not None else None
            ratio = _div(nbt, floor)
            out.append(
                Check(
                    f"delete a folder of {n} to the trash at +{lat:g} ms/request "
                    "within 1.5× the floor",
                    ENV_TITLES[env],
                    f"{_fmt(nbt)} ms",
                    f"copies at once + 1 bulk delete: {_fmt(floor)} ms",
                    ratio,
                    "≤ 1.5×",
                    _within(ratio, 1.5),
                )
            )
            ratio = _div(nt, bk)
            out.append(
                Check(
                    f"delete a folder of {n} without trash at +{lat:g} ms/request "
                    "(no target: the issue's delete goes to the trash)",
                    ENV_TITLES[env],
                    f"{_fmt(nt)} ms",
                    f"1 bulk delete, keys known: {_fmt(bk)} ms",
                    ratio,
                    "—",
                    None,
                    note="informative",
                )
            )
    return out


def _trash_checks(results: dict[str, Any]) -> list[Check]:
    out = []
    for env in ("moto", "swift"):
        for n in sizes(results, env, "delete"):
            nb = med(row(results, env, "delete", n, "nbshelf"))
            nt = med(row(results, env, "delete", n, "nbshelf-notrash"))
            cp = med(row(results, env, "delete", n, "floor-copies"))
            ref = nt + cp if nt is not None and cp is not None else None
            ratio = _div(nb, ref)
            out.append(
                Check(
                    f"delete a folder of {n:,} to the trash within 2× "
                    "a plain delete + the copies' floor",
                    ENV_TITLES[env],
                    f"{_fmt(nb)} ms",
                    f"nbshelf without trash {_fmt(nt)} ms + copies at once {_fmt(cp)} ms",
                    ratio,
                    "≤ 2×",
                    _within(ratio, 2.0),
                )
            )
    return out


def _lat_ms(results: dict[str, Any]) -> float:
    st = (results.get("scale") or {}).get("settings") or {}
    return float(st.get("latency", 0.01)) * 1000


class Block(NamedTuple):
    """One nbshelf call's longest event-loop gap, where it was, the garbage collector's
    longest pass in that call, the longest gap less the time the loop's thread waited
    for a CPU (None where the run did not record it) and the collector's longest pass
    in CPU time in the call with that gap."""

    ms: float
    where: str
    gc_ms: float
    busy_ms: float | None
    gc_cpu_ms: float = 0.0


def nbshelf_blocks(results: dict[str, Any]) -> dict[str, list[Block]]:
    """Every nbshelf call's longest loop block, by backend: the scale cases, the first
    calls after start-up, and the operations of the side-by-side tables."""
    out: dict[str, list[Block]] = {}
    for env, data in envs(results).items():
        for r in data.get("rows") or []:
            if r["kind"] == "nbshelf" and r.get("max_block_ms") is not None:
                where = f"{r['case']} {r['n']:,}"
                out.setdefault(env, []).append(
                    Block(
                        r["max_block_ms"],
                        where,
                        r.get("max_block_gc_ms") or 0.0,
                        r.get("max_busy_ms"),
                        r.get("max_busy_gc_cpu_ms") or 0.0,
                    )
                )
    for c in (results.get("scale") or {}).get("coldstart") or []:
        if c.get("kind") != "nbshelf":
            continue
        for name, call in (c.get("calls") or {}).items():
            if call.get("block_ms") is not None:
                out.setdefault(c["server"], []).append(
                    Block(
                        call["block_ms"],
                        f"first {name} after start-up",
                        call.get("gc_ms") or 0.0,
                        call.get("busy_ms"),
                        call.get("gc_cpu_ms") or 0.0,
                    )
                )
    api_env = {("swift", "swift"): "swift", ("swift", "s3"): "swift-s3api", ("moto", "s3"): "moto"}
    for t in results.get("targets") or []:
        if t.get("name") != "nbshelf" or t.get("error"):
            continue
        env = {"disk": "local", "memory": "memory"}.get(t["api"]) or api_env.get(
            (t["server"], t["api"]), t["server"]
        )
        for name, op in (t.get("ops") or {}).items():
            for key, gc_key, busy_key in (
                ("max_block_ms", "max_block_gc_ms", "max_busy"),
                ("max_block_latency_ms", "max_block_latency_gc_ms", "max_busy_latency"),
            ):
                if op.get(key) is not None:
                    out.setdefault(env, []).append(
                        Block(
                            op[key],
                            op.get("title", name),
                            op.get(gc_key) or 0.0,
                            op.get(f"{busy_key}_ms"),
                            op.get(f"{busy_key}_gc_cpu_ms") or 0.0,
                        )
                    )
    return out


def _block_checks(results: dict[str, Any]) -> list[Check]:
    out = []
    for env, blocks in nbshelf_blocks(results).items():
        worst = max(blocks, key=lambda b: b.ms)
        over = sum(1 for b in blocks if b.ms > BLOCK_TARGET_MS)
        # a block the collector's pass explains (the pass at least the block less the
        # target): the process's live objects, not the call's own code
        by_gc = sum(
            1 for b in blocks if b.ms > BLOCK_TARGET_MS and b.gc_ms >= b.ms - BLOCK_TARGET_MS
        )
        data = envs(results).get(env, {})
        idle = data.get("idle_block_ms") or []
        noise = (
            f"; idle ticker's longest gap {' / '.join(_fmt(x) for x in idle)} ms" if idle else ""
        )
        noise_ms = max(idle) if idle else 0.0
        gc_note = (
            f"; the garbage collector's longest pass in that call {_fmt(worst.gc_ms)} ms"
            if worst.gc_ms
            else ""
        )
        out.append(
            Check(
                "no call blocks the event loop more than 5 ms (first calls included)",
                ENV_TITLES.get(env, env),
                f"worst {_fmt(worst.ms)} ms ({worst.where}{gc_note})",
                f"{over} of {len(blocks)} measured calls over 5 ms"
                + (f" ({by_gc} of them a garbage-collector pass)" if by_gc else "")
                + (
                    f", {sum(1 for b in blocks if b.ms > max(idle))} over the idle gap"
                    if idle
                    else ""
                )
                + noise,
                None,
                "≤ 5 ms",
                worst.ms <= BLOCK_TARGET_MS,
                note=(
                    f"within the machine's noise (idle gap {_fmt(noise_ms)} ms): not judged"
                    if BLOCK_TARGET_MS < worst.ms <= noise_ms
                    else ""
                ),
            )
        )
        busy = [b for b in blocks if b.busy_ms is not None]
        if not busy:
            continue
        top = max(busy, key=lambda b: b.busy_ms or 0.0)
        top_busy = top.busy_ms or 0.0
        idle_busy = data.get("idle_busy_ms") or []
        # a busy block the collector's pass explains (its CPU time at least the block
        # less the target)
        by_gc_cpu = sum(
            1
            for b in busy
            if (b.busy_ms or 0.0) > BLOCK_TARGET_MS
            and b.gc_cpu_ms >= (b.busy_ms or 0.0) - BLOCK_TARGET_MS
        )
        out.append(
            Check(
                "no call blocks the event loop more than 5 ms, counting only the process's "
                "own time on the CPU in each gap (the machine's load left out)",
                ENV_TITLES.get(env, env),
                f"worst {_fmt(top_busy)} ms ({top.where}; its longest gap {_fmt(top.ms)} ms"
                + (
                    f", the collector's longest pass {_fmt(top.gc_cpu_ms)} ms of CPU"
                    if top.gc_cpu_ms
                    else ""
                )
                + ")",
                f"{sum(1 for b in busy if (b.busy_ms or 0.0) > BLOCK_TARGET_MS)} of "
                f"{len(busy)} measured calls over 5 ms"
                + (f" ({by_gc_cpu} of them a garbage-collector pass)" if by_gc_cpu else "")
                + (
                    f"; the idle ticker's, counted the same way: "
                    f"{' / '.join(_fmt(x) for x in idle_busy)} ms"
                    if idle_busy
                    else ""
                ),
                None,
                "≤ 5 ms",
                top_busy <= BLOCK_TARGET_MS,
            )
        )
    return out


def _save_checks(results: dict[str, Any]) -> list[Check]:
    out = []
    for t in results.get("targets") or []:
        if t.get("name") != "nbshelf" or t["api"] not in ("s3", "swift") or t.get("error"):
            continue
        op = (t.get("ops") or {}).get("save_sequence")
        if not op:
            continue
        reqs = op.get("requests") or op.get("store_requests")
        if not reqs:
            continue
        counts = [sum(r.values()) for r in reqs]
        later = counts[1:] or counts
        where = {"s3": "S3 API", "swift": "Swift API"}[t["api"]] + f" on {t['server']}"
        out.append(
            Check(
                "JupyterLab's save cycle (poll, save, checkpoint) in 3–4 requests",
                where,
                f"first {_counts(reqs[0])}; then "
                + (f"{min(later)}" if min(later) == max(later) else f"{min(later)}–{max(later)}")
                + f" ({len(counts)} cycles, counted at the server)",
                "HEAD + PUT + COPY: 3",
                None,
                "≤ 4 after the first",
                max(later) <= 4,
            )
        )
    return out


def _load_checks(results: dict[str, Any]) -> list[Check]:
    load = (results.get("load") or {}).get("rows") or []
    out = []
    js = next((r for r in load if r["label"].startswith("jupyter_server")), None)
    nb = next((r for r in load if r["label"] == "nbshelf serve, local store"), None)
    if js and nb:
        a, b = nb.get("cycles_per_s"), js.get("cycles_per_s")
        out.append(
            Check(
                f"{nb.get('clients')} clients' save cycles: throughput at least jupyter_server's",
                "local disk",
                f"{_fmt(a)} cycles/s",
                f"jupyter_server: {_fmt(b)} cycles/s",
                _div(a, b),
                "≥ 1×",
                None if a is None or b is None else a >= b,
            )
        )
    for r in load:
        if r["server"] in ("moto", "swift") and not r.get("error"):
            cpu, store = r.get("server_cpu_ms_per_cycle"), r.get("store_cpu_ms_per_cycle")
            out.append(
                Check(
                    f"{r.get('clients')} clients on an object store: limited by the store, not "
                    "nbshelf's CPU",
                    ENV_TITLES.get(r["server"], r["server"]),
                    f"nbshelf {_fmt(cpu)} CPU ms/cycle, {_fmt(r.get('cycles_per_s'))} cycles/s",
                    f"the store's processes: {_fmt(store)} CPU ms/cycle",
                    _div(cpu, store),
                    "nbshelf's CPU < the store's",
                    None if cpu is None or store is None else cpu < store,
                )
            )
    return out


def checks(results: dict[str, Any]) -> list[Check]:
    return (
        _list_checks(results)
        + _local_move_checks(results)
        + _floor_checks(results)
        + _trash_checks(results)
        + _block_checks(results)
        + _save_checks(results)
        + _load_checks(results)
    )


def targets_section(results: dict[str, Any]) -> str:
    cs = checks(results)
    if not cs:
        return ""
    met = sum(1 for c in cs if c.met is True and not c.note)
    missed = [c for c in cs if c.met is False and not c.note]
    others = [c for c in cs if c.note or c.met is None]
    out = [
        "## Issue 16's targets, read against this run",
        "",
        f"{met} of {len(cs)} checks met, {len(missed)} not met"
        + (f", {len(others)} informative or not judged" if others else "")
        + ". Ratios are nbshelf ÷ the reference measured in the same run on the same server.",
        "",
        _table(
            ["target", "where", "nbshelf", "reference", "ratio", "bound", "verdict"],
            [c.cells() for c in cs],
        ),
        "",
    ]
    if missed:
        out += ["Not met, plainly:", ""]
        out += [
            f"- {c.target} on {c.where}: {c.measured} against {c.reference}"
            + (f" ({_ratio(c.ratio)}, bound {c.bound})" if c.ratio is not None else "")
            + "."
            for c in missed
        ]
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- tables
def _cell(r: dict[str, Any] | None) -> str:
    if r is None:
        return "n/a"
    if r["status"] == "capped":
        return "capped"
    if r["status"] != "ok":
        return f"✗ {r['status']}" + (f" ({_fmt(r['median_ms'])})" if r.get("median_ms") else "")
    return f"{_fmt(r['median_ms'])} ({_fmt(r['max_block_ms'])})"


def _floor_of(case: str, system: str) -> str | None:
    if case.startswith("list") or case.startswith("rename"):
        return "floor"
    if case.startswith("delete"):
        return (
            "floor-bulk"
            if "notrash" in system or system in ("s3contents", "jupyter-fs", "jupyter_server")
            else None
        )
    return None


def scale_sections(results: dict[str, Any]) -> str:
    data = envs(results)
    if not data:
        return ""
    lat = _lat_ms(results)
    out = [
        "## Large folders and folder operations (issue 16), side by side with the floors",
        "",
        "Each cell: median ms (longest event-loop block in any repetition, ms, first call "
        "included). `capped`: not run, the notes say why. `✗`: failed or wrong (the result "
        "was checked outside the timed call). The floors' blocks are the raw work itself "
        "(a synchronous `os.scandir` runs on the loop): read them as the work, not as a "
        "server's block. The floor of a rename sends every copy at once, then one bulk "
        "delete; the keys it moves are listed before its timed call (the issue's floor). "
        "The floor of a delete to the trash is the copies at once plus one bulk delete; "
        "locally, one `os.rename` into a trash folder. On the local disk every measured "
        "call starts on a settled disk (`os.sync` before it, outside its window): a "
        "call that fsyncs would otherwise wait for what the previous system left "
        "unwritten.",
        "",
    ]
    frozen = [d.get("gc_frozen") for d in data.values() if d.get("gc_frozen")]
    if frozen:
        out += [
            "Before each server's cases the benchmark process does what nbshelf's server "
            "does once it has started (`nbshelf/server/warmup.py`): `gc.collect()` then "
            "`gc.freeze()`, so the garbage collector's full collections no longer walk the "
            f"objects loaded so far ({min(frozen):,} to {max(frozen):,} here, every "
            "library of every system measured); and, once at the start of the run, the "
            "interpreter's thread switch interval set to 1 ms (Python's default is 5 ms: "
            "the longest the event loop waits for the GIL behind a worker thread running "
            "Python). Every system in the table runs in this one process and gets the "
            "same.",
            "",
        ]
    for env, d in data.items():
        rs = d.get("rows") or []
        if not rs and not d.get("error"):
            continue
        out += [f"### {ENV_TITLES.get(env, env)} — {d.get('label', '')}", ""]
        if d.get("error"):
            out += [f"**Stopped early**: {d['error']}", ""]
        idle = d.get("idle_block_ms") or []
        if idle:
            out.append(
                "The ticker alone, nothing else on the loop, for "
                f"{_fmt(((results.get('scale') or {}).get('settings') or {}).get('idle_s'))} s "
                f"before and after this server's cases: longest gap "
                f"{' and '.join(_fmt(x) for x in idle)} ms (the machine's load, not the code)"
                + (
                    "; counting only the process's own time on the CPU, "
                    f"{' and '.join(_fmt(x) for x in d['idle_busy_ms'])} ms"
                    if d.get("idle_busy_ms")
                    else ""
                )
                + "."
            )
        seeded = d.get("seed_s") or {}
        if seeded:
            out.append(
                "Seeding (not timed in the tables): "
                + "; ".join(f"{int(n):,} in {s} s" for n, s in seeded.items())
                + (f" ({d['seed_note']})" if d.get("seed_note") else "")
                + "."
            )
        for n, why in (d.get("skipped_sizes") or {}).items():
            out.append(f"- {int(n):,} entries not run: {why}.")
        if d.get("object_op_note"):
            out.append(f"- {d['object_op_note']}.")
        out.append("")
        for case in ("list", "rename", "delete", "rename-lat", "delete-lat"):
            cr = [r for r in rs if r["case"] == case]
            if not cr:
                continue
            systems: list[tuple[str, str]] = []
            for r in cr:
                if (r["system"], r["label"]) not in systems:
                    systems.append((r["system"], r["label"]))
            ns = sorted({r["n"] for r in cr})
            title = CASE_TITLES[case].format(lat=f"{lat:g}")
            out += [f"#### {title}", ""]
            table_rows = []
            for n in ns:
                cells = [f"{n:,}"]
                for sid, _ in systems:
                    cells.append(
                        _cell(next((r for r in cr if r["n"] == n and r["system"] == sid), None))
                    )
                nb = next((r for r in cr if r["n"] == n and r["system"] == "nbshelf"), None)
                fl = next(
                    (r for r in cr if r["n"] == n and r["system"] == _floor_of(case, "nbshelf")),
                    None,
                )
                if case.startswith("delete"):
                    cp = next(
                        (r for r in cr if r["n"] == n and r["system"] == "floor-copies"), None
                    )
                    bk = next((r for r in cr if r["n"] == n and r["system"] == "floor-bulk"), None)
                    ft = next((r for r in cr if r["n"] == n and r["system"] == "floor-trash"), None)
                    mc, mb = med(cp), med(bk)
                    if mc is not None and mb is not None:
                        cells.append(_ratio(_div(med(nb), mc + mb)))
                    elif ft:
                        cells.append(_ratio(_div(med(nb), med(ft))))
                    else:
                        cells.append("—")
                else:
                    cells.append(_ratio(_div(med(nb), med(fl))))
                table_rows.append(cells)
            ratio_name = (
                "nbshelf ÷ floor (trash: copies + bulk delete, or one rename)"
                if case.startswith("delete")
                else "nbshelf ÷ floor"
            )
            out += [
                _table(["entries"] + [lbl for _, lbl in systems] + [ratio_name], table_rows),
                "",
            ]
            if case.endswith("-lat") or (case != "list" and env not in ("local", "memory")):
                req_rows = []
                for sid, lbl in systems:
                    r = next((r for r in cr if r["system"] == sid), None)
                    if r and (r.get("requests") or r.get("store_requests")):
                        req_rows.append(
                            [lbl, _counts(r.get("requests")), _counts(r.get("store_requests"))]
                        )
                if req_rows:
                    out += [f"Requests of the first call ({ns[-1]:,} entries):", ""]
                    out += [
                        _table(
                            ["system", "at the server's proxy", "nbshelf's store counter"], req_rows
                        ),
                        "",
                    ]
            notes = [
                f"- {r['label']}, {r['n']:,}: {r['status']} — {r['problem']}"
                for r in cr
                if r.get("problem")
            ]
            if notes:
                out += [*notes, ""]
    return "\n".join(out)


def coldstart_section(results: dict[str, Any]) -> str:
    cold = (results.get("scale") or {}).get("coldstart") or []
    if not cold:
        return ""
    names: list[str] = []
    for c in cold:
        for k in c.get("calls") or {}:
            if k not in names:
                names.append(k)
    titles = {k: v.get("title", k) for c in cold for k, v in (c.get("calls") or {}).items()}
    body = []
    for c in cold:
        cells = [f"{c['label']} on {ENV_TITLES.get(c['server'], c['server'])}"]
        for k in names:
            call = (c.get("calls") or {}).get(k)
            if not call:
                cells.append((c.get("error") and "✗") or "n/a")
            elif call.get("error"):
                cells.append(f"✗ {call['error'][:60]}")
            else:
                cells.append(f"{_fmt(call['ms'])} ({_fmt(call['block_ms'])})")
        body.append(cells)
    out = [
        "## The first calls after start-up",
        "",
        "Each manager made in a fresh Python process (`benchmarks/coldstart.py`), then its "
        "first calls in this order, the ticking coroutine on: ms (longest event-loop "
        "block, ms). What nothing before loaded (imports, thread pools, the store's first "
        "authentication) is paid here. The folder listed holds "
        f"{_n(cold[0].get('n'))} notebooks, the one renamed {_n(cold[0].get('rename_n'))}.",
        "",
        _table(["manager"] + [titles[k] for k in names], body),
        "",
    ]
    errs = [f"- {c['label']} on {c['server']}: {c['error']}" for c in cold if c.get("error")]
    return "\n".join(out + errs + ([""] if errs else []))


def load_section(results: dict[str, Any]) -> str:
    load = results.get("load") or {}
    rs = load.get("rows") or []
    if not rs:
        return ""
    st = load.get("settings") or {}
    body = []
    for r in rs:
        if r.get("error"):
            body.append([r["label"], f"✗ {r['error']}"] + ["—"] * 7)
            continue
        body.append(
            [
                r["label"],
                f"{r.get('clients')}",
                _fmt(r.get("cycles_per_s")),
                f"{_fmt(r.get('median_cycle_ms'))} / {_fmt(r.get('p95_cycle_ms'))}",
                f"{r.get('errors')}",
                _fmt(r.get("server_cpu_ms_per_cycle")),
                _fmt(r.get("store_cpu_ms_per_cycle")),
                _fmt(r.get("client_cpu_ms_per_cycle")),
                f"{r.get('cycles')} in {r.get('seconds')} s",
            ]
        )
    return "\n".join(
        [
            "## Many users, one server: JupyterLab's save cycle from concurrent clients",
            "",
            f"{st.get('clients')} concurrent HTTP clients (`benchmarks/load.py`, httpx, in the "
            "benchmark process) against a real server process on 127.0.0.1, each saving its own "
            "notebook again and again as JupyterLab 4 does: `GET ?content=0&hash=1`, `PUT`, "
            f"`POST …/checkpoints`; one warm-up cycle each, then {st.get('seconds')} s measured. "
            "CPU ms per cycle from `/proc/<pid>/stat` (user + system) before and after the "
            "window: the server process, the store's own processes (moto; Swift's proxy, "
            "account, container and object servers), and the clients. On object stores "
            "nbshelf talks to the store directly (no proxy, no added latency). Two cores "
            "serve the server, the store and the clients at once.",
            "",
            _table(
                [
                    "server",
                    "clients",
                    "cycles/s",
                    "cycle ms median / p95",
                    "errors",
                    "server CPU ms/cycle",
                    "store CPU ms/cycle",
                    "clients' CPU ms/cycle",
                    "measured",
                ],
                body,
            ),
            "",
        ]
    )
