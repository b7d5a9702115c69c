"""Smoke test of the benchmark harness (benchmarks/): one repetition on the local-disk
and memory targets, checking the shape of the results and that nbshelf's request
counts are the budget of docs/design.md; issue 16's cases at tiny sizes (folders of 10
and 40, the first calls in a fresh process, 3 clients for a second against real
servers). No timing assertions; no .venv-bench needed (the alternatives and the
object-store servers are not run here)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from benchmarks.harness import Settings, operations
from benchmarks.load import LoadSettings
from benchmarks.report import render
from benchmarks.run import run_all
from benchmarks.scale import ScaleSettings

OP_KEYS = {
    "title",
    "status",
    "problem",
    "requests",
    "store_requests",
    "ms",
    "median_ms",
    "latency_ms",
    "median_latency_ms",
    "max_block_ms",
    "max_block_latency_ms",
    "rss_growth_mb",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings.quick()
    res = asyncio.run(
        run_all(
            ["local"],
            settings,
            memory_target=True,
            command="pytest",
            scale=ScaleSettings.tiny(),
            load=LoadSettings.tiny(),
        )
    )
    out = tmp_path_factory.mktemp("bench") / "latest.json"
    out.write_text(json.dumps(res, default=str))
    loaded: dict[str, Any] = json.loads(out.read_text())  # what the run writes is JSON
    return loaded


def test_json_shape(results: dict[str, Any]) -> None:
    assert {"meta", "servers", "targets"} <= results.keys()
    meta = results["meta"]
    assert {"date", "command", "machine", "versions", "settings"} <= meta.keys()
    ids = [t["id"] for t in results["targets"]]
    assert ids == ["jupyter_server/disk@local", "nbshelf/disk@local", "nbshelf/memory@local"]
    names = [op.name for op in operations(Settings.quick())]
    for t in results["targets"]:
        assert t["error"] is None, t["error"]
        assert list(t["ops"]) == names
        for name, op in t["ops"].items():
            assert op.keys() >= OP_KEYS, name
            assert op["status"] == "ok", (t["id"], name, op["problem"])
            assert len(op["ms"]) == 1 and op["median_ms"] is not None
            assert op["requests"] is None  # no server, no proxy
        for name in ("save_big", "open_big"):
            assert t["ops"][name]["rss_growth_mb"] is not None
            assert t["ops"][name]["python_heap_peak_mb"] is not None


def test_floor_has_no_request_counts(results: dict[str, Any]) -> None:
    floor = results["targets"][0]
    assert all(op["store_requests"] is None for op in floor["ops"].values())


@pytest.mark.parametrize("target", ["nbshelf/disk@local", "nbshelf/memory@local"])
def test_nbshelf_counts_are_the_budget(results: dict[str, Any], target: str) -> None:
    t = next(t for t in results["targets"] if t["id"] == target)
    first = {name: op["store_requests"][0] for name, op in t["ops"].items()}
    assert first["open"] == {"GET": 1}
    assert first["poll"] == {"HEAD": 1}
    assert first["save"] == {"PUT": 1}
    assert first["list_10"] == {"LIST": 1}
    assert first["list_subfolders"] == {"LIST": 1}  # nothing per subfolder
    assert first["checkpoint_create"] == {"COPY": 1, "LIST": 1}
    ren = first["rename_folder"]
    assert ren["PUT"] == 1  # the journal (.nbshelf/ops/<id>.json), before anything moves
    if target == "nbshelf/disk@local":
        # the local store moves the folder with os.rename: nothing per notebook (the exact
        # counts are tests/stores' contract; here: no copy, no per-file delete)
        assert "COPY" not in ren and ren["RENAME"] >= 1 and ren["DELETE"] == 1
    else:
        # 100 notebooks + the folder's marker: 101 copies, then one delete of the 101
        # sources (counted per key) and one of the journal
        assert ren["COPY"] == 101
        assert ren["DELETE"] == 101 + 1


def test_report_renders(results: dict[str, Any], tmp_path: Path) -> None:
    text = render(results)
    assert "## Local disk" in text and "| open a notebook" in text
    assert "`pytest`" in text
    for heading in (
        "## Issue 16's targets, read against this run",
        "## Large folders and folder operations",
        "## The first calls after start-up",
        "## Many users, one server",
    ):
        assert heading in text
    assert "`nproc`: " in text and "`uptime`: " in text
    # the 5 ms check is read twice: the gap, and the process's own CPU time in it
    assert "counting only the process's own time on the CPU in each gap" in text


#: what each server's scale cases run: case -> the systems that must have a row
SCALE_SYSTEMS = {
    "local": {
        "list": {"floor", "jupyter_server", "nbshelf"},
        "rename": {"floor", "jupyter_server", "nbshelf"},
        "delete": {
            "floor-trash",
            "floor-rmtree",
            "jupyter_server",
            "jupyter_server-trash",
            "nbshelf",
            "nbshelf-notrash",
        },
    },
    "memory": {
        "list": {"floor", "nbshelf"},
        "rename": {"nbshelf"},
        "delete": {"nbshelf", "nbshelf-notrash"},
    },
}


@pytest.mark.parametrize("env", ["local", "memory"])
def test_scale_cases_ran_and_were_checked(results: dict[str, Any], env: str) -> None:
    data = results["scale"]["envs"][env]
    assert data["error"] is None
    sizes = list(ScaleSettings.tiny().sizes)
    assert sorted(int(n) for n in data["seed_s"]) == sizes
    for case, systems in SCALE_SYSTEMS[env].items():
        for n in sizes:
            got = {r["system"]: r for r in data["rows"] if r["case"] == case and r["n"] == n}
            assert set(got) == systems, (case, n)
            for sid, r in got.items():
                # every result was checked: all entries listed, all moved, nothing left
                assert r["status"] == "ok", (case, n, sid, r["problem"])
                assert len(r["ms"]) == len(r["block_ms"]) == len(r["busy_ms"]) >= 1
                assert r["first_block_ms"] == r["block_ms"][0]
                # a gap counted only as far as the process was on the CPU is never
                # longer than the gap
                assert all(0 <= b <= g for b, g in zip(r["busy_ms"], r["block_ms"], strict=True))
                if env == "local":  # a short call: 3 samples, not one (disk noise)
                    assert len(r["ms"]) >= (3 if case == "rename" else 2), (case, n, sid)
    assert len(data["idle_busy_ms"]) == len(data["idle_block_ms"]) == 2
    # nbshelf's store counter saw the calls (the floors and jupyter_server have none)
    row = next(r for r in data["rows"] if r["case"] == "list" and r["system"] == "nbshelf")
    assert row["store_requests"] and row["store_requests"].get("LIST", 0) >= 1


def test_first_calls_after_start_up(results: dict[str, Any]) -> None:
    cold = {(c["server"], c["label"]): c for c in results["scale"]["coldstart"]}
    assert set(cold) == {
        ("local", "jupyter_server"),
        ("local", "nbshelf (local store)"),
        ("memory", "nbshelf (memory store)"),
    }
    n = ScaleSettings.tiny().coldstart_n
    for key, c in cold.items():
        assert "error" not in c, (key, c.get("error"))
        assert list(c["calls"]) == [
            "list",
            "open",
            "save",
            "checkpoint",
            "rename_folder",
            "list_again",
        ]
        for name, call in c["calls"].items():
            assert "error" not in call, (key, name, call.get("error"))
            assert call["block_ms"] is not None
        assert c["calls"]["list"]["entries"] == c["calls"]["list_again"]["entries"] == n
        if c["kind"] == "nbshelf":  # nbshelf's store counter in the fresh process
            assert c["calls"]["list"]["store_requests"].get("LIST", 0) >= 1


def test_load_against_real_servers(results: dict[str, Any]) -> None:
    rows = results["load"]["rows"]
    assert [r["label"] for r in rows] == [
        "jupyter_server (its own file manager), local disk",
        "nbshelf serve, local store",
    ]
    for r in rows:
        assert r["error"] is None, r["error"]
        assert r["clients"] == LoadSettings.tiny().clients
        assert r["cycles"] >= 1 and r["errors"] == 0, r["first_error"]
        assert r["server_cpu_ms_per_cycle"] is not None
