"""`cardtool read` loads the code of the card it reads and no other: a My Number read
imports no residence-card module (reader, virtual card, rendering), a residence read no
My Number virtual card. Checked on ``sys.modules`` at exit of a real CLI run in a fresh
interpreter (``-X importtime`` does not report modules loaded through
``importlib.import_module``, so it is not used as the measure)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import ROOT

#: Runs the CLI with the given arguments and writes the cardtool modules it imported, one
#: a line, to the file named by the first argument, at exit (also after sys.exit).
PROBE = """\
import atexit, sys
from pathlib import Path
out = Path(sys.argv.pop(1))
atexit.register(lambda: out.write_text(
    "\\n".join(sorted(m for m in sys.modules if m.split(".")[0] == "cardtool"))))
from cardtool.cli import main
main(sys.argv[1:])
"""

RESIDENCE_CODE = ("cardtool.cards.residence", "cardtool.virtual.residence",
                  "cardtool.virtual.residence_images", "cardtool.virtual.specified",
                  "cardtool.cli.render_residence")
MYNUMBER_VIRTUAL = ("cardtool.virtual.mynumber", "cardtool.virtual.nonconformant")
ANCHOR2 = "cardtool/virtual/pki/residence2-ca-TEST.crt.pem"


def imported_by(tmp_path: Path, *args: str, stdin: str | None = None
                ) -> tuple[set[str], dict[str, object]]:
    """The cardtool modules a `cardtool read ... --json` run imported, and its JSON."""
    listing = tmp_path / "modules.txt"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "PYTHONPATH": str(ROOT)}
    for key in ("CARDTOOL_CONFIG_DIR"):
        if key in os.environ:
            env[key] = os.environ[key]
    out = subprocess.run([sys.executable, "-c", PROBE, str(listing), "read", *args, "--json"],
                         input=stdin, capture_output=True, text=True, timeout=60, env=env,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    data: dict[str, object] = json.loads(out.stdout)
    return set(listing.read_text().split()), data


def within(modules: set[str], packages: tuple[str, ...]) -> set[str]:
    """The modules that are one of ``packages`` or inside one."""
    return {m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)}


@pytest.mark.parametrize("persona", ["", ":expiring-soon"])
def test_a_my_number_read_imports_no_residence_code(tmp_path: Path, persona: str) -> None:
    modules, data = imported_by(tmp_path, "--virtual", "mynumber" + persona)
    assert data["kind"] == "mynumber" and "residence" not in data
    assert "cardtool.services.read" in modules and "cardtool.virtual.mynumber" in modules
    assert within(modules, RESIDENCE_CODE) == set()
    assert "cardtool.virtual.nonconformant" not in modules
    # The 特定在留カード probe (SELECT of the 在留AP) still ran, from the AID's own module.
    assert "cardtool.cards.residence_ap" in modules


def test_a_residence_read_imports_the_residence_code_only(tmp_path: Path) -> None:
    modules, data = imported_by(tmp_path, "--virtual", "residence2", "--trust-anchor", ANCHOR2,
                                "--card-number-stdin", stdin="AB98765432CD\n")
    assert data["kind"] == "residence-second"
    for needed in ("cardtool.cards.residence.reader", "cardtool.services.read_residence",
                   "cardtool.cards.residence.certificate", "cardtool.virtual.residence"):
        assert needed in modules
    assert within(modules, MYNUMBER_VIRTUAL) == set()
    assert "cardtool.virtual.specified" not in modules


def test_a_specified_card_read_imports_both(tmp_path: Path) -> None:
    modules, data = imported_by(tmp_path, "--virtual", "specified", "--card-number-stdin",
                                stdin="TK12345678AP\n")
    assert data["kind"] == "specified" and "residence" in data
    assert {"cardtool.services.read_residence", "cardtool.virtual.specified"} <= modules
