#!/usr/bin/env bash
# serve.sh: set up nbshelf in a virtualenv (once) and run `nbshelf serve` in the
# current directory, on the embedded local store. Extra arguments go to
# `nbshelf serve` (e.g. --port 9999, --store swift://notebooks).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
VENV=${NBSHELF_VENV:-$HERE/.venv}
PY=${PYTHON:-python3}

if ! "$VENV/bin/python" -c 'import nbshelf, jupyterlab' 2>/dev/null; then
  echo "serve.sh: installing nbshelf into $VENV (once)" >&2
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$HERE[all]"
fi

args=()
if [ "$(id -u)" = 0 ]; then
  # Jupyter refuses to run as root unless told; this script (not nbshelf) says so,
  # because these development machines run everything as root.
  echo "serve.sh: running as root: passing --ServerApp.allow_root=True" >&2
  args+=(--ServerApp.allow_root=True)
fi
exec "$VENV/bin/nbshelf" serve "${args[@]}" "$@"
