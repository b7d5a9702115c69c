"""Contents-level request counts on S3 (moto and Swift's s3api), at the store's counter
and at the server: a checkpoint is 1 COPY (+ the LIST that prunes), no HEAD; a folder
delete sends the raw DELETE of ``a/b/`` only when another tool wrote that marker."""

from __future__ import annotations

from typing import Any

import pytest
from tests.s3._helpers import assert_counts, reset
from tests.servers.counting_proxy import CountingProxy

from nbshelf.contents.manager import ShelfContentsManager
from nbshelf.stores.obstore.s3 import S3Store

pytestmark = pytest.mark.s3

NB = {
    "type": "notebook",
    "format": "json",
    "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
}


def _manager(store: S3Store) -> ShelfContentsManager:
    return ShelfContentsManager(store_instance=store, delete_to_trash=False, always_delete_dir=True)


def _raw_marker_deletes(proxy: CountingProxy) -> list[str]:
    return [r.path for r in proxy.snapshot() if r.method == "DELETE" and r.path.endswith("/")]


async def test_checkpoint_is_one_copy_and_its_time_is_the_stored_one(
    store: S3Store, proxy: CountingProxy
) -> None:
    cm = _manager(store)
    await cm.save(dict(NB), "nb.ipynb")
    reset(store, proxy)
    ckpt = await cm.checkpoints.create_checkpoint(cm, "nb.ipynb")
    assert_counts(store, proxy, {"COPY": 1, "LIST": 1})  # COPY, then the prune's LIST
    listed = await cm.checkpoints.list_checkpoints("nb.ipynb")
    assert [c["id"] for c in listed] == [ckpt["id"]]
    assert listed[0]["last_modified"] == ckpt["last_modified"]  # whole seconds, both
    reset(store, proxy)
    await cm.checkpoints.restore_checkpoint(cm, ckpt["id"], "nb.ipynb")
    assert_counts(store, proxy, {"COPY": 1})


async def test_folder_delete_sends_no_raw_delete_without_a_foreign_marker(
    store: S3Store, proxy: CountingProxy, boto: Any, bucket: str
) -> None:
    cm = _manager(store)
    await cm.new(model={"type": "directory"}, path="mine")
    await cm.save(dict(NB), "mine/a.ipynb")
    reset(store, proxy)
    await cm.delete("mine")
    assert _raw_marker_deletes(proxy) == []  # our marker went in the DeleteObjects batch

    boto.put_object(Bucket=bucket, Key="pre/console/", Body=b"")  # the S3 console's folder
    boto.put_object(Bucket=bucket, Key="pre/console/b.ipynb", Body=b"{}")
    reset(store, proxy)
    await cm.delete("console")
    assert _raw_marker_deletes(proxy) == [f"/{bucket}/pre/console/"]  # seen when listed
    assert boto.list_objects_v2(Bucket=bucket, Prefix="pre/console").get("KeyCount", 0) == 0
