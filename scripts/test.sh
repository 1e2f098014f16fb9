#!/usr/bin/env bash
# Set everything up in a fresh virtual environment and run every check the project has:
# ruff, mypy (strict), the docs build (mkdocs --strict) and the whole pytest suite,
# slow tests included, on two pytest-xdist workers. Prints the total time at the end.
# Usage: bash scripts/test.sh [extra pytest args]   (e.g. -n 0 to run in one process)
set -euo pipefail
cd "$(dirname "$0")/.."
START=$SECONDS
VENV="${KRATY_TEST_VENV:-.venv}"
PY="${PYTHON:-python3}"
elapsed() { local s=$((SECONDS - START)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi
echo "==> installing kraty-pygame with every extra"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e '.[emulator,dev,docs,keyring]'
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy PYGAME_HIDE_SUPPORT_PROMPT=1 NO_MKDOCS_2_WARNING=1
echo "==> ruff ($(elapsed))"
"$VENV/bin/ruff" check kraty_pygame demo_game tests examples
echo "==> mypy --strict ($(elapsed))"
"$VENV/bin/mypy"
echo "==> mkdocs build --strict ($(elapsed))"
"$VENV/bin/mkdocs" build --strict --quiet --site-dir "$(mktemp -d)"
echo "==> pytest, slow tests included, 2 workers ($(elapsed))"
# -m "": every test (pyproject's addopts deselect the slow ones for a plain `pytest`);
# loadgroup keeps each xdist_group on one worker (the demo tour is played once).
"$VENV/bin/python" -m pytest -m "" -n 2 --dist loadgroup --durations=15 "$@"
echo "==> all checks passed in $(elapsed)"
