"""A `cardtool read` process imports what a My Number read needs and nothing else
(docs/read-plan.md, "Start-up"): no image library, no trust store, no register, desk, OCR
or residence code, no test or fuzz library. Checked on ``sys.modules`` at exit of a real
CLI run in a fresh interpreter, reading a recorded plain session (``--replay``: the same
read as with a reader, without a virtual card's own modules). A module that comes back as
an eager import fails this test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cardtool.cli import cli
from tests.support.cli import ROOT

#: Runs the CLI with the given arguments and writes every module it imported, one a line,
#: to the file named by the first argument, at exit (also after sys.exit).
PROBE = """\
import atexit, sys
from pathlib import Path
out = Path(sys.argv.pop(1))
atexit.register(lambda: out.write_text("\\n".join(sorted(sys.modules))))
from cardtool.cli import main
main(sys.argv[1:])
"""

#: Never loaded by a plain My Number read (with or without --json). Each was, or could
#: easily become, an eager import on the read path.
NOT_FOR_A_PLAIN_READ = (
    "PIL",  # card images: only with --images / --face
    "cardtool.images", "cardtool.files",  # image specs and PNG writing: the same
    "cardtool.trust.store", "cardtool.trust.official",  # residence anchors
    "cardtool.cards.residence", "cardtool.services.read_residence",
    "cardtool.cli.render_residence", "cardtool.front_dates",  # residence cards only
    "cardtool.virtual",  # virtual cards: only with --virtual
    "cardtool.register", "sqlalchemy", "alembic", "psycopg",  # the register
    "cardtool.desk", "starlette", "uvicorn", "jinja2",  # the desk
    "pytesseract", "icalendar", "hypothesis", "pytest",
    "cardtool.services.office_report", "cardtool.expiry",
    # PEM output and SSH keys (`cardtool cert --pem`), the signing certificate (--sign-cert)
    "cryptography.hazmat.primitives.serialization.ssh", "bcrypt",
    "cardtool.services.certificates", "cardtool.services.pins",
    # Start-up (issue 25): the version without importlib.metadata, the settings' folders
    # (platformdirs) and file locks only where used, package data without
    # importlib.resources (its readers bring zipfile, tempfile, shutil, bz2, lzma); no
    # event loop, HTTP, thread pool, CSV or SQLite module; pyscard's monitors only for
    # watching readers.
    "importlib.metadata", "platformdirs", "filelock", "importlib.resources", "zipfile",
    "tempfile", "shutil", "asyncio", "http", "concurrent", "csv", "sqlite3",
    "smartcard.CardMonitoring", "smartcard.ReaderMonitoring",
    "traceback",  # only for CARDTOOL_DEBUG's internal-error report
)


def modules_of(tmp_path: Path, *args: str) -> set[str]:
    listing = tmp_path / "modules.txt"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "PYTHONPATH": str(ROOT)}
    if "CARDTOOL_CONFIG_DIR" in os.environ:
        env["CARDTOOL_CONFIG_DIR"] = os.environ["CARDTOOL_CONFIG_DIR"]
    out = subprocess.run([sys.executable, "-c", PROBE, str(listing), *args],
                         capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return set(listing.read_text().split())


def loaded(modules: set[str], names: tuple[str, ...]) -> set[str]:
    return {m for m in modules if any(m == n or m.startswith(n + ".") for n in names)}


def test_a_plain_read_imports_only_what_the_read_needs(tmp_path: Path) -> None:
    trace = tmp_path / "plain.jsonl"
    recorded = CliRunner().invoke(cli, ["read", "--json", "--virtual", "mynumber",
                                        "--record", str(trace)])
    assert recorded.exit_code == 0, recorded.output
    for output in ((), ("--json",)):
        modules = modules_of(tmp_path, "--lang", "en", "read", "--replay", str(trace), *output)
        # The read ran: its service, the card code and the certificate parser are there ...
        assert {"cardtool.services.read", "cardtool.cards.mynumber.verify",
                "cryptography.x509"} <= modules
        # ... and nothing it does not need.
        assert loaded(modules, NOT_FOR_A_PLAIN_READ) == set()


def test_the_probe_sees_a_deferred_module_when_it_is_used(tmp_path: Path) -> None:
    """The check above could not fail if the probe missed lazily imported modules: a read
    that writes the card-face images does load the image code."""
    trace = tmp_path / "face.jsonl"
    persona_b = _number_b()
    recorded = CliRunner().invoke(cli, ["read", "--json", "--face", "--pin-stdin", "--virtual",
                                        "mynumber", "--record", str(trace), "--no-redact"],
                                  input=persona_b + "\n")
    assert recorded.exit_code == 0, recorded.output
    listing = tmp_path / "modules.txt"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", PROBE, str(listing), "read", "--face",
                          "--pin-stdin", "--replay", str(trace), "--images",
                          str(tmp_path / "images")], input=persona_b + "\n",
                         capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    modules = set(listing.read_text().split())
    assert {"cardtool.images", "PIL"} <= modules


def _number_b() -> str:
    from cardtool.era import collation_number_b
    from cardtool.virtual.persona import load_persona

    persona = load_persona(None, "mynumber")
    assert persona.security_code is not None
    return collation_number_b(persona.birth_date, persona.card_expiry, persona.security_code)
