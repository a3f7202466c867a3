"""kill -9 while recording: the trace stays readable with every completed exchange."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from apdu.trace import read_trace

RECORDER = r"""
import sys, time
from apdu.session import Session
from apdu.transport.recording import RecordingTransport
from apdu.transport.virtual import VirtualTransport
from tests.support.scripted import EchoFileCard

rec = RecordingTransport(VirtualTransport(EchoFileCard(4000, extended=False)), sys.argv[1],
                         tool="crash-test")
s = Session(rec)
s.select_df(EchoFileCard.AID)
print("ready", flush=True)
while True:
    s.read_binary(4000)
"""


def test_kill_9_during_recording_keeps_completed_exchanges(tmp_path: Path) -> None:
    path = tmp_path / "crash.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", RECORDER, str(path)], stdout=subprocess.PIPE,
                            text=True, cwd=Path(__file__).resolve().parents[2])
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    trace = read_trace(path)
    exchanges = list(trace.exchanges())
    assert len(exchanges) > 20
    assert [e["n"] for e in exchanges] == list(range(1, len(exchanges) + 1))
    assert {e["response"][-4:] for e in exchanges} <= {"9000", "6700"}  # 6700: extended refused
