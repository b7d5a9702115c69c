"""Jupyter contents models built from what the store says of an object."""

from __future__ import annotations

import base64
import mimetypes
from datetime import datetime
from typing import Any

from tornado.web import HTTPError

from ..stores import ObjectInfo
from ..stores.base import EPOCH
from . import paths


def base_model(path: str, type: str, last_modified: datetime | None) -> dict[str, Any]:
    when = last_modified or EPOCH
    return {
        "name": paths.name(path),
        "path": path,
        "type": type,
        "last_modified": when,
        # object stores keep no creation time: the last write is the best they know
        "created": when,
        "content": None,
        "format": None,
        "mimetype": None,
        "size": None,
        "writable": True,
        "hash": None,
        "hash_algorithm": None,
    }


def kind_of(path: str, type: str | None = None) -> str:
    """``notebook`` or ``file`` for a non-folder path, as jupyter_server decides it."""
    if type == "notebook" or (type is None and path.endswith(".ipynb")):
        return "notebook"
    return "file"


def object_model(path: str, info: ObjectInfo, type: str | None = None) -> dict[str, Any]:
    """A file or notebook model without content."""
    kind = kind_of(path, type)
    model = base_model(path, kind, info.last_modified)
    model["size"] = info.size
    if kind == "file":
        model["mimetype"] = mimetypes.guess_type(path)[0]
    return model


def entry_model(path: str, name: str, info: ObjectInfo) -> dict[str, Any]:
    """:func:`object_model` of a listed entry whose ``name`` is known (the same model,
    built in one step: a folder of 100,000 builds 100,000 of them)."""
    return row_model(path, name, info.size, info.last_modified or EPOCH)


def row_model(path: str, name: str, size: int, last_modified: datetime) -> dict[str, Any]:
    """The model of a listed file from what a listing knows of it: its key, name, size
    and time (a store that lists rows, :class:`~nbshelf.stores.capabilities.SupportsFolderRows`,
    makes no ObjectInfo for it)."""
    notebook = path.endswith(".ipynb")
    return {
        "name": name,
        "path": path,
        "type": "notebook" if notebook else "file",
        "last_modified": last_modified,
        "created": last_modified,
        "content": None,
        "format": None,
        "mimetype": None if notebook else mimetypes.guess_type(path)[0],
        "size": size,
        "writable": True,
        "hash": None,
        "hash_algorithm": None,
    }


def add_hash(model: dict[str, Any], info: ObjectInfo) -> None:
    """The store's own checksum, so a poll needs no download: MD5 where the etag is one."""
    md5 = info.md5
    if md5:
        model["hash"], model["hash_algorithm"] = md5, "md5"
    elif info.etag:
        model["hash"], model["hash_algorithm"] = info.etag.strip('"'), "etag"


def file_content(path: str, data: bytes, format: str | None) -> tuple[str, str]:
    """(content, format) as jupyter_server returns them: UTF-8 text, or base64."""
    if format not in (None, "text", "base64"):
        raise HTTPError(400, f"Unknown format {format!r}: use 'text' or 'base64'")
    if format != "base64":
        try:
            return data.decode("utf-8"), "text"
        except UnicodeDecodeError:
            if format == "text":
                raise HTTPError(400, f"{path} is not UTF-8 encoded", reason="bad format") from None
    return base64.b64encode(data).decode("ascii"), "base64"


def default_mimetype(format: str) -> str:
    return "text/plain" if format == "text" else "application/octet-stream"


def file_bytes(path: str, content: Any, format: str | None) -> bytes:
    """The bytes a file model's content stands for."""
    if format == "text":
        if not isinstance(content, str):
            raise HTTPError(400, f"Content of {path} must be a string for format 'text'")
        try:
            return content.encode("utf-8")
        except UnicodeEncodeError as e:
            raise HTTPError(
                400,
                f"Content of {path} is not valid Unicode text ({e.reason} at character {e.start})",
            ) from None
    if format == "base64":
        if not isinstance(content, str):
            raise HTTPError(400, f"Content of {path} must be a string for format 'base64'")
        try:
            # line breaks (base64.encodebytes) are fine; other characters are not base64,
            # and dropping them silently would store other bytes than were meant
            return base64.b64decode("".join(content.split()).encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError) as e:
            raise HTTPError(400, f"Encoding error saving {path}: {e}") from None
    raise HTTPError(400, "Must specify format of file contents as 'text' or 'base64'")
