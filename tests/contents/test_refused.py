"""Store refusals are named (issue 11, part 5), below the HTTP level: the typed error each
backend's translation gives for a 403, the 403 the contents layer answers, and a move
whose source the store may not delete (its copies removed where the store lets it).

The end-to-end cases against real refusals (moto with IAM checks, Swift ACLs) are in
tests/reliability/test_store_refusals.py; moto cannot refuse deletes under one folder
only (it authorises a bulk delete against the bucket), so that branch is shown here with
a memory store that refuses deletes under ``protected/``: a stand-in, said so.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from tornado.web import HTTPError

from nbshelf import ShelfContentsManager
from nbshelf.contents.errors import http_error
from nbshelf.stores import AuthFailed, PermissionDenied
from nbshelf.stores.memory import MemoryStore
from nbshelf.stores.obstore.errors import ResponseError, translate

HINTS = {"auth": "check the key", "region": "r", "bucket": "b", "endpoint": "e"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("status code: 403, <Code>AccessDenied</Code>", PermissionDenied),
        (
            "Generic S3 error: DeleteObjects request failed for key a: Access Denied "
            "(code: AccessDenied)",
            PermissionDenied,
        ),
        ("status code: 403, <Code>AuthorizationPermissionMismatch</Code>", PermissionDenied),
        ("status code: 403", PermissionDenied),  # a HEAD: S3 gives no body
        ("status code: 403, <Code>SignatureDoesNotMatch</Code>", AuthFailed),
        ("status code: 403, <Code>InvalidAccessKeyId</Code>", AuthFailed),
        ("status code: 401", AuthFailed),
    ],
)
def test_s3_refusals_are_told_from_bad_credentials(text: str, kind: type) -> None:
    err = translate(Exception(text), store="s3://b", key="k", hints=HINTS)
    assert type(err) is kind


def test_a_refusal_is_403_naming_the_operation_and_the_missing_permission() -> None:
    e = PermissionDenied("AccessDenied", store="s3://b", key="users/a/x.ipynb", operation="write")
    err = http_error(e, "x.ipynb")
    assert err.status_code == 403
    assert "refused to write 'x.ipynb'" in str(err.log_message)
    assert "lack the permission to write" in str(err.log_message)
    bad = http_error(AuthFailed("bad key", store="s3://b"), "x.ipynb")
    assert bad.status_code == 503  # wrong credentials: what to check, not a refusal


async def test_the_store_interface_names_the_operation() -> None:
    class Refusing(MemoryStore):
        async def _put(self, key: str, body: object, *args: object) -> object:  # type: ignore[override]
            raise translate(
                ResponseError(403, b"<Code>AccessDenied</Code>"), store="m", key=key, hints=HINTS
            )

    store = Refusing("refusing-op")
    with pytest.raises(PermissionDenied) as e:
        await store.put("a.txt", b"x")
    assert e.value.operation == "write"


class ProtectedStore(MemoryStore):
    """Deletes under ``protected/`` are refused (as an S3 policy denying
    s3:DeleteObject on that folder would); everything else is allowed."""

    refused = "protected/"

    async def _delete(self, keys: Sequence[str]) -> None:
        allowed = [k for k in keys if not k.startswith(self.refused)]
        await super()._delete(allowed)  # a bulk delete: the allowed keys go
        if len(allowed) < len(keys):
            raise PermissionDenied("AccessDenied", store=self.description, key=keys[0])


@pytest.fixture
def protected(tmp_path: Path) -> ShelfContentsManager:
    store = ProtectedStore(f"protected-{tmp_path.name}")
    return ShelfContentsManager(root_dir=str(tmp_path), store_instance=store)


async def test_a_move_whose_source_may_not_be_deleted_leaves_no_second_copy(
    protected: ShelfContentsManager,
) -> None:
    store = protected.store
    for k in ("protected/a.txt", "protected/b.txt", "protected/sub/c.txt"):
        await store.put(k, k.encode())
    before = {o.key for o in (await store.list_all("", delimiter=None)).objects}
    with pytest.raises(HTTPError) as e:
        await protected.rename("protected/a.txt", "work/a.txt")
    assert e.value.status_code == 403
    assert "refused to delete" in str(e.value.log_message)
    assert "the copies were removed again, so nothing moved" in str(e.value.log_message)
    with pytest.raises(HTTPError) as e:
        await protected.rename("protected", "moved")
    assert e.value.status_code == 403 and "3 objects" in str(e.value.log_message)
    after = {o.key for o in (await store.list_all("", delimiter=None)).objects}
    assert {k for k in after if not k.startswith(".nbshelf/")} == before
    assert not [k for k in after if k.startswith(".nbshelf/ops/")]  # no journal left


async def test_sources_already_deleted_keep_their_copies(tmp_path: Path) -> None:
    """A bulk delete that removed some sources before refusing others: those copies are
    the only copies now, so they stay; the copies of the sources left are removed."""
    store = ProtectedStore(f"mixed-{tmp_path.name}")
    store.refused = "f/locked/"
    cm = ShelfContentsManager(root_dir=str(tmp_path), store_instance=store)
    await store.put("f/free.txt", b"free")
    await store.put("f/locked/kept.txt", b"kept")
    with pytest.raises(HTTPError) as e:
        await cm.rename("f", "g")
    assert e.value.status_code == 403
    assert "1 object(s) had been deleted before the refusal" in str(e.value.log_message)
    assert (await store.get("g/free.txt")).data == b"free"  # its only copy: kept
    assert (await store.get("f/locked/kept.txt")).data == b"kept"
    assert not await cm.file_exists("g/locked/kept.txt")
