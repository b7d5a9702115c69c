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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):  # its marker is unknown without it
        return
    root = config.rootpath
    for item in items:
        where = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        for start, group in SERIAL_GROUPS.items():
            if where.startswith(start):
                item.add_marker(pytest.mark.xdist_group(group))
                break
