#!/usr/bin/env python3
"""Record the residence-card fixture traces in fixtures/traces/ from the virtual cards,
through the real CLI, with the default redaction. Synthetic data only.

The card number goes in on stdin (never argv) and is not in the trace: the VERIFY data is
redacted, and the SM traffic is ciphertext under keys that need the card number. Host
randomness (RND.IFD, K.IFD, the 特定 seeds) is in the trace, so a replay with the same card
number is byte-exact.

    .venv/bin/python scripts/make_residence_traces.py [FILE...]   # default: all
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "fixtures" / "traces"
PERSONAS = ROOT / "cardtool" / "virtual" / "personas"
ANCHORS = ["--trust-anchor", "cardtool/virtual/pki/residence1-ca-TEST.crt.pem",
           "--trust-anchor", "cardtool/virtual/pki/residence2-ca-TEST.crt.pem"]

# (file, virtual card, persona file for the card number, wrong number?, expected exit code)
SESSIONS: list[tuple[str, str, str, bool, int]] = [
    ("residence-read.jsonl", "residence", "residence-default", False, 0),
    ("residence-sp-read.jsonl", "residence:residence-sp", "residence-sp", False, 0),
    ("residence2-read.jsonl", "residence2", "residence2-default", False, 0),
    ("residence2-sp-read.jsonl", "residence2:residence2-sp", "residence2-sp", False, 0),
    ("residence2-wrong-number.jsonl", "residence2", "residence2-default", True, 4),
    ("specified-read.jsonl", "specified", "specified-default", False, 0),
    # Forged cards (authenticity: invalid exits 7, an unknown CA is unanchored).
    ("residence-forged-front.jsonl", "residence:residence-forged-front",
     "residence-forged-front", False, 7),
    ("residence-forged-ca.jsonl", "residence:residence-forged-ca", "residence-forged-ca",
     False, 0),
    ("residence2-forged-expiry.jsonl", "residence2:residence2-forged-expiry",
     "residence2-forged-expiry", False, 7),
    ("residence2-forged-ca.jsonl", "residence2:residence2-forged-ca", "residence2-forged-ca",
     False, 0),
]


def card_number(persona: str, wrong: bool) -> str:
    number: str = json.loads((PERSONAS / f"{persona}.json").read_text())["card_number"]
    return number[:-1] + ("Z" if number[-1] != "Z" else "Y") if wrong else number


def main() -> int:
    wanted = set(sys.argv[1:])
    unknown = wanted - {name for name, *_ in SESSIONS}
    if unknown:
        print(f"unknown trace(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    for name, virtual, persona, wrong, expected in SESSIONS:
        if wanted and name not in wanted:
            continue
        path = OUT / name
        args = [sys.executable, "-m", "cardtool", "read", "--virtual", virtual, *ANCHORS,
                "--card-number-stdin", "--record", str(path)]
        result = subprocess.run(args, input=card_number(persona, wrong) + "\n",
                                capture_output=True, text=True, cwd=ROOT)
        if result.returncode != expected:
            print(f"{name}: exit {result.returncode}: {result.stderr.strip()}", file=sys.stderr)
            return 1
        print("recorded", path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
