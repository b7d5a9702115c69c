"""nbshelf's test suite.

``tests`` is a package, importable from the repository root however pytest is started
(pyproject's ``[tool.pytest.ini_options] pythonpath = ["."]``): shared helpers are
imported as ``tests.servers.*``, never from another test folder. The real servers
(Swift, Keystone, moto, Azurite) and the backends of the parametrised suites are the
fixtures of one plugin, each server started at most once per run.
"""

import pytest

pytest_plugins = ["tests.servers.plugin"]


#: Test files that share something beyond their own temporary folders, run one after
#: another in one pytest-xdist worker (scripts/test.sh runs the suite with
#: ``--dist loadgroup``): the JupyterHub tests use the same Unix users and their homes;
#: the crash and race tests time leases of a second against a loaded store, and are
#: kept from loading the machine for each other.
SERIAL_GROUPS = {
    "tests/hub/": "hub",
    "tests/reliability/test_races.py": "leases",
    "tests/reliability/test_recover.py": "leases",
    "tests/reliability/test_sigkill.py": "leases",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the serial groups. First among the hooks: pytest-xdist's worker reads the
    marks in its own ``pytest_collection_modifyitems`` (it adds ``@group`` to the test's
    id), and a conftest loaded at start-up is registered before it, so without
    ``tryfirst`` xdist read the items before they were marked and the groups were
    spread over every worker."""
    if not config.pluginmanager.hasplugin("xdist"):  # its marker is unknown without it
        return
    root = config.rootpath
    for item in items:
        where = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        for start, group in SERIAL_GROUPS.items():
            if where.startswith(start):
                item.add_marker(pytest.mark.xdist_group(group))
                break


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse to run with the serial groups silently ignored: pytest-xdist's worker
    gives a grouped test the id ``...@group``, which its scheduler reads; pytest 9.2's
    structured ids dropped that suffix and every group was spread over the workers
    (pytest-dev/pytest-xdist#1386; pyproject pins pytest below 9.2 until it is fixed)."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    for item in session.items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            raise pytest.UsageError(
                f"{item.nodeid} is in an xdist_group but pytest-xdist did not group it "
                "(pytest-dev/pytest-xdist#1386: pytest 9.2 with pytest-xdist 3.8); "
                "install pytest<9.2 or run with NBSHELF_TEST_WORKERS=1"
            )
