"""Authentication against the real Swift: tempauth v1 (options and ST_* environment),
a pre-issued token, Rackspace Cloud Files and Keystone v2 (through a local stand-in of
Rackspace's identity, which cannot run here), token renewal, and the error messages."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import urllib.request

import pytest
import swiftclient

from nbshelf.stores import AuthFailed, StoreError, Unavailable
from nbshelf.stores.swift import SwiftStore
from tests.servers.rackspace_identity import RackspaceIdentity
from tests.servers.swift import SwiftServer
from tests.servers.swift_client import server_counts, tempauth_options

pytestmark = pytest.mark.swift


def token_for(swift: SwiftServer, user: str = "test:tester", key: str = "testing") -> str:
    req = urllib.request.Request(swift.auth_url, headers={"X-Auth-User": user, "X-Auth-Key": key})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return str(resp.headers["X-Auth-Token"])


async def test_tempauth_from_the_st_environment(swift_server, container):
    env = {"ST_AUTH": swift_server.auth_url, "ST_USER": "test:tester", "ST_KEY": "testing"}
    s = SwiftStore.from_url(f"swift://{container}/p", environ=env)
    assert s.config.auth_version == "1"
    await s.check()
    await s.put("x", b"1")
    assert s.requests["AUTH"] == 1
    assert "testing" not in repr(s.config)
    await s.close()


async def test_explicit_storage_url_and_token(swift_server, container):
    token = token_for(swift_server)
    s = SwiftStore.from_url(
        f"swift://{container}",
        storage_url=swift_server.storage_url("test"),
        auth_token=token,
        environ={},
    )
    assert s.config.auth_version == "token"
    await s.check()
    await s.put("x", b"1")
    assert s.requests["AUTH"] == 0
    swift_server.revoke_tempauth_token(token)
    with pytest.raises(AuthFailed) as e:
        await s.head("x")
    assert "cannot be renewed" in str(e.value) and token not in str(e.value)
    await s.close()


async def test_wrong_key_names_auth_url_and_user_never_the_key(swift_server, container):
    s = SwiftStore.from_url(
        f"swift://{container}", **tempauth_options(swift_server, account_key="s3cret-WRONG")
    )
    with pytest.raises(AuthFailed) as e:
        await s.check()
    msg = str(e.value)
    assert swift_server.auth_url in msg and "test:tester" in msg
    assert "s3cret-WRONG" not in msg and "s3cret" not in repr(e.value)
    await s.close()


async def test_unreachable_swift_is_unavailable(container):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    s = SwiftStore.from_url(
        f"swift://{container}",
        auth_url=f"http://127.0.0.1:{port}/auth/v1.0",
        account_name="test:tester",
        account_key="testing",
        environ={},
        retries=0,
    )
    with pytest.raises(Unavailable) as e:
        await s.check()
    assert f"127.0.0.1:{port}" in str(e.value) and "testing" not in str(e.value)
    await s.close()


async def test_user_without_rights_and_container_creation_refused(swift_server, container):
    admin = swiftclient.Connection(authurl=swift_server.auth_url, user="test:tester", key="testing")
    s = SwiftStore.from_url(
        f"swift://{container}",
        **tempauth_options(swift_server, account_name="test:tester3", account_key="testing3"),
    )
    with pytest.raises(AuthFailed) as e:
        await s.check()  # no role at all: even the HEAD is refused
    assert "test:tester3" in str(e.value) and "testing3" not in str(e.value)
    # read-only on the account: may look, may not create the container
    admin.post_account({"X-Account-Access-Control": json.dumps({"read-only": ["test:tester3"]})})
    try:
        with pytest.raises(AuthFailed) as e:
            await s.check()
        assert f"container {container!r} does not exist" in str(e.value)
        assert "may not create it" in str(e.value)
    finally:
        admin.post_account({"X-Account-Access-Control": "{}"})
        await s.close()


@pytest.mark.backends("swift")
async def test_revoked_token_is_renewed_once(store, swift_server):
    await store.put("a", b"1")
    assert store._auth.token is not None
    swift_server.revoke_tempauth_token(store._auth.token)
    store.requests.reset()
    swift_server.mark()
    # eight concurrent requests, each on its own thread's connection, all hit 401:
    # the token is fetched again once, not once per thread
    infos = await asyncio.gather(*(store.head("a") for _ in range(8)))
    assert {i.size for i in infos} == {1}
    assert store.requests["AUTH"] == 1
    log = swift_server.access_log()
    assert [e.path for e in log if e.path.startswith("/auth/")] == ["/auth/v1.0"]
    heads = [e.status for e in log if e.method == "HEAD"]
    assert heads.count(200) == 8 and set(heads) <= {200, 401}
    assert store.requests["HEAD"] == len(heads)  # the store counts the 401s too


async def test_renewal_happens_once_then_fails_clearly(swift_server, container):
    """A token that is refused again right after renewal: one renewal, then AuthFailed."""
    s = SwiftStore.from_url(f"swift://{container}", **tempauth_options(swift_server))
    await s.check()
    original = s._auth._authenticate

    def authenticate(force: bool = False) -> None:
        original(force)
        assert s._auth.token is not None
        swift_server.revoke_tempauth_token(s._auth.token)  # refused again at once

    s._auth._authenticate = authenticate  # type: ignore[method-assign]
    swift_server.revoke_tempauth_token(s._auth.token or "")
    s.requests.reset()
    with pytest.raises(AuthFailed):
        await s.head("missing")
    assert s.requests.snapshot() == {"HEAD": 2, "AUTH": 1}
    await s.close()


async def test_event_loop_keeps_running_during_a_slow_request(container):
    """A Swift that holds a request until told: the loop must keep ticking meanwhile.
    (A gate server stands in for a slow Swift; what is tested is the store's threading.)"""
    release = threading.Event()
    arrived = threading.Event()
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]

    def serve() -> None:
        conn, _ = srv.accept()
        conn.recv(65536)
        arrived.set()
        release.wait(30)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nEtag: d41d8cd98f00b204e9800998ecf8427e\r\n"
            b"Last-Modified: Sun, 22 Nov 2026 16:00:00 GMT\r\nContent-Type: text/plain\r\n\r\n"
        )
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    s = SwiftStore.from_url(
        f"swift://{container}",
        storage_url=f"http://127.0.0.1:{port}/v1/AUTH_x",
        auth_token="tok",
        environ={},
        retries=0,
    )
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while not release.is_set():
            await asyncio.sleep(0.001)
            if arrived.is_set():
                ticks += 1
                if ticks >= 20:
                    release.set()  # only a live loop can get here and let the request finish

    task = asyncio.ensure_future(ticker())
    info = await s.head("slow")
    await task
    assert ticks >= 20 and info.size == 0
    srv.close()
    await s.close()


# ----------------------------------------------------------------------------- Rackspace
@pytest.fixture
def rackspace(swift_server):
    """The stand-in identity service; DFW and ORD lead to the real Swift (by two host
    names, so the test sees which one was chosen), LON to an address where nothing runs."""
    storage = swift_server.storage_url("test")
    endpoints = {
        "DFW": storage,
        "ORD": storage.replace("127.0.0.1", "localhost"),
        "LON": "http://127.0.0.1:9/v1/MossoCloudFS_123456",
        "IAD": storage,
        "SYD": storage,
        "HKG": storage,
    }
    with RackspaceIdentity(swift_server.auth_url, endpoints) as ident:
        yield ident


async def test_rackspace_region_chooses_the_catalog_endpoint(rackspace, swift_server, container):
    # the names Bookstore users wrote
    opts = dict(
        account_name="rackuser",
        account_key="rack-api-key-0123",
        container_name=container,
        auth_endpoint=rackspace.url,
        environ={},
    )
    dfw = SwiftStore.from_url("swift://", region="DFW", **opts)
    assert dfw.config.auth_version == "rackspace" and dfw.config.service_name == "cloudFiles"
    await dfw.check()
    await dfw.put("n.ipynb", b"{}")
    assert dfw._auth.url == swift_server.storage_url("test")
    assert dfw.requests["AUTH"] == 1
    ord_ = SwiftStore.from_url("swift://", region="ord", **opts)
    assert (await ord_.get("n.ipynb")).data == b"{}"
    assert ord_._auth.url == swift_server.storage_url("test").replace("127.0.0.1", "localhost")
    lon = SwiftStore.from_url("swift://", region="LON", retries=0, **opts)
    with pytest.raises(Unavailable) as e:
        await lon.check()
    assert "127.0.0.1:9" in str(e.value)
    assert [r["kind"] for r in rackspace.requests] == ["apiKey"] * 3
    for s in (dfw, ord_, lon):
        await s.close()


async def test_rackspace_default_identity_and_errors(rackspace, container):
    s = SwiftStore.from_url(
        f"swift://{container}",
        account_name="rackuser",
        account_key="k",
        region="DFW",
        environ={},
    )
    assert s.config.auth_url == "https://identity.api.rackspacecloud.com/v2.0"
    with pytest.raises(StoreError, match="region"):
        SwiftStore.from_url(f"swift://{container}", account_name="u", account_key="k", environ={})
    nowhere = SwiftStore.from_url(
        f"swift://{container}",
        account_name="rackuser",
        account_key="rack-api-key-0123",
        region="XYZ",
        auth_endpoint=rackspace.url,
        auth_version="rackspace",
        environ={},
    )
    with pytest.raises(StoreError) as e:
        await nowhere.check()
    assert "region XYZ" in str(e.value) and "DFW" in str(e.value)
    wrong = SwiftStore.from_url(
        f"swift://{container}",
        account_name="rackuser",
        account_key="WRONG-api-key",
        region="DFW",
        auth_endpoint=rackspace.url,
        environ={},
    )
    with pytest.raises(AuthFailed) as e:
        await wrong.check()
    assert rackspace.url in str(e.value) and "rackuser" in str(e.value)
    assert "WRONG-api-key" not in str(e.value)
    for store in (s, nowhere, wrong):
        await store.close()


@pytest.mark.parametrize(
    "tenant", [{"tenant_name": "MossoCloudFS_123456"}, {"tenant_id": "123456"}]
)
async def test_keystone_v2_password_with_tenant(rackspace, container, tenant):
    """Keystone v2.0 (older clouds), through the same stand-in identity service."""
    env = {
        "OS_AUTH_URL": rackspace.url,
        "OS_USERNAME": "v2user",
        "OS_PASSWORD": "v2-password",
        "OS_REGION_NAME": "DFW",
    }
    env.update(
        {
            ("OS_TENANT_NAME" if "tenant_name" in tenant else "OS_TENANT_ID"): v
            for v in tenant.values()
        }
    )
    s = SwiftStore.from_url(f"swift://{container}", environ=env)
    assert s.config.auth_version == "2"
    await s.check()
    await s.put("v2.txt", b"ok")
    assert rackspace.requests[-1]["kind"] == "password"
    assert rackspace.requests[-1]["tenantName" if "tenant_name" in tenant else "tenantId"]
    bad = SwiftStore.from_url(f"swift://{container}", environ={**env, "OS_PASSWORD": "nope"})
    with pytest.raises(AuthFailed):
        await bad.check()
    await s.close()
    await bad.close()


async def test_server_side_counts_include_auth(swift_server, container):
    swift_server.mark()
    s = SwiftStore.from_url(f"swift://{container}", **tempauth_options(swift_server))
    await s.check()
    await s.put("a", b"")
    assert (
        server_counts(swift_server, container)
        == s.requests.snapshot()
        == {"AUTH": 1, "HEAD": 1, "PUT": 2}
    )
    await s.close()
