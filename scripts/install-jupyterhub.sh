#!/usr/bin/env bash
# install-jupyterhub.sh: what the JupyterHub end-to-end tests (tests/hub/) need beside .venv.
#
#  1. configurable-http-proxy from npm, project-local (like Azurite): the hub's proxy;
#  2. .venv-hub, the virtualenv the users' single-user servers and kernels run from,
#     built with /usr/bin/python3: the tests run each server as its own Unix user
#     (nbshelf-alice, nbshelf-bob ...), and .venv's Python may live under /root (mode 700,
#     e.g. pyenv's), which other users cannot execute: their servers would die at spawn.
#     It holds nbshelf[s3,swift,share,kernel] (editable, from this tree), jupyterhub (jupyterhub-singleuser),
#     ipykernel and boto3 (what a user's kernel attacks the store with in the tests;
#     swiftclient and keystoneauth1 come with nbshelf[swift]).
# The hub itself runs from .venv (jupyterhub is in the test extra). The tests skip with a
# printed reason when either piece is missing. Idempotent: quick when already there.
#   NBSHELF_CHP_DIR   where the proxy goes (default: <repo>/.chp; node_modules inside)
#   CHP_VERSION       npm version spec (default: 5)
#   NBSHELF_HUB_VENV  the users' virtualenv (default: <repo>/.venv-hub)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
DIR=${NBSHELF_CHP_DIR:-$HERE/.chp}
SPEC=${CHP_VERSION:-5}
BIN="$DIR/node_modules/.bin/configurable-http-proxy"
HUB_VENV=${NBSHELF_HUB_VENV:-$HERE/.venv-hub}
SYS_PY=${NBSHELF_HUB_PYTHON:-/usr/bin/python3}
status=0

# -- 1. configurable-http-proxy
if ! command -v npm >/dev/null; then
  echo "install-jupyterhub: npm not found (install Node.js >= 18): no proxy" >&2
  status=1
elif [ -x "$BIN" ]; then
  echo "install-jupyterhub: $DIR already has configurable-http-proxy" >&2
else
  mkdir -p "$DIR"
  [ -f "$DIR/package.json" ] || printf '{"name": "nbshelf-test-chp", "private": true}\n' > "$DIR/package.json"
  [ -f "$DIR/.gitignore" ] || printf '*\n' > "$DIR/.gitignore"
  echo "install-jupyterhub: npm install configurable-http-proxy@$SPEC into $DIR" >&2
  npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error "configurable-http-proxy@$SPEC" \
    || status=1
fi

# -- 2. the users' virtualenv
if [ ! -x "$SYS_PY" ]; then
  echo "install-jupyterhub: $SYS_PY not found: no virtualenv for the users' servers" >&2
  exit 1
fi
stamp="$HUB_VENV/.nbshelf-installed"
want="$(cat "$HERE/pyproject.toml" "$0" | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "install-jupyterhub: $HUB_VENV is up to date" >&2
else
  [ -x "$HUB_VENV/bin/python" ] || "$SYS_PY" -m venv "$HUB_VENV"
  "$HUB_VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$HUB_VENV/bin/python" -m pip install -q --disable-pip-version-check \
    -e "$HERE[s3,swift,share,kernel]" "jupyterhub>=5" "ipykernel>=6" "boto3>=1.34"
  # what the servers and kernels import: a partial install fails here, not at spawn
  "$HUB_VENV/bin/python" -c "import nbshelf.hub.singleuser, obstore, nbconvert, nh3, ipykernel, boto3"
  echo "$want" > "$stamp"
fi
# every user must be able to run it (and read this tree, which the editable install points at)
chmod -R a+rX "$HUB_VENV"
echo "install-jupyterhub: $HUB_VENV ready ($("$HUB_VENV/bin/python" --version))" >&2
exit $status
