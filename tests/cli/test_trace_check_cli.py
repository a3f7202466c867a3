"""``cardtool trace check`` end to end in a subprocess: a seeded corpus with planted
violations reports exactly them (count and positions), on one process, on two and with the
reference checker; exit codes 0/5/6; --json; --ignore; torn and broken files are reported
and the run goes on; imported formats."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.make_corpus import make_corpus
from cardtool.policy.check_run import check_files, collect_files
from tests.support.traces import JPKI, TraceBuilder, redacted, select_aid, verify

CARDTOOL = [sys.executable, "-m", "cardtool"]
DATA = Path(__file__).resolve().parents[1] / "data" / "importers"


def run(*args: str, lang: str = "C") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CARDTOOL, *args], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "LANG": lang})


def cli_json(*args: str) -> tuple[int, dict[str, Any]]:
    out = run("trace", "check", "--json", *args)
    assert out.returncode in (0, 5, 6), out.stderr
    return out.returncode, json.loads(out.stdout)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("corpus")
    manifest = make_corpus(root, 70, seed=11, violation_rate=0.6)
    return root, manifest


def _planted(manifest: dict[str, Any], root: Path) -> list[dict[str, Any]]:
    return [{**p, "path": str(root / p["path"])} for p in manifest["planted"]]


def _matches(finding: dict[str, Any], planted: dict[str, Any]) -> bool:
    if (finding["path"], finding["exchange"], finding["rule"], finding["key"] or "") != (
            planted["path"], planted["exchange"], planted["rule"], planted["key"]):
        return False
    detail = finding["detail"] or ""
    if planted["detail"] is not None and detail != planted["detail"]:
        return False
    return planted["detail_prefix"] is None or detail.startswith(planted["detail_prefix"])


def _assert_exactly_planted(findings: list[dict[str, Any]], planted: list[dict[str, Any]]) -> None:
    assert len(findings) == len(planted)
    unmatched = list(planted)
    for finding in findings:
        match = next((p for p in unmatched if _matches(finding, p)), None)
        assert match is not None, f"not planted: {finding}"
        unmatched.remove(match)
    assert not unmatched


def test_the_corpus_has_every_kind_of_planted_violation(corpus: tuple[Path, dict[str, Any]]) -> None:
    _root, manifest = corpus
    planted_rules = {p["rule"] for p in manifest["planted"]}
    assert {"pin-format", "blind-verify", "last-try", "key-blocked", "secret-unredacted",
            "trace-torn", "trace-unreadable"} <= planted_rules
    assert manifest["exchanges"] > 2000


def test_checker_reports_exactly_the_planted_findings(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    files = collect_files([str(root)])
    assert len(files) == 70
    for plain in (False, True):
        findings = [f.to_json() for report in check_files(files, plain=plain)
                    for f in report.findings]
        _assert_exactly_planted(findings, _planted(manifest, root))


def test_cli_one_process_two_processes_and_reference_agree(
        corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    code1, one = cli_json(str(root))
    code2, two = cli_json("--jobs", "2", str(root))
    code3, ref = cli_json("--reference", str(root))
    assert code1 == code2 == code3 == 6  # a broken trace is planted
    assert one["findings"] == two["findings"] == ref["findings"]
    assert one["exchanges"] == two["exchanges"] == ref["exchanges"]
    assert one["files"] == 70 and one["exit_code"] == 6
    _assert_exactly_planted(one["findings"], _planted(manifest, root))
    assert sum(one["summary"].values()) == len(manifest["planted"])
    assert all(f["explanation"] for f in one["findings"])


def _trace(tmp_path: Path, name: str, builder: TraceBuilder, *, newline: bool = True) -> Path:
    path = tmp_path / name
    path.write_bytes(builder.data(final_newline=newline))
    return path


def _clean() -> TraceBuilder:
    t = TraceBuilder()
    t.ex(select_aid(JPKI), "9000")
    t.ex(verify(0x98), "63C3")
    t.ex(verify(0x98, redacted(4)), "9000", ("secret",))
    return t


def _blind() -> TraceBuilder:
    t = TraceBuilder()
    t.ex(select_aid(JPKI), "9000")
    t.ex(verify(0x98, redacted(4)), "9000", ("secret",))
    return t


def test_exit_codes(tmp_path: Path) -> None:
    clean = _trace(tmp_path, "clean.jsonl", _clean())
    blind = _trace(tmp_path, "blind.jsonl", _blind())
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"format":"cardtool-trace","version":1,"atr":"","redactions":[]}\nnope\n')
    out = run("trace", "check", str(clean))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No findings." in out.stdout
    out = run("trace", "check", str(clean), str(blind))
    assert out.returncode == 5
    assert f"{blind}:#2: warning blind-verify auth/jpki: " in out.stdout
    out = run("trace", "check", str(broken), str(blind), str(clean))
    assert out.returncode == 6
    assert f"{broken}: error trace-unreadable (line 2: not JSON" in out.stdout
    assert f"{blind}:#2:" in out.stdout  # the run went on after the broken file
    assert "3 files" in out.stdout and "1 unreadable" in out.stdout
    assert out.stderr == ""  # no progress bar when stderr is not a terminal


def test_torn_trace_is_a_finding_and_the_run_goes_on(tmp_path: Path) -> None:
    t = _clean()
    t.raw('{"type":"exchange","n":4,"comm')
    torn = _trace(tmp_path, "torn.jsonl", t, newline=False)
    blind = _trace(tmp_path, "blind.jsonl", _blind())
    code, report = cli_json(str(tmp_path))
    assert code == 5
    assert [(Path(f["path"]).name, f["rule"], f["detail"]) for f in report["findings"]] == [
        ("blind.jsonl", "blind-verify", None), ("torn.jsonl", "trace-torn", "line 5")]
    assert report["exchanges"] == 3 + 2
    del torn, blind


def test_ignore(tmp_path: Path) -> None:
    blind = _trace(tmp_path, "blind.jsonl", _blind())
    out = run("trace", "check", "--ignore", "blind-verify", str(blind))
    assert out.returncode == 0, out.stdout
    code, report = cli_json("--ignore", "blind-verify", "--ignore", "pin-format", str(blind))
    assert code == 0 and report["findings"] == [] and report["ignored"] == [
        "blind-verify", "pin-format"]
    out = run("trace", "check", "--ignore", "no-such-rule", str(blind))
    assert out.returncode == 1 and "Unknown rule 'no-such-rule'" in out.stderr
    out = run("trace", "check", "--ignore", "trace-unreadable", str(blind))
    assert out.returncode == 1 and "cannot be ignored" in out.stderr


def test_japanese_output(tmp_path: Path) -> None:
    blind = _trace(tmp_path, "blind.jsonl", _blind())
    out = run("--lang", "ja", "trace", "check", str(blind))
    assert out.returncode == 5
    assert "残り試行回数を確認せずに" in out.stdout and "ファイル" in out.stdout


def test_directory_without_traces_is_a_usage_error(tmp_path: Path) -> None:
    out = run("trace", "check", str(tmp_path))
    assert out.returncode == 1 and "No trace files" in out.stderr


def test_imported_formats_through_the_cli(tmp_path: Path) -> None:
    for name in ("mynumber-session.dump", "session-raw.spy", "broken.dump", "torn.dump"):
        shutil.copy(DATA / name, tmp_path / name)
    code, report = cli_json(str(tmp_path))
    assert code == 6  # broken.dump
    got = [(Path(f["path"]).name, f["exchange"], f["rule"]) for f in report["findings"]]
    assert got == [("broken.dump", None, "trace-unreadable"),
                   ("mynumber-session.dump", 3, "secret-unredacted"),
                   ("session-raw.spy", 3, "secret-unredacted"),
                   ("session-raw.spy", 4, "my-number-visible"),
                   ("torn.dump", None, "trace-torn")]
    code, report = cli_json("--ignore", "secret-unredacted", "--ignore", "my-number-visible",
                            "--ignore", "trace-torn", str(tmp_path / "session-raw.spy"),
                            str(tmp_path / "torn.dump"))
    assert code == 0 and report["exchanges"] == 4 + 2
