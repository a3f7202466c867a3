"""Run the real `cardtool` in a subprocess, as users and scripts do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def cardtool(*args: str, stdin: str | None = None, lang: str = "C.UTF-8",
             env: dict[str, str] | None = None, timeout: float = 60
             ) -> subprocess.CompletedProcess[str]:
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": lang,
                "PYTHONPATH": str(ROOT)}
    for key in ("PCSCLITE_CSOCK_NAME", "CARDTOOL_CONFIG_DIR"):
        if key in os.environ:
            full_env[key] = os.environ[key]
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "cardtool", *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=ROOT)


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
