"""jupyter_server's own contents test suite, run against ShelfContentsManager on the
real servers: the generated suite (tests/jupyter_server_suite/prepare.py) runs in a
subprocess with ``NBSHELF_SUITE_STORE=<store URL>``, each test on a fresh prefix
``suite-<uuid>`` of one container/bucket, the credentials in the environment variables
as a user sets them (``ST_*`` for Swift, ``AWS_*`` for S3).

- Swift (tempauth), native API;
- S3: moto's server, and with ``NBSHELF_SUITE_S3_ON_SWIFT=1`` the real Swift proxy's S3
  API too (``s3_server``; the same backend, three more minutes of a CI run).

(The local and memory stores run the suite directly from scripts/test.sh.)"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import swiftclient

from tests.jupyter_server_suite.runner import MIN_PASSED_ON_ANY_STORE, run_suite
from tests.servers.s3 import S3Target
from tests.servers.swift import SwiftServer

# a whole suite of ~220 tests in one test: 2-5 min idle, more under load; pytest-timeout's
# 300 s per test is meant for one test, not for a suite run
SUITE_TIMEOUT = 1800
#: Set to run the suite on Swift's S3 API as well (the same backend as on moto).
S3_ON_SWIFT = "NBSHELF_SUITE_S3_ON_SWIFT"


@pytest.mark.timeout(SUITE_TIMEOUT)
@pytest.mark.swift
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
    conn = swiftclient.Connection(authurl=swift_server.auth_url, user="test:tester", key="testing")
    _, listing = conn.get_container(container, delimiter="/", full_listing=True)
    prefixes = {item["subdir"] for item in listing if "subdir" in item}
    assert len(prefixes) >= 10 and all(p.startswith("suite-") for p in prefixes)


@pytest.mark.timeout(SUITE_TIMEOUT)
@pytest.mark.s3
def test_jupyter_server_contents_suite_passes_on_s3(s3_server: S3Target, tmp_path: Path) -> None:
    if s3_server.name == "swift" and not os.environ.get(S3_ON_SWIFT):
        pytest.skip(
            f"the suite runs nbshelf's S3 backend on moto in every run; on Swift's S3 API it "
            f"costs a CI run 3 more minutes of CPU: {S3_ON_SWIFT}=1 runs it there too"
        )
    bucket = f"suite-{uuid.uuid4().hex[:10]}"
    s3_server.boto().create_bucket(Bucket=bucket)
    env = {
        "AWS_ENDPOINT_URL_S3": s3_server.endpoint,
        "AWS_ACCESS_KEY_ID": s3_server.access_key,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
        "AWS_REGION": s3_server.region,
        "AWS_ALLOW_HTTP": "true",
    }
    result = run_suite(f"s3://{bucket}", env, tmp_path)
    print(f"\njupyter_server contents suite on S3 ({s3_server.name}): {result.passed} passed, "
          f"{result.skipped} skipped")  # fmt: skip
    assert result.failed == 0, result.output
    assert result.passed >= MIN_PASSED_ON_ANY_STORE
    # it really ran on S3: the tests' objects are in the bucket, one prefix per test
    listing = s3_server.boto().list_objects_v2(Bucket=bucket, Delimiter="/")
    prefixes = [p["Prefix"] for p in listing.get("CommonPrefixes", [])]
    assert len(prefixes) >= 10 and all(p.startswith("suite-") for p in prefixes)
