"""The rendered page of a shared notebook: nbconvert's HTML (lab template), then
sanitised with an allow-list sanitiser (nh3, the Python binding of Ammonia).

Shared pages are read by people other than the notebook's author and may be served
by the storage itself (a public Swift container, an S3 presigned URL) with no
Content-Security-Policy, so the stored page must be inert on its own:

1. The notebook is prepared for nbconvert: JavaScript and widget-view outputs are
   dropped, the widget state in the notebook's metadata is dropped, image sizes in
   output metadata are kept only if they are plain numbers (nbconvert writes them
   unquoted, ``width=1 onerror=...`` would become an attribute), and SVG outputs become
   ``<img src="data:image/svg+xml;base64,...">`` (an SVG shown as an image runs no
   script).
2. nbconvert renders it (lab template, ``sanitize_html=False``: its own filter
   escapes Markdown cells whole in nbconvert 7.17, and step 3 sanitises everything).
3. :func:`sanitize` runs nh3 over the whole rendered document: only an allow-list of
   tags and attributes survives; ``<script>``, ``<style>``, ``<title>`` go with their
   content; no event handler, no ``javascript:`` (or any scheme but http, https,
   mailto), ``data:`` only as an image (png, jpeg, gif, webp, svg) in ``<img src>``,
   ``style`` attributes only with a few properties and no ``url(``/``expression``.
4. The page is rebuilt around the clean body: nbshelf's own ``<head>`` (charset, a
   ``<meta http-equiv="Content-Security-Policy">`` allowing no script, the escaped
   title, and the lab template's CSS taken from rendering an empty notebook, so no
   byte of the notebook reaches the head).

Math is left as its TeX source, visible as typed (``$e^{i\\pi}+1=0$``): MathJax is a
script and runs nowhere in a script-free page.

Rendering is CPU work (and the first call imports nbconvert): it runs in a worker
thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import functools
import html
import json
import re
import threading
from typing import Any

from .models import ShareError

_LOCK = threading.Lock()  # one exporter, used by one thread at a time

#: What a shared page may do, as a ``<meta>`` in the page itself (so it holds wherever
#: the page is served) and as a header where the backend can carry one. No script at
#: all; styles inline, images and fonts from data: or https.
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; "
    "font-src data: https:; base-uri 'none'; form-action 'none'"
)

#: Tags a reader needs: text, Markdown, code, tables, images, details.
TAGS = frozenset(
    {
        "a", "abbr", "article", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption",
        "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div",
        "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "i", "img", "ins", "kbd", "li", "main", "mark", "ol", "p",
        "pre", "q", "s", "samp", "section", "small", "span", "strike", "strong", "sub",
        "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u",
        "ul", "var", "wbr",
    }
)  # fmt: skip
#: Removed together with their content (everything else not allowed keeps its text).
CLEAN_CONTENT = frozenset({"script", "style", "title", "textarea", "noscript", "template"})
_ALL = {"class", "id", "title", "lang", "dir", "align", "style"}
ATTRIBUTES: dict[str, set[str]] = {
    "*": _ALL,
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "valign"},
    "th": {"colspan", "rowspan", "valign", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "details": {"open"},
}
#: CSS properties kept in ``style`` attributes (ANSI colours, table alignment).
STYLE_PROPERTIES = frozenset(
    {
        "color", "background-color", "font-weight", "font-style", "text-decoration",
        "text-align", "vertical-align", "white-space", "width", "height", "max-width",
        "min-width", "border", "padding", "margin",
    }
)  # fmt: skip
URL_SCHEMES = frozenset({"http", "https", "mailto", "data"})
_IMAGE_DATA = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp|svg\+xml)[;,]", re.I)
_BAD_CSS = re.compile(r"url\s*\(|expression|javascript|behavior|binding|@import|\\|<", re.I)
_URL_ATTRS = frozenset({"href", "src", "cite", "action", "background", "poster", "srcset"})
_SIZE = re.compile(r"^\s*\d{1,5}(\.\d+)?(px|%)?\s*$")


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr in _URL_ATTRS:
        v = "".join(value.split()).lower()
        if v.startswith("data:") and not (tag == "img" and attr == "src" and _IMAGE_DATA.match(v)):
            return None
    if attr == "style" and _BAD_CSS.search(value):
        return None
    if attr in ("width", "height") and not _SIZE.match(value):
        return None
    return value


def sanitize(fragment: str) -> str:
    """``fragment`` with only the allow-listed tags, attributes and URLs (nh3)."""
    import nh3

    return nh3.clean(
        fragment,
        tags=set(TAGS),
        clean_content_tags=set(CLEAN_CONTENT),
        attributes=ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=set(URL_SCHEMES),
        filter_style_properties=set(STYLE_PROPERTIES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


@functools.lru_cache(maxsize=1)
def _exporter() -> Any:
    try:
        import nh3  # noqa: F401
        from nbconvert import HTMLExporter
    except ImportError as e:
        raise ShareError(
            501,
            f"rendering shared notebooks needs nbconvert and nh3 ({e}): "
            "pip install 'nbshelf[share]'",
        ) from None
    return HTMLExporter(template_name="lab", sanitize_html=False)


@functools.lru_cache(maxsize=1)
def _page_head() -> tuple[str, str]:
    """(CSS, ``<body ...>``) of the lab template, from rendering an empty notebook: the
    template's own bytes, no notebook's."""
    import nbformat

    body, _ = _exporter().from_notebook_node(nbformat.v4.new_notebook(), resources={})
    styles = "\n".join(re.findall(r"<style[^>]*>.*?</style>", body, flags=re.S))
    m = re.search(r"<body[^>]*>", body)
    return styles, m.group(0) if m else "<body>"


def _prepare(nb: Any) -> None:
    """Leave nothing in the notebook that nbconvert would turn into live markup."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not isinstance(data, dict):
                continue
            for mime in ("application/javascript", "text/javascript"):
                data.pop(mime, None)
            data.pop("application/vnd.jupyter.widget-view+json", None)
            svg = data.get("image/svg+xml")
            if svg is not None:
                text = "".join(svg) if isinstance(svg, list) else str(svg)
                b64 = base64.b64encode(text.encode("utf-8", "replace")).decode("ascii")
                del data["image/svg+xml"]
                data.setdefault(
                    "text/html", f'<img src="data:image/svg+xml;base64,{b64}" alt="SVG image">'
                )
            meta = out.get("metadata")
            if isinstance(meta, dict):
                for key, value in list(meta.items()):
                    if isinstance(value, dict):
                        for dim in ("width", "height"):
                            v = value.get(dim)
                            if v is not None and not (
                                isinstance(v, (int, float)) and not isinstance(v, bool)
                            ):
                                value.pop(dim)
                    elif key in ("width", "height"):
                        meta.pop(key)


def _read(data: bytes, title: str) -> Any:
    import nbformat

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ShareError(400, f"{title} is not a valid notebook (not UTF-8)") from None
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as e:  # nbformat raises several kinds for bad JSON / schema
        first = e
    try:  # a v4 notebook the contents API saved with a validation message: repair it
        d = json.loads(text)
        if not (
            isinstance(d, dict) and d.get("nbformat") == 4 and isinstance(d.get("cells"), list)
        ):
            raise ValueError(d)
        return _repaired(d)
    except Exception:
        raise ShareError(400, f"{title} is not a valid notebook ({_why(first)})") from None


def _why(e: Exception) -> str:
    msg = str(getattr(e, "message", "") or e).strip().splitlines()
    return f"{type(e).__name__}: {msg[0][:200]}" if msg else type(e).__name__


def _repaired(nb: Any) -> Any:
    """A notebook nbformat can validate, as far as it can be repaired (what is stored is
    shared): unknown cell types become raw cells, code cells get their ``outputs``,
    unknown outputs are dropped, duplicate cell ids renumbered, invalid metadata
    stripped."""
    import nbformat
    from nbformat.validator import normalize

    d = copy.deepcopy(dict(nb))
    seen: set[str] = set()
    cells = []
    for i, cell in enumerate(d.get("cells") or []):
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown", "raw"):
            cell = {"cell_type": "raw", "source": cell.get("source", ""), "metadata": {}}
        if kind == "code":
            outputs = cell.get("outputs")
            cell["outputs"] = [
                o
                for o in (outputs if isinstance(outputs, list) else [])
                if isinstance(o, dict) and o.get("output_type") in _OUTPUT_TYPES
            ]
            cell.setdefault("execution_count", None)
        cell.setdefault("metadata", {})
        cid = cell.get("id")
        if not isinstance(cid, str) or cid in seen:
            cell["id"] = f"cell-{i}"
        seen.add(cell["id"])
        cells.append(cell)
    d["cells"] = cells
    _, fixed = normalize(d, strip_invalid_metadata=True)
    return nbformat.from_dict(fixed)


_OUTPUT_TYPES = frozenset({"stream", "display_data", "execute_result", "error"})


def render_html_sync(data: bytes, title: str) -> bytes:
    """The inert HTML page of a notebook file's bytes; 400 if they are not a notebook
    nbconvert can render (the message says why)."""
    nb = _read(data, title)
    _prepare(nb)
    resources = {"metadata": {"name": title}}
    with _LOCK:
        exporter = _exporter()
        try:
            body, _ = exporter.from_notebook_node(nb, resources=resources)
        except Exception as first:
            try:
                body, _ = exporter.from_notebook_node(_repaired(nb), resources=resources)
            except Exception:
                raise ShareError(
                    400, f"{title} cannot be rendered as a notebook ({_why(first)})"
                ) from None
        styles, body_tag = _page_head()
    return page(str(body), title, styles, body_tag).encode("utf-8")


def page(rendered: str, title: str, styles: str = "", body_tag: str = "<body>") -> str:
    """The rendered document's body, sanitised, in nbshelf's own head."""
    clean = sanitize(rendered).strip()
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(PAGE_CSP)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{html.escape(title)}</title>\n{styles}\n</head>\n{body_tag}\n"
        f"{clean}\n</body>\n</html>\n"
    )


async def render_html(data: bytes, title: str) -> bytes:
    return await asyncio.to_thread(render_html_sync, data, title)
