"""A real browser: Debian's Chromium, driven by Playwright for Python, on JupyterLab
served by ``nbshelf serve`` on the real test Swift. It creates a notebook, types and
runs a cell, saves, opens Share… from the notebook toolbar, makes an expiring link
(a Swift TempURL) and copies it; a second, anonymous browser context opens the link
and sees the cell and its output. Screenshots of the dialog and of the shared page are
kept (a temporary folder, copied to build/artifacts/share/)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.servers.browser import ARGS, CHROMIUM, playwright
from tests.servers.jupyter import NbshelfServer
from tests.servers.swift import SwiftServer
from tests.share.helpers import clean_env

pytestmark = [pytest.mark.browser, pytest.mark.swift]

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "artifacts" / "share"
CODE = 'print("hello from chromium", 6 * 7)'
OUTPUT = "hello from chromium 42"


@pytest.fixture(scope="module")
def lab(
    swift_server: SwiftServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NbshelfServer]:
    env = clean_env(ST_AUTH=swift_server.auth_url, ST_USER="test:tester", ST_KEY="testing")
    srv = NbshelfServer(
        tmp_path_factory.mktemp("share-browser"), store="swift://browser", env=env
    ).start()
    yield srv
    srv.stop()


def test_share_from_jupyterlab_in_chromium(lab: NbshelfServer, tmp_path: Path) -> None:
    sync_api = playwright()
    shots = tmp_path / "artifacts"
    shots.mkdir()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            owner = browser.new_context(viewport={"width": 1280, "height": 900})
            owner.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.url)
            page = owner.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{lab.url}/lab?token={lab.token}")
            # the extension is installed in the File menu (as well as toolbar/context menu)
            page.locator(".lm-MenuBar-itemLabel", has_text="File").first.click()
            assert page.locator(".lm-Menu-itemLabel", has_text="Share…").count() == 1
            page.keyboard.press("Escape")

            # a new notebook from the launcher, one cell typed and run, saved
            page.locator('.jp-LauncherCard[data-category="Notebook"]').first.click()
            editor = page.locator(".jp-NotebookPanel .jp-Cell .cm-content").first
            # run only once the kernel is up (slow on a loaded 2-core machine)
            page.locator(
                ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']"
            ).first.wait_for(timeout=180_000)
            editor.click()
            page.keyboard.type(CODE)
            page.keyboard.press("Shift+Enter")
            output = page.locator(".jp-OutputArea-output", has_text=OUTPUT)
            for _ in range(3):
                try:
                    output.wait_for(timeout=20_000)
                    break
                except sync_api.TimeoutError:
                    # JupyterLab can drop a run issued while its kernel connection is
                    # still settling (the prompt stays "[ ]"): run the first cell again
                    editor.click()
                    page.keyboard.press("Shift+Enter")
            output.wait_for()
            page.keyboard.press("Control+s")
            # JupyterLab asks for a name on an Untitled notebook's first save: keep it
            rename = page.locator(".jp-Dialog .jp-mod-accept")
            try:
                rename.wait_for(timeout=5_000)
                page.screenshot(path=str(shots / "first-save.png"))
                rename.click()
            except sync_api.TimeoutError:
                pass
            path = _wait_saved(lab)

            # Share… from the notebook toolbar: an expiring link, copied
            page.locator(".nbshelf-share-button").first.click()
            dialog = page.locator(".jp-Dialog .nbshelf-share")
            dialog.wait_for()
            assert page.locator(".nbshelf-share-expiry").input_value() == "7d"
            page.locator(".nbshelf-share-create").click()
            link_box = page.locator(".nbshelf-share-link")
            link_box.wait_for()
            link = link_box.input_value()
            assert "temp_url_sig=" in link and link.startswith("http://127.0.0.1")
            page.locator(".nbshelf-share-copy").click()
            page.locator(".nbshelf-share-copy", has_text="Copied").wait_for()
            assert page.evaluate("navigator.clipboard.readText()") == link
            page.locator(".nbshelf-share-list li[data-share-id]").first.wait_for()
            page.locator(".jp-Dialog-content").screenshot(path=str(shots / "share-dialog.png"))
            shares = lab.api("GET", "/nbshelf/api/shares", params={"path": path}).json()
            assert [s["urls"]["html"] for s in shares["shares"]] == [link]

            # a second, anonymous context: no cookies, no token
            anon = browser.new_context(viewport={"width": 1100, "height": 800})
            viewer = anon.new_page()
            response = viewer.goto(link)
            assert response is not None and response.status == 200
            viewer.get_by_text(OUTPUT).first.wait_for()
            assert CODE.split("(")[0] in viewer.content()
            viewer.screenshot(path=str(shots / "shared-page.png"), full_page=True)
            assert requests.get(f"{lab.url}/api/contents/{path}", timeout=30).status_code in (
                401,
                403,
            )
            anon.close()
            owner.close()
        finally:
            browser.close()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for shot in shots.glob("*.png"):
                shutil.copy(shot, ARTIFACTS / shot.name)


def _wait_saved(lab: NbshelfServer) -> str:
    """The saved notebook's path once its output is in the store (the save landed)."""
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listing = lab.api("GET", "/api/contents").json()["content"]
        for entry in listing:
            if entry["type"] == "notebook":
                nb = lab.api("GET", f"/api/contents/{entry['path']}").json()["content"]
                if any(OUTPUT in str(c.get("outputs")) for c in nb["cells"]):
                    return str(entry["path"])
        time.sleep(0.3)
    raise AssertionError("the notebook was not saved with its output")
