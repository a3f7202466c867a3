"""The check page over virtual cards: what a read shows (kind, dates, findings, verdict as
green / amber / red panels), the residence card number asked in a password field, the
My Number card-face check, and every failure as a message on the page."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest

from tests.desk.support import (
    MYNUMBER_BIRTH,
    MYNUMBER_CODE,
    RESIDENCE2_NUMBER,
    desk,
    wait_version,
)

pytest.importorskip("starlette")

from apdu.transport import Transport
from apdu.transport.virtual import VirtualTransport
from cardtool.jst import today_jst
from cardtool.services.reader_watch import (
    Listener,
    ReaderEvent,
    ReaderState,
)
from cardtool.virtual import make_virtual_card
from cardtool.virtual.faults import FaultPlan, FaultyCard


def _panel(page: str, element_id: str) -> str:
    match = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert match, f"no #{element_id} in the page"
    return match.group(0)


class ScriptedWatcher:
    """One card on the reader, built by the test (a faulty card, an unknown card)."""

    demo = False

    def __init__(self, make: object) -> None:
        self.make = make
        self._current = ReaderEvent(ReaderState.WAITING, "test reader")
        self.listener: Listener | None = None

    @property
    def current(self) -> ReaderEvent:
        return self._current

    def start(self, listener: Listener) -> None:
        self.listener = listener

    def stop(self) -> None:
        return None

    def put(self, state: ReaderState) -> None:
        serial = self._current.card_serial + (state is ReaderState.PRESENT)
        self._current = ReaderEvent(state, "test reader", serial)
        assert self.listener is not None
        self.listener(self._current)

    def open_card(self) -> Transport:
        return VirtualTransport(self.make(), description="test")  # type: ignore[operator]

    def next_card(self) -> None:
        return None


def test_a_my_number_card_shows_its_dates_findings_and_verdict_in_panels() -> None:
    with desk("mynumber", lang="ja") as (client, reader):
        wait_version(reader, 0)
        page = client.get("/check").text
    assert _panel(page, "card-kind").count("マイナンバー") == 1
    dates = _panel(page, "dates")
    expiry = (today_jst() + dt.timedelta(days=2500)).isoformat()
    assert expiry in dates and "残り2500日" in dates and "tone-green" in dates
    # Read without a secret: the chip was not challenged, so no claim about the card in hand.
    auth = _panel(page, "authenticity")
    assert 'class="panel amber"' in auth and "未検証" in auth
    assert 'id="face-check"' in page and 'type="password" id="code"' in page
    assert 'class="panel green overall"' in page


def test_an_expiring_card_is_red_with_the_action_in_words() -> None:
    with desk("mynumber:expiring-soon", lang="en") as (client, reader):
        wait_version(reader, 0)
        page = client.get("/check").text
    overall = _panel(page, "overall")
    findings = _panel(page, "findings")
    assert "panel red" in overall or "panel amber" in overall
    assert "panel red" in findings or "panel amber" in findings
    assert "renew" in findings.lower() or "extend" in findings.lower() or "municipal" in findings


def test_the_card_face_check_proves_the_card_and_wrong_parts_send_nothing() -> None:
    year = str((today_jst() + dt.timedelta(days=2500)).year)
    with desk("mynumber") as (client, reader):
        wait_version(reader, 0)
        # A malformed birth date is refused before any VERIFY: no try used.
        client.post("/check/read", data={"birth": "1985-13-01", "expiry_year": year,
                                         "code": MYNUMBER_CODE})
        page = client.get("/check").text
        assert 'id="read-failed"' in page and "nothing was sent" in _panel(page, "read-failed").lower()
        client.post("/check/read", data={"birth": MYNUMBER_BIRTH, "expiry_year": year,
                                         "code": MYNUMBER_CODE})
        page = client.get("/check").text
    assert reader.result.face_checked
    auth = _panel(page, "authenticity")
    assert "TEST KEY ONLY" in auth and "chip-challenge" in auth
    assert 'id="face-done"' in page and 'id="face-check"' not in page
    assert MYNUMBER_BIRTH not in page.replace('placeholder="1985-04-01"', "")


def test_a_residence_card_asks_its_number_in_a_password_field_and_never_shows_it() -> None:
    with desk("residence2") as (client, reader):
        first = wait_version(reader, 0)
        assert first.stage.value == "needs-card-number" and first.facts is None
        page = client.get("/check").text
        field = _panel(page, "card-number-panel")
        assert 'type="password" id="card_number"' in field and 'autocomplete="off"' in field
        client.post("/check/read", data={"card_number": "AB00000000CD"})
        page = client.get("/check").text
        assert "does not match" in _panel(page, "read-error")
        assert 'id="card-number-panel"' in page and "AB00000000CD" not in page
        client.post("/check/read", data={"card_number": "AB1"})
        assert "12" in _panel(client.get("/check").text, "read-error")
        client.post("/check/read", data={"card_number": RESIDENCE2_NUMBER})
        page = client.get("/check").text
    assert reader.result.stage.value == "done"
    assert "Residence, 2nd gen." in _panel(page, "card-kind")
    assert "Period of stay" in _panel(page, "dates")
    assert "TEST KEY ONLY" in _panel(page, "authenticity")
    assert RESIDENCE2_NUMBER not in page and "98765432" not in page


def test_a_card_removed_mid_read_is_a_message_and_the_next_read_works() -> None:
    plan = FaultPlan.parse("remove-before@4")
    watcher = ScriptedWatcher(lambda: FaultyCard(make_virtual_card("mynumber"), plan))
    with desk(watcher=watcher) as (client, reader):
        watcher.put(ReaderState.PRESENT)
        result = wait_version(reader, 0)
        assert result.stage.value == "failed"
        page = client.get("/check").text
        assert "removed" in _panel(page, "read-failed")
        assert 'id="read-again"' in page
        watcher.make = lambda: make_virtual_card("mynumber")
        client.post("/check/read")
        assert reader.result.stage.value == "done"
        assert 'id="result"' in client.get("/check").text


def test_an_unknown_card_is_a_message() -> None:
    class Blank:
        atr = bytes.fromhex("3B8880010000000000000000")

        def power_on(self) -> bytes:
            return self.atr

        def power_off(self) -> None:
            return None

        def reset(self) -> bytes:
            return self.atr

        def process_apdu(self, command: bytes) -> bytes:
            return b"\x6a\x82"

    watcher = ScriptedWatcher(Blank)
    with desk(watcher=watcher) as (client, reader):
        watcher.put(ReaderState.PRESENT)
        wait_version(reader, 0)
        page = client.get("/check").text
    assert "Not a supported card" in _panel(page, "read-failed")


def test_one_read_at_a_time() -> None:
    gate = threading.Event()

    class Slow(VirtualTransport):
        def transmit(self, command: bytes) -> bytes:
            gate.wait(10)
            return super().transmit(command)

    watcher = ScriptedWatcher(lambda: make_virtual_card("mynumber"))
    watcher.open_card = lambda: Slow(make_virtual_card("mynumber"))  # type: ignore[method-assign]
    with desk(watcher=watcher) as (client, reader):
        watcher.put(ReaderState.PRESENT)  # the background read starts and waits on the gate
        for _ in range(200):
            if client.get("/state").json()["reader"] == "reading":
                break
            threading.Event().wait(0.01)
        assert client.get("/state").json()["reader"] == "reading"
        answer = client.post("/check/read")
        assert answer.headers["location"] == "/check?m=busy"
        gate.set()
        result = wait_version(reader, 0)
        assert result.stage.value == "done" and result.version == 1


def test_no_reader_and_no_service_are_said_on_the_page() -> None:
    watcher = ScriptedWatcher(lambda: make_virtual_card("mynumber"))
    with desk(watcher=watcher, lang="en") as (client, _reader):
        watcher.put(ReaderState.NO_SERVICE)
        assert "pcscd" in _panel(client.get("/check").text, "reader-text")
        watcher.put(ReaderState.NO_READER)
        assert "No card reader" in _panel(client.get("/check").text, "reader-text")
        client.post("/check/read")
        assert "No card on the reader" in _panel(client.get("/check").text, "read-failed")


def test_the_language_switch_keeps_the_page() -> None:
    with desk("mynumber", lang="ja") as (client, reader):
        wait_version(reader, 0)
        assert "読み取り" in client.get("/check").text
        answer = client.get("/lang", params={"to": "en", "next": "/check"})
        assert answer.headers["location"] == "/check"
        assert "Check a card" in client.get("/check").text
        assert client.get("/lang", params={"to": "en", "next": "//evil.example"}
                          ).headers["location"] == "/check"


def test_the_event_stream_carries_the_reader_state_without_personal_values() -> None:
    with desk("residence2") as (client, reader):
        wait_version(reader, 0)
        with client.stream("GET", "/events") as stream:
            line = next(stream.iter_lines())
    assert line.startswith("data: ")
    assert '"reader": "present"' in line and '"stage": "needs-card-number"' in line
