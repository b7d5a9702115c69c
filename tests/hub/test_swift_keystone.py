"""Per-user isolation on the real Swift behind the real Keystone (nbshelf.hub.keystone).

The admin's one-time setup (docs/jupyterhub.md, "Swift / Keystone") is done here as an
admin would: a project whose account holds every user's container, the role
``nbshelf-notebooks`` (no Swift operator role), and the hub side's Keystone user, an
admin of that project. Then :class:`KeystoneIssuer` makes the rest per user.

Alice's credentials are used as her kernel would use them after reading them from her
server (``/proc/$PPID/environ``, its memory): straight with swiftclient, on a
keystoneauth session of her application credential, with every trick a kernel could try.
Bob's objects must come out byte-identical. No JupyterHub here (the issuer and the
store's refresh are what is tested); tests/hub's JupyterHub harness runs the whole chain.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
import swiftclient

from nbshelf.hub import IssuedCredentials, IssueRefused
from nbshelf.stores import CredentialsUnavailable
from nbshelf.stores.swift import SwiftStore
from tests.servers.swift import swift_python

from .keystone_setup import HUB_PASSWORD, Setup, kernel_session, snapshot

pytestmark = [pytest.mark.swift, pytest.mark.keystone]


@pytest.fixture(scope="module")
def setup(keystone_server: Any, keystone_swift: Any) -> Setup:
    return Setup(keystone_server, keystone_swift)


def refused(call: Any, *args: Any, **kwargs: Any) -> int:
    """The HTTP status of a call that must fail with 401 or 403."""
    with pytest.raises(swiftclient.ClientException) as e:
        call(*args, **kwargs)
    assert e.value.http_status in (401, 403), e.value
    return int(e.value.http_status)


# ----------------------------------------------------------------------------- isolation
async def test_alice_reaches_nothing_of_bobs(setup: Setup) -> None:
    issuer = setup.issuer()
    alice, bob = issuer.issue("alice"), issuer.issue("bob")
    assert alice.store_url == "swift://notebooks-alice"
    assert bob.store_url == "swift://notebooks-bob"
    assert "AUTH_" not in repr(alice) and alice.env["OS_APPLICATION_CREDENTIAL_SECRET"] not in repr(
        alice
    )

    # bob's server saves through nbshelf's Swift store, on his own credentials
    store = SwiftStore.from_url(bob.store_url, credentials=lambda: bob)
    await store.put("secret.ipynb", b'{"cells": [], "bob": "private"}')
    await store.put("deep/er/data.csv", b"a,b\n1,2\n")
    await store.put("deep/er/", b"")
    await store.close()
    hub = setup.operator()
    hub.post_object("notebooks-bob", "secret.ipynb", headers={"X-Object-Meta-Owner": "bob"})
    before = snapshot(hub, "notebooks-bob")
    assert set(before) == {"secret.ipynb", "deep/er/data.csv", "deep/er/"}

    # alice's kernel, with her credentials, straight to Swift
    sess = kernel_session(alice)
    conn = swiftclient.Connection(session=sess)
    url = setup.storage_url()
    own = "notebooks-alice"
    # control: her own container works (so the refusals below are not a broken login)
    conn.put_object(own, "mine.ipynb", b"{}")
    assert conn.get_object(own, "mine.ipynb")[1] == b"{}"
    assert [o["name"] for o in conn.get_container(own)[1]] == ["mine.ipynb"]
    conn.delete_object(own, "mine.ipynb")
    conn.put_object(own, "x", b"alice's own, to copy from")

    bobs = "notebooks-bob"
    statuses = [
        refused(conn.get_container, bobs),  # list
        refused(conn.get_container, bobs, prefix="deep/", delimiter="/"),
        refused(conn.head_container, bobs),
        refused(conn.get_object, bobs, "secret.ipynb"),  # read
        refused(conn.head_object, bobs, "secret.ipynb"),
        refused(conn.get_object, bobs, "deep/er/data.csv", headers={"Range": "bytes=0-1"}),
        refused(conn.put_object, bobs, "secret.ipynb", b"overwritten"),  # write
        refused(conn.put_object, bobs, "new.ipynb", b"planted"),
        refused(conn.post_object, bobs, "secret.ipynb", {"X-Object-Meta-Owner": "alice"}),
        refused(conn.delete_object, bobs, "secret.ipynb"),  # delete
        refused(conn.delete_object, bobs, "deep/er/"),
        refused(conn.copy_object, bobs, "secret.ipynb", f"/{own}/stolen.ipynb"),  # copy out
        refused(
            conn.put_object,
            own,
            "stolen.ipynb",
            b"",
            headers={  # copy in her own
                "X-Copy-From": f"/{bobs}/secret.ipynb"
            },
        ),
        refused(conn.put_object, bobs, "x", b"", headers={"X-Copy-From": f"/{own}/x"}),
        refused(conn.post_container, bobs, {"X-Container-Read": ".r:*,.rlistings"}),  # ACLs
        refused(conn.post_container, own, {"X-Container-Read": ".r:*,.rlistings"}),
        refused(conn.delete_container, bobs),
        refused(conn.get_account),  # the account: every container's name
        refused(conn.head_account),
        refused(conn.put_container, f"notebooks-{uuid.uuid4().hex[:6]}"),
        refused(conn.post_account, {"X-Account-Meta-Temp-URL-Key": "mine"}),
    ]
    assert set(statuses) == {403}, statuses
    token = sess.get_token()
    assert token is not None
    # with a service token header (keystonemiddleware skips access rules for such
    # requests: isolation here rests on ACLs, not on access rules)
    for header in ({"X-Service-Token": token}, {"X-Service-Token": "x"}):
        r = requests.get(
            f"{url}/{bobs}/secret.ipynb", timeout=30, headers={"X-Auth-Token": token, **header}
        )
        assert r.status_code in (401, 403), r.status_code
    # bulk delete answers 200 with each object's refusal inside
    r = requests.delete(
        f"{url}?bulk-delete",
        timeout=30,
        data=f"/{bobs}/secret.ipynb\n",
        headers={"X-Auth-Token": token, "Accept": "application/json"},
    )
    assert r.json()["Number Deleted"] == 0 and r.json()["Errors"][0][1].startswith("403")
    # nor can she mint a longer-lived credential from it (a restricted one)
    me = sess.get_user_id()
    r = requests.post(
        f"{alice.env['OS_AUTH_URL']}/users/{me}/application_credentials",
        headers={"X-Auth-Token": token},
        timeout=30,
        json={"application_credential": {"name": "forever"}},
    )
    assert r.status_code == 403, r.text
    r = requests.post(
        f"{alice.env['OS_AUTH_URL']}/OS-TRUST/trusts",
        timeout=30,
        headers={"X-Auth-Token": token},
        json={
            "trust": {
                "trustor_user_id": me,
                "trustee_user_id": me,
                "impersonation": True,
                "project_id": setup.project_id,
                "roles": [{"name": "nbshelf-notebooks"}],
            }
        },
    )
    assert r.status_code == 403, r.text

    assert snapshot(hub, bobs) == before  # byte-identical, metadata too
    assert [o["name"] for o in hub.get_container(own)[1]] == ["x"]


async def test_isolation_is_checked_before_credentials_are_issued(setup: Setup) -> None:
    """A per-user Keystone user given an operator role by mistake gets no credentials."""
    issuer = setup.issuer()
    issuer.issue("carol")  # exists now
    h = setup.keystone.admin_headers()
    v3 = setup.keystone.v3
    users = requests.get(
        f"{v3}/users", headers=h, timeout=30, params={"name": f"nbshelf-{setup.tag}-carol"}
    ).json()["users"]
    grant = (
        f"{v3}/projects/{setup.project_id}/users/{users[0]['id']}/roles/{setup.role_ids['member']}"
    )
    requests.put(grant, headers=h, timeout=30).raise_for_status()
    try:
        with pytest.raises(IssueRefused) as e:
            issuer.issue("carol")
        msg = str(e.value)
        assert "member" in msg and f"nbshelf-{setup.tag}-carol" in msg
        assert HUB_PASSWORD not in msg
    finally:
        requests.delete(grant, headers=h, timeout=30).raise_for_status()
    assert issuer.issue("carol").store_url == "swift://notebooks-carol"


def test_issue_costs(setup: Setup) -> None:
    issuer = setup.issuer()
    issuer.issue("dave")
    issuer.requests.clear()
    creds = issuer.issue("dave")
    # the user is known: HEAD the container, sign in as the user, list the account
    # (refused: the isolation check), make the credential, list the user's credentials
    assert issuer.requests == {
        "SWIFT HEAD": 1,
        "AUTH": 1,
        "LIST": 1,
        "KEYSTONE POST": 1,
        "KEYSTONE GET": 1,
    }
    assert creds.expires_at is not None
    life = (creds.expires_at - datetime.now(timezone.utc)).total_seconds()
    assert 3500 < life <= 3600


def test_refusals_name_the_cause_and_no_secret(setup: Setup, keystone_server: Any) -> None:
    wrong = setup.issuer(admin_password="Wr0ng-" + setup.tag)
    with pytest.raises(IssueRefused) as e:
        wrong.issue("erin")
    assert setup.hub_user in str(e.value) and "Wr0ng" not in str(e.value)
    assert "NBSHELF_KEYSTONE_ADMIN_PASSWORD" in str(e.value)

    no_role = setup.issuer(role="no-such-role-" + setup.tag)
    with pytest.raises(IssueRefused) as e:
        no_role.issue("erin")
    assert f"no role 'no-such-role-{setup.tag}'" in str(e.value)
    assert "openstack role create" in str(e.value)

    gone = setup.issuer(auth_url="http://127.0.0.1:9")
    with pytest.raises(IssueRefused) as e:
        gone.issue("erin")
    assert "cannot be reached" in str(e.value) and "127.0.0.1:9" in str(e.value)

    with pytest.raises(IssueRefused) as e:
        setup.issuer().issue("../bob")
    assert "one path segment" in str(e.value)


async def test_a_user_disabled_meanwhile_is_the_reason_the_store_gives(setup: Setup) -> None:
    """Her Keystone user disabled by an admin: her tokens are revoked at once, the issuer
    refuses fresh credentials, and the store's error says the issuer's reason (what the
    contents API answers with a 503); enabled again, the store works again."""
    issuer = setup.issuer()
    calls: list[str] = []

    def source() -> Any:
        calls.append("issue")
        try:
            return issuer.issue("frank")
        except IssueRefused as e:  # what the hub client makes of the service's 503
            raise CredentialsUnavailable(f"the JupyterHub service refused (503): {e}") from None

    store = SwiftStore.from_url("swift://notebooks-frank", credentials=source)
    await store.put("a.ipynb", b"{}")
    kname = f"nbshelf-{setup.tag}-frank"
    v3 = setup.keystone.v3
    h = setup.keystone.admin_headers()
    user_id = requests.get(f"{v3}/users", headers=h, params={"name": kname}, timeout=30).json()[
        "users"
    ][0]["id"]
    url = f"{v3}/users/{user_id}"
    requests.patch(url, headers=h, json={"user": {"enabled": False}}, timeout=30).raise_for_status()
    try:
        with pytest.raises(CredentialsUnavailable) as e:
            await store.put("b.ipynb", b"{}")
        assert f"Keystone user {kname} is disabled" in str(e.value), e.value
        assert HUB_PASSWORD not in str(e.value)
    finally:
        requests.patch(url, headers=h, json={"user": {"enabled": True}}, timeout=30)
    await store.put("c.ipynb", b"{}")  # the next request asks again, and works
    assert [i.key for i in (await store.list_all("")).objects] == ["a.ipynb", "c.ipynb"]
    await store.close()


def hub_user_credential(setup: Setup, **extra: Any) -> dict[str, str]:
    """An application credential of the hub side's user (an operator of the account),
    as ``OS_*`` variables; ``extra``: e.g. its access rules."""
    v3 = setup.keystone.v3
    tok, data = setup.keystone.token(setup.hub_user, HUB_PASSWORD, setup.project)
    body = {"name": f"rules-{uuid.uuid4().hex[:6]}", **extra}
    r = requests.post(
        f"{v3}/users/{data['user']['id']}/application_credentials",
        timeout=30,
        headers={"X-Auth-Token": tok},
        json={"application_credential": body},
    )
    r.raise_for_status()
    cred = r.json()["application_credential"]
    return {
        "OS_AUTH_URL": v3,
        "OS_AUTH_TYPE": "v3applicationcredential",
        "OS_APPLICATION_CREDENTIAL_ID": cred["id"],
        "OS_APPLICATION_CREDENTIAL_SECRET": cred["secret"],
    }


def test_access_rules_need_service_type(setup: Setup) -> None:
    """Why the issuer does not rest on access rules (1): this Swift's authtoken has no
    ``service_type``, and refuses every token of a credential with access rules (401),
    even on the very path the rule allows; the same user's credential without rules works."""
    hub = setup.operator()
    hub.put_container("rules-demo")
    hub.put_object("rules-demo", "a.txt", b"a")
    path = f"/v1/AUTH_{setup.project_id}/rules-demo/**"
    url = f"{setup.storage_url()}/rules-demo/a.txt"
    rule = {"service": "object-store", "method": "GET", "path": path}
    for env, status in (
        (hub_user_credential(setup), 200),
        (hub_user_credential(setup, access_rules=[rule]), 401),
    ):
        token = kernel_session(IssuedCredentials("swift://rules-demo", env=env)).get_token()
        assert token is not None
        r = requests.get(url, headers={"X-Auth-Token": token}, timeout=30)
        assert r.status_code == status, (env["OS_APPLICATION_CREDENTIAL_ID"], r.status_code)


#: Swift's authtoken filter (keystonemiddleware, from the Swift virtualenv) configured
#: WITH service_type, in front of an app that says whether a request reached it; once
#: with service_token_roles_required as keystonemiddleware 13 defaults (true), once false.
AUTHTOKEN_WITH_SERVICE_TYPE = r"""
import json, sys, webob
from keystonemiddleware import auth_token
ks, token, project = sys.argv[1:4]
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"reached"]
out = {}
for required in ("True", "False"):
    mw = auth_token.AuthProtocol(app, {
        "www_authenticate_uri": ks, "auth_url": ks, "auth_type": "password",
        "project_domain_id": "default", "user_domain_id": "default",
        "project_name": "service", "username": "swift", "password": "swiftpass",
        "service_type": "object-store", "delay_auth_decision": "False",
        "include_service_catalog": "True", "service_token_roles_required": required,
    })
    for name, path, extra in (
        ("allowed", f"/v1/AUTH_{project}/rules-demo/a.txt", {}),
        ("other", f"/v1/AUTH_{project}/someone-else/x", {}),
        # the same token again as a service token
        ("other+own token as service token", f"/v1/AUTH_{project}/someone-else/x",
         {"X-Service-Token": token}),
    ):
        req = webob.Request.blank(path, headers={"X-Auth-Token": token, **extra})
        out[f"roles required={required}: {name}"] = req.get_response(mw).status_int
print(json.dumps(out))
"""


def test_access_rules_and_service_tokens(setup: Setup) -> None:
    """Why the issuer does not rest on access rules (2): with ``service_type`` set, Swift's
    authtoken (keystonemiddleware) enforces the rules, but skips them for a request that
    also carries a valid ``X-Service-Token``. With ``service_token_roles_required`` true
    (keystonemiddleware 13's default) only a token with a service role counts; with it
    false, the user's own token sent again as service token skips the rules: the request
    goes on with the user's roles (here an operator's: the whole account)."""
    path = f"/v1/AUTH_{setup.project_id}/rules-demo/**"
    rule = {"service": "object-store", "method": "GET", "path": path}
    env = hub_user_credential(setup, access_rules=[rule])
    token = kernel_session(IssuedCredentials("swift://rules-demo", env=env)).get_token()
    assert token is not None
    run = subprocess.run(
        [
            str(swift_python()),
            "-c",
            AUTHTOKEN_WITH_SERVICE_TYPE,
            setup.keystone.v3,
            token,
            setup.project_id,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out == {
        "roles required=True: allowed": 200,
        "roles required=True: other": 401,  # the rules are enforced
        "roles required=True: other+own token as service token": 401,
        "roles required=False: allowed": 200,
        "roles required=False: other": 401,
        "roles required=False: other+own token as service token": 200,  # rules skipped
    }, out


async def test_links_are_signed_on_the_hub_with_a_key_no_user_sees(setup: Setup) -> None:
    """A share link outlives the server's short-lived credentials: the hub signs it with
    the container's own temp-URL key, which the user's credentials cannot read or set."""
    issuer = setup.issuer()
    alice = issuer.issue("gina")
    assert alice.options == {"hub_signs_links": True}
    store = SwiftStore.from_url(
        alice.store_url,
        credentials=lambda: alice,
        link_signer=lambda key, seconds: issuer.sign_url("gina", key, seconds),
    )
    await store.put("shared/n.ipynb", b'{"for": "everyone"}')
    await store.prepare_signed_links()  # nothing to prepare: the hub holds the key
    url = await store.signed_url("shared/n.ipynb", 7 * 86400)
    await store.close()
    assert "/notebooks-gina/shared/n.ipynb?" in url
    expires = int(url.split("temp_url_expires=")[1].split("&")[0])
    assert abs(expires - (datetime.now(timezone.utc).timestamp() + 7 * 86400)) < 120
    assert requests.get(url, timeout=30).content == b'{"for": "everyone"}'  # no token
    # the same signature on another container's path: refused
    issuer.issue("henry")
    setup.operator().put_object("notebooks-henry", "shared/n.ipynb", b"henry's")
    other = url.replace("/notebooks-gina/", "/notebooks-henry/")
    assert requests.get(other, timeout=30).status_code == 401
    # her credentials see no key, and may set none
    conn = swiftclient.Connection(session=kernel_session(alice))
    headers = conn.head_container("notebooks-gina")
    assert not [h for h in headers if "temp-url-key" in h.lower()], headers
    assert refused(conn.post_container, "notebooks-gina", {"X-Container-Meta-Temp-URL-Key": "k"})
    for bad in ("../notebooks-henry/shared/n.ipynb", "a//b", "", "x\x00"):
        with pytest.raises(IssueRefused):
            issuer.sign_url("gina", bad, 60)


async def test_widened_acls_are_set_back_and_a_new_key_resets_passwords(setup: Setup) -> None:
    """Someone opened ivy's container to the world: the next issue narrows it to ivy
    again. The hub's user key changed: ivy's password is reset (her tokens revoked), and
    her store's next save is refused once with 401 and sent again, not failed."""
    issuer = setup.issuer()
    ivy = issuer.issue("ivy")
    store = SwiftStore.from_url(ivy.store_url, credentials=lambda: issuer.issue("ivy"))
    await store.put("a.ipynb", b"1")
    hub = setup.operator()
    hub.post_container("notebooks-ivy", {"X-Container-Read": ".r:*,.rlistings"})
    assert issuer.issue("ivy")
    acl = hub.head_container("notebooks-ivy")["x-container-read"]
    assert ".r:*" not in acl and acl.count(":") == 1, acl

    setup.swift.mark()
    other = setup.issuer(user_key="another-key-" + setup.tag)
    assert other.issue("ivy").store_url == "swift://notebooks-ivy"  # password reset
    await store.put("b.ipynb", b"2")  # her token was revoked: 401, renewed, sent again
    statuses = [e.status for e in setup.swift.access_log() if "/notebooks-ivy/b.ipynb" in e.path]
    assert statuses == [401, 201], statuses
    assert (await store.get("b.ipynb")).data == b"2"
    await store.close()


def test_tokens_end_with_the_credential(setup: Setup) -> None:
    """Keystone caps a token made from the credential at the credential's expiry (not its
    own default hour), so what a kernel takes from its server ends with the credential."""
    creds = setup.issuer(lifetime=60).issue("jack")
    assert creds.expires_at is not None
    sess = kernel_session(creds)
    plugin: Any = sess.auth
    token_expires = plugin.get_access(sess).expires
    assert token_expires <= creds.expires_at + timedelta(seconds=1), (token_expires, creds)
    assert token_expires > datetime.now(timezone.utc)


def test_expired_credentials_are_swept(setup: Setup) -> None:
    """Each issue deletes the user's expired nbshelf credentials (they would pile up)."""
    issuer = setup.issuer(lifetime=60)
    first = issuer.issue("kate")
    assert first.expires_at is not None
    deadline = time.monotonic() + 300  # a bound, not a speed assertion
    while datetime.now(timezone.utc) <= first.expires_at:
        assert time.monotonic() < deadline
        time.sleep(1)
    second = issuer.issue("kate")
    v3 = setup.keystone.v3
    h = setup.keystone.admin_headers()
    users = requests.get(
        f"{v3}/users", headers=h, timeout=30, params={"name": f"nbshelf-{setup.tag}-kate"}
    ).json()["users"]
    r = requests.get(f"{v3}/users/{users[0]['id']}/application_credentials", headers=h, timeout=30)
    r.raise_for_status()
    ids = {c["id"] for c in r.json()["application_credentials"]}
    assert ids == {second.env["OS_APPLICATION_CREDENTIAL_ID"]}, ids
