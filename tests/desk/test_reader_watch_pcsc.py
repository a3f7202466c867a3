"""The reader watcher against a real pcscd + vpcd: it follows cards coming and going with
SCardGetStatusChange, sends no APDU while it watches, and says when pcscd is not there."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from cardtool.services.reader_watch import PcscWatcher, ReaderEvent, ReaderState
from tests.support.cli import python_code
from tests.support.pcsc import emulated, require_vpcd, vpcd_reader_name

pytestmark = pytest.mark.pcsc

SLOT = 0


class Events:
    def __init__(self) -> None:
        self.seen: list[ReaderEvent] = []
        self.changed = threading.Condition()

    def __call__(self, event: ReaderEvent) -> None:
        with self.changed:
            self.seen.append(event)
            self.changed.notify_all()

    def wait(self, state: ReaderState, serial: int | None = None, timeout: float = 10) -> ReaderEvent:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for event in self.seen:
                    if event.state is state and serial in (None, event.card_serial):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {state} (serial {serial}) in {self.seen}")
                self.changed.wait(left)


def test_cards_coming_and_going_are_followed_without_any_apdu(tmp_path: Path) -> None:
    require_vpcd()
    events = Events()
    watcher = PcscWatcher(vpcd_reader_name(SLOT))
    watcher.start(events)
    try:
        events.wait(ReaderState.WAITING)
        trace = tmp_path / "card-side.jsonl"
        with emulated("mynumber", None, SLOT, "--record", str(trace)):
            first = events.wait(ReaderState.PRESENT, serial=1)
            assert first.reader == vpcd_reader_name(SLOT)
            time.sleep(1.5)  # several of the watcher's blocking waits
            assert watcher.current.state is ReaderState.PRESENT
        assert len(events.seen) >= 2
        events.wait(ReaderState.WAITING)
        with emulated("residence2", None, SLOT):
            assert events.wait(ReaderState.PRESENT, serial=2).card_serial == 2
    finally:
        watcher.stop()
    exchanges = [json.loads(line) for line in trace.read_text().splitlines()[1:] if line.strip()]
    assert not [e for e in exchanges if e.get("type") == "exchange"], exchanges
    # One event per change, not one per wait: PRESENT once for each card.
    assert [e.card_serial for e in events.seen if e.state is ReaderState.PRESENT] == [1, 2]


def test_no_pcscd_is_the_no_service_state() -> None:
    """A process whose PC/SC library finds no pcscd socket (as when pcscd is stopped)."""
    script = (
        "import time\n"
        "from cardtool.services.reader_watch import PcscWatcher\n"
        "w = PcscWatcher(); seen = []\n"
        "w.start(seen.append)\n"
        "deadline = time.monotonic() + 10\n"
        "while not seen and time.monotonic() < deadline: time.sleep(0.05)\n"
        "w.stop(); print(seen[0].state.value if seen else 'nothing')\n")
    out = python_code(script, {**os.environ, "PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm"})
    assert out.stdout.strip() == "no-service", out.stderr


@pytest.mark.parametrize(("options", "mode"), [
    ({"pnp": False}, "poll"),  # forced: the path macOS takes
    ({"platform": "darwin"}, "poll"),  # detected by platform
    ({}, "pnp"),  # pcsc-lite has the pseudo reader
])
def test_the_polling_path_follows_cards_and_stops_cleanly(options: dict[str, object],
                                                          mode: str) -> None:
    """Where the PnP pseudo reader is unsupported (macOS), the reader list is polled: the
    same events, against the real pcscd + vpcd, and ``stop`` ends the thread within one
    interval."""
    require_vpcd()
    events = Events()
    watcher = PcscWatcher(vpcd_reader_name(SLOT), **options)  # type: ignore[arg-type]
    watcher.start(events)
    try:
        events.wait(ReaderState.WAITING)
        assert watcher.mode == mode
        with emulated("mynumber", None, SLOT):
            assert events.wait(ReaderState.PRESENT, serial=1).reader == vpcd_reader_name(SLOT)
        deadline = time.monotonic() + 10
        while watcher.current.state is not ReaderState.WAITING and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watcher.current.state is ReaderState.WAITING  # the card went away
    finally:
        watcher.stop()
    assert watcher._thread is not None and not watcher._thread.is_alive()
    assert [e.card_serial for e in events.seen if e.state is ReaderState.PRESENT] == [1]


def test_polling_with_no_matching_reader_waits_quietly_and_stops() -> None:
    """No reader matches: the list is read again every interval, the state stays
    no-reader without an event per round, and ``stop`` ends the thread."""
    require_vpcd()
    events = Events()
    watcher = PcscWatcher("no such reader here", pnp=False)
    watcher.start(events)
    try:
        time.sleep(2.5)  # a few polling rounds
        assert watcher.mode == "poll"
        assert watcher.current.state is ReaderState.NO_READER
        assert events.seen == []
    finally:
        watcher.stop()
    assert watcher._thread is not None and not watcher._thread.is_alive()
