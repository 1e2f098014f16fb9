#!/usr/bin/env bash
# Set everything up in a fresh virtual environment and run the demo game against the
# embedded Kraty emulator. With no display it plays the scripted tour headless and
# prints where the screenshots went.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${KRATY_DEMO_VENV:-.venv-demo}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi
echo "==> installing kraty-pygame with the emulator extra"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e '.[emulator]'
export PYGAME_HIDE_SUPPORT_PROMPT=1
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" = "Linux" ]; then
  shots="${KRATY_DEMO_SCREENSHOTS:-$PWD/demo-screenshots}"
  echo "==> no display found: running the scripted tour headless"
  exec "$VENV/bin/python" -m demo_game --headless --tour --screenshots "$shots" "$@"
fi
exec "$VENV/bin/python" -m demo_game "$@"
