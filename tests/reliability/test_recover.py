"""A folder rename or delete interrupted half-way is finished or rolled back by
``nbshelf recover`` (or by the next server, on its first request), and the report
says what was done.

The crashes are real: a Python process running the contents manager on the local
store SIGKILLs itself at a chosen step (after some of the copies, after all of them,
after a delete's trash copies; the local store then copies key by key, as object stores
do; and, moving folders whole, before the folder's rename or between it and its
checkpoints'), and a real ``nbshelf serve`` is SIGKILLed while it renames a folder of
1500 files over REST, on the local store and the real Swift. Afterwards every file is
in exactly one place, byte-exact, and no journal is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import swiftclient

from tests.servers.jupyter import NbshelfServer
from tests.servers.swift import SwiftServer

from .conftest import SWIFT_KEY, Ledger, swift_env

N_FILES = 60
ROOT = Path(__file__).resolve().parents[2]
#: The lease of the operations these tests interrupt: short, so that recovery, which
#: touches only operations whose lease has expired, can follow soon after the crash;
#: not so short that a process starved of the CPU for a moment (2 cores, other test
#: workers) finds its lease lapsed and stops before the step it is to be killed at
#: (folder_ops: a holder never deletes with less than a third of its lease left).
LEASE = 2.0
SHORT_LEASE = f"--ShelfContentsManager.lease_seconds={LEASE}"

#: Runs the manager on a local store and SIGKILLs its own process at one step.
CRASH = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from nbshelf import ShelfContentsManager
    from nbshelf.stores.local import LocalStore

    store_dir, action, step, after = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    LEASE, how = float(sys.argv[5]), sys.argv[6]

    class CopyingLocalStore(LocalStore):
        # without its one-rename moves (no SupportsTreeMove): copies and deletes key by
        # key, as on an object store, and as the local store does across two filesystems
        move_tree = None

    store = (CopyingLocalStore if how == "copies" else LocalStore)(store_dir)
    if how != "copies":
        real_move, moves = store.move_tree, 0

        async def move_tree(src, dst):
            global moves
            if step == "move" and moves >= after:
                os.kill(os.getpid(), signal.SIGKILL)
            moves += 1
            return await real_move(src, dst)

        store.move_tree = move_tree
    cm = ShelfContentsManager(
        root_dir=store_dir, store_instance=store, max_concurrency=4, lease_seconds=LEASE
    )
    real_copy, real_delete = store._copy_no_info, store._delete
    copies = 0

    async def copy(src, dst):
        global copies
        if step == "copy" and copies >= after:
            os.kill(os.getpid(), signal.SIGKILL)
        copies += 1
        return await real_copy(src, dst)

    async def delete(keys):
        if step == "delete" and not any(".nbshelf/ops/" in k for k in keys):
            os.kill(os.getpid(), signal.SIGKILL)
        return await real_delete(keys)

    store._copy_no_info, store._delete = copy, delete
    if action == "rename":
        asyncio.run(cm.rename("proj", "moved"))
    else:
        asyncio.run(cm.delete("proj"))
    print("not killed")
    """
)


def _fill(store: Path, n: int = N_FILES) -> dict[str, bytes]:
    files = {f"proj/sub{i % 3}/f{i:03}.txt": f"file {i} ".encode() * (i + 1) for i in range(n)}
    for rel, data in files.items():
        (store / rel).parent.mkdir(parents=True, exist_ok=True)
        (store / rel).write_bytes(data)
    return files


def _crash(
    store: Path, action: str, step: str, after: int = 0, lease: float = LEASE, how: str = "copies"
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, str(store), action, step, str(after), str(lease), how],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)


def _outlive_the_leases(journals: list[dict[str, Any]]) -> None:
    """Wait until every lease has expired (bounded: a lease is LEASE seconds)."""
    from datetime import datetime, timezone

    from nbshelf.contents import layout

    for record in journals:
        expires = layout.parse_stamp(record["expires"])
        assert expires is not None, record
        wait = (expires - datetime.now(timezone.utc)).total_seconds()
        assert wait <= LEASE + 1, "the lease runs longer than configured"
        if wait > 0:
            time.sleep(wait + 0.05)


def _recover(store: Path, *args: str, wait: bool = True) -> str:
    if wait:
        _outlive_the_leases([json.loads(j.read_text()) for j in _journals(store)])
    proc = subprocess.run(
        [sys.executable, "-m", "nbshelf.cli", "recover", "--store", str(store), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _files(store: Path, folder: str) -> dict[str, bytes]:
    base = store / folder
    if not base.exists():
        return {}
    return {
        str(p.relative_to(base)): p.read_bytes()
        for p in base.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def _journals(store: Path) -> list[Path]:
    ops = store / ".nbshelf" / "ops"
    return sorted(ops.glob("*.json")) if ops.exists() else []


def _same(files: dict[str, bytes], found: dict[str, bytes]) -> bool:
    return found == {k[len("proj/") :]: v for k, v in files.items()}


def test_rename_killed_after_the_copies_is_finished(tmp_path: Path, ledger: Ledger) -> None:
    store = tmp_path / "store"
    files = _fill(store)
    _crash(store, "rename", "delete")  # every copy made, no source deleted yet
    ledger.fault("SIGKILL during a folder rename (local)")
    assert _same(files, _files(store, "proj")) and _same(files, _files(store, "moved"))
    [journal] = _journals(store)
    record = json.loads(journal.read_text())
    assert record["op"] == "rename" and record["source"] == "proj"
    assert {src for src, _ in record["pairs"]} >= set(files)  # every file (and markers)

    dry = _recover(store, "--dry-run")
    assert "rename proj -> moved" in dry and "would be finished" in dry
    assert _journals(store) == [journal]  # a dry run changes nothing

    report = _recover(store)
    assert f"rename proj -> moved ({len(record['pairs'])} objects): finished" in report
    assert f"deleted {len(record['pairs'])} source object(s) left under proj" in report
    assert _files(store, "proj") == {} and _same(files, _files(store, "moved"))
    assert _journals(store) == []
    assert "Nothing to recover" in _recover(store)
    ledger.lost("folder rename interrupted, then recovered", 0)


def test_a_live_lease_is_left_alone(tmp_path: Path, ledger: Ledger) -> None:
    """Whatever process wrote it (here one that is gone), a journal whose lease has not
    expired is left alone: it may be a live operation on another machine, in another
    container or PID namespace, where a process id says nothing."""
    store = tmp_path / "store"
    files = _fill(store)
    _crash(store, "rename", "delete", lease=600)
    [journal] = _journals(store)
    report = _recover(store, wait=False)
    assert "rename proj -> moved" in report and "running (its lease runs until" in report
    assert "left alone" in report and "Nothing to recover" in report
    assert _journals(store) == [journal]
    assert _same(files, _files(store, "proj")) and _same(files, _files(store, "moved"))
    ledger.add("recoveries", "live lease left alone by nbshelf recover")


def test_rename_killed_after_the_copies_can_be_rolled_back(tmp_path: Path, ledger: Ledger) -> None:
    store = tmp_path / "store"
    files = _fill(store)
    _crash(store, "rename", "delete")
    ledger.fault("SIGKILL during a folder rename (local)")
    report = _recover(store, "--rollback")
    assert "rename proj -> moved" in report and ": rolled back" in report
    assert "copied back 0 object(s) already moved" in report
    assert _same(files, _files(store, "proj")) and _files(store, "moved") == {}
    assert _journals(store) == []
    ledger.lost("folder rename interrupted, then recovered", 0)


def test_rename_killed_among_the_copies_is_rolled_back(tmp_path: Path, ledger: Ledger) -> None:
    store = tmp_path / "store"
    files = _fill(store)
    _crash(store, "rename", "copy", after=N_FILES // 2)
    ledger.fault("SIGKILL during a folder rename (local)")
    partial = _files(store, "moved")
    assert 0 < len(partial) < N_FILES  # a half-made copy
    report = _recover(store)
    assert ": rolled back" in report and "copies were missing; deleted the" in report
    assert "proj is intact" in report
    assert _same(files, _files(store, "proj")) and _files(store, "moved") == {}
    assert not (store / "moved").exists() or not any((store / "moved").rglob("*.txt"))
    assert _journals(store) == []
    ledger.lost("folder rename interrupted, then recovered", 0)


def test_delete_killed_after_the_trash_copies_is_finished(tmp_path: Path, ledger: Ledger) -> None:
    store = tmp_path / "store"
    files = _fill(store)
    _crash(store, "delete", "delete")  # in the trash, not yet deleted
    ledger.fault("SIGKILL during a folder delete (local)")
    assert _same(files, _files(store, "proj"))
    report = _recover(store)
    assert "delete proj" in report and ": finished" in report
    assert f"{N_FILES} file(s) are in the trash at " in report
    assert _files(store, "proj") == {}
    trash = store / ".nbshelf" / "trash"
    trashed = {
        str(p.relative_to(p.parents[len(p.relative_to(trash).parts) - 2])): p.read_bytes()
        for p in trash.rglob("*.txt")
    }
    assert trashed == files  # everything deleted is in the trash, byte-exact
    assert _journals(store) == []
    ledger.lost("folder delete interrupted, then recovered", 0)


def test_delete_killed_among_the_trash_copies_is_rolled_back(
    tmp_path: Path, ledger: Ledger
) -> None:
    store = tmp_path / "store"
    files = _fill(store)
    _crash(store, "delete", "copy", after=N_FILES // 3)
    ledger.fault("SIGKILL during a folder delete (local)")
    report = _recover(store)
    assert "delete proj" in report and ": rolled back" in report
    assert "had no copy in the trash yet" in report and "proj is intact" in report
    assert _same(files, _files(store, "proj"))
    assert not list((store / ".nbshelf" / "trash").rglob("*.txt"))
    assert _journals(store) == []
    ledger.lost("folder delete interrupted, then recovered", 0)


# ------------------------------------------------------------ moved whole (one rename)
def _checkpoint_files(store: Path, folder: str) -> dict[str, bytes]:
    """Checkpoints, as if made by the server, of three files of ``folder``."""
    made = {}
    for i in (0, 1, 2):
        rel = f".nbshelf/checkpoints/{folder}/sub{i % 3}/f{i:03}.txt/20261201T000000000000Z-000{i}"
        (store / rel).parent.mkdir(parents=True, exist_ok=True)
        (store / rel).write_bytes(f"checkpoint {i}".encode())
        made[rel.split(f"/{folder}/", 1)[1]] = f"checkpoint {i}".encode()
    return made


def _checkpoints_of(store: Path, base: str) -> dict[str, bytes]:
    root = store / base
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_whole_rename_killed_before_its_checkpoints_is_finished(
    tmp_path: Path, ledger: Ledger
) -> None:
    store = tmp_path / "store"
    files = _fill(store)
    checkpoints = _checkpoint_files(store, "proj")
    _crash(store, "rename", "move", after=1, how="whole")  # the folder moved, not yet these
    ledger.fault("SIGKILL during a folder rename at once (local)")
    assert _files(store, "proj") == {} and _same(files, _files(store, "moved"))
    assert _checkpoints_of(store, ".nbshelf/checkpoints/proj") == checkpoints
    [journal] = _journals(store)
    record = json.loads(journal.read_text())
    assert record["tree"] is True and record["pairs"] == [] and record["keys"] == []
    report = _recover(store)
    assert "rename proj -> moved (the whole folder at once): finished" in report
    assert "moved the checkpoint(s) to moved" in report
    assert _checkpoints_of(store, ".nbshelf/checkpoints/moved") == checkpoints
    assert _checkpoints_of(store, ".nbshelf/checkpoints/proj") == {}
    assert _same(files, _files(store, "moved")) and _journals(store) == []
    ledger.lost("folder rename interrupted, then recovered", 0)


def test_whole_rename_killed_before_it_is_rolled_back_untouched(
    tmp_path: Path, ledger: Ledger
) -> None:
    store = tmp_path / "store"
    files = _fill(store)
    checkpoints = _checkpoint_files(store, "proj")
    _crash(store, "rename", "move", after=0, how="whole")  # journal written, nothing moved
    ledger.fault("SIGKILL during a folder rename at once (local)")
    report = _recover(store)
    assert ": rolled back" in report and "proj was never moved; nothing to do" in report
    assert _same(files, _files(store, "proj")) and _files(store, "moved") == {}
    assert _checkpoints_of(store, ".nbshelf/checkpoints/proj") == checkpoints
    assert _journals(store) == []
    ledger.lost("folder rename interrupted, then recovered", 0)


def test_whole_rename_killed_can_be_moved_back(tmp_path: Path, ledger: Ledger) -> None:
    store = tmp_path / "store"
    files = _fill(store)
    checkpoints = _checkpoint_files(store, "proj")
    _crash(store, "rename", "move", after=1, how="whole")
    ledger.fault("SIGKILL during a folder rename at once (local)")
    report = _recover(store, "--rollback")
    assert ": rolled back" in report and "moved moved back to proj" in report
    assert _same(files, _files(store, "proj")) and _files(store, "moved") == {}
    assert _checkpoints_of(store, ".nbshelf/checkpoints/proj") == checkpoints
    assert _journals(store) == []
    ledger.lost("folder rename interrupted, then recovered", 0)


def test_whole_delete_killed_before_its_checkpoints_is_finished(
    tmp_path: Path, ledger: Ledger
) -> None:
    store = tmp_path / "store"
    files = _fill(store)
    checkpoints = _checkpoint_files(store, "proj")
    _crash(store, "delete", "move", after=1, how="whole")  # in the trash, not these
    ledger.fault("SIGKILL during a folder delete at once (local)")
    [batch] = os.listdir(store / ".nbshelf" / "trash")
    report = _recover(store)
    assert "delete proj to the trash (the whole folder at once): finished" in report
    assert f"proj is in the trash at {batch}/" in report
    assert _files(store, "proj") == {}
    assert _same(files, _files(store, f".nbshelf/trash/{batch}/proj"))
    trashed = f".nbshelf/trash/{batch}/.nbshelf/checkpoints/proj"
    assert _checkpoints_of(store, trashed) == checkpoints  # beside it, purged with it
    assert _checkpoints_of(store, ".nbshelf/checkpoints/proj") == {}
    assert _journals(store) == []
    ledger.lost("folder delete interrupted, then recovered", 0)


# ------------------------------------------------------------ a real server, killed
BIG = 1500


def _kill_during_rename(srv: NbshelfServer, rng: random.Random, journal_written: Any) -> None:
    """PATCH the folder's rename from a thread; once its journal is in the store (the
    copies are starting), SIGKILL the server a random moment later."""

    def rename() -> None:
        with contextlib.suppress(Exception):  # the server is killed
            srv.api("PATCH", "/api/contents/big", json={"path": "renamed"})

    t = threading.Thread(target=rename, daemon=True)
    t.start()
    while t.is_alive() and not journal_written():
        threading.Event().wait(0.002)
    threading.Event().wait(rng.uniform(0.0, 0.5))
    os.kill(srv.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
    srv.proc.wait(10)  # type: ignore[union-attr]
    t.join(30)


def _check_whole(listing: dict[str, bytes], expected: dict[str, bytes]) -> tuple[bool, bool]:
    """(complete in big, complete in renamed): exactly one must hold."""
    old = {k[4:]: v for k, v in listing.items() if k.startswith("big/") and not k.endswith("/")}
    new = {k[8:]: v for k, v in listing.items() if k.startswith("renamed/") and not k.endswith("/")}
    return old == expected, new == expected


def _rounds(
    start: Any,
    fill: Any,
    listing: Any,
    journal_written: Any,
    ledger: Ledger,
    label: str,
    n_files: int = BIG,
) -> None:
    rounds = int(os.environ.get("NBSHELF_RECOVER_ROUNDS", "3"))
    seed = int(os.environ.get("NBSHELF_RECOVER_SEED", random.randrange(1 << 30)))
    print(f"\nfolder-rename SIGKILL rounds on {label}: seed {seed}")
    rng = random.Random(seed)
    expected = {f"f{i:04}.txt": f"{i}-".encode() * (i % 50 + 1) for i in range(n_files)}
    for r in range(rounds):
        fill(expected)
        srv: NbshelfServer = start()
        _kill_during_rename(srv, rng, journal_written)
        ledger.fault(f"SIGKILL of nbshelf serve during a folder rename ({label})")
        interrupted = journal_written()
        time.sleep(LEASE + 0.5)  # the killed server's lease runs out (it renews no more)
        # the next server heals on its first request: the journal's process is dead
        nxt: NbshelfServer = start()
        try:
            assert nxt.api("GET", "/api/contents/").ok
        finally:
            nxt.stop()
        found = listing()
        in_old, in_new = _check_whole(found, expected)
        assert in_old != in_new, f"round {r}: big whole {in_old}, renamed whole {in_new}"
        assert not [k for k in found if k.startswith(".nbshelf/ops/")], "a journal was left"
        assert not [k for k in found if k.startswith("renamed/" if in_old else "big/")]
        if interrupted:
            log = nxt.log()
            assert "recovered an interrupted operation" in log, log
            assert ("finished" if in_new else "rolled back") in log
            ledger.add("recoveries", f"folder rename {'finished' if in_new else 'rolled back'}")
        ledger.lost(f"SIGKILL during a folder rename ({label})", 0)


def test_sigkill_during_a_folder_rename_local(tmp_path: Path, ledger: Ledger) -> None:
    store = tmp_path / "store"
    store.mkdir()
    n = iter(range(1000))

    def start() -> NbshelfServer:
        root = tmp_path / f"r{next(n)}"
        root.mkdir()
        return NbshelfServer(root, SHORT_LEASE, store=str(store)).start()

    def fill(expected: dict[str, bytes]) -> None:
        for folder in ("big", "renamed"):
            shutil.rmtree(store / folder, ignore_errors=True)
        (store / "big").mkdir()
        for name, data in expected.items():
            (store / "big" / name).write_bytes(data)

    def listing() -> dict[str, bytes]:
        return {
            str(p.relative_to(store)): p.read_bytes()
            for p in store.rglob("*")
            if p.is_file()
            and not p.name.startswith(".nbshelf-tmp")
            and not str(p.relative_to(store)).startswith(".nbshelf/checkpoints")
            and not str(p.relative_to(store)).startswith(".nbshelf/trash")
        }

    def journal_written() -> bool:
        return bool(_journals(store))

    _rounds(start, fill, listing, journal_written, ledger, "local")


@pytest.mark.swift
def test_sigkill_during_a_folder_rename_swift(
    swift_server: SwiftServer, container: str, tmp_path: Path, ledger: Ledger
) -> None:
    n = iter(range(1000))
    conn = swiftclient.Connection(authurl=swift_server.auth_url, user="test:tester", key=SWIFT_KEY)
    conn.put_container(container)

    def start() -> NbshelfServer:
        root = tmp_path / f"r{next(n)}"
        root.mkdir()
        return NbshelfServer(
            root, SHORT_LEASE, store=f"swift://{container}", env=swift_env(swift_server.auth_url)
        ).start()

    def names() -> list[str]:
        return [o["name"] for o in conn.get_container(container, full_listing=True)[1]]

    def fill(expected: dict[str, bytes]) -> None:
        for name in names():
            if name.startswith(("big/", "renamed/")):
                conn.delete_object(container, name)
        for name, data in expected.items():
            conn.put_object(container, f"big/{name}", data)

    def listing() -> dict[str, bytes]:
        return {
            name: conn.get_object(container, name)[1]
            for name in names()
            if name.startswith(("big/", "renamed/", ".nbshelf/ops/"))
        }

    def journal_written() -> bool:
        return bool(conn.get_container(container, prefix=".nbshelf/ops/")[1])

    _rounds(start, fill, listing, journal_written, ledger, "Swift", n_files=400)
    conn.close()


# ------------------------------------------------------------ the rules, on the memory store
async def test_a_rename_whose_deletes_had_begun_is_finished_or_copied_back() -> None:
    """Sources partly gone (the bulk delete was cut): finishing copies what is missing
    from the sources left; --rollback copies the moved ones back first."""
    import uuid

    from nbshelf.contents import folder_ops, journal
    from nbshelf.stores.memory import MemoryStore

    for rollback in (False, True):
        store = MemoryStore(name=f"j-{uuid.uuid4().hex}")
        pairs = [(f"a/f{i}", f"b/f{i}") for i in range(6)]
        for src, _ in pairs:
            await store.put(src, src.encode())
        op = await journal.begin(
            store, journal.new_journal("rename", "a", "b", pairs=pairs, lease_seconds=0)
        )
        await store.copy_many(pairs[:4])  # 4 copies made ...
        await store.delete([src for src, _ in pairs[:2]])  # ... and 2 sources deleted
        [outcome] = await folder_ops.recover(store, rollback=rollback)
        assert not isinstance(outcome, str) and outcome.journal.id == op.id
        keep, drop = ("a", "b") if rollback else ("b", "a")
        listing = await store.list_all("", delimiter=None)
        keys = {o.key for o in listing.objects}
        assert {f"{keep}/f{i}" for i in range(6)} <= keys
        assert not [k for k in keys if k.startswith(f"{drop}/") or k.startswith(journal.OPS)]
        for i in range(6):
            assert (await store.get(f"{keep}/f{i}")).data == f"a/f{i}".encode()
        if rollback:
            assert "copied back 2 object(s) already moved" in outcome.report()
        else:
            assert "copied 2 missing object(s)" in outcome.report()


def test_only_journals_whose_lease_expired_are_stale() -> None:
    """A lease decides, never a host name or a process id: a journal of a process that
    has exited (this host) is live while its lease runs; one of another host is stale
    once its lease has expired. A journal written before leases goes by its age."""
    from datetime import datetime, timedelta, timezone

    from nbshelf.contents import journal

    day = timedelta(days=1)
    now = datetime.now(timezone.utc)
    live = journal.new_journal("rename", "a", "b", lease_seconds=60)
    assert not journal.is_stale(live, day)
    assert journal.is_stale(live, day, now=now + timedelta(seconds=61))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = journal.new_journal("rename", "a", "b", lease_seconds=60)
    gone.pid = int(dead.stdout)  # a process of this host that has exited
    assert not journal.is_stale(gone, day)  # its lease still runs: no pid decides
    elsewhere = journal.new_journal("delete", "a", lease_seconds=60)
    elsewhere.host = "another-host"
    assert not journal.is_stale(elsewhere, day)
    assert journal.is_stale(elsewhere, day, now=now + timedelta(seconds=61))
    legacy = journal.Journal.from_json(
        "x",
        b'{"op": "rename", "source": "a", "started": "'
        + journal.layout.new_stamp().encode()
        + b'"}',
    )
    assert legacy.expires_at is None
    assert not journal.is_stale(legacy, timedelta(minutes=30))
    assert journal.is_stale(legacy, timedelta(minutes=30), now=now + timedelta(minutes=31))
