from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apdu import tlv
from apdu.command import CommandApdu, ResponseApdu
from apdu.errors import ApduLayerError, MalformedData
from apdu.trace import read_trace
from cardtool.cards.certificate import MalformedCertificate, parse_certificate
from cardtool.cards.mynumber.text import parse_basic_info, parse_my_number
from cardtool.cards.mynumber.visual import parse_card_face
from cardtool.virtual.persona import PersonaError, parse_persona
from tests.fuzz.conftest import FUZZ_EXAMPLES

fuzz = settings(max_examples=FUZZ_EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# Inputs that look like what cards send: TLV-ish prefixes followed by noise.
tlv_like = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda tag, body, tail: tlv.build(tag, body) + tail,
              st.sampled_from([0xFF20, 0xFF10, 0xDF21, 0x30, 0x7F21, 0xDFD1]),
              st.binary(max_size=200), st.binary(max_size=20)),
    st.builds(lambda items, cut: tlv.build(0xFF20, tlv.build_all(items))[:cut],
              st.lists(st.tuples(st.sampled_from([0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25,
                                                  0xDF29, 0xDF27]), st.binary(max_size=40)),
                       max_size=8),
              st.integers(0, 400)),
)


@fuzz
@given(st.binary(max_size=600))
def test_fuzz_command_apdu(raw: bytes) -> None:
    try:
        cmd = CommandApdu.parse(raw)
    except MalformedData:
        return
    assert cmd.to_bytes() == raw


@fuzz
@given(st.binary(max_size=40))
def test_fuzz_response_apdu(raw: bytes) -> None:
    try:
        ResponseApdu.parse(raw)
    except MalformedData:
        assert len(raw) < 2


@fuzz
@given(tlv_like, st.sampled_from(list(tlv.TagRule)))
def test_fuzz_tlv(data: bytes, rule: tlv.TagRule) -> None:
    try:
        items = tlv.parse_all(data, rule=rule)
    except MalformedData as exc:
        assert 0 <= exc.offset <= len(data)
        return
    for item in items:
        if item.constructed:
            try:
                item.children(rule)
            except MalformedData:
                pass


@fuzz
@given(tlv_like)
def test_fuzz_mynumber_parsers(data: bytes) -> None:
    for parse in (parse_basic_info, parse_my_number, parse_card_face):
        try:
            parse(data)
        except MalformedData:
            pass


@fuzz
@given(st.one_of(st.binary(max_size=400),
                 st.builds(lambda body: b"\x30\x82" + len(body).to_bytes(2, "big") + body,
                           st.binary(max_size=300))))
def test_fuzz_certificate(data: bytes) -> None:
    try:
        parse_certificate(data)
    except MalformedCertificate:
        pass


_line = st.one_of(
    st.text(max_size=80),
    st.builds(json.dumps, st.dictionaries(st.sampled_from(
        ["type", "n", "command", "response", "us", "purpose", "value", "atr"]),
        st.one_of(st.text(max_size=12), st.integers(), st.sampled_from(
            ["exchange", "random", "reset", "removed", "00A4040C", "9000", "XX", "63C3"])),
        max_size=6)),
)
HEADER = '{"format":"cardtool-trace","version":1,"atr":""}'


@fuzz
@given(st.lists(_line, max_size=8), st.booleans(), st.booleans())
def test_fuzz_trace_reader(lines: list[str], with_header: bool, trailing_newline: bool) -> None:
    text = "\n".join(([HEADER] if with_header else []) + lines)
    if trailing_newline:
        text += "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.jsonl"
        path.write_text(text, encoding="utf-8")
        try:
            read_trace(path)
        except ApduLayerError:
            pass


_persona_values = st.one_of(st.none(), st.text(max_size=20), st.integers(-5, 20), st.booleans(),
                            st.lists(st.text(max_size=5), max_size=3),
                            st.dictionaries(st.sampled_from(["auth", "sign", "text", "juki", "x"]),
                                            st.one_of(st.text(max_size=8), st.integers(0, 9)),
                                            max_size=5))


@fuzz
@given(st.dictionaries(st.sampled_from(
    ["kind", "name", "address", "birth_date", "sex", "card_expiry", "pins", "tries",
     "certificate_expiry", "my_number", "security_code", "options", "card_number",
     "residence_expiry", "alias", "extra", "bogus"]), _persona_values, max_size=14),
    st.sampled_from(["mynumber", "residence", "residence2", "specified"]))
def test_fuzz_persona(data: dict[str, object], kind: str) -> None:
    import datetime as dt

    try:
        parse_persona(data, kind, "fuzz.json", "fuzz", dt.date(2026, 11, 26))
    except PersonaError:
        pass
