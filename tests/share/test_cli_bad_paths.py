"""Issue 12: every ``nbshelf`` sub-command given a bad path prints one line on stderr and
exits 2, never a traceback (the real console script, on a local store)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BAD = os.fsdecode(b"\xff.ipynb")  # a name that is not UTF-8 (a lone surrogate once decoded)
CASES = [
    ["trash", "restore", "../x"],
    ["trash", "restore", "20261130T000000Z/../../x"],
    ["trash", "restore", f"20261130T000000Z/{BAD}"],
    ["trash", "restore", "20261130T000000Z/x", "--to", "../y"],
    ["trash", "--prefix", "../x", "list"],
    ["share", "../x.ipynb"],
    ["share", "a/../../x.ipynb"],
    ["share", BAD],
    ["share", "--local", "n" * 300 + ".ipynb"],
    ["share", "--list", "../x"],
    ["share", "--prefix", "../x", "--list"],
    ["share", ".nbshelf/shares/x.json"],
    ["recover", "--prefix", "../x"],
    ["recover", "--prefix", "a/../../x", "--dry-run"],
]


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a)[:40])
def test_bad_path_is_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBSHELF_", "OS_", "ST_"))}
    env["NBSHELF_STORE"] = str(tmp_path)
    r = subprocess.run(
        [sys.executable, "-m", "nbshelf.cli", *args],
        capture_output=True,
        text=True,
        errors="replace",
        env=env,
        timeout=120,
    )
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"nbshelf {args[0]}: error: "), r.stderr
