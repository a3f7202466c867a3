"""The CLI skeleton end to end, in a subprocess (real argv, real exit codes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from apdu.session import Session
from apdu.transport.recording import RecordingTransport
from apdu.transport.virtual import VirtualTransport
from tests.support.scripted import EchoFileCard

CARDTOOL = [sys.executable, "-m", "cardtool"]


def run(*args: str, env_lang: str = "C") -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "LANG": env_lang}
    return subprocess.run([*CARDTOOL, *args], capture_output=True, text=True, timeout=60,
                          env=env)


@pytest.fixture()
def trace(tmp_path: Path) -> Path:
    path = tmp_path / "echo.jsonl"
    rec = RecordingTransport(VirtualTransport(EchoFileCard(300)), path, tool="test")
    s = Session(rec)
    s.select_df(EchoFileCard.AID)
    s.read_binary(300)
    rec.transmit(bytes.fromhex("0020008004") + b"1234")
    rec.close()
    return path


def test_apdu_from_replay(trace: Path) -> None:
    out = run("apdu", "--replay", str(trace), "00A4040C07F0010203040506", "00B0000000012C")
    assert out.returncode == 0, out.stderr
    assert "(SELECT)" in out.stdout and "success" in out.stdout


def test_replay_divergence_exit_6(trace: Path) -> None:
    out = run("apdu", "--replay", str(trace), "00A4040C07F0FFFFFFFFFFFF")
    assert out.returncode == 6
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "exchange 1" in lines[0] and "record a new trace" in lines[0]


def test_trace_show_names_commands_and_redacts(trace: Path) -> None:
    out = run("trace", "show", str(trace))
    assert out.returncode == 0, out.stderr
    assert "SELECT" in out.stdout and "READ BINARY" in out.stdout and "VERIFY" in out.stdout
    assert "XX XX XX XX" in out.stdout and "31 32 33 34" not in out.stdout
    out_ja = run("--lang", "ja", "trace", "show", str(trace))
    assert "正常終了" in out_ja.stdout
    as_json = json.loads(run("trace", "show", "--json", str(trace)).stdout)
    assert as_json["events"][0]["name"] == "SELECT"


def test_trace_show_torn_file_warns(trace: Path) -> None:
    text = trace.read_text()
    trace.write_text(text[:-10])
    out = run("trace", "show", str(trace))
    assert out.returncode == 0
    assert "cut off" in out.stderr


def test_trace_show_garbage_exit_6(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("hello\n")
    out = run("trace", "show", str(bad))
    assert out.returncode == 6 and "Traceback" not in out.stderr
    out = run("trace", "show", str(tmp_path / "missing.jsonl"), env_lang="ja_JP.UTF-8")
    assert out.returncode == 6 and "形式が不正" in out.stderr


def test_apdu_refuses_verify_with_data() -> None:
    out = run("apdu", "--replay", "/nonexistent", "002000800431323334")
    assert out.returncode == 1
    assert "cardtool pin verify" in out.stderr and "31323334" not in out.stderr


def test_apdu_bad_hex_is_usage_error() -> None:
    out = run("apdu", "--replay", "/nonexistent", "00A4XYZ")
    assert out.returncode == 1 and "hex" in out.stderr
    out = run("apdu", "--replay", "/nonexistent", "00A4040C05AA")
    assert out.returncode == 1 and "Lc 5" in out.stderr


def test_two_sources_is_usage_error(trace: Path) -> None:
    out = run("apdu", "--replay", str(trace), "--reader", "0", "00A4040C07F0010203040506")
    assert out.returncode == 1 and "one card source" in out.stderr


def test_unknown_option_exit_1() -> None:
    out = run("readers", "--bogus")
    assert out.returncode == 1 and "Traceback" not in out.stderr


def test_record_path_unwritable_is_clear(trace: Path) -> None:
    out = run("apdu", "--replay", str(trace), "--record", "/nonexistent/dir/t.jsonl",
              "00A4040C07F0010203040506")
    assert out.returncode == 6 and "cannot create" in out.stderr
