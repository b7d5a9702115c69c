"""Unit tests of the shared page's sanitiser (nbshelf.share.render) on the hostile corpus
of tests/share/hostile.py: nothing that can run survives, what a reader needs does."""

from __future__ import annotations

import json
import re

import pytest

from nbshelf.share.models import ShareError
from nbshelf.share.render import PAGE_CSP, render_html_sync, sanitize
from tests.share.hostile import NOTEBOOKS, Hostile, invalid_notebooks, live_markup

pytest.importorskip("nh3")
pytest.importorskip("nbconvert")


def _markup(page: str) -> str:
    """The page without its own CSP meta (which names 'none' etc.), lower-cased."""
    return page.replace(PAGE_CSP, "").lower()


@pytest.mark.parametrize("item", NOTEBOOKS, ids=lambda h: h.name)
def test_hostile_notebook_renders_inert(item: Hostile) -> None:
    page = render_html_sync(item.bytes(), item.name).decode("utf-8")
    assert live_markup(page) == [], item.name
    head = page.split("</head>", 1)[0]
    assert "pwned" not in head.lower() and "<script" not in head.lower()
    # what a reader needs is still there
    assert f"VISIBLE-{item.marker}" in page
    assert f"OUTPUT-{item.marker}" in page
    assert re.search(r'<img [^>]*src="data:image/png;base64,', page)
    assert "jp-Notebook" in page and "jp-Cell" in page and "<style" in page
    assert f'<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}' in page.replace(
        "&#x27;", "'"
    )


def test_only_the_template_styles_the_page() -> None:
    item = next(h for h in NOTEBOOKS if h.name == "css.ipynb")
    page = render_html_sync(item.bytes(), item.name).decode()
    body = page.split("</head>", 1)[1]
    assert "<style" not in body and "@import" not in page and "url(javascript" not in page
    head = page.split("</head>", 1)[0]
    assert "pwned" not in head


def test_svg_output_is_an_image() -> None:
    item = next(h for h in NOTEBOOKS if h.name == "svg-output.ipynb")
    page = render_html_sync(item.bytes(), item.name).decode()
    assert re.search(r'<img [^>]*src="data:image/svg\+xml;base64,', page)
    assert "<svg" not in page


def test_math_tex_survives() -> None:
    item = next(h for h in NOTEBOOKS if h.name == "math.ipynb")
    page = render_html_sync(item.bytes(), item.name).decode()
    assert "$$e^{i\\pi} + 1 = 0$$" in page


def test_width_kept_when_a_number() -> None:
    from tests.share.hostile import PNG, _display, _nb

    nb = _nb("sized.ipynb", outputs=[_display({"image/png": PNG}, {"image/png": {"width": 40}})])
    page = render_html_sync(json.dumps(nb).encode(), "sized.ipynb").decode()
    assert 'width="40"' in page


def test_tables_code_links_kept() -> None:
    html = sanitize(
        '<table><thead><tr><th colspan="2">h</th></tr></thead><tbody><tr><td>1</td>'
        '<td style="text-align: right">2</td></tr></tbody></table>'
        '<div class="highlight"><pre><span class="nb">print</span></pre></div>'
        '<a href="https://jupyter.org">j</a><a href="#x">x</a>'
    )
    assert (
        "<table>" in html and 'colspan="2"' in html and "text-align:right" in html.replace(" ", "")
    )
    assert '<span class="nb">print</span>' in html
    assert 'href="https://jupyter.org"' in html and 'href="#x"' in html


@pytest.mark.parametrize("name,nb", invalid_notebooks(), ids=lambda x: str(x)[:20])
def test_invalid_notebook_shares_or_says_why(name: str, nb: dict) -> None:
    try:
        page = render_html_sync(json.dumps(nb).encode(), name).decode()
    except ShareError as e:
        assert e.status == 400 and name in e.message
    else:
        assert live_markup(page) == []


@pytest.mark.parametrize("data", [b"\xff\xfe", b"{", b"[]", b'{"cells": 3}', b"null"])
def test_not_a_notebook_is_400(data: bytes) -> None:
    with pytest.raises(ShareError) as e:
        render_html_sync(data, "x.ipynb")
    assert e.value.status == 400
