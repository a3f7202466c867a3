"""First contact is fast and a plain install runs: `cardtool --help` imports no command,
`cardtool COMMAND --help` none of the optional extras; the declared one-line helps are the
commands' own; a missing extra is one line naming it (exit 2), never an internal error.

Checked on ``sys.modules`` of a real CLI run in a fresh interpreter; a missing extra is
simulated by hiding its modules (``sys.modules[name] = None``: import fails and
``importlib.util.find_spec`` finds nothing, as on a plain install)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cardtool.cli import COMMAND_HELP, cli, load_command
from cardtool.errors import EXIT_MISSING_EXTRA
from cardtool.install import DISTRIBUTION, EXTRA_MODULES
from tests.support.cli import ROOT

#: Runs the CLI with some modules hidden and prints, after its exit, the modules it loaded.
PROBE = """\
import atexit, json, sys
hidden, args = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for name in hidden:
    sys.modules[name] = None
atexit.register(lambda: sys.__stderr__.write(
    "\\nMODULES " + json.dumps(sorted(m for m, v in sys.modules.items() if v is not None))))
from cardtool.cli import main
main(args)
"""

#: What no --help may load: the office extras, the OCR engine, and (top-level --help) the
#: card code with its cryptography, the PC/SC binding and the image library.
EXTRAS = {m for modules in EXTRA_MODULES.values() for m in modules}
CARD_CODE = ("cryptography", "PIL", "smartcard", "cardtool.cards", "cardtool.services",
             "cardtool.virtual", "cardtool.register", "cardtool.desk", "cardtool.policy",
             "cardtool.trust", "apdu.session", "apdu.importers", "apdu.trace")


def run(*args: str, hidden: tuple[str, ...] = (), stdin: str = ""
        ) -> tuple[int, str, str, set[str]]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(hidden)),
                          json.dumps(list(args))], capture_output=True, text=True,
                         timeout=60, env=env, cwd=ROOT, input=stdin)
    stderr, _, listing = out.stderr.rpartition("\nMODULES ")
    return out.returncode, out.stdout, stderr, set(json.loads(listing))


def within(modules: set[str], packages: tuple[str, ...] | set[str]) -> set[str]:
    return {m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)}


def test_help_imports_no_command() -> None:
    code, stdout, _, modules = run("--help")
    assert code == 0
    for name in COMMAND_HELP:
        assert f"  {name} " in stdout
    assert within(modules, EXTRAS) == set()
    assert within(modules, CARD_CODE) == set()
    assert not any(m.startswith("cardtool.cli.") and m != "cardtool.cli.util" for m in modules)


@pytest.mark.parametrize("command", sorted(COMMAND_HELP))
def test_a_commands_help_imports_no_extra(command: str) -> None:
    code, stdout, stderr, modules = run(command, "--help")
    assert code == 0, stderr
    assert stdout.startswith(f"Usage: cardtool {command}")
    assert within(modules, EXTRAS) == set()


@pytest.mark.parametrize("command", ["read", "expiry", "office", "serve", "register", "readers",
                                     "apdu", "emulate"])
def test_these_helps_load_no_card_code(command: str) -> None:
    _, _, _, modules = run(command, "--help")
    assert within(modules, ("cryptography.x509", "cardtool.cards", "cardtool.register",
                            "cardtool.desk", "cardtool.services.read")) == set()


def test_trace_help_loads_no_trace_reader_or_checker() -> None:
    _, _, _, modules = run("trace", "check", "--help")
    assert within(modules, ("apdu.importers", "apdu.trace", "cardtool.policy.check_run",
                            "cardtool.policy.check", "cryptography")) == set()


def test_the_declared_lines_are_the_commands_own() -> None:
    """The top-level --help shows COMMAND_HELP; each must be its command's first sentence,
    as click would shorten it at any width (a changed docstring fails here)."""
    for name, declared in COMMAND_HELP.items():
        command = load_command(name)
        assert command is not None
        stand_in = type(command)(name, help=declared)
        for limit in (30, 45, 66, 200):
            assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), name
    eager = CliRunner().invoke(cli, ["--help"], terminal_width=80).output
    assert all(COMMAND_HELP[n].split(" ")[0] in eager for n in COMMAND_HELP)


HINT = f"pip install '{DISTRIBUTION}[office]'"


@pytest.mark.parametrize("args", [
    ("register", "export", "--csv", "deadlines.csv"),
    ("register", "backup", "copy.sqlite3"),
    ("serve", "--no-browser", "--virtual", "mynumber"),
    ("office", "--virtual", "mynumber", "--db", "register.sqlite3"),
])
def test_without_the_office_extra_one_line_names_it(args: tuple[str, ...], tmp_path: Path
                                                    ) -> None:
    target = [str(tmp_path / a) if a.endswith((".csv", ".sqlite3")) else a for a in args]
    code, _, stderr, _ = run(*target, hidden=tuple(EXTRA_MODULES["office"]))
    assert code == EXIT_MISSING_EXTRA == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and HINT in lines[0] and "Traceback" not in stderr, stderr
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_without_the_office_extra_the_card_commands_run() -> None:
    hidden = tuple(EXTRA_MODULES["office"]) + tuple(EXTRA_MODULES["pg"])
    for args in (("read", "--virtual", "mynumber"), ("expiry", "--virtual", "mynumber")):
        code, stdout, stderr, modules = run(*args, hidden=hidden)
        assert code == 0, stderr
        assert "2033" in stdout or "days left" in stdout
        assert within(modules, EXTRAS) == set()


def test_an_import_of_an_extra_nothing_checked_first_is_still_the_hint() -> None:
    """The safety net in main(): a ModuleNotFoundError of an extra's module is the hint."""
    code, _, stderr, _ = run("--lang", "ja", "register", "export", "--csv", "x.csv",
                             hidden=("sqlalchemy",))
    assert code == 2 and "cardtool-jp[office]" in stderr and len(stderr.strip().splitlines()) == 1


def test_postgresql_without_its_driver_names_the_pg_extra() -> None:
    pytest.importorskip("sqlalchemy")
    code, _, stderr, _ = run("register", "export", "--csv", "x.csv",
                             "--db", "postgresql://nobody@127.0.0.1:1/none", hidden=("psycopg",))
    assert code == 2, stderr
    line, = stderr.strip().splitlines()
    assert f"pip install '{DISTRIBUTION}[office,pg]'" in line and "PostgreSQL" in line
