"""The "Share…" extension in a real browser where test_share_browser.py does not go:
Notebook 7 (its File menu, its notebook toolbar and its tree page's file browser), and
JupyterLab's file browser context menu with a revoke from the dialog. Debian's
Chromium driven by Playwright for Python, on a real ``nbshelf serve`` over the local
store, whose links are served by the server itself (``/nbshelf/shared/<id>/<name>``).

Each server loads the extension from the repository's committed build
(``src/nbshelf/labextension``, put first on ``JUPYTER_PATH``), not from whatever copy
the virtualenv installed, and the test checks the browser loaded that build.
Screenshots go to a temporary folder, copied to build/artifacts/share/."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.servers.browser import ARGS, CHROMIUM, playwright
from tests.servers.jupyter import NbshelfServer
from tests.share.helpers import anonymous, clean_env

pytestmark = [pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "src" / "nbshelf" / "labextension"
ARTIFACTS = REPO / "build" / "artifacts" / "share"
SOURCE = 'print("shelved in nb7", 6 * 7)'
OUTPUT = "shelved in nb7 42"
SHARE_ITEM = re.compile(r"^Share…$")


def _write_notebook(path: Path) -> None:
    """A notebook as saved after a run: one code cell and its output, a Python kernel."""
    cell = nbformat.v4.new_code_cell(
        SOURCE,
        execution_count=1,
        outputs=[nbformat.v4.new_output("stream", name="stdout", text=OUTPUT + "\n")],
    )
    nb = nbformat.v4.new_notebook(
        cells=[cell],
        metadata={
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            }
        },
    )
    nbformat.write(nb, path)


def _remote_entry() -> str:
    """The file name of the committed build's entry point (what the browser must load)."""
    meta = json.loads((BUILD / "package.json").read_text())
    return str(Path(meta["jupyterlab"]["_build"]["load"]).name)


def _serve(tmp: Path, *extra: str) -> NbshelfServer:
    """``nbshelf serve`` on the local store ``tmp/root``, the extension from BUILD."""
    data = tmp / "jupyter-data"
    (data / "labextensions" / "@nbshelf").mkdir(parents=True)
    (data / "labextensions" / "@nbshelf" / "share").symlink_to(BUILD)
    root = tmp / "root"
    root.mkdir()
    _write_notebook(root / "demo.ipynb")
    env = clean_env(JUPYTER_PATH=str(data))
    return NbshelfServer(root, *extra, env=env).start()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """(a launched Chromium, the screenshots folder)."""
    sync_api = playwright()
    shots = tmp_path / "artifacts"
    shots.mkdir()
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield chromium, shots
        finally:
            chromium.close()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for shot in shots.glob("*.png"):
                shutil.copy(shot, ARTIFACTS / shot.name)


def _owner_page(chromium: Any, server: NbshelfServer) -> tuple[Any, list[str]]:
    """A logged-in page, and the list of extension entry points it loads."""
    owner = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = owner.new_page()
    page.set_default_timeout(60_000)
    loaded: list[str] = []
    page.on(
        "response",
        lambda r: (
            loaded.append(r.url.split("?")[0].rsplit("/", 1)[-1])
            if "/@nbshelf/share/static/remoteEntry." in r.url and r.ok
            else None
        ),
    )
    return page, loaded


def _create_public_link(page: Any, server: NbshelfServer, name: str) -> str:
    """In the open Share… dialog: a public link (the local store: served by nbshelf)."""
    page.locator(".jp-Dialog .nbshelf-share").wait_for()
    assert page.locator(".nbshelf-share-file b").inner_text() == name
    page.locator(".nbshelf-share-none", has_text="Not shared yet.").wait_for()
    page.locator(".nbshelf-share-kinds input[value='public']").check()
    page.locator(".nbshelf-share-create").click()
    box = page.locator(".nbshelf-share-link")
    box.wait_for()
    link = str(box.input_value())
    assert link.startswith(f"{server.url}/nbshelf/shared/"), link
    item = page.locator(".nbshelf-share-list li[data-share-id]")
    item.first.wait_for()
    assert item.count() == 1
    assert "Link served by this server" in item.first.inner_text()
    return link


def test_share_from_notebook7(tmp_path: Path, browser: tuple[Any, Path]) -> None:
    chromium, shots = browser
    server = _serve(tmp_path, "--app", "notebook")
    try:
        page, loaded = _owner_page(chromium, server)
        page.goto(f"{server.url}/notebooks/demo.ipynb?token={server.token}")
        # Notebook 7's own page (not JupyterLab's shell), the notebook shown
        page.locator("#main-panel .jp-NotebookPanel").wait_for()
        page.locator(".jp-Cell .jp-OutputArea-output", has_text=OUTPUT).wait_for()
        assert page.locator(".jp-LabShell").count() == 0
        # the notebook toolbar has the button (the widget extension ran)
        page.locator(".jp-NotebookPanel-toolbar .nbshelf-share-button").wait_for()
        assert _remote_entry() in loaded, loaded

        # File > Share… (Notebook 7 has the main menu)
        page.locator(".lm-MenuBar-itemLabel", has_text="File").first.click()
        share_item = page.locator(".lm-Menu-itemLabel", has_text=SHARE_ITEM)
        share_item.wait_for()
        assert share_item.count() == 1
        share_item.click()
        link = _create_public_link(page, server, "demo.ipynb")
        page.screenshot(path=str(shots / "nb7-share-dialog.png"))
        page.locator(".jp-Dialog-footer .jp-mod-accept", has_text="Close").click()
        page.locator(".jp-Dialog").wait_for(state="detached")

        # the toolbar button opens the same dialog, listing the share just made
        page.locator(".nbshelf-share-button").first.click()
        page.locator(".jp-Dialog .nbshelf-share").wait_for()
        listed = page.locator(".nbshelf-share-list li[data-share-id]")
        listed.first.wait_for()
        assert listed.count() == 1
        page.locator(".jp-Dialog-footer .jp-mod-accept", has_text="Close").click()
        page.locator(".jp-Dialog").wait_for(state="detached")
        shares = server.api("GET", "/nbshelf/api/shares", params={"path": "demo.ipynb"}).json()
        assert [s["urls"]["html"] for s in shares["shares"]] == [link]

        # Notebook 7's tree page: its file browser's context menu has Share… too,
        # and it finds the right-clicked file (the share above is listed)
        page.goto(f"{server.url}/tree?token={server.token}")
        item = page.locator(".jp-DirListing-item", has_text="demo.ipynb")
        item.wait_for()
        item.click(button="right")
        tree_share = page.locator(".lm-Menu-itemLabel", has_text=SHARE_ITEM)
        tree_share.wait_for()
        tree_share.click()
        page.locator(".jp-Dialog .nbshelf-share").wait_for()
        assert page.locator(".nbshelf-share-file b").inner_text() == "demo.ipynb"
        page.locator(".nbshelf-share-list li[data-share-id]").first.wait_for()
        page.locator(".jp-Dialog-footer .jp-mod-accept", has_text="Close").click()

        # a second, anonymous context (no cookie, no token) opens the link
        anon = chromium.new_context(viewport={"width": 1100, "height": 700})
        viewer = anon.new_page()
        viewer.set_default_timeout(60_000)
        response = viewer.goto(link)
        assert response is not None and response.status == 200
        viewer.get_by_text(OUTPUT).first.wait_for()
        assert "shelved in nb7" in viewer.locator(".jp-InputArea").first.inner_text()
        viewer.screenshot(path=str(shots / "nb7-shared-page.png"), full_page=True)
        # ...and nothing else of the server
        assert anonymous(f"{server.url}/api/contents/demo.ipynb").status_code in (401, 403)
        anon.close()
    finally:
        server.stop()


def test_share_and_revoke_from_lab_file_browser_context_menu(
    tmp_path: Path, browser: tuple[Any, Path]
) -> None:
    chromium, shots = browser
    server = _serve(tmp_path)
    try:
        (server.root / "sub").mkdir()
        page, loaded = _owner_page(chromium, server)
        page.goto(f"{server.url}/lab?token={server.token}")
        item = page.locator(".jp-DirListing-item", has_text="demo.ipynb")
        item.wait_for()
        assert _remote_entry() in loaded, loaded

        # right-click the notebook in the file browser: Share… in the context menu
        item.click(button="right")
        share_item = page.locator(".lm-Menu-itemLabel", has_text=SHARE_ITEM)
        share_item.wait_for()
        assert share_item.count() == 1
        page.screenshot(path=str(shots / "lab-context-menu.png"))
        share_item.click()
        link = _create_public_link(page, server, "demo.ipynb")
        page.locator(".jp-Dialog-content").screenshot(path=str(shots / "lab-context-dialog.png"))
        page_answer = anonymous(link)
        assert page_answer.status_code == 200 and OUTPUT in page_answer.text
        shares = server.api("GET", "/nbshelf/api/shares", params={"path": "demo.ipynb"}).json()
        (share,) = shares["shares"]
        assert share["urls"]["html"] == link
        assert anonymous(share["urls"]["notebook"]).status_code == 200

        # Revoke from the dialog: the list updates, the links are gone for everyone
        page.locator(f"li[data-share-id='{share['id']}'] .nbshelf-share-revoke").click()
        page.locator(".nbshelf-share-none", has_text="Not shared yet.").wait_for()
        assert page.locator(".nbshelf-share-list li[data-share-id]").count() == 0
        assert page.locator(".nbshelf-share-link").count() == 0  # the shown link is cleared
        assert "no longer works" in page.locator(".nbshelf-share-status").inner_text()
        assert anonymous(link).status_code == 404
        assert anonymous(share["urls"]["notebook"]).status_code == 404
        listed = server.api("GET", "/nbshelf/api/shares", params={"path": "demo.ipynb"})
        assert listed.json() == {"shares": []}
        page.locator(".jp-Dialog-footer .jp-mod-accept", has_text="Close").click()
        page.locator(".jp-Dialog").wait_for(state="detached")

        # a folder's context menu has no Share… (the item is for files only)
        folder = page.locator(".jp-DirListing-item[data-isdir='true']", has_text="sub")
        folder.click(button="right")
        page.locator(".lm-Menu-itemLabel", has_text="Rename").first.wait_for()
        assert page.locator(".lm-Menu-itemLabel", has_text=SHARE_ITEM).count() == 0
        page.keyboard.press("Escape")
    finally:
        server.stop()
