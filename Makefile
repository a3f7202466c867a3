# cardtool: `make demo` runs the main job against the embedded virtual card,
# `make test` runs every check. Both create .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
CARDTOOL := $(VENV)/bin/cardtool
STAMP := $(VENV)/.installed

.PHONY: demo test quick lint typecheck pytest fuzz bench clean

# Python keeps compiled modules in __pycache__, pytest its assert-rewritten test modules
# too; an environment that sets PYTHONDONTWRITEBYTECODE (this machine's, some CI images')
# makes every test process compile all of them again: collecting the quick tier took
# 12.8 s of CPU per process instead of 4.6 s, and `make test` starts four such processes.
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): pyproject.toml setup.py cardtool/policy/_linescan.c
	./scripts/debian-deps.sh build
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -e '.[test,dev,ocr,office,pg]'
	touch $(STAMP)

demo: $(STAMP)
	$(CARDTOOL) read --virtual mynumber

lint: $(STAMP)
	$(VENV)/bin/ruff check apdu cardtool tests bench examples

# Also as Windows and macOS see the code: no POSIX-only call may hide on a user's path.
typecheck: $(STAMP)
	$(VENV)/bin/mypy apdu cardtool
	$(VENV)/bin/mypy --platform win32 apdu cardtool
	$(VENV)/bin/mypy --platform darwin apdu cardtool

# Both cores (pytest-xdist), except the tests that serve cards on pcscd's vpcd slots (one
# machine-wide resource, tests/support/tiers.py shared_resource): they run one at a time
# afterwards. Both runs always run; either failing fails the target.
pytest: $(STAMP)
	@status=0; \
	$(PY) -m pytest -q -n 2 -m "not vpcd" || status=$$?; \
	$(PY) -m pytest -q -m vpcd || status=$$?; \
	exit $$status

test: lint typecheck pytest

# The inner loop: every test that needs no stack (pcscd, Chromium, PostgreSQL, Tesseract)
# and takes under ~2 s (tests/support/tiers.py). `make test` and CI still run everything.
QUICK_TIER := not slow and not pcsc and not browser and not pg and not ocr
quick: $(STAMP)
	$(PY) -m pytest -q -n 2 -m "$(QUICK_TIER)"

fuzz: $(STAMP)
	CARDTOOL_FUZZ=long $(PY) -m pytest -q tests/fuzz --hypothesis-show-statistics

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build cardtool/policy/*.so
