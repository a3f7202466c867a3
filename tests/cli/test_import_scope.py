"""`cardtool read` loads the code of the card it reads and no other: a My Number read
imports no residence-card module (reader, virtual card, rendering), a residence read no
My Number virtual card. Checked on ``sys.modules`` at exit of a real CLI run in a fresh
interpreter (``-X importtime`` does not report modules loaded through
``importlib.import_module``, so it is not used as the measure)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.cli import cardtool_modules, python_code

RESIDENCE_CODE = ("cardtool.cards.residence", "cardtool.virtual.residence",
                  "cardtool.virtual.residence_images", "cardtool.virtual.specified",
                  "cardtool.cli.render_residence")
MYNUMBER_VIRTUAL = ("cardtool.virtual.mynumber", "cardtool.virtual.nonconformant")
ANCHOR2 = "cardtool/virtual/pki/residence2-ca-TEST.crt.pem"


def imported_by(tmp_path: Path, *args: str, stdin: str | None = None
                ) -> tuple[set[str], dict[str, object]]:
    """The cardtool modules a `cardtool read ... --json` run imported, and its JSON."""
    modules, out = cardtool_modules(tmp_path / "modules.txt", "read", *args, "--json",
                                    stdin=stdin)
    data: dict[str, object] = json.loads(out.stdout)
    return {m for m in modules if m.split(".")[0] == "cardtool"}, data


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


def test_the_read_path_leaves_cryptography_to_the_import_ahead_thread() -> None:
    """Loading everything `cardtool read` runs before its first APDU (the CLI, the read
    command, its service and rendering, the PC/SC transport) imports no cryptography: the
    read imports it on a second thread while the card talks (``cardtool.import_ahead``). A
    module-level ``from cryptography import ...`` on this path puts those tens of
    milliseconds back in front of the first APDU, and fails here."""
    code = ("import sys\n"
            "import cardtool.cli, cardtool.cli.read_cmd, cardtool.cli.render\n"
            "import cardtool.services.read, cardtool.trust.options, apdu.transport.pcsc\n"
            "from cardtool.cli.read_cmd import residence_options\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cryptography'))\n"
            "print('cardtool.cards.mynumber.verify' in sys.modules)\n")
    out = python_code(code, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    assert out.returncode == 0, out.stderr
    crypto, verify_loaded = out.stdout.splitlines()
    assert verify_loaded == "True"  # the check could not fail if the card code were not loaded
    assert crypto == "[]"


@pytest.mark.pcsc
def test_a_read_through_pcscd_imports_only_what_it_needs(tmp_path: Path) -> None:
    """The user's path: a real reader (pcscd + vpcd serving the virtual card from this
    process, so the child loads no virtual-card code). The read ran (its service, pyscard,
    cryptography's X.509 through the import-ahead thread) and nothing on the list of what a
    plain read never needs came back."""
    from cardtool.virtual import make_virtual_card
    from tests.cli.test_read_startup import NOT_FOR_A_PLAIN_READ, loaded
    from tests.support.pcsc import served, vpcd_reader_name

    with served(make_virtual_card("mynumber"), slot=1):
        modules, out = cardtool_modules(tmp_path / "modules.txt", "read", "-r",
                                        vpcd_reader_name(1), "--wait", "5", "--json")
    assert json.loads(out.stdout)["kind"] == "mynumber"
    assert {"cardtool.services.read", "apdu.transport.pcsc", "smartcard.scard",
            "cryptography.x509", "cardtool.cards.mynumber.verify"} <= modules
    assert loaded(modules, (*NOT_FOR_A_PLAIN_READ, "cardtool.virtual", "PIL")) == set()
