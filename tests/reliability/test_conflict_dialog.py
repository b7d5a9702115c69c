"""Two nbshelf servers on one store, one notebook: JupyterLab's "File Changed" dialog.

A real browser (Debian's Chromium, Playwright) edits a notebook in JupyterLab served
by one ``nbshelf serve``; a second ``nbshelf serve`` on the same store (the user's other
machine) saves the same notebook. When the browser saves, JupyterLab's poll sees the
store's new hash and asks instead of overwriting; the other server's version is still
what the store holds. A screenshot of the dialog goes to build/artifacts/reliability/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from tests.servers.browser import ARGS, CHROMIUM, playwright
from tests.servers.jupyter import NbshelfServer

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "artifacts" / "reliability"


def _notebook(source: str) -> dict:
    # with a kernelspec, JupyterLab opens it without asking which kernel to use
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source)], metadata={"kernelspec": kernelspec}
    )


def test_second_servers_save_raises_jupyterlabs_file_changed_dialog(tmp_path: Path) -> None:
    sync_api = playwright()
    shared = tmp_path / "store"
    shared.mkdir()
    (shared / "shared.ipynb").write_text(nbformat.writes(nbformat.from_dict(_notebook("v1"))))
    laptop_root, desktop_root = tmp_path / "laptop", tmp_path / "desktop"
    laptop_root.mkdir()
    desktop_root.mkdir()
    laptop = NbshelfServer(laptop_root, store=str(shared)).start()
    desktop = NbshelfServer(desktop_root, store=str(shared)).start()
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.set_default_timeout(60_000)
                page.goto(f"{laptop.url}/lab/tree/shared.ipynb?token={laptop.token}")
                editor = page.locator(".jp-NotebookPanel .jp-Cell .cm-content").first
                editor.wait_for()
                page.locator(".jp-NotebookPanel .jp-Cell .cm-content", has_text="v1").wait_for()

                # the desktop saves its own version of the same notebook meanwhile
                r = desktop.api(
                    "PUT",
                    "/api/contents/shared.ipynb",
                    json={"type": "notebook", "format": "json", "content": _notebook("desktop")},
                )
                assert r.status_code == 200

                # the laptop edits and saves: JupyterLab must ask, not overwrite
                editor.click()
                page.keyboard.press("End")
                page.keyboard.type(" # laptop edit")
                page.keyboard.press("Control+s")
                dialog = page.locator(".jp-Dialog", has_text="File Changed")
                dialog.wait_for()
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                shot = tmp_path / "file-changed-dialog.png"
                page.screenshot(path=str(shot))
                shutil.copy(shot, ARTIFACTS / shot.name)
                stored = nbformat.reads((shared / "shared.ipynb").read_text(), as_version=4)
                assert stored.cells[0].source == "desktop"  # nothing overwritten silently
            finally:
                browser.close()
    finally:
        laptop.stop()
        desktop.stop()
