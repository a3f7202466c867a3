#!/usr/bin/env python3
"""Record the fixture traces in fixtures/traces/ from the virtual cards, through the real
CLI, with the default redaction (secrets and personal values removed). Synthetic data only.

    .venv/bin/python scripts/make_fixture_traces.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "fixtures" / "traces"

# (file, cardtool arguments, stdin)
SESSIONS: list[tuple[str, list[str], str | None]] = [
    ("mynumber-read.jsonl", ["read", "--virtual", "mynumber"], None),
    ("mynumber-read-expired.jsonl", ["read", "--virtual", "mynumber:expired"], None),
    ("mynumber-read-blocked.jsonl", ["read", "--virtual", "mynumber:blocked"], None),
    ("mynumber-read-under15.jsonl", ["read", "--virtual", "mynumber:under15"], None),
    ("mynumber-pin-status.jsonl", ["pin", "status", "--virtual", "mynumber"], None),
    ("mynumber-cert-auth.jsonl", ["cert", "auth", "--out", "-", "--virtual", "mynumber"], None),
    ("mynumber-text.jsonl", ["read", "--text", "--pin-stdin", "--virtual", "mynumber"], "5678\n"),
    ("mynumber-face-a.jsonl", ["read", "--face", "--face-key", "a", "--pin-stdin", "--virtual",
                               "mynumber"], "123456789018\n"),
]


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, args, stdin in SESSIONS:
        path = OUT / name
        result = subprocess.run([sys.executable, "-m", "cardtool", *args, "--record", str(path)],
                                input=stdin.encode() if stdin else None, capture_output=True,
                                cwd=ROOT)
        if result.returncode != 0:
            print(f"{name}: {result.stderr.decode().strip()}", file=sys.stderr)
            return 1
        print("recorded", path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
