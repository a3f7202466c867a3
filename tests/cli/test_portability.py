"""Issue 22's acceptance for Windows and macOS, simulated on Linux: every module of apdu and
cardtool imports, every command's ``--help`` runs, ``read --virtual mynumber`` and a register
round trip (``office --db --csv`` then ``register export``) work, with the POSIX-only
modules and calls gone (``fcntl``, ``termios``, ``tty``, ``pty``, ``pwd``, ``grp``,
``resource`` put to None in sys.modules, ``os.statvfs`` deleted) and with stdout and stderr
encoded as a Windows code page (cp932 on a Japanese PC, cp1252 on a Western one) into a pipe
or a file: no exit 70, no UnicodeEncodeError, and outputs that say what they should.

What this cannot show (no Windows or macOS here): the Windows console itself, the real
GetUserDefaultUILanguage and AppleLanguages answers, Windows' file locks and share paths;
those are unit-tested through their parsers and injected probes
(tests/unit/test_lang_detection.py, tests/register/test_portable_paths.py), and
``mypy --platform win32/darwin`` checks the platform branches."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cardtool.cards.certificate import parse_certificate
from cardtool.cards.mynumber import ids
from cardtool.errors import EXIT_INTERNAL
from cardtool.virtual.mynumber import make_card
from tests.support.cli import ROOT

#: Runs first in each process: the modules and calls Windows does not have are gone.
PRELUDE = textwrap.dedent("""
    import os, sys, warnings
    # Without fcntl on Linux, filelock falls back to its soft lock and says so; on Windows
    # it locks with msvcrt and says nothing.
    warnings.filterwarnings("ignore", "only soft file lock is available")
    for _name in ("fcntl", "termios", "tty", "pty", "pwd", "grp", "resource"):
        sys.modules[_name] = None
    for _name in ("statvfs", "fstatvfs"):
        if hasattr(os, _name):
            delattr(os, _name)
""")

ENCODINGS = ("cp932", "cp1252")


def _env(tmp_path: Path, encoding: str, lang: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT),
           "PYTHONIOENCODING": encoding, "LANG": lang,
           "CARDTOOL_DATA_DIR": str(tmp_path / "data"),
           "HOME": str(tmp_path / "home")}
    for key in ("CARDTOOL_CONFIG_DIR", "CARDTOOL_FIXTURES"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _windowsish(tmp_path: Path, encoding: str, *args: str, lang: str = "C.UTF-8",
                stdin: str = "", extra_env: dict[str, str] | None = None
                ) -> tuple[int, str, str]:
    """``cardtool ARGS`` in a process without the POSIX-only modules, its output piped in
    ``encoding``; returns the exit code and the decoded (strictly) stdout and stderr."""
    code = PRELUDE + "from cardtool.cli import main\nmain()\n"
    done = subprocess.run([sys.executable, "-c", code, *args], input=stdin.encode(encoding),
                          capture_output=True, timeout=120, cwd=tmp_path,
                          env={**_env(tmp_path, encoding, lang), **(extra_env or {})})
    out, err = done.stdout.decode(encoding), done.stderr.decode(encoding)
    assert "Traceback" not in err and "UnicodeEncodeError" not in err, err
    return done.returncode, out, err


def test_the_prelude_really_removes_what_windows_lacks(tmp_path: Path) -> None:
    check = PRELUDE + textwrap.dedent("""
        import importlib, os
        for name in ("fcntl", "termios", "pwd", "resource"):
            try:
                importlib.import_module(name)
            except ImportError:
                pass
            else:
                raise SystemExit(name + " still imports")
        assert not hasattr(os, "statvfs")
        print("gone")
    """)
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                          timeout=60, env=_env(tmp_path, "utf-8", "C.UTF-8"))
    assert done.stdout.strip() == "gone", done.stderr


def test_every_module_imports_and_every_help_runs(tmp_path: Path) -> None:
    """In one process per encoding: import each module of apdu and cardtool, then run
    ``--help`` of every command and subcommand through ``main`` with stdout and stderr as
    strict text streams in that code page (what PYTHONIOENCODING gives a redirected
    process), and report each exit code and whether the help text came out."""
    walk = PRELUDE + textwrap.dedent("""
        import importlib, io, json, pkgutil, sys
        import click
        import apdu, cardtool
        encoding = sys.argv[1]
        failed = {}
        names = [m.name for package in (apdu, cardtool)
                 for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
                 # __main__ runs the CLI; Alembic's env runs inside a migration only (the
                 # round trip below creates a register through it).
                 if not m.name.endswith(("__main__", ".migrations.env"))]
        for name in names:
            try:
                importlib.import_module(name)
            except Exception as exc:
                failed[name] = repr(exc)
        from cardtool.cli import cli, main

        def paths(group, prefix):
            ctx = click.Context(group)
            for sub in group.list_commands(ctx):
                command = group.get_command(ctx, sub)
                yield [*prefix, sub]
                if isinstance(command, click.Group):
                    yield from paths(command, [*prefix, sub])

        helps = {}
        real = sys.stdout, sys.stderr
        for args in [[]] + list(paths(cli, [])):
            out, err = io.BytesIO(), io.BytesIO()
            # Kept referenced: a collected wrapper closes its buffer.
            streams = (io.TextIOWrapper(out, encoding=encoding, write_through=True),
                       io.TextIOWrapper(err, encoding=encoding, write_through=True))
            sys.stdout, sys.stderr = streams
            try:
                main([*args, "--help"])
                code = 0
            except SystemExit as exc:
                code = exc.code
            finally:
                sys.stdout, sys.stderr = real
            text = out.getvalue().decode(encoding)
            helps[" ".join(args)] = [code, text.startswith("Usage: cardtool"),
                                     err.getvalue().decode(encoding)]
        print(json.dumps({"modules": len(names), "failed": failed, "helps": helps}))
    """)
    for encoding in ENCODINGS:
        done = subprocess.run([sys.executable, "-c", walk, encoding], capture_output=True,
                              text=True, timeout=300, cwd=tmp_path,
                              env=_env(tmp_path, "utf-8", "ja_JP.UTF-8"))
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["modules"] > 100 and report["failed"] == {}, report["failed"]
        helps = report["helps"]
        assert {"read", "office", "register export", "serve", "trace check"} <= set(helps)
        bad = {args: result for args, result in helps.items() if result[:2] != [0, True]}
        assert bad == {}, (encoding, bad)


def _auth_certificate_span(dash: str) -> str:
    """The default virtual card's authentication certificate validity as `read` prints it.
    Its dates follow today's date in JST (the persona says how many days are left), so they
    are taken from the card, never written here."""
    card = make_card(None)
    der = card.dfs[ids.JPKI_AID].files[ids.JpkiEF.AUTH_CERT].data
    info = parse_certificate(der)
    return f"{info.not_before.date().isoformat()}{dash}{info.not_after.date().isoformat()}"


@pytest.mark.parametrize(("encoding", "lang", "words"), [
    ("cp932", "ja_JP.UTF-8", ["カード種別", "マイナンバーカード", _auth_certificate_span(" - ")]),
    ("cp1252", "en_US.UTF-8", ["My Number card", _auth_certificate_span(" – ")]),
    # A Japanese user whose output goes to a cp1252 file: English (Japanese would be "???").
    ("cp1252", "ja_JP.UTF-8", ["My Number card", "Card expiry"]),
    # ... unless Japanese is asked for: kept, and what cp1252 lacks is replaced.
    ("cp1252", "--lang=ja", ["?????:", _auth_certificate_span(" – ")]),
])
def test_read_virtual_on_a_legacy_code_page(tmp_path: Path, encoding: str, lang: str,
                                            words: list[str]) -> None:
    flags = [lang] if lang.startswith("--") else []
    code, out, err = _windowsish(tmp_path, encoding, *flags, "read", "--virtual", "mynumber",
                                 lang="ja_JP.UTF-8" if flags else lang)
    assert code == 0, err
    for word in words:
        assert word in out, out
    assert err == ""


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_json_stays_valid_and_complete(tmp_path: Path, encoding: str) -> None:
    code, out, err = _windowsish(tmp_path, encoding, "read", "--virtual", "residence2",
                                 "--json", lang="ja_JP.UTF-8",
                                 extra_env={"CARDTOOL_CARD_NUMBER": "AB98765432CD"})
    assert code == 0, err
    assert out.isascii()  # escaped: valid JSON in any code page, nothing replaced
    facts = json.loads(out)
    assert facts["kind"].startswith("residence")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_register_round_trip(tmp_path: Path, encoding: str) -> None:
    """``office --db --csv`` (the CSV locked without fcntl, the register opened without
    statvfs), then ``register export`` to a file and to stdout."""
    db = tmp_path / "office data" / "register.sqlite3"
    db.parent.mkdir()
    report = tmp_path / "office.csv"
    code, out, err = _windowsish(
        tmp_path, encoding, "office", "--virtual", "mynumber",
        "--virtual", "mynumber:office-renewed-mynumber", "--db", f"sqlite:///{db}",
        "--csv", str(report), "--desk", "desk-1", stdin="A-1\nA-2\n", lang="ja_JP.UTF-8")
    assert code == 0, err
    assert str(report) in err and "A-2" in out
    rows = list(csv.DictReader(io.StringIO(report.read_bytes().decode("utf-8-sig"))))
    # A client's row is appended again when completed: the last row of each "no" counts.
    assert list({r["no"]: r["reference"] for r in rows}.values()) == ["A-1", "A-2"]

    exported = tmp_path / "deadlines.csv"
    code, out, err = _windowsish(tmp_path, encoding, "register", "export", "--db", str(db),
                                 "--csv", str(exported), lang="ja_JP.UTF-8")
    assert code == 0, err
    assert str(exported) in out
    deadlines = list(csv.DictReader(io.StringIO(exported.read_bytes().decode("utf-8-sig"))))
    assert sorted({r["reference"] for r in deadlines}) == ["A-1", "A-2"]
    # Japanese actions survive: the export is UTF-8 whatever the console's code page.
    assert any("マイナンバーカード" in r["action_ja"] for r in deadlines)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_errors_are_one_line_not_exit_70(tmp_path: Path, encoding: str) -> None:
    """Bad input on a legacy code page: a missing register folder and a register that is
    not a database, each one line and its documented exit code."""
    from cardtool.errors import EXIT_REGISTER

    missing = tmp_path / "no such folder" / "register.sqlite3"
    code, _out, err = _windowsish(tmp_path, encoding, "register", "export", "--db",
                                  str(missing), "--csv", "-", lang="ja_JP.UTF-8")
    assert code == EXIT_REGISTER and code != EXIT_INTERNAL, err
    assert len(err.strip().splitlines()) == 1, err
    not_a_db = tmp_path / "notes.sqlite3"
    not_a_db.write_bytes(b"these are notes, not a database\n" * 100)
    code, _out, err = _windowsish(tmp_path, encoding, "register", "export", "--db",
                                  str(not_a_db), "--csv", "-", lang="ja_JP.UTF-8")
    assert code == EXIT_REGISTER, err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(("encoding", "lang", "index"), [
    ("cp932", "ja_JP.UTF-8", 1), ("cp1252", "ja_JP.UTF-8", 0), ("cp1252", "en_US.UTF-8", 0)])
def test_no_pcsc_service_is_one_line_naming_this_os_service(tmp_path: Path, encoding: str,
                                                            lang: str, index: int) -> None:
    """pcscd not running (its socket absent): exit 2, one line with this OS's advice, in
    Japanese where the code page shows it and in English where it cannot (cp1252)."""
    from apdu.errors import EXIT_NO_READER
    from apdu.pcsc_service import service_hint

    code, out, err = _windowsish(tmp_path, encoding, "read", lang=lang,
                                 extra_env={"PCSCLITE_CSOCK_NAME": str(tmp_path / "none")})
    assert code == EXIT_NO_READER, err
    assert out == "" and len(err.strip().splitlines()) == 1, err
    assert service_hint().action[index] in err
