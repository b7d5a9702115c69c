#!/usr/bin/env bash
# install-keystone.sh: Debian's Keystone (python3-keystone) for the Keystone tests.
#
# Idempotent: a quick no-op when keystone-manage and the middleware are there.
# Needs root (apt-get). Not the `keystone` package: that one asks database
# questions and brings uwsgi and AppArmor; tests run keystone-wsgi-public itself.
set -euo pipefail
if command -v keystone-manage >/dev/null 2>&1 && command -v keystone-wsgi-public >/dev/null 2>&1 \
   && /usr/bin/python3 -c 'import keystone, keystonemiddleware' 2>/dev/null; then
  echo "install-keystone: already installed" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# an old or missing package list finds nothing: update once if the package is unknown
if ! apt-cache show python3-keystone >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends python3-keystone python3-keystonemiddleware \
  >/dev/null
echo "install-keystone: installed $(dpkg-query -W -f='${Version}' python3-keystone)" >&2
