"""Saves through a real ``nbshelf serve`` continue across several renewals of its
short-lived Keystone credentials (60-second application credentials, the shortest
:class:`~nbshelf.hub.keystone.KeystoneIssuer` allows), on the real Swift and Keystone.

The server's Swift store gets a credential source (its ``credentials`` option) that
calls the real issuer in the server's process; on JupyterHub the source is the hub
client asking the hub's service instead (tests/hub's JupyterHub harness). What is shown
here is the store's side: fresh credentials taken before the old ones expire, without a
restart and without one refused request at Swift (its access log has no 401 or 403).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.servers.jupyter import NbshelfServer

from .keystone_setup import HUB_PASSWORD, Setup

pytestmark = [pytest.mark.swift, pytest.mark.keystone]

#: what the server's config does: the real issuer, each answer logged (ids, not secrets)
CONFIG = """
import json
from nbshelf.hub.keystone import KeystoneIssuer

issuer = KeystoneIssuer(**{issuer!r})

def source():
    creds = issuer.issue("alice")
    with open({log!r}, "a") as f:
        f.write(json.dumps({{"id": creds.env["OS_APPLICATION_CREDENTIAL_ID"],
                            "expires_at": creds.expires_at.isoformat()}}) + "\\n")
    return creds

c.ShelfContentsManager.store_url = "swift://notebooks-alice"
c.ShelfContentsManager.store_options = {{"credentials": source}}
"""


@pytest.fixture(scope="module")
def setup(keystone_server: Any, keystone_swift: Any) -> Setup:
    return Setup(keystone_server, keystone_swift)


def issued(log: Path) -> list[dict[str, str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line]


def test_saves_continue_across_renewals(setup: Setup, tmp_path: Path) -> None:
    log = tmp_path / "issued.jsonl"
    opts = {
        "auth_url": setup.keystone.url,
        "admin_username": setup.hub_user,
        "admin_password": HUB_PASSWORD,
        "project": setup.project,
        "user_name_template": f"nbshelf-{setup.tag}-{{username}}",
        "user_key": "key-" + setup.tag,
        "lifetime": 60,
    }
    root = tmp_path / "root"
    root.mkdir()
    config_dir = tmp_path / "root-config"  # NbshelfServer's JUPYTER_CONFIG_DIR
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.py").write_text(CONFIG.format(issuer=opts, log=str(log)))
    blank = {k: "" for k in ("OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "ST_AUTH")}
    srv = NbshelfServer(root, env=blank).start()
    swift = setup.swift
    try:
        swift.mark()
        saves = 0
        last_after_expiry = False
        # save every second until four credentials were issued (the first and three
        # renewals) and the first one has expired; bounded, never asserted on time
        deadline = time.monotonic() + 600
        while True:
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"n = {saves}")])
            r = srv.api("PUT", "/api/contents/n.ipynb", json={"type": "notebook", "content": nb})
            assert r.status_code in (200, 201), r.text
            got = srv.api("GET", "/api/contents/n.ipynb").json()
            assert got["content"]["cells"][0]["source"] == f"n = {saves}"
            saves += 1
            creds = issued(log)
            if len(creds) >= 4 and _expired(creds[0]) and last_after_expiry:
                break
            last_after_expiry = bool(creds) and _expired(creds[0])
            assert time.monotonic() < deadline, f"{len(creds)} issued: {srv.log()[-2000:]}"
            time.sleep(1)
        entries = [e for e in swift.access_log() if "/notebooks-alice" in e.path]
    finally:
        srv.stop()
    refusals = [e for e in entries if e.status in (401, 403) or e.status >= 500]
    assert refusals == [], refusals
    ids = [c["id"] for c in issued(log)]
    assert len(set(ids)) == len(ids) >= 4  # a new credential each time
    # the last save came after the first credential expired (Keystone caps the tokens
    # made from it at its expiry, and Swift checks each token): it used fresh ones
    body = setup.operator().get_object("notebooks-alice", "n.ipynb")[1]
    saved = nbformat.reads(body.decode(), as_version=4)
    assert saved.cells[0].source == f"n = {saves - 1}"
    print(f"\n{saves} saves, {len(ids)} credentials issued, 0 refused at Swift")


def _expired(cred: dict[str, str]) -> bool:
    return datetime.fromisoformat(cred["expires_at"]) < datetime.now(timezone.utc)
