#!/usr/bin/env python3
"""Start-up time of the first thing a new user types: `cardtool --help` and a few
`cardtool COMMAND --help`, against `python -c "import click"` (the floor: the CLI library
alone), each the median of --runs fresh processes, run interleaved so that a busy machine
weighs on every row alike. Prints times and ratios from one run; the goal is <= 1.5x.

    .venv/bin/python bench/cli_startup.py [--runs 7] [--cardtool PATH]

Runs the `cardtool` console script next to this interpreter (an installed package; in the
repository's editable install it pays for the editable finder too), from a temporary
directory, with PYTHONPATH unset.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: (label, argv after the interpreter or the script); the first row is the floor.
ROWS: list[tuple[str, list[str]]] = [
    ('python -c "import click"', ["-c", "import click"]),
    ("cardtool --help", ["--help"]),
    ("cardtool read --help", ["read", "--help"]),
    ("cardtool expiry --help", ["expiry", "--help"]),
    ("cardtool serve --help", ["serve", "--help"]),
    ("cardtool trace --help", ["trace", "--help"]),
]


def script_path(given: str | None) -> list[str]:
    if given:
        return [given]
    beside = Path(sys.executable).with_name("cardtool.exe" if os.name == "nt" else "cardtool")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "cardtool"]


def once(argv: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cardtool", help="the cardtool script (default: next to python)")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs: at least 5 (a median of fewer says little)")
    cardtool = script_path(args.cardtool)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["LANG"] = env.get("LANG", "C.UTF-8")
    commands = [[sys.executable, *argv] if i == 0 else [*cardtool, *argv]
                for i, (_, argv) in enumerate(ROWS)]
    times: list[list[float]] = [[] for _ in ROWS]
    with tempfile.TemporaryDirectory() as cwd:
        for command in commands:  # warm the file cache once, not measured
            once(command, cwd, env)
        for _ in range(args.runs):
            for i, command in enumerate(commands):
                times[i].append(once(command, cwd, env))
    medians = [statistics.median(t) for t in times]
    floor = medians[0]
    print(f"median of {args.runs} runs each ({' '.join(cardtool)})")
    for (label, _), median in zip(ROWS, medians, strict=True):
        print(f"  {label:28s} {median * 1000:7.1f} ms  {median / floor:5.2f}x")


if __name__ == "__main__":
    main()
