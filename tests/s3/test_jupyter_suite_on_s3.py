"""jupyter_server's own contents test suite against ShelfContentsManager on S3:
moto's server and the real Swift proxy's S3 API, each test on a fresh prefix of
one bucket, the endpoint and keys in the AWS_* variables as a user sets them."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from tests.jupyter_server_suite.runner import MIN_PASSED_ON_ANY_STORE, run_suite
from tests.s3._helpers import S3Target

pytestmark = pytest.mark.s3


def test_jupyter_server_contents_suite_passes_on_s3(s3_server: S3Target, tmp_path: Path) -> None:
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
