#!/usr/bin/env bash
# test.sh: install everything the tests need, then run the whole suite.
#
#  1. a virtualenv (.venv) with nbshelf and its test extras;
#  2. OpenStack Swift from PyPI in .venv-swift (the real Swift the tests start);
#  3. Debian's Keystone (root; the Keystone tests skip with a reason without it);
#  4. Azurite from npm (the Azure tests skip with a reason without it); the JupyterHub
#     end-to-end pieces: configurable-http-proxy from npm and .venv-hub, the users' servers'
#     virtualenv (scripts/install-jupyterhub.sh; those tests skip with a reason without them);
#  5. Debian's Chromium (root; the browser tests skip with a reason without it);
#  6. nbshelf's own tests (tests/), then jupyter_server's own contents test suite
#     run against ShelfContentsManager on the local and the memory store.
# Arguments go to the first pytest run (e.g. -k swift, -x). Every pytest run prints the
# reason of each skip (-rfEs: pytest's default summary of failures and errors, plus skips).
# Each phase prints its duration, and a table of all phases ends the run.
# A run changes no tracked file (its results go under build/): docs/reliability.md is
# refreshed from a run's ledger by ./scripts/render-docs.sh, never by this script.
set -uo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"
VENV=${NBSHELF_VENV:-$HERE/.venv}
PY=${PYTHON:-python3}

PHASES=()
phase=""
phase_start=$SECONDS
end_phase() {
  [ -n "$phase" ] || return 0
  local took=$((SECONDS - phase_start))
  printf -- '-- done in %d s\n' "$took" >&2
  PHASES+=("$(printf '%6d s  %s' "$took" "$phase")")
  phase=""
}
step() {
  end_phase
  phase="$*"
  phase_start=$SECONDS
  printf '\n== %s\n' "$*" >&2
}
summary() {  # on every exit, early ones included; the exit status is left as it was
  local rc=$?
  end_phase
  printf '\n== Phases\n' >&2
  printf '%s\n' "${PHASES[@]}" >&2
  printf '%6d s  total; test.sh exits with status %d\n' "$SECONDS" "$rc" >&2
}
trap summary EXIT

step "Python packages ($VENV)"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV" || exit 1
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip || exit 1
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]" || exit 1

step "OpenStack Swift"
bash scripts/install-swift.sh || exit 1
if [ -f scripts/install-keystone.sh ]; then
  step "Keystone (Debian)"
  bash scripts/install-keystone.sh || echo "test.sh: Keystone not installed: its tests will skip" >&2
fi
if [ -f scripts/install-azurite.sh ]; then
  step "Azurite (npm)"
  bash scripts/install-azurite.sh || echo "test.sh: Azurite not installed: its tests will skip" >&2
fi
if [ -f scripts/install-jupyterhub.sh ]; then
  step "JupyterHub pieces (configurable-http-proxy from npm, .venv-hub for the users' servers)"
  bash scripts/install-jupyterhub.sh || echo "test.sh: JupyterHub pieces missing: tests/hub/test_s3_hub.py will skip" >&2
fi

step "Chromium (Debian) for the browser tests"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-cache show chromium >/dev/null 2>&1 || apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null \
      || echo "test.sh: chromium not installed: the browser tests will skip" >&2
  else
    echo "test.sh: not root: install chromium for the browser tests" >&2
  fi
fi

status=0
run_pytest() {  # pytest's exit 5 (nothing collected) is not a failure of the suite
  "$@"; local rc=$?
  if [ $rc -eq 5 ]; then echo "test.sh: no tests collected by: $*" >&2; rc=0; fi
  [ $rc -eq 0 ] || status=1
}

step "nbshelf's tests"
# Most of the suite waits on servers (Swift, Keystone, a hub, Chromium, kernels): it runs
# in NBSHELF_TEST_WORKERS pytest-xdist workers (default 3 on 2 cores; 0 or 1: one process).
# Test files that share Unix users or time leases run in one worker, one after another
# (tests/conftest.py, SERIAL_GROUPS). Each worker starts its own servers.
rm -f build/reliability/ledger.json  # the workers add their counts to it
WORKERS=${NBSHELF_TEST_WORKERS:-3}
XDIST=()
if [ "$WORKERS" -gt 1 ]; then XDIST=(-n "$WORKERS" --dist loadgroup); fi
run_pytest "$VENV/bin/python" -m pytest tests -q -rfEs -p no:cacheprovider --durations=15 \
  ${XDIST[@]+"${XDIST[@]}"} "$@"

step "Reliability ledger (build/reliability/table.md): bytes lost must be 0"
if [ -f build/reliability/ledger.json ]; then
  "$VENV/bin/python" tests/reliability/render.py || status=1
fi

step "jupyter_server's contents suite against ShelfContentsManager: prepare"
SUITE=$HERE/build/jupyter_server_suite
"$VENV/bin/python" tests/jupyter_server_suite/prepare.py "$SUITE" || exit 1
for store in local memory; do
  step "jupyter_server contents suite: $store store"
  (cd "$SUITE" && NBSHELF_SUITE_STORE=$store run_pytest "$VENV/bin/python" -m pytest \
      tests/services/contents -q -rfEs -p no:logging --show-capture=no; exit $status) || status=1
done

exit $status
