#!/usr/bin/env bash
# render-docs.sh: refresh the table at the end of docs/reliability.md from the ledger of
# the last reliability run (build/reliability/ledger.json, written by ./scripts/test.sh or
# `.venv/bin/python -m pytest tests/reliability`). Test runs never touch docs/: this is the
# one step that does; commit the result. Exit status 1 if the run lost a byte, 2 if there
# is no ledger yet.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
VENV=${NBSHELF_VENV:-$HERE/.venv}
exec "$VENV/bin/python" "$HERE/tests/reliability/render.py" --write-docs "$@"
