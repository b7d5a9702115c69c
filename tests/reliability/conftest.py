"""Fixtures for the reliability and security tests: a fault proxy per test in front of
the session's real Swift (tests/servers/plugin.py: native and S3 API; moto too), and a
ledger that counts what the tests did (faults injected, bad inputs tried, saves
attempted, bytes lost) into ``build/reliability/ledger.json``, which
``tests/reliability/render.py`` turns into the table of docs/reliability.md."""

from __future__ import annotations

import collections
import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.fault_proxy import FaultProxy
from tests.servers.swift import HOST, SwiftServer

ROOT = Path(__file__).resolve().parents[2]
LEDGER = Path(os.environ.get("NBSHELF_LEDGER", ROOT / "build" / "reliability" / "ledger.json"))
#: Set by pytest-xdist in each worker: the ledger is then added to, never replaced.
XDIST_WORKER = "PYTEST_XDIST_WORKER"
#: The test credentials: must appear in no log line, message or response.
SWIFT_KEY = "testing"


class Ledger:
    """What the tests did, by category and kind; written once at the session's end."""

    def __init__(self) -> None:
        self.counts: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter
        )

    def add(self, category: str, kind: str, n: int = 1) -> None:
        self.counts[category][kind] += n

    def fault(self, kind: str, n: int = 1) -> None:
        self.add("faults", kind, n)

    def bad_input(self, kind: str, n: int = 1) -> None:
        self.add("bad_inputs", kind, n)

    def saves(self, kind: str, n: int = 1) -> None:
        self.add("saves", kind, n)

    def lost(self, kind: str, nbytes: int) -> None:
        self.add("bytes_lost", kind, nbytes)

    def write(self) -> None:
        """Add this run's counts to the ledger file. Under pytest-xdist every worker adds
        its own, one at a time (a lock file), to the file scripts/test.sh removed before
        the run; a run without xdist replaces it, unless ``NBSHELF_LEDGER_APPEND``."""
        if not self.counts:
            return
        LEDGER.parent.mkdir(parents=True, exist_ok=True)
        append = bool(os.environ.get("NBSHELF_LEDGER_APPEND") or os.environ.get(XDIST_WORKER))
        with open(LEDGER.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            old: dict[str, dict[str, int]] = {}
            if LEDGER.exists() and append:
                old = json.loads(LEDGER.read_text())
            for cat, counter in self.counts.items():
                merged = collections.Counter(old.get(cat, {}))
                merged.update(counter)
                old[cat] = dict(merged)
            LEDGER.write_text(json.dumps(old, indent=2, sort_keys=True) + "\n")


_LEDGER = Ledger()


@pytest.fixture(scope="session")
def ledger() -> Iterator[Ledger]:
    yield _LEDGER
    _LEDGER.write()


@pytest.fixture
def swift_proxy(swift_server: SwiftServer) -> Iterator[FaultProxy]:
    """A fault proxy in front of the real Swift (its native and S3 APIs)."""
    with FaultProxy(HOST, swift_server.ports["proxy"]) as proxy:
        yield proxy


@pytest.fixture
def container() -> str:
    return "rel-" + uuid.uuid4().hex[:10]


def swift_env(auth_url: str) -> dict[str, str]:
    """A server environment holding only the test Swift's credentials (tempauth)."""
    env = {k: "" for k in os.environ if k.startswith(("OS_", "NBSHELF_", "ST_", "AWS_"))}
    env.update(ST_AUTH=auth_url, ST_USER="test:tester", ST_KEY=SWIFT_KEY)
    return env


def assert_no_secret(text: str, *secrets: str) -> None:
    for s in (SWIFT_KEY, *secrets):
        assert s not in text, "a secret leaked"
