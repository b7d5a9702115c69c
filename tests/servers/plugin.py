"""The pytest plugin of nbshelf's test suite (registered in tests/conftest.py): each real
server is defined here ONCE, as a session fixture, started on first use, at most once
per run, and stopped by its PIDs when the session ends.

==================  ==========================================================
fixture             what
==================  ==========================================================
``swift_server``    OpenStack Swift all-in-one, tempauth; native and S3 API
``keystone_server`` a real Keystone v3 (Debian's python3-keystone)
``keystone_swift``  a second Swift, configured to trust ``keystone_server``
                    (authtoken + keystoneauth: a different server, not a restart)
``moto_server``     moto's S3 server
``moto_iam_server`` a second moto with its IAM checks on (scoped users get AccessDenied)
``azurite_server``  Azurite (Azure Blob emulator)
``moto_s3``,        the S3 API of moto / of the Swift above, as an S3Target
``swift_s3``
``s3_server``       both S3 APIs, parametrised (ids ``moto``, ``swift``)
``local_server``    one real ``nbshelf serve`` on the local store (a fresh folder),
                    shared by the tests that need no particular configuration
==================  ==========================================================

A test that needs a clean store gets its own container, bucket or prefix on these
(``bucket``, ``backend``/``store``: see tests/servers/backends.py), never a new server.
Fault tests that stop Swift's proxy (``SwiftServer.stop_proxy``/``start_proxy``) do it on
this one Swift and restart it, on the same port, before they end.

At the end of a run the terminal summary lists how many times each server started
("real servers started"), so "each starts at most once" can be read off any run.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import pytest

from . import STARTS, STOPS, ServerUnavailable
from .backends import ALL, Backend, open_backend
from .jupyter import NbshelfServer
from .s3 import S3Target
from .swift import SwiftServer

T = TypeVar("T")

#: the kinds of server the suite starts and shares (others, e.g. ``nbshelf serve``, are
#: the system under test, started by the tests with the configuration they test)
REAL_SERVERS = ("swift", "swift (keystone)", "keystone", "moto", "moto (IAM)", "azurite")


def _start(what: str, start: Callable[[], T]) -> T:
    """``start()``, or a skip with the printed reason when the server is not installed
    (pytest keeps a session fixture's skip: the next test asking skips at once)."""
    try:
        return start()
    except ServerUnavailable as e:
        print(f"\nSKIP: {what}: {e}", file=sys.stderr)
        pytest.skip(f"{what}: {e}")


# ----------------------------------------------------------------------------- servers
@pytest.fixture(scope="session")
def swift_server() -> Iterator[SwiftServer]:
    server = _start("Swift", lambda: SwiftServer().start())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def keystone_server() -> Iterator[Any]:
    from .keystone import KeystoneServer

    ks = _start("Keystone", lambda: KeystoneServer().start())
    yield ks
    ks.stop()


@pytest.fixture(scope="session")
def keystone_swift(keystone_server: Any) -> Iterator[SwiftServer]:
    """A Swift behind the real Keystone (authtoken + s3token + keystoneauth)."""
    server = _start(
        "Swift", lambda: SwiftServer(auth="keystone", keystone_url=keystone_server.url).start()
    )
    try:
        keystone_server.register_swift(server.endpoint)
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Any]:
    from .moto_server import start_moto

    server = _start("moto", start_moto)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_iam_server() -> Iterator[Any]:
    """A second moto, with IAM checks on (users allowed less than everything get
    AccessDenied): tests/servers/moto_iam.py."""
    from .moto_iam import start_moto_iam

    server = _start("moto (IAM)", start_moto_iam)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def azurite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from .azurite import start_azurite

    server = _start("Azurite", lambda: start_azurite(tmp_path_factory.mktemp("azurite")))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NbshelfServer]:
    """A real ``nbshelf serve`` on the local store in a fresh folder, for the session."""
    srv = NbshelfServer(tmp_path_factory.mktemp("served")).start()
    yield srv
    srv.stop()


# ----------------------------------------------------------------------------- S3 APIs
@pytest.fixture(scope="session")
def moto_s3(moto_server: Any) -> S3Target:
    return S3Target("moto", moto_server.endpoint, moto_server.access_key, moto_server.secret_key)


@pytest.fixture(scope="session")
def swift_s3(swift_server: SwiftServer) -> S3Target:
    return S3Target("swift", swift_server.endpoint, "test:tester", "testing", checks_auth=True)


@pytest.fixture(scope="session", params=["moto", "swift"])
def s3_server(request: pytest.FixtureRequest) -> S3Target:
    """Each S3 API the suite has: moto's, and the real Swift's (s3api)."""
    target: S3Target = request.getfixturevalue(f"{request.param}_s3")
    return target


@pytest.fixture
def bucket(s3_server: S3Target) -> str:
    """A fresh bucket on ``s3_server``."""
    name = f"nbshelf-{uuid.uuid4().hex[:12]}"
    s3_server.boto().create_bucket(Bucket=name)
    return name


# ----------------------------------------------------------------------------- backends
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "backends(*names): run the test on these backends only (default: all of "
        + ", ".join(ALL)
        + "; see tests/servers/backends.py)",
    )
    config.addinivalue_line(
        "markers",
        "xfail_on(*names, reason): a known bug of these backends (a strict xfail on them)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``backend`` over the test's ``backends`` marker (default: all)."""
    if "backend_name" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    names = tuple(marker.args) if marker else ALL
    unknown = sorted(set(names) - set(ALL))
    if unknown:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: unknown backends {unknown}")
    marks: dict[str, list[Any]] = {
        "swift": [pytest.mark.swift],
        "s3-moto": [pytest.mark.s3],
        "s3-swift": [pytest.mark.s3, pytest.mark.swift],
        "azure": [pytest.mark.azure],
    }
    marks = {n: list(marks.get(n, [])) for n in names}
    for known in metafunc.definition.iter_markers("xfail_on"):
        for n in known.args:
            if n in marks:  # a known bug of one backend: strict, so its fix is noticed
                marks[n].append(pytest.mark.xfail(strict=True, reason=known.kwargs["reason"]))
    metafunc.parametrize("backend_name", [pytest.param(n, id=n, marks=marks[n]) for n in names])


@pytest.fixture
def backend_name(request: pytest.FixtureRequest) -> str:  # parametrised above
    return str(request.param)


@pytest.fixture
async def backend(backend_name: str, request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """A fresh store on one backend (a new container/bucket/folder; counters reset)."""
    async with open_backend(backend_name, request) as b:
        yield b


@pytest.fixture
def store(backend: Backend) -> Any:
    """The backend's store (for tests that need nothing else of the backend)."""
    return backend.store


# ----------------------------------------------------------------------------- the count
def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not STARTS:
        return
    tr = terminalreporter
    tr.write_sep("-", "real servers started in this run (each at most once)")
    for kind in REAL_SERVERS:
        if STARTS[kind]:
            again = "" if STARTS[kind] == 1 else "   <-- MORE THAN ONCE"
            tr.write_line(f"{kind:18} started {STARTS[kind]}, stopped {STOPS[kind]}{again}")
    for kind in sorted(k for k in STARTS if k.endswith("proxy restarted")):
        tr.write_line(f"{kind}: {STARTS[kind]} (fault tests stop it and start it again)")
    if STARTS["nbshelf serve"]:
        tr.write_line(
            f"nbshelf serve processes (the system under test, each with the options it "
            f"tests): {STARTS['nbshelf serve']}"
        )
