"""Issue 16's cases: large folders and folder operations, side by side with the floors.

For each server (local disk, the memory store, moto's S3, the real Swift) the same
folders are listed, renamed and deleted by every system that can: the floor (the raw
tool: ``os.scandir`` + stat and ``os.rename`` locally, obstore's or swiftclient's own
calls on object stores), nbshelf (with and without trash), and the alternatives
(jupyter_server's own file manager locally; s3contents and jupyter-fs on S3). Each
call is timed with the ticking coroutine running (the longest event-loop block of
that call), its requests counted at the proxy and at nbshelf's store, and its result
checked outside the measured window (the listing has every entry, the renamed folder
is whole under its new name, the deleted folder is gone).

Sizes are 1,000, 10,000 and 100,000 entries. A size is skipped, and the result says
why, when seeding it would take longer than ``seed_budget_s`` at the rate measured on
the smaller sizes, or when a system's call would take longer than ``call_budget_s``
extrapolated linearly from its previous size.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nbshelf.server.warmup import tune_interpreter

from .floors import LocalFloor, ObstoreFloor, SwiftFloor
from .harness import nb_bytes, short, small_notebook
from .measure import Ticker, call, measure
from .targets import REGION, SWIFT_KEY, SWIFT_USER, Server


# --------------------------------------------------------------------------- settings
@dataclass
class ScaleSettings:
    """Sizes, repetitions and the budgets that cap a size (with the reason recorded)."""

    sizes: tuple[int, ...] = (1000, 10_000, 100_000)
    #: folder rename and delete on object stores: each is N copies (+ N deletes). Swift's
    #: all-in-one copies slowly (one rename of 1,000 took 48 s for the floor alone on
    #: this loaded machine): there they run at ``lat_n`` objects, +latency, only
    object_op_sizes: tuple[int, ...] = (1000,)
    object_op_sizes_by_env: dict[str, tuple[int, ...]] = field(
        default_factory=lambda: {"swift": ()}
    )
    lat_n: int = 100  # the folder renamed and deleted at +latency per request
    latency: float = 0.010
    lat_reps: int = 2
    #: a call predicted (from the previous size) to take longer is not run; the
    #: alternatives get less: they are the comparison, nbshelf and the floors the subject
    call_budget_s: float = 240.0
    alt_call_budget_s: float = 45.0
    seed_budget_s: float = 420.0
    call_timeout_s: float = 900.0
    #: the first calls after start-up (benchmarks/coldstart.py): the folder listed and
    #: the folder renamed
    coldstart_n: int = 1000
    coldstart_rename_n: int = 100
    #: each server's share of the run, seconds: a listing size is capped when seeding
    #: and listing it would outrun it (predicted from the smaller sizes)
    env_budget_s: dict[str, float] = field(
        default_factory=lambda: {"local": 240.0, "memory": 180.0, "moto": 600.0, "swift": 360.0}
    )
    #: the idle ticker, before and after each server's cases (the machine's own noise)
    idle_s: float = 5.0

    def reps(self, n: int, kind: str = "nbshelf") -> int:
        if kind == "alternative":
            return 2 if n <= 1000 else 1
        return 3 if n <= 1000 else 2 if n <= 10_000 else 1

    @classmethod
    def tiny(cls) -> ScaleSettings:
        """The smoke test's sizes: every case runs, nothing takes long."""
        return cls(
            sizes=(10, 40),
            object_op_sizes=(10,),
            lat_n=5,
            lat_reps=1,
            coldstart_n=40,
            coldstart_rename_n=5,
            idle_s=0.2,
        )


# --------------------------------------------------------------------------- systems
@dataclass
class System:
    """One way of doing the operations on one server: a floor, nbshelf, an alternative."""

    id: str
    label: str
    kind: str  # "floor" | "nbshelf" | "alternative"
    do_list: Callable[[str], Awaitable[Any]] | None = None  # a count or a Listed
    do_rename: Callable[[str, str], Awaitable[Any]] | None = None
    do_delete: Callable[[str], Awaitable[Any]] | None = None
    cm: Any = None
    trash: bool | None = None  # does delete keep the files in a trash
    #: the folder must be made by the manager itself first (its own marker convention:
    #: s3contents' .s3keep, jupyter-fs'); raw-seeded keys alone are not a folder to it
    makes_dirs: bool = False
    notes: list[str] = field(default_factory=list)


def _thread(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def run(*args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    return run


def _direct(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """A synchronous floor run right on the loop (the floor is the work, not a server)."""

    async def run(*args: Any) -> Any:
        return fn(*args)

    return run


class Listed:
    """A folder model as a contents manager returned it, counted (and freed) after the
    measured call: going through 100,000 entries and freeing them is the harness's work,
    not the listing's (a server's handler serialises and frees it, for every manager
    alike)."""

    def __init__(self, model: dict[str, Any]) -> None:
        self.model = model

    def count(self) -> int:
        return sum(1 for e in self.model.get("content") or [] if e["name"].endswith(".ipynb"))


def listed_count(result: Any) -> int:
    """The notebooks a listing found: a floor returns the number, a manager its model."""
    return result.count() if isinstance(result, Listed) else int(result)


def cm_system(sid: str, label: str, kind: str, cm: Any, *, trash: bool | None) -> System:
    """A contents manager driven as jupyter_server's handlers drive it."""

    async def lst(folder: str) -> Listed:
        return Listed(await call(cm.get, folder, content=True, type="directory"))

    async def ren(src: str, dst: str) -> Any:
        return await call(cm.rename, src, dst)

    async def dele(folder: str) -> Any:
        return await call(cm.delete, folder)

    return System(sid, label, kind, lst, ren, dele, cm=cm, trash=trash)


def _store_of(cm: Any) -> Any:
    if cm is None:
        return None
    from nbshelf import ShelfContentsManager

    return cm.store if isinstance(cm, ShelfContentsManager) else None


# --------------------------------------------------------------------------- environments
class Env:
    """One server's systems, raw access (seeding, checks: never through the proxy) and
    the proxy the measured calls go through (None locally)."""

    name = ""
    label = ""
    proxy: Any = None
    systems: list[System]
    #: sizes above which folder rename/delete are not run here (object stores: N copies)
    op_cap: int | None = None
    cap_reasons: dict[str, str]

    def __init__(self) -> None:
        self.systems = []
        self.cap_reasons = {}
        self.cleanup: list[Callable[[], None]] = []

    async def seed(self, folder: str, n: int, data: bytes) -> None:
        raise NotImplementedError

    async def count(self, folder: str) -> int:
        raise NotImplementedError

    #: how the listing sizes are seeded, when not one write per object (the report says)
    seed_note = ""
    bulk_seed: Callable[[str, str, int, bytes, bool], None] | None = None
    bucket = ""

    async def seed_listing(self, folder: str, n: int, data: bytes) -> None:
        """A folder that is only listed: the server's bulk seeding where it has one."""
        if self.bulk_seed is None:
            await self.seed(folder, n, data)
        else:
            await asyncio.to_thread(self.bulk_seed, self.bucket, folder + "/", n, data, False)

    async def remove_listing(self, folder: str, n: int, data: bytes) -> None:
        if self.bulk_seed is None:
            await self.remove(folder)
        else:
            await asyncio.to_thread(self.bulk_seed, self.bucket, folder + "/", n, data, True)

    async def remove(self, folder: str) -> None:
        """Raw removal between cases (not measured): a large folder listed, or a renamed
        one, does not stay to slow the next case (moto scans a whole bucket per LIST)."""
        raise NotImplementedError

    async def settle(self) -> None:
        """Before each measured call, outside its window: nothing by default."""

    def close(self) -> None:
        for fn in self.cleanup:
            fn()


class LocalEnv(Env):
    name, label = "local", "local disk"

    def __init__(self) -> None:
        super().__init__()
        from jupyter_server.services.contents.filemanager import AsyncFileContentsManager

        from nbshelf import ShelfContentsManager

        self.root = Path(tempfile.mkdtemp(prefix="nbshelf-scale-local-"))
        self.template: dict[int, Path] = {}
        self.cleanup.append(lambda: shutil.rmtree(self.root, ignore_errors=True))
        self.scratch = self.root.parent / f"{self.root.name}-settle"
        self.cleanup.append(lambda: self.scratch.unlink(missing_ok=True))
        floor = LocalFloor(self.root)
        self.floor = floor
        self.systems = [
            System(
                "floor",
                "floor: os.scandir + stat / os.rename",
                "floor",
                _direct(floor.list_folder),
                _direct(floor.rename),
                None,
            ),
            System(
                "floor-trash",
                "floor: os.rename into a trash folder",
                "floor",
                do_delete=_direct(lambda f: floor.trash(f, f".trash/{uuid.uuid4().hex}")),
                trash=True,
            ),
            System(
                "floor-rmtree",
                "floor: shutil.rmtree",
                "floor",
                do_delete=_direct(floor.remove),
                trash=False,
            ),
            cm_system(
                "jupyter_server",
                "jupyter_server (file manager, no trash)",
                "alternative",
                AsyncFileContentsManager(
                    root_dir=str(self.root), delete_to_trash=False, always_delete_dir=True
                ),
                trash=False,
            ),
            cm_system(
                "jupyter_server-trash",
                "jupyter_server (file manager, send2trash)",
                "alternative",
                AsyncFileContentsManager(root_dir=str(self.root), delete_to_trash=True),
                trash=True,
            ),
            cm_system(
                "nbshelf",
                "nbshelf (local store)",
                "nbshelf",
                ShelfContentsManager(root_dir=str(self.root)),
                trash=True,
            ),
            cm_system(
                "nbshelf-notrash",
                "nbshelf (local store, no trash)",
                "nbshelf",
                ShelfContentsManager(
                    root_dir=str(self.root), delete_to_trash=False, always_delete_dir=True
                ),
                trash=False,
            ),
        ]
        # listing and renaming are the same for both nbshelf and both jupyter_server
        # managers: the trash variants only delete
        for s in self.systems:
            if s.id.endswith("-trash") or s.id.endswith("-notrash"):
                s.do_list = s.do_rename = None

    def close(self) -> None:
        super().close()
        # what jupyter_server's send2trash moved into the desktop trash (ours by name)
        trash = Path.home() / ".local" / "share" / "Trash"
        for sub, suffix in (("files", ""), ("info", ".trashinfo")):
            base = trash / sub
            if base.is_dir():
                for p in base.glob(f"d*-jupyter_server-trash-*{suffix}"):
                    if p.is_dir():
                        shutil.rmtree(p, ignore_errors=True)
                    else:
                        p.unlink(missing_ok=True)

    async def settle(self) -> None:
        """The disk's pending writes flushed (``os.sync``) before each measured call: a
        call that fsyncs (nbshelf's journal) otherwise waits for whatever the previous
        system left unwritten (jupyter_server's 100,000 unlinks made nbshelf's delete to
        the trash take 234 ms instead of 10), a cost of the order the systems run in.

        Then one fsync of a scratch file: ``os.sync`` commits the filesystem's journal,
        but the next commit still writes back what that commit held (seeding 100,000
        links dirtied thousands of metadata blocks), and the next fsync, in the measured
        call, waited for it: nbshelf's journal fsync took 34-43 ms right after seeding
        100,000 and 1-2 ms on the next call (``build/`` diagnosis, 2026-12-02)."""

        def settle() -> None:
            os.sync()
            fd = os.open(self.scratch, os.O_WRONLY | os.O_CREAT)
            try:
                os.write(fd, b"s")
                os.fsync(fd)
            finally:
                os.close(fd)

        await asyncio.to_thread(settle)

    async def seed(self, folder: str, n: int, data: bytes) -> None:
        """Hard links of one template folder per size: 100,000 files in about a second,
        each a real file to list, stat, move and delete."""
        tpl = self.template.get(n)
        if tpl is None:
            tpl = self.root.parent / f"{self.root.name}-tpl-{n}"
            tpl.mkdir()
            for i in range(n):
                (tpl / f"nb{i:06}.ipynb").write_bytes(data)
            self.template[n] = tpl
            self.cleanup.append(lambda p=tpl: shutil.rmtree(p, ignore_errors=True))
        await asyncio.to_thread(shutil.copytree, tpl, self.root / folder, copy_function=os.link)

    async def count(self, folder: str) -> int:
        path = self.root / folder
        return sum(1 for _ in os.scandir(path)) if path.is_dir() else 0

    async def remove(self, folder: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self.root / folder, True)


class MemoryEnv(Env):
    name, label = "memory", "nbshelf's memory store (in-process, no server)"

    def __init__(self) -> None:
        super().__init__()
        from nbshelf import ShelfContentsManager
        from nbshelf.stores.memory import MemoryStore

        self.store = MemoryStore.from_url(f"memory://scale-{uuid.uuid4().hex[:8]}")
        self.systems = [
            cm_system(
                "nbshelf",
                "nbshelf (memory store)",
                "nbshelf",
                ShelfContentsManager(store_instance=self.store),
                trash=True,
            ),
            cm_system(
                "nbshelf-notrash",
                "nbshelf (memory store, no trash)",
                "nbshelf",
                ShelfContentsManager(
                    store_instance=self.store, delete_to_trash=False, always_delete_dir=True
                ),
                trash=False,
            ),
        ]
        self.systems[1].do_list = self.systems[1].do_rename = None

        async def raw_list(folder: str) -> int:
            page = await self.store.list_all(folder + "/")
            return sum(1 for o in page.objects if o.key.endswith(".ipynb"))

        # no outside client reaches an in-process store: its own listing is the floor
        self.systems.insert(
            0,
            System("floor", "floor: the memory store's own listing (list_all)", "floor", raw_list),
        )

    async def seed(self, folder: str, n: int, data: bytes) -> None:
        for i in range(n):
            await self.store.put(f"{folder}/nb{i:06}.ipynb", data)

    async def count(self, folder: str) -> int:
        return len((await self.store.list_all(folder + "/", delimiter=None)).objects)

    async def remove(self, folder: str) -> None:
        listing = await self.store.list_all(folder + "/", delimiter=None)
        await self.store.delete([o.key for o in listing.objects])


class S3Env(Env):
    """An S3 API (moto, or Swift's s3api): obstore's raw calls, nbshelf, s3contents,
    jupyter-fs, all on one bucket behind the server's counting proxy."""

    def __init__(self, server: Server, *, alternatives: bool = True, tag: str = "") -> None:
        super().__init__()
        from nbshelf import ShelfContentsManager

        self.name = server.name if not tag else f"{server.name}-{tag}"
        self.label = server.label + (" (S3 API)" if tag else "")
        self.proxy = server.proxy
        self.bucket = server.new_bucket("scale")
        self.bulk_seed, self.seed_note = server.bulk_seed, server.bulk_seed_note
        self.raw = ObstoreFloor(
            server.endpoint, self.bucket, server.access_key, server.secret_key, REGION
        )
        floor = ObstoreFloor(
            server.proxy.url, self.bucket, server.access_key, server.secret_key, REGION
        )
        self.floor = floor
        opts = {
            "endpoint_url": server.proxy.url,
            "access_key_id": server.access_key,
            "secret_access_key": server.secret_key,
            "region": REGION,
        }

        self.nb_url, self.nb_opts = f"s3://{self.bucket}", opts

        def nb(**kw: Any) -> Any:
            return ShelfContentsManager(store_url=self.nb_url, store_options=dict(opts), **kw)

        self.systems = [
            System("floor", "floor: obstore raw (list / copies at once + bulk delete)", "floor",
                   floor.list_folder, _floor_rename(floor.keys, floor.copy_all, floor.delete_bulk)),
            System("floor-copies", "floor: obstore copies at once", "floor",
                   do_delete=_floor_copies(floor.keys, floor.copy_all), trash=None),
            System("floor-bulk", "floor: obstore bulk delete", "floor",
                   do_delete=_floor_delete(floor.keys, floor.delete_bulk), trash=False),
            cm_system("nbshelf", "nbshelf (S3)", "nbshelf", nb(), trash=True),
            cm_system("nbshelf-notrash", "nbshelf (S3, no trash)", "nbshelf",
                      nb(delete_to_trash=False, always_delete_dir=True), trash=False),
        ]  # fmt: skip
        self.systems[4].do_list = self.systems[4].do_rename = None
        if alternatives:
            self.systems += self._alternatives(server)

    def _alternatives(self, server: Server) -> list[System]:
        from .targets import installed

        out: list[System] = []
        if installed("s3contents"):
            from s3contents import S3ContentsManager

            ckpt = Path(tempfile.mkdtemp(prefix="nbshelf-scale-s3c-"))
            self.cleanup.append(lambda: shutil.rmtree(ckpt, ignore_errors=True))
            cm = S3ContentsManager(
                access_key_id=server.access_key,
                secret_access_key=server.secret_key,
                endpoint_url=server.proxy.url,
                bucket=self.bucket,
                region_name=REGION,
                root_dir=str(ckpt),
            )
            out.append(cm_system("s3contents", "s3contents", "alternative", cm, trash=False))
            out[-1].makes_dirs = True
        if installed("jupyter-fs"):
            from jupyterfs.manager.fsspec import FSSpecManager

            cm = FSSpecManager(
                f"s3://{self.bucket}",
                key=server.access_key,
                secret=server.secret_key,
                endpoint_url=server.proxy.url,
                client_kwargs={"region_name": REGION},
            )
            out.append(cm_system("jupyter-fs", "jupyter-fs (s3fs)", "alternative", cm, trash=False))
            out[-1].makes_dirs = True
        return out

    async def seed(self, folder: str, n: int, data: bytes) -> None:
        await self.raw.put_many([(f"{folder}/nb{i:06}.ipynb", data) for i in range(n)])

    async def count(self, folder: str) -> int:
        keys = await self.raw.keys(folder)
        return sum(1 for k in keys if k.endswith(".ipynb"))

    async def remove(self, folder: str) -> None:
        keys = await self.raw.keys(folder)
        if keys:
            await self.raw.delete_bulk(keys)


class SwiftEnv(Env):
    """The real Swift's native API: swiftclient's raw calls and nbshelf."""

    def __init__(self, server: Server) -> None:
        super().__init__()
        from nbshelf import ShelfContentsManager

        self.name, self.label = server.name, server.label + " (native API)"
        self.proxy = server.proxy
        self.container = self.bucket = server.new_bucket("scale")
        self.bulk_seed, self.seed_note = server.bulk_seed, server.bulk_seed_note
        self.raw = SwiftFloor(f"{server.endpoint}/auth/v1.0", SWIFT_USER, SWIFT_KEY,
                              self.container)  # fmt: skip
        floor = SwiftFloor(f"{server.proxy.url}/auth/v1.0", SWIFT_USER, SWIFT_KEY, self.container)
        opts = {
            "auth_url": f"{server.proxy.url}/auth/v1.0",
            "account_name": SWIFT_USER,
            "account_key": SWIFT_KEY,
            "environ": {},
            "retries": 1,
        }

        self.nb_url, self.nb_opts = f"swift://{self.container}", opts

        def nb(**kw: Any) -> Any:
            return ShelfContentsManager(store_url=self.nb_url, store_options=dict(opts), **kw)

        keys, copies, bulk = (
            _thread(floor.keys),
            _thread(floor.copy_all),
            _thread(floor.delete_bulk),
        )
        self.systems = [
            System("floor", "floor: swiftclient raw (list / copies at once + bulk delete)", "floor",
                   _thread(floor.list_folder), _floor_rename(keys, copies, bulk)),
            System("floor-copies", "floor: swiftclient copies at once", "floor",
                   do_delete=_floor_copies(keys, copies), trash=None),
            System("floor-bulk", "floor: swiftclient bulk delete", "floor",
                   do_delete=_floor_delete(keys, bulk), trash=False),
            cm_system("nbshelf", "nbshelf (Swift)", "nbshelf", nb(), trash=True),
            cm_system("nbshelf-notrash", "nbshelf (Swift, no trash)", "nbshelf",
                      nb(delete_to_trash=False, always_delete_dir=True), trash=False),
        ]  # fmt: skip
        self.systems[4].do_list = self.systems[4].do_rename = None

    async def seed(self, folder: str, n: int, data: bytes) -> None:
        items = [(f"{folder}/nb{i:06}.ipynb", data) for i in range(n)]
        await asyncio.to_thread(self.raw.put_many, items)

    async def count(self, folder: str) -> int:
        keys = await asyncio.to_thread(self.raw.keys, folder)
        return sum(1 for k in keys if k.endswith(".ipynb"))

    async def remove(self, folder: str) -> None:
        keys = await asyncio.to_thread(self.raw.keys, folder)
        if keys:
            await asyncio.to_thread(self.raw.delete_bulk, keys)


def _floor_rename(
    keys: Callable[[str], Awaitable[list[str]]],
    copies: Callable[[list[tuple[str, str]]], Awaitable[Any]],
    bulk: Callable[[list[str]], Awaitable[Any]],
) -> Callable[[str, str], Awaitable[Any]]:
    """The floor of a folder rename: the keys are known (listed outside the measured
    window, by :func:`prepare_floor`), every copy at once, then one bulk delete."""

    async def ren(src: str, dst: str) -> Any:
        ks = _KNOWN.pop(src, None)
        if ks is None:
            ks = await keys(src)
        await copies([(k, dst + k[len(src) :]) for k in ks])
        await bulk(ks)

    ren.keys = keys  # type: ignore[attr-defined]
    return ren


def _floor_copies(
    keys: Callable[[str], Awaitable[list[str]]],
    copies: Callable[[list[tuple[str, str]]], Awaitable[Any]],
) -> Callable[[str], Awaitable[Any]]:
    """The copies a delete into a trash must make (the folder itself is left: the
    bulk-delete floor is measured on its own)."""

    async def cp(folder: str) -> Any:
        ks = _KNOWN.pop(folder, None)
        if ks is None:
            ks = await keys(folder)
        trash = f".floor-trash/{uuid.uuid4().hex[:8]}/"
        await copies([(k, trash + k) for k in ks])

    cp.keys = keys  # type: ignore[attr-defined]
    cp.leaves_folder = True  # type: ignore[attr-defined]
    return cp


def _floor_delete(
    keys: Callable[[str], Awaitable[list[str]]], bulk: Callable[[list[str]], Awaitable[Any]]
) -> Callable[[str], Awaitable[Any]]:
    async def dele(folder: str) -> Any:
        ks = _KNOWN.pop(folder, None)
        if ks is None:
            ks = await keys(folder)
        await bulk(ks)

    dele.keys = keys  # type: ignore[attr-defined]
    return dele


#: keys listed before a floor's measured call (the floor knows what it moves)
_KNOWN: dict[str, list[str]] = {}


async def prepare_floor(fn: Any, folder: str) -> None:
    keys = getattr(fn, "keys", None)
    if keys is not None:
        _KNOWN[folder] = await keys(folder)


# --------------------------------------------------------------------------- running
@dataclass
class Row:
    """Every repetition of one system on one case at one size."""

    case: str
    n: int
    system: str
    label: str
    kind: str
    status: str = "ok"  # ok | wrong | failed | capped | timeout
    problem: str | None = None
    latency_ms: float = 0.0
    ms: list[float] = field(default_factory=list)
    block_ms: list[float] = field(default_factory=list)
    gc_ms: list[float] = field(default_factory=list)  # the collector's longest pass
    busy_ms: list[float] = field(default_factory=list)  # the process on the CPU (Ticker)
    gc_cpu_ms: list[float] = field(default_factory=list)  # the collector's pass, CPU time
    requests: dict[str, int] | None = None  # the first call's, at the proxy
    store_requests: dict[str, int] | None = None  # the first call's, nbshelf's counter
    median_ms: float | None = None
    max_block_ms: float | None = None
    first_block_ms: float | None = None
    #: the collector's longest pass in the call that blocked longest
    max_block_gc_ms: float | None = None
    max_busy_ms: float | None = None
    #: the collector's longest pass (CPU time) in the call with the longest busy block
    max_busy_gc_cpu_ms: float | None = None

    def finish(self) -> dict[str, Any]:
        if self.ms:
            self.median_ms = round(statistics.median(self.ms), 2)
            self.max_block_ms = round(max(self.block_ms), 2)
            self.first_block_ms = round(self.block_ms[0], 2)
            if self.busy_ms:
                self.max_busy_ms = round(max(self.busy_ms), 2)
                busiest = self.busy_ms.index(max(self.busy_ms))
                self.max_busy_gc_cpu_ms = self.gc_cpu_ms[busiest]
            worst = self.block_ms.index(max(self.block_ms))
            if worst < len(self.gc_ms):
                self.max_block_gc_ms = self.gc_ms[worst]
        return asdict(self)


class Runner:
    def __init__(
        self, env: Env, settings: ScaleSettings, log: Callable[[str], None] = print
    ) -> None:
        self.env = env
        self.s = settings
        self.log = log
        self.rows: list[dict[str, Any]] = []
        self.data = nb_bytes(small_notebook())
        #: (case, system) -> (n, median seconds) of the last size run
        self.last: dict[tuple[str, str], tuple[int, float]] = {}
        self.seed_s: dict[int, float] = {}
        self.started = time.perf_counter()
        self.env_budget: float | None = settings.env_budget_s.get(env.name)
        self.skipped_sizes: dict[int, str] = {}

    # ---- one measured call
    async def _one(self, row: Row, fn: Callable[[], Awaitable[Any]], store: Any) -> Any:
        await self.env.settle()
        proxy = self.env.proxy
        if proxy is not None:
            proxy.latency = row.latency_ms / 1000
        try:
            sample = await asyncio.wait_for(
                measure(fn, proxy=proxy, store=store), self.s.call_timeout_s
            )
        finally:
            if proxy is not None:
                proxy.latency = 0.0
        row.ms.append(round(sample.ms, 2))
        row.block_ms.append(round(sample.block_ms, 2))
        row.gc_ms.append(round(sample.gc_ms, 2))
        row.busy_ms.append(round(sample.busy_ms, 2))
        row.gc_cpu_ms.append(round(sample.gc_cpu_ms, 2))
        if row.requests is None and sample.proxy is not None:
            row.requests = sample.proxy
        if row.store_requests is None and sample.store is not None:
            row.store_requests = sample.store
        return sample.result

    def _op_reps(self, n: int, system: System) -> int:
        """Folder operations on an object store are N copies: once each. On the local
        disk a rename is one ``os.rename`` at every size, so 3 at every size (one sample
        of a call this short is the disk's noise: one fsync)."""
        if isinstance(self.env, LocalEnv):
            return max(3, self.s.reps(n, system.kind))
        if isinstance(self.env, MemoryEnv):
            return self.s.reps(n, system.kind)
        return 1

    def _capped(self, case: str, system: System, n: int) -> str | None:
        prev = self.last.get((case, system.id))
        if prev is None:
            return None
        pn, secs = prev
        est = secs * n / pn
        budget = self.s.alt_call_budget_s if system.kind == "alternative" else self.s.call_budget_s
        if est > budget:
            return (
                f"capped: {pn:,} took {secs:.1f} s, so {n:,} would take about {est:.0f} s "
                f"(budget {budget:.0f} s per call for {system.kind}s)"
            )
        return None

    def _emit(self, row: Row) -> None:
        d = row.finish()
        self.rows.append(d)
        if d["median_ms"] is not None:
            self.last[(row.case, row.system)] = (row.n, d["median_ms"] / 1000)
        self.log(
            f"  scale {self.env.name:10} {row.case:14} {row.n:>7,} {row.system:22} "
            f"{row.status:7} {d['median_ms']} ms, block {d['max_block_ms']} ms"
            + (f" ({row.problem})" if row.problem else "")
        )

    # ---- seeding
    @staticmethod
    async def _mkdir(sys_: System, folder: str) -> None:
        if sys_.makes_dirs and sys_.cm is not None:
            await call(sys_.cm.save, {"type": "directory"}, folder)

    async def list_sizes(self, sizes: tuple[int, ...]) -> None:
        """Seed each size (unless capped), list it with every system, remove it."""
        rate: float | None = None
        for n in sizes:
            reason = None
            if rate is not None and n / rate > self.s.seed_budget_s:
                reason = (
                    f"capped: seeding {n:,} objects at the {rate:.0f} objects/s measured here "
                    f"would take about {n / rate:.0f} s (budget {self.s.seed_budget_s:.0f} s)"
                )
            elif rate is not None and self.env_budget is not None:
                pred = n / rate + self._predicted_list_s(n)
                spent = time.perf_counter() - self.started
                if spent + pred > self.env_budget:
                    reason = (
                        f"capped: this server's share of the run is {self.env_budget / 60:.0f} "
                        f"min; {spent / 60:.1f} min were spent and seeding and listing {n:,} "
                        f"would take about {pred / 60:.1f} min more (from the smaller sizes' "
                        "figures)"
                    )
            if reason:
                self.skipped_sizes[n] = reason
                self.log(f"  scale {self.env.name}: {n:,} {reason}")
                continue
            t0 = time.perf_counter()
            folder = f"l{n}"
            for sys_ in self.env.systems:
                await self._mkdir(sys_, folder)
            await self.env.seed_listing(folder, n, self.data)
            secs = time.perf_counter() - t0
            self.seed_s[n] = round(secs, 1)
            rate = n / max(secs, 1e-3)
            await self.list_case([n])
            await self.env.remove_listing(folder, n, self.data)

    def _predicted_list_s(self, n: int) -> float:
        """Every system's listing of ``n``, extrapolated linearly from its last size
        (the per-call caps left out: those are not run)."""
        total = 0.0
        for sys_ in self.env.systems:
            prev = self.last.get(("list", sys_.id))
            if sys_.do_list is None or prev is None or self._capped("list", sys_, n):
                continue
            total += prev[1] * n / prev[0] * self.s.reps(n, sys_.kind)
        return total

    # ---- cases
    async def list_case(self, sizes: list[int]) -> None:
        for n in sizes:
            folder = f"l{n}"
            for sys_ in self.env.systems:
                if sys_.do_list is None:
                    continue
                row = Row("list", n, sys_.id, sys_.label, sys_.kind)
                cap = self._capped("list", sys_, n)
                if cap:
                    row.status, row.problem = "capped", cap
                    self._emit(row)
                    continue
                store = _store_of(sys_.cm)
                reps = self.s.reps(n, sys_.kind)
                if isinstance(self.env, LocalEnv) and sys_.kind != "alternative":
                    reps = max(2, reps)  # seconds at most: one sample is the disk's noise
                for _ in range(reps):
                    lister = sys_.do_list
                    try:
                        result = await self._one(row, lambda f=folder, fn=lister: fn(f), store)
                    except Exception as e:
                        row.status, row.problem = _failure(e)
                        break
                    got = listed_count(result)
                    del result  # freed here, outside the measured call
                    if got != n:
                        row.status, row.problem = "wrong", f"listed {got} of {n} entries"
                        break
                self._emit(row)

    async def rename_case(self, sizes: list[int], *, latency_ms: float = 0.0) -> None:
        """Each system renames its own folder there and back (a repetition each way)."""
        case = "rename" if not latency_ms else "rename-lat"
        for n in sizes:
            for sys_ in self.env.systems:
                if sys_.do_rename is None:
                    continue
                row = Row(case, n, sys_.id, sys_.label, sys_.kind, latency_ms=latency_ms)
                cap = self._capped(case, sys_, n)
                if cap:
                    row.status, row.problem = "capped", cap
                    self._emit(row)
                    continue
                a, b = f"r{n}-{sys_.id}-a", f"r{n}-{sys_.id}-b"
                try:
                    await self._mkdir(sys_, a)
                    await self.env.seed(a, n, self.data)
                except Exception as e:
                    row.status, row.problem = "failed", f"seeding failed: {short(e)}"
                    self._emit(row)
                    continue
                store = _store_of(sys_.cm)
                reps = self.s.lat_reps if latency_ms else self._op_reps(n, sys_)
                for rep in range(reps):
                    src, dst = (a, b) if rep % 2 == 0 else (b, a)
                    renamer = sys_.do_rename
                    await prepare_floor(renamer, src)
                    try:
                        await self._one(row, lambda s=src, d=dst, fn=renamer: fn(s, d), store)
                    except Exception as e:
                        row.status, row.problem = _failure(e)
                        break
                    moved, left = await self.env.count(dst), await self.env.count(src)
                    if moved != n or left:
                        row.status = "wrong"
                        row.problem = f"{moved} of {n} under the new name, {left} left"
                        break
                self._emit(row)
                await self.env.remove(a)
                await self.env.remove(b)

    async def delete_case(self, sizes: list[int], *, latency_ms: float = 0.0) -> None:
        case = "delete" if not latency_ms else "delete-lat"
        for n in sizes:
            for sys_ in self.env.systems:
                if sys_.do_delete is None:
                    continue
                row = Row(case, n, sys_.id, sys_.label, sys_.kind, latency_ms=latency_ms)
                cap = self._capped(case, sys_, n)
                if cap:
                    row.status, row.problem = "capped", cap
                    self._emit(row)
                    continue
                store = _store_of(sys_.cm)
                reps = self.s.lat_reps if latency_ms else min(2, self._op_reps(n, sys_))
                for rep in range(reps):
                    folder = f"d{n}-{sys_.id}-{rep}-{uuid.uuid4().hex[:6]}"
                    try:
                        await self._mkdir(sys_, folder)
                        await self.env.seed(folder, n, self.data)
                    except Exception as e:
                        row.status, row.problem = "failed", f"seeding failed: {short(e)}"
                        break
                    deleter = sys_.do_delete
                    await prepare_floor(deleter, folder)
                    try:
                        await self._one(row, lambda f=folder, fn=deleter: fn(f), store)
                    except Exception as e:
                        row.status, row.problem = _failure(e)
                        break
                    if getattr(deleter, "leaves_folder", False):
                        await self.env.remove(folder)
                        await self.env.remove(".floor-trash")
                        continue
                    left = await self.env.count(folder)
                    if left:
                        row.status, row.problem = "wrong", f"{left} of {n} left after the delete"
                        break
                self._emit(row)


async def idle_block(seconds: float) -> tuple[float, float]:
    """The ticker's longest gap while nothing runs on the loop: what the machine's load
    alone (this process not scheduled) adds to every block measured here; and the
    longest counting only this process's CPU time (near the tick: nothing of ours ran)."""
    ticker = Ticker()
    await ticker.start()
    await asyncio.sleep(seconds)
    gap = await ticker.stop()
    return round(gap * 1000, 2), round(ticker.max_busy * 1000, 2)


def _failure(e: BaseException) -> tuple[str, str]:
    if isinstance(e, asyncio.TimeoutError):
        return "timeout", "did not finish within the call timeout"
    return "failed", short(e)


# --------------------------------------------------------------------------- per server
async def run_env(
    env: Env,
    settings: ScaleSettings,
    log: Callable[[str], None] = print,
    *,
    lat_only: bool = False,
) -> dict[str, Any]:
    """Every case on one server (``lat_only``: only the 100 objects at +latency); never
    raises."""
    r = Runner(env, settings, log)
    out: dict[str, Any] = {"label": env.label, "error": None}
    t0 = time.perf_counter()
    # what nbshelf's server does once started (nbshelf/server/warmup.py): objects loaded
    # so far leave the cyclic garbage collector, whose full collections would otherwise
    # walk every module of this process (the alternatives' too) on the loop. Every system
    # measured here runs in this process and gets the same (the 1 ms switch interval
    # too: nbshelf.server.warmup.tune_interpreter).
    tune_interpreter()
    out["gc_frozen"] = gc.get_freeze_count()
    idle = [await idle_block(settings.idle_s)]
    try:
        # folder operations first, in a small bucket; then each listing size seeded,
        # listed and removed in turn
        local = isinstance(env, (LocalEnv, MemoryEnv))
        if not lat_only:
            op_sizes = (
                list(settings.sizes)
                if local
                else list(settings.object_op_sizes_by_env.get(env.name, settings.object_op_sizes))
            )
            await r.rename_case(op_sizes)
            await r.delete_case(op_sizes)
        if env.proxy is not None:
            await r.rename_case([settings.lat_n], latency_ms=settings.latency * 1000)
            await r.delete_case([settings.lat_n], latency_ms=settings.latency * 1000)
        if not lat_only:
            await r.list_sizes(settings.sizes)
    except Exception as e:  # a bug in the harness or a server gone: keep what was measured
        out["error"] = short(e)
        log(f"  scale {env.name}: stopped: {out['error']}")
    idle.append(await idle_block(settings.idle_s))
    out["idle_block_ms"] = [gap for gap, _ in idle]
    out["idle_busy_ms"] = [busy for _, busy in idle]
    out["rows"] = r.rows
    out["seed_s"] = r.seed_s
    out["seed_note"] = env.seed_note
    out["skipped_sizes"] = r.skipped_sizes
    out["elapsed_s"] = round(time.perf_counter() - t0, 1)
    if not isinstance(env, (LocalEnv, MemoryEnv)) and not lat_only:
        ops = settings.object_op_sizes_by_env.get(env.name, settings.object_op_sizes)
        out["object_op_note"] = (
            "folder rename and delete on an object store are N server-side copies (and N "
            "deletes): run "
            + (
                f"at {', '.join(f'{n:,}' for n in ops)} objects"
                if ops
                else f"only at {settings.lat_n} objects with +{settings.latency * 1000:g} ms "
                "per request (on a loaded 2-core machine one rename of 1,000 here took the "
                "floor alone 48 s in a trial run)"
            )
            + ", not at the listing sizes"
        )
    return out
