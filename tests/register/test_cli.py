"""`cardtool register export|backup|purge` as users run them: a real subprocess, one line on
any error and the exit code, never a traceback."""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest

from cardtool.errors import EXIT_REGISTER, EXIT_USAGE
from cardtool.register import Register
from tests.register.facts import TODAY, days, mynumber, residence
from tests.support.cli import ROOT, cardtool, one_line_error

AS_OF = TODAY.isoformat()


def _populate(url: str) -> int:
    with Register.open(url) as register:
        client = register.create_client("A-0001", "Test Name", desk="d")
        register.save_check(client.id, residence(20), desk="d", card_number="AB12345678CD")
        register.save_check(client.id, mynumber(200), desk="d")
        return client.id


def _run(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return cardtool("register", *args, "--db", url, stdin=stdin,
                    env={"CARDTOOL_DATA_DIR": os.environ["CARDTOOL_DATA_DIR"]})


def test_export_csv_and_ics(register_url: str, tmp_path: Path) -> None:
    client_id = _populate(register_url)
    csv_path, ics_path = tmp_path / "deadlines.csv", tmp_path / "deadlines.ics"
    out = _run(register_url, "export", "--csv", str(csv_path), "--ics", str(ics_path),
               "--as-of", AS_OF, "--desk", "desk-7")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [f"Wrote 2 deadlines to {csv_path}.",
                                       f"Wrote 2 calendar events to {ics_path}."]
    rows = list(csv.DictReader(io.StringIO(csv_path.read_bytes().decode("utf-8-sig"))))
    assert [(r["reference"], r["date"], r["level"]) for r in rows] == [
        ("A-0001", days(20).isoformat(), "urgent"), ("A-0001", days(200).isoformat(), "ok")]
    events = list(icalendar.Calendar.from_ical(ics_path.read_bytes()).walk("VEVENT"))
    assert sorted(e.decoded("dtstart") for e in events) == [days(20), days(200)]
    # Exports hold client data: readable by their owner only.
    assert {stat.S_IMODE(p.stat().st_mode) for p in (csv_path, ics_path)} == {0o600}

    out = _run(register_url, "export", "--csv", str(csv_path), "--within-days", "30",
               "--as-of", AS_OF)
    assert out.returncode == 0, out.stderr
    assert len(list(csv.DictReader(io.StringIO(csv_path.read_text("utf-8-sig"))))) == 1

    out = _run(register_url, "export", "--history", str(client_id), "--csv", "-")
    assert out.returncode == 0, out.stderr
    history = list(csv.DictReader(io.StringIO(out.stdout.lstrip("\ufeff"))))
    assert [h["card_kind"] for h in history] == ["mynumber", "residence-second"]

    with Register.open(register_url) as register:
        trail = [(desk, action) for _, desk, action, _ in register.audit_trail(limit=5)]
    assert ("desk-7", "deadlines.export-csv") in trail
    assert ("desk-7", "deadlines.export-ics") in trail
    assert trail[0][1] == "history.export-csv"


@pytest.mark.parametrize(("args", "needle"), [
    (("export",), "--csv FILE or --ics FILE"),
    (("export", "--history", "1", "--ics", "x.ics"), "--history exports CSV only"),
    (("export", "--history", "999", "--csv", "-"), "No client with id 999"),
    (("purge", "--older-than", "someday"), "is not a date"),
])
def test_usage_errors_are_one_line(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    url = str(tmp_path / "register.sqlite3")
    out = _run(url, *args)
    assert out.returncode == EXIT_USAGE
    assert needle in one_line_error(out)


def test_a_register_that_cannot_be_opened_is_one_line_and_exit_8(tmp_path: Path) -> None:
    out = cardtool("register", "export", "--csv", "-", "--db",
                   "postgresql://office:s3cret@127.0.0.1:9/cardtool?connect_timeout=2")
    assert out.returncode == EXIT_REGISTER
    line = one_line_error(out)
    assert "s3cret" not in line and "office:***@127.0.0.1:9" in line

    out = cardtool("--lang", "ja", "register", "backup", str(tmp_path / "b.sqlite3"),
                   "--db", str(tmp_path / "missing" / "register.sqlite3"))
    assert out.returncode == EXIT_REGISTER
    assert "フォルダーが存在しません" in one_line_error(out)


def test_a_too_new_register_is_one_line_and_exit_8(tmp_path: Path) -> None:
    url = str(tmp_path / "register.sqlite3")
    _populate(url)
    with Register.open(url) as register, register.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'r9999'")
    out = _run(url, "export", "--csv", "-")
    assert out.returncode == EXIT_REGISTER
    assert "newer cardtool" in one_line_error(out)


def test_backup(register_url: str, backend: str, tmp_path: Path) -> None:
    client_id = _populate(register_url)
    target = tmp_path / "copy.sqlite3"
    out = _run(register_url, "backup", str(target))
    if backend == "postgresql":
        assert out.returncode == EXIT_USAGE
        assert "pg_dump" in one_line_error(out)
        assert not target.exists()
        return
    assert out.returncode == 0, out.stderr
    with Register.open(str(target)) as copy:
        assert len(copy.history(client_id)) == 2
        # Audited before the copy is made: the copy knows it is one.
        assert copy.audit_trail(limit=1)[0][2] == "register.backup"
    with Register.open(register_url) as register:
        assert register.audit_trail(limit=1)[0][2] == "register.backup"


def test_purge_asks_first(register_url: str) -> None:
    client_id = _populate(register_url)
    tomorrow = "2099-01-01"  # every check is older than this
    out = _run(register_url, "purge", "--older-than", tomorrow, stdin="n\n")
    assert out.returncode == EXIT_USAGE
    assert "Delete 2 checks made before 2099-01-01" in out.stdout
    assert "Nothing was deleted" in one_line_error(out)
    out = _run(register_url, "purge", "--older-than", tomorrow, stdin="")  # no answer: no
    assert out.returncode == EXIT_USAGE
    with Register.open(register_url) as register:
        assert len(register.history(client_id)) == 2

    out = _run(register_url, "purge", "--older-than", "0", stdin="y\n")
    assert out.returncode == 0, out.stderr
    assert "Deleted 0 checks" in out.stdout or "nothing to delete" in out.stdout
    out = _run(register_url, "purge", "--older-than", tomorrow, "--yes")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("Deleted 2 checks made before 2099-01-01.")
    with Register.open(register_url) as register:
        assert register.find_clients("") == []


def test_a_read_only_register_refuses_the_purge(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite3"
    _populate(str(path))
    out = _run(f"sqlite:///file:{path}?mode=ro&uri=true", "purge", "--older-than",
               "2099-01-01", "--yes")
    assert out.returncode == EXIT_REGISTER
    assert "read-only" in one_line_error(out)


PROBE = """\
import atexit, sys
atexit.register(lambda: print(" ".join(sorted(
    m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic", "psycopg",
                                                  "icalendar")
    or m.startswith("cardtool.register"))), file=sys.stderr))
from cardtool.cli import main
main(sys.argv[1:])
"""


def test_card_reads_load_no_database_code() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, "read", "--virtual", "mynumber",
                          "--json"], capture_output=True, text=True, timeout=60, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == ""
