#!/bin/bash
# What users install is what we test: build the sdist and the wheel from this tree, install
# each into fresh virtual environments OUTSIDE the tree (plain, and with every extra), and
# run the commands a new user runs from a directory with no checkout, PYTHONPATH unset.
#
#   scripts/installed-smoke.sh [--prepare|--quick] [--python PY]
#
#   --prepare fill the wheelhouse (below) and stop: run it where the network is, before
#             entering a private network namespace (.ci/run does).
#   --quick   the wheel only, in a plain environment (what `make test` runs through
#             tests/packaging/test_installed_smoke.py): build, tags, file list, --help,
#             --virtual reads, expiry, --record + trace check, the missing-extra hints.
#   (full)    also the sdist, installed without a C compiler (CC=false), both with every
#             extra; `emulate` through pcscd read by OpenSC; the desk fetched over HTTP
#             with Accept-Language: ja-JP; the pytest plugin's example project. Needs
#             pcscd with the vpcd driver (run it under scripts/isolated-pcscd.sh) and
#             opensc-tool.
#
# Dependencies (and the build backend) come from a wheelhouse, SMOKE_WHEELHOUSE (default
# .venv/smoke-wheelhouse), filled from PyPI when something is missing; every install and
# build then runs with --no-index from it, so the checks also run without a network (in
# scripts/isolated-pcscd.sh's namespace) and in a few minutes. Exit 0 when every check
# passed; otherwise the first failing check says what it expected.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
PREPARE=0
PY=${PYTHON:-python3}
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --prepare) PREPARE=1 ;;
    --python) PY=$2; shift ;;
    *) echo "usage: $0 [--prepare|--quick] [--python PY]" >&2; exit 1 ;;
  esac
  shift
done

WORK=$(mktemp -d /tmp/cardtool-smoke.XXXXXX)
KEEP=${SMOKE_KEEP:-0}
cleanup() {
  for pid in ${PIDS:-}; do kill "$pid" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then echo "smoke: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
PIDS=""
RUN="$WORK/run"   # the working directory of every command: no checkout in sight
mkdir -p "$RUN"
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP CARDTOOL_LANG CARDTOOL_DATA_DIR CARDTOOL_CONFIG_DIR
export LANG=C.UTF-8 PIP_DISABLE_PIP_VERSION_CHECK=1 CARDTOOL_DATA_DIR="$WORK/data"

step() { printf '\n== %s\n' "$*"; }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }

# expect CODE NEEDLE -- COMMAND...: run COMMAND in $RUN; exit code CODE and NEEDLE (a fixed
# string; empty: no check) in stdout+stderr.
expect() {
  local code=$1 needle=$2; shift 3
  local out rc=0
  out=$(cd "$RUN" && "$@" 2>&1) || rc=$?
  if [ "$rc" != "$code" ]; then
    printf '%s\n' "$out" | tail -n 20 >&2
    fail "'$*' exited $rc, expected $code"
  fi
  if [ -n "$needle" ] && ! grep -qF -- "$needle" <<<"$out"; then
    printf '%s\n' "$out" | tail -n 20 >&2
    fail "'$*': output lacks '$needle'"
  fi
  if grep -q "Traceback\|Internal error\|内部エラー" <<<"$out"; then
    printf '%s\n' "$out" | tail -n 20 >&2
    fail "'$*': a traceback or an internal error"
  fi
  echo "ok: $* -> $rc"
}

WH=${SMOKE_WHEELHOUSE:-$ROOT/.venv/smoke-wheelhouse}
mkdir -p "$WH"
# wheelhouse SPEC...: make sure the wheelhouse holds SPEC and everything it needs (offline
# first; PyPI only for what is missing).
wheelhouse() {
  if "$PY" -m pip wheel -q --no-index --find-links "$WH" -w "$WH" "$@" >"$WORK/wh.log" 2>&1; then
    return 0
  fi
  echo "smoke: filling the wheelhouse $WH from PyPI: $*"
  "$PY" -m pip wheel -q --find-links "$WH" -w "$WH" "$@" >"$WORK/wh.log" 2>&1 \
    || { grep -v "^WARNING: Location" "$WORK/wh.log" | tail -n 30; fail "pip wheel $*"; }
}

step "build the sdist and the wheel from $ROOT"
"$PY" -m build --version >/dev/null 2>&1 || fail "$PY -m build is missing (pip install build; it is in the test extra)"
# The build backend, for python -m build's isolated environment and the sdist's install.
wheelhouse "setuptools>=77"
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$WH"
if [ "$QUICK" = 1 ]; then
  (cd "$ROOT" && "$PY" -m build --wheel --outdir "$WORK/dist" . >"$WORK/build.log" 2>&1) \
    || { tail -n 30 "$WORK/build.log"; fail "python -m build --wheel"; }
else
  # The wheel is built from the sdist (python -m build's default): the sdist holds enough.
  (cd "$ROOT" && "$PY" -m build --outdir "$WORK/dist" . >"$WORK/build.log" 2>&1) \
    || { tail -n 30 "$WORK/build.log"; fail "python -m build"; }
fi
WHEEL=$(ls "$WORK"/dist/cardtool_jp-*.whl)
echo "built: $(cd "$WORK/dist" && ls)"
(unset PIP_NO_INDEX PIP_FIND_LINKS; wheelhouse "$WHEEL[office,pg,ocr]" pytest)
rm -f "$WH"/cardtool_jp-*  # the wheel under test is installed by path, never from here
if [ "$PREPARE" = 1 ]; then
  echo "smoke: wheelhouse ready: $WH"
  exit 0
fi

step "the wheel's tag is honest and its files are the package's"
"$PY" - "$WHEEL" <<'EOF'
import sys, zipfile
path = sys.argv[1]
names = zipfile.ZipFile(path).namelist()
binary = [n for n in names if n.endswith((".so", ".pyd"))]
tag = path.rsplit("-", 3)[1:]
pure = tag[-1] == "any.whl"
assert binary or pure, f"no compiled module, yet tagged {tag}"
assert not (binary and pure), f"{binary} in a wheel tagged {tag}"
tops = {n.split("/")[0] for n in names}
assert tops <= {"apdu", "cardtool"} | {n for n in tops if n.endswith(".dist-info")}, tops
for needed in ("cardtool/virtual/personas/default.json",
               "cardtool/virtual/personas/residence2-default.json",
               "cardtool/virtual/pki/mynumber-cv-TEST.json",
               "cardtool/virtual/pki/residence2-ca-TEST.crt.pem",
               "cardtool/virtual/pki/card-keys/test-card-key-00.pem",
               "cardtool/data/jlis-cv-ca-keys.json",
               "cardtool/desk/templates/base.html",
               "cardtool/register/migrations/env.py",
               "cardtool/register/migrations/versions/r0001_initial.py",
               "cardtool/register/migrations/script.py.mako"):
    assert needed in names, f"{needed} missing from the wheel"
assert any(n.endswith("/licenses/LICENSE") for n in names), "no LICENSE in the wheel"
print(f"ok: {len(names)} files, tag {'-'.join(tag)}, compiled: {binary or 'none'}")
EOF

# new_venv NAME SPEC [ENV...]: a fresh venv outside the tree with SPEC installed.
new_venv() {
  local name=$1 spec=$2; shift 2
  "$PY" -m venv "$WORK/$name"
  (cd "$RUN" && env "$@" "$WORK/$name/bin/python" -m pip install -q --no-index \
      --find-links "$WH" "$spec" \
      >"$WORK/$name.log" 2>&1) || { grep -v "^WARNING: Location" "$WORK/$name.log" | tail -n 30; fail "pip install $spec"; }
  # The package imported is the installed one, not this checkout (-I: isolated mode).
  local where
  where=$(cd "$RUN" && "$WORK/$name/bin/python" -I -c "import cardtool, apdu; print(cardtool.__file__); print(apdu.__file__)")
  case "$where" in
    *"$ROOT"*) fail "$name imports cardtool from the checkout: $where" ;;
  esac
  while read -r file; do
    case "$file" in "$WORK/$name/"*) ;; *) fail "$name: $file is outside the venv" ;; esac
  done <<<"$where"
  echo "ok: $name: cardtool from $(head -n 1 <<<"$where")"
}

# common VENV [all-helps]: what every install runs (no extra needed); every command's
# --help only where asked (once per kind of install: the helps do not change with extras).
common() {
  local c="$WORK/$1/bin/cardtool"
  expect 0 "Commands:" -- "$c" --help
  if [ "${2:-}" = all-helps ]; then
    for cmd in read pin cert sign emulate readers apdu trace expiry office policy trust register serve; do
      expect 0 "Usage: cardtool $cmd" -- "$c" "$cmd" --help
    done
  fi
  expect 0 "My Number card" -- "$c" read --virtual mynumber
  expect 0 "\"kind\": \"residence-second\"" -- env CARDTOOL_CARD_NUMBER=AB98765432CD "$c" read --virtual residence2 --json
  expect 0 "Result: OK" -- "$c" expiry --virtual mynumber
  expect 0 "Result: OK" -- env CARDTOOL_CARD_NUMBER=AB98765432CD "$c" expiry --virtual residence2
  expect 0 "" -- "$c" --record "$WORK/$1-read.jsonl" read --virtual mynumber
  expect 0 "" -- "$c" trace check "$WORK/$1-read.jsonl"
  expect 0 "" -- "$c" trace show "$WORK/$1-read.jsonl"
  expect 0 "" -- "$c" --replay "$WORK/$1-read.jsonl" read
  expect 0 "" -- "$c" trust list
  expect 0 "" -- "$c" apdu --virtual mynumber 00A4040C0AD392F000260100000001
}

# plain_hints VENV: without the office extra, the office features name it (exit 2).
plain_hints() {
  local c="$WORK/$1/bin/cardtool"
  local hint="pip install 'cardtool-jp[office]'"
  expect 2 "$hint" -- "$c" register export --csv "$WORK/deadlines.csv"
  expect 2 "$hint" -- "$c" register backup "$WORK/backup.sqlite3"
  expect 2 "$hint" -- "$c" serve --no-browser --virtual mynumber
  expect 2 "$hint" -- "$c" office --virtual mynumber --db "$WORK/register.sqlite3"
  expect 2 "cardtool-jp[office]" -- "$c" --lang ja register export --csv "$WORK/deadlines.csv"
  # A first-generation residence card's dates are read from its front image by OCR: without
  # the ocr extra, the typed date is the path, and the hint names the extra.
  expect 0 "cardtool-jp[ocr]" -- env CARDTOOL_CARD_NUMBER=AB12345678CD "$c" expiry --virtual residence --typed-expiry 2030-01-31
}

step "the wheel, plain"
new_venv wheel-plain "$WHEEL"
common wheel-plain all-helps
plain_hints wheel-plain

if [ "$QUICK" = 1 ]; then
  echo; echo "smoke (quick): every check passed"
  exit 0
fi

SDIST=$(ls "$WORK"/dist/cardtool_jp-*.tar.gz)
step "the sdist without a C compiler (CC=false), plain"
new_venv sdist-plain "$SDIST" CC=false
common sdist-plain all-helps
plain_hints sdist-plain
"$WORK/sdist-plain/bin/python" -I -c "
import importlib.util, sys
sys.exit(importlib.util.find_spec('cardtool.policy._linescan') is not None)" \
  || fail "sdist-plain: a C scanner was built with CC=false"
echo "ok: sdist-plain: no compiler, no C scanner, trace check ran in Python"
# The wheel pip built from the sdist without a compiler says so: pure Python, any platform.
"$WORK/sdist-plain/bin/python" -I -c "
import importlib.metadata as m
wheel = m.distribution('cardtool-jp').read_text('WHEEL')
assert 'Tag: py3-none-any' in wheel and 'Root-Is-Purelib: true' in wheel, wheel" \
  || fail "sdist-plain: the wheel built without a compiler is not tagged py3-none-any"
echo "ok: sdist-plain: built without a compiler, tagged py3-none-any"

step "the wheel with every extra"
new_venv wheel-full "$WHEEL[office,pg,ocr]"
common wheel-full
# The ocr extra reads a first-generation card's front image with Tesseract in cardtool's own
# process (tesserocr's wheel, on this platform) and the models of the tesseract program.
"$WORK/wheel-full/bin/python" -I -c "
from cardtool.front_dates import Tesseract
assert Tesseract().backend == 'in-process', Tesseract().backend" \
  || fail "wheel-full: the ocr extra does not run Tesseract in process (tesserocr)"
expect 0 "date of birth: 1992-04-01" -- env CARDTOOL_CARD_NUMBER=AB12345678CD "$WORK/wheel-full/bin/cardtool" expiry --virtual residence
echo "ok: wheel-full: a first-generation card's dates read by OCR, Tesseract in process"
step "the sdist without a C compiler, with every extra"
new_venv sdist-full "$SDIST[office,pg,ocr]" CC=false
common sdist-full

FULL="$WORK/wheel-full"
step "the register round trip (office extra): office --db, then register export"
printf 'A-0001\n' >"$WORK/office-answers.txt"
expect 0 "" -- sh -c "'$FULL/bin/cardtool' office --virtual mynumber --db '$WORK/register.sqlite3' --csv '$WORK/office.csv' <'$WORK/office-answers.txt'"
expect 0 "" -- "$FULL/bin/cardtool" register export --db "$WORK/register.sqlite3" --csv "$WORK/deadlines.csv"
grep -q "A-0001" "$WORK/deadlines.csv" || fail "the exported deadlines lack client A-0001"
echo "ok: register export holds the client saved by office --db"
if [ -n "${CARDTOOL_TEST_PG_URL:-}" ]; then
  # PostgreSQL through the pg extra's driver (CI starts a server: scripts/start-postgres.sh).
  expect 0 "" -- sh -c "printf 'P-0001\\n' | '$FULL/bin/cardtool' office --virtual mynumber --db '$CARDTOOL_TEST_PG_URL' --csv '$WORK/office-pg.csv'"
  expect 0 "" -- "$FULL/bin/cardtool" register export --db "$CARDTOOL_TEST_PG_URL" --csv "$WORK/deadlines-pg.csv"
  grep -q "P-0001" "$WORK/deadlines-pg.csv" || fail "the PostgreSQL register lacks client P-0001"
  echo "ok: the PostgreSQL register (pg extra) saved and exported a client"
fi

step "emulate through pcscd, read by OpenSC (an independent PC/SC client)"
command -v opensc-tool >/dev/null || fail "opensc-tool is missing (Debian: opensc)"
SLOT=${SMOKE_VPCD_SLOT:-0}
READER="Virtual PCD 00 0$SLOT"
(cd "$RUN" && exec "$FULL/bin/cardtool" emulate mynumber --slot "$SLOT") >"$WORK/emulate.log" 2>&1 &
EMU=$!; PIDS="$PIDS $EMU"
for _ in $(seq 100); do
  opensc-tool --list-readers 2>/dev/null | grep -q "$READER.*Yes" && break
  sleep 0.1
done
OUT=$(cd "$RUN" && opensc-tool --reader "$READER" -s 00A4040C0AD392F000260100000001 \
      -s 00A4020C020018 -s 00200080 2>&1) || true
grep -q "SW1=0x63, SW2=0xC3" <<<"$OUT" || { echo "$OUT"; cat "$WORK/emulate.log"; fail "OpenSC did not read 3 tries left from the emulated card"; }
kill -INT "$EMU"; wait "$EMU" || true
echo "ok: opensc-tool read the emulated card's authentication PIN: 3 tries left"

step "the pytest plugin's example project (examples/pyscard-hello), outside the tree"
cp -r "$ROOT/examples/pyscard-hello" "$WORK/example"
"$FULL/bin/python" -m pip install -q --no-index --find-links "$WH" pytest \
  >"$WORK/pytest-install.log" 2>&1 || fail "pip install pytest"
(cd "$WORK/example" && CARDTOOL_REQUIRE_PCSC=1 "$FULL/bin/python" -m pytest -q -p no:cacheprovider \
   -o cardtool_require_pcsc=true) || fail "the example project's tests"

step "start-up of the installed command (a figure, not a check)"
(cd "$RUN" && "$WORK/wheel-plain/bin/python" -I "$ROOT/bench/cli_startup.py" --runs 5)

step "the desk: serve --no-browser, fetched over HTTP with Accept-Language: ja-JP"
(cd "$RUN" && exec "$FULL/bin/cardtool" serve --no-browser --port 0 --virtual mynumber \
   --db "$WORK/desk.sqlite3") >"$WORK/serve.out" 2>"$WORK/serve.err" &
DESK=$!; PIDS="$PIDS $DESK"
URL=""
for _ in $(seq 300); do
  URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*/check?token=[A-Za-z0-9_-]*' "$WORK/serve.err" | head -n 1 || true)
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || { cat "$WORK/serve.err"; fail "serve printed no address"; }
"$FULL/bin/python" -I - "$URL" <<'EOF' || { tail -n 20 "$WORK/serve.err"; fail "the desk's page in Japanese"; }
import sys, urllib.request
from http.cookiejar import CookieJar
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
request = urllib.request.Request(sys.argv[1], headers={"Accept-Language": "ja-JP,ja;q=0.9"})
with opener.open(request, timeout=30) as response:
    page = response.read().decode("utf-8")
    assert response.status == 200, response.status
# A Japanese browser gets the Japanese page (the process runs with LANG=C.UTF-8, English).
assert 'lang="ja"' in page and "デモモード" in page, page[:600]
print("ok: the desk answered a ja-JP browser in Japanese")
EOF
kill -INT "$DESK"; wait "$DESK" || true

echo; echo "smoke (full): every check passed"
