"""The embedded default store: a directory on disk.

Keys are files; a ``a/b/`` marker is the directory ``a/b``. Writes go to a
temporary file in the target's directory, are fsynced and renamed over the
target, so a crash mid-write never leaves a partial notebook. The MD5 of each
file and any object metadata are kept in an extended attribute where the
filesystem has them (checked against size and mtime, recomputed otherwise).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import mimetypes
import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .base import GetResult, ListPage, ObjectInfo, ObjectStore, PrefixInfo, PutBody, PutOptions
from .errors import Conflict, InvalidKey, NotFound, PermissionDenied, StoreError, Unavailable
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
        self.requests.add("LIST")
        return await self._run(self._list_sync, prefix, delimiter, token, limit)

    def _list_sync(
        self, prefix: str, delimiter: str | None, token: str | None, limit: int
    ) -> ListPage:
        if delimiter not in (None, "/"):
            raise StoreError("the local store lists with delimiter '/' or none")
        entries = sorted(self._entries(prefix, recursive=delimiter is None))
        if token is not None:
            entries = [e for e in entries if e[0] > token]
        page, more = entries[:limit], len(entries) > limit
        objects: list[ObjectInfo] = []
        prefixes: list[PrefixInfo] = []
        for key, path, st in page:
            if delimiter and key.endswith("/") and key != prefix:
                prefixes.append(PrefixInfo(key, _mtime(st)))
                continue
            try:
                objects.append(self._info(key, path, st))
            except FileNotFoundError:
                continue  # deleted (or renamed) since the scan: no longer an object
        return ListPage(objects, prefixes, page[-1][0] if more and page else None)

    def _entries(self, prefix: str, recursive: bool) -> Iterator[tuple[str, Path, os.stat_result]]:
        dir_part, _, name_part = prefix.rpartition("/")
        base = self.root.joinpath(*dir_part.split("/")) if dir_part else self.root
        if not name_part and dir_part:
            with contextlib.suppress(OSError):
                st = base.stat()
                if stat.S_ISDIR(st.st_mode):
                    yield prefix, base, st  # the folder's own marker, as object stores list it
        try:
            scan = list(os.scandir(base))
        except OSError:
            return
        for entry in scan:
            if not entry.name.startswith(name_part) or entry.name.startswith(TEMP_PREFIX):
                continue
            try:
                st = entry.stat(follow_symlinks=True)
            except OSError:
                continue  # broken symlink: not an object
            path = Path(entry.path)
            if stat.S_ISDIR(st.st_mode):
                key = self._key(path, True)
                yield key, path, st
                if recursive:
                    yield from (e for e in self._entries(key, True) if e[0] != key)
            elif stat.S_ISREG(st.st_mode):
                yield self._key(path, False), path, st


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
