"""End to end on a real JupyterHub with the real Swift behind the real Keystone: per-user
containers and short-lived application credentials issued by the hub's credentials
service (nbshelf.hub.keystone.KeystoneIssuer).

* Real pieces: jupyterhub (hub as root, LocalProcessSpawner), the proxy from npm, the
  Unix users nbshelf-alice and nbshelf-bob (each server and kernel runs as its user),
  jupyterhub-singleuser with HubContentsManager, real kernels, Swift with authtoken and
  keystoneauth, Keystone; everything on 127.0.0.1, stopped by PID (tests/hub/jupyterhub.py).
* The Keystone admin's one-time setup is tests/hub/keystone_setup.py (docs/jupyterhub.md).
  The hub side's Keystone password is in the credentials service's environment only.
* Credentials last 60 s (the issuer's shortest): renewed after about 30 s; Keystone caps
  the tokens made from a credential at its expiry and Swift checks each token, so saves
  answered after the first credential expired were made with fresh ones.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ..kernels.kernel import execute, start_session
from ..servers import ServerUnavailable
from .jupyterhub import (
    KERNEL_PRELUDE,
    Hub,
    UserServer,
    markdown_notebook,
    require_hub_tools,
    start_hub,
    start_servers,
)
from .keystone_setup import HUB_PASSWORD, Setup, snapshot

pytestmark = [pytest.mark.swift, pytest.mark.keystone]

ALICE, BOB = "nbshelf-alice", "nbshelf-bob"
LIFETIME = 60
USER_KEY = "nbshelf-test-user-key"


@pytest.fixture(scope="module")
def setup(keystone_server: Any, keystone_swift: Any) -> Setup:
    return Setup(keystone_server, keystone_swift)


@pytest.fixture(scope="module")
def hub(setup: Setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    try:
        require_hub_tools()
    except ServerUnavailable as e:
        pytest.skip(str(e))
    state = tmp_path_factory.mktemp("jupyterhub-swift")
    state.chmod(0o755)
    h = start_hub(
        state,
        [ALICE, BOB],
        issuer="nbshelf.hub.keystone:KeystoneIssuer",
        issuer_options={
            "auth_url": setup.keystone.url,
            "admin_username": setup.hub_user,
            "project": setup.project,
            "user_name_template": f"nbshelf-{setup.tag}-{{username}}",
            "lifetime": LIFETIME,
        },
        # the hub side's secrets: the credentials service's environment, nowhere else
        service_environment={
            "NBSHELF_KEYSTONE_ADMIN_PASSWORD": HUB_PASSWORD,
            "NBSHELF_KEYSTONE_USER_KEY": USER_KEY,
        },
    )
    yield h
    h.stop()


@pytest.fixture(scope="module")
def servers(hub: Hub) -> dict[str, UserServer]:
    return start_servers(hub, BOB, ALICE)


ATTACK = r"""
import json, os, urllib.error, urllib.request, uuid
import swiftclient
from keystoneauth1 import session
from keystoneauth1.identity import v3

%(prelude)sstatus, creds = ask("credentials")
out["own_issue"], out["store_url"] = status, creds["store_url"]
out["bob_issue"] = ask("credentials?user=%(bob)s")[0]
e = creds["env"]
sess = session.Session(auth=v3.ApplicationCredential(
    auth_url=e["OS_AUTH_URL"], application_credential_id=e["OS_APPLICATION_CREDENTIAL_ID"],
    application_credential_secret=e["OS_APPLICATION_CREDENTIAL_SECRET"]))
conn = swiftclient.Connection(session=sess)
bob, own = "notebooks-%(bob)s", "notebooks-%(alice)s"
def attempt(name, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
        out[name] = "allowed"
    except swiftclient.ClientException as e:
        out[name] = e.http_status
attempt("list", conn.get_container, bob)
attempt("head_container", conn.head_container, bob)
attempt("read", conn.get_object, bob, "secret.ipynb")
attempt("head", conn.head_object, bob, "secret.ipynb")
attempt("write_new", conn.put_object, bob, "planted.ipynb", b"x")
attempt("overwrite", conn.put_object, bob, "secret.ipynb", b"x")
attempt("metadata", conn.post_object, bob, "secret.ipynb", {"X-Object-Meta-X": "alice"})
attempt("delete", conn.delete_object, bob, "secret.ipynb")
attempt("copy_out", conn.put_object, own, "copied.ipynb", b"",
        headers={"X-Copy-From": "/" + bob + "/secret.ipynb"})
attempt("acl", conn.post_container, bob, {"X-Container-Read": ".r:*,.rlistings"})
attempt("own_acl", conn.post_container, own, {"X-Container-Read": ".r:*,.rlistings"})
attempt("account", conn.get_account)
attempt("new_container", conn.put_container, "notebooks-" + uuid.uuid4().hex[:6])
attempt("own_write", conn.put_object, own, "kernel.txt", b"k")
print(json.dumps(out))
"""


def test_alices_kernel_cannot_reach_bobs_notebooks(
    hub: Hub, servers: dict[str, UserServer], setup: Setup
) -> None:
    alice, bob = servers[ALICE], servers[BOB]
    r = bob.api("PUT", "/api/contents/secret.ipynb", json=markdown_notebook("bob's secret"))
    assert r.status_code in (200, 201), r.text
    r = bob.api("POST", "/api/contents/secret.ipynb/checkpoints")
    assert r.status_code == 201, r.text
    r = alice.api("PUT", "/api/contents/mine.ipynb", json=markdown_notebook("alice's"))
    assert r.status_code in (200, 201), r.text
    operator = setup.operator()
    before = snapshot(operator, f"notebooks-{BOB}")
    assert "secret.ipynb" in before
    assert "mine.ipynb" in snapshot(operator, f"notebooks-{ALICE}")

    kernel = start_session(alice, "attack.ipynb")  # type: ignore[arg-type]
    code = ATTACK % {"prelude": KERNEL_PRELUDE, "bob": BOB, "alice": ALICE}
    out = json.loads(execute(alice, kernel, code, timeout=180).strip().splitlines()[-1])  # type: ignore[arg-type]

    assert out["uid"] != 0  # the kernel runs as alice, not root
    assert out["server_env"] == []  # no store credential in the server's environment
    assert out["own_issue"] == 200 and out["store_url"] == f"swift://notebooks-{ALICE}"
    assert out["own_write"] == "allowed"  # her credentials work: the refusals are real
    assert out["bob_issue"] == 403
    refused = {
        k: v
        for k, v in out.items()
        if k not in ("server_env", "uid", "own_issue", "store_url", "own_write", "bob_issue")
    }
    assert len(refused) == 13 and set(refused.values()) == {403}, out

    assert snapshot(operator, f"notebooks-{BOB}") == before  # byte-identical
    log = hub.log()
    assert re.search(
        rf"refused GET \S+credentials for {ALICE}: credentials of '{BOB}' asked", log
    ), log[-3000:]
    assert HUB_PASSWORD not in log


def test_saves_continue_across_renewals(
    hub: Hub, servers: dict[str, UserServer], setup: Setup
) -> None:
    alice = servers[ALICE]
    setup.swift.mark()
    start = alice.api("GET", "/nbshelf/api/hub").json()
    first_expiry = start["expires_at"]
    seen = {start["fingerprint"]}
    saves = 0
    deadline = time.monotonic() + 600  # a bound for a stuck run, not a speed assertion
    status = start
    after_first_expired = 0
    while status["fetches"] < start["fetches"] + 3 or after_first_expired < 2:
        assert time.monotonic() < deadline, status
        saves += 1
        r = alice.api(
            "PUT", f"/api/contents/n{saves % 4}.ipynb", json=markdown_notebook(str(saves))
        )
        assert r.status_code in (200, 201), r.text
        listing = alice.api("GET", "/api/contents/")
        assert listing.status_code == 200, listing.text
        status = alice.api("GET", "/nbshelf/api/hub").json()
        seen.add(status["fingerprint"])
        if _passed(first_expiry):
            after_first_expired += 1
        time.sleep(1)
    assert len(seen) >= 4  # a new credential taken into use at each renewal
    assert status["store_url"] == f"swift://notebooks-{ALICE}"
    entries = [e for e in setup.swift.access_log() if f"/notebooks-{ALICE}" in e.path]
    refusals = [e for e in entries if e.status in (401, 403) or e.status >= 500]
    assert refusals == [], refusals  # not one request refused, even retried
    counts = alice.api("GET", "/nbshelf/api/status").json()["requests"]
    assert counts.get("RETRY", 0) == 0, counts
    print(f"\n{saves} saves, {len(seen)} credentials used, 0 refused at Swift")


def test_a_refusal_is_a_503_naming_the_service_and_the_cause(
    hub: Hub, servers: dict[str, UserServer], setup: Setup
) -> None:
    """Alice's Keystone user disabled by an admin: once her credentials can no longer be
    renewed, saves answer 503 naming the hub service and why; enabled again, saves work
    again without a restart."""
    alice = servers[ALICE]
    v3 = setup.keystone.v3
    h = setup.keystone.admin_headers()
    kname = f"nbshelf-{setup.tag}-{ALICE}"
    user = requests.get(f"{v3}/users", headers=h, params={"name": kname}, timeout=30)
    user_id = user.json()["users"][0]["id"]

    def enable(on: bool) -> None:
        r = requests.patch(
            f"{v3}/users/{user_id}",
            headers=setup.keystone.admin_headers(),
            json={"user": {"enabled": on}},
            timeout=30,
        )
        r.raise_for_status()

    enable(False)
    try:
        deadline = time.monotonic() + 300
        while True:  # her tokens are revoked at once; the service refuses new credentials
            r = alice.api("PUT", "/api/contents/during.ipynb", json=markdown_notebook("x"))
            if r.status_code == 503:
                break
            assert r.status_code in (200, 201), r.text
            assert time.monotonic() < deadline
            time.sleep(1)
        msg = r.json()["message"]
        assert "nbshelf-credentials" in msg and f"Keystone user {kname} is disabled" in msg, msg
        assert "Traceback" not in r.text and HUB_PASSWORD not in r.text
    finally:
        enable(True)
    assert re.search(
        rf"refused GET \S+credentials for {ALICE}: cannot issue credentials: "
        rf"Keystone user {kname} is disabled",
        hub.log(),
    )
    deadline = time.monotonic() + 120
    while True:
        r = alice.api("PUT", "/api/contents/after.ipynb", json=markdown_notebook("back"))
        if r.status_code in (200, 201):
            break
        assert r.status_code == 503 and time.monotonic() < deadline, r.text
        time.sleep(1)


def _passed(iso: str) -> bool:
    from datetime import datetime, timezone

    return datetime.fromisoformat(iso) < datetime.now(timezone.utc)


def test_share_link_keeps_the_chosen_expiry(
    hub: Hub, servers: dict[str, UserServer], setup: Setup
) -> None:
    """A 7-day link from a server whose credentials last 60 s: a TempURL signed on the hub
    with the container's own key (which no user sees), for 7 days, fetched without a token."""
    alice = servers[ALICE]
    r = alice.api("PUT", "/api/contents/shared.ipynb", json=markdown_notebook("for everyone"))
    assert r.status_code in (200, 201), r.text
    r = alice.api(
        "POST",
        "/nbshelf/api/shares",
        json={"path": "shared.ipynb", "kind": "expiring", "expires_in": "7d"},
    )
    assert r.status_code == 201, r.text
    share = r.json()
    links = [v for v in json.dumps(share).split('"') if "temp_url_sig=" in v]
    assert links, share
    now = time.time()
    for link in links:
        assert f"/notebooks-{ALICE}/" in link
        expires = int(link.split("temp_url_expires=")[1].split("&")[0])
        assert abs(expires - (now + 7 * 86400)) < 600
        assert requests.get(link, timeout=30).status_code == 200  # no token needed
    deadline = time.monotonic() + 60  # the service's log line may come after its answer
    while not (signed := re.findall(rf"signed a (\d+) s link to \S+ for {ALICE}", hub.log())):
        assert time.monotonic() < deadline, hub.log()[-3000:]
        time.sleep(0.5)
    assert all(abs(int(s) - 7 * 86400) < 600 for s in signed), signed  # what was left of 7 d
