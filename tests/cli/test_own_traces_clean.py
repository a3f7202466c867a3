"""What cardtool itself records is clean: traces of its commands on the virtual My Number
card (and the committed fixture traces, when there are any) pass ``trace check``; the
same sessions recorded with --no-redact are flagged for the secrets they hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CARDTOOL = [sys.executable, "-m", "cardtool"]

# (arguments after the source options, standard input: the secrets in the order asked)
SESSIONS = [
    (["read", "--json"], ""),
    (["read", "--text", "--face", "--sign-cert", "--pin-stdin", "--json"],
     "TEST2026\n5678\n{number_b}\n"),
    (["pin", "status", "--json"], ""),
    (["pin", "verify", "auth", "--pin-stdin"], "1234\n"),
    (["pin", "verify", "juki", "--app", "common", "--pin-stdin"], "2468\n"),
    (["sign", "--key", "auth", "--pin-stdin", "{document}"], "1234\n"),
    (["cert", "sign", "--out", "{cert}", "--pin-stdin"], "TEST2026\n"),
]


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CARDTOOL, *args], capture_output=True, text=True, timeout=120,
                          input=stdin, env={"PATH": "/usr/bin:/bin", "LANG": "C"})


def _number_b() -> str:
    from cardtool.virtual import make_virtual_card
    from cardtool.virtual.mynumber import VirtualMyNumberCard

    card = make_virtual_card("mynumber")
    assert isinstance(card, VirtualMyNumberCard)
    return card.collation_b


@pytest.mark.parametrize("redact", [True, False])
def test_cardtools_own_traces(tmp_path: Path, redact: bool) -> None:
    document = tmp_path / "doc.txt"
    document.write_text("synthetic document\n")
    values = {"number_b": _number_b(), "document": str(document),
              "cert": str(tmp_path / "sign.der")}
    traces = []
    for i, (args, stdin) in enumerate(SESSIONS):
        trace = tmp_path / f"session-{i}.jsonl"
        extra = [] if redact else ["--no-redact"]
        out = run("--virtual", "mynumber", "--record", str(trace), *extra,
                  *[a.format(**values) for a in args], stdin=stdin.format(**values))
        assert out.returncode == 0, (args, out.stderr)
        traces.append(trace)
    out = run("trace", "check", "--json", *map(str, traces))
    report = json.loads(out.stdout)
    if redact:
        assert out.returncode == 0, report["findings"]
        assert report["files"] == len(SESSIONS) and report["exchanges"] > 50
    else:
        assert out.returncode == 5
        rules = {f["rule"] for f in report["findings"]}
        assert rules == {"secret-unredacted", "my-number-visible"}


def test_committed_fixture_traces_are_clean() -> None:
    directory = Path(__file__).resolve().parents[2] / "fixtures" / "traces"
    assert any(directory.iterdir())
    out = run("trace", "check", "--json", str(directory))
    assert out.returncode == 0, out.stdout
