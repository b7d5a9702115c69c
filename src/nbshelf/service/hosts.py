"""The hosts-file entry for the server's hostname, kept in one marked block.

Text functions are pure (``add_entry``, ``remove_entry``): same input, same output, so
installing twice changes nothing. ``write_hosts`` is the only writer: a backup first, then
an atomic replace (temporary file in the same directory, fsync, rename), so a crash or a
full disk never leaves a half-written hosts file.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

BEGIN = "# BEGIN nbshelf: managed by `nbshelf service`, removed by `nbshelf service uninstall`"
END = "# END nbshelf"
BACKUP_SUFFIX = ".nbshelf.bak"


def _split(text: str) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """(lines before the block, entries in it, lines after it); no block: all lines are before."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("# BEGIN nbshelf")), None)
    if start is None:
        return lines, [], []
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() == END), len(lines) - 1)
    entries = []
    for line in lines[start + 1 : end]:
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2:
            entries += [(fields[0], name) for name in fields[1:]]
    return lines[:start], entries, lines[end + 1 :]


def entries(text: str) -> list[tuple[str, str]]:
    """The (ip, hostname) pairs inside nbshelf's block."""
    return _split(text)[1]


def _join(before: list[str], items: list[tuple[str, str]], after: list[str], nl: str) -> str:
    block = [BEGIN, *(f"{ip}\t{name}" for ip, name in items), END] if items else []
    lines = before + block + after
    return nl.join(lines) + nl if lines else ""


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def add_entry(text: str, ip: str, hostname: str) -> str:
    """``text`` with ``ip hostname`` in the block (replacing another IP for the same name)."""
    before, items, after = _split(text)
    items = [(i, n) for i, n in items if n.lower() != hostname.lower()] + [(ip, hostname)]
    return _join(before, items, after, _newline(text))


def remove_entry(text: str, hostname: str) -> str:
    """``text`` without ``hostname``; the block goes away with its last entry."""
    if not any(line.startswith("# BEGIN nbshelf") for line in text.splitlines()):
        return text
    before, items, after = _split(text)
    items = [(i, n) for i, n in items if n.lower() != hostname.lower()]
    return _join(before, items, after, _newline(text))


def line_for(ip: str, hostname: str) -> str:
    """The exact line to add by hand when nbshelf may not write the hosts file."""
    return f"{ip}\t{hostname}"


def write_hosts(path: str | os.PathLike[str], text: str) -> bool:
    """Write ``text`` to the hosts file if it differs; return whether it changed.

    The previous content is kept in ``<path>.nbshelf.bak``. The new content is written to a
    temporary file in the same directory and renamed over the old one. When the hosts file is
    itself a mount point (containers bind-mount /etc/hosts) a rename over it fails with EBUSY;
    then, and only then, the content is written in place, after the backup.
    Raises PermissionError without the rights to write it (callers print what to run instead).
    """
    target = Path(path)
    data = text.encode("utf-8", "surrogateescape")
    try:
        old = target.read_bytes()
    except FileNotFoundError:
        old = None
    if old == data:
        return False
    if old is not None:
        shutil.copy2(target, str(target) + BACKUP_SUFFIX)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".nbshelf-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if old is not None:
            shutil.copymode(target, tmp)
        else:
            os.chmod(tmp, 0o644)
        try:
            os.replace(tmp, target)
        except OSError as e:
            if e.errno not in (errno.EBUSY, errno.EXDEV):
                raise
            _write_in_place(target, data)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return True


def _write_in_place(target: Path, data: bytes) -> None:
    with open(target, "r+b") as f:
        f.write(data)
        f.truncate()
        f.flush()
        os.fsync(f.fileno())


def read_hosts(path: str | os.PathLike[str]) -> str:
    """The file's text with its own line endings; bytes that are not UTF-8 survive a rewrite."""
    try:
        return Path(path).read_bytes().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return ""


def add_host(path: str | os.PathLike[str], ip: str, hostname: str) -> bool:
    """Add (or update) the entry in the file at ``path``; return whether the file changed."""
    return write_hosts(path, add_entry(read_hosts(path), ip, hostname))


def remove_host(path: str | os.PathLike[str], hostname: str) -> bool:
    """Remove the entry from the file at ``path``; return whether the file changed."""
    if not os.path.exists(path):
        return False
    return write_hosts(path, remove_entry(read_hosts(path), hostname))
