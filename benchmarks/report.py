"""Render the results of one run as docs/performance.md (every figure from the run)."""

from __future__ import annotations

from typing import Any

OPS_ORDER = [
    "open",
    "poll",
    "save_sequence",
    "save",
    "list_10",
    "list_100",
    "list_1000",
    "list_subfolders",
    "checkpoint_create",
    "checkpoint_restore",
    "rename",
    "rename_folder",
    "delete_folder",
    "save_big",
    "open_big",
]
KEY_OPS = [
    "open",
    "poll",
    "save",
    "save_sequence",
    "list_subfolders",
    "checkpoint_create",
    "rename_folder",
]
SERVER_TITLES = {
    "local": "Local disk",
    "swift": "Real OpenStack Swift (native API and its S3 API)",
    "moto": "moto S3 server",
}

INTRO = """\
# Performance: nbshelf side by side with jupyter_server, s3contents and jupyter-fs

This file is written by the benchmark run itself; do not edit it by hand. Every
figure below comes from one run of

```sh
{command}
```

which makes (or reuses) the virtualenv `.venv-bench` (`pip install -e .[bench]`:
nbshelf editable plus the alternatives, s3contents and jupyter-fs with s3fs, at their
latest PyPI versions),
starts a real OpenStack Swift all-in-one (tempauth, native API and s3api) and moto's
S3 server on 127.0.0.1, each behind a counting reverse proxy, runs
`python -m benchmarks.run`, and writes `benchmarks/results/latest.json` (raw figures,
every repetition) and this file. No traffic leaves 127.0.0.1.

The venv is built with Python 3.12 when one is installed (`python3.12` on PATH or
pyenv's): s3contents 0.12.0 (February 2026) and later declare `Requires-Python >=3.12`,
so under Python 3.11 pip silently resolved s3contents to 0.11.2 (December 2023) —
not a pin, nor s3fs/aiobotocore (0.13.0 asks only `s3fs>=2021.11.0`,
`aiobotocore[boto3]>=1.4.0`). The versions used are listed below.

## How it measures

- Each contents manager is driven in-process through its Python API, as
  jupyter_server's REST handlers drive it (`ensure_async`: a synchronous manager
  runs on the event loop thread). Same data for every target: notebooks written
  raw to the server, folders made by each manager itself (its own folder
  convention).
- **Requests**: counted by the proxy in front of the server (what the server
  really received), by kind (`GET`, `HEAD`, `PUT`, `COPY`, `LIST`, `DELETE` ...).
  For nbshelf, `store:` is its own store counter. On local disk there is no
  server: `—`. When later repetitions differ from the first call (a client-side
  cache), the cell says `then N`.
- **Median ms**: {reps} repetitions of small operations ({big_reps} for the
  1000-entry list and the folder operations, {mem_reps} for the {big_mb} MB
  notebook); then again with **{latency_ms:g} ms added to every request** by the proxy
  ({lat_reps} / {big_lat_reps} / {mem_lat_reps} repetitions), which is what a real
  cloud round trip feels like.
- **Longest event-loop block**: a coroutine ticking every 1 ms runs during each
  call; the longest gap between two ticks is the longest time the call kept
  the event loop (and so every other user of the server) waiting. About 1 ms
  means never blocked. The benchmark process sets the interpreter's thread
  switch interval to 1 ms first, as nbshelf's server does
  (`nbshelf.server.warmup.tune_interpreter`), for every system measured.
  The longest pass of Python's garbage collector in each call is recorded
  too: a pass holds every thread, and its length grows with every object the
  process keeps alive (the harness's own results included), not with the
  call's own work; issue 16's table says which blocks such a pass explains.
  On a loaded machine a gap is also time the loop's thread was ready to run
  and got no CPU, or time another thread of the process held the interpreter
  lock while the machine gave it no CPU. So the ticker also reads, at every
  tick, the loop thread's run-queue wait (the kernel's schedstat) and the
  process's CPU time (every thread), and counts a gap at most as the gap less
  that wait and at most as that CPU time: the block the process made (a
  call's code on the loop, the lock held by another of its threads while it
  ran, a collector's pass) is within both bounds. The collector's passes are
  timed in CPU time too.
  Issue 16's table gives the 5 ms check both ways.
- **Memory** (the {big_mb} MB notebook): peak RSS growth during the call
  (sampled every 2 ms), and the peak growth of the Python heap (tracemalloc,
  one extra untimed call; it does not see memory allocated outside Python, e.g.
  by obstore's Rust code). RSS growth is noisy: memory an earlier call freed
  is reused without growing RSS, so the heap figure is the comparable one.
- **Correctness**: after every call the result is checked independently
  (raw reads and listings straight from the server, not through the manager):
  the notebook read is the stored one, the saved bytes landed, a renamed
  folder's objects all moved and none are left, a deleted folder is empty, a
  restored checkpoint brought the old content back, a checkpoint made by one
  server is visible to a second server on the same bucket. `✗` marks a failed
  or wrong result, `⚠` a caveat; the notes under each section say what happened.
  A wrong result stops the repetitions of that operation for that target.
- **Issue 16's cases** (`benchmarks/scale.py`): folders of 1,000, 10,000 and
  100,000 notebooks listed, renamed and deleted (with and without trash) on
  local disk, the memory store, moto's S3 and the real Swift, side by side with
  the floors — `os.scandir` + stat and `os.rename` locally; obstore's and
  swiftclient's own calls on object stores (every page listed; the same copies
  sent all at once, then one bulk delete) — and the alternatives
  (jupyter_server's file manager locally; s3contents and jupyter-fs on S3).
  Folder rename and delete on object stores (N copies each) run at 1,000, and
  at 100 objects with 10 ms added to every request. A size is capped, and the
  table says why, when seeding it or one call would outrun the run's budget.
  The first calls after start-up run in a fresh process
  (`benchmarks/coldstart.py`); 50 concurrent clients doing JupyterLab's save
  cycle run against a real server (`benchmarks/load.py`).
"""


def _cell_requests(op: dict[str, Any] | None) -> str:
    if not op:
        return "n/a"
    reqs, store = op.get("requests"), op.get("store_requests")
    parts = []
    if reqs:
        parts.append(_counts(reqs[0]) + _later(reqs))
    elif reqs is None and store is None:
        parts.append("—")
    if store:
        s = _counts(store[0], short=True) + _later(store)
        if not reqs:
            parts.append(s)
        elif sum(store[0].values()) == sum(reqs[0].values()):
            parts.append("(= store)")
        else:
            parts.append(f"(store: {s})")
    if not reqs and store is not None and not parts:
        parts.append("0")
    return _mark(op, " ".join(parts) if parts else "—")


def _counts(c: dict[str, int], short: bool = False) -> str:
    total = sum(c.values())
    if not c:
        return "0"
    detail = ", ".join(f"{v} {k}" for k, v in sorted(c.items(), key=lambda kv: -kv[1]))
    if short or len(c) == 1:
        return detail if len(c) == 1 else f"{total} ({detail})"
    return f"{total} ({detail})"


def _later(samples: list[dict[str, int]]) -> str:
    first = sum(samples[0].values())
    rest = sorted({sum(s.values()) for s in samples[1:]})
    if not rest or rest == [first]:
        return ""
    span = str(rest[0]) if len(rest) == 1 else f"{rest[0]} to {rest[-1]}"
    return f", then {span}"


def _mark(op: dict[str, Any], text: str) -> str:
    if op.get("status") in ("failed", "wrong"):
        return f"✗ {op['status']}" + (f" ({text})" if text not in ("", "—", "n/a") else "")
    if op.get("caveat"):
        return f"⚠ {text}"
    return text


def _fmt(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def _cell_value(op: dict[str, Any] | None, key: str) -> str:
    if not op:
        return "n/a"
    return _mark(op, _fmt(op.get(key)))


def _cell_block(op: dict[str, Any] | None, with_latency: bool) -> str:
    if not op:
        return "n/a"
    text = _fmt(op.get("max_block_ms"))
    if with_latency:
        text += f" / {_fmt(op.get('max_block_latency_ms'))}"
    return _mark(op, text)


def _cell_mem(op: dict[str, Any] | None) -> str:
    if not op:
        return "n/a"
    rss, heap = op.get("rss_growth_mb"), op.get("python_heap_peak_mb")
    return _mark(op, f"RSS +{_fmt(rss)} MB, heap +{_fmt(heap)} MB")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _label(t: dict[str, Any]) -> str:
    api = {
        "disk": "local store",
        "memory": "memory store",
        "swift": "Swift API",
        "s3": "S3 API",
    }.get(t["api"], t["api"])
    if t["name"] == "jupyter_server":
        return "jupyter_server (file manager)"
    return f"{t['name']} ({api})"


def _titles(results: dict[str, Any]) -> dict[str, str]:
    titles: dict[str, str] = {}
    for t in results["targets"]:
        for name, op in t["ops"].items():
            titles.setdefault(name, op.get("title", name))
    return titles


def _server_section(results: dict[str, Any], server: str) -> str:
    info = results["servers"].get(server, {})
    targets = [t for t in results["targets"] if t["server"] == server]
    title = SERVER_TITLES.get(server, server)
    out = [f"## {title}", ""]
    if info.get("version") or info.get("label"):
        ver = f" — {info['version']}" if info.get("version") else ""
        out += [f"Server: {info.get('label', '')}{ver}", ""]
    if info.get("error"):
        out += [f"**Not measured**: {info['error']}", ""]
    ok = [t for t in targets if not t.get("error")]
    for t in targets:
        if t.get("error"):
            out += [f"- **{_label(t)}: not measured** — {t['error']}"]
    if any(t.get("error") for t in targets):
        out.append("")
    if not ok:
        return "\n".join(out)
    titles = _titles(results)
    ops = [o for o in OPS_ORDER if any(o in t["ops"] for t in ok)]
    header = ["operation"] + [_label(t) for t in ok]
    remote = any(t.get("ops", {}).get(o, {}).get("requests") for t in ok for o in ops)

    def rows(fn: Any) -> list[list[str]]:
        return [[titles.get(o, o)] + [fn(t["ops"].get(o)) for t in ok] for o in ops]

    out += ["### Requests per call" + (" (counted at the server's proxy)" if remote else ""), ""]
    out += [_table(header, rows(_cell_requests)), ""]
    out += ["### Median ms" + (", no added latency" if remote else ""), ""]
    out += [_table(header, rows(lambda op: _cell_value(op, "median_ms"))), ""]
    if remote:
        lat = results["meta"]["settings"]["latency"] * 1000
        out += [f"### Median ms with {lat:g} ms added to every request", ""]
        out += [_table(header, rows(lambda op: _cell_value(op, "median_latency_ms"))), ""]
    out += [
        "### Longest event-loop block, ms"
        + (" (no added latency / with latency)" if remote else ""),
        "",
    ]
    out += [_table(header, rows(lambda op: _cell_block(op, remote))), ""]
    mem_ops = [o for o in ("save_big", "open_big") if o in ops]
    if mem_ops:
        out += ["### Memory, the large notebook (peak growth during one call)", ""]
        out += [
            _table(
                header,
                [[titles.get(o, o)] + [_cell_mem(t["ops"].get(o)) for t in ok] for o in mem_ops],
            ),
            "",
        ]
    notes = []
    for t in ok:
        for n in t.get("notes", []):
            notes.append(f"- {_label(t)}: {n}")
        for o in ops:
            op = t["ops"].get(o)
            if op and op.get("problem"):
                notes.append(
                    f"- ✗ {_label(t)}, {titles.get(o, o)}: {op['status']} — {op['problem']}"
                )
            if op and op.get("caveat"):
                notes.append(f"- ⚠ {_label(t)}, {titles.get(o, o)}: {op['caveat']}")
    if notes:
        out += ["Notes:", "", *notes, ""]
    return "\n".join(out)


def _total(op: dict[str, Any] | None) -> int | None:
    if not op:
        return None
    reqs = op.get("requests") or op.get("store_requests")
    return sum(reqs[0].values()) if reqs else None


def _n_requests(n: int | None) -> str:
    if n is None:
        return "? requests"
    return "1 request" if n == 1 else f"{n} requests"


BUDGET = [
    ("open", "1 GET", lambda c: c == {"GET": 1}),
    ("poll", "1 HEAD", lambda c: c == {"HEAD": 1}),
    ("save", "1 PUT, 2 with a HEAD", lambda c: c.get("PUT") == 1 and sum(c.values()) <= 2),
    ("list_subfolders", "LIST only", lambda c: set(c) == {"LIST"}),
    (
        "checkpoint_create",
        "1 COPY (+ LIST/DELETE to prune)",
        lambda c: c.get("COPY") == 1 and set(c) <= {"COPY", "LIST", "DELETE"},
    ),
]


#: nbshelf's bound on the event-loop block of one call on a small notebook or folder,
#: first call included: issue 16's 5 ms (it was 40 ms; a first call once imported httpx
#: and loaded CA certificates on the loop: 74-256 ms). The 20 MB notebook's calls are
#: left out here; issue 16's check (report_scale.py) counts them too.
BLOCK_BOUND_MS = 5.0
BIG_OPS = ("save_big", "open_big")


def _block_bound(t: dict[str, Any]) -> str:
    """nbshelf's longest loop block over the small operations against BLOCK_BOUND_MS."""
    worst, name = 0.0, ""
    for o, op in t["ops"].items():
        if o in BIG_OPS:
            continue
        for v in (op.get("max_block_ms"), op.get("max_block_latency_ms")):
            if v is not None and v > worst:
                worst, name = v, o
    if not name:
        return ""
    mark = "within" if worst <= BLOCK_BOUND_MS else "**over**"
    return (
        f"{_fmt(worst)} ms ({t['ops'][name].get('title', name)}) ({mark} "
        f"{_fmt(BLOCK_BOUND_MS)} ms, first calls included)"
    )


def _budget(t: dict[str, Any]) -> str:
    """nbshelf's first-call store counts against docs/design.md's request budget."""
    parts = []
    for name, want, ok in BUDGET:
        op = t["ops"].get(name)
        if not op or not op.get("store_requests"):
            continue
        got = op["store_requests"][0]
        mark = "within" if ok(got) else "**over**"
        parts.append(f"{name} {_counts(got)} ({mark} {want})")
    return "; ".join(parts)


def _findings(results: dict[str, Any]) -> str:
    """Key figures per server, computed from the results."""
    out = ["## What this shows", ""]
    titles = _titles(results)
    for server in ("swift", "moto"):
        targets = [t for t in results["targets"] if t["server"] == server and not t.get("error")]
        if not targets:
            continue
        out.append(f"On **{SERVER_TITLES[server]}**:")
        out.append("")
        for o in KEY_OPS:
            parts = []
            for t in targets:
                op = t["ops"].get(o)
                if not op:
                    continue
                n = _total(op)
                status = "" if op["status"] == "ok" else f" **{op['status']}**"
                cav = " ⚠" if op.get("caveat") else ""
                lat = op.get("median_latency_ms")
                parts.append(
                    f"{_label(t)} {_n_requests(n)}"
                    + (f", {_fmt(lat)} ms at +10 ms/request" if lat is not None else "")
                    + status
                    + cav
                )
            if parts:
                out.append(f"- {titles.get(o, o)}: " + "; ".join(parts) + ".")
        for t in targets:
            if t["name"] == "nbshelf":
                out.append(f"- {_label(t)} against the request budget: " + _budget(t) + ".")
        for t in targets:
            bound = _block_bound(t) if t["name"] == "nbshelf" else ""
            if bound:
                out.append(f"- {_label(t)} longest event-loop block, small operations: {bound}.")
        blocks = []
        for t in targets:
            vals = [
                op.get("max_block_latency_ms") or op.get("max_block_ms") or 0
                for op in t["ops"].values()
            ]
            if vals:
                worst = max(
                    t["ops"].items(),
                    key=lambda kv: (
                        kv[1].get("max_block_latency_ms") or kv[1].get("max_block_ms") or 0
                    ),
                )
                blocks.append(
                    f"{_label(t)} {_fmt(max(vals))} ms ({titles.get(worst[0], worst[0])})"
                )
        if blocks:
            out.append(
                "- Longest event-loop block in any call, with latency: " + "; ".join(blocks) + "."
            )
        mem = []
        for t in targets:
            for o in ("save_big", "open_big"):
                op = t["ops"].get(o)
                if op and op.get("rss_growth_mb") is not None:
                    mem.append(f"{_label(t)} {titles.get(o, o)} +{_fmt(op['rss_growth_mb'])} MB")
        if mem:
            out.append("- Peak RSS growth: " + "; ".join(mem) + ".")
        wrong = [
            f"{_label(t)}: {titles.get(o, o)} ({op['problem']})"
            for t in targets
            for o, op in t["ops"].items()
            if op["status"] in ("wrong", "failed")
        ]
        wrong += [
            f"{_label(t)}: {titles.get(o, o)} ({op['caveat']})"
            for t in targets
            for o, op in t["ops"].items()
            if op.get("caveat")
        ]
        if wrong:
            out.append("- Wrong, failed or with a caveat: " + "; ".join(wrong) + ".")
        out.append("")
    local = [t for t in results["targets"] if t["server"] == "local" and not t.get("error")]
    if len(local) >= 2:
        out.append("On **local disk** (the floor, no network), median ms:")
        out.append("")
        for o in ("open", "save", "list_1000", "rename_folder", "save_big"):
            vals = [
                f"{_label(t)} {_fmt(t['ops'][o].get('median_ms'))}" for t in local if o in t["ops"]
            ]
            if vals:
                out.append(f"- {titles.get(o, o)}: " + "; ".join(vals) + ".")
        out.append("")
    return "\n".join(out)


def _source(src: dict[str, Any] | None) -> list[str]:
    if not src or not src.get("commit"):
        return []
    how = (
        "an export of that commit (`git archive`), nothing on top"
        if src.get("exported")
        else f"the work tree, {src.get('src_changes', 0)} files under src/ changed on top"
    )
    return [f"- Code measured: commit {src['commit'][:12]}; {how}"]


def _machine(results: dict[str, Any]) -> str:
    meta = results["meta"]
    m = meta["machine"]
    v = meta["versions"]
    lines = [
        "## Machine and run",
        "",
        f"- Date (UTC): {meta['date']}; whole run {meta.get('elapsed_s', '?')} s",
        f"- Command: `{meta['command']}`",
        *_source(meta.get("source")),
        f"- CPU: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory')} RAM; {m.get('os')};"
        f" Python {m.get('python')}",
        *[
            f"- Machine load {when}: `uptime`: {ld.get('uptime')}; `nproc`: {ld.get('nproc')}"
            for when, ld in (
                ("at start", meta.get("load_at_start")),
                ("at end", meta.get("load_at_end")),
            )
            if ld
        ],
        f"- Load average at start {', '.join(f'{x:.2f}' for x in m.get('loadavg_at_start', []))}"
        f"; at end {', '.join(f'{x:.2f}' for x in meta.get('loadavg_at_end', []))}. The "
        "machine is shared: other engineers ran test suites during the run, so absolute "
        "times are noisy; request counts are exact and do not depend on the machine.",
        "- Servers: "
        + "; ".join(
            f"{s}: {i.get('version') or i.get('label')}"
            + (f" (error: {i['error']})" if i.get("error") else "")
            for s, i in results["servers"].items()
        ),
        "- Versions: " + ", ".join(f"{k} {val or 'not installed'}" for k, val in v.items()),
        "",
    ]
    return "\n".join(lines)


def render(results: dict[str, Any]) -> str:
    s = results["meta"]["settings"]
    intro = INTRO.format(
        command=results["meta"]["command"],
        reps=s["reps"],
        big_reps=s["big_reps"],
        mem_reps=s["mem_reps"],
        big_mb=s["big_mb"],
        latency_ms=s["latency"] * 1000,
        lat_reps=s["lat_reps"],
        big_lat_reps=s["big_lat_reps"],
        mem_lat_reps=s["mem_lat_reps"],
    )
    from benchmarks import report_scale as rs
    from benchmarks.report_hub import hub_section

    parts = [intro, _machine(results)]
    parts += [p for p in (rs.targets_section(results),) if p]
    parts.append(_findings(results))
    parts += [
        p
        for p in (
            rs.scale_sections(results),
            rs.coldstart_section(results),
            rs.load_section(results),
            hub_section(),
        )
        if p
    ]
    for server in ("local", "swift", "moto"):
        if server in results["servers"]:
            parts.append(_server_section(results, server))
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.report [RESULTS.json [DOC.md]]``: render a run again."""
    import json
    import sys
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    repo = Path(__file__).resolve().parents[1]
    src = Path(args[0]) if args else repo / "benchmarks" / "results" / "latest.json"
    doc = Path(args[1]) if len(args) > 1 else repo / "docs" / "performance.md"
    doc.write_text(render(json.loads(src.read_text())))
    print(f"wrote {doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
