#!/usr/bin/env bash
# Write a run's HTML report and take a full-page screenshot of it in headless Chromium.
#   scripts/report_screenshot.sh RUN_DIR OUT.png [HEIGHT]
# HEIGHT (default 4000) is the window height in pixels: the part of the page captured.
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 RUN_DIR OUT.png [HEIGHT]" >&2
  exit 2
fi
run_dir=$1
out=$2
height=${3:-4000}
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$here/.venv/bin/python}
browser=${CHROMIUM:-$(command -v chromium-headless-shell || command -v chromium || command -v chromium-browser || true)}
if [[ -z "$browser" ]]; then
  echo "$0: no Chromium found (install chromium-headless-shell or set CHROMIUM)" >&2
  exit 2
fi
report=$(mktemp -d)/report.html
"$python" -m cnnstudio.cli.main report "$run_dir" --out "$report" >/dev/null
mkdir -p "$(dirname "$out")"
"$browser" --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
  --window-size=1280,"$height" --screenshot="$(realpath -m "$out")" "file://$report" 2>/dev/null
rm -rf "$(dirname "$report")"
echo "$out"
