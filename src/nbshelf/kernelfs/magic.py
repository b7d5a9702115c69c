"""``%shelf``: plain ``open("data.csv")`` in a kernel whose notebook lives in the store.

The kernel of a notebook in an object store starts in a local working folder that
mirrors the notebook's folder (``$NBSHELF_WORK_DIR/<notebook folder>``, kept across
kernel restarts, never emptied by nbshelf). Files move between it and the store only
when asked, so nothing is overwritten behind the user's back:

``%shelf pull data.csv [more ...]``  copy from beside the notebook into the working folder
``%shelf pull --force data.csv``     the same, replacing a local copy that has unpushed changes
``%shelf push out.png [more ...]``   copy from the working folder to beside the notebook
``%shelf status``                    files of the working folder not (or no longer) in the store
``%shelf where``                     the working folder and the notebook's folder

After every cell the extension looks at the working folder (at most 2000 entries) and
names, once per version, each file written there that was not pushed: a file written by
the kernel is never silently left behind. A ``pull`` never replaces a local file whose
changes were not pushed (unless ``--force``), and lands whole or not at all (it downloads
beside the file, then renames). What was pulled or pushed is remembered in the working
folder (``.nbshelf-synced.json``), so a restarted kernel knows it too.

On the local store the kernel starts in the notebook's real folder and none of this is
needed (the extension then stays quiet).
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

from .client import ENV_DIR, ENV_WORK

_SCAN_LIMIT = 2000
#: what was pulled or pushed, kept in the working folder (hidden: never scanned, pushed)
STATE_FILE = ".nbshelf-synced.json"


class ShelfSync:
    """What was pulled or pushed (by size and mtime) and what was already pointed out."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.synced: dict[str, tuple[int, int]] = self._load()
        self.warned: set[tuple[str, int, int]] = set()
        self._fs: Any = None

    def _load(self) -> dict[str, tuple[int, int]]:
        """The stamps an earlier kernel of this folder recorded (none if unreadable)."""
        try:
            raw = json.loads((self.folder / STATE_FILE).read_text())
            return {str(k): (int(v[0]), int(v[1])) for k, v in raw["synced"].items()}
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return {}

    def _record(self, rel: str) -> None:
        """Remember ``rel``'s stamp, merged into the file (two kernels may share a folder)."""
        self.synced[rel] = self._stamp(rel)
        merged = {**self._load(), rel: self.synced[rel]}
        tmp = self.folder / f"{STATE_FILE}.{os.getpid()}"
        tmp.write_text(json.dumps({"synced": merged}))
        os.replace(tmp, self.folder / STATE_FILE)

    @property
    def fs(self) -> Any:
        if self._fs is None:
            from .filesystem import ShelfFileSystem

            self._fs = ShelfFileSystem()
        return self._fs

    def _stamp(self, rel: str) -> tuple[int, int]:
        st = (self.folder / rel).stat()
        return st.st_size, st.st_mtime_ns

    def pull(self, rel: str, force: bool = False) -> str:
        local = self.folder / rel
        if local.exists() and not force and self.synced.get(rel) != self._stamp(rel):
            raise FileExistsError(
                17,
                f"{rel} in the working folder has changes that were not pushed: "
                f"`%shelf push {shlex.quote(rel)}` keeps them beside the notebook, "
                f"`%shelf pull --force {shlex.quote(rel)}` replaces them",
                str(local),
            )
        local.parent.mkdir(parents=True, exist_ok=True)
        part = local.with_name(f".{local.name}.nbshelf-pull")
        try:
            self.fs.get_file(rel, str(part))
            os.replace(part, local)
        finally:
            part.unlink(missing_ok=True)
        self._record(rel)
        return f"pulled {rel} ({local.stat().st_size} bytes) into {local}"

    def push(self, rel: str) -> str:
        local = self.folder / rel
        if not local.is_file():
            raise FileNotFoundError(2, "No such file in the working folder", str(local))
        self.fs.put_file(str(local), rel)
        self._record(rel)
        where = "/".join(p for p in (os.environ.get(ENV_DIR, ""), rel) if p)
        return f"pushed {rel} ({local.stat().st_size} bytes) to {where} in the store"

    def unsynced(self) -> list[str]:
        """Files of the working folder that differ from what was pulled or pushed."""
        out: list[str] = []
        seen = 0
        for root, dirs, files in os.walk(self.folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                seen += 1
                if seen > _SCAN_LIMIT:
                    return out
                if name.startswith("."):
                    continue
                rel = os.path.relpath(os.path.join(root, name), self.folder).replace(os.sep, "/")
                try:
                    stamp = self._stamp(rel)
                except OSError:
                    continue
                if self.synced.get(rel) != stamp:
                    out.append(rel)
        return sorted(out)

    def remind(self) -> str | None:
        """One line naming the files written since the last reminder and not pushed."""
        new = []
        for rel in self.unsynced():
            try:
                key = (rel, *self._stamp(rel))
            except OSError:
                continue
            if key not in self.warned:
                self.warned.add(key)
                new.append(rel)
        if not new:
            return None
        names = ", ".join(new[:5]) + (f" and {len(new) - 5} more" if len(new) > 5 else "")
        return (
            f"nbshelf: {names} only in the kernel's working folder ({self.folder}), not "
            f"beside the notebook in the store: `%shelf push {shlex.quote(new[0])}` keeps it"
        )


def _sync() -> ShelfSync | None:
    work = os.environ.get(ENV_WORK)
    if not work:
        return None  # the local store: the kernel works in the notebook's real folder
    folder = Path(work, *[p for p in os.environ.get(ENV_DIR, "").split("/") if p])
    return ShelfSync(folder)


def load_ipython_extension(ipython: Any) -> None:
    sync = _sync()

    def shelf(line: str) -> None:
        args = shlex.split(line)
        if not args or args[0] in ("help", "-h", "--help"):
            print(__doc__)
            return
        cmd, names = args[0], args[1:]
        force = cmd == "pull" and "--force" in names
        names = [n for n in names if n != "--force"] if force else names
        if cmd == "where":
            print(f"working folder: {sync.folder if sync else os.getcwd()}")
            print(f"notebook folder in the store: /{os.environ.get(ENV_DIR, '')}")
            return
        if sync is None:
            print(
                "nbshelf: this kernel works in the notebook's own folder (local store): "
                "files are already beside the notebook"
            )
            return
        if cmd == "status":
            left = sync.unsynced()
            print("\n".join(f"not pushed: {n}" for n in left) or "nothing to push")
            return
        if cmd not in ("pull", "push") or not names:
            raise ValueError(
                "usage: %shelf pull [--force] NAME [NAME ...] | push NAME [NAME ...] | "
                "status | where"
            )
        for name in names:
            print(sync.pull(name, force) if cmd == "pull" else sync.push(name))

    ipython.register_magic_function(shelf, "line", "shelf")
    if sync is None:
        return

    def post_run_cell(*_: Any) -> None:
        try:
            line = sync.remind()
        except Exception:
            return
        if line:
            print(line)

    ipython.events.register("post_run_cell", post_run_cell)
    # files left from an earlier kernel are named after the first cell
