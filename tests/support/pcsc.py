"""Helpers for tests that run through the real pcscd + vsmartcard vpcd stack."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from apdu.errors import ApduLayerError
from apdu.transport.pcsc import list_readers
from apdu.transport.virtual import CardSimulator
from apdu.vpcd import VpcdLink, serve_in_thread

REQUIRE_PCSC = os.environ.get("CARDTOOL_REQUIRE_PCSC") == "1"
ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def vpcd_reader_name(slot: int) -> str:
    return f"Virtual PCD 00 {slot:02d}"


def require_vpcd() -> None:
    """Skip (or fail under CI, where CARDTOOL_REQUIRE_PCSC=1) without pcscd + vpcd."""
    try:
        names = [r.name for r in list_readers()]
    except ApduLayerError as exc:
        reason = f"pcscd is not usable: {exc}"
    else:
        if any(n.startswith("Virtual PCD") for n in names):
            return
        reason = f"no vpcd reader in pcscd (readers: {names})"
    if REQUIRE_PCSC:
        pytest.fail(reason + " (CARDTOOL_REQUIRE_PCSC=1)")
    pytest.skip(reason)


def wait_present(slot: int, present: bool, timeout: float = 10.0) -> None:
    name = vpcd_reader_name(slot)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for r in list_readers():
            if r.name == name and r.card_present == present:
                return
        time.sleep(0.1)
    raise AssertionError(f"{name}: card_present never became {present}")


@contextmanager
def served(card: CardSimulator, slot: int = 0, latency_ms: float = 0.0) -> Iterator[VpcdLink]:
    """Serve ``card`` on ``slot`` until the block ends; waits until pcscd sees it."""
    require_vpcd()
    link = VpcdLink(card, slot=slot, latency_ms=latency_ms)
    thread = serve_in_thread(link)
    try:
        wait_present(slot, True)
        yield link
    finally:
        link.close()
        thread.join(timeout=5)
        wait_present(slot, False)


@contextmanager
def emulator(*args: str, slot: int = 0) -> Iterator[subprocess.Popen[str]]:
    """``cardtool emulate ARGS --slot SLOT`` as a separate process, until the block ends
    (the block may also let it exit by itself, e.g. a replay that diverged)."""
    require_vpcd()
    proc = subprocess.Popen([sys.executable, "-m", "cardtool", "emulate", *args,
                             "--slot", str(slot)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()
        if not line.startswith("ready"):
            proc.wait(timeout=10)
            raise AssertionError(f"emulate did not start: {line!r} {proc.stderr.read()!r}")
        wait_present(slot, True)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        wait_present(slot, False)


@contextmanager
def emulated(kind: str, persona: str | None = None, slot: int = 0, *extra: str
             ) -> Iterator[subprocess.Popen[str]]:
    """`cardtool emulate KIND [--persona P]` as a separate process, until the block ends."""
    with emulator(kind, *extra, *(["--persona", persona] if persona else []), slot=slot) as proc:
        yield proc


def wait_for(path: Path, text: str, count: int, proc: subprocess.Popen[str],
             timeout: float = 90) -> None:
    """Wait until ``text`` stands ``count`` times in the output file ``path`` of a running
    interactive command (the office loop), failing with what it printed if it ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = path.read_text(encoding="utf-8", errors="replace")
        if seen.count(text) >= count:
            return
        if proc.poll() is not None:
            raise AssertionError(f"office ended ({proc.returncode}):\n{seen}")
        time.sleep(0.05)
    raise AssertionError(f"waited for {count}x {text!r}:\n{path.read_text(encoding='utf-8')}")
