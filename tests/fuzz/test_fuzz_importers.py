"""Fuzzing the importers of foreign trace formats (apdu4j .dump, pcsc-spy raw and decoded):
only our TraceFormatError may come out, and what they produce is a valid trace."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apdu.errors import TraceFormatError
from apdu.importers import import_log, parse_apdu4j, parse_opensc, parse_pcsc_spy, to_trace_bytes
from tests.fuzz.conftest import FUZZ_EXAMPLES

fuzz = settings(max_examples=FUZZ_EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

hexes = st.binary(min_size=0, max_size=24).map(lambda b: b.hex().upper())
apdu4j_lines = st.lists(st.one_of(
    st.sampled_from(["# ATR: 3B8880010000000000000000", "# PROTOCOL: T=1", "# 12ms", "#", ""]),
    hexes, st.text(max_size=30)), max_size=12)
spy_lines = st.lists(st.one_of(
    st.sampled_from(["0@>|0|12|SCardTransmit", "<|0|20|SCardTransmit|0x00000000",
                     " i bSendBuffer", " o bRecvBuffer", "SCardTransmit", "[0.000012]",
                     "0000 00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", "0000 90 00"]),
    hexes.map(lambda h: " ".join(h[i:i + 2] for i in range(0, len(h), 2))),
    st.text(max_size=30)), max_size=14)

opensc_lines = st.lists(st.one_of(
    st.sampled_from(["Outgoing APDU (4 bytes):", "Incoming APDU (2 bytes):",
                     "Outgoing APDU (20 bytes):", "Incoming APDU (0 bytes):",
                     "Outgoing APDU data [    5 bytes] =====", "90 00 ..", "00 A4 04 00 ....",
                     "P:1; T:0x1 10:00:00.000 [x] card.c:1:match_atr_table: ATR     : 3b:00",
                     "P:1; T:0x1 10:00:00.001 [x] reader-pcsc.c:1:pcsc_transmit: reader 'r'"]),
    hexes.map(lambda h: " ".join(h[i:i + 2] for i in range(0, len(h), 2))),
    st.text(max_size=30)), max_size=14)


def _check(text: str, parse: object) -> None:
    try:
        log = parse(text, "fuzz")  # type: ignore[operator]
    except TraceFormatError:
        return
    data = to_trace_bytes(log)
    assert data.startswith(b'{"format":"cardtool-trace"')


@fuzz
@given(apdu4j_lines)
def test_fuzz_apdu4j(lines: list[str]) -> None:
    _check("\n".join(lines), parse_apdu4j)


@fuzz
@given(spy_lines)
def test_fuzz_pcsc_spy(lines: list[str]) -> None:
    _check("\n".join(lines), parse_pcsc_spy)


@fuzz
@given(opensc_lines)
def test_fuzz_opensc(lines: list[str]) -> None:
    _check("\n".join(lines), parse_opensc)


@fuzz
@given(st.text(max_size=300))
def test_fuzz_import_any_text(text: str) -> None:
    _check(text, import_log)
