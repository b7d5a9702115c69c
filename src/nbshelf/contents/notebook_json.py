"""Notebook JSON read and written in slices, so that a large notebook never holds the GIL
(and with it the event loop) for long.

A worker thread alone does not free the event loop: ``json.loads`` of a 20 MB notebook
is one C call that keeps the GIL for its whole 20-30 ms, as are decoding the bytes and
joining the written text. Here a notebook as nbformat writes it (indent 1: a literal
newline is never inside a JSON string, so ``\\n  },\\n  {`` only ever separates two
cells) is cut into its cells, each decoded and parsed on its own, and every JSON object
completed calls back into Python, where the interpreter can hand the GIL to the event
loop; written, strings over :data:`PIECE` characters are escaped a piece at a time and
the text is encoded in blocks. The longest single step is then bounded by the largest
string of the notebook (about 1 ms per MB), not by the notebook's size.

The results are exactly nbformat's (``nbformat.reads`` / ``nbformat.writes``, tested
byte for byte); anything this module does not recognise falls back to them.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from typing import Any

import nbformat
from nbformat.reader import get_version
from nbformat.v4.rwbase import split_lines, strip_transient
from nbformat.validator import ValidationError

log = logging.getLogger("nbshelf")

#: Notebooks smaller than this parse faster than a hand-off to a worker thread.
OFF_LOOP_BYTES = 1 << 20
#: Characters escaped in one call when writing a long string.
PIECE = 1 << 16
#: Characters of structure gathered before they are encoded in one call.
BLOCK = 1 << 16

_ESCAPE = json.encoder.encode_basestring  # ensure_ascii=False, as nbformat writes
_CELLS_START = b'{\n "cells": [\n  {\n'
_CELL_CLOSE = b"\n  }"
_NEXT_CELL = b",\n  {"
_CELLS_END = b"\n ],\n"


def _resume(obj: dict[str, Any]) -> dict[str, Any]:
    """Called by the JSON parser for every object completed: a Python call, at which the
    interpreter may hand the GIL over (a C parse alone never does)."""
    return obj


def loads(data: bytes) -> Any:
    """``json.loads(data.decode("utf-8"))``, a cell at a time where the text is laid out
    as nbformat writes it. Raises ``ValueError`` (``UnicodeDecodeError`` included) as
    that would."""
    cells = _cells_and_rest(data)
    if cells is not None:
        bodies, rest = cells
        try:
            parsed = [json.loads(b.decode("utf-8"), object_hook=_resume) for b in bodies]
            top = json.loads(rest.decode("utf-8"), object_hook=_resume)
        except ValueError:
            pass  # not what it looked like: parsed whole below, for json's own error
        else:
            if isinstance(top, dict) and top.get("cells") == []:
                top["cells"] = parsed
                return top
    return json.loads(_decode(data), object_hook=_resume)


def _cells_and_rest(data: bytes) -> tuple[list[bytes], bytes] | None:
    """Each cell's JSON text, and the notebook's with an empty list of cells; None when
    the text is not laid out as nbformat writes it (then it is parsed whole). Every
    search and copy spans one cell, never the whole notebook."""
    if not data.startswith(_CELLS_START):
        return None
    bodies = []
    begin = len(_CELLS_START) - 2  # the first cell's "{"
    while True:
        close = data.find(_CELL_CLOSE, begin)  # indented 2: only a cell's own brace
        if close < 0:
            return None
        bodies.append(data[begin : close + len(_CELL_CLOSE)])
        after = close + len(_CELL_CLOSE)
        if data.startswith(_NEXT_CELL, after):
            begin = after + len(_NEXT_CELL) - 1
        elif data.startswith(_CELLS_END, after):
            rest = data[after + len(_CELLS_END) :]
            break
        else:
            return None
    if b'\n "cells": ' in rest:  # a second "cells" (json.loads keeps the last): whole
        return None
    return bodies, b'{\n "cells": [],\n' + rest


def _decode(data: bytes) -> str:
    """UTF-8 text of ``data``, decoded a megabyte at a time."""
    if len(data) <= PIECE * 16:
        return data.decode("utf-8")
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    step = PIECE * 16
    parts = [decoder.decode(view[i : i + step]) for i in range(0, len(data), step)]
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts)


def _validate(nb: Any, capture_validation_error: dict[str, Any] | None) -> None:
    """nbformat's validation as ``reads`` and ``writes`` do it: an invalid notebook is
    logged and, when asked, its error captured; never raised."""
    try:
        nbformat.validate(nb)
    except ValidationError as e:
        log.error("Notebook JSON is invalid: %s", e)
        if isinstance(capture_validation_error, dict):
            capture_validation_error["ValidationError"] = e


def reads(data: bytes, capture_validation_error: dict[str, Any] | None = None) -> Any:
    """``nbformat.reads(data.decode("utf-8"), as_version=4, ...)``, parsed by
    :func:`loads`: the same notebook, the same errors and validation."""
    try:
        nb_dict = loads(data)
    except ValueError as e:
        raise nbformat.reader.NotJSONError(f"Notebook does not appear to be JSON: {e}") from e
    major, minor = get_version(nb_dict)
    if major not in nbformat.versions:
        raise nbformat.NBFormatError(f"Unsupported nbformat version {major}")
    try:
        nb = nbformat.versions[major].to_notebook_json(nb_dict, minor=minor)
    except AttributeError as e:
        raise ValidationError(
            f"The notebook is invalid and is missing an expected key: {e}"
        ) from None
    nb = nbformat.convert(nb, 4)
    _validate(nb, capture_validation_error)
    return nb


def writes(nb: Any, capture_validation_error: dict[str, Any] | None = None) -> bytes:
    """``nbformat.writes(nb, version=NO_CONVERT, ...).encode("utf-8")`` for a v4 notebook,
    byte for byte, written in slices. Raises ``UnicodeEncodeError`` for a lone surrogate,
    as that would."""
    version, _ = get_version(nb)
    if version != 4:
        text = nbformat.writes(
            nb, nbformat.NO_CONVERT, capture_validation_error=capture_validation_error
        )
        return str(text).encode("utf-8")
    _validate(nb, capture_validation_error)
    on_disk = strip_transient(split_lines(copy.deepcopy(nb)))
    try:
        return _encoded(_tokens(on_disk, 0))
    except _Unusual:  # a value JSON has no plain form for: nbformat's own encoder
        text = nbformat.v4.writes(nb)
        return str(text).encode("utf-8")


class _Unusual(Exception):
    """A value the sliced writer leaves to nbformat (bytes, NaN, a key that is no str)."""


def _encoded(tokens: Iterator[str]) -> bytes:
    blocks: list[bytes] = []
    pending: list[str] = []
    size = 0
    for token in tokens:
        pending.append(token)
        size += len(token)
        if size >= BLOCK:
            blocks.append("".join(pending).encode("utf-8"))
            pending, size = [], 0
    blocks.append("".join(pending).encode("utf-8"))
    return b"".join(blocks)


def _string(s: str) -> Iterator[str]:
    if len(s) <= PIECE:
        yield _ESCAPE(s)
        return
    yield '"'
    for i in range(0, len(s), PIECE):
        yield _ESCAPE(s[i : i + PIECE])[1:-1]
    yield '"'


def _tokens(value: Any, level: int) -> Iterator[str]:
    """``json.dumps(value, indent=1, sort_keys=True, separators=(",", ": "),
    ensure_ascii=False)`` as a stream of pieces."""
    if isinstance(value, str):
        yield from _string(value)
    elif value is None:
        yield "null"
    elif value is True:
        yield "true"
    elif value is False:
        yield "false"
    elif isinstance(value, int):
        yield int.__repr__(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Unusual
        yield float.__repr__(value)
    elif isinstance(value, dict):
        if not value:
            yield "{}"
            return
        if not all(isinstance(k, str) for k in value):
            raise _Unusual
        inner = "\n" + " " * (level + 1)
        first = True
        for key in sorted(value):
            yield ("{" if first else ",") + inner
            first = False
            yield from _string(key)
            yield ": "
            yield from _tokens(value[key], level + 1)
        yield "\n" + " " * level + "}"
    elif isinstance(value, (list, tuple)):
        if not value:
            yield "[]"
            return
        inner = "\n" + " " * (level + 1)
        for i, item in enumerate(value):
            yield ("[" if i == 0 else ",") + inner
            yield from _tokens(item, level + 1)
        yield "\n" + " " * level + "]"
    else:
        raise _Unusual


__all__ = ["OFF_LOOP_BYTES", "loads", "reads", "writes"]
