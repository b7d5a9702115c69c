"""Contents-level request counts on S3 (moto and Swift's s3api), at the store's counter
and at the server: a checkpoint is 1 COPY (+ the LIST that prunes), no HEAD; a folder
delete sends the raw DELETE of ``a/b/`` only when another tool wrote that marker."""

from __future__ import annotations

import pytest

from nbshelf.contents.manager import ShelfContentsManager
from nbshelf.stores import ObjectStore
from tests.servers.backends import S3, Backend
from tests.servers.counting_proxy import CountingProxy

pytestmark = pytest.mark.backends(*S3)

NB = {
    "type": "notebook",
    "format": "json",
    "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
}


def _manager(store: ObjectStore) -> ShelfContentsManager:
    return ShelfContentsManager(store_instance=store, delete_to_trash=False, always_delete_dir=True)


def _raw_marker_deletes(proxy: CountingProxy) -> list[str]:
    return [r.path for r in proxy.snapshot() if r.method == "DELETE" and r.path.endswith("/")]


async def test_checkpoint_is_one_copy_and_its_time_is_the_stored_one(backend: Backend) -> None:
    cm = _manager(backend.store)
    await cm.save(dict(NB), "nb.ipynb")
    backend.reset()
    ckpt = await cm.checkpoints.create_checkpoint(cm, "nb.ipynb")
    backend.assert_counts({"COPY": 1, "LIST": 1})  # COPY, then the prune's LIST
    listed = await cm.checkpoints.list_checkpoints("nb.ipynb")
    assert [c["id"] for c in listed] == [ckpt["id"]]
    assert listed[0]["last_modified"] == ckpt["last_modified"]  # whole seconds, both
    backend.reset()
    await cm.checkpoints.restore_checkpoint(cm, ckpt["id"], "nb.ipynb")
    backend.assert_counts({"COPY": 1})


async def test_folder_delete_sends_no_raw_delete_without_a_foreign_marker(
    backend: Backend,
) -> None:
    assert backend.proxy is not None and backend.s3 is not None
    proxy, boto, bucket = backend.proxy, backend.s3.boto(), backend.container
    cm = _manager(backend.store)
    await cm.new(model={"type": "directory"}, path="mine")
    await cm.save(dict(NB), "mine/a.ipynb")
    backend.reset()
    await cm.delete("mine")
    assert _raw_marker_deletes(proxy) == []  # our marker went in the DeleteObjects batch

    boto.put_object(Bucket=bucket, Key="pre/console/", Body=b"")  # the S3 console's folder
    boto.put_object(Bucket=bucket, Key="pre/console/b.ipynb", Body=b"{}")
    backend.reset()
    await cm.delete("console")
    assert _raw_marker_deletes(proxy) == [f"/{bucket}/pre/console/"]  # seen when listed
    assert boto.list_objects_v2(Bucket=bucket, Prefix="pre/console").get("KeyCount", 0) == 0
