"""The one matcher of recorded sessions (``ReplayTransport``) in its two modes, the
secure-messaging refusal, and the simulators ``emulate`` serves: a recording card and a
replaying card (6F 00 and a kept divergence for an unexpected command)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apdu.errors import ReplayRefused, TraceDivergence, TraceExhausted
from apdu.simulators import DIVERGED_SW, FALLBACK_ATR, RecordingCard, ReplayCard
from apdu.trace import Trace, read_trace
from apdu.transport.replay import BY_COMMAND, ReplayTransport, sm_replay_problem
from cardtool.redaction import CardRedactor
from cardtool.virtual import make_virtual_card

ROOT = Path(__file__).resolve().parents[2]
HEADER: dict[str, Any] = {"format": "cardtool-trace", "version": 1, "created": "", "tool": "t",
                          "source": "t", "atr": "3B00", "card": None, "redactions": []}


def trace(*events: dict[str, Any], atr: str = "3B00") -> Trace:
    return Trace("t.jsonl", {**HEADER, "atr": atr}, list(events))


def ex(n: int, command: str, response: str) -> dict[str, Any]:
    return {"type": "exchange", "n": n, "command": command, "response": response, "us": 1}


SESSION = trace(ex(1, "00A4040C02AAAA", "9000"), ex(2, "00200080", "63C3"),
                ex(3, "0020008004XXXXXXXX", "9000"), ex(4, "00200080", "9000"),
                ex(5, "00B0000002", "ABCD9000"))


def test_strict_in_order_and_redacted_verify_matches_any_pin_of_that_length() -> None:
    replay = ReplayTransport(SESSION)
    assert replay.transmit(bytes.fromhex("00A4040C02AAAA")) == b"\x90\x00"
    assert replay.transmit(bytes.fromhex("00200080")) == bytes.fromhex("63C3")
    assert replay.transmit(bytes.fromhex("002000800439393939")) == b"\x90\x00"
    with pytest.raises(TraceDivergence) as info:
        replay.transmit(bytes.fromhex("00B0000002"))
    assert info.value.params["exchange"] == 4 and info.value.params["expected"] == "00200080"


def test_by_command_answers_in_any_order_and_repeats_the_last() -> None:
    replay = ReplayTransport(SESSION, match=BY_COMMAND)
    assert replay.transmit(bytes.fromhex("00B0000002")) == bytes.fromhex("ABCD9000")
    # the same command twice in the trace: the first unused answer, then the last again
    assert replay.transmit(bytes.fromhex("00200080")) == bytes.fromhex("63C3")
    assert replay.transmit(bytes.fromhex("00200080")) == bytes.fromhex("9000")
    assert replay.transmit(bytes.fromhex("00200080")) == bytes.fromhex("9000")
    # a redacted VERIFY: any PIN of the same length, not another length
    assert replay.transmit(bytes.fromhex("002000800431323334")) == b"\x90\x00"
    with pytest.raises(TraceDivergence):
        replay.transmit(bytes.fromhex("00200080053132333435"))
    assert replay.reset() == bytes.fromhex("3B00")


def test_a_secure_messaging_session_needs_its_host_randomness() -> None:
    recorded = read_trace(ROOT / "fixtures/traces/residence2-read.jsonl")
    assert sm_replay_problem(recorded) is None
    ReplayTransport(recorded)  # with its random events: fine
    without = Trace(recorded.path, recorded.header,
                    [e for e in recorded.events if e["type"] != "random"])
    with pytest.raises(ReplayRefused) as info:
        ReplayTransport(without)
    message = str(info.value)
    assert "\n" not in message and "secure messaging" in message and "host randomness" in message
    assert sm_replay_problem(trace(ex(1, "0CB0000000", "9000"))) is not None
    assert sm_replay_problem(trace(ex(1, "0082000010" + "00" * 16, "6300"))) is not None
    assert sm_replay_problem(SESSION) is None


def test_replay_card_answers_6f00_and_keeps_the_divergence() -> None:
    seen: list[Exception] = []
    card = ReplayCard(ReplayTransport(SESSION), on_error=seen.append)
    assert card.power_on() == bytes.fromhex("3B00")
    assert card.process_apdu(bytes.fromhex("00A4040C02AAAA")) == b"\x90\x00"
    assert card.process_apdu(bytes.fromhex("00A4040C02BBBB")) == DIVERGED_SW
    assert isinstance(card.error, TraceDivergence) and seen == [card.error]
    assert card.error.params["exchange"] == 2
    assert card.process_apdu(bytes.fromhex("00200080")) == DIVERGED_SW  # stays diverged
    assert len(seen) == 1


def test_replay_card_resets_follow_the_recording() -> None:
    recorded = trace(ex(1, "00A4040C02AAAA", "9000"), {"type": "reset", "atr": "3B01"},
                     ex(2, "00200080", "63C3"), atr="")
    card = ReplayCard(ReplayTransport(recorded))
    assert card.atr == FALLBACK_ATR  # a trace without ATR (pcsc-spy) still makes a card
    card.process_apdu(bytes.fromhex("00A4040C02AAAA"))
    assert card.reset() == bytes.fromhex("3B01")
    assert card.process_apdu(bytes.fromhex("00200080")) == bytes.fromhex("63C3")
    assert card.finished and card.error is None
    card.reset()  # a reset the recording does not have
    assert isinstance(card.error, TraceDivergence)
    exhausted = ReplayCard(ReplayTransport(trace(ex(1, "00A4040C02AAAA", "9000"))))
    exhausted.process_apdu(bytes.fromhex("00A4040C02AAAA"))
    assert exhausted.process_apdu(bytes.fromhex("00A4040C02AAAA")) == DIVERGED_SW
    assert isinstance(exhausted.error, TraceExhausted)


def test_recording_card_redacts_by_default_and_replays(tmp_path: Path) -> None:
    path = tmp_path / "card-side.jsonl"
    card = RecordingCard(make_virtual_card("mynumber"), path, tool="test", source="emulate",
                         redactor=CardRedactor())
    card.power_on()
    commands = ["00A4040C0AD392F000260100000001", "00A4020C020018", "00200080",
                "002000800431323334", "00200080"]
    answers = [card.process_apdu(bytes.fromhex(c)).hex().upper() for c in commands]
    card.reset()
    card.close()
    recorded = read_trace(path)
    assert recorded.header["redactions"] == ["secrets", "personal"]
    assert [e["command"] for e in recorded.exchanges()][3] == "0020008004XXXXXXXX"
    assert "31323334" not in path.read_text()
    assert recorded.events[-1] == {"type": "reset", "atr": recorded.header["atr"]}
    replay = ReplayCard(ReplayTransport(path))
    assert [replay.process_apdu(bytes.fromhex(c)).hex().upper() for c in commands] == answers
    replay.reset()
    assert replay.error is None and replay.finished
