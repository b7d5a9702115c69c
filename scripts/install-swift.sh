#!/usr/bin/env bash
# install-swift.sh: a virtualenv with OpenStack Swift (from PyPI) for the test suite.
#
# The tests start a real Swift all-in-one from this venv (tests/servers/swift.py).
# Idempotent: a quick no-op when the venv already imports swift and keystonemiddleware.
#   NBSHELF_SWIFT_VENV  where the venv goes (default: <repo>/.venv-swift)
#   PYTHON              interpreter to build it with (default: python3)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
VENV=${NBSHELF_SWIFT_VENV:-$HERE/.venv-swift}
PY=${PYTHON:-python3}

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import swift, keystonemiddleware' 2>/dev/null
then
  echo "install-swift: $VENV already has swift $("$VENV/bin/python" -c \
    'import swift; print(swift.__version__)')" >&2
  exit 0
fi
echo "install-swift: creating $VENV (pip install swift keystonemiddleware)" >&2
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# swift: the servers; keystonemiddleware: authtoken for the Keystone mode;
# python-swiftclient: the `swift` CLI the tests use to look at objects.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  'swift>=2.30' keystonemiddleware python-swiftclient
"$VENV/bin/python" -c 'import swift, keystonemiddleware; print("install-swift: swift", swift.__version__)' >&2
