#!/bin/sh
# Screenshots of every desk page (docs/desk/*.png), taken by the browser tests in a real
# headless Chromium with virtual cards served through a private pcscd + vpcd. Root (for the
# private pcscd), chromium and chromium-driver needed:
#   scripts/desk-screenshots.sh
set -eu
cd "$(dirname "$0")/.."
mkdir -p docs/desk
CARDTOOL_DESK_SCREENSHOTS=docs/desk CARDTOOL_REQUIRE_PCSC=1 \
    scripts/isolated-pcscd.sh .venv/bin/python -m pytest -q tests/desk/test_browser_pcsc.py
ls -l docs/desk
