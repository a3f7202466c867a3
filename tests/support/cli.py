"""Run the real `cardtool` in a subprocess, as users and scripts do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def cli_env(lang: str = "C.UTF-8") -> dict[str, str]:
    """The environment of a `cardtool` process run by the tests: the checkout's modules,
    and the test session's pcscd socket and settings folder when it has them."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": lang,
           "PYTHONPATH": str(ROOT)}
    for key in ("PCSCLITE_CSOCK_NAME", "CARDTOOL_CONFIG_DIR"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def cardtool(*args: str, stdin: str | None = None, lang: str = "C.UTF-8",
             env: dict[str, str] | None = None, timeout: float = 60
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cardtool", *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout,
                          env={**cli_env(lang), **(env or {})}, cwd=ROOT)


#: ``python -c MODULES_PROBE LISTING ARGS...``: the CLI run with ARGS, and at its exit (also
#: after sys.exit) every module the process imported, one a line, in the file LISTING.
MODULES_PROBE = """\
import atexit, sys
from pathlib import Path
out = Path(sys.argv.pop(1))
atexit.register(lambda: out.write_text("\\n".join(sorted(sys.modules))))
from cardtool.cli import main
main(sys.argv[1:])
"""


def cardtool_modules(listing: Path, *args: str, stdin: str | None = None
                     ) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Every module a fresh `cardtool ARGS` process imported (written to ``listing``; the
    run must succeed), and the process: what a command loads at start and on its way."""
    out = subprocess.run([sys.executable, "-c", MODULES_PROBE, str(listing), *args],
                         input=stdin, capture_output=True, text=True, timeout=60,
                         env=cli_env(), cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return set(listing.read_text().split()), out


def python_code(code: str, env: dict[str, str], timeout: float = 60
                ) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh Python process run from the checkout with ``env`` (add
    ``PYTHONPATH``: the checkout's modules come first): what a module imports at start,
    or how it behaves in a process of its own."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)})


def cardtool_json(*args: str, stdin: str | None = None) -> Any:
    out = cardtool(*args, "--json", stdin=stdin)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    """The error must be exactly one line on stderr, without a traceback."""
    lines = out.stderr.strip().splitlines()
    assert "Traceback" not in out.stderr, out.stderr
    assert len(lines) == 1, out.stderr
    return lines[0]
