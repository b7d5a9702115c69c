"""Keystone v3 (password and application credential) against a real Keystone and a
real Swift behind it (authtoken + keystoneauth). Skipped, with the reason printed,
where python3-keystone is not installed (scripts/install-keystone.sh)."""

from __future__ import annotations

import pytest

from nbshelf.stores import AuthFailed
from nbshelf.stores.swift import SwiftStore

pytestmark = [pytest.mark.swift, pytest.mark.keystone]


def os_env(keystone, **extra: str) -> dict[str, str]:
    env = {
        "OS_AUTH_URL": keystone.v3,
        "OS_USERNAME": "demo",
        "OS_PASSWORD": "demopass",
        "OS_PROJECT_NAME": "demo",
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
        "OS_REGION_NAME": "RegionOne",
    }
    env.update(extra)
    return env


async def test_v3_password_from_the_os_environment(keystone_server, keystone_swift, container):
    s = SwiftStore.from_url(f"swift://{container}/p", environ=os_env(keystone_server))
    assert s.config.auth_version == "3"
    await s.check()
    info = await s.put("n.ipynb", b"{}")
    assert (await s.head("n.ipynb")).last_modified == info.last_modified
    assert s._auth.url == f"{keystone_swift.endpoint}/v1/AUTH_{keystone_server.demo_project_id}"
    assert s.requests["AUTH"] == 1
    await s.close()


async def test_v3_application_credential(keystone_server, keystone_swift, container):
    cred_id, secret = keystone_server.application_credential(
        "demo", "demopass", "demo", "nbshelf-" + container
    )
    env = {
        "OS_AUTH_URL": keystone_server.v3,
        "OS_AUTH_TYPE": "v3applicationcredential",
        "OS_APPLICATION_CREDENTIAL_ID": cred_id,
        "OS_APPLICATION_CREDENTIAL_SECRET": secret,
    }
    s = SwiftStore.from_url(f"swift://{container}", environ=env)
    await s.check()
    await s.put("a.txt", b"via app credential")
    assert (await s.get("a.txt")).data == b"via app credential"
    wrong = SwiftStore.from_url(
        f"swift://{container}", environ={**env, "OS_APPLICATION_CREDENTIAL_SECRET": "bad-secret"}
    )
    with pytest.raises(AuthFailed) as e:
        await wrong.check()
    assert cred_id in str(e.value) and "bad-secret" not in str(e.value)
    assert secret not in str(e.value)
    await s.close()
    await wrong.close()


async def test_revoked_keystone_token_is_renewed_once(keystone_server, keystone_swift, container):
    s = SwiftStore.from_url(f"swift://{container}", environ=os_env(keystone_server))
    await s.check()
    await s.put("a", b"1")
    old = s._auth.token
    assert old is not None
    keystone_server.revoke(old)  # revoked in Keystone: Swift's authtoken refuses it now
    keystone_swift.mark()
    s.requests.reset()
    assert (await s.get("a")).data == b"1"
    assert s.requests.snapshot() == {"GET": 2, "AUTH": 1}
    assert s._auth.token != old
    statuses = [e.status for e in keystone_swift.access_log() if e.method == "GET"]
    assert statuses == [401, 200]
    await s.close()


async def test_wrong_password_names_auth_url_and_user(keystone_server, keystone_swift, container):
    s = SwiftStore.from_url(
        f"swift://{container}", environ=os_env(keystone_server, OS_PASSWORD="Wr0ng-pass")
    )
    with pytest.raises(AuthFailed) as e:
        await s.check()
    msg = str(e.value)
    assert keystone_server.v3 in msg and "user demo" in msg and "Wr0ng-pass" not in msg
    await s.close()
