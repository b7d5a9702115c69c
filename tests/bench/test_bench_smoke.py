"""Smoke test of the benchmark harness (benchmarks/): one repetition on the local-disk
and memory targets, checking the shape of the results and that nbshelf's request
counts are the budget of docs/design.md. No timing assertions; no .venv-bench needed
(the alternatives and the servers are not run here)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from benchmarks.harness import Settings, operations
from benchmarks.report import render
from benchmarks.run import run_all

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
    res = asyncio.run(run_all(["local"], settings, memory_target=True, command="pytest"))
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
    # 100 notebooks + the folder's marker: 101 copies, then one delete of the 101 sources
    # (counted per key) and one of the rename's journal (.nbshelf/ops/<id>.json)
    assert first["rename_folder"]["COPY"] == 101
    assert first["rename_folder"]["DELETE"] == 101 + 1
    assert first["rename_folder"]["PUT"] == 1  # the journal, written before the first copy


def test_report_renders(results: dict[str, Any], tmp_path: Path) -> None:
    text = render(results)
    assert "## Local disk" in text and "| open a notebook" in text
    assert "`pytest`" in text
