#!/usr/bin/env bash
# A PNG of an HTML report as headless Chromium shows it from file:// (Debian's `chromium`):
#   scripts/screenshot.sh out/lpc-1.0/report.html docs/release-report.png [WIDTH,HEIGHT]
# docs/release-report.png was made this way from the README's lab session (1280,1300), then
# reduced to 64 colours with Pillow (Image.quantize) to keep it small.
set -euo pipefail
page=$(realpath "$1")
shot=$(realpath -m "$2")
size=${3:-1100,820}
browser=$(command -v chromium || command -v chromium-browser) || {
  echo "error: chromium is not installed (apt-get install chromium)" >&2; exit 2; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile" \
  --window-size="$size" --screenshot="$shot" "file://$page" 2>/dev/null
echo "$shot"
