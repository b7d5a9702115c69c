"""Export As: jupyter_server's own nbconvert handler (``GET /nbconvert/<format>/<path>``,
what JupyterLab's File > Save and Export Notebook As… downloads) on every backend, in
every format nbconvert produces on this machine, with the notebook's neighbouring image
read from the resources folder where the exporter asks for it (HTML's ``embed_images``).
"""

from __future__ import annotations

import base64
import functools
import io
import json
import warnings
import zipfile

import nbformat
import pytest

from tests.ecosystem.conftest import Served, notebook, unique

# a 1x1 PNG: the notebook's neighbour, and an attachment of a Markdown cell
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PNG_B64 = base64.b64encode(PNG).decode()


@functools.cache
def formats() -> tuple[dict[str, str], dict[str, str]]:
    """Every exporter nbconvert has, split into those that work here and those that
    need a tool this machine lacks (with nbconvert's own reason)."""
    from nbconvert.exporters import get_export_names, get_exporter

    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Title *text*"), nbformat.v4.new_code_cell("x = 1")]
    )
    works: dict[str, str] = {}
    missing: dict[str, str] = {}
    for name in get_export_names():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, resources = get_exporter(name)().from_notebook_node(nb)
            works[name] = resources["output_extension"]
        except Exception as e:  # PandocMissing, no Qt WebEngine, no chromium, no template
            missing[name] = f"{type(e).__name__}: {str(e).splitlines()[0]}"
    return works, missing


def test_formats_that_work_here_include_the_menu_basics() -> None:
    works, missing = formats()
    print("\nnbconvert formats here:", sorted(works), "\nnot here:", json.dumps(missing, indent=1))
    assert {"html", "markdown", "notebook", "script", "python", "slides"} <= set(works)


def _exported_notebook(eco: Served) -> str:
    folder = unique("export")
    eco.folder(folder)
    r = eco.api(
        "PUT",
        f"/api/contents/{folder}/fig.png",
        json={"type": "file", "format": "base64", "content": PNG_B64},
    )
    assert r.status_code == 201, r.text
    nb = notebook("x = 6 * 7", markdown="# Results\n\n![the figure](fig.png)")
    attached = nbformat.v4.new_markdown_cell("![inline](attachment:inline.png)")
    attached["attachments"] = {"inline.png": {"image/png": PNG_B64}}
    nb["cells"].append(attached)
    nb["cells"][1]["outputs"] = [
        nbformat.v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=1)
    ]
    nb["cells"][1]["execution_count"] = 1
    eco.save(f"{folder}/analysis.ipynb", nb)
    return f"{folder}/analysis.ipynb"


def test_export_every_format_on_every_backend(eco: Served) -> None:
    works, _ = formats()
    path = _exported_notebook(eco)
    for fmt, ext in sorted(works.items()):
        r = eco.api("GET", f"/nbconvert/{fmt}/{path}", params={"download": "true"})
        assert r.status_code == 200, (fmt, r.status_code, r.text[:300])
        disposition = r.headers.get("Content-Disposition", "")
        if r.headers["Content-Type"].startswith("application/zip"):
            # resources extracted (markdown: the attachment) come as a zip with the output
            names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
            assert f"analysis{ext}" in names and "inline.png" in names, (fmt, names)
            body = zipfile.ZipFile(io.BytesIO(r.content)).read(f"analysis{ext}").decode()
        else:
            assert f"analysis{ext}" in disposition, (fmt, disposition)
            body = r.text
        if fmt == "notebook":
            assert nbformat.reads(body, as_version=4).cells[1].source == "x = 6 * 7"
        elif fmt in ("script", "python"):
            assert "x = 6 * 7" in body
        else:
            assert "Results" in body, fmt  # the Markdown heading
        if fmt in ("html", "slides"):
            # embed_images: the exporter read fig.png beside the notebook (the store's
            # copy, fetched into the export's resources folder), and the attachment
            assert f"data:image/png;base64,{PNG_B64}" in body, fmt
            assert 'src="fig.png"' not in body
        if fmt == "markdown":
            assert "![the figure](fig.png)" in body


def test_export_needs_no_local_file_on_object_stores(eco: Served) -> None:
    """A missing notebook is a 404 from the contents manager, not a 404 about the disk;
    a notebook that refers to no file costs no request beyond the export's GET."""
    r = eco.api("GET", f"/nbconvert/html/{unique('nothere')}/x.ipynb")
    assert r.status_code == 404 and "local disk" not in r.text
    if eco.kind == "local":
        return
    path = f"{unique('plain')}.ipynb"
    eco.save(path, notebook("print('plain')"))
    eco.quiet()
    before = eco.counts()
    r = eco.api("GET", f"/nbconvert/script/{path}")
    assert r.status_code == 200 and "print('plain')" in r.text
    assert eco.since(before) == {"GET": 1}


@pytest.mark.parametrize("name", ["latex", "pdf", "rst", "asciidoc", "webpdf", "qtpdf", "qtpng"])
def test_formats_missing_here_say_why(name: str) -> None:
    works, missing = formats()
    if name in works:
        pytest.skip(f"{name} works on this machine: covered above")
    assert missing[name]  # the tool nbconvert lacks, in its own words (README's table)
