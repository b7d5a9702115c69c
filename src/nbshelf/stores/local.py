"""The embedded default store: a directory on disk.

Keys are files; a ``a/b/`` marker is the directory ``a/b``. Writes go to a
temporary file in the target's directory, are fsynced and renamed over the
target, so a crash mid-write never leaves a partial notebook. The MD5 of each
file and any object metadata are kept in an extended attribute where the
filesystem has them (checked against size and mtime, recomputed otherwise).

A listing is one directory scan (``os.scandir`` and a stat per entry) in a worker
thread, handed out in pages without scanning again (:meth:`LocalStore.walk`); it reads
no extended attribute, so its entries carry no etag, content type or metadata (``head``
and ``get`` do). A folder moves with one ``os.rename`` (:meth:`LocalStore.move_tree`,
the :class:`~nbshelf.stores.capabilities.SupportsTreeMove` capability).
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import hashlib
import heapq
import json
import mimetypes
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .base import (
    GetResult,
    ListPage,
    ObjectInfo,
    ObjectStore,
    PrefixInfo,
    PutBody,
    PutOptions,
    check_key,
    release_in_slices,
)
from .capabilities import FolderRow, FolderRows
from .errors import (
    Conflict,
    InvalidKey,
    NotFound,
    PermissionDenied,
    StoreError,
    Unavailable,
    Unsupported,
)
from .location import StoreLocation
from .options import CommonOptions, OptionReader

_XATTR = "user.nbshelf"
#: Linux's limits (NAME_MAX, PATH_MAX): bytes of one file name, of a whole path.
NAME_MAX = 255
PATH_MAX = 4096
TEMP_PREFIX = ".nbshelf-tmp-"
DIRECTORY_CONTENT_TYPE = "application/directory"


def _mtime(st: os.stat_result) -> datetime:
    return datetime.fromtimestamp(st.st_mtime_ns / 1e9, timezone.utc)


@dataclass(frozen=True)
class LocalOptions:
    """The local store's options: only the common ones (the URL is the directory)."""

    common: CommonOptions

    @classmethod
    def read(cls, options: dict[str, Any]) -> LocalOptions:
        r = OptionReader("local", options)
        opts = cls(CommonOptions.read(r, max_concurrency=8))
        r.finish()
        return opts


class LocalStore(ObjectStore):
    """Objects as files under ``root`` (``file:///path`` or a plain path).

    Its own temporary files (``.nbshelf-tmp-*``, a write in progress) are never listed.
    """

    scheme = "file"
    url_form = "file:///path (or a plain path)"
    folders_have_times = True

    def __init__(self, root: str | os.PathLike[str], **kwargs: Any) -> None:
        kwargs.setdefault("max_concurrency", 8)
        super().__init__(**kwargs)
        self.root = Path(root).expanduser().absolute()

    @classmethod
    def from_location(cls, location: StoreLocation, options: dict[str, Any]) -> LocalStore:
        opts = LocalOptions.read(options)
        return cls(location.container, **opts.common.store_kwargs(location.prefix))

    @property
    def location(self) -> str:
        return f"file://{self.root}"

    async def check(self) -> None:
        if not self.root.is_dir():
            raise NotFound(
                f"directory {self.root} does not exist: create it or choose another --store",
                store=self.description,
            )
        if not os.access(self.root, os.W_OK):
            raise StoreError(f"directory {self.root} is not writable", store=self.description)
        self.requests.add("LIST")

    def local_path(self, key: str) -> str | None:
        """The file or directory behind ``key`` ("": the store's own directory)."""
        if not key:
            return str(self._path(self.prefix)) if self.prefix else str(self.root)
        return str(self._path(self._full(key)))

    # ------------------------------------------------------------ paths and metadata
    def _path(self, key: str) -> Path:
        return self.root.joinpath(*key.rstrip("/").split("/"))

    def _key(self, path: Path, is_dir: bool) -> str:
        rel = path.relative_to(self.root).as_posix()
        return rel + "/" if is_dir else rel

    @staticmethod
    def _read_attrs(path: Path) -> dict[str, Any]:
        try:
            return dict(json.loads(os.getxattr(path, _XATTR)))
        except (OSError, AttributeError, ValueError):
            return {}

    @staticmethod
    def _write_attrs(path: Path | int, attrs: dict[str, Any]) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.setxattr(path, _XATTR, json.dumps(attrs).encode())

    def _info(self, key: str, path: Path, st: os.stat_result, md5: str | None = None) -> ObjectInfo:
        if stat.S_ISDIR(st.st_mode):
            return ObjectInfo(
                key=key, size=0, last_modified=_mtime(st), content_type=DIRECTORY_CONTENT_TYPE
            )
        attrs = self._read_attrs(path)
        if (
            md5 is None
            and attrs.get("mtime_ns") == st.st_mtime_ns
            and attrs.get("size") == st.st_size
        ):
            md5 = attrs.get("md5")
        if md5 is None:
            md5 = self._hash_file(path)
            attrs.update(md5=md5, mtime_ns=st.st_mtime_ns, size=st.st_size)
            self._write_attrs(path, attrs)
        return ObjectInfo(
            key=key,
            size=st.st_size,
            last_modified=_mtime(st),
            etag=md5,
            content_type=attrs.get("content_type")
            or mimetypes.guess_type(key)[0]
            or "application/octet-stream",
            metadata=attrs.get("metadata") or {},
        )

    @staticmethod
    def _hash_file(path: Path) -> str:
        h = hashlib.md5(usedforsecurity=False)
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
        return h.hexdigest()

    def _not_found(self, key: str) -> NotFound:
        return NotFound(f"no such object {key!r}", store=self.description, key=key)

    def _os_error(self, key: str, e: OSError) -> StoreError:
        if e.errno in (errno.ENOENT, errno.ENOTDIR):
            return self._not_found(key)
        if e.errno in (errno.EEXIST, errno.EISDIR, errno.ENOTEMPTY):
            return Conflict(
                f"{key!r} conflicts with an existing file or folder",
                store=self.description,
                key=key,
            )
        if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return PermissionDenied(
                f"the server's user may not do this on {key!r} ({e.strerror}): it lacks that "
                "permission on the local disk",
                store=self.description,
                key=key,
            )
        if e.errno == errno.ENOSPC:
            return Unavailable("the disk is full", store=self.description, key=key)
        if e.errno == errno.ENAMETOOLONG:
            return InvalidKey(
                f"a file or folder name is at most {NAME_MAX} bytes on the local store "
                f"(and a whole path at most {PATH_MAX} bytes)",
                store=self.description,
                key=key,
            )
        return Unavailable(f"{e.strerror or e}", store=self.description, key=key)

    # ------------------------------------------------------------ hooks
    async def _head(self, key: str) -> ObjectInfo:
        self.requests.add("HEAD")
        return await self._run(self._head_sync, key)

    def _head_sync(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            st = path.stat()
        except OSError as e:
            raise self._os_error(key, e) from None
        if stat.S_ISDIR(st.st_mode) != key.endswith("/"):
            raise self._not_found(key)
        try:
            return self._info(key, path, st)
        except FileNotFoundError:
            raise self._not_found(key) from None  # deleted since the stat

    async def _get(self, key: str) -> GetResult:
        self.requests.add("GET")
        return await self._run(self._get_sync, key)

    def _get_sync(self, key: str) -> GetResult:
        if key.endswith("/"):
            return GetResult(self._head_sync(key), b"")
        path = self._path(key)
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                data = f.read()
        except IsADirectoryError:
            raise self._not_found(key) from None
        except OSError as e:
            raise self._os_error(key, e) from None
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        return GetResult(self._info(key, path, st, md5=md5), data)

    async def _get_range(self, key: str, start: int, end: int) -> bytes:
        self.requests.add("GET")
        return await self._run(self._get_range_sync, key, start, end)

    def _get_range_sync(self, key: str, start: int, end: int) -> bytes:
        try:
            with open(self._path(key), "rb") as f:
                f.seek(start)
                return f.read(end - start)
        except IsADirectoryError:
            raise self._not_found(key) from None
        except OSError as e:
            raise self._os_error(key, e) from None

    async def _put(self, key: str, body: PutBody, put: PutOptions) -> ObjectInfo:
        content_type, metadata, if_none_match = put.content_type, put.metadata, put.if_none_match
        self.requests.add("PUT")
        return await self._run(self._put_sync, key, body, content_type, metadata, if_none_match)

    def _put_sync(
        self,
        key: str,
        body: PutBody,
        content_type: str | None,
        metadata: dict[str, str],
        if_none_match: bool,
    ) -> ObjectInfo:
        path = self._path(key)
        try:
            if key.endswith("/"):
                if if_none_match and path.exists():
                    raise Conflict(f"{key!r} already exists", store=self.description, key=key)
                path.mkdir(parents=True, exist_ok=True)
                return self._info(key, path, path.stat())
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():
                raise Conflict(f"{key!r} is a folder", store=self.description, key=key)
            return self._atomic_write(key, path, body, content_type, metadata, if_none_match)
        except OSError as e:
            raise self._os_error(key, e) from None

    def _atomic_write(
        self,
        key: str,
        path: Path,
        body: PutBody,
        content_type: str | None,
        metadata: dict[str, str],
        if_none_match: bool,
    ) -> ObjectInfo:
        h = hashlib.md5(usedforsecurity=False)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                if isinstance(body, (bytes, bytearray, memoryview)):
                    h.update(body)
                    f.write(body)
                else:
                    while block := body.read(1 << 20):
                        h.update(block)
                        f.write(block)
                f.flush()
                os.fsync(f.fileno())
                with contextlib.suppress(OSError):
                    os.fchmod(f.fileno(), 0o666 & ~_UMASK)
                st = os.fstat(f.fileno())
                md5 = h.hexdigest()
                attrs: dict[str, Any] = {"md5": md5, "mtime_ns": st.st_mtime_ns, "size": st.st_size}
                if content_type:
                    attrs["content_type"] = content_type
                if metadata:
                    attrs["metadata"] = metadata
                self._write_attrs(f.fileno(), attrs)
            if if_none_match:
                try:
                    os.link(tmp, path)  # fails if the target exists: an atomic create
                except FileExistsError:
                    raise Conflict(
                        f"{key!r} already exists", store=self.description, key=key
                    ) from None
                os.unlink(tmp)
            else:
                os.replace(tmp, path)
            tmp = ""
            _fsync_dir(path.parent)
        finally:
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        # what was written, from the file's own descriptor: a delete racing right after the
        # rename must not turn a put that landed into NotFound
        return ObjectInfo(
            key=key,
            size=st.st_size,
            last_modified=_mtime(st),
            etag=md5,
            content_type=content_type or mimetypes.guess_type(key)[0] or "application/octet-stream",
            metadata=dict(metadata or {}),
        )

    async def _delete(self, keys: Sequence[str]) -> None:
        self.requests.add("DELETE", len(keys))
        await self._run(self._delete_sync, keys)

    def _delete_sync(self, keys: Sequence[str]) -> None:
        files = [k for k in keys if not k.endswith("/")]
        # folders after their files, deepest first, so each is empty when its turn comes
        dirs = sorted((k for k in keys if k.endswith("/")), key=lambda k: -k.count("/"))
        for key in files:
            try:
                self._path(key).unlink()
            except (FileNotFoundError, NotADirectoryError):
                pass
            except IsADirectoryError:
                raise self._not_found(key) from None
            except OSError as e:
                raise self._os_error(key, e) from None
        for key in dirs:
            try:
                self._path(key).rmdir()
            except (FileNotFoundError, NotADirectoryError):
                pass
            except OSError as e:
                if e.errno != errno.ENOTEMPTY:  # still holds keys: it stays, as in object stores
                    raise self._os_error(key, e) from None

    async def _copy(self, src: str, dst: str) -> ObjectInfo:
        self.requests.add("COPY")
        return await self._run(self._copy_sync, src, dst)

    def _copy_sync(self, src: str, dst: str) -> ObjectInfo:
        src_path = self._path(src)
        if src.endswith("/"):
            return self._put_sync(dst, b"", None, {}, False)
        attrs = self._read_attrs(src_path)
        try:
            with open(src_path, "rb") as f:
                if stat.S_ISDIR(os.fstat(f.fileno()).st_mode):
                    raise self._not_found(src)
                return self._put_sync(
                    dst, f, attrs.get("content_type"), attrs.get("metadata") or {}, False
                )
        except IsADirectoryError:
            raise self._not_found(src) from None
        except OSError as e:
            raise self._os_error(src, e) from None

    async def _list(
        self, prefix: str, *, delimiter: str | None, token: str | None, limit: int
    ) -> ListPage:
        """One page: a scan of the folder, cut at ``token``. Callers that page through a
        whole listing use :meth:`walk`, which scans once for every page."""
        self.requests.add("LIST")
        scanned = await self._run(self._scan, prefix, delimiter, 0)
        start = 0 if token is None else bisect.bisect_right(scanned.keys, token)
        return await self._run(scanned.page, start, limit)

    async def walk(
        self, prefix: str = "", *, delimiter: str | None = "/"
    ) -> AsyncIterator[ListPage]:
        """Every page of a listing from one directory scan (1 LIST): the folder is
        scanned and its keys sorted once, in the worker thread; each page's entries are
        built there when the page is reached, so a listing of 100,000 never holds
        100,000 entries at once (nor makes the garbage collector walk them)."""
        if prefix:
            check_key(prefix)
        full, size = self.prefix + prefix, max(1, self.page_size)

        async def scan() -> _Scanned:
            self.requests.add("LIST")
            return await self._run(self._scan, full, delimiter, len(self.prefix))

        scanned = await self._retrying(scan, prefix or None, op="list")
        start = 0
        while True:
            page = await self._run(scanned.page, start, size)
            yield page
            if page.next_token is None:
                return
            start += size

    # ------------------------------------------------------------ SupportsFolderRows
    async def folder_rows(self, folder: str) -> FolderRows:
        """The folder's entries from one directory scan (1 LIST), sorted, as rows made in
        the worker thread: no ObjectInfo, no page."""
        if folder:
            check_key(folder)
        full = self.prefix + folder

        async def scan() -> FolderRows:
            self.requests.add("LIST")
            return await self._run(self._folder_rows_sync, full, folder)

        return await self._retrying(scan, folder or None, op="list")

    def _folder_rows_sync(self, full: str, folder: str) -> FolderRows:
        runs, found = self._scan_runs(full, "/", len(self.prefix))
        rows: list[FolderRow] = []
        add = rows.append
        when = datetime.fromtimestamp
        own_time = None
        # the sorted runs merged as they are read: a merged list of 100,000 keys made
        # at once sits in the collector's young generation, and every pass there reads
        # each of its keys (9 ms a pass at 100,000, GIL held)
        for key in _in_order(runs):
            kind, size, mtime_ns = found[key]
            if kind == _MARKER:
                if key == folder:
                    own_time = when(mtime_ns / 1e9, _UTC)
                continue
            add((key, size, when(mtime_ns / 1e9, _UTC), kind == _PREFIX))
        # the scan's tuples freed a slice at a time: letting go of the dict frees them
        # all in one C call that holds the GIL (9 ms at 100,000 on an idle core)
        values = list(found.values())
        found.clear()
        release_in_slices(values)
        return FolderRows(rows, bool(rows) or own_time is not None or not folder, own_time)

    def _scan(self, prefix: str, delimiter: str | None, strip: int) -> _Scanned:
        """Every entry under the full key ``prefix``, its keys sorted, without their
        first ``strip`` characters (the store's prefix; its own marker is left out):
        one ``os.scandir`` of the folder (of every folder below, without a delimiter)
        and one stat per entry, nothing else."""
        runs, found = self._scan_runs(prefix, delimiter, strip)
        return _Scanned(runs[0] if len(runs) == 1 else list(_in_order(runs)), found)

    def _scan_runs(
        self, prefix: str, delimiter: str | None, strip: int
    ) -> tuple[list[list[str]], dict[str, tuple[int, int, int]]]:
        """:meth:`_scan`'s keys as sorted runs (:func:`_sorted_runs`), not yet merged."""
        if delimiter not in (None, "/"):
            raise StoreError("the local store lists with delimiter '/' or none")
        dir_part, _, name_part = prefix.rpartition("/")
        base = self.root.joinpath(*dir_part.split("/")) if dir_part else self.root
        key_base = (dir_part + "/")[strip:] if dir_part else ""
        found: dict[str, tuple[int, int, int]] = {}
        if not name_part and dir_part and key_base:
            with contextlib.suppress(OSError):
                st = base.stat()
                if stat.S_ISDIR(st.st_mode):  # the folder's own marker, as object stores list it
                    found[key_base] = (_MARKER, 0, st.st_mtime_ns)
        _scan_dir(str(base), key_base, name_part, delimiter is None, found)
        return _sorted_runs(list(found)), found

    # ------------------------------------------------------------ SupportsTreeMove
    async def move_tree(self, src: str, dst: str) -> None:
        """Move the file or folder ``src`` (a key without a trailing slash), everything
        under it included, to ``dst`` with one ``os.rename`` (1 RENAME): atomic, whatever
        the folder holds. NotFound if ``src`` is not there, Conflict if ``dst`` is,
        Unsupported if they are on two filesystems (the caller then copies)."""
        s, d = self._full(src.rstrip("/")), self._full(dst.rstrip("/"))
        self.requests.add("RENAME")
        await self._retrying(
            lambda: self._run(self._move_tree_sync, s, d), src, retry=False, op="write"
        )

    # ------------------------------------------------------------ SupportsTreeDelete
    async def delete_tree(self, key: str) -> None:
        """Delete the folder ``key`` and everything in it (1 RENAME, 1 DELETE): renamed
        out of sight first (a hidden name in the same directory, which listings skip), so
        it is gone at once for every reader, then removed in a worker thread. A removal
        cut short (a crash) leaves only the hidden folder, never part of the listed one."""
        full = self._full(key.rstrip("/"))
        hidden = await self._retrying(
            lambda: self._run(self._hide_tree_sync, full), key, retry=False, op="write"
        )
        self.requests.add("DELETE")
        await self._run(shutil.rmtree, hidden, True)

    def _hide_tree_sync(self, full: str) -> str:
        path = self._path(full)
        if path.is_symlink():  # a folder linked in: deleting it is not removing its files
            raise Unsupported(
                f"{full!r} is a link: deleted key by key", store=self.description, key=full
            )
        if path.name.startswith(TEMP_PREFIX) or not path.is_dir():
            raise self._not_found(full)
        hidden = path.with_name(f"{TEMP_PREFIX}deleted-{secrets.token_hex(8)}")
        self.requests.add("RENAME")
        try:
            os.rename(path, hidden)
        except FileNotFoundError:
            raise self._not_found(full) from None
        except OSError as e:
            raise self._os_error(full, e) from None
        _fsync_dir(path.parent)
        return str(hidden)

    def _move_tree_sync(self, src: str, dst: str) -> None:
        src_path, dst_path = self._path(src), self._path(dst)
        if src_path.name.startswith(TEMP_PREFIX) or not os.path.exists(src_path):
            raise self._not_found(src)
        if os.path.lexists(dst_path):
            # os.rename would replace an empty folder or a file silently
            raise Conflict(f"{dst!r} already exists", store=self.description, key=dst)
        try:
            dst_path.parent.mkdir(parents=True, exist_ok=True)
            os.rename(src_path, dst_path)
        except OSError as e:
            if e.errno == errno.EXDEV:
                raise Unsupported(
                    f"{src!r} and {dst!r} are on two filesystems: no rename at once",
                    store=self.description,
                    key=src,
                ) from None
            if e.errno == errno.EINVAL:
                raise InvalidKey(
                    f"cannot move {src!r} into itself", store=self.description, key=src
                ) from None
            raise self._os_error(src, e) from None
        _fsync_dir(dst_path.parent)
        if src_path.parent != dst_path.parent:
            _fsync_dir(src_path.parent)


_NO_METADATA: Mapping[str, str] = MappingProxyType({})
_UTC = timezone.utc
_new_object = object.__new__
_set_field = object.__setattr__


def _listed_file(key: str, size: int, mtime_ns: int) -> ObjectInfo:
    """The ObjectInfo of a listed file, built without the frozen dataclass's ``__init__``
    (its field defaults and a new metadata dict cost as much as the stat itself). The
    same fields, equal to one built the usual way."""
    info = _new_object(ObjectInfo)
    _set_field(info, "key", key)
    _set_field(info, "size", size)
    _set_field(info, "last_modified", datetime.fromtimestamp(mtime_ns / 1e9, _UTC))
    _set_field(info, "etag", None)
    _set_field(info, "content_type", None)
    _set_field(info, "metadata", _NO_METADATA)
    return info


#: Keys sorted in one call at most: a sort holds the GIL (and so the event loop) for its
#: whole length, about 4 ms for 16,384 keys (idle; 60 ms for 100,000), 1 ms for 4,096.
SORT_RUN = 4096
#: What a scanned entry is: a file, a folder's own marker (a listing without delimiter),
#: a folder under a delimited listing.
_FILE, _MARKER, _PREFIX = 0, 1, 2


def _sorted_runs(keys: list[str]) -> list[list[str]]:
    """``keys`` in sorted runs of :data:`SORT_RUN` (one run when they fit), sorted as
    object stores sort them (code points: UTF-8 byte order) and merged by
    :func:`_in_order` in Python, so the worker thread lets the event loop's thread in
    between (the GIL is switched between bytecodes, never during one long
    ``list.sort``). Plain strings, no key function: twice as fast as sorting the
    entries by an attribute."""
    if len(keys) <= SORT_RUN:
        keys.sort()
        return [keys]
    return [sorted(keys[i : i + SORT_RUN]) for i in range(0, len(keys), SORT_RUN)]


def _in_order(runs: list[list[str]]) -> Iterable[str]:
    """The keys of sorted ``runs``, in order."""
    return runs[0] if len(runs) == 1 else heapq.merge(*runs)


@dataclass(frozen=True)
class _Scanned:
    """One scan of a folder: its keys in listing order and what each is (key ->
    (what, size, mtime in ns)). Plain strings and tuples of numbers, which the garbage
    collector stops tracking; entries are built a page at a time from them."""

    keys: list[str]
    found: dict[str, tuple[int, int, int]]

    def page(self, start: int, size: int) -> ListPage:
        """The entries of keys ``start`` to ``start + size`` as a store lists them."""
        objects: list[ObjectInfo] = []
        prefixes: list[PrefixInfo] = []
        add_object, add_prefix = objects.append, prefixes.append
        found = self.found
        chunk = self.keys[start : start + size]
        for key in chunk:
            kind, size_, mtime_ns = found[key]
            if kind == _FILE:
                add_object(_listed_file(key, size_, mtime_ns))
            elif kind == _PREFIX:
                add_prefix(PrefixInfo(key, datetime.fromtimestamp(mtime_ns / 1e9, _UTC)))
            else:
                when = datetime.fromtimestamp(mtime_ns / 1e9, _UTC)
                add_object(ObjectInfo(key, 0, when, content_type=DIRECTORY_CONTENT_TYPE))
        more = start + size < len(self.keys)
        return ListPage(objects, prefixes, chunk[-1] if more and chunk else None)


def _scan_dir(
    path: str,
    key_base: str,
    name_part: str,
    recursive: bool,
    found: dict[str, tuple[int, int, int]],
) -> None:
    """Add the entries of one directory (and, ``recursive``, of those below it) to
    ``found``: files and folders whose name starts with ``name_part``, never a write in
    progress. A file gets its size and time from the one stat; an entry gone or broken
    since the scan (a rename, a dangling link) is left out."""
    try:
        scan = os.scandir(path)
    except OSError:
        return
    is_dir, is_reg = stat.S_ISDIR, stat.S_ISREG
    with scan:
        for entry in scan:
            name = entry.name
            if (name_part and not name.startswith(name_part)) or name.startswith(TEMP_PREFIX):
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            mode = st.st_mode
            if is_reg(mode):
                found[key_base + name] = (_FILE, st.st_size, st.st_mtime_ns)
            elif is_dir(mode):
                key = key_base + name + "/"
                if recursive:
                    found[key] = (_MARKER, 0, st.st_mtime_ns)
                    _scan_dir(entry.path, key, "", True, found)
                else:
                    found[key] = (_PREFIX, 0, st.st_mtime_ns)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()  # read once: os.umask is process-wide and not thread-safe


def _fsync_dir(path: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
