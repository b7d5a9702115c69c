"""The real servers the test suite starts itself, and the helpers that talk to them.

- Launchers: ``swift`` (OpenStack Swift all-in-one, tempauth or Keystone, with its S3
  API), ``keystone``, ``moto_server`` (moto's S3), ``azurite`` (Azure blobs),
  ``jupyter`` (a real ``nbshelf serve``); one stand-in for a server that cannot run
  here (``rackspace_identity``); two proxies (``counting_proxy``, ``fault_proxy``).
- Client helpers: ``s3`` (S3Target, request counts seen by a counting proxy),
  ``swift_client`` (tempauth options, request counts from Swift's access log),
  ``backends`` (one fresh store on any backend, for the parametrised suites).
- ``plugin``: the pytest plugin (registered in tests/conftest.py) that starts each real
  server once per run as a session fixture and reports how many times each started.

Importable without the servers installed: each launcher raises
:class:`ServerUnavailable` with what to install, and the fixtures turn that
into a skip with a printed reason.
"""

from __future__ import annotations

import collections
import os
import socket

#: How many times each kind of server was started (and stopped) in this process: the
#: plugin prints it at the end of a run, so "each real server starts once" is visible.
STARTS: collections.Counter[str] = collections.Counter()
STOPS: collections.Counter[str] = collections.Counter()


class ServerUnavailable(RuntimeError):
    """The server cannot be started on this machine (not installed): skip, don't fail."""


def _worker() -> tuple[int, int]:
    """(this pytest-xdist worker's index, how many workers), (0, 1) without xdist."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    return (int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0), count


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (plain bind: catches SO_REUSEPORT listeners too).

    Under pytest-xdist each worker takes only the ports of its own class: a port one
    worker found free and is about to hand to a server it starts can never be found free
    by another worker in the meantime. The class is ``(port // 2) % workers``, not
    ``port % workers``: Linux hands ``bind(port 0)`` odd ports first and keeps even ones
    for ``connect``, so classing by the remainder left an even number of workers with
    no port at all, and moving a pick to an even port of the class lost it to an
    outgoing connection before the server bound it ("port ... is not available")."""
    index, count = _worker()
    for _ in range(1000):
        with socket.socket() as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
        if (port // 2) % count == index:
            return port
    raise RuntimeError(f"no free port on {host} for xdist worker {index} of {count}")


def started(kind: str) -> None:
    STARTS[kind] += 1


def stopped(kind: str) -> None:
    STOPS[kind] += 1
