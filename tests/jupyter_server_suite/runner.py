"""Run jupyter_server's contents suite against a store, in a subprocess, and count."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .prepare import prepare

#: tests of the suite that cannot run on a non-local store (see prepare.py): the
#: rest, 164 on jupyter_server 2.21, must pass on every store.
MIN_PASSED_ON_ANY_STORE = 150


@dataclass(frozen=True)
class SuiteRun:
    passed: int
    skipped: int
    failed: int
    output: str


def run_suite(store_url: str, env: dict[str, str], workdir: Path) -> SuiteRun:
    """The suite with ``NBSHELF_SUITE_STORE=store_url``; credentials come in ``env``
    (on top of this process's environment, minus other stores' variables)."""
    out = workdir / "jsuite"
    prepare(out)
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("OS_", "ST_", "AWS_", "NBSHELF_"))
    }
    junit = workdir / "junit.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/services/contents", "-q", "-p", "no:logging",
         f"--junitxml={junit}"],
        cwd=out, env={**clean, **env, "NBSHELF_SUITE_STORE": store_url},
        capture_output=True, text=True, timeout=1500,
    )  # fmt: skip
    suite = ET.parse(junit).getroot()
    if suite.tag == "testsuites":
        suite = suite[0]
    counts = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    failed = counts["failures"] + counts["errors"]
    return SuiteRun(
        passed=counts["tests"] - failed - counts["skipped"],
        skipped=counts["skipped"],
        failed=failed if run.returncode == 0 else max(failed, 1),
        output=run.stdout[-8000:] + run.stderr[-2000:],
    )
