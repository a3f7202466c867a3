"""Through the real pcscd + vpcd, with other programs as the client: OpenSC's pkcs15-tool
recorded by ``emulate --record`` and served again by ``emulate --replay`` (identical output;
another command diverges with exit 6 and the exchange number); a pcsc-spy log of a
``cardtool read`` session replays to the same JSON; a slot in use is exit 2."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from apdu.trace import read_trace
from cardtool.virtual import make_virtual_card
from tests.support.pcsc import ROOT, emulated, emulator, served, vpcd_reader_name

pytestmark = pytest.mark.pcsc

CARDTOOL = [sys.executable, "-m", "cardtool"]
PKCS15 = ["pkcs15-tool", "--reader", vpcd_reader_name(0)]
SPY_LIBRARY = Path("/usr/lib/x86_64-linux-gnu/libpcscspy.so.0")
REAL_LIBRARY = Path("/usr/lib/x86_64-linux-gnu/libpcsclite.so.1")


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, **kwargs)  # type: ignore[call-overload]


def emulate(*args: str, slot: int = 0) -> AbstractContextManager[subprocess.Popen[str]]:
    """``cardtool emulate ARGS`` on ``slot``; the block may let it exit by itself."""
    return emulator(*args, slot=slot)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=10)
    return proc.returncode, err


@pytest.mark.skipif(shutil.which("pkcs15-tool") is None, reason="needs OpenSC's pkcs15-tool")
def test_opensc_recorded_then_replayed(tmp_path: Path) -> None:
    trace = tmp_path / "pkcs15.jsonl"
    command = [*PKCS15, "--read-certificate", "01", "--list-pins"]
    with emulate("mynumber", "--record", str(trace)) as proc:
        original = run(command)
        code, err = finish(proc)
    assert original.returncode == 0, original.stderr
    assert code == 0 and "recorded" in err, err
    assert "BEGIN CERTIFICATE" in original.stdout and "Tries left" in original.stdout
    recorded = read_trace(trace)
    assert recorded.header["redactions"] == ["secrets", "personal"]
    exchanges = sum(1 for _ in recorded.exchanges())
    assert exchanges > 10

    with emulate("--replay", str(trace)) as proc:
        replayed = run(command)
        code, err = finish(proc)
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == original.stdout
    assert code == 0 and f"served {exchanges} APDUs" in err, err

    with emulate("--replay", str(trace)) as proc:
        changed = run([*PKCS15, "--read-certificate", "02", "--list-pins"])
        proc.wait(timeout=15)  # the replay stops by itself at the divergence
        code, err = finish(proc)
    assert changed.returncode != 0
    assert code == 6, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "diverged" in lines[0] and "at exchange " in lines[0] and "expected " in lines[0]

    # by-command: the same answers whatever the order; the same output here
    with emulate("--replay", str(trace), "--match", "by-command") as proc:
        again = run(command)
        code, err = finish(proc)
    assert again.stdout == original.stdout and code == 0, err


def _spy_environment(tmp_path: Path) -> dict[str, str]:
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / "libpcsclite.so.1").symlink_to(SPY_LIBRARY)
    (libs / "libpcsclite_nospy.so.1").symlink_to(REAL_LIBRARY.resolve())
    (tmp_path / "pcsc-spy").touch()
    return {**os.environ, "HOME": str(tmp_path), "LD_LIBRARY_PATH": str(libs)}


@pytest.mark.skipif(not (SPY_LIBRARY.exists() and REAL_LIBRARY.exists()
                         and shutil.which("scriptor")),
                    reason="needs pcsc-lite's libpcscspy and pcsc-tools' scriptor")
def test_read_replay_of_an_imported_pcsc_spy_log_gives_the_same_json(tmp_path: Path) -> None:
    # A `cardtool read` session through the real pcscd, recorded unredacted...
    reader = vpcd_reader_name(0)
    recorded = tmp_path / "read.jsonl"
    with served(make_virtual_card("mynumber"), slot=0):
        first = run([*CARDTOOL, "--reader", reader, "read", "--json", "--record", str(recorded),
                     "--no-redact"])
    assert first.returncode == 0, first.stderr
    original = json.loads(first.stdout)
    # ...sent again under pcsc-lite's spy. pyscard cannot run under the spy of pcsc-lite
    # 1.9.9 (it passes no receive PCI, which the spy dereferences), so pcsc-tools' scriptor
    # sends the session's APDUs to the same virtual card: the log holds the exchanges of a
    # cardtool read, written by the spy itself.
    script = tmp_path / "session.txt"
    script.write_text("".join(
        " ".join(e["command"][i:i + 2] for i in range(0, len(e["command"]), 2)) + "\n"
        for e in read_trace(recorded).exchanges()))
    with served(make_virtual_card("mynumber"), slot=0):
        spied = subprocess.run(["scriptor", "-r", reader, str(script)], capture_output=True,
                               text=True, timeout=120, env=_spy_environment(tmp_path))
    assert spied.returncode == 0, spied.stdout + spied.stderr
    log = tmp_path / "session.spy"
    shutil.copy(tmp_path / "pcsc-spy", log)
    # `trace import` (redacted); scriptor never asks SCardStatus, so the log holds no ATR:
    # --atr gives it
    out = tmp_path / "imported"
    imported = run([*CARDTOOL, "trace", "import", str(log), "-o", str(out),
                    "--atr", read_trace(recorded).header["atr"]])
    assert imported.returncode == 0, imported.stderr
    assert "(pcsc-spy, " in imported.stdout
    again = run([*CARDTOOL, "--replay", str(out / "session.jsonl"), "read", "--json"])
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == original
    # the log itself replays too (the same JSON but for the ATR it does not hold)
    direct = run([*CARDTOOL, "--replay", str(log), "read", "--json"])
    assert direct.returncode == 0, direct.stderr
    assert {**json.loads(direct.stdout), "atr": original["atr"]} == original


def test_a_slot_in_use_is_exit_2_with_the_reason() -> None:
    with emulated("mynumber", None, 1):
        busy = run([*CARDTOOL, "emulate", "mynumber", "--slot", "1"])
        replay = run([*CARDTOOL, "emulate", "--replay", "fixtures/traces/mynumber-read.jsonl",
                      "--slot", "1"])
    for out in (busy, replay):
        assert out.returncode == 2, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "vpcd slot 1" in lines[0] and "another virtual card" in lines[0]
