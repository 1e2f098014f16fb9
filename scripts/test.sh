#!/usr/bin/env bash
# Set everything up in a fresh virtual environment and run every check the project has:
# ruff, mypy (strict), the docs build (mkdocs --strict) and the whole pytest suite.
# Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${KRATY_TEST_VENV:-.venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi
echo "==> installing kraty-pygame with every extra"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e '.[emulator,dev,docs,keyring]'
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy PYGAME_HIDE_SUPPORT_PROMPT=1 NO_MKDOCS_2_WARNING=1
echo "==> ruff"
"$VENV/bin/ruff" check kraty_pygame demo_game tests examples
echo "==> mypy --strict"
"$VENV/bin/mypy"
echo "==> mkdocs build --strict"
"$VENV/bin/mkdocs" build --strict --quiet --site-dir "$(mktemp -d)"
echo "==> pytest"
"$VENV/bin/python" -m pytest "$@"
