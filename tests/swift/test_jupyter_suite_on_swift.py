"""jupyter_server's own contents test suite, run against ShelfContentsManager on the
real Swift (tempauth): the generated suite (tests/jupyter_server_suite/prepare.py)
runs in a subprocess with ``NBSHELF_SUITE_STORE=swift://<container>``, each test on
a fresh prefix ``suite-<uuid>`` in that container, credentials from ``ST_*``."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import swiftclient
from tests.jupyter_server_suite.runner import MIN_PASSED_ON_ANY_STORE, run_suite
from tests.servers.swift import SwiftServer

pytestmark = pytest.mark.swift


def test_jupyter_server_contents_suite_passes_on_swift(
    swift_server: SwiftServer, tmp_path: Path
) -> None:
    container = "suite-" + uuid.uuid4().hex[:10]
    env = {"ST_AUTH": swift_server.auth_url, "ST_USER": "test:tester", "ST_KEY": "testing"}
    result = run_suite(f"swift://{container}", env, tmp_path)
    print(f"\njupyter_server contents suite on Swift: {result.passed} passed, "
          f"{result.skipped} skipped")  # fmt: skip
    assert result.failed == 0, result.output
    assert result.passed >= MIN_PASSED_ON_ANY_STORE
    # it really ran on Swift: the tests' objects are in the container, one prefix per test
    conn = swiftclient.Connection(authurl=swift_server.auth_url, user="test:tester",
                                  key="testing")
    _, listing = conn.get_container(container, delimiter="/", full_listing=True)
    prefixes = {item["subdir"] for item in listing if "subdir" in item}
    assert len(prefixes) >= 10 and all(p.startswith("suite-") for p in prefixes)
