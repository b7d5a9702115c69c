"""How the S3 store resolves its settings (the AWS CLI's conventions); no server needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbshelf.stores import open_store
from nbshelf.stores.errors import StoreError
from nbshelf.stores.obstore import AzureStore, GCSStore, S3Store
from nbshelf.stores.obstore.aws import resolve


@pytest.fixture
def aws_files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "credentials").write_text(
        "[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsecret\n"
        "[work]\naws_access_key_id = WORKKEY\naws_secret_access_key = worksecret\n"
        "aws_session_token = worktoken\n"
    )
    (tmp_path / "config").write_text(
        "[default]\nregion = eu-west-1\n"
        "[profile work]\nregion = ca-central-1\nendpoint_url = https://s3.work.example\n"
    )
    return {
        "HOME": str(tmp_path),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
    }


def test_default_profile(aws_files: dict[str, str]) -> None:
    s = resolve("b", {}, aws_files)
    assert (s.access_key_id, s.secret_access_key, s.region) == ("DEFKEY", "defsecret", "eu-west-1")
    assert s.endpoint is None and s.virtual_hosted  # AWS itself: virtual-hosted addressing


def test_aws_profile_env(aws_files: dict[str, str]) -> None:
    s = resolve("b", {}, {**aws_files, "AWS_PROFILE": "work"})
    assert (s.access_key_id, s.session_token, s.region) == ("WORKKEY", "worktoken", "ca-central-1")
    assert s.endpoint == "https://s3.work.example" and not s.virtual_hosted  # path-style


def test_env_keys_beat_aws_profile_but_not_profile_option(aws_files: dict[str, str]) -> None:
    env = {
        **aws_files,
        "AWS_PROFILE": "work",
        "AWS_ACCESS_KEY_ID": "ENVKEY",
        "AWS_SECRET_ACCESS_KEY": "envsecret",
        "AWS_SESSION_TOKEN": "envtoken",
        "AWS_REGION": "us-west-2",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
    }
    s = resolve("b", {}, env)
    assert (s.access_key_id, s.session_token, s.region) == ("ENVKEY", "envtoken", "us-west-2")
    assert s.endpoint == "http://127.0.0.1:9000" and s.allow_http and not s.virtual_hosted
    s = resolve("b", {"profile": "work"}, env)
    assert s.access_key_id == "WORKKEY"
    s = resolve("b", {"access_key_id": "OPT", "secret_access_key": "x", "region": "r"}, env)
    assert (s.access_key_id, s.region, s.credentials_from) == ("OPT", "r", "the store options")


def test_addressing_and_http(aws_files: dict[str, str]) -> None:
    s = resolve("b", {"endpoint_url": "http://localhost:9000/", "addressing": "virtual"}, aws_files)
    assert s.endpoint == "http://b.localhost:9000" and s.virtual_hosted and s.allow_http
    with pytest.raises(StoreError, match="addressing"):
        resolve("b", {"addressing": "sideways"}, aws_files)
    with pytest.raises(StoreError, match="allow_http"):
        resolve("b", {"endpoint_url": "http://10.0.0.5:9000"}, aws_files)


def test_missing_profile_is_a_clear_error(aws_files: dict[str, str]) -> None:
    with pytest.raises(StoreError, match="AWS profile 'nope' not found"):
        resolve("b", {}, {**aws_files, "AWS_PROFILE": "nope"})


def test_half_a_key_pair(aws_files: dict[str, str]) -> None:
    with pytest.raises(StoreError, match="both access_key_id and secret_access_key"):
        resolve("b", {"access_key_id": "K"}, aws_files)


def test_secret_not_in_repr(aws_files: dict[str, str]) -> None:
    assert "defsecret" not in repr(resolve("b", {}, aws_files))


def test_urls_and_templated_prefix() -> None:
    store = open_store(
        "s3://bucket/users/{username}",
        endpoint_url="http://127.0.0.1:9",
        access_key_id="k",
        secret_access_key="s",
        username="alice",
        page_size="250",
    )
    assert isinstance(store, S3Store)
    assert store.prefix == "users/alice/" and store.page_size == 250
    assert store.location == "s3://bucket at http://127.0.0.1:9"
    assert store.public_url("n b.ipynb") == "http://127.0.0.1:9/bucket/users/alice/n%20b.ipynb"
    with pytest.raises(StoreError, match="expected s3://bucket"):
        S3Store.from_url("s3:///nobucket")


def test_gcs_and_azure_build() -> None:
    gcs = open_store("gs://my-bucket/pre", skip_signature=True)
    assert isinstance(gcs, GCSStore) and gcs.location == "gs://my-bucket"
    az = open_store("az://box/pre", account_name="acct", account_key="a2V5")
    assert isinstance(az, AzureStore) and az.prefix == "pre/"
    assert az.public_url("x") == "https://acct.blob.core.windows.net/box/pre/x"


def test_copy_is_signed_here_only_with_static_keys_and_plain_config() -> None:
    """The CopyObject is sent by nbshelf (no HEAD after it) only when it would be the same
    request obstore sends: static keys, and no S3Config option obstore adds to a copy."""
    common = {"endpoint_url": "http://127.0.0.1:9000", "access_key_id": "k"}
    plain = S3Store.from_url("s3://b/p", secret_access_key="s", **common)
    assert plain.signs_requests and plain._plain_config
    sse = S3Store.from_url(
        "s3://b/p", secret_access_key="s", server_side_encryption="AES256", **common
    )
    assert sse.signs_requests and not sse._plain_config


def test_requests_sent_beside_obstore_wait_as_long_as_obstore() -> None:
    """The PUTs and COPYs nbshelf signs itself (httpx) take obstore's timeouts, so a
    stalled answer is retried as soon as obstore's would be (a 30 s httpx default once
    outlasted the save's 20 s deadline)."""
    common = {"endpoint_url": "http://127.0.0.1:9000", "access_key_id": "k"}
    store = S3Store.from_url(
        "s3://b/p", secret_access_key="s", timeout="1m 30s", connect_timeout="1500ms", **common
    )
    timeout = store.http_client().timeout
    assert (timeout.connect, timeout.read, timeout.write) == (1.5, 90.0, 90.0)
    default = S3Store.from_url("s3://b/p", secret_access_key="s", **common).http_client()
    assert (default.timeout.connect, default.timeout.read) == (5.0, 300.0)


@pytest.mark.parametrize("bad", ["soon", "5 parsecs", "0s", "-1s"])
def test_a_timeout_that_is_no_duration_is_a_clear_error(bad: str) -> None:
    with pytest.raises(StoreError, match=r"timeout .* (is not a duration|longer than nothing)"):
        S3Store.from_url("s3://b/p", endpoint_url="http://127.0.0.1:9000", timeout=bad)
