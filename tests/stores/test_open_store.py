"""Opening a store: the one ``{username}`` rule, typed options, capabilities, local paths.

No server is needed: these build stores (a Swift store makes no request until used).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nbshelf import ShelfContentsManager
from nbshelf.stores import (
    StoreError,
    SupportsPublicLinks,
    SupportsSignedLinks,
    open_store,
)
from nbshelf.stores.local import TEMP_PREFIX, LocalStore
from nbshelf.stores.swift import SwiftStore

SWIFT = {
    "auth_url": "http://127.0.0.1:9/auth/v1.0",
    "account_name": "test:tester",
    "account_key": "testing",
    "environ": {},
}
S3 = {"endpoint_url": "http://127.0.0.1:9", "access_key_id": "k", "secret_access_key": "s"}


# ---------------------------------------------------------------- {username}
def test_prefix_is_url_prefix_then_prefix_argument_with_username_filled() -> None:
    store = open_store("memory://u/base/{username}", prefix="nb/{username}", for_user="ann")
    assert store.prefix == "base/ann/nb/ann/"


def test_username_defaults_to_jupyterhub_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")
    assert open_store("memory://u/users/{username}").prefix == "users/hubuser/"
    assert open_store("memory://u/users/{username}", for_user="me").prefix == "users/me/"


@pytest.mark.parametrize("old", ["notebook_user", "username_for_prefix"])
def test_old_spellings_of_the_username(old: str) -> None:
    store = open_store("s3://b/users/{username}", **S3, **{old: "bea"})
    assert store.prefix == "users/bea/"
    swift = SwiftStore.from_url("swift://c/{username}", **SWIFT, **{old: "bea"})
    assert swift.prefix == "bea/"
    with pytest.raises(StoreError, match="two user names"):
        open_store("memory://u/{username}", for_user="a", **{old: "b"})


@pytest.mark.parametrize("bad", ["../x", "a/b", "..", ".", "a\\b", "a\x00b", "tab\there"])
def test_a_username_cannot_leave_its_prefix(bad: str) -> None:
    with pytest.raises(StoreError, match="one path segment"):
        open_store("memory://u/users/{username}", for_user=bad)
    with pytest.raises(StoreError, match="one path segment"):
        SwiftStore.from_url("swift://nb-{username}", for_user=bad, **SWIFT)


def test_swift_container_may_hold_the_username_others_not() -> None:
    store = SwiftStore.from_url("swift://nb-{username}/p", for_user="cy", **SWIFT)
    assert store.container == "nb-cy" and store.prefix == "p/"
    legacy = SwiftStore.from_url(
        "swift://", container_name="box-{username}", for_user="cy", **SWIFT
    )
    assert legacy.container == "box-cy"
    with pytest.raises(StoreError, match="part of the prefix"):
        open_store("s3://b-{username}/p", for_user="cy", **S3)


def test_the_manager_applies_the_same_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "dora")
    cm = ShelfContentsManager(
        store_url="memory://mgr/{username}",
        prefix="users/{username}",
        store_options={"prefix": "opt"},
    )
    assert cm.store.prefix == "dora/opt/users/dora/"
    cm = ShelfContentsManager(
        store_url="memory://mgr", prefix="users/{username}", store_options={"username": "eve"}
    )
    assert cm.store.prefix == "users/eve/"


# ---------------------------------------------------------------- typed options
@pytest.mark.parametrize(
    ("url", "options", "backend"),
    [
        ("memory://o", {}, "memory"),
        ("/tmp/nbshelf-options-test", {}, "local"),
        ("swift://c", SWIFT, "swift"),
    ],
)
def test_an_unknown_option_names_the_valid_ones(url: str, options: dict, backend: str) -> None:
    with pytest.raises(StoreError) as e:
        open_store(url, **options, no_such_option=1)
    message = str(e.value)
    assert f"unknown {backend} store option 'no_such_option'" in message
    assert "page_size" in message and "retries" in message


def test_unknown_obstore_option_names_nbshelfs_own() -> None:
    with pytest.raises(StoreError, match="unknown store option") as e:
        open_store("s3://b", **S3, no_such_option="1")
    assert "endpoint_url" in str(e.value) and "chunk_size" in str(e.value)


def test_options_are_typed_once() -> None:
    store = open_store("memory://t", page_size="7", retries="0", deadline="2.5")
    assert store.page_size == 7 and store.retry.retries == 0 and store.retry.deadline == 2.5
    with pytest.raises(StoreError, match="page_size='many' must be a whole number"):
        open_store("memory://t", page_size="many")
    swift = SwiftStore.from_url("swift://c", copy_head="true", retries="1", **SWIFT)
    assert swift.copy_head is True and swift.retry.retries == 1
    with pytest.raises(StoreError, match="copy_head='maybe' must be true or false"):
        SwiftStore.from_url("swift://c", copy_head="maybe", **SWIFT)


# ---------------------------------------------------------------- capabilities
def test_capabilities_are_protocols() -> None:
    memory = open_store("memory://cap")
    s3 = open_store("s3://b", **S3)
    gcs = open_store("gs://b", skip_signature=True)
    az = open_store("az://c", account_name="acct", account_key="a2V5")
    swift = SwiftStore.from_url("swift://c", **SWIFT)
    assert not isinstance(memory, (SupportsSignedLinks, SupportsPublicLinks))
    for store in (s3, gcs, az, swift):
        assert isinstance(store, SupportsSignedLinks)
    assert isinstance(s3, SupportsPublicLinks) and isinstance(swift, SupportsPublicLinks)
    assert not isinstance(gcs, SupportsPublicLinks) and not isinstance(az, SupportsPublicLinks)
    assert s3.max_signed_expiry == 7 * 86400 and swift.max_signed_expiry is None


# ---------------------------------------------------------------- local paths
async def test_local_path_and_hidden_temp_files(tmp_path: Path) -> None:
    store = open_store(str(tmp_path), prefix="pre")
    assert isinstance(store, LocalStore)
    assert store.local_path("a/b.ipynb") == str(tmp_path / "pre" / "a" / "b.ipynb")
    assert store.local_path("") == str(tmp_path / "pre")
    assert open_store(str(tmp_path)).local_path("") == str(tmp_path)
    assert open_store("memory://lp").local_path("a") is None
    await store.put("a/b.ipynb", b"{}")
    (tmp_path / "pre" / "a" / f"{TEMP_PREFIX}half-written").write_bytes(b"{")
    listed = await store.list("a/")
    assert [o.key for o in listed.objects] == ["a/", "a/b.ipynb"]  # its marker, its file
    flat = await store.list_all("", delimiter=None)
    assert not [o.key for o in flat.objects if TEMP_PREFIX in o.key]
