"""Residence-card file parsers: round trips from built TLVs, and garbage in gives our
MalformedData only (hypothesis)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apdu import tlv
from apdu.errors import MalformedData
from cardtool.cards.residence import ids
from cardtool.cards.residence.ids import Tag
from cardtool.cards.residence.parse import (
    decode_text,
    first_gen_data,
    parse_addresses,
    parse_card_type_value,
    parse_entries,
    parse_signature_file,
    second_gen_data,
)
from cardtool.cards.residence.signature import printed_entries_signed

ENTRIES = [(Tag.CARD_EXPIRY, b"20300131"), (Tag.BIRTH_DATE, b"19920401"), (Tag.SEX, b"2"),
           (Tag.NATIONALITY, b"UTO"), (Tag.STATUS, b"T11\x00\x00\x00\x00\x00\x00\x00"),
           (Tag.PERIOD_OF_STAY, b"0500"), (Tag.PERMISSION_TYPE, b"01"),
           (Tag.PERMISSION_DATE, b"20250101"), (Tag.WORK_RESTRICTION, b"9"),
           (Tag.RESIDENCE_EXPIRY, b"20291231")]


def test_entries_round_trip_and_signed_form() -> None:
    data = tlv.build_all(list(ENTRIES))
    assert len(data) == ids.SECOND_GEN_ENTRIES_FILE
    e = parse_entries(data)
    assert e.card_expiry.date == dt.date(2030, 1, 31)
    assert e.residence_expiry is not None and e.residence_expiry.date == dt.date(2029, 12, 31)
    assert (e.sex, e.nationality, e.status, e.period_of_stay) == ("2", "UTO", "T11", "0500")
    assert e.work_restriction == "9" and e.permission_type == "01"
    signed = printed_entries_signed(e.entries)
    assert len(signed) == 53 and signed == b"".join(v for _t, v in ENTRIES)


def test_special_permanent_entries_are_padded_to_53() -> None:
    six = [item for item in ENTRIES if item[0] in ids.SPECIAL_PERMANENT_ENTRY_TAGS]
    e = parse_entries(tlv.build_all(six))
    assert e.residence_expiry is None and e.work_restriction is None
    signed = printed_entries_signed(e.entries)
    assert len(signed) == 53 and signed[34:] == bytes(19)


def test_card_type_value_length_comes_from_the_tlv() -> None:
    assert parse_card_type_value(bytes.fromhex("C10131")) == "1"
    assert parse_card_type_value(bytes.fromhex("C1023035")) == "05"
    with pytest.raises(MalformedData, match="C1"):
        parse_card_type_value(bytes.fromhex("C0023035"))
    with pytest.raises(MalformedData):
        parse_card_type_value(bytes.fromhex("C103303500"[:8]))  # declares 3, has 2


def test_text_utf8_then_cp932() -> None:
    assert decode_text("東京都".encode()) == "東京都"
    assert decode_text("東京都".encode("cp932") + b"\x00\x00") == "東京都"
    assert decode_text(b"ab\x81") == "ab\ufffd"  # neither UTF-8 nor CP932


def test_addresses_repeat_and_masked_values_survive() -> None:
    data = tlv.build_all([(Tag.ADDRESS_DATE, b"20240401"), (Tag.ADDRESS_MUNICIPALITY, b"131016"),
                          (Tag.ADDRESS, "東京都".encode()), (Tag.ADDRESS_DATE, b"********"),
                          (Tag.ADDRESS_MUNICIPALITY, b"******"), (Tag.ADDRESS, b"***")])
    first, masked = parse_addresses(data + bytes(20))
    assert first.written.date == dt.date(2024, 4, 1) and first.address == "東京都"
    assert masked.written.date is None and masked.written.iso() == "********"


def test_first_and_second_generation_assembly() -> None:
    front = tlv.build(Tag.FRONT_OR_NAME_IMAGE, b"II*\x00tiff")
    photo = tlv.build(Tag.PHOTO, b"jp2")
    address = tlv.build_all([(Tag.ADDRESS_DATE, b"20240401"), (Tag.ADDRESS, b"x")])
    renewal = tlv.build(Tag.RENEWAL_PENDING_1, b"1")
    f = first_gen_data(ids.CardType.RESIDENCE_1, front, photo, address,
                       tlv.build(Tag.COMPREHENSIVE_PERMISSION_1, "許可".encode("cp932")),
                       tlv.build(Tag.INDIVIDUAL_PERMISSION_1, b""), renewal)
    assert f.front_image == b"II*\x00tiff" and f.renewal_pending is True
    assert f.comprehensive_permission == "許可" and f.individual_permission == ""
    s = second_gen_data(
        ids.CardType.RESIDENCE_2, tlv.build(Tag.CARD_NUMBER, b"AB12345678CD"),
        tlv.build_all(list(ENTRIES)),
        tlv.build_all([(Tag.FRONT_OR_NAME_IMAGE, b"name"), (Tag.PHOTO, b"face")]),
        tlv.build(Tag.ADDRESS_IMAGE, b"addr"),
        tlv.build_all([(Tag.COMPREHENSIVE_PERMISSION_2, b"1"),
                       (Tag.COMPREHENSIVE_PERMISSION_EXPIRY_2, b"20270101"),
                       (Tag.INDIVIDUAL_PERMISSION_2, b"0")]),
        tlv.build(Tag.RENEWAL_PENDING_2, b"*"), tlv.build(Tag.COMMISSIONER_ENTRY, b"1"))
    assert s.card_number == "AB12345678CD" and s.address_image == b"addr"
    assert s.comprehensive_permission == "1" and s.individual_permission is False
    assert s.comprehensive_permission_expiry is not None
    assert s.renewal_pending is None and s.renewal_pending_text == "*"  # masked: unknown
    assert s.commissioner_entry is True


def test_missing_images_are_malformed() -> None:
    with pytest.raises(MalformedData, match="D0"):
        second_gen_data(ids.CardType.RESIDENCE_2, tlv.build(Tag.CARD_NUMBER, b"x"),
                        tlv.build_all(list(ENTRIES)), tlv.build(Tag.PHOTO, b"f"),
                        tlv.build(Tag.ADDRESS_IMAGE, b"a"), None, None, None)
    with pytest.raises(MalformedData, match="DA"):
        parse_signature_file(tlv.build(Tag.CERTIFICATE_1, b"c"), ids.Generation.FIRST)


FILES = st.binary(max_size=120)


@given(FILES)
def test_parsers_on_garbage_raise_only_malformed_data(data: bytes) -> None:
    for parse in (parse_entries, parse_addresses, parse_card_type_value,
                  lambda d: parse_signature_file(d, ids.Generation.FIRST),
                  lambda d: parse_signature_file(d, ids.Generation.SECOND)):
        try:
            parse(data)
        except MalformedData:
            pass


@given(FILES, FILES, FILES, FILES, FILES)
def test_assembly_on_garbage_raises_only_malformed_data(a: bytes, b: bytes, c: bytes, d: bytes,
                                                        e: bytes) -> None:
    try:
        second_gen_data(ids.CardType.RESIDENCE_2, a, b, c, d, e, e, e)
    except MalformedData:
        pass
    try:
        first_gen_data(ids.CardType.RESIDENCE_1, a, b, c, d, e, e)
    except MalformedData:
        pass


@given(st.lists(st.sampled_from(list(ids.SECOND_GEN_ENTRY_WIDTHS)), min_size=6, max_size=10,
                unique=True), st.data())
def test_entries_round_trip_any_values(tags: list[int], draw: st.DataObject) -> None:
    required = {Tag.CARD_EXPIRY, Tag.BIRTH_DATE, Tag.SEX, Tag.NATIONALITY, Tag.STATUS,
                Tag.PERIOD_OF_STAY}
    tags = [t for t in tags if t not in required] + sorted(required)
    items = [(t, draw.draw(st.binary(min_size=1, max_size=ids.SECOND_GEN_ENTRY_WIDTHS[t])))
             for t in tags]
    e = parse_entries(tlv.build_all(items))
    assert e.entries == tuple(items)
