#!/bin/sh
# Install the Debian packages cardtool needs, if any is missing.
#   build: what `pip install` needs to build pyscard (and a venv-capable Python), and what the
#          ocr extra needs: Tesseract with its Japanese model, and a Japanese font for the
#          virtual first-generation cards' front images
#   test:  build + pcscd, the vsmartcard vpcd driver, OpenSC and pcsc-tools
#   pcsc:  test, then (re)start pcscd so that it loads the vpcd driver: what the PC/SC tests
#          need on a developer's machine (`make test` names this when it skipped them)
# Uses sudo when not root. Prints what it would install and fails if it cannot.
set -eu
kind=${1:-build}
pkgs="swig libpcsclite-dev gcc tesseract-ocr tesseract-ocr-jpn fonts-noto-cjk"
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then pkgs="$pkgs python3-venv"; fi
if ! python3 -c 'import sysconfig,os,sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"],"Python.h")))' 2>/dev/null; then
  pkgs="$pkgs python3-dev"
fi
if [ "$kind" = test ] || [ "$kind" = pcsc ]; then
  # the OCR bench and tests draw front images in several Japanese fonts
  pkgs="$pkgs pcscd vsmartcard-vpcd opensc pcsc-tools openssl"
  pkgs="$pkgs fonts-ipafont-gothic fonts-ipafont-mincho fonts-takao-gothic fonts-takao-mincho fonts-vlgothic"
fi
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
restart_pcscd() {
  [ "$kind" = pcsc ] || return 0
  echo "Restarting pcscd (so that it loads the vpcd driver)" >&2
  if [ -d /run/systemd/system ]; then
    $sudo systemctl restart pcscd.socket pcscd.service 2>/dev/null || $sudo systemctl restart pcscd
  else
    $sudo pkill -x pcscd 2>/dev/null || true
    sleep 0.5
    $sudo pcscd
  fi
}
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo=""; fi
[ -z "$missing" ] && { restart_pcscd; exit 0; }
if ! command -v apt-get >/dev/null 2>&1; then
  echo "cardtool: please install:$missing" >&2; exit 1
fi
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "cardtool: run as root or install:$missing" >&2; exit 1
fi
echo "Installing Debian packages:$missing" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
restart_pcscd
