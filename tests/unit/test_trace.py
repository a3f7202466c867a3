from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apdu.command import CommandApdu
from apdu.errors import CardRemoved, TraceDivergence, TraceExhausted, TraceFormatError
from apdu.session import Session
from apdu.trace import (
    NoRedaction,
    SecretRedactor,
    command_data_span,
    matches_redacted,
    read_trace,
    redact_command_data,
)
from apdu.transport.recording import RecordingTransport
from apdu.transport.replay import ReplayTransport
from apdu.transport.virtual import CardGone, VirtualTransport
from tests.support.scripted import EchoFileCard, ScriptedCard

PIN_HEX = "31323334"


def _record_session(path: Path, redactor: SecretRedactor | NoRedaction | None = None) -> bytes:
    card = EchoFileCard(700)
    rec = RecordingTransport(VirtualTransport(card), path, tool="test", redactor=redactor)
    s = Session(rec)
    s.select_df(EchoFileCard.AID)
    s.transmit(CommandApdu(0, 0x20, 0, 0x80, bytes.fromhex(PIN_HEX)))
    nonce = s.host_random(8, "RND.IFD")
    data = s.read_binary(700)
    rec.close()
    return nonce + data


def _replay_session(path: Path) -> bytes:
    rp = ReplayTransport(path)
    s = Session(rp)
    s.select_df(EchoFileCard.AID)
    s.transmit(CommandApdu(0, 0x20, 0, 0x80, b"9999"))  # another PIN: matches redacted data
    nonce = s.host_random(8, "RND.IFD")
    data = s.read_binary(700)
    assert rp.finished
    return nonce + data


def test_recorded_trace_replays_exactly(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    original = _record_session(path)
    assert _replay_session(path) == original
    text = path.read_text()
    assert PIN_HEX not in text and "XXXXXXXX" in text
    tr = read_trace(path)
    assert tr.header["redactions"] == ["secrets"]
    assert [e["type"] for e in tr.events] == ["exchange", "exchange", "random", "exchange"]


def test_changed_command_fails_with_divergence(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _record_session(path)
    rp = ReplayTransport(path)
    s = Session(rp)
    with pytest.raises(TraceDivergence) as info:
        s.select_df(bytes.fromhex("F0FFFFFFFFFFFF"))
    msg = str(info.value)
    assert "exchange 1" in msg and "00A4040C07F0010203040506" in msg
    assert "00A4040C07F0FFFFFFFFFFFF" in msg


def test_redacted_command_still_checks_header_and_length(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _record_session(path)
    s = Session(ReplayTransport(path))
    s.select_df(EchoFileCard.AID)
    with pytest.raises(TraceDivergence):
        s.transmit(CommandApdu(0, 0x20, 0, 0x80, b"12345"))  # 5 digits, recorded 4


def test_command_where_a_random_draw_was_recorded_diverges(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _record_session(path)
    s = Session(ReplayTransport(path))
    s.select_df(EchoFileCard.AID)
    s.transmit(CommandApdu(0, 0x20, 0, 0x80, b"0000"))
    with pytest.raises(TraceDivergence, match="expected a random event"):
        s.read_binary(700)  # the recorded program drew RND.IFD first


def test_random_of_other_purpose_diverges(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _record_session(path)
    s = Session(ReplayTransport(path))
    s.select_df(EchoFileCard.AID)
    s.transmit(CommandApdu(0, 0x20, 0, 0x80, b"0000"))
    with pytest.raises(TraceDivergence, match=r"random K\.IFD of 16 bytes"):
        s.host_random(16, "K.IFD")


def test_trace_exhausted(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    card = EchoFileCard(10)
    rec = RecordingTransport(VirtualTransport(card), path, tool="test")
    Session(rec).select_df(EchoFileCard.AID)
    rec.close()
    s = Session(ReplayTransport(path))
    s.select_df(EchoFileCard.AID)
    with pytest.raises(TraceExhausted, match="more than the 1 recorded"):
        s.read_binary(4)


def test_no_redaction_keeps_data_and_marks_header(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _record_session(path, NoRedaction())
    tr = read_trace(path)
    assert tr.header["redactions"] == [] and tr.header["unredacted"] is True
    assert PIN_HEX in path.read_text()


def test_torn_last_line_is_tolerated_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    _record_session(path)
    full = path.read_text()
    path.write_text(full[: len(full) - 25])
    tr = read_trace(path)
    assert tr.torn
    assert len(tr.events) == 3


def test_card_removal_is_recorded_and_replayed(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    calls = {"n": 0}
    def answer(raw: bytes) -> bytes:
        calls["n"] += 1
        if calls["n"] == 2:
            raise CardGone
        return b"\x90\x00"
    rec = RecordingTransport(VirtualTransport(ScriptedCard(answer)), path, tool="test")
    rec.transmit(bytes.fromhex("00A4040C01AA"))
    with pytest.raises(CardRemoved):
        rec.transmit(bytes.fromhex("00B0000004"))
    rec.close()
    rp = ReplayTransport(path)
    rp.transmit(bytes.fromhex("00A4040C01AA"))
    with pytest.raises(CardRemoved):
        rp.transmit(bytes.fromhex("00B0000004"))


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("", "empty"),
        ("{}\n", "'format'"),
        ('{"format":"cardtool-trace","version":2}\n', "unsupported version"),
        ('{"format":"cardtool-trace","version":1,"atr":""}\nnot json\n{"type":"reset"}\n',
         "line 2"),
        ('{"format":"cardtool-trace","version":1,"atr":""}\n{"type":"exchange","command":"00",'
         '"response":"9000"}\n', "at least 4 bytes"),
        ('{"format":"cardtool-trace","version":1,"atr":""}\n{"type":"exchange","command":'
         '"00A40000","response":"90XX"}\n', "status word"),
        ('{"format":"cardtool-trace","version":1,"atr":""}\n{"type":"dance"}\n', "unknown event"),
        ('{"format":"cardtool-trace","version":1,"atr":""}\n[1,2]\n', "JSON object"),
    ],
)
def test_malformed_traces_give_clear_errors(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(TraceFormatError) as info:
        read_trace(path)
    assert fragment in str(info.value)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(TraceFormatError, match="not found"):
        read_trace(tmp_path / "nope.jsonl")
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(TraceFormatError, match="not UTF-8"):
        read_trace(tmp_path / "bin")


@given(st.binary(min_size=4, max_size=300))
def test_redaction_keeps_length_and_header(raw: bytes) -> None:
    redacted = redact_command_data(raw)
    assert len(redacted) == 2 * len(raw)
    assert redacted[:8] == raw[:4].hex().upper()
    assert matches_redacted(redacted, raw)
    start, end = command_data_span(raw)
    assert redacted.count("X") == 2 * (end - start)


def test_secret_redactor_covers_verify_change_and_sm_verify() -> None:
    r = SecretRedactor()
    for cmd in ("0020008004" + PIN_HEX, "0024018008" + PIN_HEX * 2, "0820008613" + "00" * 19,
                "8032008004" + PIN_HEX):
        out, _rsp, applied = r.redact(bytes.fromhex(cmd), b"\x90\x00")
        assert applied == ("secret",) and PIN_HEX not in out[10:] and out[:10] == cmd[:10]
    out, _rsp, applied = r.redact(bytes.fromhex("00200080"), b"\x63\xc3")
    assert applied == () and out == "00200080"
    out, _rsp, applied = r.redact(bytes.fromhex("00A4040C02" + "3F00"), b"\x90\x00")
    assert applied == ()


def test_writer_flushes_every_event(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    rec = RecordingTransport(VirtualTransport(EchoFileCard(10)), path, tool="test")
    rec.transmit(bytes.fromhex("00A4040C07F0010203040506"))
    # Without closing, the file already holds the header and the exchange.
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["n"] == 1
    rec.close()
