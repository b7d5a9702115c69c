"""How a test talks to an S3 server (moto's, or the real Swift's S3 API): the server's
description (:class:`S3Target`), a store on it, and the requests it saw, counted by
operation at a :class:`~tests.servers.counting_proxy.CountingProxy`."""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Any

import pytest

from .counting_proxy import CountingProxy, Record


@dataclass(frozen=True)
class S3Target:
    """One S3 API server the tests run against."""

    name: str
    endpoint: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    #: Does the server check signatures and region (moto accepts anything)?
    checks_auth: bool = False

    def boto(self) -> Any:
        """A boto3 client straight to the server (not through the proxy)."""
        boto3 = pytest.importorskip("boto3")
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )


def make_store(target: S3Target, endpoint: str, bucket: str, **options: Any) -> Any:
    """An S3 store on ``s3://bucket/pre`` at ``endpoint`` (the server, or a proxy)."""
    from nbshelf.stores import open_store  # nbshelf is imported when a test runs

    options.setdefault("access_key_id", target.access_key)
    options.setdefault("secret_access_key", target.secret_key)
    options.setdefault("region", target.region)
    return open_store(f"s3://{bucket}/pre", endpoint_url=endpoint, **options)


def s3_operation(r: Record) -> str:
    """The store-counter name of one S3 request as the server saw it."""
    has_key = r.path.strip("/").count("/") >= 1
    if r.method == "GET":
        return "GET" if has_key and "list-type" not in r.query else "LIST"
    if r.method == "PUT":
        return "COPY" if "x-amz-copy-source" in r.headers else "PUT"
    if r.method == "POST":
        return "DELETE" if "delete" in r.query else "POST"
    return r.method


def server_counts(proxy: CountingProxy) -> dict[str, int]:
    """Requests the server saw, by store operation (DeleteObjects is one DELETE)."""
    return dict(collections.Counter(s3_operation(r) for r in proxy.snapshot()))


def reset(store: Any, proxy: CountingProxy) -> None:
    store.requests.reset()
    proxy.reset()


def assert_counts(store: Any, proxy: CountingProxy, expected: dict[str, int]) -> None:
    """The exact request counts, at the store's counter and at the server."""
    assert store.requests.snapshot() == expected
    assert server_counts(proxy) == expected
