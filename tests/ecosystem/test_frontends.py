"""The JupyterLab and Notebook 7 actions that go through the contents API and /files/,
with the ecosystem tools on, on every backend: Notebook 7's pages, "Open from path",
"Copy download link", "Duplicate", "Open in new browser tab"."""

from __future__ import annotations

import json

from tests.ecosystem.conftest import Served, notebook, unique


def test_notebook7_and_jupyterlab_actions(eco: Served) -> None:
    folder = unique("front")
    eco.folder(folder)
    path = f"{folder}/n.ipynb"
    eco.save(path, notebook("print('front')"))

    # Notebook 7: the file browser and the notebook page
    tree = eco.api("GET", f"/tree/{folder}")
    assert tree.status_code == 200 and "jupyter-config-data" in tree.text
    page = eco.api("GET", f"/notebooks/{path}")
    assert page.status_code == 200 and "jupyter-config-data" in page.text

    # "Open in new browser tab": JupyterLab's URL of the document
    lab = eco.api("GET", f"/lab/tree/{path}")
    assert lab.status_code == 200 and "jupyter-config-data" in lab.text

    # "Open from path": the contents model without content, then the document
    r = eco.api("GET", f"/api/contents/{path}", params={"content": 0})
    assert r.status_code == 200 and r.json()["type"] == "notebook"

    # "Copy download link": /files/<path>?download=1 (JupyterLab's getDownloadUrl)
    r = eco.api("GET", f"/files/{path}", params={"download": 1})
    assert r.status_code == 200
    assert "attachment" in r.headers.get("Content-Disposition", "")
    assert "".join(json.loads(r.content)["cells"][0]["source"]) == "print('front')"

    # "Duplicate": POST copy_from into the same folder
    r = eco.api("POST", f"/api/contents/{folder}", json={"copy_from": path})
    assert r.status_code == 201, r.text
    assert r.json()["path"] == f"{folder}/n-Copy1.ipynb"
    copied = eco.api("GET", f"/api/contents/{folder}/n-Copy1.ipynb").json()
    assert copied["content"]["cells"][0]["source"] == "print('front')"
