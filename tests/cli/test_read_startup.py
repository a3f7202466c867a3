"""A `cardtool read` process imports what a My Number read needs and nothing else
(docs/read-plan.md, "Start-up"): no image library, no trust store, no register, desk, OCR
or residence code, no test or fuzz library. Checked on ``sys.modules`` at exit of a real
CLI run in a fresh interpreter, reading a recorded plain session (``--replay``: the same
read as with a reader, without a virtual card's own modules). A module that comes back as
an eager import fails this test."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cardtool.cli import cli
from tests.support.cli import cardtool_modules

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
    "pytesseract", "tesserocr", "icalendar", "hypothesis", "pytest",
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
    return cardtool_modules(tmp_path / "modules.txt", *args)[0]


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
    modules, _ = cardtool_modules(tmp_path / "modules.txt", "read", "--face", "--pin-stdin",
                                  "--replay", str(trace), "--images",
                                  str(tmp_path / "images"), stdin=persona_b + "\n")
    assert {"cardtool.images", "PIL"} <= modules


def _number_b() -> str:
    from cardtool.era import collation_number_b
    from cardtool.virtual.persona import load_persona

    persona = load_persona(None, "mynumber")
    assert persona.security_code is not None
    return collation_number_b(persona.birth_date, persona.card_expiry, persona.security_code)
