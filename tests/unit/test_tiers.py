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
             "tests/unit/test_front_dates_ocr.py",
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
    # Tesseract-guarded tests out, the reader's word-box tests (no engine) in.
    assert "tests/unit/test_front_dates.py::test_a_label_split_over_two_lines" in ids
    assert not any(i.startswith("tests/unit/test_front_dates_ocr.py") for i in ids)
    assert not any("test_expiry_first_generation_ocr" in i for i in ids)
    # Chromium, pcscd + vpcd (by path, by module marker, by the plugin's fixtures): out.
    assert not any(i.startswith(("tests/cli/test_office_html_chromium.py", "tests/pcsc/",
                                 "examples/")) for i in ids)
    assert any(i.startswith("tests/unit/test_office_loop.py") for i in ids)


def test_tests_that_serve_cards_on_vpcd_share_one_xdist_group() -> None:
    """`make test` runs on both cores (`-n 2 --dist loadgroup`): every test that serves a
    card on pcscd's vpcd slots must be in the "vpcd" group (two at once would take each
    other's slot), and a test that needs no slot must not be (it would serialise for
    nothing: `serve --virtual` reads its cards in process)."""
    files = ["tests/pcsc/test_vpcd_foundation.py", "tests/desk/test_reader_watch_pcsc.py",
             "tests/desk/test_browser_pcsc.py", "examples/pyscard-hello/tests/test_pin_tries.py",
             "tests/unit/test_office_loop.py", "tests/desk/test_serve_cmd.py"]
    script = (
        "import sys, pytest\n"
        "from tests.support.tiers import shared_resource\n"
        "class P:\n"
        "    def pytest_collection_finish(self, session):\n"
        "        for item in session.items:\n"
        "            print('GROUP', shared_resource(item), item.nodeid)\n"
        f"sys.exit(pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider', *{files!r}],"
        " plugins=[P()]))\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    groups: dict[str, set[str]] = {}
    for line in out.stdout.splitlines():
        if line.startswith("GROUP "):
            _, group, nodeid = line.split(" ", 2)
            groups.setdefault(nodeid.split("::", 1)[0], set()).add(group)
    for path in files[:4]:
        assert groups.get(path) == {"vpcd"}, (path, groups.get(path))
    for path in files[4:]:
        assert groups.get(path) == {"None"}, (path, groups.get(path))


def test_the_apdu_table_reaches_the_summary_from_xdist_workers() -> None:
    """The quirk matrix's counts travel in the test reports (an xdist worker's module
    globals never reach the process that prints the summary)."""
    from tests.support import quirk_matrix

    saved = dict(quirk_matrix.APDU_COUNTS)
    quirk_matrix.APDU_COUNTS.clear()
    try:
        quirk_matrix.merge_reported([("other", 1), (quirk_matrix.COUNT_PROPERTY,
                                                    ["read", "plain", 16])])
        assert quirk_matrix.APDU_COUNTS == {("read", "plain"): 16}
        assert any(line.startswith("read ") for line in quirk_matrix.summary_lines())
    finally:
        quirk_matrix.APDU_COUNTS.clear()
        quirk_matrix.APDU_COUNTS.update(saved)
