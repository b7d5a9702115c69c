#!/usr/bin/env bash
# bench.sh: the side-by-side benchmark (docs/performance.md), in one run.
#
# Makes (or reuses) .venv-bench: nbshelf (editable) plus the alternatives at their
# latest PyPI versions (s3contents; jupyter-fs with its fsspec backend and s3fs) and
# moto's server; makes .venv-swift for the real Swift (scripts/install-swift.sh);
# then starts every server itself on 127.0.0.1 and runs `python -m benchmarks.run`,
# which writes benchmarks/results/latest.json and docs/performance.md.
#
#   scripts/bench.sh --light          # everything, fewer repetitions (35 minutes on 2 cores
#                                     # at load average 8, issue 16's cases included)
#   scripts/bench.sh --servers local  # extra arguments go to benchmarks.run
#   NBSHELF_BENCH_VENV  where the venv goes (default: <repo>/.venv-bench)
#   PYTHON              interpreter to build it with (default: python3.12 if there is
#                       one, else python3). s3contents 0.12 and later declare
#                       Requires-Python >=3.12: under Python 3.11 pip silently
#                       resolves s3contents to 0.11.2 (December 2023).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
VENV=${NBSHELF_BENCH_VENV:-$HERE/.venv-bench}
if [ -z "${PYTHON:-}" ]; then
  PYTHON=python3
  # python3.12 on PATH, else a pyenv-installed 3.12 (pyenv's shim fails when 3.12 is
  # not the selected version)
  for c in python3.12 "$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3.12; do
    if "$c" -c '' 2>/dev/null; then PYTHON=$c; break; fi
  done
fi
PY=$PYTHON
PIP=(--quiet --disable-pip-version-check)
WANT=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# A venv built with another interpreter is rebuilt (its s3contents would be stale).
if [ -x "$VENV/bin/python" ] &&
  [ "$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$WANT" ]; then
  echo "bench: $VENV is not Python $WANT: rebuilding it" >&2
  rm -rf "$VENV"
fi
if ! [ -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c \
  'import nbshelf, s3contents, jupyterfs.manager.fsspec, s3fs, moto.server, boto3, obstore, swiftclient, requests, httpx, arro3.core' \
  2>/dev/null; then
  echo "bench: preparing $VENV" >&2
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install "${PIP[@]}" --upgrade pip
  # The alternatives first: s3fs pins aiobotocore, which pins botocore ...
  "$VENV/bin/python" -m pip install "${PIP[@]}" -e "$HERE[bench]"
  # ... then moto and boto3 at the botocore that pin allows (no long backtracking).
  BOTOCORE=$("$VENV/bin/python" -c 'import botocore; print(botocore.__version__)')
  "$VENV/bin/python" -m pip install "${PIP[@]}" 'moto[server]' boto3 "botocore==$BOTOCORE"
fi
"$HERE/scripts/install-swift.sh"

cd "$HERE"
exec "$VENV/bin/python" -m benchmarks.run "$@"
