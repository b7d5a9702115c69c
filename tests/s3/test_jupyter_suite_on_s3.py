"""jupyter_server's own contents test suite against ShelfContentsManager on S3:
moto's server and the real Swift proxy's S3 API. The generated suite
(tests/jupyter_server_suite/prepare.py) runs in a subprocess with
``NBSHELF_SUITE_STORE=s3://<bucket>``, each test on a fresh prefix of that bucket,
the endpoint and keys in the AWS_* variables as a user would set them."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from tests.s3._helpers import S3Target

pytestmark = pytest.mark.s3

ROOT = Path(__file__).resolve().parents[2]


def suite_counts(junit: Path) -> dict[str, int]:
    suite = ET.parse(junit).getroot()
    if suite.tag == "testsuites":
        suite = suite[0]
    return {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}


def test_jupyter_server_contents_suite_passes_on_s3(s3_server: S3Target, tmp_path: Path) -> None:
    out = tmp_path / "jsuite"
    subprocess.run(
        [sys.executable, str(ROOT / "tests/jupyter_server_suite/prepare.py"), str(out)],
        check=True,
        capture_output=True,
    )
    bucket = f"suite-{uuid.uuid4().hex[:10]}"
    s3_server.boto().create_bucket(Bucket=bucket)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NBSHELF_"))}
    env.update(
        NBSHELF_SUITE_STORE=f"s3://{bucket}",
        AWS_ENDPOINT_URL_S3=s3_server.endpoint,
        AWS_ACCESS_KEY_ID=s3_server.access_key,
        AWS_SECRET_ACCESS_KEY=s3_server.secret_key,
        AWS_REGION=s3_server.region,
        AWS_ALLOW_HTTP="true",
    )
    junit = tmp_path / "junit.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/services/contents", "-q", "-p", "no:logging",
         f"--junitxml={junit}"],
        cwd=out, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    counts = suite_counts(junit)
    passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    print(
        f"\njupyter_server contents suite on S3 ({s3_server.name}): {passed} passed, "
        f"{counts['skipped']} skipped"
    )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert counts["failures"] == counts["errors"] == 0
    assert passed >= 24  # the manager tests that run on any store (see prepare.py)
    # it really ran on S3: the tests' objects are in the bucket, one prefix per test
    listing = s3_server.boto().list_objects_v2(Bucket=bucket, Delimiter="/")
    prefixes = [p["Prefix"] for p in listing.get("CommonPrefixes", [])]
    assert len(prefixes) >= 10 and all(p.startswith("suite-") for p in prefixes)
