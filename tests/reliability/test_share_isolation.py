"""Per-user prefixes hold for the share API too: two real ``nbshelf serve`` for two
users (``prefix = users/{username}``) on one local store. Bob can neither list, read,
update nor revoke Alice's shares through ``/nbshelf/api/shares``, nor have his server
serve her snapshot; her share keeps working, untouched, throughout."""

from __future__ import annotations

from pathlib import Path

import nbformat
import requests

from tests.servers.jupyter import NbshelfServer

from .conftest import Ledger


def _server(tmp: Path, store: Path, user: str) -> NbshelfServer:
    root = tmp / user
    root.mkdir()
    return NbshelfServer(
        root,
        "--ShelfContentsManager.prefix=users/{username}",
        store=str(store),
        env={"JUPYTERHUB_USER": user},
    ).start()


def _anonymous(url: str) -> requests.Response:
    return requests.get(url, timeout=30)


def test_share_api_is_per_user(tmp_path: Path, ledger: Ledger) -> None:
    store = tmp_path / "store"
    store.mkdir()
    alice, bob = _server(tmp_path, store, "alice"), _server(tmp_path, store, "bob")
    try:
        nb = dict(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("alice's")]))
        url = "/api/contents/secret.ipynb"
        assert alice.api("PUT", url, json={"type": "notebook", "content": nb}).status_code == 201
        r = alice.api(
            "POST", "/nbshelf/api/shares", json={"path": "secret.ipynb", "kind": "public"}
        )
        assert r.status_code == 201, r.text
        share = r.json()
        sid = share["id"]
        assert (store / "users" / "alice" / ".nbshelf" / "shares" / f"{sid}.json").exists()
        html = share["urls"]["html"]
        assert _anonymous(html).status_code == 200

        tries = {
            "list": bob.api("GET", "/nbshelf/api/shares"),
            "list revoked too": bob.api("GET", "/nbshelf/api/shares", params={"revoked": 1}),
            "list by path": bob.api("GET", "/nbshelf/api/shares", params={"path": "secret.ipynb"}),
            "read": bob.api("GET", f"/nbshelf/api/shares/{sid}"),
            "update": bob.api("POST", f"/nbshelf/api/shares/{sid}/update"),
            "revoke": bob.api("DELETE", f"/nbshelf/api/shares/{sid}"),
            "share her path": bob.api(
                "POST", "/nbshelf/api/shares", json={"path": "secret.ipynb", "kind": "public"}
            ),
            "share by ..": bob.api(
                "POST",
                "/nbshelf/api/shares",
                json={"path": "../alice/secret.ipynb", "kind": "public"},
            ),
        }
        ledger.bad_input("cross-user share access", len(tries) + 1)
        for what in ("list", "list revoked too", "list by path"):
            assert tries[what].status_code == 200, (what, tries[what].text)
            assert tries[what].json() == {"shares": []}, what
        for what in ("read", "update", "revoke", "share her path"):
            assert tries[what].status_code == 404, (what, tries[what].status_code)
        assert tries["share by .."].status_code == 400
        for what, r in tries.items():  # nothing of hers in any answer
            assert html not in r.text and "alice's" not in r.text, what
        # bob's server does not serve alice's snapshot (it looks in bob's prefix)
        own = html.replace(alice.url, bob.url)
        assert _anonymous(own).status_code == 404

        # alice's share is untouched: listed, readable, served, revocable by her only
        mine = alice.api("GET", "/nbshelf/api/shares").json()["shares"]
        assert [s["id"] for s in mine] == [sid] and mine[0]["active"]
        assert _anonymous(html).status_code == 200
        assert alice.api("DELETE", f"/nbshelf/api/shares/{sid}").status_code == 200
        assert _anonymous(html).status_code == 404
    finally:
        alice.stop()
        bob.stop()
