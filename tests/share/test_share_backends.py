"""Sharing on the real Swift (tempauth) and on S3 (moto, and the real Swift's S3 API),
through a real ``nbshelf serve`` over HTTP; links fetched anonymously with plain HTTP.

Also Rackspace Cloud Files CDN enabling, against the local identity stand-in's CDN
management endpoint: a FAKE (Rackspace's CDN cannot run here), said so here and in
tests/servers/rackspace_identity.py; the storage behind it is the real Swift.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbshelf.share import ShareService
from nbshelf.stores.swift import SwiftStore
from tests.servers.jupyter import NbshelfServer
from tests.servers.rackspace_identity import RackspaceIdentity
from tests.servers.swift import SwiftServer
from tests.share.helpers import anonymous, check_published, clean_env, notebook, save


# ----------------------------------------------------------------------------- Swift
@pytest.fixture(scope="module")
def swift_served(
    swift_server: SwiftServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NbshelfServer]:
    env = clean_env(ST_AUTH=swift_server.auth_url, ST_USER="test:tester", ST_KEY="testing")
    srv = NbshelfServer(
        tmp_path_factory.mktemp("share-swift"), store="swift://notebooks", env=env
    ).start()
    yield srv
    srv.stop()


@pytest.mark.swift
def test_swift_public_container_snapshot(
    swift_served: NbshelfServer, swift_server: SwiftServer
) -> None:
    save(swift_served, "pub.ipynb", notebook())
    r = swift_served.api("POST", "/nbshelf/api/shares", json={"path": "pub.ipynb"})
    assert r.status_code == 201, r.text
    share = r.json()
    assert share["kind"] == "public" and share["expires"] is None
    public = f"{swift_server.storage_url()}/notebooks_public/{share['id']}/"
    assert share["urls"]["notebook"] == public + "pub.ipynb"
    assert share["urls"]["html"] == public + "pub.html"
    assert share["urls"]["nbviewer"] == (
        "https://nbviewer.org/url/" + public.split("://", 1)[1] + "pub.ipynb"
    )
    check_published(share)
    # the notebooks' own container stays private, and the public one is not listable
    assert anonymous(f"{swift_server.storage_url()}/notebooks/pub.ipynb").status_code == 401
    assert anonymous(f"{swift_server.storage_url()}/notebooks_public").status_code in (401, 403)

    r = swift_served.api("DELETE", f"/nbshelf/api/shares/{share['id']}")
    assert r.status_code == 200 and "no longer works" in r.json()["message"]
    assert anonymous(share["urls"]["html"]).status_code == 404
    assert anonymous(share["urls"]["notebook"]).status_code == 404


@pytest.mark.swift
def test_swift_expiring_tempurl(swift_served: NbshelfServer, swift_server: SwiftServer) -> None:
    save(swift_served, "exp.ipynb", notebook())
    r = swift_served.api(
        "POST",
        "/nbshelf/api/shares",
        json={"path": "exp.ipynb", "kind": "expiring", "expires_in": 3600},
    )
    assert r.status_code == 201, r.text
    share = r.json()
    assert share["kind"] == "expiring" and "nbviewer" not in share["urls"]
    assert "temp_url_sig=" in share["urls"]["html"] and "/notebooks/" in share["urls"]["html"]
    check_published(share)
    # the signed link is to the snapshot only: its signature does not open the file itself
    own = share["urls"]["notebook"].replace(f".nbshelf/shared/{share['id']}/exp.ipynb", "exp.ipynb")
    assert anonymous(own).status_code == 401
    r = swift_served.api(
        "POST",
        "/nbshelf/api/shares",
        json={"path": "exp.ipynb", "kind": "expiring", "expires_in": -5},
    )
    assert r.status_code == 400 and "past" in r.json()["message"]
    r = swift_served.api("DELETE", f"/nbshelf/api/shares/{share['id']}")
    assert "stays formally valid" in r.json()["message"]
    assert anonymous(share["urls"]["html"]).status_code == 404


@pytest.mark.swift
def test_swift_refuses_internal_and_outside_paths(swift_served: NbshelfServer) -> None:
    for path in ("../x.ipynb", ".nbshelf/shares/a.json", "a/../../b"):
        r = swift_served.api("POST", "/nbshelf/api/shares", json={"path": path})
        assert r.status_code == 400, path


# ----------------------------------------------------------------------------- Rackspace
@pytest.mark.swift
async def test_rackspace_cdn_enabled_public_container(swift_server: SwiftServer) -> None:
    """Cloud Files: the public container is CDN-enabled through the catalog's CDN
    management endpoint. The identity service and the CDN are a FAKE stand-in
    (tests/servers/rackspace_identity.py); the object storage is the real Swift."""
    storage = swift_server.storage_url("test")
    with RackspaceIdentity(swift_server.auth_url, {"DFW": storage}) as ident:
        store = SwiftStore.from_url(
            "swift://rack-notebooks",
            account_name="rackuser",
            account_key="rack-api-key-0123",
            auth_endpoint=ident.url,
            region="DFW",
            environ={},
        )
        try:
            await store.check()
            await store.put("cdn.ipynb", __import__("json").dumps(notebook()).encode())
            service = ShareService(store)
            share = await service.create("cdn.ipynb", "public")
            assert ident.cdn_enabled == {"rack-notebooks_public"}
            assert ("PUT", "rack-notebooks_public") in ident.cdn_requests
            edge = ident.cdn_uri("rack-notebooks_public")
            assert share.urls["html"] == f"{edge}/{share.id}/cdn.html"
            check_published(share.to_api())
            assert store.requests["CDN"] == 1
            await service.revoke(share.id)
            assert anonymous(share.urls["html"]).status_code == 404
        finally:
            await store.close()


# ----------------------------------------------------------------------------- S3
def _s3_served(tmp: Path, endpoint: str, key: str, secret: str, bucket: str) -> NbshelfServer:
    env = clean_env(
        AWS_ACCESS_KEY_ID=key,
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_ENDPOINT_URL_S3=endpoint,
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
    )
    return NbshelfServer(tmp, store=f"s3://{bucket}/users/alice", env=env).start()


def _boto(endpoint: str, key: str, secret: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
    )


@pytest.fixture(scope="module", params=["moto", "swift-s3api"])
def s3_served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, NbshelfServer, Any]]:
    if request.param == "moto":
        moto = request.getfixturevalue("moto_server")
        endpoint, key, secret = moto.endpoint, moto.access_key, moto.secret_key
    else:
        swift = request.getfixturevalue("swift_server")
        endpoint, key, secret = swift.endpoint, "test:tester", "testing"
    boto = _boto(endpoint, key, secret)
    bucket = f"share-{request.param}"
    boto.create_bucket(Bucket=bucket)
    srv = _s3_served(
        tmp_path_factory.mktemp(f"share-{request.param}"), endpoint, key, secret, bucket
    )
    yield request.param, srv, boto
    srv.stop()


@pytest.mark.s3
def test_s3_expiring_presigned(s3_served: tuple[str, NbshelfServer, Any]) -> None:
    _, srv, _ = s3_served
    save(srv, "s3exp.ipynb", notebook())
    r = srv.api(
        "POST",
        "/nbshelf/api/shares",
        json={"path": "s3exp.ipynb", "kind": "expiring", "expires_in": "1d"},
    )
    assert r.status_code == 201, r.text
    share = r.json()
    assert "X-Amz-Signature=" in share["urls"]["html"]
    check_published(share)
    r = srv.api(
        "POST",
        "/nbshelf/api/shares",
        json={"path": "s3exp.ipynb", "kind": "expiring", "expires_in": "8d"},
    )
    assert r.status_code == 400 and "7 days" in r.json()["message"]
    r = srv.api(
        "POST",
        "/nbshelf/api/shares",
        json={"path": "s3exp.ipynb", "kind": "expiring", "expires_in": -1},
    )
    assert r.status_code == 400
    srv.api("DELETE", f"/nbshelf/api/shares/{share['id']}")
    assert anonymous(share["urls"]["html"]).status_code == 404


@pytest.mark.s3
def test_s3_public_where_allowed(s3_served: tuple[str, NbshelfServer, Any]) -> None:
    name, srv, boto = s3_served
    save(srv, "s3pub.ipynb", notebook())
    r = srv.api("POST", "/nbshelf/api/shares", json={"path": "s3pub.ipynb", "kind": "public"})
    print(f"{name}: public share answered {r.status_code}")
    if r.status_code == 409:  # the bucket refuses public ACLs: a clear message, nothing left
        assert name == "swift-s3api", r.text
        assert "expiring" in r.json()["message"]
        listed = boto.list_objects_v2(Bucket="share-swift-s3api", Prefix="users/alice/.nbshelf/")
        assert not [o for o in listed.get("Contents", []) if "/shared/" in o["Key"]]
        return
    assert r.status_code == 201, r.text
    share = r.json()
    assert share["urls"]["nbviewer"].startswith("https://nbviewer.org/url/")
    check_published(share)
    key = share["urls"]["notebook"].split(f"/share-{name}/", 1)[1]
    grants = boto.get_object_acl(Bucket=f"share-{name}", Key=key)["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/global/AllUsers") for g in grants)
    # the notebook itself was not made public
    own = boto.get_object_acl(Bucket=f"share-{name}", Key="users/alice/s3pub.ipynb")["Grants"]
    assert not any(g["Grantee"].get("URI", "").endswith("/global/AllUsers") for g in own)
    srv.api("DELETE", f"/nbshelf/api/shares/{share['id']}")
    assert anonymous(share["urls"]["html"]).status_code in (403, 404)
