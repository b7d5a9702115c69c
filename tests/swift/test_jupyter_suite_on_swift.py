"""jupyter_server's own contents test suite, run against ShelfContentsManager on the
real Swift (tempauth): the generated suite (tests/jupyter_server_suite/prepare.py)
runs in a subprocess with ``NBSHELF_SUITE_STORE=swift://<container>``, each test on
a fresh prefix ``suite-<uuid>`` in that container, credentials from ``ST_*``."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import swiftclient
from tests.servers.swift import SwiftServer

pytestmark = pytest.mark.swift

ROOT = Path(__file__).resolve().parents[2]


def suite_counts(junit: Path) -> dict[str, int]:
    suite = ET.parse(junit).getroot()
    if suite.tag == "testsuites":
        suite = suite[0]
    return {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}


def test_jupyter_server_contents_suite_passes_on_swift(
    swift_server: SwiftServer, tmp_path: Path
) -> None:
    out = tmp_path / "jsuite"
    subprocess.run(
        [sys.executable, str(ROOT / "tests/jupyter_server_suite/prepare.py"), str(out)],
        check=True, capture_output=True,
    )
    container = "suite-" + uuid.uuid4().hex[:10]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "ST_", "NBSHELF_"))}
    env.update(
        NBSHELF_SUITE_STORE=f"swift://{container}",
        ST_AUTH=swift_server.auth_url, ST_USER="test:tester", ST_KEY="testing",
    )
    junit = tmp_path / "junit.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/services/contents", "-q", "-p", "no:logging",
         "-p", "no:randomly", f"--junitxml={junit}"],
        cwd=out, env=env, capture_output=True, text=True, timeout=600,
    )
    counts = suite_counts(junit)
    passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    print(f"\njupyter_server contents suite on Swift: {passed} passed, "
          f"{counts['skipped']} skipped ({summary})")
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert counts["failures"] == counts["errors"] == 0
    assert passed >= 24  # the manager tests that run on any store (see prepare.py)
    # it really ran on Swift: the tests' objects are in the container, one prefix per test
    conn = swiftclient.Connection(authurl=swift_server.auth_url, user="test:tester",
                                  key="testing")
    _, listing = conn.get_container(container, delimiter="/", full_listing=True)
    prefixes = {item["subdir"] for item in listing if "subdir" in item}
    assert len(prefixes) >= 10 and all(p.startswith("suite-") for p in prefixes)
