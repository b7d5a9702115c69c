"""Many users through one real JupyterHub: N single-user servers (Unix users
nbshelf-u01 ...), each with its own scoped, short-lived S3 credentials from the hub, each
saving and listing notebooks at the same time; 0 errors, and every notebook in its own
user's prefix only. Beside them, 3 servers without nbshelf (jupyter_server's own file
manager, nbshelf's extensions off) for the memory baseline.

Measured, not asserted (machine-dependent): each server's spawn time (POST to ready, as
the hub's REST API reports it, 1-s polling) and memory (PSS of the server process, after
its work). Written to build/hub-scale/result.json and reported in docs/performance.md.

Slow (minutes): runs when NBSHELF_HUB_SCALE_USERS is set (e.g. 12); skipped otherwise.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ..servers import ServerUnavailable
from .iam import setup_hub_iam
from .jupyterhub import REPO, Hub, UserServer, require_hub_tools, start_hub

pytestmark = pytest.mark.s3

USERS = int(os.environ.get("NBSHELF_HUB_SCALE_USERS", "0") or 0)
BUCKET = "hub-scale"
PLAIN = [f"nbshelf-plain{i}" for i in range(1, 4)]
SAVES = 5

#: test-only: the baseline users' servers run without nbshelf
PLAIN_HOOK = """
def _plain(spawner):
    if spawner.user.name.startswith("nbshelf-plain"):
        spawner.args = [a for a in spawner.args if "contents_manager_class" not in a] + [
            "--ServerApp.jpserver_extensions", "nbshelf=False",
        ]
c.Spawner.pre_spawn_hook = _plain
"""


@pytest.fixture(scope="module")
def names() -> list[str]:
    if USERS <= 0:
        pytest.skip("set NBSHELF_HUB_SCALE_USERS (e.g. 12) to run the scale test (minutes)")
    return [f"nbshelf-u{i:02d}" for i in range(1, USERS + 1)]


@pytest.fixture(scope="module")
def hub(
    names: list[str], moto_iam_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hub]:
    try:
        require_hub_tools()
    except ServerUnavailable as e:
        pytest.skip(str(e))
    iam = setup_hub_iam(moto_iam_server, BUCKET, names)
    state = tmp_path_factory.mktemp("jupyterhub-scale")
    state.chmod(0o755)
    h = start_hub(
        state,
        [*names, *PLAIN],
        issuer_options={
            "bucket": BUCKET,
            "role_arn": iam.role_arn,
            "endpoint_url": iam.endpoint,
            "duration_seconds": 900,
        },
        service_environment={
            "AWS_ACCESS_KEY_ID": iam.hub_key[0],
            "AWS_SECRET_ACCESS_KEY": iam.hub_key[1],
        },
        extra_config=PLAIN_HOOK,
    )
    yield h
    h.stop()


def _notebook(user: str, i: int) -> dict[str, Any]:
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "source": f"# {user} {i} {n}\n" + "x = 1\n" * 40,
            "outputs": [],
            "execution_count": None,
        }
        for n in range(20)
    ]
    return {
        "type": "notebook",
        "format": "json",
        "content": {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
    }


def _spawn(hub: Hub, name: str) -> tuple[UserServer, float]:
    start = time.monotonic()
    srv = hub.start_server(name, timeout=900)
    return srv, time.monotonic() - start


def _work(srv: UserServer) -> list[str]:
    """SAVES new notebooks, a listing, a read: each error as a line."""
    errors = []
    for i in range(SAVES):
        r = srv.api("PUT", f"/api/contents/work{i}.ipynb", json=_notebook(srv.name, i))
        if r.status_code not in (200, 201):
            errors.append(f"{srv.name} save {i}: {r.status_code} {r.text[:200]}")
    r = srv.api("GET", "/api/contents/")
    names = {e["name"] for e in r.json().get("content", [])} if r.ok else set()
    if not r.ok or not {f"work{i}.ipynb" for i in range(SAVES)} <= names:
        errors.append(f"{srv.name} list: {r.status_code} {sorted(names)}")
    r = srv.api("GET", "/api/contents/work0.ipynb")
    if not r.ok or srv.name not in json.dumps(r.json()["content"]):
        errors.append(f"{srv.name} read: {r.status_code}")
    return errors


def _pss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no Pss for {pid}")


def test_many_users_save_and_list_with_0_errors(
    hub: Hub, names: list[str], moto_iam_server: Any
) -> None:
    everyone = [*names, *PLAIN]
    with ThreadPoolExecutor(len(everyone)) as pool:
        spawned = dict(zip(everyone, pool.map(lambda n: _spawn(hub, n), everyone), strict=True))
        servers = {n: s for n, (s, _) in spawned.items()}
        errors = [e for errs in pool.map(_work, servers.values()) for e in errs]
    assert errors == [], errors

    s3 = moto_iam_server.client("s3")
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for o in page.get("Contents", [])
    ]
    for name in names:  # each user's notebooks, in that user's prefix and nowhere else
        mine = [k for k in keys if f"/{name}/" in k and ".nbshelf/" not in k]
        assert sorted(mine) == [f"users/{name}/work{i}.ipynb" for i in range(SAVES)], mine
    assert not [k for k in keys if "plain" in k]  # the baseline servers wrote to disk

    def row(group: list[str]) -> dict[str, Any]:
        pids = [hub.server_pid(n) for n in group]
        assert len(set(pids)) == len(group), pids  # one process per user
        pss = [_pss_mb(pid) for pid in pids]
        spawn = [spawned[n][1] for n in group]
        return {
            "servers": len(group),
            "pss_mb": sorted(round(p, 1) for p in pss),
            "pss_mb_median": round(statistics.median(pss), 1),
            "pss_mb_max": round(max(pss), 1),
            "spawn_s_median": round(statistics.median(spawn), 1),
            "spawn_s_max": round(max(spawn), 1),
        }

    result = {
        "users_with_nbshelf": row(names),
        "users_without_nbshelf": row(PLAIN),
        "saves_per_user": SAVES,
        "errors": len(errors),
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg()[0],
    }
    out = REPO / "build/hub-scale"
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
