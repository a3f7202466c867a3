from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apdu import tlv
from apdu.command import CommandApdu, ResponseApdu
from apdu.errors import ApduLayerError, MalformedData
from apdu.jsonsafe import JsonRejected, loads_bounded
from apdu.trace import read_trace
from cardtool.cards.certificate import (
    MalformedCertificate,
    RedactedCertificate,
    der_length,
    parse_certificate,
)
from cardtool.cards.mynumber.text import parse_basic_info, parse_my_number
from cardtool.cards.mynumber.visual import parse_card_face
from cardtool.images import (
    MYNUMBER_NAME,
    MYNUMBER_PHOTO,
    RESIDENCE_FRONT,
    CardImage,
    ImageSpec,
    ImageTooLarge,
    ImageUndecodable,
    decode_card_image,
)
from cardtool.policy.check_run import check_file, check_file_plain
from cardtool.virtual.drawing import photo_jp2, text_png, tiff_g4
from cardtool.virtual.persona import PersonaError, load_persona, parse_persona
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
    """A certificate, or one of the two clear errors: not a certificate, or the mask of a
    redacted trace (a SEQUENCE whose every value is '*')."""
    try:
        parse_certificate(data)
    except MalformedCertificate:
        pass
    except RedactedCertificate:
        body = data[:der_length(data)]
        assert body[0] == 0x30 and body.count(b"*") * 2 >= len(body)


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


# --- bounded JSON: nesting and size (trace lines, persona files, office reports) --------------

_nested_text = st.builds(
    lambda opens, middle, closes: opens + middle + closes,
    st.text(alphabet='[{"a:1,', min_size=0, max_size=3000),
    st.text(alphabet='1"\\,:ab ', max_size=20),
    st.text(alphabet=']}"', max_size=3000),
)


@fuzz
@given(_nested_text)
def test_fuzz_bounded_json_never_recurses(text: str) -> None:
    for depth in (1, 16):
        try:
            value = loads_bounded(text, max_depth=depth, max_bytes=1 << 20, what="fuzz")
        except JsonRejected:
            continue
        assert value == json.loads(text)


@fuzz
@given(_nested_text, st.booleans())
def test_fuzz_trace_and_persona_files_with_deep_nesting(text: str, as_header: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "t.jsonl"
        trace.write_text(text + "\n" if as_header else f"{HEADER}\n{text}\n", encoding="utf-8")
        try:
            read_trace(trace)
        except ApduLayerError as exc:
            assert exc.exit_code == 6
        assert check_file(str(trace)) == check_file_plain(str(trace))
        persona = Path(tmp) / "p.json"
        persona.write_text(text, encoding="utf-8")
        try:
            load_persona(str(persona), "mynumber")
        except PersonaError:
            pass


# --- card images: only the guard's two errors, whatever the header says --------------------

_IMAGE_SEEDS = [
    (MYNUMBER_NAME, text_png("fuzz", 64, 16)),
    (MYNUMBER_PHOTO, photo_jp2("fuzz", 24, 30)),
    (RESIDENCE_FRONT, tiff_g4("fuzz", 64, 32)),
]


@fuzz
@given(st.sampled_from(_IMAGE_SEEDS),
       st.lists(st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=4)), max_size=4),
       st.integers(0, 2000))
def test_fuzz_card_image_headers(seed: tuple[ImageSpec, bytes],
                                 patches: list[tuple[int, bytes]], cut: int) -> None:
    spec, original = seed
    data = bytearray(original)
    for at, value in patches:
        data[at:at + len(value)] = value
    try:
        with decode_card_image(CardImage("fuzz", spec, bytes(data[:cut or None]))) as img:
            assert img.width <= spec.max_width and img.height <= spec.max_height
            assert img.mode in spec.modes
    except (ImageTooLarge, ImageUndecodable):
        pass
