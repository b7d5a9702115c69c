"""The isolation test of test_s3_hub.py with one bucket per user
(``S3Issuer(bucket="nbshelf-{username}", prefix="")``): here moto can refuse alice the
listing of bob's notebooks too (the role's policy names one bucket; in a shared bucket
the listing is fenced by an ``s3:prefix`` condition, which moto ignores). Real
JupyterHub, real Unix users, moto with its IAM checks on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .iam import HubIAM, setup_hub_iam
from .jupyterhub import Hub, UserServer
from .test_s3_hub import ALICE, BOB, attack_and_check, start_s3_hub

pytestmark = pytest.mark.s3

BUCKETS = "nbshelf-{username}"


@pytest.fixture(scope="module")
def hub_iam(moto_iam_server: Any) -> HubIAM:
    return setup_hub_iam(
        moto_iam_server, BUCKETS, [ALICE, BOB], prefix="", role_prefix="nbshelf-b-"
    )


@pytest.fixture(scope="module")
def hub(hub_iam: HubIAM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    h = start_s3_hub(hub_iam, tmp_path_factory.mktemp("jupyterhub-buckets"), 900)
    yield h
    h.stop()


def test_alice_cannot_list_read_write_or_delete_in_bobs_bucket(
    hub: Hub, hub_iam: HubIAM, moto_iam_server: Any
) -> None:
    servers: dict[str, UserServer] = {name: hub.start_server(name) for name in (BOB, ALICE)}
    status = servers[ALICE].api("GET", "/nbshelf/api/hub").json()
    assert status["store_url"] == f"s3://nbshelf-{ALICE}"
    attack_and_check(
        hub,
        servers,
        hub_iam,
        moto_iam_server,
        where={u: (BUCKETS.replace("{username}", u), "") for u in (ALICE, BOB)},
        list_enforced=True,
    )
