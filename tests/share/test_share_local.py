"""Sharing on the local store, through a real ``nbshelf serve`` over HTTP: the server
itself serves the snapshot at an unguessable URL without login, nothing else."""

from __future__ import annotations

import json

import pytest
import requests

from tests.servers.jupyter import NbshelfServer
from tests.share.helpers import MARK, anonymous, check_published, notebook, save


@pytest.fixture
def served(local_server: NbshelfServer) -> NbshelfServer:
    """The session's ``nbshelf serve`` on the local store (tests/servers/plugin.py)."""
    return local_server


def test_share_fetch_anonymously_update_revoke(served: NbshelfServer) -> None:
    save(served, "work.ipynb", notebook())
    r = served.api("POST", "/nbshelf/api/shares", json={"path": "work.ipynb", "kind": "public"})
    assert r.status_code == 201, r.text
    share = r.json()
    assert share["kind"] == "local" and share["expires"] is None and share["active"]
    assert len(share["id"]) >= 22
    assert share["urls"]["html"].startswith(f"{served.url}/nbshelf/shared/{share['id']}/")
    raw = check_published(share)
    assert raw == (served.root / "work.ipynb").read_bytes()  # the notebook's own bytes
    page = anonymous(share["urls"]["html"])
    assert "sandbox" in page.headers["Content-Security-Policy"]
    assert "nbviewer" not in share["urls"]  # nbviewer cannot reach a local server

    # a snapshot: saving again changes nothing until the share is updated
    save(served, "work.ipynb", notebook("print('v2')", "second-version\n"))
    assert "second-version" not in anonymous(share["urls"]["html"]).text
    r = served.api("POST", f"/nbshelf/api/shares/{share['id']}/update")
    assert r.status_code == 200 and r.json()["urls"] == share["urls"]
    assert "second-version" in anonymous(share["urls"]["html"]).text

    listed = served.api("GET", "/nbshelf/api/shares", params={"path": "work.ipynb"}).json()
    assert [s["id"] for s in listed["shares"]] == [share["id"]]

    r = served.api("DELETE", f"/nbshelf/api/shares/{share['id']}")
    assert r.status_code == 200 and r.json()["revoked"] and "no longer works" in r.json()["message"]
    assert anonymous(share["urls"]["html"]).status_code == 404
    assert anonymous(share["urls"]["notebook"]).status_code == 404
    assert served.api("GET", "/nbshelf/api/shares", params={"path": "work.ipynb"}).json() == {
        "shares": []
    }
    r = served.api("POST", f"/nbshelf/api/shares/{share['id']}/update")
    assert r.status_code == 409


def test_expiring_link_served_until_it_expires(served: NbshelfServer) -> None:
    save(served, "exp.ipynb", notebook())
    r = served.api(
        "POST",
        "/nbshelf/api/shares",
        json={"path": "exp.ipynb", "kind": "expiring", "expires_in": "2d"},
    )
    assert r.status_code == 201, r.text
    share = r.json()
    assert share["kind"] == "local" and share["expires"]
    check_published(share)
    # an expired record is refused by the server (the record is edited to the past)
    record = served.root / ".nbshelf" / "shares" / f"{share['id']}.json"
    data = json.loads(record.read_text())
    data["expires"] = "2000-01-01T00:00:00Z"
    record.write_text(json.dumps(data))
    assert anonymous(share["urls"]["html"]).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"path": "exp.ipynb", "kind": "expiring", "expires_in": -60},
        {"path": "exp.ipynb", "kind": "expiring", "expires_in": "2000-01-01T00:00:00Z"},
        {"path": "exp.ipynb", "kind": "expiring", "expires_in": 0},
        {"path": "../outside.ipynb", "kind": "public"},
        {"path": "a/../../outside.ipynb", "kind": "public"},
        {"path": ".nbshelf/shares/x.json", "kind": "public"},
        {"path": ".nbshelf", "kind": "expiring"},
        {"path": "", "kind": "public"},
        {"path": "exp.ipynb", "kind": "sideways"},
    ],
)
def test_refused_requests(served: NbshelfServer, body: dict[str, object]) -> None:
    save(served, "exp.ipynb", notebook())
    r = served.api("POST", "/nbshelf/api/shares", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["message"]


def test_missing_file_is_404(served: NbshelfServer) -> None:
    r = served.api("POST", "/nbshelf/api/shares", json={"path": "nope.ipynb", "kind": "public"})
    assert r.status_code == 404


def test_only_shared_snapshots_without_login(served: NbshelfServer) -> None:
    save(served, "secret.ipynb", notebook())
    share = served.api(
        "POST", "/nbshelf/api/shares", json={"path": "secret.ipynb", "kind": "public"}
    ).json()
    base = f"{served.url}/nbshelf/shared/{share['id']}"
    assert anonymous(f"{base}/secret.html").status_code == 200
    # everything else still needs login
    for path in (
        "/api/contents/secret.ipynb",
        "/api/contents",
        "/nbshelf/api/shares",
        f"/nbshelf/api/shares/{share['id']}",
        "/nbshelf/api/status",
    ):
        assert anonymous(served.url + path).status_code in (401, 403), path
    assert anonymous(f"{served.url}/lab").status_code in (302, 401, 403)
    # no other name under a real share id, no guessed id, no path tricks
    for url in (
        f"{base}/other.ipynb",
        f"{base}/..%2Fsecret.ipynb",
        f"{base}/{share['id']}.json",
        f"{served.url}/nbshelf/shared/{'A' * 24}/secret.html",
        # one character changed (a random id may end in X itself: then Y)
        f"{served.url}/nbshelf/shared/{share['id'][:-1]}"
        f"{'Y' if share['id'].endswith('X') else 'X'}/secret.html",
    ):
        assert anonymous(url).status_code == 404, url
    # creating a share without login is refused, and so is revoking one
    assert requests.post(
        f"{served.url}/nbshelf/api/shares", json={"path": "secret.ipynb"}, timeout=30
    ).status_code in (401, 403)
    assert requests.delete(
        f"{served.url}/nbshelf/api/shares/{share['id']}", timeout=30
    ).status_code in (401, 403)
    # with a session cookie but no XSRF token, a POST is refused (the server's XSRF rule)
    s = requests.Session()
    s.get(f"{served.url}/lab?token={served.token}", timeout=30)
    assert s.get(f"{served.url}/nbshelf/api/shares", timeout=30).status_code == 200
    r = s.post(f"{served.url}/nbshelf/api/shares", json={"path": "secret.ipynb"}, timeout=30)
    assert r.status_code == 403
    xsrf = s.cookies.get("_xsrf")
    r = s.post(
        f"{served.url}/nbshelf/api/shares",
        json={"path": "secret.ipynb"},
        headers={"X-XSRFToken": xsrf},
        timeout=30,
    )
    assert r.status_code == 201
    assert MARK in anonymous(r.json()["urls"]["html"]).text
