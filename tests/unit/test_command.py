from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apdu.command import CommandApdu, ResponseApdu, parse_hex
from apdu.errors import InvalidApdu, MalformedData


@st.composite
def commands(draw: st.DrawFn) -> CommandApdu:
    byte = st.integers(0, 255)
    extended = draw(st.sampled_from([None, True, False]))
    max_data = 255 if extended is False else 700
    max_le = 256 if extended is False else 65536
    data = draw(st.binary(max_size=max_data))
    le = draw(st.one_of(st.none(), st.integers(1, max_le)))
    return CommandApdu(draw(byte), draw(byte), draw(byte), draw(byte), data, le, extended)


@given(commands())
def test_encode_parse_round_trip(cmd: CommandApdu) -> None:
    raw = cmd.to_bytes()
    back = CommandApdu.parse(raw)
    assert (back.cla, back.ins, back.p1, back.p2, back.data, back.le) == (
        cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data, cmd.le)
    assert back.is_extended == cmd.is_extended or (not cmd.data and cmd.le is None)
    assert back.to_bytes() == raw
    assert back.case == cmd.case


@given(st.binary(max_size=80))
def test_parse_never_raises_anything_but_malformed(raw: bytes) -> None:
    try:
        cmd = CommandApdu.parse(raw)
    except MalformedData as exc:
        assert 0 <= exc.offset <= len(raw)
    else:
        assert cmd.to_bytes() == raw


@pytest.mark.parametrize(
    ("hex_text", "case", "extended", "data_len", "le"),
    [
        ("00A40000", 1, False, 0, None),
        ("00B0000000", 2, False, 0, 256),
        ("00B0000004", 2, False, 0, 4),
        ("00B00000000000", 2, True, 0, 65536),
        ("00B0000000061F", 2, True, 0, 0x61F),
        ("00A4040C0AD392F000260100000001", 3, False, 10, None),
        ("802A00803301" + "00" * 50 + "00", 4, False, 0x33, 256),
        ("08B08500000004960200000000", 4, True, 4, 65536),
    ],
)
def test_known_encodings(hex_text: str, case: int, extended: bool, data_len: int,
                         le: int | None) -> None:
    cmd = CommandApdu.parse(bytes.fromhex(hex_text))
    assert cmd.case == case
    assert cmd.is_extended == extended or case == 1
    assert len(cmd.data) == data_len
    assert cmd.le == le


@pytest.mark.parametrize("hex_text", ["00A400", "00A4040C05D392", "00A4040C0000030102", "00B000000001",
                                      "00A4040C0000", "00A4040C00000201"])
def test_malformed_lengths(hex_text: str) -> None:
    with pytest.raises(MalformedData):
        CommandApdu.parse(bytes.fromhex(hex_text))


def test_invalid_fields_raise_clear_error() -> None:
    with pytest.raises(InvalidApdu, match="Le must be"):
        CommandApdu(0, 0xB0, 0, 0, le=0)
    with pytest.raises(InvalidApdu, match="do not fit a short APDU"):
        CommandApdu(0, 0xB0, 0, 0, le=257, extended=False)
    with pytest.raises(InvalidApdu, match="one byte"):
        CommandApdu(0x100, 0xB0, 0, 0)


def test_short_and_extended_le_encoding() -> None:
    assert CommandApdu(0, 0xB0, 0, 0, le=256).to_bytes().hex() == "00b0000000"
    assert CommandApdu(0, 0xB0, 0, 0, le=257).to_bytes().hex() == "00b00000000101"
    assert CommandApdu(0, 0xB0, 0, 0, le=65536).to_bytes().hex() == "00b00000000000"
    big = CommandApdu(0, 0xD6, 0, 0, b"\x01" * 300, le=2)
    assert big.to_bytes()[:7].hex() == "00d6000000012c"
    assert big.to_bytes()[-2:].hex() == "0002"


def test_response_parse() -> None:
    r = ResponseApdu.parse(bytes.fromhex("01029000"))
    assert r.data == b"\x01\x02" and r.sw == 0x9000
    with pytest.raises(MalformedData):
        ResponseApdu.parse(b"\x90")


def test_parse_hex_accepts_user_spellings() -> None:
    assert parse_hex("00 a4:04 0c") == bytes.fromhex("00a4040c")
    assert parse_hex("0x00B0") == bytes.fromhex("00b0")
    with pytest.raises(InvalidApdu):
        parse_hex("00A")
    with pytest.raises(InvalidApdu):
        parse_hex("zz")
