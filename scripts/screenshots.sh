#!/usr/bin/env bash
# Save screenshots of every view of the real window into docs/screenshots/.
# Uses the screen when there is one, else a virtual X display (installs Xvfb when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DISPLAY:-}" ]; then
  if ! command -v Xvfb >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xinerama0 libxcb-cursor0
  fi
  Xvfb :99 -screen 0 1600x1000x24 >/dev/null 2>&1 &
  XVFB_PID=$!
  trap 'kill $XVFB_PID' EXIT
  export DISPLAY=:99
  sleep 1
fi
unset QT_QPA_PLATFORM
.venv/bin/python scripts/take_screenshots.py
# The journeys over your own folders (class folders, MVTec-AD, YOLO, every logo, good parts only, a 128 px texture)
# and the interrupted runs save what the window shows as they go.
QT_QPA_PLATFORM=xcb CNNSTUDIO_JOURNEY_SCREENSHOTS="$PWD/docs/screenshots" .venv/bin/python -m pytest -q -p no:cacheprovider \
  tests/journeys/test_journey_class_folders.py tests/journeys/test_journey_defects_and_logos.py \
  tests/journeys/test_journey_interrupted_runs.py tests/journeys/test_journey_every_logo.py \
  tests/journeys/test_journey_mvtec_good_only.py tests/journeys/test_journey_texture_resolution.py \
  "tests/journeys/test_journey_torchrun.py::test_the_train_menu_writes_run_toml_and_copies_the_torchrun_line_that_names_it"
