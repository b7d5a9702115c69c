"""The one SigV4 implementation (``_obstore_sigv4.sign``) against botocore's signer:
the same canonical request and signature for each request nbshelf sends itself."""

from __future__ import annotations

from datetime import datetime, timezone
from unittest import mock

import pytest

from nbshelf.stores.obstore.sigv4 import EMPTY_SHA256, copy_source, object_url, sign

NOW = datetime(2026, 11, 22, 17, 0, 1, tzinfo=timezone.utc)


def _botocore_auth(method: str, url: str, headers: dict[str, str], token: str | None) -> str:
    pytest.importorskip("botocore")
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url, headers=dict(headers))
    request.headers["x-amz-content-sha256"] = EMPTY_SHA256
    auth = S3SigV4Auth(Credentials("AKID", "SECRET", token), "s3", "eu-west-3")
    auth._modify_request_before_signing = lambda r: None
    request.headers["host"] = "127.0.0.1:9000"
    request.headers["x-amz-date"] = NOW.strftime("%Y%m%dT%H%M%SZ")
    if token:
        request.headers["x-amz-security-token"] = token
    with mock.patch("botocore.auth.get_current_datetime", lambda: NOW.replace(tzinfo=None)):
        auth.add_auth(request)
    return str(request.headers["Authorization"])


@pytest.mark.parametrize(
    ("method", "key", "query", "extra", "token"),
    [
        ("DELETE", "pre/a b/ü/", "", {}, None),
        (
            "PUT",
            "pre/ckpt/n+1.ipynb",
            "",
            {"x-amz-copy-source": copy_source("bk", "pre/n 1.ipynb")},
            None,
        ),
        ("PUT", "pre/n.ipynb", "acl", {"x-amz-acl": "public-read"}, "TOKEN"),
    ],
)
def test_sign_matches_botocore(
    method: str, key: str, query: str, extra: dict[str, str], token: str | None
) -> None:
    url = object_url("http://127.0.0.1:9000", "bk", key, virtual_hosted=False)
    if query:
        url += "?" + query
    ours = sign(
        method,
        url,
        extra,
        region="eu-west-3",
        access_key="AKID",
        secret_key="SECRET",
        session_token=token,
        now=NOW,
    )
    assert ours["authorization"] == _botocore_auth(method, url, extra, token)
