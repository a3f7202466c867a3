"""Every trace format everywhere, end to end in a subprocess: ``trace show``, ``trace check``
and ``--replay`` on one file of each foreign format (apdu4j, pcsc-spy, OpenSC), ``trace
import`` (redacted like recording), bad input as one line and exit 6, and the usage and
refusal errors of ``emulate --replay`` that need no pcscd."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apdu.trace import read_trace
from tests.support.cli import ROOT, cardtool, one_line_error

DATA = Path(__file__).resolve().parents[1] / "data" / "importers"

#: One file of each foreign format, and two commands of its session for --replay.
FOREIGN = {
    "mynumber-session.dump": ("apdu4j", ["00A4040C0AD392F000260100000001", "00200098"]),
    "session-raw.spy": ("pcsc-spy", ["00A4040C0AD3921000310001010408", "00200091"]),
    "session-opensc.log": ("opensc", ["00A4040007627601FF000000",
                                      "00A4040C0AD392F000260100000001", "00A4020C020018",
                                      "00200080"]),
}


@pytest.mark.parametrize("name", sorted(FOREIGN))
def test_show_check_and_replay_each_foreign_format(name: str) -> None:
    path = str(DATA / name)
    shown = cardtool("trace", "show", path)
    assert shown.returncode == 0, shown.stderr
    assert "SELECT" in shown.stdout and "VERIFY" in shown.stdout
    assert f"a {FOREIGN[name][0]} log, not redacted by the tool that wrote it" in shown.stdout
    as_json = cardtool("trace", "show", "--json", path)
    assert json.loads(as_json.stdout)["header"]["tool"] == FOREIGN[name][0]
    checked = cardtool("trace", "check", "--json", path)
    assert checked.returncode == 5, checked.stderr  # each holds an unredacted VERIFY
    assert "secret-unredacted" in json.loads(checked.stdout)["summary"]
    replayed = cardtool("--replay", path, "apdu", "--json", *FOREIGN[name][1])
    assert replayed.returncode == 0, replayed.stderr
    # a command the log does not hold there: a divergence naming the exchange, exit 6
    diverged = cardtool("--replay", path, "apdu", "00A4040C02DEAD")
    assert diverged.returncode == 6
    assert "at exchange 1" in one_line_error(diverged)


def test_import_converts_and_redacts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = [str(DATA / n) for n in sorted(FOREIGN)]
    done = cardtool("trace", "import", *files, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "mynumber-session.jsonl", "session-opensc.jsonl", "session-raw.jsonl"]
    for converted in out.iterdir():
        trace = read_trace(converted)
        assert trace.header["redactions"] == ["secrets", "personal"]
        assert "unredacted" not in trace.header
        verifies = [e["command"] for e in trace.exchanges() if e["command"][2:4] == "20"]
        assert verifies and all(len(c) == 8 or c[10:] == "X" * (len(c) - 10) for c in verifies)
    raw = read_trace(out / "session-raw.jsonl")
    # the My Number file (EF 0001 of the 券面入力補助AP) keeps its tag and length only
    assert [e["response"] for e in raw.exchanges()][3].startswith("FF100CXXXX")
    checked = cardtool("trace", "check", str(out))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # --no-redact keeps everything and says so
    kept = cardtool("trace", "import", str(DATA / "session-opensc.log"), "-o",
                    str(tmp_path / "kept"), "--no-redact")
    assert kept.returncode == 0 and "--no-redact" in kept.stderr
    assert read_trace(tmp_path / "kept" / "session-opensc.jsonl").header["unredacted"] is True


def test_an_imported_trace_replays_like_the_log(tmp_path: Path) -> None:
    cardtool("trace", "import", str(DATA / "session-opensc.log"), "-o", str(tmp_path))
    imported = cardtool("--replay", str(tmp_path / "session-opensc.jsonl"), "apdu", "--json",
                        *FOREIGN["session-opensc.log"][1])
    original = cardtool("--replay", str(DATA / "session-opensc.log"), "apdu", "--json",
                        *FOREIGN["session-opensc.log"][1])
    assert imported.returncode == original.returncode == 0
    first, second = json.loads(imported.stdout), json.loads(original.stdout)
    first.pop("source"), second.pop("source")
    assert first == second


@pytest.mark.parametrize(("name", "mangle", "line"), [
    ("session-opensc.log", lambda t: t.replace("30 82 04 22", "30 82 0G 22"), 90),
    ("session-opensc.log", lambda t: t[:t.index("30 82 04 22") + 11], 90),
    ("mynumber-session.dump", lambda t: t.replace("00200098\n", "0020009\n", 1), 11),
    ("session-raw.spy", lambda t: "\n".join(
        "garbage" if i == 5 else x for i, x in enumerate(t.splitlines())), 6),
])
def test_truncated_or_garbled_foreign_files_name_the_line(tmp_path: Path, name: str,
                                                          mangle: object, line: int) -> None:
    bad = tmp_path / name
    bad.write_text(mangle((DATA / name).read_text()))  # type: ignore[operator]
    for args in (["trace", "show", str(bad)], ["--replay", str(bad), "apdu", "00A40000"],
                 ["trace", "import", str(bad), "-o", str(tmp_path / "out")]):
        out = cardtool(*args)
        assert out.returncode == 6, (args, out.stdout, out.stderr)
        error = one_line_error(out)
        assert f"is malformed (line {line})" in error, error
    assert not (tmp_path / "out").exists()  # a bad file writes nothing


def test_a_truncated_opensc_log_ends_torn_not_broken(tmp_path: Path) -> None:
    text = (DATA / "session-opensc.log").read_text()
    cut = tmp_path / "cut.log"
    cut.write_text(text[:text.index("Incoming APDU (34 bytes)")])
    shown = cardtool("trace", "show", str(cut))
    assert shown.returncode == 0 and "cut off" in shown.stderr
    checked = cardtool("trace", "check", "--json", str(cut))
    assert "trace-torn" in json.loads(checked.stdout)["summary"]


def test_emulate_replay_refuses_sm_without_host_randomness(tmp_path: Path) -> None:
    source = ROOT / "fixtures/traces/residence2-read.jsonl"
    lines = [line for line in source.read_text().splitlines() if '"type":"random"' not in line]
    stripped = tmp_path / "no-random.jsonl"
    stripped.write_text("\n".join(lines) + "\n")
    for args in (["emulate", "--replay", str(stripped)],
                 ["--replay", str(stripped), "read", "--card-number-stdin"]):
        out = cardtool(*args, stdin="AB12345678CD\n")
        assert out.returncode == 6, out.stderr
        error = one_line_error(out)
        assert "secure messaging" in error and "host randomness" in error


def test_emulate_usage_errors(tmp_path: Path) -> None:
    trace = str(ROOT / "fixtures/traces/mynumber-read.jsonl")
    for args in (["emulate"], ["emulate", "mynumber", "--replay", trace],
                 ["emulate", "mynumber", "--match", "by-command"],
                 ["emulate", "--replay", trace, "--record", str(tmp_path / "x.jsonl")]):
        out = cardtool(*args)
        assert out.returncode == 1, (args, out.stderr)
        one_line_error(out)
    missing = cardtool("emulate", "--replay", str(tmp_path / "missing.jsonl"))
    assert missing.returncode == 6 and "file not found" in one_line_error(missing)


@pytest.mark.parametrize("args", [["mynumber"], ["--replay", "fixtures/traces/mynumber-read.jsonl"]])
def test_emulate_without_pcscd_is_exit_2_with_the_reason(args: list[str], tmp_path: Path) -> None:
    # Nothing listens on 127.0.0.1:35978 (slot 15: vpcd serves slots 0 and 1): refused.
    out = cardtool("emulate", *args, "--slot", "15", "--host", "127.0.0.1",
                   "--record" if args == ["mynumber"] else "--match",
                   str(tmp_path / "r.jsonl") if args == ["mynumber"] else "strict")
    assert out.returncode == 2, out.stderr
    assert "Cannot reach the vpcd driver" in one_line_error(out)
    assert not (tmp_path / "r.jsonl").exists()
