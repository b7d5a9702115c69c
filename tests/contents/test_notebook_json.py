"""Notebook JSON read and written in slices (contents/notebook_json.py) gives exactly what
nbformat gives: the same notebook read, the same bytes written, the same errors.

What slicing buys (the event loop's longest block while a 20 MB notebook is opened or
saved) is a time, so it is measured in benchmarks/, not asserted here.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import nbformat
import pytest
from nbformat import v4

from nbshelf.contents import notebook_json

TRICKY = [
    "",
    'quote " backslash \\ slash /',
    "tab\tnewline\ncr\rform\fbell\x07nul\x00 esc\x1b del\x7f",
    "\n  },\n  {\n",  # the cell separator's text inside a string
    "\n  }\n ],\n",
    '"cells": [\n  {\n',
    "é ü ñ 中文 日本語 한국어 \u2028 \u2029 \ufeff 😀 \U0001d518",
    "a" * (notebook_json.PIECE - 1) + '"' + "b" * 10,  # an escape at the piece's edge
    "\\" * (notebook_json.PIECE + 3),
    "x\n" * notebook_json.PIECE,
]


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return rng.choice(TRICKY[:7])
    if kind == 1:
        return rng.randint(-(10**20), 10**20)
    if kind == 2:
        return rng.choice([0.1, 1e-300, 1e300, -0.0, 3.0, rng.random()])
    if kind == 3:
        return rng.choice([True, False, None])
    if kind == 4:
        return "".join(
            chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0xD7FF)]))
            for _ in range(rng.randrange(20))
        )
    if kind == 5:
        return []
    if kind == 6:
        return {
            rng.choice(TRICKY[:7]) + str(i): _random_value(rng, depth + 1)
            for i in range(rng.randrange(4))
        }
    if kind == 7:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {}


def _notebooks() -> list[Any]:
    rng = random.Random(16)
    out = [v4.new_notebook(), v4.new_notebook(cells=[v4.new_markdown_cell("# one")])]
    cells = []
    for i, text in enumerate(TRICKY):
        code = v4.new_code_cell(text, id=f"c{i}", execution_count=i)
        code.outputs = [
            v4.new_output("stream", name="stdout", text=text),
            v4.new_output(
                "display_data",
                data={
                    "image/png": base64.b64encode(rng.randbytes(3000 + i * 7000)).decode(),
                    "text/plain": text,
                    "application/json": {"v": _random_value(rng)},
                },
                metadata={"m": _random_value(rng)},
            ),
        ]
        code.metadata["note"] = text
        cells.append(code)
        cells.append(v4.new_markdown_cell(text, id=f"m{i}"))
        raw = v4.new_raw_cell(text, id=f"r{i}")
        raw.attachments = {"a.png": {"image/png": "iVBORw0KGgo="}}
        cells.append(raw)
    nb = v4.new_notebook(cells=cells, metadata={"extra": _random_value(rng), "n": 1.5})
    out.append(nb)
    for _ in range(20):
        out.append(
            v4.new_notebook(
                cells=[v4.new_code_cell(rng.choice(TRICKY), id=f"x{j}") for j in range(3)],
                metadata={"r": _random_value(rng)},
            )
        )
    return out


NOTEBOOKS = _notebooks()


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[f"nb{i}" for i in range(len(NOTEBOOKS))])
def test_written_bytes_are_nbformats(nb: Any) -> None:
    expected = nbformat.writes(nb, version=nbformat.NO_CONVERT).encode("utf-8")
    assert notebook_json.writes(nb) == expected


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[f"nb{i}" for i in range(len(NOTEBOOKS))])
def test_read_notebook_is_nbformats(nb: Any) -> None:
    data = nbformat.writes(nb).encode("utf-8")
    assert notebook_json.loads(data) == json.loads(data)
    assert notebook_json.reads(data) == nbformat.reads(data.decode(), as_version=4)


@pytest.mark.parametrize(
    "layout",
    [
        {},
        {"indent": 2},
        {"indent": 1},
        {"indent": 1, "sort_keys": True, "ensure_ascii": True},
        {"separators": (",", ":")},
    ],
)
def test_any_json_layout_reads_as_json_loads_does(layout: dict[str, Any]) -> None:
    """Text not laid out as nbformat writes it (other writers, other indents, cells not
    first) is parsed whole: still exactly what json.loads gives."""
    for nb in NOTEBOOKS[:4]:
        data = json.dumps(nb, **layout).encode("utf-8")
        assert notebook_json.loads(data) == json.loads(data)


def test_a_second_cells_key_reads_as_json_loads_does() -> None:
    text = nbformat.writes(NOTEBOOKS[1])
    doubled = text.rstrip().rstrip("}") + ',\n "cells": []\n}\n'
    data = doubled.encode()
    assert json.loads(data)["cells"] == []
    assert notebook_json.loads(data) == json.loads(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b'{\n "cells": [\n  {\n "a": 1\n  },\n  {\n',  # cut in the middle of the cells
        nbformat.writes(NOTEBOOKS[2]).encode()[:-40],  # cut short
        b'{\n "cells": [\n  {\n "x": "\xff\xfe"\n  }\n ],\n "nbformat": 4\n}',  # not UTF-8
        b"not json at all",
    ],
)
def test_broken_text_raises_what_json_raises(data: bytes) -> None:
    with pytest.raises(ValueError):
        json.loads(data.decode("utf-8"))
    with pytest.raises(ValueError):
        notebook_json.loads(data)
    with pytest.raises(nbformat.reader.NotJSONError):
        notebook_json.reads(data)


def test_an_invalid_notebook_is_read_with_its_validation_error_captured() -> None:
    nb = v4.new_notebook(cells=[v4.new_code_cell("x", id="a")])
    nb.cells[0]["outputs"] = [{"output_type": "nonsense"}]
    data = json.dumps(nb, indent=1, sort_keys=True).encode()
    ours: dict[str, Any] = {}
    theirs: dict[str, Any] = {}
    got = notebook_json.reads(data, capture_validation_error=ours)
    expected = nbformat.reads(data.decode(), as_version=4, capture_validation_error=theirs)
    assert got == expected
    assert type(ours["ValidationError"]) is type(theirs["ValidationError"])
    assert str(ours["ValidationError"]) == str(theirs["ValidationError"])


def test_an_old_notebook_is_converted_to_v4_as_nbformat_does() -> None:
    v3 = nbformat.v3.new_notebook(
        worksheets=[nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell("1+1")])]
    )
    data = nbformat.writes(v3, nbformat.NO_CONVERT).encode()
    got = notebook_json.reads(data)
    expected = nbformat.reads(data.decode(), as_version=4)
    got_cells = [{k: v for k, v in c.items() if k != "id"} for c in got.cells]
    expected_cells = [{k: v for k, v in c.items() if k != "id"} for c in expected.cells]
    assert got.nbformat == expected.nbformat == 4
    assert got_cells == expected_cells  # cell ids are new random ones on each conversion


def test_values_json_writes_specially_fall_back_to_nbformat() -> None:
    nb = v4.new_notebook(cells=[v4.new_code_cell("x", id="a")])
    nb.metadata["raw"] = b"aGk="  # bytes: nbformat's encoder writes them as ASCII text
    nb.metadata["nan"] = float("nan")
    expected = nbformat.writes(nb, version=nbformat.NO_CONVERT).encode("utf-8")
    assert notebook_json.writes(nb) == expected


def test_a_lone_surrogate_is_refused_as_encoding_would() -> None:
    nb = v4.new_notebook(cells=[v4.new_code_cell("a\ud800b", id="a")])
    with pytest.raises(UnicodeEncodeError):
        nbformat.writes(nb).encode("utf-8")
    with pytest.raises(UnicodeEncodeError):
        notebook_json.writes(nb)
