"""What users install is what we test: scripts/installed-smoke.sh --quick builds the wheel
from this tree, installs it into a fresh virtual environment outside the tree (no extra)
and runs the card commands and the missing-extra hints from a directory with no checkout.
The full run (sdist without a compiler, every extra, pcscd + OpenSC, the desk, the pytest
plugin's example) is CI's (.ci/run). Needs the network or pip's cache for dependencies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_installed_wheel_works_outside_the_tree() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(["bash", str(ROOT / "scripts" / "installed-smoke.sh"), "--quick",
                          "--python", sys.executable], capture_output=True, text=True,
                         timeout=1200, env=env, cwd="/")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "smoke (quick): every check passed" in out.stdout
    assert "ok: wheel-plain: cardtool from " in out.stdout
