"""Smoke test of benchmarks/kernel_files.py: 1 MB, local store only; the shape of the
results and that every way read back what it wrote (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.kernel_files import main


def test_the_benchmark_runs_and_checks_its_bytes(tmp_path: Path) -> None:
    out = tmp_path / "kf.json"
    assert main(["--sizes", "1", "--stores", "local", "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert {(r["store"], r["way"].split()[0]) for r in rows} == {
        ("local disk", "open()"),
        ("local disk", "shelf://"),
    }
    assert all(r["mb"] == 1 and r["write_ms"] > 0 and r["read_ms"] > 0 for r in rows)
