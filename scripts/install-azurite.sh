#!/usr/bin/env bash
# install-azurite.sh: Microsoft's Azure Storage emulator (npm package azurite) for the tests.
#
# tests/servers/azurite.py starts azurite-blob from here; the az:// store tests
# skip with a printed reason when it is missing. Project-local (no global npm).
# Idempotent: a quick no-op when the wanted version is already installed.
#   NBSHELF_AZURITE_DIR  where it goes (default: <repo>/.azurite; node_modules inside)
#   AZURITE_VERSION      npm version spec (default: 3)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
DIR=${NBSHELF_AZURITE_DIR:-$HERE/.azurite}
SPEC=${AZURITE_VERSION:-3}
BIN="$DIR/node_modules/.bin/azurite-blob"

command -v npm >/dev/null || { echo "install-azurite: npm not found (install Node.js >= 18)" >&2; exit 1; }
if [ -x "$BIN" ]; then
  [ -f "$DIR/.gitignore" ] || printf '*\n' > "$DIR/.gitignore"
  have=$(node -p "require('$DIR/node_modules/azurite/package.json').version" 2>/dev/null || echo "")
  case "$have" in
    "$SPEC"|"$SPEC".*) echo "install-azurite: $DIR already has azurite $have" >&2; exit 0 ;;
  esac
fi
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || printf '{"name": "nbshelf-test-azurite", "private": true}\n' > "$DIR/package.json"
[ -f "$DIR/.gitignore" ] || printf '*\n' > "$DIR/.gitignore"  # nothing here belongs in git
echo "install-azurite: npm install azurite@$SPEC into $DIR" >&2
npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error "azurite@$SPEC"
echo "install-azurite: azurite $(node -p "require('$DIR/node_modules/azurite/package.json').version")" >&2
