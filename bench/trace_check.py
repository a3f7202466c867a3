"""How fast is ``cardtool trace check``? One run, one corpus (made by ``bench.make_corpus``).

Prints, for the same files:

* the floor: reading every file and splitting it into lines, nothing else (as text, the
  way a line-based checker reads; also shown as bytes without decoding);
* ``cardtool trace check`` on one process and with ``--jobs 2``, run as the real command
  (its own timing, which starts before it looks for the files, and the wall time with
  Python's start-up), and on one process without the C line scanner (the fall back when
  no C compiler was there at install);
* the plain reference checker (``json.loads`` on every line), in this process;

then the ratios against the goals (within 3x of the floor on one process, at least 5x
faster than the plain checker), and whether all paths reported identical findings. Each
timing is the best of ``--repeat`` runs. Never part of the pass/fail suite.

    python -m bench.trace_check CORPUS [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cardtool.policy.check_run import check_files, collect_files

Row = tuple[object, ...]


def _best(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def floor(files: list[str]) -> int:
    lines = 0
    for path in files:
        with open(path, encoding="utf-8") as fh:
            lines += len(fh.read().splitlines())
    return lines


def floor_bytes(files: list[str]) -> int:
    lines = 0
    for path in files:
        with open(path, "rb") as fh:
            lines += len(fh.read().split(b"\n"))
    return lines


def plain(files: list[str]) -> tuple[int, list[Row]]:
    exchanges = 0
    found: list[Row] = []
    for report in check_files(files, plain=True):
        exchanges += report.exchanges
        found += [(f.path, f.exchange, f.rule, f.key or None, f.detail or None)
                  for f in report.findings]
    return exchanges, found


def cli(corpus: str, jobs: int, c_scanner: bool = True) -> tuple[float, float, int, list[Row]]:
    """(checking seconds as the command measured them, wall seconds, exchanges, findings)"""
    env = dict(os.environ)
    env.pop("CARDTOOL_NO_C_SCANNER", None)
    if not c_scanner:
        env["CARDTOOL_NO_C_SCANNER"] = "1"
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "cardtool", "trace", "check", "--json",
                          "--jobs", str(jobs), corpus],
                         capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - started
    if out.returncode not in (0, 5, 6):
        raise SystemExit(f"trace check failed ({out.returncode}): {out.stderr}")
    report = json.loads(out.stdout)
    found = [(f["path"], f["exchange"], f["rule"], f["key"], f["detail"])
             for f in report["findings"]]
    return report["seconds"], wall, report["exchanges"], found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", help="a directory made by python -m bench.make_corpus")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)
    corpus = args.corpus
    files = collect_files([corpus])
    size = sum(os.path.getsize(p) for p in files)
    floor(files)  # bring the files into the page cache before anything is timed

    floor_s, lines = _best(args.repeat, lambda: floor(files))
    floor_bytes_s, _ = _best(args.repeat, lambda: floor_bytes(files))
    j1 = min((cli(corpus, 1) for _ in range(args.repeat)), key=lambda r: r[0])
    j2 = min((cli(corpus, 2) for _ in range(args.repeat)), key=lambda r: r[0])
    py = min((cli(corpus, 1, c_scanner=False) for _ in range(args.repeat)), key=lambda r: r[0])
    plain_s, (plain_exchanges, plain_found) = _best(max(1, args.repeat - 1),
                                                    lambda: plain(files))
    exchanges = j1[2]

    def rate(seconds: float) -> str:
        return f"{exchanges / seconds:>12,.0f} exchanges/s"

    print(f"corpus {Path(corpus).resolve()}: {len(files)} files, {exchanges:,} exchanges, "
          f"{lines:,} lines, {size / 1e6:.1f} MB (best of {args.repeat} runs)")
    print(f"  floor (read + split into lines)  {floor_s:8.3f} s {rate(floor_s)}")
    print(f"    the same as bytes, no decoding {floor_bytes_s:8.3f} s {rate(floor_bytes_s)}")
    print(f"  trace check, 1 process           {j1[0]:8.3f} s {rate(j1[0])}"
          f"   (wall {j1[1]:.2f} s with start-up)")
    print(f"  trace check, --jobs 2            {j2[0]:8.3f} s {rate(j2[0])}"
          f"   (wall {j2[1]:.2f} s with start-up)")
    print(f"  the same, Python line scanner    {py[0]:8.3f} s {rate(py[0])}"
          f"   (no C scanner: CARDTOOL_NO_C_SCANNER=1; {py[0] / floor_s:.2f}x the floor)")
    print(f"  plain reference, 1 process       {plain_s:8.3f} s {rate(plain_s)}")
    print(f"  check / floor      {j1[0] / floor_s:6.2f}x   (goal: at most 3x; "
          f"{j1[0] / floor_bytes_s:.2f}x the bytes floor)")
    print(f"  plain / check      {plain_s / j1[0]:6.2f}x   (goal: at least 5x)")
    print(f"  jobs 1 / jobs 2    {j1[0] / j2[0]:6.2f}x")
    same = (j1[3] == j2[3] == py[3] == plain_found
            and j1[2] == j2[2] == py[2] == plain_exchanges)
    print(f"  identical findings on all paths: {'yes' if same else 'NO'} "
          f"({len(j1[3])} findings)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
