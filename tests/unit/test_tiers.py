"""The test tiers (tests/support/tiers.py): every name in the slow list is a test that
exists, and `make quick`'s selection leaves out what needs PostgreSQL, Tesseract, Chromium
or pcscd while keeping the rest of the same files."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.support.tiers import SLOW

ROOT = Path(__file__).resolve().parents[2]
QUICK = "not slow and not pcsc and not browser and not pg and not ocr"


def test_every_slow_entry_names_a_test_that_exists() -> None:
    missing = []
    for entry in sorted(SLOW):
        path, _, name = entry.split("[", 1)[0].partition("::")
        file = ROOT / path
        if "::" in name or not file.is_file():
            missing.append(entry)
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"))
        names = {n.name for n in ast.walk(tree)
                 if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        if name not in names:
            missing.append(entry)
    assert not missing, missing


def test_the_quick_tier_leaves_out_the_stack_tests_only() -> None:
    files = ["tests/register/test_clients_checks.py", "tests/unit/test_front_dates.py",
             "tests/cli/test_office_html_chromium.py", "tests/pcsc/test_vpcd_foundation.py",
             "examples/pyscard-hello/tests/test_pin_tries.py", "tests/cli/test_office_cli.py",
             "tests/unit/test_office_loop.py"]
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "-p", "no:cacheprovider", "-m", QUICK, *files],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    ids = [line for line in out.stdout.splitlines() if "::" in line]
    # PostgreSQL parametrisations out, SQLite ones in.
    assert any("[sqlite]" in i for i in ids) and not any("[postgresql]" in i for i in ids)
    # Tesseract-guarded tests out, the scripted-engine ones of the same file in.
    assert "tests/unit/test_front_dates.py::test_scripted_good_reading_is_read" in ids
    assert not any("test_drawn_faces_are_read_exactly" in i for i in ids)
    assert not any("test_expiry_first_generation_ocr" in i for i in ids)
    # Chromium, pcscd + vpcd (by path, by module marker, by the plugin's fixtures): out.
    assert not any(i.startswith(("tests/cli/test_office_html_chromium.py", "tests/pcsc/",
                                 "examples/")) for i in ids)
    assert any(i.startswith("tests/unit/test_office_loop.py") for i in ids)
