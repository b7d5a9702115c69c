"""A real browser (Debian's Chromium via Playwright): JupyterLab served by ``nbshelf
serve`` on the real Swift, with the ecosystem tools on (real-time collaboration is then
JupyterLab's default), opens a notebook, exports it from File > Save and Export Notebook
As > HTML, and the downloaded file is read: the notebook's heading, its output and the
neighbouring image (embedded, read from the store into the export's resources folder)."""

from __future__ import annotations

import base64
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.ecosystem.conftest import notebook
from tests.servers.browser import ARGS, CHROMIUM, playwright
from tests.servers.jupyter import NbshelfServer
from tests.servers.swift import SwiftServer
from tests.share.helpers import clean_env

pytestmark = [pytest.mark.browser, pytest.mark.swift]

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "artifacts" / "ecosystem"
#: The current tab has shown no unsaved change for 2 s (the kernel's metadata, if it came
#: late, made it dirty and the room's save, a second later, clean again).
CLEAN_FOR_TWO_SECONDS = """() => {
  const dirty = document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty');
  if (dirty) { window.nbshelfCleanSince = null; return false; }
  window.nbshelfCleanSince = window.nbshelfCleanSince || Date.now();
  return Date.now() - window.nbshelfCleanSince >= 2000;
}"""
PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5"
    "ErkJggg=="
)


@pytest.fixture(scope="module")
def lab(
    swift_server: SwiftServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NbshelfServer]:
    env = clean_env(ST_AUTH=swift_server.auth_url, ST_USER="test:tester", ST_KEY="testing")
    srv = NbshelfServer(
        tmp_path_factory.mktemp("export-browser"),
        "--HTMLExporter.embed_images=True",
        store="swift://export-browser",
        env=env,
        ecosystem=True,
    ).start(timeout=120)
    yield srv
    srv.stop()


def _prepare(lab: NbshelfServer) -> str:
    assert lab.api("PUT", "/api/contents/reports", json={"type": "directory"}).ok
    r = lab.api(
        "PUT",
        "/api/contents/reports/chart.png",
        json={"type": "file", "format": "base64", "content": PNG_B64},
    )
    assert r.ok, r.text
    nb = notebook("6 * 7", markdown="# Quarterly figures\n\n![chart](chart.png)")
    nb["cells"][1]["execution_count"] = 1
    nb["cells"][1]["outputs"] = [
        nbformat.v4.new_output("execute_result", data={"text/plain": "4242"}, execution_count=1)
    ]
    r = lab.api("PUT", "/api/contents/reports/q3.ipynb", json={"type": "notebook", "content": nb})
    assert r.ok, r.text
    return "reports/q3.ipynb"


def test_export_html_from_the_file_menu(lab: NbshelfServer, tmp_path: Path) -> None:
    sync_api = playwright()
    path = _prepare(lab)
    shots = tmp_path / "artifacts"
    shots.mkdir()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 900}, accept_downloads=True
            )
            downloads: list[Any] = []
            seen: list[str] = []  # what the browser said and asked, for a failure's message

            def keep(download: Any) -> None:
                downloads.append(download)

            def note(line: str) -> None:
                if line.startswith("console") or "/nbconvert/" in line:
                    seen.append(line)

            def watch(p: Any) -> None:
                p.on("download", keep)
                p.on("console", lambda m: note(f"console {m.type}: {m.text}"))
                p.on("request", lambda r: note(f"{r.method} {r.url}"))
                p.on("response", lambda r: note(f"{r.status} {r.url}"))

            # JupyterLab downloads through a link or a new tab: either page's download
            context.on("page", watch)
            page = context.new_page()
            watch(page)
            page.set_default_timeout(60_000)
            # JupyterLab fills File > Save and Export Notebook As from GET /api/nbconvert,
            # which may answer after the notebook shows (seconds later on a loaded
            # machine): before it, the submenu is empty and does not open
            formats = page.expect_response(
                lambda r: "/api/nbconvert" in r.url and r.ok, timeout=180_000
            )
            with formats:
                page.goto(f"{lab.url}/lab/tree/{path}?token={lab.token}")
            try:
                page.locator(".jp-NotebookPanel").first.wait_for(timeout=120_000)
                # the rendered heading (the text is also in the cell's hidden editor and
                # in the hidden table of contents, which come first in the page)
                page.locator(".jp-RenderedMarkdown", has_text="Quarterly figures").first.wait_for(
                    timeout=120_000
                )
            finally:
                page.screenshot(path=str(shots / "opened.png"))
            # The kernel's start writes its kernelspec and language_info into the notebook,
            # and the collaboration room saves that a second later. An export of a dirty
            # notebook first asks the room for a save of its own: once, in a loaded run,
            # that save stayed at "Saving started" and no download came (not reproduced
            # since; what the browser and server say is kept if it happens again). That
            # interplay is JupyterLab's and jupyter-collaboration's; this test is
            # about the export reading the notebook and its neighbours from the store, so
            # it exports once the kernel is idle and the room has saved.
            page.locator(".jp-StatusBar-Widget", has_text="Idle").first.wait_for(timeout=120_000)
            page.wait_for_function(CLEAN_FOR_TWO_SECONDS, polling=250, timeout=120_000)

            page.locator(".lm-MenuBar-itemLabel", has_text="File").first.click()
            try:
                page.locator(".lm-Menu-itemLabel", has_text="Save and Export Notebook As").click()
                page.locator(".lm-Menu-itemLabel", has_text="HTML").first.click()
                # JupyterLab 4.6 asks "Export as HTML: Sanitize HTML output" (on by default)
                page.locator(".jp-Dialog-button.jp-mod-accept", has_text="Ok").click()
            finally:
                page.screenshot(path=str(shots / "menu.png"))
            deadline = time.monotonic() + 120
            while not downloads and time.monotonic() < deadline:
                page.wait_for_timeout(250)
            if not downloads:
                page.screenshot(path=str(shots / "no-download.png"))
                pytest.fail(
                    "no download started.\nBrowser (nbconvert requests, console):\n"
                    + "\n".join(seen[-40:])
                    + "\nServer log (end):\n"
                    + lab.log()[-4000:]
                )
            download = downloads[0]
            assert download.suggested_filename == "q3.html"
            html = Path(download.path()).read_text()
            page.screenshot(path=str(shots / "exported.png"))
            context.close()
        finally:
            browser.close()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for shot in shots.glob("*.png"):
                shutil.copy(shot, ARTIFACTS / shot.name)
    assert "<html" in html and "Quarterly figures" in html and "4242" in html
    assert f"data:image/png;base64,{base64.b64encode(base64.b64decode(PNG_B64)).decode()}" in html
