"""Store refusals are named (issue 11, part 5), against a real ``nbshelf serve`` over HTTP
and real refusals, no fault injection:

* S3 on moto with its IAM checks on (tests/servers/moto_iam.py): a scoped key that may
  write but not delete, one that may not delete under ``protected/``, a read-only one;
* the real Swift with a user (``test:tester3``) that the container's ACL lets read only.

A refused operation is a 403 saying which operation the store refused and that the
credentials lack that permission (before: 503 "request failed (GenericError)"); a rename
whose source may not be deleted removes its copy where the store lets it, and otherwise
says that both copies exist.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import Ledger, swift_env
from tests.servers.jupyter import NbshelfServer
from tests.servers.swift import SwiftServer
from tests.share.helpers import clean_env, notebook

PREFIX = "users/alice"


def s3_server(tmp: Path, moto: Any, user: str, bucket: str) -> NbshelfServer:
    key, secret = moto.users[user]
    env = clean_env(
        AWS_ACCESS_KEY_ID=key,
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_ENDPOINT_URL_S3=moto.endpoint,
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
    )
    tmp.mkdir()
    return NbshelfServer(tmp, store=f"s3://{bucket}/{PREFIX}", env=env).start()


def nb_body(text: str = "x") -> bytes:
    return json.dumps(notebook(f"print({text!r})")).encode()


def keys(admin: Any, bucket: str) -> set[str]:
    listed = admin.list_objects_v2(Bucket=bucket, Prefix=f"{PREFIX}/")
    return {o["Key"][len(PREFIX) + 1 :] for o in listed.get("Contents", [])}


def denied(r: Any, operation: str) -> str:
    assert r.status_code == 403, r.text
    message = str(r.json()["message"])
    assert f"refused to {operation}" in message, message
    assert "lack the permission" in message, message
    assert "GenericError" not in message
    return message


@pytest.fixture(scope="module")
def moto_iam(moto_iam_server: Any) -> Any:
    return moto_iam_server


@pytest.fixture
def bucket(moto_iam: Any) -> Iterator[str]:
    name = f"refusals-{uuid.uuid4().hex[:10]}"
    admin = moto_iam.client("s3")
    admin.create_bucket(Bucket=name)
    for k in ("protected/a.ipynb", "protected/b.ipynb", "work/c.ipynb", "plain.ipynb"):
        admin.put_object(Bucket=name, Key=f"{PREFIX}/{k}", Body=nb_body(k))
    yield name


@pytest.mark.s3
def test_rename_whose_source_may_not_be_deleted_is_403_saying_both_copies_exist(
    moto_iam: Any, bucket: str, tmp_path: Path, ledger: Ledger
) -> None:
    """A key that may write but not delete (no s3:DeleteObject): the copy lands, the
    delete is refused, and so is removing the copy: the answer says so, by name."""
    admin = moto_iam.client("s3")
    srv = s3_server(tmp_path / "root", moto_iam, "nodelete", bucket)
    try:
        before = keys(admin, bucket)
        r = srv.api("PATCH", "/api/contents/plain.ipynb", json={"path": "renamed.ipynb"})
        message = denied(r, "delete")
        assert "could not be removed either" in message and "renamed.ipynb" in message
        assert keys(admin, bucket) == before | {"renamed.ipynb"}  # nothing lost
        r = srv.api("PATCH", "/api/contents/protected", json={"path": "moved"})
        message = denied(r, "delete")
        assert "2 objects" in message
        # a delete (to the trash: copied, then the delete refused): 403, the file kept
        r = srv.api("DELETE", "/api/contents/work/c.ipynb")
        denied(r, "delete")
        assert srv.api("GET", "/api/contents/work/c.ipynb").status_code == 200
        # what the key may do still works
        r = srv.api(
            "PUT", "/api/contents/new.ipynb", json={"type": "notebook", "content": notebook()}
        )
        assert r.status_code == 201, r.text
    finally:
        srv.stop()
    ledger.add("faults", "store refused a delete (S3 AccessDenied, moto IAM)", 3)
    ledger.lost("rename with a refused delete", 0)


@pytest.mark.s3
def test_a_read_only_key_gets_403_naming_the_write(
    moto_iam: Any, bucket: str, tmp_path: Path, ledger: Ledger
) -> None:
    srv = s3_server(tmp_path / "root", moto_iam, "readonly", bucket)
    try:
        assert srv.api("GET", "/api/contents/plain.ipynb").status_code == 200
        r = srv.api(
            "PUT", "/api/contents/plain.ipynb", json={"type": "notebook", "content": notebook()}
        )
        denied(r, "write")
        r = srv.api("PUT", "/api/contents/newdir", json={"type": "directory"})
        denied(r, "write")
    finally:
        srv.stop()
    ledger.add("faults", "store refused a write (S3 AccessDenied, moto IAM)", 2)


@pytest.fixture
def swift_read_only(swift_server: SwiftServer, tmp_path: Path) -> Iterator[NbshelfServer]:
    """A container the admin fills and lets ``test:tester3`` read, not write."""
    import swiftclient

    container = f"refusals-{uuid.uuid4().hex[:8]}"
    admin = swiftclient.Connection(authurl=swift_server.auth_url, user="test:tester", key="testing")
    admin.put_container(container, headers={"X-Container-Read": "test:tester3"})
    admin.put_object(container, "kept.ipynb", nb_body("kept"))
    env = swift_env(swift_server.auth_url)
    env.update(ST_USER="test:tester3", ST_KEY="testing3")
    root = tmp_path / "root"
    root.mkdir()
    srv = NbshelfServer(root, store=f"swift://{container}", env=env).start()
    yield srv
    srv.stop()


@pytest.mark.swift
def test_swift_acl_refusals_are_403_naming_the_operation(
    swift_read_only: NbshelfServer, ledger: Ledger
) -> None:
    srv = swift_read_only
    assert srv.api("GET", "/api/contents/kept.ipynb").status_code == 200
    r = srv.api("PUT", "/api/contents/kept.ipynb", json={"type": "notebook", "content": notebook()})
    message = denied(r, "write")
    assert "test:tester3" in message and "testing3" not in message
    r = srv.api("PATCH", "/api/contents/kept.ipynb", json={"path": "moved.ipynb"})
    denied(r, "copy")
    r = srv.api("DELETE", "/api/contents/kept.ipynb")
    assert r.status_code == 403, r.text
    assert srv.api("GET", "/api/contents/kept.ipynb").status_code == 200
    assert srv.api("GET", "/api/contents/moved.ipynb").status_code == 404
    ledger.add("faults", "store refused a write, copy, delete (Swift ACL, HTTP 403)", 3)
