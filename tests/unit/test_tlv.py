from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apdu import tlv
from apdu.errors import MalformedData

tags = st.one_of(
    st.integers(0x01, 0xFE).filter(lambda t: t & 0x1F != 0x1F),
    st.integers(0x1F, 0x7F).map(lambda b2: 0xDF00 | b2),
    st.tuples(st.integers(0x80, 0xFF), st.integers(0x00, 0x7F)).map(
        lambda p: 0x5F0000 | (p[0] << 8) | p[1]),
)


@given(st.lists(st.tuples(tags, st.binary(max_size=300)), max_size=6),
       st.sampled_from([b"", b"\x00" * 3, b"\xff\xff", b"\x00\xff"]))
def test_build_parse_round_trip(items: list[tuple[int, bytes]], padding: bytes) -> None:
    data = tlv.build_all(items) + padding
    parsed = tlv.parse_all(data)
    assert [(p.tag, p.value) for p in parsed] == items
    assert b"".join(p.to_bytes() for p in parsed) == data[: len(data) - len(padding)]


@given(st.binary(max_size=120))
def test_arbitrary_bytes_parse_or_raise_malformed(data: bytes) -> None:
    try:
        items = tlv.parse_all(data)
    except MalformedData as exc:
        assert 0 <= exc.offset <= len(data)
    else:
        for item in items:
            assert item.end <= len(data)


@pytest.mark.parametrize("length", [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000])
def test_length_forms(length: int) -> None:
    encoded = tlv.encode_length(length)
    expected_size = 1 if length < 0x80 else 2 if length <= 0xFF else 3 if length <= 0xFFFF else 4
    assert len(encoded) == expected_size
    tag, got, offset = tlv.read_header(b"\x04" + encoded)
    assert (tag, got, offset) == (4, length, 1 + expected_size)


@pytest.mark.parametrize(
    ("data", "offset", "fragment"),
    [
        (bytes.fromhex("0405010203"), 0, "declares 5 bytes"),
        (bytes.fromhex("DF"), 1, "tag is cut off"),
        (bytes.fromhex("DF21"), 2, "length of tag DF21 is missing"),
        (bytes.fromhex("0482FF"), 1, "length of tag 4 is cut off"),
        (bytes.fromhex("0480"), 1, "indefinite"),
        (bytes.fromhex("0484000000010000"), 1, "not 00-7F or 81-83"),
        (bytes.fromhex("5F8F8F0100"), 0, "longer than 3 bytes"),
        (bytes.fromhex("0101AA0402"), 3, "declares 2 bytes"),
    ],
)
def test_malformed_inputs_name_the_offset(data: bytes, offset: int, fragment: str) -> None:
    with pytest.raises(MalformedData) as info:
        tlv.parse_all(data)
    assert info.value.offset == offset
    assert fragment in str(info.value)


def test_ff_starts_a_real_tag_unless_only_padding_follows() -> None:
    # My Number EF: FF 10 0C + 12 digits, then FF FF padding.
    data = bytes.fromhex("FF100C") + b"123456789018" + b"\xff\xff"
    (item,) = tlv.parse_all(data)
    assert item.tag == 0xFF10 and item.value == b"123456789018"
    with pytest.raises(MalformedData):
        tlv.parse_all(bytes.fromhex("FF2005DF2101"))


def test_two_byte_tag_rule_reads_residence_dfd1() -> None:
    data = bytes.fromhex("DFD1820003") + b"abc"
    with pytest.raises(MalformedData):
        tlv.parse_all(data)  # strict BER: D1 has bit 8 set, so the tag would go on
    (item,) = tlv.parse_all(data, rule=tlv.TagRule.TWO_BYTE)
    assert item.tag == 0xDFD1 and item.value == b"abc"


def test_children_offsets_are_absolute() -> None:
    inner = tlv.build(0xDF22, b"name") + tlv.build(0xDF24, b"19800101")
    outer = tlv.build(0xFF20, inner)
    (container,) = tlv.parse_all(outer)
    kids = container.children()
    assert [k.tag for k in kids] == [0xDF22, 0xDF24]
    assert outer[kids[1].offset : kids[1].end] == tlv.build(0xDF24, b"19800101")
    assert container.constructed and not kids[0].constructed
