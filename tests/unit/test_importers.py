"""Importing apdu4j dumps and pcsc-spy logs (raw and decoded), from the synthetic samples in
tests/data/importers, and checking them like cardtool traces."""

from __future__ import annotations

from pathlib import Path

import pytest

from apdu.errors import ForeignLogFormatError, TraceFormatError
from apdu.importers import (
    APDU4J,
    CARDTOOL,
    OPENSC,
    PCSC_SPY,
    import_log,
    parse_apdu4j,
    parse_opensc,
    parse_pcsc_spy,
    read_any_trace,
    redact_trace,
    sniff,
    to_trace,
    to_trace_bytes,
    trace_bytes,
)
from apdu.trace import SecretRedactor, read_trace
from cardtool.policy.check_run import check_file, check_file_plain

DATA = Path(__file__).resolve().parents[1] / "data" / "importers"


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def hexes(log: object) -> list[tuple[str, str]]:
    return [(e.command.hex().upper(), e.response.hex().upper()) for e in log.exchanges]  # type: ignore[attr-defined]


def test_apdu4j_dump() -> None:
    log = parse_apdu4j(sample("mynumber-session.dump"), "s.dump")
    assert log.atr == bytes.fromhex("3B888001000005E0B381A1007F")
    assert log.reader == "Virtual PCD 00 00"
    assert hexes(log) == [("00A4040C0AD392F000260100000001", "9000"), ("00200098", "63C3"),
                          ("002000980431323334", "9000"), ("00B08A0004", "308204229000")]
    assert [e.micros for e in log.exchanges] == [12000, 9000, 10000, 11000]
    assert not log.torn


def test_apdu4j_short_timing_comments_and_blank_lines() -> None:
    log = parse_apdu4j("\n00A40400\n# 42ms\n\n9000\n00CA0000\n6A88\n", "x.dump")
    assert hexes(log) == [("00A40400", "9000"), ("00CA0000", "6A88")]
    assert [e.micros for e in log.exchanges] == [42000, 0]


def test_apdu4j_unpaired_command_is_torn() -> None:
    log = parse_apdu4j(sample("torn.dump"), "t.dump")
    assert len(log.exchanges) == 2 and log.torn


@pytest.mark.parametrize(("text", "line"), [
    (sample("broken.dump"), 4), ("00A40400\n90\n", 2), ("00A4\n9000\n", 1), ("# only\n", 1),
    ("# ATR: 3B0\n00A40400\n9000\n", 1)])
def test_apdu4j_errors_name_the_line(text: str, line: int) -> None:
    with pytest.raises(TraceFormatError) as info:
        parse_apdu4j(text, "b.dump")
    assert info.value.params["line"] == line


def test_pcsc_spy_raw() -> None:
    log = parse_pcsc_spy(sample("session-raw.spy"), "s.spy")
    assert hexes(log) == [
        ("00A4040C0AD3921000310001010408", "9000"), ("00200091", "63C3"),
        ("002000910435363738", "9000"),
        ("00B0810000", "FF100C313233343536373839303138FFFF9000")]  # failed transmit dropped
    assert log.exchanges[0].micros == 297416 - 253418
    assert not log.torn


def test_pcsc_spy_decoded_with_colours() -> None:
    log = parse_pcsc_spy(sample("session-decoded.spy"), "d.spy")
    assert hexes(log) == [
        ("00A4040C0AD392F000260100000001", "9000"), ("002000980431323334", "9000"),
        ("00B0000014", "308204223082030AA00302010202084142434445" + "9000")]
    assert log.exchanges[0].micros == 43998
    assert log.torn  # the last SCardTransmit has no result


def test_pcsc_spy_raw_torn_and_broken() -> None:
    lines = sample("session-raw.spy").splitlines()
    cut = next(i for i, line in enumerate(lines) if line.endswith("00 20 00 91 "))
    assert parse_pcsc_spy("\n".join(lines[:cut + 1]) + "\n", "t.spy").torn
    with pytest.raises(TraceFormatError) as info:
        parse_pcsc_spy("\n".join([*lines[:5], "garbage"]) + "\n", "b.spy")
    assert info.value.params["line"] == 6


def test_sniff() -> None:
    assert sniff(sample("mynumber-session.dump")) == APDU4J
    assert sniff(sample("session-raw.spy")) == PCSC_SPY
    assert sniff(sample("session-decoded.spy")) == PCSC_SPY
    assert sniff('{"format":"cardtool-trace"}\n') == CARDTOOL
    assert sniff("hello world\n") == CARDTOOL
    with pytest.raises(TraceFormatError):
        import_log("hello world\n", "x.txt")


def test_imported_trace_is_a_valid_cardtool_trace(tmp_path: Path) -> None:
    path = tmp_path / "imported.jsonl"
    path.write_bytes(to_trace_bytes(parse_pcsc_spy(sample("session-raw.spy"), "s.spy")))
    trace = read_trace(path)
    assert trace.header["unredacted"] is True and trace.header["redactions"] == []
    assert [e["n"] for e in trace.exchanges()] == [1, 2, 3, 4]


EXPECTED = {
    "mynumber-session.dump": [(3, "secret-unredacted", "")],
    "lockout.dump": [(3, "secret-unredacted", ""), (4, "secret-unredacted", ""),
                     (5, "secret-unredacted", ""), (5, "last-try", "auth/jpki"),
                     (5, "repeated-failures", "auth/jpki"), (5, "key-blocked", "auth/jpki")],
    "torn.dump": [(None, "trace-torn", "")],
    "broken.dump": [(None, "trace-unreadable", "")],
    "session-raw.spy": [(3, "secret-unredacted", ""), (4, "my-number-visible", "")],
    "session-decoded.spy": [(2, "secret-unredacted", ""), (2, "blind-verify", "auth/jpki"),
                            (None, "trace-torn", "")],
    "session-opensc.log": [(5, "secret-unredacted", "")],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_checking_imported_logs(name: str) -> None:
    path = str(DATA / name)
    report = check_file(path)
    assert report == check_file_plain(path)
    assert [(f.exchange, f.rule, f.key) for f in report.findings] == EXPECTED[name]
    if name == "broken.dump":
        assert report.findings[0].detail.startswith("line 4: ")
    if name == "torn.dump":
        assert report.findings[0].detail == "the apdu4j log ends inside exchange 3"


# --- OpenSC debug logs ------------------------------------------------------------------

OPENSC_EXCHANGES = [
    ("00A4040007627601FF000000", "6A82"), ("00A4040C0AD392F000260100000001", "9000"),
    ("00A4020C020018", "9000"), ("00200080", "63C3"), ("002000800431323334", "9000"),
    ("00A4020C02000A", "9000"),  # the failed transmission before it is dropped
    ("00B0000020", "308204223082030AA0030201020208624A504B492D544553542030313233343590" "00")]


def test_opensc_debug_log() -> None:
    text = sample("session-opensc.log")
    assert sniff(text) == OPENSC
    log = parse_opensc(text, "o.log")
    assert log.atr == bytes.fromhex("3B888001000005E0B381A1007F")
    assert log.reader == "Virtual PCD 00 00"
    assert hexes(log) == OPENSC_EXCHANGES
    assert [e.micros for e in log.exchanges][:3] == [1000, 2000, 1000]
    assert not log.torn
    assert import_log(text, "o.log").exchanges == log.exchanges


def test_opensc_older_block_form_and_torn_end() -> None:
    text = ("Outgoing APDU data [    4 bytes] =====================================\n"
            "00 A4 00 00 ....\n"
            "======================================================================\n"
            "Incoming APDU data [    2 bytes] =====================================\n"
            "90 00 ..\n"
            "======================================================================\n"
            "Outgoing APDU data [    4 bytes] =====================================\n"
            "00 B0 00 00 ....\n")
    log = parse_opensc(text, "old.log")
    assert hexes(log) == [("00A40000", "9000")] and log.torn


@pytest.mark.parametrize(("cut", "garble", "line"), [
    ("Incoming APDU (34 bytes):", "30 82 04 22 ZZ", 90),  # garbled byte in a dump line
    ("Outgoing APDU (9 bytes):", None, 56),               # a dump line cut short
])
def test_opensc_errors_name_the_line(cut: str, garble: str | None, line: int) -> None:
    lines = sample("session-opensc.log").splitlines()
    start = lines.index(cut)
    if garble is not None:
        lines[start + 1] = garble
    else:
        lines[start + 1] = "00 20 00 80 .. ."
    with pytest.raises(ForeignLogFormatError) as info:
        parse_opensc("\n".join(lines) + "\n", "bad.log")
    assert info.value.params["line"] == line
    assert str(info.value).startswith(f"The opensc log bad.log is malformed (line {line}): ")


def test_opensc_incoming_without_outgoing() -> None:
    with pytest.raises(ForeignLogFormatError, match=r"line 1\): an Incoming APDU"):
        parse_opensc("Incoming APDU (2 bytes):\n90 00 ..\n", "x.log")


def test_read_any_trace_and_redacting_imports(tmp_path: Path) -> None:
    for name in ("mynumber-session.dump", "session-raw.spy", "session-opensc.log"):
        trace = read_any_trace(DATA / name)
        assert trace.header["unredacted"] is True
        assert all(e["type"] == "exchange" for e in trace.events)
    redacted = to_trace(parse_opensc(sample("session-opensc.log"), "o"), SecretRedactor())
    verify = [e for e in redacted.exchanges() if e["command"].startswith("00200080")]
    assert [e["command"] for e in verify] == ["00200080", "0020008004XXXXXXXX"]
    assert redacted.header["redactions"] == ["secrets"] and "unredacted" not in redacted.header
    path = tmp_path / "r.jsonl"
    path.write_bytes(trace_bytes(redacted))
    assert read_trace(path).events == redacted.events
    # a cardtool trace is redacted where it is not yet
    again = redact_trace(read_trace(path), SecretRedactor())
    assert again.events == redacted.events
