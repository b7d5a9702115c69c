"""Issue 12, at the store level on every backend of the suite (memory, local, the real
Swift, S3 on moto and on Swift's S3 API, Azure on Azurite): a shared file that is not a
notebook is a download (``text/plain`` or ``application/octet-stream``,
``Content-Disposition: attachment``), a notebook's page is ``text/html`` with the CSP
``<meta>``; fetched anonymously through the link the backend makes (a signed link where
the store can sign, else what the nbshelf server would serve)."""

from __future__ import annotations

import asyncio
import json

import pytest
import requests

from nbshelf.share import ShareService
from nbshelf.share.publish import BINARY_TYPE, TEXT_TYPE
from nbshelf.stores import SupportsSignedLinks
from tests.servers.backends import Backend
from tests.share.hostile import FILES, NOTEBOOKS, live_markup


async def _fetch(url: str) -> requests.Response:
    return await asyncio.to_thread(requests.get, url, timeout=30, allow_redirects=False)


async def test_raw_files_are_downloads_and_pages_inert(backend: Backend) -> None:
    store = backend.store
    service = ShareService(store)
    signed = isinstance(store, SupportsSignedLinks)
    items = [*FILES, NOTEBOOKS[0]]
    for item in items:
        await store.put(item.name, item.bytes())
    for item in items:
        share = await service.create(item.name, "expiring" if signed else "local", 3600)
        assert share.kind == ("expiring" if signed else "local")
        if item.is_notebook:
            if signed:
                r = await _fetch(share.urls["html"])
                assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
                page = r.text
            else:
                data, ctype = await service.open_served(share.id, item.name[:-6] + ".html")
                assert ctype.startswith("text/html")
                page = data.decode()
            assert live_markup(page) == [] and 'http-equiv="Content-Security-Policy"' in page
            continue
        want = TEXT_TYPE if _is_text(item.bytes()) else BINARY_TYPE
        if signed:
            r = await _fetch(share.urls["notebook"])
            assert r.status_code == 200, (item.name, r.status_code, r.text[:200])
            assert r.content == item.bytes()
            assert r.headers["Content-Type"].split(";")[0] == want.split(";")[0], item.name
            disp = r.headers.get("Content-Disposition", "")
            assert disp.startswith("attachment"), (backend.name, item.name, disp)
        else:
            data, ctype = await service.open_served(share.id, item.name)
            assert data == item.bytes() and ctype == want, (item.name, ctype)


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_corpus_is_json_serialisable() -> None:  # the API tests send every item as JSON
    for item in NOTEBOOKS:
        json.dumps(item.nb)


@pytest.mark.parametrize("name", ["page.html", "pic.svg", "x.ipynb.html", "résumé.txt"])
def test_disposition_names_the_file(name: str) -> None:
    from nbshelf.share.publish import disposition

    value = disposition("attachment", name)
    assert value.startswith('attachment; filename="') and "filename*=UTF-8''" in value
    assert '"' not in value.split('filename="', 1)[1].split('"', 1)[0]
