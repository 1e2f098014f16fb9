#!/usr/bin/env bash
# Set everything up in a fresh virtual environment and run every check the project has:
# ruff, mypy (strict) and the docs build (mkdocs --strict), alongside the whole pytest
# suite, slow tests included, on two pytest-xdist workers. Prints the total time.
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

# ruff, mypy and mkdocs run in the background while pytest runs; their output is
# printed once pytest is done, and either side failing fails the command.
static_log="$(mktemp)"
site_dir="$(mktemp -d)"
(
  set -e
  echo "==> ruff"
  "$VENV/bin/ruff" check kraty_pygame demo_game tests examples scripts
  echo "==> mypy --strict"
  "$VENV/bin/mypy"
  echo "==> mkdocs build --strict"
  "$VENV/bin/mkdocs" build --strict --quiet --site-dir "$site_dir"
) >"$static_log" 2>&1 &
static_pid=$!
echo "==> ruff, mypy --strict and mkdocs build --strict started alongside pytest ($(elapsed))"

echo "==> pytest, slow tests included, 2 workers ($(elapsed))"
# -m "": every test (pyproject's addopts deselect the slow ones for a plain `pytest`).
pytest_status=0
"$VENV/bin/python" -m pytest -m "" -n 2 --durations=15 "$@" || pytest_status=$?

static_status=0
wait "$static_pid" || static_status=$?
cat "$static_log"
rm -rf "$static_log" "$site_dir"
if [ "$static_status" -ne 0 ] || [ "$pytest_status" -ne 0 ]; then
  echo "==> FAILED after $(elapsed) (ruff/mypy/mkdocs exit $static_status, pytest exit $pytest_status)"
  exit 1
fi
echo "==> all checks passed in $(elapsed)"
