"""The counting proxy itself: counts by method and path, forwards bodies whole,
passes ``Expect: 100-continue`` clients through, adds latency without changing counts."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest

from tests.servers.counting_proxy import CountingProxy
from tests.servers.s3 import S3Target

pytestmark = pytest.mark.s3


@pytest.mark.parametrize("latency", [0.0, 0.01])
def test_proxy_counts_and_forwards(s3_server: S3Target, bucket: str, latency: float) -> None:
    with CountingProxy(s3_server.endpoint, latency=latency) as proxy:
        client: Any = S3Target(
            s3_server.name, proxy.url, s3_server.access_key, s3_server.secret_key
        ).boto()
        body = os.urandom(3 * 1024 * 1024)  # boto3 sends Expect: 100-continue for this
        client.put_object(Bucket=bucket, Key="p/x.bin", Body=body)
        got = client.get_object(Bucket=bucket, Key="p/x.bin")["Body"].read()
        client.head_object(Bucket=bucket, Key="p/x.bin")
        client.list_objects_v2(Bucket=bucket, Prefix="p/")
        assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest()
        assert dict(proxy.counts) == {"PUT": 1, "GET": 2, "HEAD": 1}
        assert proxy.count("GET", f"/{bucket}/p/") == 1
        assert [r.status for r in proxy.snapshot()] == [200, 200, 200, 200]
        proxy.reset()
        assert proxy.total == 0
