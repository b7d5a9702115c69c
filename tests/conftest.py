"""nbshelf's test suite.

``tests`` is a package, importable from the repository root however pytest is started
(pyproject's ``[tool.pytest.ini_options] pythonpath = ["."]``): shared helpers are
imported as ``tests.servers.*``, never from another test folder. The real servers
(Swift, Keystone, moto, Azurite) and the backends of the parametrised suites are the
fixtures of one plugin, each server started at most once per run.
"""

pytest_plugins = ["tests.servers.plugin"]
